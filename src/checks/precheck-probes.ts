/**
 * The guide's pre-check.sh, the measuring half: docker, buildx, statfs, the
 * GPU runtime and the registry over HTTP, each probe never throwing; then
 * runPrecheck judges what they measured (precheck.ts). `npm run pre-check`
 * runs it; the program does not load this module.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statfsSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as tls from "node:tls";
import { delimiter, join } from "node:path";
import { hostHasLogin, readDockerConfig } from "../core/docker-config";
import { StackPlan } from "../core/plan";
import { Finding, findingsCommand } from "./findings";
import { BuilderFacts, BuilderInfo, DiskFacts, DockerFacts, GB, GpuFacts, RegistryFacts, daemonNeededFor, evaluateBuilder, evaluateDisk, evaluateDocker, evaluateGpu, evaluateRegistry, gpuLabs, lightFindings } from "./precheck";
import { buildxCommand } from "./toolchain";

export const COMMAND_TIMEOUT_MS = 15_000;
export const HTTP_TIMEOUT_MS = 5_000;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

export type Runner = (cmd: string, args: string[]) => Promise<RunResult>;

/** Runs a command with a timeout; never throws. */
export const runCommand: Runner = (cmd, args) =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
      resolve({
        code: e ? (typeof e.code === "number" ? e.code : null) : 0,
        stdout,
        stderr,
        error: e?.code === "ENOENT" ? `${cmd} not found` : e?.killed ? `timed out after ${COMMAND_TIMEOUT_MS / 1000} s` : undefined,
      });
    });
  });

/** The last non-empty line: where a command's error usually is. */
function lastLine(s: string): string {
  return s.trim().split("\n").filter(Boolean).pop() ?? "";
}

/** JSON output of a command, or undefined when it printed none. */
function jsonOf<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

const JSON_TEMPLATE = "{{json .}}";

export async function probeDocker(run: Runner = runCommand): Promise<DockerFacts> {
  // `{{json .}}`, not `json`: Debian's 20.10 client prints the word "json" for that.
  const v = await run("docker", ["version", "--format", JSON_TEMPLATE]);
  if (v.error) return { reachable: false, error: v.error };
  // The client prints its half as JSON even when the daemon does not answer; Server is null then.
  const server = jsonOf<{ Server?: { Version?: string; ApiVersion?: string } | null }>(v.stdout)?.Server;
  if (!server) {
    const said = lastLine(v.stderr) || (v.stdout.trim() ? `docker version printed no daemon part: ${lastLine(v.stdout)}` : "");
    return { reachable: false, error: said || `docker version exited ${v.code}` };
  }
  const info = await run("docker", ["info", "--format", JSON_TEMPLATE]);
  const parsed = jsonOf<{ DockerRootDir?: string; Runtimes?: Record<string, unknown>; CDISpecDirs?: string[] | null }>(info.stdout) ?? {};
  return {
    reachable: true,
    serverVersion: server.Version,
    apiVersion: server.ApiVersion,
    rootDir: parsed.DockerRootDir,
    runtimes: Object.keys(parsed.Runtimes ?? {}),
    cdiSpecDirs: parsed.CDISpecDirs ?? undefined,
  };
}

/** `buildx ls --format json` prints one JSON object per builder and line. */
export function parseBuildxLs(stdout: string): BuilderInfo[] {
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("{"))
    .map((l) => {
      const b = JSON.parse(l) as { Name: string; Driver: string; Current?: boolean; Nodes?: { Status?: string; Version?: string }[] };
      return { name: b.Name, driver: b.Driver, current: !!b.Current, status: b.Nodes?.[0]?.Status, buildkit: b.Nodes?.[0]?.Version };
    });
}

export async function probeBuilders(run: Runner = runCommand, env: NodeJS.ProcessEnv = process.env): Promise<BuilderFacts> {
  const { cmd, args } = buildxCommand(env);
  const command = [cmd, ...args].join(" ");
  const r = await run(cmd, [...args, "ls", "--format", "json"]);
  if (r.error || r.code !== 0) return { command, error: r.error ?? (lastLine(r.stderr) || `exited ${r.code}`), builders: [] };
  try {
    return { command, builders: parseBuildxLs(r.stdout) };
  } catch (err) {
    return { command, error: `unreadable output (${(err as Error).message})`, builders: [] };
  }
}

/** Free space where images land: Docker's data root when it is on this host, else the project dir. */
export function probeDisk(path: string): DiskFacts {
  const s = statfsSync(path);
  return { path, freeGB: (s.bavail * s.bsize) / GB };
}

export function probeGpu(docker: DockerFacts, env: NodeJS.ProcessEnv = process.env): GpuFacts {
  const hook = (env.PATH ?? "").split(delimiter).some((d) => d && existsSync(join(d, "nvidia-container-runtime-hook")));
  const cdiDirs = docker.cdiSpecDirs ?? ["/etc/cdi", "/var/run/cdi"];
  const cdi = cdiDirs.some((d) => {
    try {
      return readdirSync(d).some((f) => f.toLowerCase().includes("nvidia"));
    } catch {
      return false;
    }
  });
  return { runtimes: docker.runtimes ?? [], hook, cdi };
}

/**
 * Registries on this host (localhost, *.localhost, 127.0.0.0/8) are what
 * Docker treats as insecure: HTTPS without certificate verification first,
 * then plain HTTP. Any other registry is HTTPS with a verified certificate.
 */
export function registryUrls(server: string): { url: string; verifyTls: boolean }[] {
  const host = server.replace(/:\d+$/, "");
  const local = host === "localhost" || host.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(host);
  return local
    ? [
        { url: `https://${server}`, verifyTls: false },
        { url: `http://${server}`, verifyTls: false },
      ]
    : [{ url: `https://${server}`, verifyTls: true }];
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="https://ghcr.io/token",service="ghcr.io"` → scheme and params. */
export function parseChallenge(header: string | null | undefined): Challenge | undefined {
  const m = /^\s*(\w+)\s*(.*)$/.exec(header ?? "");
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/(\w+)="([^"]*)"/g)) params[p[1].toLowerCase()] = p[2];
  return { scheme: m[1].toLowerCase(), params };
}

function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

interface HttpAnswer {
  status?: number;
  challenge?: string;
  error?: string;
}

/**
 * CAs Docker trusts for one registry: /etc/docker/certs.d/<server>/*.crt,
 * added to the system's, as the daemon does.
 */
export function dockerRegistryCAs(server: string, certsDir = "/etc/docker/certs.d"): string[] {
  try {
    const dir = join(certsDir, server);
    return readdirSync(dir)
      .filter((f) => f.endsWith(".crt"))
      .map((f) => readFileSync(join(dir, f), "utf8"));
  } catch {
    return [];
  }
}

/** One GET with a timeout; never throws. node:http(s) rather than fetch, for per-registry CAs and local registries. */
export function httpGet(url: string, headers: Record<string, string> = {}, verifyTls = true, extraCAs: string[] = []): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const mod = url.startsWith("https:") ? https : http;
    const ca = extraCAs.length ? [...tls.rootCertificates, ...extraCAs] : undefined;
    const req = mod.get(url, { headers, timeout: HTTP_TIMEOUT_MS, rejectUnauthorized: verifyTls, ca }, (res) => {
      res.resume();
      const challenge = res.headers["www-authenticate"];
      resolve({ status: res.statusCode, challenge: Array.isArray(challenge) ? challenge[0] : challenge });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${HTTP_TIMEOUT_MS / 1000} s`)));
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ? `${err.code} (${err.message})` : err.message }));
  });
}

/**
 * GET /v2/, then, on a 401 and with credentials, the login the challenge asks
 * for: basic auth on /v2/, or a push token from the Bearer realm (ghcr.io,
 * Docker Hub), which is what a push does first.
 */
export async function probeRegistry(
  server: string,
  repository: string,
  credentials: { username: string; password: string } | undefined,
  dockerConfig: string | undefined,
): Promise<RegistryFacts> {
  const cas = dockerRegistryCAs(server);
  let anon: HttpAnswer = {};
  let url = "";
  let verifyTls = true;
  for (const candidate of registryUrls(server)) {
    ({ url, verifyTls } = candidate);
    anon = await httpGet(`${url}/v2/`, {}, verifyTls, cas);
    // An HTTPS client talking to a plain-HTTP registry gets a protocol error, a plain one gets HTTP 400.
    if (!anon.error && anon.status !== 400) break;
  }
  const facts: RegistryFacts = { url, status: anon.status, error: anon.error, hostLogin: hostHasLogin(dockerConfig, server) };
  if (anon.status !== 401 || !credentials) return facts;
  const auth = basicAuth(credentials.username, credentials.password);
  const challenge = parseChallenge(anon.challenge);
  if (challenge?.scheme === "bearer" && challenge.params.realm) {
    const q = new URLSearchParams({ scope: `repository:${repository}:pull,push` });
    if (challenge.params.service) q.set("service", challenge.params.service);
    const realm = realmTarget(challenge.params.realm, url);
    if (typeof realm === "string") {
      facts.auth = { via: `token from ${challenge.params.realm}`, error: realm };
      return facts;
    }
    // The relaxed TLS of a registry on this host never extends to another host.
    const r = await httpGet(`${challenge.params.realm}?${q}`, { authorization: auth }, realm.sameHost ? verifyTls : true, cas);
    facts.auth = { via: `token from ${challenge.params.realm}`, status: r.status, error: r.error };
  } else {
    const r = await httpGet(`${url}/v2/`, { authorization: auth }, verifyTls, cas);
    facts.auth = { via: `basic auth on ${url}/v2/`, status: r.status, error: r.error };
  }
  return facts;
}

/**
 * Where a Bearer challenge may send the registry credentials: over https, or
 * to the registry's own host. Anything else is refused (a string says why).
 */
export function realmTarget(realm: string, registryUrl: string): { sameHost: boolean } | string {
  let target: URL;
  try {
    target = new URL(realm);
  } catch {
    return `refused to send credentials: the token realm ${JSON.stringify(realm)} is not a URL`;
  }
  const sameHost = target.host === new URL(registryUrl).host;
  if (target.protocol !== "https:" && !sameHost) {
    return `refused to send credentials to ${target.origin}: a token realm on another host must be https`;
  }
  return { sameHost };
}

/** Every host check for a stack. The registry password comes from env, never from the stack file. */
export async function runPrecheck(root: string, plan: StackPlan, env: NodeJS.ProcessEnv = process.env, run: Runner = runCommand): Promise<Finding[]> {
  const [docker, builders] = await Promise.all([probeDocker(run), probeBuilders(run, env)]);
  const builder = builders.builders.find((b) => b.name === plan.builder);
  const findings: Finding[] = [evaluateDocker(docker, daemonNeededFor(plan, builder?.driver)), evaluateBuilder(builders, plan.builder)];
  const diskPath = docker.rootDir && existsSync(docker.rootDir) ? docker.rootDir : root;
  findings.push(evaluateDisk(probeDisk(diskPath), plan));
  findings.push(...lightFindings(plan));
  findings.push(evaluateGpu(docker.reachable ? probeGpu(docker, env) : undefined, gpuLabs(plan)));
  if (plan.registry && (plan.push || plan.cacheType === "registry")) {
    const { server, repository, username } = plan.registry;
    const password = env.ATLAS_REGISTRY_PASSWORD;
    const facts = await probeRegistry(server, repository, username && password ? { username, password } : undefined, readDockerConfig(env));
    findings.push(evaluateRegistry(facts, server, username));
  } else {
    findings.push({ severity: "pass", check: "precheck.registry", message: "the stack neither pushes nor uses a registry cache" });
  }
  return findings;
}

/**
 * `npm run pre-check -- [stack]`: every host check against what the stack
 * needs. The registry password comes from ATLAS_REGISTRY_PASSWORD, never from
 * the stack file.
 */
export const precheckCommand = findingsCommand("precheck", "usage: npm run pre-check -- [stack]", (root, plan) => runPrecheck(root, plan), (plan) =>
  `builder ${plan.builder ?? "(current)"}, registry ${plan.registry?.server ?? "(none)"}`,
);
