/**
 * Writes the dev stack's config as it must be on this machine, to stdout:
 * Pulumi.dev.yaml plus BASE_IMAGE pointing at the offline stand-in and the
 * builder that toolchain-up.sh registered. On a host where Docker cannot give
 * a container GPUs (no NVIDIA runtime, hook or CDI spec), labs that ask for
 * GPUs get `gpus: none` instead, with a note on stderr: the committed
 * `gpus: all` would fail the container's start.
 */
import { readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { parseArgs } from "node:util";
import { parseDocument } from "yaml";
import { gpuLabs, gpuSupport } from "../src/checks/precheck";
import { probeDocker, probeGpu } from "../src/checks/precheck-probes";
import { loadStack } from "../src/core/stacks";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "stack-file": { type: "string" },
      "base-image": { type: "string" },
      builder: { type: "string" },
      "ca-certificates": { type: "string" },
    },
  });
  const file = values["stack-file"]!;
  const doc = parseDocument(readFileSync(file, "utf8"));
  const build = (doc.getIn(["config", "atlas:build"]) as { toJSON?: () => object } | undefined)?.toJSON?.() ?? {};
  doc.setIn(["config", "atlas:build"], {
    ...build,
    baseImage: values["base-image"],
    builder: values.builder,
    ...(values["ca-certificates"] ? { caCertificates: values["ca-certificates"] } : {}),
  });

  // The labs the pre-check would ask GPUs for: enabled, gpus not none.
  const wantGpus = gpuLabs(loadStack(dirname(file), basename(file).replace(/^Pulumi\.(.+)\.yaml$/, "$1")));
  if (wantGpus.length && !gpuSupport(probeGpu(await probeDocker())).length) {
    for (const name of wantGpus) doc.setIn(["config", "atlas:jupyter", "labs", name, "gpus"], "none");
    process.stderr.write(
      `NOTE: Docker here has no NVIDIA runtime, hook or CDI spec, so lab(s) ${wantGpus.join(", ")} run with gpus: none on this machine.\n` +
        "      Pulumi.dev.yaml keeps gpus: all; install the NVIDIA Container Toolkit to use them.\n",
    );
  }
  process.stdout.write(doc.toString());
}

void main();
