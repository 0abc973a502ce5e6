/**
 * JupyterLab: one lab container per enabled atlas:jupyter.labs entry, on the
 * tier image the stack built, pinned by digest. The container is described by
 * labContainerSpec (container-spec.ts); this file only maps that description onto
 * @pulumi/docker and wires the image, the workspace volume and the token.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { RegistryCredentials, TierImages } from "../build/images";
import { LabConfig } from "../core/config";
import { dockerConfigPath, hostHasLogin, readDockerConfig } from "../core/docker-config";
import { StackPlan } from "../core/plan";
import { LabContainerSpec, LabImage, TOKEN_FILE, labContainerSpec } from "./container-spec";
import { LabToken } from "./token";

/** Seconds `pulumi up` waits for the healthcheck to pass before it fails the container. */
export const WAIT_TIMEOUT_SECONDS = 180;

export interface JupyterLabArgs {
  /** The lab's key under atlas:jupyter.labs. */
  labName: string;
  lab: LabConfig;
  /** The tier image: its pushed `tag@sha256:` ref, or its local tag when the stack does not push. */
  image: pulumi.Input<string>;
  /** Set when `image` is a mutable local tag: a new digest then re-resolves the image. */
  imageDigest?: pulumi.Input<string>;
  /** The user the tier-0 stage created (atlas:build username, uid, gid). */
  user: Omit<LabImage, "ref">;
  token: pulumi.Input<string>;
  stack: string;
  /** How the lab's docker provider logs in to pull a pushed tier image; absent for a local image or a registry without login. */
  registryAuth?: docker.types.input.ProviderRegistryAuth[];
}

/** `http://<bind>:<port>/lab?token=…`; a wildcard bind is opened through loopback. Callers keep it secret. */
export function labUrl(lab: Pick<LabConfig, "bind" | "port">, token: string): string {
  const host = lab.bind === "0.0.0.0" ? "127.0.0.1" : lab.bind;
  return `http://${host}:${lab.port}/lab?token=${encodeURIComponent(token)}`;
}

/**
 * Whole seconds as Go's time.Duration prints them (60 → "1m0s"), which is how
 * the provider reads a healthcheck back: "60s" would be a diff on every up.
 */
export function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return `${h}h${m}m${s}s`;
  return m ? `${m}m${s}s` : `${s}s`;
}

/**
 * `cpus` as the provider reads it back from the engine (NanoCPUs as a decimal:
 * 2 → "2.0", 1.5 → "1.5", 10 → "10."). `cpus` forces a replacement, so any
 * other spelling of the same number would recreate the lab on every up.
 */
export function dockerCpus(cpus: number): string {
  const nano = BigInt(Math.round(cpus * 1e9));
  const text = `${nano / 1_000_000_000n}.${String(nano % 1_000_000_000n).padStart(9, "0")}`;
  if ((text.match(/0/g) ?? []).length === 9) return text.slice(0, text.indexOf(".") + 2);
  return text.replace(/0+$/, "");
}

/** The docker.Container inputs for a spec; the token enters only as an uploaded file. */
export function containerArgs(spec: LabContainerSpec<pulumi.Input<string>>, token: pulumi.Input<string>): docker.ContainerArgs {
  const h = spec.healthcheck;
  return {
    name: spec.name,
    image: spec.image,
    user: spec.user,
    command: spec.command,
    envs: spec.env,
    labels: Object.entries(spec.labels).map(([label, value]) => ({ label, value })),
    ports: [spec.port],
    mounts: [{ type: spec.workspace.type, source: spec.workspace.source, target: spec.workspace.target }],
    uploads: [
      {
        file: spec.tokenFile,
        content: pulumi.secret(token),
        // The upload lands root-owned; the lab runs as uid:gid, so the file must
        // be world-readable. Upload owner/group exist, but the engine resolves
        // them through the image's passwd and fails for a numeric uid:gid.
        // Inside the container that hides nothing: every process there is the
        // lab user, and kernels inherit JUPYTER_TOKEN from the server anyway.
        permissions: "0444",
      },
    ],
    shmSize: spec.shmSizeMiB,
    memory: spec.memoryMiB,
    // No swap beyond the limit. Left unset, the engine picks 2× memory, which
    // the provider then reports as a change on every up, and which blocks
    // raising `memory` in place past it.
    memorySwap: spec.memoryMiB,
    cpus: spec.cpus === undefined ? undefined : dockerCpus(spec.cpus),
    capabilities: { drops: spec.capDrop },
    securityOpts: spec.securityOpts,
    init: spec.init,
    healthcheck: {
      tests: h.test,
      interval: goDuration(h.intervalSeconds),
      timeout: goDuration(h.timeoutSeconds),
      retries: h.retries,
      startPeriod: goDuration(h.startPeriodSeconds),
    },
    // `pulumi up` returns only once JupyterLab answers, and fails when it never does.
    wait: true,
    waitTimeout: WAIT_TIMEOUT_SECONDS,
    restart: spec.restart,
    destroyGraceSeconds: spec.stopGraceSeconds,
    stopTimeout: spec.stopGraceSeconds,
    // deviceRequests rather than `gpus`: the provider parses `gpus` like
    // `docker run --gpus` (CSV), so an unquoted "device=0,2" becomes device 0
    // plus count 2. The driver must be named: the provider defaults it to cdi.
    deviceRequests: spec.gpu
      ? [
          "all" in spec.gpu
            ? { driver: "nvidia", count: -1, capabilities: ["gpu"] }
            : { driver: "nvidia", deviceIds: spec.gpu.deviceIds, capabilities: ["gpu"] },
        ]
      : undefined,
  };
}

export class JupyterLab extends pulumi.ComponentResource {
  readonly image: docker.RemoteImage;
  readonly volume?: docker.Volume;
  readonly container: docker.Container;
  readonly containerName: pulumi.Output<string>;
  /** Secret: it carries the token. Resolves once the container exists. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: JupyterLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("atlas:lab:JupyterLab", name, {}, opts);
    const { lab } = args;
    // A provider of the lab's own: it pulls with the stack's registry login,
    // which the engine-side pull does not get from `docker login` by itself.
    const provider = new docker.Provider(`${name}-docker`, { registryAuth: args.registryAuth }, { parent: this });
    const child = { parent: this, provider };

    this.image = new docker.RemoteImage(
      `${name}-image`,
      {
        name: args.image,
        // The image is the stack's build output, shared with other labs and
        // stacks: destroying a lab must not delete it from the host.
        keepLocally: true,
        triggers: args.imageDigest === undefined ? undefined : { digest: args.imageDigest },
      },
      child,
    );

    if ("volume" in lab.workspace) {
      this.volume = new docker.Volume(
        `${name}-workspace`,
        { name: lab.workspace.volume },
        // The notebooks live here: `pulumi destroy` leaves the volume on the host,
        // and the next `pulumi up` adopts it by name (creating a volume that
        // exists is a no-op in docker).
        { ...child, retainOnDelete: true },
      );
    }

    const spec = labContainerSpec(args.labName, lab, { ...args.user, ref: this.image.imageId }, TOKEN_FILE, args.stack);
    this.container = new docker.Container(`${name}-container`, containerArgs(spec, args.token), {
      ...child,
      dependsOn: this.volume ? [this.volume] : [],
      // A new digest (or any other change) replaces the container. The old one
      // must be gone first: the name and the host port are unique, and two
      // servers must never write to the same workspace at once.
      deleteBeforeReplace: true,
      // The provider plans these as in-place updates that it never applies to
      // a running container (and a refresh brings the diff back): replace.
      replaceOnChanges: ["healthcheck", "init"],
    });
    this.containerName = this.container.name;
    // Built from the container's output so it resolves once the container exists.
    this.url = pulumi.secret(pulumi.all([this.container.name, args.token]).apply(([, token]) => labUrl(lab, token)));

    this.registerOutputs({ url: this.url, containerName: this.containerName, imageId: this.image.imageId });
  }
}

export interface Labs {
  labs: Record<string, JupyterLab>;
  /** The first enabled lab's URL (secret); undefined when no lab is enabled. */
  jupyterUrl?: pulumi.Output<string>;
}

/**
 * How a lab's provider logs in to pull the stack's pushed images: with the
 * stack's user and password, else with the host's docker login for the
 * registry, else not at all (a local image, or a registry without login).
 * @param dockerConfig reads the host's docker config, only when it is needed
 */
export function labRegistryAuth(
  plan: StackPlan,
  credentials: RegistryCredentials | undefined,
  dockerConfig: () => string | undefined = readDockerConfig,
): docker.types.input.ProviderRegistryAuth[] | undefined {
  if (!plan.push || !plan.registry) return undefined;
  if (credentials) return [credentials];
  const address = plan.registry.server;
  return hostHasLogin(dockerConfig(), address) ? [{ address, configFile: dockerConfigPath() }] : undefined;
}

/**
 * One JupyterLab per enabled lab. Disabled labs register nothing, and with no
 * enabled lab not even a token is generated. The labs' rules (labsProblems)
 * have run in runChecks before anything is registered.
 */
export function createLabs(plan: StackPlan, images: TierImages, configuredToken?: pulumi.Input<string>, credentials?: RegistryCredentials): Labs {
  const enabled = Object.entries(plan.labs).filter(([, lab]) => lab.enabled);
  if (!enabled.length) return { labs: {} };

  // One token per stack: atlas:jupyterToken (a secret; parseConfig refuses
  // plaintext), else one generated once and kept in state.
  const token = pulumi.secret(configuredToken ?? new LabToken("atlas-jupyter-token").value);
  const labs: Record<string, JupyterLab> = {};
  const registryAuth = labRegistryAuth(plan, credentials);
  for (const [labName, lab] of enabled) {
    const tier = images.outputs[lab.tier];
    // parseConfig allows only tiers this stack builds; this guards the invariant.
    if (!tier) throw new Error(`lab ${labName}: tier ${lab.tier} has no image in this stack`);
    labs[labName] = new JupyterLab(`lab-${labName}`, {
      labName,
      lab,
      // Without a registry the tier is only loaded into the local daemon, which
      // knows it by tag, not by a registry digest.
      image: plan.push ? tier.ref : tier.tags[0],
      imageDigest: plan.push ? undefined : tier.digest,
      user: plan.user,
      token,
      stack: plan.stack,
      registryAuth,
    });
  }
  return { labs, jupyterUrl: labs[enabled[0][0]].url };
}

/** Per-lab stack outputs: the URL (secret) and the container name for `docker logs`. */
export function labOutputs(labs: Record<string, JupyterLab>): Record<string, { url: pulumi.Output<string>; container: pulumi.Output<string> }> {
  return Object.fromEntries(Object.entries(labs).map(([name, lab]) => [name, { url: lab.url, container: lab.containerName }]));
}
