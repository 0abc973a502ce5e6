/**
 * A JupyterLab container, described once and engine-neutral: what it runs,
 * as whom, with which limits, ports, workspace and healthcheck. jupyter-lab.ts
 * turns the description into the docker provider's Container inputs.
 */
import { ConfigError, LabConfig, NAMESPACE } from "../core/config";
import { userText } from "../core/plan";

/** The port JupyterLab listens on inside the container (atlas-lab's ATLAS_LAB_PORT default). */
export const LAB_PORT = 8888;
/** Where the workspace is mounted; the image's WORKDIR and atlas-lab's root_dir. */
export const WORKSPACE_DIR = "/workspace";
/** Where the token file goes; atlas-lab's ATLAS_TOKEN_FILE default. */
export const TOKEN_FILE = "/run/atlas/jupyter-token";
/** The image's start script; it reads the token file and execs JupyterLab. */
export const LAB_COMMAND: readonly string[] = ["atlas-lab"];

/**
 * Seconds docker waits after SIGTERM before it kills the container. JupyterLab
 * uses them to shut its kernels down and flush notebook checkpoints; docker's
 * default of 10 s (and the provider's 0 on destroy) cuts a busy GPU kernel off.
 */
export const STOP_GRACE_SECONDS = 60;

/** Variables the spec sets itself: a lab's `env` may not override them. */
const OWNED_ENV = ["ATLAS_TOKEN_FILE", "ATLAS_LAB_PORT", "ATLAS_WORKSPACE", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES"];

/**
 * The tier image a lab runs, and the user its tier-0 stage created. `ref` is
 * passed through untouched: an Output (the pulled image's id) in the program,
 * a plain string in tests.
 */
export interface LabImage<I = string> {
  /** An image reference docker can pull or find locally (the tier's `tag@sha256:` ref). */
  ref: I;
  uid: number;
  gid: number;
  username: string;
}

export type GpuRequest = { all: true } | { deviceIds: string[] };

export interface LabHealthcheck {
  /** Docker's exec form: ["CMD", ...]. */
  test: string[];
  intervalSeconds: number;
  timeoutSeconds: number;
  retries: number;
  startPeriodSeconds: number;
}

export interface LabContainerSpec<I = string> {
  /** Container name: unique per stack and lab, so two stacks on one host never collide. */
  name: string;
  image: I;
  /** Numeric `uid:gid`, never a name: it must not depend on the image's /etc/passwd. */
  user: string;
  command: string[];
  /** `KEY=VALUE`, sorted. Never holds the token. */
  env: string[];
  port: { internal: number; external: number; ip: string; protocol: "tcp" };
  workspace: { type: "bind" | "volume"; source: string; target: string };
  /** Container path of the token file; the engine puts the token there, never on a command line. */
  tokenFile: string;
  shmSizeMiB: number;
  memoryMiB?: number;
  cpus?: number;
  capDrop: string[];
  securityOpts: string[];
  /** docker-init (tini) as PID 1: forwards SIGTERM to JupyterLab and reaps kernel children. */
  init: boolean;
  healthcheck: LabHealthcheck;
  restart: "unless-stopped";
  /** Seconds between SIGTERM and SIGKILL, on destroy and on `docker stop`. */
  stopGraceSeconds: number;
  /** Absent: no GPU request at all. */
  gpu?: GpuRequest;
  labels: Record<string, string>;
}

function labKey(name: string, key: string): string {
  return `${NAMESPACE}:jupyter.labs.${name}.${key}`;
}

/** Problems with a lab's extra `env`, in config-error style. */
export function labEnvProblems(name: string, env: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(env)) {
    if (key === "JUPYTER_TOKEN") {
      problems.push(
        `${labKey(name, "env.JUPYTER_TOKEN")}: would put the token in plaintext in the container's environment (docker inspect shows it); accepted: the secret ${NAMESPACE}:jupyterToken (pulumi config set --secret ${NAMESPACE}:jupyterToken <token>), or leave it unset for a generated token`,
      );
    } else if (OWNED_ENV.includes(key)) {
      problems.push(`${labKey(name, `env.${key}`)}: is set by ATLAS for every lab (gpus, port, workspace, token file); accepted: any other variable name`);
    }
  }
  return problems;
}

/** The two labs' published addresses overlap: same port, and same address or a wildcard. */
function sameSocket(a: LabConfig, b: LabConfig): boolean {
  return a.port === b.port && (a.bind === b.bind || a.bind === "0.0.0.0" || b.bind === "0.0.0.0");
}

function volumeName(lab: LabConfig): string | undefined {
  return "volume" in lab.workspace ? lab.workspace.volume : undefined;
}

/**
 * Rules over all enabled labs that parseConfig does not check: env the spec
 * owns; two labs publishing the same host address and port (the second
 * container would fail to start half-way through an update); and two labs on
 * one named volume (two stack resources for one docker volume, and two servers
 * autosaving the same notebooks).
 */
export function labsProblems(labs: Record<string, LabConfig>): string[] {
  const problems: string[] = [];
  const enabled = Object.entries(labs).filter(([, lab]) => lab.enabled);
  enabled.forEach(([name, lab], i) => {
    problems.push(...labEnvProblems(name, lab.env));
    const earlier = enabled.slice(0, i);
    const socket = earlier.find(([, other]) => sameSocket(lab, other));
    if (socket) {
      const [otherName, other] = socket;
      problems.push(
        `${labKey(name, "port")}: ${lab.port} on ${lab.bind} is already published by lab ${JSON.stringify(otherName)} (${other.bind}:${other.port}); accepted: a port no other enabled lab publishes on that address`,
      );
    }
    const volume = volumeName(lab);
    const shared = volume === undefined ? undefined : earlier.find(([, other]) => volumeName(other) === volume);
    if (shared) {
      problems.push(
        `${labKey(name, "workspace.volume")}: ${JSON.stringify(volume)} is already the workspace of lab ${JSON.stringify(shared[0])}; accepted: a volume name no other enabled lab uses (such as ${JSON.stringify(`${volume}-${name}`)}), or a hostPath`,
      );
    }
  });
  return problems;
}

function gpuRequest(gpus: LabConfig["gpus"]): GpuRequest | undefined {
  if (gpus === "none") return undefined;
  if (gpus === "all") return { all: true };
  return { deviceIds: gpus.map(String) };
}

/**
 * The NVIDIA variables. With GPUs they say which devices and which driver
 * libraries the toolkit mounts. Without, NVIDIA_VISIBLE_DEVICES=void: CUDA base
 * images ship NVIDIA_VISIBLE_DEVICES=all, which a host whose default runtime is
 * nvidia honours even without a GPU request, so "none" has to say so.
 */
function nvidiaEnv(gpu: GpuRequest | undefined): string[] {
  if (!gpu) return ["NVIDIA_VISIBLE_DEVICES=void"];
  const devices = "all" in gpu ? "all" : gpu.deviceIds.join(",");
  return [`NVIDIA_VISIBLE_DEVICES=${devices}`, "NVIDIA_DRIVER_CAPABILITIES=compute,utility"];
}

export function labContainerName(stack: string, lab: string): string {
  return `atlas-${stack}-${lab}`;
}

/**
 * The container for one lab.
 * @param name the lab's key under atlas:jupyter.labs
 * @param tokenFile container path the token file is written to (TOKEN_FILE unless a test moves it)
 * @throws ConfigError when the lab's env would set the token in plaintext or a variable the spec owns
 */
export function labContainerSpec<I = string>(name: string, lab: LabConfig, image: LabImage<I>, tokenFile: string, stack: string): LabContainerSpec<I> {
  const problems = labEnvProblems(name, lab.env);
  if (problems.length) throw new ConfigError(problems);
  const gpu = gpuRequest(lab.gpus);
  const env = [
    ...Object.entries(lab.env).map(([k, v]) => `${k}=${v}`),
    `ATLAS_TOKEN_FILE=${tokenFile}`,
    ...nvidiaEnv(gpu),
  ].sort();
  const workspace =
    "hostPath" in lab.workspace
      ? { type: "bind" as const, source: lab.workspace.hostPath, target: WORKSPACE_DIR }
      : { type: "volume" as const, source: lab.workspace.volume, target: WORKSPACE_DIR };
  return {
    name: labContainerName(stack, name),
    image: image.ref,
    user: `${image.uid}:${image.gid}`,
    command: [...LAB_COMMAND],
    env,
    port: { internal: LAB_PORT, external: lab.port, ip: lab.bind, protocol: "tcp" },
    workspace,
    tokenFile,
    shmSizeMiB: lab.shmSize,
    memoryMiB: lab.memory,
    cpus: lab.cpus,
    capDrop: ["ALL"],
    securityOpts: ["no-new-privileges"],
    init: true,
    healthcheck: {
      test: ["CMD", "atlas-healthcheck"],
      // Cheap (one GET of /api), so often: `wait` sees healthy soon after start.
      intervalSeconds: 10,
      // Above atlas-healthcheck's own 5 s timeout, so its message reaches `docker inspect`.
      timeoutSeconds: 10,
      retries: 3,
      // A first start on a cold page cache imports a lot of Python.
      startPeriodSeconds: 60,
    },
    restart: "unless-stopped",
    stopGraceSeconds: STOP_GRACE_SECONDS,
    gpu,
    labels: {
      "atlas.stack": stack,
      "atlas.lab": name,
      "atlas.tier": lab.tier,
      "atlas.user": userText(image),
    },
  };
}
