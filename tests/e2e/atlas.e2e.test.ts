/**
 * The real flow, end to end: Pulumi engine + docker-build provider + buildkitd
 * + the local registry + Docker Engine, on a temp copy of the project.
 * Everything runs in order in one stack; each test names what it proves.
 */
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Registry, imageTargets } from "./registry";
import { E2E_REQUIREMENTS, TempProject, upOrExplain } from "./stack";
import { REGISTRY, REGISTRY_USER, Toolchain, e2eSkipped, loadToolchain, onToolchain } from "./toolchain";
import { TYPE } from "../resource-types";

const run = promisify(execFile);
const skipped = e2eSkipped();

const UID = 1234;
const GID = 2345;
type Tiers = Record<"base" | "llm" | "full", { ref: string; digest: string; tags: string[] }>;

describe.skipIf(skipped)("pulumi up/preview/destroy against real Docker, BuildKit and a registry", () => {
  const project = new TempProject();
  const repository = `e2e-${project.id}/atlas`;
  const stackName = `e2e-${project.id}`;
  let stack: Stack;
  let registry: Registry;
  let tc: Toolchain;
  let tiers: Tiers;
  let baseConfig: Record<string, unknown>;
  let firstUpOutput = "";

  function config(overrides: { build?: Record<string, unknown>; [k: string]: unknown } = {}): Record<string, unknown> {
    const { build, ...rest } = overrides;
    return {
      ...baseConfig,
      "atlas:build": { ...(baseConfig["atlas:build"] as object), ...build },
      ...Object.fromEntries(Object.entries(rest).map(([k, v]) => [`atlas:${k}`, v])),
    };
  }

  beforeAll(async () => {
    tc = loadToolchain();
    registry = new Registry(tc.registryPassword);
    baseConfig = {
      "atlas:tier": "full",
      ...onToolchain(tc, { repository, build: { uid: UID, gid: GID } }),
      "atlas:releases": [{ version: "1.0.0-e2e", source: "llm" }],
    };
    stack = await project.stack(stackName);
    await stack.setConfig("atlas:registryPassword", { value: tc.registryPassword, secret: true });
    project.writeConfig(stackName, config());
  });

  afterAll(async () => {
    if (!process.env.ATLAS_E2E_KEEP) project.remove();
  });

  /** Tests after the first up read its result; without one they say so instead of a TypeError. */
  function needFirstUp(): void {
    if (!tiers) throw new Error("the first up did not succeed, so there is nothing to check here; its error is the first failure above");
  }

  it("up builds base → llm → full for real and pushes every tag at the digest in the outputs", async () => {
    const result = await upOrExplain(stack, (o) => (firstUpOutput += o));
    expect(result.summary.result).toBe("succeeded");
    tiers = result.outputs.tiers.value as Tiers;
    expect(Object.keys(tiers).sort()).toEqual(["base", "full", "llm"]);
    for (const [tier, out] of Object.entries(tiers)) {
      expect(out.tags).toEqual([`${REGISTRY}/${repository}:v0.6-${tier}`]);
      const manifest = await registry.manifest(repository, `v0.6-${tier}`);
      expect(manifest?.digest, `${tier} tag in the registry`).toBe(out.digest);
      expect(out.ref).toBe(`${out.tags[0]}@${out.digest}`);
    }
    // Registry cache was written per tier (max mode).
    for (const tier of ["base", "llm", "full"]) expect(await registry.manifest(repository, `cache-${tier}`), `cache-${tier}`).toBeDefined();
  });

  it("builds each upper tier on the lower tier's digest", async () => {
    needFirstUp();
    const state = await stack.exportStack();
    const inputs = (name: string) => state.deployment.resources.find((r: { type: string; urn: string }) => r.type === TYPE.image && r.urn.endsWith(`::${name}`)).inputs;
    expect(inputs("atlas-llm").context.named["atlas-base"].location).toBe(`docker-image://${tiers.base.ref}`);
    expect(inputs("atlas-full").context.named["atlas-llm"].location).toBe(`docker-image://${tiers.llm.ref}`);
    // And the images agree: every layer of the tier below is the start of the tier above.
    const [base, llm, full] = await Promise.all(["base", "llm", "full"].map((t) => registry.layers(repository, tiers[t as keyof Tiers].digest)));
    expect(llm.slice(0, base.length)).toEqual(base);
    expect(full.slice(0, llm.length)).toEqual(llm);
    expect(full.length).toBeGreaterThan(llm.length);
    expect(llm.length).toBeGreaterThan(base.length);
  });

  it("the images run as the configured non-root uid and gid, and each tier's requirements import", async () => {
    needFirstUp();
    for (const tier of ["base", "llm", "full"] as const) {
      const { stdout } = await run("docker", ["run", "--rm", "--entrypoint", "sh", tiers[tier].ref, "-c", "id -u; id -g; id -un"]);
      expect(stdout.trim().split("\n"), tier).toEqual([String(UID), String(GID), "atlas"]);
      const modules = Object.entries(E2E_REQUIREMENTS)
        .slice(0, ["base", "llm", "full"].indexOf(tier) + 1)
        .flatMap(([, r]) => r.imports);
      const imported = await run("docker", ["run", "--rm", tiers[tier].ref, "python", "-c", `import ${modules.join(", ")}; print("ok")`]);
      expect(imported.stdout.trim(), `${tier} imports ${modules.join(", ")}`).toBe("ok");
    }
  });

  it("the registry password is in no log, no image and no plaintext state", async () => {
    needFirstUp();
    const password = tc.registryPassword;
    expect(firstUpOutput.length).toBeGreaterThan(0);
    expect(firstUpOutput).not.toContain(password);
    const stored = project.storedState(stackName);
    expect(stored).toContain("ciphertext");
    expect(stored).not.toContain(password);
    for (const tier of ["base", "llm", "full"] as const) {
      const { stdout: history } = await run("docker", ["history", "--no-trunc", tiers[tier].ref]);
      const { stdout: inspect } = await run("docker", ["image", "inspect", tiers[tier].ref]);
      expect(history + inspect, tier).not.toContain(password);
    }
  });

  it("a release tag created with up resolves in the registry to the source tier's digest", async () => {
    needFirstUp();
    // buildx imagetools wraps the single-platform source in an OCI index whose
    // only entry is the source image itself, byte for byte.
    const release = await registry.manifest(repository, "1.0.0-e2e");
    expect(release, "release tag in the registry").toBeDefined();
    expect(imageTargets(release!)).toEqual([tiers.llm.digest]);
  });

  it("a second up reports no changes and builds nothing", async () => {
    needFirstUp();
    let output = "";
    const result = await upOrExplain(stack, (o) => (output += o));
    const changes = result.summary.resourceChanges ?? {};
    expect(Object.keys(changes).filter((op) => op !== "same"), JSON.stringify(changes)).toEqual([]);
    expect(output).not.toMatch(/#\d+ \[(base|llm|full) /);
  });

  async function previewDiffs(overrides: Parameters<typeof config>[0]) {
    project.writeConfig(stackName, config(overrides));
    const events: EngineEvent[] = [];
    try {
      await stack.preview({ diff: true, color: "never", onEvent: (e) => events.push(e) });
    } finally {
      project.writeConfig(stackName, config());
    }
    // The provider's detailed diff stops at the top-level property ("buildArgs");
    // `--diff` shows the arg by comparing the old and new inputs, and so does this.
    const byName: Record<string, { op: string; keys: string[] }> = {};
    for (const e of events) {
      const m = e.resourcePreEvent?.metadata;
      if (m?.type !== TYPE.image) continue;
      const oldArgs = (m.old?.inputs?.buildArgs ?? {}) as Record<string, string>;
      const newArgs = (m.new?.inputs?.buildArgs ?? {}) as Record<string, string>;
      const changedArgs = [...new Set([...Object.keys(oldArgs), ...Object.keys(newArgs)])]
        .filter((a) => oldArgs[a] !== newArgs[a])
        .map((a) => `buildArgs.${a}`);
      const keys = Object.keys(m.detailedDiff ?? {});
      if (changedArgs.length) expect(keys, "provider reports the buildArgs diff").toContain("buildArgs");
      byName[m.urn.split("::").pop()!] = { op: m.op, keys: changedArgs.length ? [...keys.filter((k) => k !== "buildArgs"), ...changedArgs] : keys };
    }
    return byName;
  }

  it("preview --diff names buildArgs.MAX_JOBS on every tier when maxJobs changes", async () => {
    needFirstUp();
    const diffs = await previewDiffs({ build: { maxJobs: 1 } });
    for (const name of ["atlas-base", "atlas-llm", "atlas-full"]) {
      expect(diffs[name].op, name).toBe("update");
      expect(diffs[name].keys, name).toContain("buildArgs.MAX_JOBS");
    }
  });

  it("preview --diff names buildArgs.USER_GID on tier 0 only when the gid changes", async () => {
    needFirstUp();
    const diffs = await previewDiffs({ build: { gid: GID + 1 } });
    expect(diffs["atlas-base"].op).toBe("update");
    expect(diffs["atlas-base"].keys).toContain("buildArgs.USER_GID");
    for (const name of ["atlas-llm", "atlas-full"]) {
      expect(diffs[name].keys.filter((k) => k.startsWith("buildArgs")), name).toEqual([]);
    }
  });

  it("the pre-check command passes against the real local services", async () => {
    const { stdout } = await run(join(project.dir, "node_modules/.bin/ts-node"), ["--transpile-only", "bin/precheck.ts", stackName], {
      cwd: project.dir,
      env: { ...process.env, ATLAS_REGISTRY_PASSWORD: tc.registryPassword },
    });
    expect(stdout).toMatch(/PASS\s+precheck\.docker/);
    expect(stdout).not.toMatch(/^\s*FAIL/m);
    expect(stdout).toMatch(/PASS\s+precheck\.registry/);
  });

  it("a failing upper tier fails up with pip's error, keeps the lower tiers, and the fix rebuilds only it and those above", async () => {
    needFirstUp();
    project.writeRequirements("requirements-llm.txt", ["six==1.17.0", "atlas-e2e-no-such-package==1.0.0"]);
    let output = "";
    await expect(stack.up({ color: "never", onOutput: (o) => (output += o) })).rejects.toThrow();
    expect(output).toMatch(/Could not find a version that satisfies the requirement atlas-e2e-no-such-package==1\.0\.0/);
    expect(output).not.toMatch(/atlas-base +(updat|creat)/);
    expect(output).not.toMatch(/atlas-full +(updat|creat)/);
    const state = await stack.exportStack();
    const images = state.deployment.resources.filter((r: { type: string }) => r.type === TYPE.image).map((r: { urn: string }) => r.urn.split("::").pop());
    expect(images).toEqual(expect.arrayContaining(["atlas-base", "atlas-llm", "atlas-full"]));

    // The fix is a different, installable set (toolz is no dependency of tier 0, so
    // the held tier-0 versions do not constrain it): llm and full rebuild, base does not.
    project.writeRequirements("requirements-llm.txt", ["six==1.17.0", "toolz==1.0.0"]);
    let fixOutput = "";
    const fixed = await upOrExplain(stack, (o) => (fixOutput += o));
    expect(fixed.summary.result).toBe("succeeded");
    // llm, full, and the release tag that follows llm's digest.
    expect(fixed.summary.resourceChanges).toMatchObject({ update: 3 });
    expect(fixOutput).toMatch(/atlas-release-1\.0\.0-e2e +updat/);
    expect(fixOutput).not.toMatch(/atlas-base +(updat|creat)/);
    expect(fixOutput).toMatch(/atlas-llm +updat/);
    expect(fixOutput).toMatch(/atlas-full +updat/);
    const after = fixed.outputs.tiers.value as Tiers;
    expect(after.base.digest).toBe(tiers.base.digest);
    expect(after.llm.digest).not.toBe(tiers.llm.digest);
    expect(after.full.digest).not.toBe(tiers.full.digest);
    const { stdout } = await run("docker", ["run", "--rm", after.full.ref, "python", "-c", "import toolz, six, tabulate; print('ok')"]);
    expect(stdout.trim()).toBe("ok");
  });

  it("destroy removes every resource of the stack; the pushed tags survive (retainOnDelete on)", async () => {
    needFirstUp();
    const result = await stack.destroy({ color: "never", onOutput: () => undefined });
    expect(result.summary.result).toBe("succeeded");
    const state = await stack.exportStack();
    expect(state.deployment.resources ?? []).toEqual([]);
    for (const tag of ["v0.6-base", "v0.6-llm", "v0.6-full", "1.0.0-e2e"]) {
      expect(await registry.manifest(repository, tag), tag).toBeDefined();
    }
  });

  it("with retainOnDelete off, destroy deletes the pushed tags", async () => {
    const name = `${stackName}-owned`;
    const ownedRepo = `${repository}-owned`;
    const owned = await project.stack(name);
    await owned.setConfig("atlas:registryPassword", { value: tc.registryPassword, secret: true });
    project.writeConfig(name, {
      ...config({ tier: "base", retainOnDelete: false, releases: [] }),
      "atlas:registry": { server: REGISTRY, repository: ownedRepo, username: REGISTRY_USER },
    });
    const up = await upOrExplain(owned);
    const digest = (up.outputs.tiers.value as Tiers).base.digest;
    expect((await registry.manifest(ownedRepo, "v0.6-base"))?.digest).toBe(digest);
    await owned.destroy({ color: "never", onOutput: () => undefined });
    expect(await registry.manifest(ownedRepo, "v0.6-base")).toBeUndefined();
  });
});
