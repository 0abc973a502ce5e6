/**
 * The compatibility gate through the real CLI: `pulumi preview` of a stack
 * whose vLLM pin cannot work with the base image's torch/CUDA fails in seconds,
 * before any resource, naming both sides; allowIncompatible turns it into a
 * warning.
 */
import { afterAll, describe, expect, it } from "vitest";
import { TempProject } from "./stack";
import { BUILDER, REGISTRY, e2eSkipped } from "./toolchain";

const skipped = e2eSkipped();

describe.skipIf(skipped)("the compatibility gate in a real pulumi preview", () => {
  const project = new TempProject();
  const name = `gate-${project.id}`;
  afterAll(() => project.remove());

  function configure(allowIncompatible: boolean): void {
    project.writeConfig(name, {
      "atlas:tier": "full",
      "atlas:registry": { server: REGISTRY, repository: `gate-${project.id}/atlas` },
      // The guide's default base: torch 2.10.0 with CUDA 13.0.
      "atlas:build": { baseImage: "pytorch/pytorch:2.10.0-cuda13.0-cudnn9-devel", builder: BUILDER },
      "atlas:allowIncompatible": allowIncompatible,
    });
  }

  it("fails in seconds with a message naming the vLLM pin, the base image and the rule", async () => {
    project.writeRequirements("requirements-accel.txt", ["vllm==0.15.1"]);
    const stack = await project.stack(name);
    configure(false);
    const started = Date.now();
    let output = "";
    const error = (await stack.preview({ color: "never", onOutput: (o) => (output += o) }).catch((e: Error) => e)) as Error;
    const seconds = (Date.now() - started) / 1000;
    expect(error).toBeInstanceOf(Error);
    const text = `${error.message}\n${output}`;
    expect(text).toMatch(/vllm==0\.15\.1/);
    expect(text).toMatch(/torch 2\.10\.0 with CUDA 13\.0/);
    expect(text).toMatch(/pytorch\/pytorch:2\.10\.0-cuda13\.0-cudnn9-devel/);
    expect(text).toMatch(/atlas:allowIncompatible/);
    expect(text).not.toMatch(/docker-build:index:Image/);
    expect(seconds).toBeLessThan(60);
  });

  it("passes as a warning with atlas:allowIncompatible", async () => {
    const stack = await project.stack(name);
    configure(true);
    let output = "";
    const result = await stack.preview({ color: "never", onOutput: (o) => (output += o) });
    expect(result.changeSummary.create).toBeGreaterThan(0);
    expect(output).toMatch(/warning: .*vllm==0\.15\.1/);
  });
});
