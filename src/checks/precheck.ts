/**
 * The guide's pre-check.sh, the judging half: is this host ready to build the
 * stack? Pure evaluate* functions turn measured facts into findings; the
 * measuring is in precheck-probes.ts (docker, buildx, statfs, HTTP). Only
 * lightFindings runs inside the program, so the program never loads the
 * process and network modules the probes need.
 */
import { freemem, totalmem } from "node:os";
import { StackPlan } from "../core/plan";
import { Finding } from "./findings";

// ------------------------------------------------------------------ thresholds

/**
 * Memory per compile job. The guide builds with MAX_JOBS=2 on 16 GB and says
 * MAX_JOBS=1 when that still runs out, so a job gets 8 GB.
 */
export const GB_PER_JOB = 8;
/**
 * Free disk wanted, as a multiple of the largest image. Tiers share layers, so
 * the top tier's size is the floor; while a layer is committed its snapshot and
 * the unpacked wheels exist twice, hence the margin.
 */
export const DISK_MARGIN = 1.5;
/** Oldest Engine whose API the docker provider (labs) and buildx's docker driver support well. */
export const MIN_ENGINE_VERSION = [20, 10] as const;
/** The Dockerfile's `--mount=type=secret,env=` needs BuildKit's built-in frontend from 0.13. */
export const MIN_BUILDKIT_VERSION = [0, 13] as const;
/** Drivers the docker-build provider has compiled in; the classic `docker` driver is not one. */
export const PROVIDER_DRIVERS = ["docker-container", "remote", "kubernetes"];

/** Bytes in a GB, as the facts count them. */
export const GB = 1024 ** 3;

function fmt(gb: number): string {
  return `${gb.toFixed(1)} GB`;
}

/** "20.10.24+dfsg1" → [20, 10]; undefined when there are no numbers. */
export function majorMinor(version: string | undefined): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version ?? "");
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function older(v: readonly [number, number], min: readonly [number, number]): boolean {
  return v[0] < min[0] || (v[0] === min[0] && v[1] < min[1]);
}

// ---------------------------------------------------------------------- docker

export interface DockerFacts {
  reachable: boolean;
  /** Why not, as the client said it. */
  error?: string;
  serverVersion?: string;
  apiVersion?: string;
  rootDir?: string;
  runtimes?: string[];
  cdiSpecDirs?: string[];
}

/**
 * What needs the Docker daemon in this stack, or undefined when nothing does:
 * the labs run as containers, and a builder of the docker-container driver
 * (or none, when the provider creates one) runs BuildKit in a container.
 */
export function daemonNeededFor(plan: StackPlan, builderDriver: string | undefined): string | undefined {
  const labs = Object.entries(plan.labs).filter(([, l]) => l.enabled).map(([n]) => n);
  if (labs.length) return `JupyterLab lab${labs.length > 1 ? "s" : ""} ${labs.join(", ")}`;
  if (!plan.builder) return "the builder the provider creates when atlas:build.builder is unset (docker-container driver)";
  if (builderDriver === "docker-container") return `builder ${plan.builder} (docker-container driver)`;
  return undefined;
}

export function evaluateDocker(f: DockerFacts, neededFor: string | undefined): Finding {
  if (!f.reachable) {
    return {
      severity: neededFor ? "fail" : "warn",
      check: "precheck.docker",
      message: `Docker daemon not reachable: ${f.error ?? "no answer"}${neededFor ? `; needed for ${neededFor}` : "; this stack's builder does not need it"}`,
      fix: "start dockerd (scripts/toolchain-up.sh here), or point DOCKER_HOST at a running daemon",
    };
  }
  const v = majorMinor(f.serverVersion);
  if (v && older(v, MIN_ENGINE_VERSION)) {
    return {
      severity: "warn",
      check: "precheck.docker",
      message: `Docker Engine ${f.serverVersion} (API ${f.apiVersion ?? "?"}) is older than ${MIN_ENGINE_VERSION.join(".")}`,
      fix: `upgrade Docker Engine to ${MIN_ENGINE_VERSION.join(".")} or later`,
    };
  }
  return { severity: "pass", check: "precheck.docker", message: `Docker Engine ${f.serverVersion ?? "(unknown version)"} (API ${f.apiVersion ?? "?"}) reachable, data root ${f.rootDir ?? "(unknown)"}` };
}

// -------------------------------------------------------------------- builders

export interface BuilderInfo {
  name: string;
  driver: string;
  current: boolean;
  /** Status of the first node ("running", "inactive", or an error). */
  status?: string;
  /** BuildKit version of the first node, as buildx reports it ("v0.31.0"). */
  buildkit?: string;
}

export interface BuilderFacts {
  /** The buildx command used, for messages. */
  command: string;
  error?: string;
  builders: BuilderInfo[];
}

function builderState(b: BuilderInfo): Finding {
  const at = `builder ${b.name} (driver ${b.driver}, status ${b.status ?? "unknown"}, BuildKit ${b.buildkit ?? "unknown"})`;
  if (!PROVIDER_DRIVERS.includes(b.driver)) {
    return { severity: "fail", check: "precheck.builder", message: `${at}: the docker-build provider cannot use the ${b.driver} driver; accepted: ${PROVIDER_DRIVERS.join(", ")}`, fix: `create one: buildx create --name ${b.name}-bk --driver docker-container (or --driver remote <buildkitd address>) and set atlas:build.builder to it` };
  }
  const v = majorMinor(b.buildkit);
  // Builds from source report v0.0.0+unknown: no version to hold against the minimum.
  if (v && !(v[0] === 0 && v[1] === 0) && older(v, MIN_BUILDKIT_VERSION)) {
    return { severity: "fail", check: "precheck.builder", message: `${at}: BuildKit older than ${MIN_BUILDKIT_VERSION.join(".")} lacks --mount=type=secret,env=, which docker/Dockerfile uses`, fix: `upgrade the builder's BuildKit to ${MIN_BUILDKIT_VERSION.join(".")} or later` };
  }
  if (b.status === "running") return { severity: "pass", check: "precheck.builder", message: `${at} is ready` };
  if (b.status === "inactive" || b.status === "stopped") {
    return { severity: "warn", check: "precheck.builder", message: `${at} is not running; a docker-container builder boots on the first build, a remote one does not`, fix: `buildx inspect --bootstrap ${b.name}` };
  }
  return { severity: "fail", check: "precheck.builder", message: `${at} does not answer`, fix: `check its BuildKit daemon (buildx inspect ${b.name}); for the local toolchain: scripts/toolchain-up.sh` };
}

/** The builder of atlas:build.builder must exist and work; without one, the current builder is judged. */
export function evaluateBuilder(f: BuilderFacts, wanted: string | undefined): Finding {
  if (f.error) {
    return {
      severity: "warn",
      check: "precheck.builder",
      message: `cannot list BuildKit builders with \`${f.command} ls\`: ${f.error}${wanted ? `; atlas:build.builder ${wanted} is unverified` : ""}`,
      fix: "install buildx (scripts/build-tools.sh builds it into $ATLAS_TOOLCHAIN_DIR/bin) or the docker buildx plugin",
    };
  }
  const names = f.builders.map((b) => b.name).join(", ") || "(none)";
  if (wanted) {
    const b = f.builders.find((x) => x.name === wanted);
    if (!b) {
      return { severity: "fail", check: "precheck.builder", message: `atlas:build.builder is ${JSON.stringify(wanted)}, but \`${f.command} ls\` lists: ${names}`, fix: `create it (buildx create --name ${wanted} --driver remote unix:///path/to/buildkitd.sock, or --driver docker-container), or set atlas:build.builder to one of: ${names}` };
    }
    return builderState(b);
  }
  const current = f.builders.find((b) => b.current);
  if (current && PROVIDER_DRIVERS.includes(current.driver)) return builderState(current);
  const usable = f.builders.filter((b) => PROVIDER_DRIVERS.includes(b.driver)).map((b) => b.name);
  return {
    severity: "warn",
    check: "precheck.builder",
    message: `atlas:build.builder is unset and the current builder ${current ? `${current.name} uses the ${current.driver} driver` : "is unknown"}; the provider will create a docker-container builder, which pulls moby/buildkit (impossible offline)`,
    fix: usable.length ? `set atlas:build.builder to one of: ${usable.join(", ")}` : "create a builder (buildx create --name atlas --driver remote unix:///path/to/buildkitd.sock) and set atlas:build.builder",
  };
}

// ------------------------------------------------------------------------ disk

export interface DiskFacts {
  path: string;
  freeGB: number;
}

/** Tiers share layers: the top tier's image (materials included) is the size that lands on disk. */
export function requiredDiskGB(plan: StackPlan): number {
  return Math.max(0, ...plan.tiers.map((t) => t.sizeGB));
}

export function evaluateDisk(f: DiskFacts, plan: StackPlan): Finding {
  const need = requiredDiskGB(plan);
  const want = need * DISK_MARGIN;
  const top = plan.tiers[plan.tiers.length - 1];
  const what = `the ${top?.tier ?? "top"} image is ~${need} GB (tiers.ts sizeGB${plan.materials ? ", materials +1 GB" : ""})`;
  const fix = "free space (docker system prune -a; buildx prune for the builder's cache) or move Docker's data root to a larger disk";
  if (f.freeGB < need) return { severity: "fail", check: "precheck.disk", message: `${fmt(f.freeGB)} free at ${f.path}, but ${what}`, fix };
  if (f.freeGB < want) return { severity: "warn", check: "precheck.disk", message: `${fmt(f.freeGB)} free at ${f.path}; ${what} and a build wants ${DISK_MARGIN}x that (${fmt(want)})`, fix };
  return { severity: "pass", check: "precheck.disk", message: `${fmt(f.freeGB)} free at ${f.path}; ${what}, ${DISK_MARGIN}x = ${fmt(want)} wanted` };
}

// ---------------------------------------------------------------------- memory

export interface MemoryFacts {
  totalGB: number;
  availableGB: number;
}

export function evaluateMemory(f: MemoryFacts, maxJobs: number): Finding {
  const fits = Math.floor(f.totalGB / GB_PER_JOB);
  const measured = `${fmt(f.totalGB)} memory (${fmt(f.availableGB)} available) for MAX_JOBS=${maxJobs} at ${GB_PER_JOB} GB per job`;
  if (maxJobs <= fits) return { severity: "pass", check: "precheck.memory", message: measured };
  const suggest = Math.max(1, fits);
  return {
    severity: "warn",
    check: "precheck.memory",
    message: `${measured}: compiling wheels from source may run out of memory${fits < 1 ? "; even one job is tight (the guide plans 16 GB for MAX_JOBS=2)" : ""}`,
    fix: `set atlas:build.maxJobs ${suggest} (MAX_JOBS=${suggest})${fits < 1 ? ", and prefer a host with 16 GB or more" : ""}`,
  };
}

// ------------------------------------------------------------------------- GPU

export interface GpuFacts {
  runtimes: string[];
  /** nvidia-container-runtime-hook on PATH: what `docker run --gpus` calls. */
  hook: boolean;
  /** A CDI spec for NVIDIA devices (Docker 25+ can use CDI instead of the hook). */
  cdi: boolean;
}

/** Enabled labs that ask for GPUs. */
export function gpuLabs(plan: StackPlan): string[] {
  return Object.entries(plan.labs)
    .filter(([, l]) => l.enabled && l.gpus !== "none")
    .map(([n]) => n);
}

/** What lets Docker give a container GPUs here, by name; empty when nothing does. */
export function gpuSupport(f: GpuFacts): string[] {
  return [f.runtimes.includes("nvidia") && "nvidia runtime", f.hook && "nvidia-container-runtime-hook", f.cdi && "NVIDIA CDI spec"].filter((x): x is string => Boolean(x));
}

export function evaluateGpu(f: GpuFacts | undefined, labs: readonly string[]): Finding {
  if (!labs.length) return { severity: "pass", check: "precheck.gpu", message: "no enabled lab asks for GPUs" };
  const who = labs.length > 1 ? `labs ${labs.join(", ")} ask` : `lab ${labs[0]} asks`;
  const fix = `install the NVIDIA Container Toolkit (nvidia-ctk runtime configure --runtime=docker), or set atlas:jupyter.labs.${labs[0]}.gpus none`;
  if (!f) return { severity: "warn", check: "precheck.gpu", message: `${who} for GPUs; cannot tell whether Docker can give them: the daemon is not reachable`, fix };
  const found = gpuSupport(f);
  if (found.length) return { severity: "pass", check: "precheck.gpu", message: `${who} for GPUs; Docker has ${found.join(", ")}` };
  return {
    severity: "warn",
    check: "precheck.gpu",
    message: `${who} for GPUs, but Docker has no NVIDIA runtime (runtimes: ${f.runtimes.join(", ") || "none"}; no nvidia-container-runtime-hook on PATH; no NVIDIA CDI spec); the container would fail to start`,
    fix,
  };
}

// -------------------------------------------------------------------- registry

export interface RegistryFacts {
  url: string;
  /** HTTP status of GET /v2/ without credentials. */
  status?: number;
  error?: string;
  /** With credentials: the status of the authenticated request (basic on /v2/, or the token endpoint). */
  auth?: { via: string; status?: number; error?: string };
  /** The host's docker config holds a login (auths or credHelpers) the provider can use. */
  hostLogin: boolean;
}

export function evaluateRegistry(f: RegistryFacts, server: string, username: string | undefined): Finding {
  const check = "precheck.registry";
  if (f.error || f.status === undefined) {
    return { severity: "fail", check, message: `registry ${server} not reachable at ${f.url}/v2/: ${f.error ?? "no answer"}`, fix: `start the registry or check the network; or correct atlas:registry.server (${server})` };
  }
  if (f.status === 200) return { severity: "pass", check, message: `registry ${server} reachable (GET ${f.url}/v2/ → HTTP 200, no login needed)` };
  if (f.status !== 401) {
    return { severity: "fail", check, message: `GET ${f.url}/v2/ → HTTP ${f.status}; a registry answers 200 or 401 there`, fix: `check atlas:registry.server (${server}): it does not look like a Docker registry` };
  }
  if (f.auth) {
    if (f.auth.status === 200) return { severity: "pass", check, message: `registry ${server} reachable (HTTP 401 without credentials, as expected); ${username} authenticates (${f.auth.via} → HTTP 200)` };
    return {
      severity: "fail",
      check,
      message: `registry ${server} rejects ${username}'s credentials: ${f.auth.via} → ${f.auth.status !== undefined ? `HTTP ${f.auth.status}` : f.auth.error}`,
      fix: `set the right token: pulumi config set --secret atlas:registryPassword <token> (and ATLAS_REGISTRY_PASSWORD for this check); for ghcr.io a token with write:packages`,
    };
  }
  if (f.hostLogin) return { severity: "pass", check, message: `registry ${server} reachable (HTTP 401 without credentials, as expected); the host's docker config has a login for it, which the provider uses` };
  return {
    severity: "warn",
    check,
    message: `registry ${server} needs a login (HTTP 401) and none was checked: ${username ? "ATLAS_REGISTRY_PASSWORD is not set" : "atlas:registry.username is not set"} and the host's docker config has no login for ${server}`,
    fix: username
      ? `export ATLAS_REGISTRY_PASSWORD=<the password of atlas:registryPassword> to check it, or docker login ${server}`
      : `set atlas:registry.username and atlas:registryPassword (secret), or docker login ${server}`,
  };
}

// ---------------------------------------------------------------- light checks

/** The one probe light enough for every preview: the kernel's counters, no process, no I/O that can hang. */
export function probeMemory(): MemoryFacts {
  // os.freemem() is MemAvailable on Linux: what a build can get without swapping.
  return { totalGB: totalmem() / GB, availableGB: freemem() / GB };
}

/**
 * Host checks light enough for every preview: no process, no network, no
 * daemon call that can hang. Memory only: disk needs Docker's data root (a
 * daemon call), builders need buildx (which dials each builder), GPUs and the
 * registry need the daemon or the network.
 */
export function lightFindings(plan: StackPlan, memory: MemoryFacts = probeMemory()): Finding[] {
  return [evaluateMemory(memory, plan.maxJobs)];
}
