import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildxCommand } from "../../src/checks/toolchain";
import {
  BuilderInfo,
  DockerFacts,
  GB_PER_JOB,
  daemonNeededFor,
  evaluateBuilder,
  evaluateDisk,
  evaluateDocker,
  evaluateGpu,
  evaluateMemory,
  evaluateRegistry,
  gpuLabs,
  lightFindings,
  requiredDiskGB,
} from "../../src/checks/precheck";
import { hostHasLogin } from "../../src/core/docker-config";
import { Runner, dockerRegistryCAs, parseBuildxLs, parseChallenge, probeBuilders, probeDocker, probeRegistry, registryUrls } from "../../src/checks/precheck-probes";
import { fullPlan, planFor } from "./check-fixtures";
import { ROOT, useScratchDirs } from "./harness";

const scratch = useScratchDirs();

const remote: BuilderInfo = { name: "atlas", driver: "remote", current: false, status: "running", buildkit: "v0.31.0" };
const dockerDriver: BuilderInfo = { name: "default", driver: "docker", current: true, status: "running", buildkit: "v0.8+unknown" };

describe("Docker daemon", () => {
  it("unreachable fails when the stack needs it, warns when it does not", () => {
    const down: DockerFacts = { reachable: false, error: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" };
    expect(evaluateDocker(down, "JupyterLab lab main")).toMatchObject({ severity: "fail", message: expect.stringMatching(/Cannot connect .*; needed for JupyterLab lab main$/) });
    expect(evaluateDocker(down, undefined).severity).toBe("warn");
  });

  it("reports the version measured, and warns below 20.10", () => {
    expect(evaluateDocker({ reachable: true, serverVersion: "20.10.24+dfsg1", apiVersion: "1.41", rootDir: "/var/lib/docker" }, undefined)).toEqual({
      severity: "pass",
      check: "precheck.docker",
      message: "Docker Engine 20.10.24+dfsg1 (API 1.41) reachable, data root /var/lib/docker",
    });
    expect(evaluateDocker({ reachable: true, serverVersion: "19.03.15", apiVersion: "1.40" }, undefined).severity).toBe("warn");
  });

  it("is needed by labs and by docker-container builders, not by a remote builder", () => {
    const dev = planFor({ jupyter: { labs: { main: { gpus: "all" } } } });
    expect(daemonNeededFor(dev, undefined)).toBe("JupyterLab lab main");
    const remoteOnly = planFor({ build: { builder: "atlas" } });
    expect(daemonNeededFor(remoteOnly, "remote")).toBeUndefined();
    expect(daemonNeededFor(remoteOnly, "docker-container")).toBe("builder atlas (docker-container driver)");
    expect(daemonNeededFor(planFor({}), undefined)).toMatch(/builder the provider creates/);
  });

  it("probeDocker reads the client's JSON, even when the daemon does not answer", async () => {
    const down: Runner = async () => ({ code: 1, stdout: '{"Client":{"Version":"28.2.2"},"Server":null}', stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n" });
    expect(await probeDocker(down)).toEqual({ reachable: false, error: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" });
    const seen: string[][] = [];
    const up: Runner = async (_cmd, args) =>
      seen.push(args) && args[0] === "version"
        ? { code: 0, stdout: '{"Server":{"Version":"20.10.24","ApiVersion":"1.41"}}', stderr: "" }
        : { code: 0, stdout: '{"DockerRootDir":"/var/lib/docker","Runtimes":{"runc":{},"nvidia":{}},"CDISpecDirs":null}', stderr: "" };
    expect(await probeDocker(up)).toEqual({ reachable: true, serverVersion: "20.10.24", apiVersion: "1.41", rootDir: "/var/lib/docker", runtimes: ["runc", "nvidia"], cdiSpecDirs: undefined });
    // `--format json` is a template to Debian's 20.10 client, which then prints "json".
    expect(seen).toEqual([
      ["version", "--format", "{{json .}}"],
      ["info", "--format", "{{json .}}"],
    ]);
    expect(await probeDocker(async () => ({ code: 0, stdout: "json\n", stderr: "" }))).toEqual({ reachable: false, error: "docker version printed no daemon part: json" });
    expect(await probeDocker(async () => ({ code: null, stdout: "", stderr: "", error: "docker not found" }))).toEqual({ reachable: false, error: "docker not found" });
  });
});

describe("BuildKit builder", () => {
  it("parses `buildx ls --format json`", () => {
    const out =
      '{"Current":false,"Driver":"remote","Name":"atlas","Nodes":[{"Status":"running","Version":"v0.0.0+unknown"}]}\n' +
      '{"Current":true,"Driver":"docker","Name":"default","Nodes":[{"Status":"running","Version":"v0.8+unknown"}]}\n';
    expect(parseBuildxLs(out)).toEqual([
      { name: "atlas", driver: "remote", current: false, status: "running", buildkit: "v0.0.0+unknown" },
      { name: "default", driver: "docker", current: true, status: "running", buildkit: "v0.8+unknown" },
    ]);
  });

  it("the configured builder must exist, use a driver the provider has, run and be new enough", () => {
    const facts = { command: "buildx", builders: [remote, dockerDriver] };
    expect(evaluateBuilder(facts, "atlas")).toMatchObject({ severity: "pass", message: "builder atlas (driver remote, status running, BuildKit v0.31.0) is ready" });
    expect(evaluateBuilder(facts, "team-cluster")).toMatchObject({ severity: "fail", message: 'atlas:build.builder is "team-cluster", but `buildx ls` lists: atlas, default' });
    expect(evaluateBuilder(facts, "default")).toMatchObject({ severity: "fail", message: expect.stringMatching(/cannot use the docker driver/) });
    expect(evaluateBuilder({ command: "buildx", builders: [{ ...remote, buildkit: "v0.12.5" }] }, "atlas")).toMatchObject({ severity: "fail", message: expect.stringMatching(/older than 0.13/) });
    expect(evaluateBuilder({ command: "buildx", builders: [{ ...remote, status: "error: dial unix /run/buildkitd.sock: connect: no such file" }] }, "atlas").severity).toBe("fail");
    expect(evaluateBuilder({ command: "buildx", builders: [{ ...remote, driver: "docker-container", status: "inactive" }] }, "atlas").severity).toBe("warn");
  });

  it("without a configured builder, a docker-driver current builder is a warning naming usable ones", () => {
    expect(evaluateBuilder({ command: "buildx", builders: [remote, dockerDriver] }, undefined)).toMatchObject({ severity: "warn", fix: "set atlas:build.builder to one of: atlas" });
    expect(evaluateBuilder({ command: "buildx", builders: [{ ...remote, current: true }] }, undefined).severity).toBe("pass");
    expect(evaluateBuilder({ command: "docker buildx", error: "docker: 'buildx' is not a docker command.", builders: [] }, "atlas")).toMatchObject({ severity: "warn", message: expect.stringMatching(/atlas:build.builder atlas is unverified$/) });
  });

  it("uses the toolchain's buildx when it is there, else `docker buildx`", async () => {
    const dir = scratch(join(tmpdir(), "atlas-toolchain-"));
    expect(buildxCommand({ ATLAS_TOOLCHAIN_DIR: dir })).toEqual({ cmd: "docker", args: ["buildx"] });
    mkdirSync(join(dir, "bin"));
    writeFileSync(join(dir, "bin", "buildx"), "");
    expect(buildxCommand({ ATLAS_TOOLCHAIN_DIR: dir })).toEqual({ cmd: join(dir, "bin", "buildx"), args: [] });
    const seen: string[][] = [];
    const facts = await probeBuilders(async (cmd, args) => (seen.push([cmd, ...args]), { code: 0, stdout: '{"Name":"atlas","Driver":"remote","Nodes":[]}', stderr: "" }), { ATLAS_TOOLCHAIN_DIR: dir });
    expect(seen).toEqual([[join(dir, "bin", "buildx"), "ls", "--format", "json"]]);
    expect(facts.builders.map((b) => b.name)).toEqual(["atlas"]);
  });
});

describe("disk and memory", () => {
  it("needs the top tier's size (materials +1 GB), and wants 1.5x", () => {
    const plan = fullPlan();
    expect(requiredDiskGB(plan)).toBe(38);
    expect(evaluateDisk({ path: "/var/lib/docker", freeGB: 30 }, plan)).toMatchObject({ severity: "fail", message: "30.0 GB free at /var/lib/docker, but the full image is ~38 GB (tiers.ts sizeGB, materials +1 GB)" });
    expect(evaluateDisk({ path: "/var/lib/docker", freeGB: 50 }, plan)).toMatchObject({ severity: "warn", message: expect.stringMatching(/a build wants 1.5x that \(57.0 GB\)$/) });
    expect(evaluateDisk({ path: "/var/lib/docker", freeGB: 80 }, plan).severity).toBe("pass");
    expect(requiredDiskGB(planFor({}))).toBe(22);
  });

  it(`gives each job ${GB_PER_JOB} GB and suggests the MAX_JOBS that fits`, () => {
    expect(evaluateMemory({ totalGB: 16, availableGB: 12 }, 2)).toMatchObject({ severity: "pass", message: "16.0 GB memory (12.0 GB available) for MAX_JOBS=2 at 8 GB per job" });
    expect(evaluateMemory({ totalGB: 12, availableGB: 10 }, 2)).toMatchObject({ severity: "warn", fix: "set atlas:build.maxJobs 1 (MAX_JOBS=1)" });
    expect(evaluateMemory({ totalGB: 6, availableGB: 5 }, 1)).toMatchObject({ severity: "warn", fix: "set atlas:build.maxJobs 1 (MAX_JOBS=1), and prefer a host with 16 GB or more" });
    expect(evaluateMemory({ totalGB: 64, availableGB: 60 }, 4).severity).toBe("pass");
  });

  it("only the memory check is light enough for the program", () => {
    expect(lightFindings(planFor({ build: { maxJobs: 3 } }), { totalGB: 16, availableGB: 16 })).toEqual([
      expect.objectContaining({ severity: "warn", check: "precheck.memory", fix: "set atlas:build.maxJobs 2 (MAX_JOBS=2)" }),
    ]);
  });

  it("the program's checks never load the probes (processes, HTTP)", () => {
    // Every module index.ts reaches through relative imports, walked from the source.
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, spec] of readFileSync(join(ROOT, file), "utf8").matchAll(/from "(\.{1,2}\/[^"]+)"/g)) visit(`${posix.join(posix.dirname(file), spec)}.ts`);
    };
    visit("index.ts");
    expect(seen).toContain("src/checks/precheck.ts");
    expect([...seen].filter((f) => /precheck-probes|resolve/.test(f))).toEqual([]);
  });
});

describe("GPU runtime", () => {
  const labs = gpuLabs(planFor({ jupyter: { labs: { main: { gpus: "all" }, cpu: { gpus: "none", port: 8889 }, off: { enabled: false, port: 8890 } } } }));

  it("only enabled labs that ask for GPUs count", () => {
    expect(labs).toEqual(["main"]);
    expect(evaluateGpu(undefined, [])).toMatchObject({ severity: "pass" });
  });

  it("warns without an NVIDIA runtime and says to set gpus: none", () => {
    const f = evaluateGpu({ runtimes: ["runc"], hook: false, cdi: false }, labs);
    expect(f).toMatchObject({ severity: "warn", message: expect.stringMatching(/^lab main asks for GPUs, but Docker has no NVIDIA runtime \(runtimes: runc;/) });
    expect(f.fix).toContain("set atlas:jupyter.labs.main.gpus none");
    expect(evaluateGpu(undefined, labs).severity).toBe("warn");
    expect(evaluateGpu({ runtimes: ["runc", "nvidia"], hook: false, cdi: false }, labs).severity).toBe("pass");
    expect(evaluateGpu({ runtimes: ["runc"], hook: true, cdi: false }, labs).severity).toBe("pass");
  });
});

describe("registry", () => {
  it("local registries are tried as Docker does: HTTPS unverified, then HTTP", () => {
    expect(registryUrls("localhost:5000")).toEqual([
      { url: "https://localhost:5000", verifyTls: false },
      { url: "http://localhost:5000", verifyTls: false },
    ]);
    expect(registryUrls("127.0.0.1:5000")[1].url).toBe("http://127.0.0.1:5000");
    expect(registryUrls("registry.localhost:5000")[0]).toEqual({ url: "https://registry.localhost:5000", verifyTls: false });
    expect(registryUrls("ghcr.io")).toEqual([{ url: "https://ghcr.io", verifyTls: true }]);
  });

  it("trusts the CAs Docker keeps per registry in certs.d", () => {
    const dir = scratch(join(tmpdir(), "atlas-certs-"));
    mkdirSync(join(dir, "registry.example:5000"));
    writeFileSync(join(dir, "registry.example:5000", "ca.crt"), "-----BEGIN CERTIFICATE-----\n");
    writeFileSync(join(dir, "registry.example:5000", "client.key"), "secret");
    expect(dockerRegistryCAs("registry.example:5000", dir)).toEqual(["-----BEGIN CERTIFICATE-----\n"]);
    expect(dockerRegistryCAs("ghcr.io", dir)).toEqual([]);
  });

  it("parses auth challenges", () => {
    expect(parseChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"')).toEqual({
      scheme: "bearer",
      params: { realm: "https://ghcr.io/token", service: "ghcr.io", scope: "repository:user/image:pull" },
    });
    expect(parseChallenge('Basic realm="atlas-registry"')).toEqual({ scheme: "basic", params: { realm: "atlas-registry" } });
    expect(parseChallenge(undefined)).toBeUndefined();
  });

  it("knows a host login without reading it", () => {
    expect(hostHasLogin('{"auths":{"localhost:5000":{"auth":"x"}}}', "localhost:5000")).toBe(true);
    expect(hostHasLogin('{"credHelpers":{"ghcr.io":"pass"}}', "ghcr.io")).toBe(true);
    expect(hostHasLogin('{"auths":{"localhost:5000":{}}}', "ghcr.io")).toBe(false);
    expect(hostHasLogin("not json", "ghcr.io")).toBe(false);
    expect(hostHasLogin(undefined, "ghcr.io")).toBe(false);
  });

  it("evaluates what was measured: a 401 without credentials is expected, a rejected login fails", () => {
    const base = { url: "https://ghcr.io", hostLogin: false };
    expect(evaluateRegistry({ ...base, status: 200 }, "ghcr.io", undefined).severity).toBe("pass");
    expect(evaluateRegistry({ ...base, status: 401 }, "ghcr.io", "me")).toMatchObject({ severity: "warn", message: expect.stringMatching(/ATLAS_REGISTRY_PASSWORD is not set/) });
    expect(evaluateRegistry({ ...base, status: 401, hostLogin: true }, "ghcr.io", undefined).severity).toBe("pass");
    expect(evaluateRegistry({ ...base, status: 401, auth: { via: "token from https://ghcr.io/token", status: 200 } }, "ghcr.io", "me").severity).toBe("pass");
    expect(evaluateRegistry({ ...base, status: 401, auth: { via: "token from https://ghcr.io/token", status: 403 } }, "ghcr.io", "me")).toMatchObject({
      severity: "fail",
      message: "registry ghcr.io rejects me's credentials: token from https://ghcr.io/token → HTTP 403",
    });
    expect(evaluateRegistry({ ...base, status: 404 }, "ghcr.io", "me").severity).toBe("fail");
    expect(evaluateRegistry({ ...base, error: "ENOTFOUND (getaddrinfo ENOTFOUND ghcr.io)" }, "ghcr.io", "me")).toMatchObject({ severity: "fail", message: "registry ghcr.io not reachable at https://ghcr.io/v2/: ENOTFOUND (getaddrinfo ENOTFOUND ghcr.io)" });
  });

  describe("probes a registry on this host", () => {
    let server: Server;
    let address: string;
    const requests: string[] = [];
    const good = `Basic ${Buffer.from("me:s3cret").toString("base64")}`;
    beforeAll(async () => {
      server = createServer((req: IncomingMessage, res: ServerResponse) => {
        requests.push(`${req.url} ${req.headers.authorization ?? "-"}`);
        const url = new URL(req.url ?? "/", "http://x");
        if (url.pathname === "/token") {
          res.writeHead(req.headers.authorization === good && url.searchParams.get("scope") === "repository:owner/atlas:pull,push" ? 200 : 401).end("{}");
        } else if (url.pathname === "/v2/") {
          const bearer = req.headers.host?.startsWith("localhost");
          if (req.headers.authorization === good && !bearer) return void res.writeHead(200).end("{}");
          res.writeHead(401, { "www-authenticate": bearer ? `Bearer realm="http://${req.headers.host}/token",service="test"` : 'Basic realm="atlas-registry"' }).end();
        } else {
          res.writeHead(404).end();
        }
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it("basic auth against /v2/, after falling back from HTTPS to HTTP", async () => {
      const anon = await probeRegistry(address, "owner/atlas", undefined, undefined);
      expect(anon).toEqual({ url: `http://${address}`, status: 401, error: undefined, hostLogin: false });
      expect((await probeRegistry(address, "owner/atlas", { username: "me", password: "s3cret" }, undefined)).auth).toEqual({ via: `basic auth on http://${address}/v2/`, status: 200, error: undefined });
      expect((await probeRegistry(address, "owner/atlas", { username: "me", password: "wrong" }, undefined)).auth?.status).toBe(401);
    });

    it("a push token from the Bearer realm, as ghcr.io and Docker Hub ask", async () => {
      const port = address.split(":")[1];
      const facts = await probeRegistry(`localhost:${port}`, "owner/atlas", { username: "me", password: "s3cret" }, '{"auths":{}}');
      expect(facts.auth).toEqual({ via: `token from http://localhost:${port}/token`, status: 200, error: undefined });
      expect(requests).toContain(`/token?scope=repository%3Aowner%2Fatlas%3Apull%2Cpush&service=test ${good}`);
    });

    it("a closed port is a failure naming the address", async () => {
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const facts = await probeRegistry(`127.0.0.1:${port}`, "owner/atlas", undefined, undefined);
      expect(evaluateRegistry(facts, `127.0.0.1:${port}`, undefined)).toMatchObject({ severity: "fail", message: expect.stringMatching(new RegExp(`^registry 127.0.0.1:${port} not reachable at http://127.0.0.1:${port}/v2/: ECONNREFUSED`)) });
    });
  });
});

describe("realmTarget: where registry credentials may go", () => {
  it("accepts https realms and the registry's own host, refuses plain http elsewhere", async () => {
    const { realmTarget } = await import("../../src/checks/precheck-probes");
    expect(realmTarget("https://ghcr.io/token", "https://ghcr.io")).toEqual({ sameHost: true });
    expect(realmTarget("https://auth.example/token", "https://registry.example")).toEqual({ sameHost: false });
    expect(realmTarget("http://registry.localhost:5000/token", "https://registry.localhost:5000")).toEqual({ sameHost: true });
    expect(realmTarget("http://evil.example/token", "https://registry.example")).toMatch(/refused to send credentials to http:\/\/evil\.example: a token realm on another host must be https/);
    expect(realmTarget("not a url", "https://registry.example")).toMatch(/is not a URL/);
  });
});
