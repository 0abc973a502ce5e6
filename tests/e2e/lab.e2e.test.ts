/**
 * JupyterLab through the engine: `pulumi up` creates the lab with the real
 * docker provider on the stack's own tier-0 image, `preview`/`up` change or
 * replace it as the README says, `refresh` notices it gone, and `destroy`
 * takes the container down while the workspace and the image stay.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "./owned-services";
import { TempProject, upOrExplain } from "./stack";
import { REGISTRY, Toolchain, e2eSkipped, loadToolchain, onToolchain } from "./toolchain";
import { TYPE } from "../resource-types";

const run = promisify(execFile);
const skipped = e2eSkipped();

// The atlas suite's uid and gid: the same tier-0 build, so BuildKit's cache serves it.
const UID = 1234;
const GID = 2345;
const NOTEBOOK = "kept.ipynb";

interface Inspect {
  Id: string;
  Image: string;
  State: { Pid: number; Health?: { Status: string } };
  Config: { User: string; Env: string[] };
  HostConfig: { CapDrop: string[]; SecurityOpt: string[]; Memory: number; PortBindings: Record<string, { HostIp: string; HostPort: string }[]> };
}

async function inspect(container: string): Promise<Inspect | undefined> {
  try {
    return (JSON.parse((await run("docker", ["inspect", container])).stdout) as Inspect[])[0];
  } catch {
    return undefined;
  }
}

describe.skipIf(skipped)("JupyterLab under pulumi up, refresh and destroy with the real docker provider", () => {
  const project = new TempProject();
  const stackName = `lab-${project.id}`;
  const repository = `lab-${project.id}/atlas`;
  const volume = `atlas-lab-e2e-${project.id}`;
  const container = `atlas-${stackName}-main`;
  let stack: Stack;
  let tc: Toolchain;
  let port: number;
  let lab: Record<string, unknown>;
  let url: URL;
  let token: string;
  let baseDigest: string;

  function configure(overrides: Record<string, unknown> = {}): void {
    lab = { ...lab, ...overrides };
    project.writeConfig(stackName, {
      "atlas:tier": "base",
      ...onToolchain(tc, { repository, build: { uid: UID, gid: GID } }),
      "atlas:jupyter": { labs: { main: lab } },
    });
  }

  async function up(): Promise<{ output: string; changes: Record<string, number> }> {
    let output = "";
    const result = await upOrExplain(stack, (o) => (output += o));
    const outputs = result.outputs;
    url = new URL(outputs.jupyterUrl.value as string);
    token = url.searchParams.get("token")!;
    baseDigest = (outputs.tiers.value as Record<string, { digest: string }>).base.digest;
    return { output, changes: (result.summary.resourceChanges ?? {}) as Record<string, number> };
  }

  const api = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${url.origin}${path}`, { ...init, headers: { ...(init.token ? { Authorization: `token ${init.token}` } : {}), "Content-Type": "application/json" } });

  beforeAll(async () => {
    tc = loadToolchain();
    port = await freePort();
    lab = { tier: "base", gpus: "none", port, memory: 1024, cpus: 1, workspace: { volume } };
    stack = await project.stack(stackName);
    await stack.setConfig("atlas:registryPassword", { value: tc.registryPassword, secret: true });
    configure();
  });

  afterAll(async () => {
    await stack?.destroy({ color: "never" }).catch(() => undefined);
    await run("docker", ["rm", "--force", container]).catch(() => undefined);
    await run("docker", ["volume", "rm", "--force", volume]).catch(() => undefined);
    if (!process.env.ATLAS_E2E_KEEP) project.remove();
  });

  it("the docker plugin's schema matches the names and types the @pulumi/docker SDK sends", async () => {
    const root = join(__dirname, "..", "..");
    const { stdout } = await run(join(root, "node_modules/.bin/ts-node"), ["--transpile-only", "tools/docker/check-schema.ts"], { cwd: root });
    expect(stdout).toMatch(/difference\(s\), 0 unexpected/);
  });

  it("up runs the lab on the stack's own tier-0 image: non-root, no capabilities, no new privileges, on 127.0.0.1, healthy", async () => {
    await up();
    const c = (await inspect(container))!;
    expect(c, `container ${container}`).toBeDefined();
    const { stdout: repoDigests } = await run("docker", ["image", "inspect", "--format", "{{json .RepoDigests}}", c.Image]);
    expect(JSON.parse(repoDigests)).toContain(`${REGISTRY}/${repository}@${baseDigest}`);
    expect(c.Config.User).toBe(`${UID}:${GID}`);
    expect(c.HostConfig.CapDrop).toEqual(["ALL"]);
    expect(c.HostConfig.SecurityOpt).toEqual(["no-new-privileges"]);
    expect(c.HostConfig.PortBindings["8888/tcp"]).toEqual([{ HostIp: "127.0.0.1", HostPort: String(port) }]);
    expect(c.State.Health?.Status).toBe("healthy");
    // The server process itself, as the kernel sees it.
    const status = readFileSync(`/proc/${c.State.Pid}/status`, "utf8");
    expect(status).toMatch(new RegExp(`^Uid:\\s+${UID}\\s`, "m"));
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(url.hostname).toBe("127.0.0.1");
    expect(url.port).toBe(String(port));
  });

  it("the API answers 403 without the token and 200 with the token from jupyterUrl, which no inspect or command line shows", async () => {
    for (const path of ["/api/status", "/api/contents", "/api/kernels"]) {
      expect((await api(path)).status, `${path} without a token`).toBe(403);
      expect((await api(path, { token: "wrong" })).status, `${path} with a wrong token`).toBe(403);
      expect((await api(path, { token })).status, `${path} with the token`).toBe(200);
    }
    const c = (await inspect(container))!;
    expect(JSON.stringify(c)).not.toContain(token);
    expect(readFileSync(`/proc/${c.State.Pid}/cmdline`, "utf8")).not.toContain(token);
  });

  it("a second up changes nothing: no perpetual diff in the container's settings", async () => {
    const { changes } = await up();
    expect(Object.keys(changes).filter((op) => op !== "same"), JSON.stringify(changes)).toEqual([]);
  });

  it("a notebook written through the API lands in the workspace volume", async () => {
    const put = await api(`/api/contents/${NOTEBOOK}`, {
      method: "PUT",
      token,
      body: JSON.stringify({ type: "notebook", content: { cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 } }),
    });
    expect(put.status).toBe(201);
    const { stdout } = await run("docker", ["volume", "inspect", "--format", "{{.Mountpoint}}", volume]);
    expect(readFileSync(join(stdout.trim(), NOTEBOOK), "utf8")).toContain('"nbformat": 4');
  });

  it("memory changes in place (same container); a new port replaces the container, delete first", async () => {
    const before = (await inspect(container))!.Id;
    configure({ memory: 1536 });
    const updated = await up();
    expect(updated.changes).toMatchObject({ update: 1 });
    const same = (await inspect(container))!;
    expect(same.Id).toBe(before);
    expect(same.HostConfig.Memory).toBe(1536 * 1024 * 1024);

    const newPort = await freePort();
    configure({ port: newPort });
    const replaced = await up();
    expect(replaced.changes).toMatchObject({ replace: 1 });
    const fresh = (await inspect(container))!;
    expect(fresh.Id).not.toBe(before);
    expect(url.port).toBe(String(newPort));
    expect((await api(`/api/contents/${NOTEBOOK}`, { token })).status, "the notebook is still there").toBe(200);
  });

  it("refresh notices a container removed out of band, and the next up recreates it", async () => {
    await run("docker", ["rm", "--force", container]);
    let output = "";
    await stack.refresh({ color: "never", onOutput: (o) => (output += o) });
    expect(output).toMatch(/Container lab-main-container +deleted/);
    const state = await stack.exportStack();
    expect(state.deployment.resources.filter((r: { type: string }) => r.type === TYPE.container)).toEqual([]);
    const { changes } = await up();
    expect(changes).toMatchObject({ create: 1 });
    expect((await inspect(container))?.State.Health?.Status).toBe("healthy");
    expect((await api(`/api/contents/${NOTEBOOK}`, { token })).status).toBe(200);
  });

  it("destroy removes the container; the workspace volume with its notebook and the pulled image stay", async () => {
    const image = (await inspect(container))!.Image;
    const result = await stack.destroy({ color: "never" });
    expect(result.summary.result).toBe("succeeded");
    expect(await inspect(container)).toBeUndefined();
    const { stdout } = await run("docker", ["volume", "inspect", "--format", "{{.Mountpoint}}", volume]);
    expect(readFileSync(join(stdout.trim(), NOTEBOOK), "utf8")).toContain('"nbformat": 4');
    await expect(run("docker", ["image", "inspect", image])).resolves.toBeDefined();
  });

  it("an up after destroy brings the lab back on the same workspace: the notebook is there", async () => {
    await up();
    expect((await inspect(container))?.State.Health?.Status).toBe("healthy");
    const got = await api(`/api/contents/${NOTEBOOK}`, { token });
    expect(got.status).toBe(200);
    expect(((await got.json()) as { type: string }).type).toBe("notebook");
  });
});
