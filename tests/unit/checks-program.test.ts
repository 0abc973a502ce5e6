/**
 * The checks through the program (mocks), the committed stacks against every
 * check, and the command helpers (stack file, arguments, the resolver's argv).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { explainFailure, manylinuxPlatforms, pipResolveArgv } from "../../src/checks/resolve";
import { checkStacks, collectFindings } from "../../src/checks/run-checks";
import { Command, EXIT, UsageError, parseStackArgs, runCommand, stackCommand } from "../../src/core/command";
import { readStackFile } from "../../src/core/stack-file";
import { committedStacks, loadStack } from "../../src/core/stacks";
import { tempProject } from "./check-fixtures";
import { BASE_IMAGE, expectNothingRegistered, ROOT, runProgram, TYPE } from "./harness";


describe("the program runs the checks before registering anything", () => {
  it("rejects the full stack on the guide's default base image, naming vllm==0.15.1 and torch 2.10.0/CUDA 13.0", async () => {
    const run = runProgram({ stack: "full", config: { "atlas:build": { baseImage: BASE_IMAGE.guide } } });
    await expectNothingRegistered(run, /ATLAS checks failed:\nFAIL {2}compat: tier full installs vllm==0\.15\.1 \(requirements\/requirements-accel\.txt:3\).* but gets torch 2\.10\.0 with CUDA 13\.0 from the base image pytorch\/pytorch:2\.10\.0-cuda13\.0-cudnn9-devel/);
  });

  it("builds it anyway with allowIncompatible, warning instead", async () => {
    const run = await runProgram({ stack: "full", config: { "atlas:build": { baseImage: BASE_IMAGE.guide }, "atlas:allowIncompatible": true } });
    expect(run.byType(TYPE.image).map((i) => i.name)).toEqual(["atlas-base", "atlas-llm", "atlas-full"]);
    expect(run.one(TYPE.image, "atlas-base").inputs.buildArgs.BASE_IMAGE).toBe(BASE_IMAGE.guide);
  });

  it("the committed stacks preview without a failure", async () => {
    for (const stack of ["dev", "llm", "full"]) await expect(runProgram({ stack }), stack).resolves.toBeDefined();
  });
});

describe("committed stacks", () => {
  it("are dev, llm and full", () => {
    expect([...committedStacks(ROOT)].sort()).toEqual(["dev", "full", "llm"]);
  });

  it.each(["dev", "llm", "full"])("%s passes every in-program check", (stack) => {
    const findings = collectFindings(ROOT, loadStack(ROOT, stack));
    // Memory is the host's, not the stack's: it may warn on a small machine.
    expect(findings.filter((f) => f.severity !== "pass" && f.check !== "precheck.memory")).toEqual([]);
    expect([...new Set(findings.map((f) => f.check))]).toEqual(
      expect.arrayContaining(["requirements.parse", "requirements.include", "requirements.pinned", "requirements.conflict", "requirements.dev", "dockerfile", "compat", "precheck.memory"]),
    );
  });
});

describe("command helpers", () => {
  it("readStackFile gives the engine's view of a stack file, without secure values", () => {
    const full = readStackFile(ROOT, "full");
    expect(full["atlas:tier"]).toBe("full");
    expect(full["atlas:materials"]).toBe("true");
    expect(JSON.parse(full["atlas:build"])).toEqual({ baseImage: BASE_IMAGE.full });
    const root = tempProject();
    writeFileSync(join(root, "Pulumi.s.yaml"), "config:\n  atlas:tier: llm\n  atlas:pinned: true\n  atlas:registryPassword:\n    secure: AAABAxyz\n  atlas:build:\n    maxJobs: 1\n");
    expect(readStackFile(root, "s")).toEqual({ "atlas:tier": "llm", "atlas:pinned": "true", "atlas:build": '{"maxJobs":1}' });
  });

  it("npm run check over several stacks prints and counts a file-level failure once", () => {
    const stackFile = (tier: string) => `config:\n  atlas:tier: ${tier}\n  atlas:registry:\n    server: ghcr.io\n    repository: o/atlas\n`;
    const root = tempProject({
      "requirements/requirements.txt": "numpy==2.2.6\nnumpy=>1\n",
      "Pulumi.a.yaml": stackFile("base"),
      "Pulumi.b.yaml": stackFile("llm"),
      VERSION: "0.6\n",
      "package.json": "{}",
    });
    const lines: string[] = [];
    expect(checkStacks(root, ["a", "b"], (l) => lines.push(l))).toBe(1);
    const failed = lines.filter((l) => /^\s+FAIL/.test(l));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain("requirements/requirements.txt");
    expect(lines.at(-1)).toBe("FAILED: 1 failed, 0 warnings across 2 stacks");
  });

  it("arguments: a stack (default dev) and known flags only", () => {
    expect(parseStackArgs([], ["--all"])).toEqual({ stack: "dev", flags: new Set() });
    expect(parseStackArgs(["full", "--all"], ["--all"])).toEqual({ stack: "full", flags: new Set(["--all"]) });
    expect(() => parseStackArgs(["--al"], ["--all"])).toThrow("unknown option --al; accepted: --all");
    expect(() => parseStackArgs(["llm", "full"], [])).toThrow('expected at most one stack name, found "llm", "full"');
    expect(() => parseStackArgs(["--al"], ["--all"])).toThrow(UsageError);
  });

  it("every command exits 0 when done, 1 when a check failed, 2 when it could not run, naming itself", async () => {
    const err: string[] = [];
    const io = { root: ROOT, out: () => {}, err: (l: string) => void err.push(l) };
    const command = (run: Command<unknown>["run"]) => stackCommand("demo", "usage: demo [stack]", [], run);
    expect(await runCommand(command(() => EXIT.ok), [], io)).toBe(0);
    expect(await runCommand(command(async () => EXIT.failed), ["llm"], io)).toBe(1);
    expect(err).toEqual([]);
    expect(await runCommand(command(() => EXIT.ok), ["--x"], io)).toBe(2);
    expect(err.pop()).toBe("demo: unknown option --x; accepted: (none)\nusage: demo [stack]");
    expect(await runCommand(command((args) => loadStack(ROOT, (args as { stack: string }).stack).tiers.length), ["nope"], io)).toBe(2);
    expect(err.pop()).toMatch(/^demo: stack "nope": .*Pulumi\.nope\.yaml does not exist; accepted: /);
  });

  it("the resolver asks pip for a dry-run resolve for the image's Python and glibc, torch held", () => {
    const platforms = manylinuxPlatforms("2_35", "x86_64");
    expect(platforms.slice(0, 2)).toEqual(["manylinux_2_35_x86_64", "manylinux_2_34_x86_64"]);
    expect(platforms.slice(-4)).toEqual(["manylinux_2_5_x86_64", "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]);
    expect(manylinuxPlatforms("2_28", "aarch64").slice(-2)).toEqual(["manylinux_2_5_aarch64", "manylinux2014_aarch64"]);
    const argv = pipResolveArgv({ python: "3.11", platforms: ["manylinux_2_35_x86_64"], files: ["/p/requirements/requirements.txt", "/p/requirements/requirements-llm.txt"], constraints: ["/t/hold-torch.txt"], report: "/t/r.json", target: "/t/target" });
    expect(argv).toEqual([
      "pip", "install", "--dry-run", "--ignore-installed", "--only-binary=:all:", "--use-feature=fast-deps", "--disable-pip-version-check", "--no-input", "--progress-bar=off",
      "--python-version", "3.11", "--platform", "manylinux_2_35_x86_64", "--target", "/t/target", "--report", "/t/r.json",
      "-c", "/t/hold-torch.txt", "-r", "/p/requirements/requirements.txt", "-r", "/p/requirements/requirements-llm.txt",
    ]);
    expect(pipResolveArgv({ python: "3.11", platforms: [], files: [], constraints: [], report: "r", target: "t", cert: "/ca.pem" })).toContain("--cert");
  });

  it("the resolver keeps pip's explanation of a conflict, from both of its streams", () => {
    const stdout = "Collecting x\nThe conflict is caused by:\n    vllm 0.15.1 depends on torch==2.9.1\n    xformers 0.0.33.post1 depends on torch==2.9.0\n\nTo fix this you could try to:\n1. loosen the range\n";
    const stderr = "ERROR: Cannot install -r accel.txt (line 3) because these package versions have conflicting dependencies.\nERROR: ResolutionImpossible: for help visit https://pip.pypa.io\n";
    expect(explainFailure(stdout, stderr).split("\n        ")).toEqual([
      "ERROR: Cannot install -r accel.txt (line 3) because these package versions have conflicting dependencies.",
      "The conflict is caused by:",
      "    vllm 0.15.1 depends on torch==2.9.1",
      "    xformers 0.0.33.post1 depends on torch==2.9.0",
    ]);
    expect(explainFailure("", "ERROR: No matching distribution found for vllm==9.9\n")).toBe("ERROR: No matching distribution found for vllm==9.9");
  });
});
