/**
 * Writes the dev stack's config as it must be on this machine, to stdout:
 * Pulumi.dev.yaml plus BASE_IMAGE pointing at the offline stand-in and the
 * builder that toolchain-up.sh registered. Labs are switched off when the
 * `docker` resource plugin is not installed (it cannot be built from the
 * module proxy), with the reason printed, rather than failing the whole `up`.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseDocument } from "yaml";

const { values } = parseArgs({
  options: {
    "stack-file": { type: "string" },
    "base-image": { type: "string" },
    builder: { type: "string" },
    "ca-certificates": { type: "string" },
  },
});
const doc = parseDocument(readFileSync(values["stack-file"]!, "utf8"));
const build = (doc.getIn(["config", "atlas:build"]) as { toJSON?: () => object } | undefined)?.toJSON?.() ?? {};
doc.setIn(["config", "atlas:build"], {
  ...build,
  baseImage: values["base-image"],
  builder: values.builder,
  ...(values["ca-certificates"] ? { caCertificates: values["ca-certificates"] } : {}),
});

function dockerPluginInstalled(): boolean {
  try {
    return /^docker\s+resource\s/m.test(execFileSync("pulumi", ["plugin", "ls"], { encoding: "utf8", cwd: "/" }));
  } catch {
    return false;
  }
}

const labs = doc.getIn(["config", "atlas:jupyter", "labs"]) as { items?: { key: { value: string } }[] } | undefined;
if (labs?.items?.length && !dockerPluginInstalled()) {
  for (const item of labs.items) doc.setIn(["config", "atlas:jupyter", "labs", item.key.value, "enabled"], false);
  process.stderr.write(
    "NOTE: the pulumi `docker` resource plugin is not installed, so this run leaves the JupyterLab labs out.\n" +
      "      Install it (pulumi plugin install resource docker) to run them; see docs/jupyter.md.\n",
  );
}
process.stdout.write(doc.toString());
