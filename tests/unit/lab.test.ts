import * as pulumi from "@pulumi/pulumi";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, LabConfig, labSchema } from "../../src/core/config";
import { LAB_PORT, TOKEN_FILE, labContainerSpec, labsProblems } from "../../src/lab/container-spec";
import { dockerCpus, goDuration, labRegistryAuth } from "../../src/lab/jupyter-lab";
import { TOKEN_BYTES, newToken, tokenProvider } from "../../src/lab/token";
import { fakeDigest, isSecret, isSecretInput, planFromStackFile, runProgram, RunResult, secretValue, TYPE, useScratchDirs } from "./harness";
import { OptionsTap, tapResourceOptions } from "./resource-options";


const SECRET_TOKEN = "lab-token-0123456789abcdef";

let tap: OptionsTap;
beforeEach(() => {
  tap = tapResourceOptions();
});
afterEach(() => tap.stop());

/** The dev stack with its labs replaced, and the token set as a secret unless told otherwise. */
function devWithLabs(labs: Record<string, unknown>, opts: { token?: string | null; config?: Record<string, unknown> } = {}) {
  const token = opts.token === undefined ? SECRET_TOKEN : opts.token;
  return runProgram({
    stack: "dev",
    config: { "atlas:jupyter": { labs }, ...opts.config },
    secrets: token === null ? {} : { "atlas:jupyterToken": token },
  });
}

function container(run: RunResult, lab = "main") {
  return run.one(TYPE.container, `lab-${lab}-container`).inputs;
}

/** The program's exports as the engine sees them, before unwrapping (runProgram already imported it). */
async function programExports(): Promise<Record<string, unknown>> {
  return (await import("../../index")) as Record<string, unknown>;
}

/**
 * Expects the program to fail with `message`. A lab check fails after
 * TierImages was registered (index.ts creates the labs after the images), so
 * that registration is drained before the next run replaces the mocks.
 */
async function expectProgramError(run: Promise<unknown>, message: RegExp): Promise<void> {
  await expect(run).rejects.toThrow(message);
  await pulumi.runtime.disconnect();
}

describe("the dev stack's lab", () => {
  it("runs lab main on the base tier pulled by digest, kept locally, with every GPU", async () => {
    const run = await runProgram({ stack: "dev" });
    expect(run.byType(TYPE.lab).map((l) => l.name)).toEqual(["lab-main"]);
    const baseRef = (run.outputs.tiers as Record<string, { ref: string }>).base.ref;
    expect(baseRef).toMatch(/\/atlas:v0\.6-base@sha256:[0-9a-f]{64}$/);
    const image = run.one(TYPE.remoteImage, "lab-main-image").inputs;
    expect(image.name).toBe(baseRef);
    expect(image.keepLocally).toBe(true);
    const c = container(run);
    expect(c.name).toBe("atlas-dev-main");
    // The container runs the pulled image by id, not the mutable tag.
    expect(c.image).toBe(fakeDigest(`image:${baseRef}`));
    expect(c.deviceRequests).toEqual([{ driver: "nvidia", count: -1, capabilities: ["gpu"] }]);
    expect(c.envs).toEqual(expect.arrayContaining(["NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_DRIVER_CAPABILITIES=compute,utility"]));
    expect(c.ports).toEqual([{ internal: 8888, external: 8888, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(c.mounts).toEqual([{ type: "volume", source: "atlas-dev-workspace", target: "/workspace" }]);
    expect(run.one(TYPE.volume, "lab-main-workspace").inputs.name).toBe("atlas-dev-workspace");
    expect(tap.of(TYPE.volume, "lab-main-workspace").retainOnDelete).toBe(true);
  });

  it("generates the token once per stack, kept in the state as a secret, when atlas:jupyterToken is unset", async () => {
    const run = await runProgram({ stack: "dev" });
    expect(run.byType(TYPE.labToken).map((t) => t.name)).toEqual(["atlas-jupyter-token"]);
    const token = secretValue(run.one(TYPE.labToken, "atlas-jupyter-token").inputs.value) as string;
    expect(token).toMatch(new RegExp(`^[0-9a-f]{${TOKEN_BYTES * 2}}$`));
    // The mocks echo the placeholder input; the real provider draws its own on create (tested below).
    expect(tap.of(TYPE.labToken, "atlas-jupyter-token").ignoreChanges).toEqual(["value"]);
    expect(tap.of(TYPE.labToken, "atlas-jupyter-token").additionalSecretOutputs).toEqual(["value"]);
    expect(secretValue(container(run).uploads)).toEqual([expect.objectContaining({ file: TOKEN_FILE, content: token })]);
    expect(run.outputs.jupyterUrl).toBe(`http://127.0.0.1:8888/lab?token=${token}`);
  });

  it("exports jupyterUrl and labs.main.url as secrets, and the container name", async () => {
    const run = await runProgram({ stack: "dev", secrets: { "atlas:jupyterToken": SECRET_TOKEN } });
    const exported = await programExports();
    expect(run.byType(TYPE.lab), "the program module was reused, not run again").toHaveLength(1);
    expect(await isSecret(exported.jupyterUrl)).toBe(true);
    const labs = exported.labs as Record<string, { url: pulumi.Output<string> }>;
    expect(await isSecret(labs.main.url)).toBe(true);
    expect(run.outputs.jupyterUrl).toBe(`http://127.0.0.1:8888/lab?token=${SECRET_TOKEN}`);
    expect(run.outputs.labs).toEqual({ main: { url: `http://127.0.0.1:8888/lab?token=${SECRET_TOKEN}`, container: "atlas-dev-main" } });
  });

  it("previews without unknowns: the lab, its image and a secret URL", async () => {
    const run = await runProgram({ stack: "dev", preview: true });
    expect(run.byType(TYPE.container).map((c) => c.name)).toEqual(["lab-main-container"]);
    expect(await isSecret((await programExports()).jupyterUrl)).toBe(true);
    expect(run.outputs.jupyterUrl).toMatch(/^http:\/\/127\.0\.0\.1:8888\/lab\?token=[0-9a-f]{48}$/);
  });
});

describe("container security defaults", () => {
  it("runs as the image's numeric uid:gid with every capability dropped and no new privileges", async () => {
    const run = await devWithLabs({ main: {} }, { config: { "atlas:build": { uid: 1234, gid: 2345 } } });
    const c = container(run);
    expect(c.user).toBe("1234:2345");
    expect(c.capabilities).toEqual({ drops: ["ALL"] });
    expect(c.securityOpts).toEqual(["no-new-privileges"]);
    expect(c.privileged).toBeUndefined();
    expect(c.init).toBe(true);
  });

  it("publishes port 8888 on the loopback bind address only", async () => {
    const run = await devWithLabs({ main: { port: 9999, bind: "127.0.0.2" } });
    expect(container(run).ports).toEqual([{ internal: 8888, external: 9999, ip: "127.0.0.2", protocol: "tcp" }]);
    expect(container(run).publishAllPorts).toBeUndefined();
    expect(run.outputs.jupyterUrl).toBe(`http://127.0.0.2:9999/lab?token=${SECRET_TOKEN}`);
  });

  it("publishes on 0.0.0.0 only with exposePublicly, and the URL then goes through loopback", async () => {
    const run = await devWithLabs({ main: { bind: "0.0.0.0", exposePublicly: true } });
    expect(container(run).ports).toEqual([{ internal: 8888, external: 8888, ip: "0.0.0.0", protocol: "tcp" }]);
    expect(run.outputs.jupyterUrl).toBe(`http://127.0.0.1:8888/lab?token=${SECRET_TOKEN}`);
  });

  it("waits for atlas-healthcheck, restarts unless stopped and gives kernels time to stop", async () => {
    const c = container(await devWithLabs({ main: {} }));
    expect(c.healthcheck).toEqual({ tests: ["CMD", "atlas-healthcheck"], interval: "10s", timeout: "10s", retries: 3, startPeriod: "1m0s" });
    expect(c.wait).toBe(true);
    expect(c.waitTimeout).toBeGreaterThanOrEqual(120);
    expect(c.restart).toBe("unless-stopped");
    expect(c.destroyGraceSeconds).toBeGreaterThanOrEqual(30);
    expect(c.stopTimeout).toBe(c.destroyGraceSeconds);
    expect(c.command).toEqual(["atlas-lab"]);
    expect(c.entrypoints).toBeUndefined();
  });

  it("replaces the container delete-first, inside the lab component", async () => {
    await devWithLabs({ main: {} });
    const options = tap.of(TYPE.container, "lab-main-container");
    expect(options.deleteBeforeReplace).toBe(true);
    expect(options.parent).toMatch(/atlas:lab:JupyterLab::lab-main$/);
    expect(tap.of(TYPE.remoteImage, "lab-main-image").parent).toMatch(/::lab-main$/);
  });

  it("replaces the container when its healthcheck or init changes, which the provider cannot update in place", async () => {
    await devWithLabs({ main: {} });
    expect(tap.of(TYPE.container, "lab-main-container").replaceOnChanges.sort()).toEqual(["healthcheck", "init"]);
  });

  it("every lab resource goes through the lab's own docker provider, a child of the lab", async () => {
    await devWithLabs({ main: {} }, { config: { "atlas:jupyter": { labs: { main: { workspace: { volume: "ws" } } } } } });
    expect(tap.of(TYPE.dockerProvider, "lab-main-docker").parent).toMatch(/atlas:lab:JupyterLab::lab-main$/);
    for (const [type, name] of [
      [TYPE.remoteImage, "lab-main-image"],
      [TYPE.volume, "lab-main-workspace"],
      [TYPE.container, "lab-main-container"],
    ]) {
      expect(tap.of(type, name).provider, name).toMatch(/\$pulumi:providers:docker::lab-main-docker::/);
    }
  });

  it("a new tier digest replaces the image and therefore the container", async () => {
    const a = await devWithLabs({ main: {} });
    const b = await devWithLabs({ main: {} }, { config: { "atlas:build": { maxJobs: 4 } } });
    expect(b.one(TYPE.remoteImage, "lab-main-image").inputs.name).not.toBe(a.one(TYPE.remoteImage, "lab-main-image").inputs.name);
    expect(container(b).image).not.toBe(container(a).image);
  });
});

describe("the token", () => {
  it("atlas:jupyterToken is uploaded as a secret file the lab user can read, and nothing else carries it", async () => {
    const run = await devWithLabs({ main: {} });
    expect(run.byType(TYPE.labToken)).toEqual([]);
    const c = container(run);
    expect(secretValue(c.uploads)).toEqual([{ file: TOKEN_FILE, content: SECRET_TOKEN, permissions: "0444" }]);
    expect(c.envs).toContain(`ATLAS_TOKEN_FILE=${TOKEN_FILE}`);
    const { uploads, ...rest } = c;
    expect(uploads).toBeDefined();
    expect(JSON.stringify(rest)).not.toContain(SECRET_TOKEN);
  });

  it("is URL-encoded in jupyterUrl", async () => {
    const run = await devWithLabs({ main: {} }, { token: "tok&en=with/odd+chars" });
    expect(run.outputs.jupyterUrl).toBe("http://127.0.0.1:8888/lab?token=tok%26en%3Dwith%2Fodd%2Bchars");
  });

  it("one generated token serves every lab of the stack", async () => {
    const run = await devWithLabs({ a: { port: 8888 }, b: { port: 8889, gpus: "none", workspace: { volume: "b-notebooks" } } }, { token: null });
    expect(run.byType(TYPE.labToken)).toHaveLength(1);
    expect(run.byType(TYPE.container).map((c) => c.name).sort()).toEqual(["lab-a-container", "lab-b-container"]);
    const token = secretValue(run.one(TYPE.labToken, "atlas-jupyter-token").inputs.value);
    for (const c of run.byType(TYPE.container)) expect((secretValue(c.inputs.uploads) as { content: string }[])[0].content).toBe(token);
  });

  it("refuses JUPYTER_TOKEN in a lab's env, and variables the lab owns", async () => {
    await expectProgramError(
      devWithLabs({ main: { env: { JUPYTER_TOKEN: "plaintext-token-1234" } } }),
      /atlas:jupyter\.labs\.main\.env\.JUPYTER_TOKEN: would put the token in plaintext.*accepted: the secret atlas:jupyterToken/,
    );
    await expectProgramError(
      devWithLabs({ main: { env: { NVIDIA_VISIBLE_DEVICES: "1" } } }),
      /atlas:jupyter\.labs\.main\.env\.NVIDIA_VISIBLE_DEVICES: is set by ATLAS for every lab/,
    );
    expect(tap.names().filter((n) => n.startsWith(TYPE.container) || n.startsWith(TYPE.labToken))).toEqual([]);
  });

  it("passes other env through", async () => {
    const c = container(await devWithLabs({ main: { env: { HF_HOME: "/workspace/.hf", TZ: "UTC" } } }));
    expect(c.envs).toEqual(expect.arrayContaining(["HF_HOME=/workspace/.hf", "TZ=UTC"]));
  });
});

describe("the token provider", () => {
  it("draws a hex token of TOKEN_BYTES random bytes on create, new each time", async () => {
    const a = await tokenProvider.create({ value: "placeholder" });
    const b = await tokenProvider.create({ value: "placeholder" });
    expect(a.outs?.value).toMatch(new RegExp(`^[0-9a-f]{${TOKEN_BYTES * 2}}$`));
    expect([b.outs?.value, b.id]).not.toContain(a.outs?.value);
    expect(a.id).not.toBe(b.id);
    expect(newToken()).toMatch(new RegExp(`^[0-9a-f]{${TOKEN_BYTES * 2}}$`));
  });

  it("is stable: never a diff (placeholder or serialized provider), kept on update and refresh", async () => {
    const olds = { value: "f".repeat(48) };
    const news = { value: newToken(), __provider: "a newer serialization" } as { value: string };
    expect(await tokenProvider.diff!("id", olds, news)).toEqual({ changes: false });
    expect(await tokenProvider.update!("id", olds, news)).toEqual({ outs: olds });
    expect(await tokenProvider.read!("id", olds)).toEqual({ id: "id", props: olds });
  });
});

describe("gpus", () => {
  it("a device list becomes one nvidia device request for those ids", async () => {
    const c = container(await devWithLabs({ main: { gpus: [0, "2"] } }));
    expect(c.deviceRequests).toEqual([{ driver: "nvidia", deviceIds: ["0", "2"], capabilities: ["gpu"] }]);
    expect(c.gpus).toBeUndefined();
    expect(c.envs).toEqual(expect.arrayContaining(["NVIDIA_VISIBLE_DEVICES=0,2", "NVIDIA_DRIVER_CAPABILITIES=compute,utility"]));
  });

  it("none requests no GPU, and hides the image's NVIDIA_VISIBLE_DEVICES=all from an nvidia default runtime", async () => {
    const c = container(await devWithLabs({ main: { gpus: "none" } }));
    expect(c.deviceRequests).toBeUndefined();
    expect(c.gpus).toBeUndefined();
    expect(c.envs.filter((e: string) => e.startsWith("NVIDIA_"))).toEqual(["NVIDIA_VISIBLE_DEVICES=void"]);
  });
});

describe("workspace and resources", () => {
  const dir = useScratchDirs()(join(tmpdir(), "atlas-lab-ws-"));

  it("a host path is bind-mounted at /workspace, with no volume resource", async () => {
    const run = await devWithLabs({ main: { workspace: { hostPath: dir } } });
    expect(container(run).mounts).toEqual([{ type: "bind", source: dir, target: "/workspace" }]);
    expect(run.byType(TYPE.volume)).toEqual([]);
  });

  it("a named volume is a resource kept on destroy, and the container depends on it", async () => {
    const run = await devWithLabs({ main: { workspace: { volume: "notebooks" } } });
    expect(container(run).mounts).toEqual([{ type: "volume", source: "notebooks", target: "/workspace" }]);
    expect(run.one(TYPE.volume, "lab-main-workspace").inputs).toEqual({ name: "notebooks" });
    expect(tap.of(TYPE.volume, "lab-main-workspace").retainOnDelete).toBe(true);
    expect(tap.of(TYPE.container, "lab-main-container").dependencies).toEqual(expect.arrayContaining([expect.stringMatching(/docker:index\/volume:Volume::lab-main-workspace$/)]));
  });

  it("shm size, memory (with no swap beyond it) and cpus reach the container in MiB and CPUs", async () => {
    const c = container(await devWithLabs({ main: { shmSize: 4096, memory: 16384, cpus: 6.5 } }));
    expect([c.shmSize, c.memory, c.memorySwap, c.cpus]).toEqual([4096, 16384, 16384, "6.5"]);
    const d = container(await devWithLabs({ main: {} }));
    expect([d.shmSize, d.memory, d.memorySwap, d.cpus]).toEqual([2048, undefined, undefined, undefined]);
  });

  it("healthcheck durations are written as the provider reads them back (Go's durations)", () => {
    const cases: [number, string][] = [[0, "0s"], [10, "10s"], [60, "1m0s"], [90, "1m30s"], [3600, "1h0m0s"], [3661, "1h1m1s"]];
    for (const [seconds, read] of cases) expect(goDuration(seconds), String(seconds)).toBe(read);
  });

  it("cpus are written as the provider reads them back, so a whole number is no perpetual replacement", () => {
    const cases: [number, string][] = [[1, "1.0"], [2, "2.0"], [16, "16.0"], [0.5, "0.5"], [0.25, "0.25"], [1.5, "1.5"], [6.5, "6.5"], [12.5, "12.5"], [10, "10."], [20, "20."], [100, "100."]];
    for (const [cpus, read] of cases) expect(dockerCpus(cpus), String(cpus)).toBe(read);
  });

  it("a stack that does not push runs the tier by its local tag, replaced when the digest changes", async () => {
    const run = await devWithLabs({ main: {} }, { config: { "atlas:push": false, "atlas:cache": { type: "off" } } });
    const base = (run.outputs.tiers as Record<string, { tags: string[]; digest: string }>).base;
    const image = run.one(TYPE.remoteImage, "lab-main-image").inputs;
    expect(image.name).toBe(base.tags[0]);
    expect(image.name).not.toContain("@");
    expect(image.triggers).toEqual({ digest: base.digest });
  });
});

describe("disabled labs", () => {
  it("register nothing: no image, volume, container or token, and no URL", async () => {
    const run = await devWithLabs({ main: { enabled: false } }, { token: null });
    for (const type of [TYPE.lab, TYPE.container, TYPE.remoteImage, TYPE.volume, TYPE.labToken]) expect(run.byType(type)).toEqual([]);
    // An explicit empty value: an undefined output makes the engine warn.
    expect(run.outputs.jupyterUrl).toBe("");
    expect(run.outputs.labs).toEqual({});
  });

  it("only the enabled ones run, and jupyterUrl is the first enabled lab's", async () => {
    const run = await devWithLabs({ off: { enabled: false, port: 8888 }, on: { port: 8888 } });
    expect(run.byType(TYPE.lab).map((l) => l.name)).toEqual(["lab-on"]);
    // A disabled lab holds neither its port nor its volume.
    expect(run.outputs.jupyterUrl).toBe(`http://127.0.0.1:8888/lab?token=${SECRET_TOKEN}`);
  });

  it("a stack without labs has none", async () => {
    const run = await runProgram({ stack: "llm" });
    for (const type of [TYPE.lab, TYPE.container, TYPE.remoteImage, TYPE.volume, TYPE.labToken]) expect(run.byType(type)).toEqual([]);
  });
});

describe("bad lab config fails with the key, the value and what is accepted", () => {
  it.each([
    ["a port out of range", { port: 70000 }, /atlas:jupyter\.labs\.main\.port: expected a port from 1 to 65535, found 70000/],
    ["an unknown tier", { tier: "huge" }, /atlas:jupyter\.labs\.main\.tier: expected one of base, llm, full \(or BUILD_TIER 0, 1, 2\), found "huge"/],
    ["a tier the stack does not build", { tier: "llm" }, /atlas:jupyter\.labs\.main\.tier: "llm" is not built by this stack .*; accepted: base/],
    ["0.0.0.0 without exposePublicly", { bind: "0.0.0.0" }, /atlas:jupyter\.labs\.main\.bind: "0\.0\.0\.0" publishes JupyterLab beyond this host; accepted: a loopback address/],
    ["a host path that does not exist", { workspace: { hostPath: "/nonexistent/atlas-notebooks" } }, /atlas:jupyter\.labs\.main\.workspace\.hostPath: "\/nonexistent\/atlas-notebooks" does not exist on this host/],
  ])("%s", async (_what, lab, message) => {
    await expectProgramError(devWithLabs({ main: lab }), message);
    expect(tap.names().filter((n) => n.includes("docker:index/"))).toEqual([]);
  });

  it("two labs on the same address and port", async () => {
    await expectProgramError(
      devWithLabs({ a: { port: 8888, workspace: { volume: "a" } }, b: { port: 8888, workspace: { volume: "b" } } }),
      /atlas:jupyter\.labs\.b\.port: 8888 on 127\.0\.0\.1 is already published by lab "a" \(127\.0\.0\.1:8888\); accepted: a port no other enabled lab publishes/,
    );
    expect(tap.names().filter((n) => n.includes("docker:index/"))).toEqual([]);
  });

  it("two labs on one named volume", async () => {
    await expectProgramError(
      devWithLabs({ a: { port: 8888 }, b: { port: 8889 } }),
      /atlas:jupyter\.labs\.b\.workspace\.volume: "atlas-workspace" is already the workspace of lab "a"; accepted: a volume name no other enabled lab uses \(such as "atlas-workspace-b"\), or a hostPath/,
    );
  });

  it("a wildcard bind overlaps every address on its port; other ports and disabled labs do not", () => {
    const lab = (l: object): LabConfig => labSchema.parse(l);
    const ws = (volume: string) => ({ workspace: { volume } });
    expect(labsProblems({ a: lab({ bind: "0.0.0.0", exposePublicly: true, ...ws("a") }), b: lab(ws("b")) })).toHaveLength(1);
    expect(labsProblems({ a: lab({ bind: "127.0.0.1", ...ws("a") }), b: lab({ bind: "127.0.0.2", ...ws("b") }) })).toEqual([]);
    expect(labsProblems({ a: lab(ws("a")), b: lab({ port: 8889, ...ws("b") }) })).toEqual([]);
    expect(labsProblems({ a: lab({ enabled: false }), b: lab({}) })).toEqual([]);
    // A host directory may be shared on purpose; only volumes are resources of their own.
    expect(labsProblems({ a: lab({ workspace: { hostPath: "/data" } }), b: lab({ port: 8889, workspace: { hostPath: "/data" } }) })).toEqual([]);
  });
});

describe("labContainerSpec", () => {
  const image = { ref: "localhost:5000/atlas:v0.6-base@sha256:" + "a".repeat(64), uid: 1000, gid: 1000, username: "atlas" };
  const spec = (l: object) => labContainerSpec("main", labSchema.parse(l), image, TOKEN_FILE, "e2e");

  it("describes the whole container", () => {
    expect(spec({ workspace: { volume: "ws" }, memory: 8192, cpus: 2 })).toEqual({
      name: "atlas-e2e-main",
      image: image.ref,
      user: "1000:1000",
      command: ["atlas-lab"],
      env: ["ATLAS_TOKEN_FILE=/run/atlas/jupyter-token", "NVIDIA_DRIVER_CAPABILITIES=compute,utility", "NVIDIA_VISIBLE_DEVICES=all"],
      port: { internal: LAB_PORT, external: 8888, ip: "127.0.0.1", protocol: "tcp" },
      workspace: { type: "volume", source: "ws", target: "/workspace" },
      tokenFile: TOKEN_FILE,
      shmSizeMiB: 2048,
      memoryMiB: 8192,
      cpus: 2,
      capDrop: ["ALL"],
      securityOpts: ["no-new-privileges"],
      init: true,
      healthcheck: { test: ["CMD", "atlas-healthcheck"], intervalSeconds: 10, timeoutSeconds: 10, retries: 3, startPeriodSeconds: 60 },
      restart: "unless-stopped",
      stopGraceSeconds: 60,
      gpu: { all: true },
      labels: { "atlas.stack": "e2e", "atlas.lab": "main", "atlas.tier": "base", "atlas.user": "atlas (1000:1000)" },
    });
  });

  it("refuses a plaintext JUPYTER_TOKEN", () => {
    expect(() => spec({ env: { JUPYTER_TOKEN: "x".repeat(20) } })).toThrow(ConfigError);
  });
});

describe("how a lab's docker provider logs in to pull the tier image", () => {
  const dev = planFromStackFile("dev");
  const login = JSON.stringify({ auths: { "registry.localhost:5000": { auth: "x" } } });

  it("with the stack's user and password when it has them", () => {
    const creds = { address: "registry.localhost:5000", username: "atlas", password: "pw" };
    expect(labRegistryAuth(dev, creds, () => login)).toEqual([{ address: "registry.localhost:5000", username: "atlas", password: "pw" }]);
    // The host's docker config is then not even read.
    const unread = () => {
      throw new Error("read the docker config");
    };
    expect(labRegistryAuth(dev, creds, unread)).toEqual([creds]);
  });

  it("else with the host's docker login for the registry, by a path that is the same on every host", () => {
    expect(labRegistryAuth(dev, undefined, () => login)).toEqual([{ address: "registry.localhost:5000", configFile: "~/.docker/config.json" }]);
  });

  it("not at all for a registry the host has no login for, or a stack that does not push", () => {
    expect(labRegistryAuth(dev, undefined, () => JSON.stringify({ auths: { "ghcr.io": {} } }))).toBeUndefined();
    expect(labRegistryAuth(dev, undefined, () => undefined)).toBeUndefined();
    expect(labRegistryAuth(planFromStackFile("dev", { "atlas:push": false, "atlas:cache": { type: "off" } }), undefined, () => login)).toBeUndefined();
  });

  it("passes the stack's password to the provider as a secret", async () => {
    const run = await runProgram({
      stack: "dev",
      config: { "atlas:jupyter": { labs: { main: {} } }, "atlas:registry": { server: "registry.localhost:5000", repository: "atlas", username: "atlas" } },
      secrets: { "atlas:jupyterToken": SECRET_TOKEN, "atlas:registryPassword": "the-registry-password" },
    });
    // Provider config reaches the engine as JSON text, secret as a whole when any part is.
    const auth = run.one(TYPE.dockerProvider, "lab-main-docker").inputs.registryAuth;
    expect(isSecretInput(auth)).toBe(true);
    expect(JSON.parse(secretValue(auth) as string)).toEqual([{ address: "registry.localhost:5000", username: "atlas", password: "the-registry-password" }]);
  });
});

