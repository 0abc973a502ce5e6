/**
 * Config → resolved build plan. Pure. planStack is the last reader of the
 * parsed config: the image component, the labs, the release tags, the checks,
 * the bake export and the plan view all read the StackPlan, so they cannot
 * disagree.
 */
import type { CacheEntry } from "../build/caches";
import { AtlasConfig, CacheConfig, LabConfig, RegistryConfig, ReleaseEntry } from "./config";
import { BASE_TIER, BuildArgName, MATERIALS, SMOKE, TIER_NAMES, TierName, parentContextName, tiersUpTo } from "./tiers";

export interface TierPlan {
  tier: TierName;
  level: number;
  parent?: TierName;
  /** Dockerfile stage built for this tier. */
  target: string;
  /** The FROM name mapped to the parent's image, when there is a parent. */
  parentContext?: string;
  /** The Dockerfile this tier is built from: its stage of docker/Dockerfile (build/contexts.ts stages it). */
  stagedDockerfile: string;
  /** The build context: only the files the tier's stage copies. */
  stagedContext: string;
  /** The `requirements` named context: only the files this tier installs. */
  requirementsContext: string;
  /** Requirements files this tier installs, relative to the project root. */
  requirements: string[];
  tags: string[];
  buildArgs: Partial<Record<BuildArgName, string>>;
  cacheFrom: CacheEntry[];
  cacheTo: CacheEntry[];
  labels: Record<string, string>;
  sizeGB: number;
  buildMinutes: number;
  summary: string;
}

/** The Dockerfile's smoke stage: not a tier, built only by bake's `smoke` group. */
export interface SmokePlan {
  target: string;
  buildArgs: Partial<Record<BuildArgName, string>>;
  /** The staged requirements dir of the tier that installs SMOKE.requirements. */
  requirementsContext: string;
}

/** The non-root user tier 0 creates (USERNAME, USER_UID, USER_GID); the labs run as it. */
export interface BuildUser {
  username: string;
  uid: number;
  gid: number;
}

export interface StackPlan {
  stack: string;
  version: string;
  materials: boolean;
  /** `<server>/<repository>`, or the bare repository name when nothing is pushed. */
  imageName: string;
  /** Where images, caches and release tags go; absent when the stack has no registry. */
  registry?: RegistryConfig;
  push: boolean;
  noCache: boolean;
  platforms: string[];
  builder?: string;
  /** Tier 0's BASE_IMAGE: what the compatibility gate and the resolver judge. */
  baseImage: string;
  user: BuildUser;
  /** MAX_JOBS of every tier; the memory check holds it against the host. */
  maxJobs: number;
  /** The cache backend; each tier's entries are in its TierPlan. */
  cacheType: CacheConfig["type"];
  /** Path of the CA bundle pip trusts in the build, on the build host; passed as a BuildKit secret. */
  caCertificates?: string;
  retainOnDelete: boolean;
  pinned: boolean;
  /** A failed compatibility gate only warns. */
  allowIncompatible: boolean;
  tiers: TierPlan[];
  smoke: SmokePlan;
  /** atlas:jupyter.labs, disabled ones included. */
  labs: Record<string, LabConfig>;
  /** atlas:releases as written; planReleases validates them against this plan. */
  releases: ReleaseEntry[];
}

export interface PlanInputs {
  stack: string;
  version: string;
  /** The last commit that changed a tier's inputs (its stage, copied files, requirements, VERSION), for the OCI revision label. */
  revisionOf(stage: string, requirements: readonly string[]): string;
  source: string;
}

export const DOCKERFILE = "docker/Dockerfile";
export const DOCKER_CONTEXT = "docker";
export const REQUIREMENTS_CONTEXT_NAME = "requirements";
export const STAGED_CONTEXT_ROOT = ".atlas/contexts";
/** BuildKit secret ids the Dockerfile mounts. */
export const PIP_INDEX_SECRET = "pip-index-url";
export const CA_CERTIFICATES_SECRET = "ca-certificates";
const LOCAL_REPOSITORY = "atlas";

const MATERIALS_SUFFIX = "-materials";
const TIER_ALTERNATION = TIER_NAMES.join("|");
const TIER_TAG_RE = new RegExp(`^v(.+)-(${TIER_ALTERNATION})(${MATERIALS_SUFFIX})?$`);
const CACHE_TAG_RE = new RegExp(`^cache-(${TIER_ALTERNATION})(${MATERIALS_SUFFIX})?$`);

/** `v0.6-base`, or `v0.6-base-materials`: a materials image never carries a plain tag. */
export function tierTag(version: string, tier: TierName, materials: boolean): string {
  return `v${version}-${tier}${materials ? MATERIALS_SUFFIX : ""}`;
}

export function cacheTag(tier: TierName, materials: boolean): string {
  return `cache-${tier}${materials ? MATERIALS_SUFFIX : ""}`;
}

/** What a tierTag of any VERSION says; undefined for any other tag. */
export function parseTierTag(tag: string): { version: string; tier: TierName; materials: boolean } | undefined {
  const m = TIER_TAG_RE.exec(tag);
  return m ? { version: m[1], tier: m[2] as TierName, materials: m[3] !== undefined } : undefined;
}

/** Whether a tag is a cacheTag, which the registry cache owns. */
export function isCacheTag(tag: string): boolean {
  return CACHE_TAG_RE.test(tag);
}

/** The top tier: the one atlas:tier names. */
export function topTier(plan: StackPlan): TierName {
  return plan.tiers[plan.tiers.length - 1].tier;
}

/** "atlas (1000:1000)": the build user as the stack outputs and the lab labels show it. */
export function userText(user: BuildUser): string {
  return `${user.username} (${user.uid}:${user.gid})`;
}

/** "tiers base, llm + materials": a stack's tiers as the commands' header lines show them. */
export function tiersSummary(plan: StackPlan): string {
  return `tiers ${plan.tiers.map((t) => t.tier).join(", ")}${plan.materials ? " + materials" : ""}`;
}

/** The values of the Dockerfile args a stage reads (TierSpec.buildArgs, SMOKE.buildArgs), from config; nothing else is passed. */
export function tierBuildArgs(names: readonly BuildArgName[], c: AtlasConfig): Partial<Record<BuildArgName, string>> {
  const all: Record<BuildArgName, string> = {
    BASE_IMAGE: c.build.baseImage,
    SMOKE_BASE_IMAGE: c.build.smokeBaseImage,
    USERNAME: c.build.username,
    USER_UID: String(c.build.uid),
    USER_GID: String(c.build.gid),
    MAX_JOBS: String(c.build.maxJobs),
    ENABLE_MATERIALS: c.materials ? "1" : "0",
  };
  return Object.fromEntries(names.map((a) => [a, all[a]]));
}

/**
 * The caches a tier reads (its own first, then the tiers below it, nearest
 * first) and the one it writes.
 * @param lower the tiers below `tier`, lowest first
 */
function cacheEntries(cache: CacheConfig, imageName: string, version: string, tier: TierName, lower: TierName[], materials: boolean) {
  const mode = cache.mode;
  const one = (t: TierName): CacheEntry | undefined => {
    switch (cache.type) {
      case "registry":
        return { type: "registry", ref: `${imageName}:${cacheTag(t, materials)}` };
      case "local":
        return { type: "local", path: `${cache.dir}/${cacheTag(t, materials)}` };
      case "gha":
        return { type: "gha", scope: `${cache.scope}-${cacheTag(t, materials)}` };
      case "inline":
        return { type: "inline" };
      case "off":
        return undefined;
    }
  };
  const withMode = (e: CacheEntry | undefined): CacheEntry | undefined =>
    e && e.type !== "inline" ? { ...e, mode } : e;
  const own = one(tier);
  const readFrom = cache.readLowerTiers ? [tier, ...lower.slice().reverse()] : [tier];
  const cacheFrom =
    cache.type === "inline"
      ? // Inline cache lives in the images themselves: read it from their tags.
        [tier, ...lower].map((t): CacheEntry => ({ type: "registry", ref: `${imageName}:${tierTag(version, t, materials)}` }))
      : readFrom.map(one).filter((e): e is CacheEntry => e !== undefined);
  const cacheTo = [withMode(own)].filter((e): e is CacheEntry => e !== undefined);
  return { cacheFrom, cacheTo };
}

export function planStack(c: AtlasConfig, inputs: PlanInputs): StackPlan {
  const imageName = c.registry ? `${c.registry.server}/${c.registry.repository}` : LOCAL_REPOSITORY;
  const specs = tiersUpTo(c.tier);
  const tiers = specs.map((spec, i): TierPlan => {
    const requirements = [spec.requirements];
    if (c.materials && spec.name === MATERIALS.tier) requirements.push(MATERIALS.requirements);
    const lower = specs.slice(0, i).map((s) => s.name);
    const tag = tierTag(inputs.version, spec.name, c.materials);
    const { cacheFrom, cacheTo } = cacheEntries(c.cache, imageName, inputs.version, spec.name, lower, c.materials);
    // Per stack too: stacks differ in what a tier installs (materials).
    const staged = `${STAGED_CONTEXT_ROOT}/${inputs.stack}/${spec.name}`;
    return {
      tier: spec.name,
      level: spec.level,
      parent: spec.parent,
      target: spec.stage,
      parentContext: spec.parent ? parentContextName(spec.parent) : undefined,
      stagedDockerfile: `${staged}/Dockerfile`,
      stagedContext: `${staged}/context`,
      requirementsContext: `${staged}/requirements`,
      requirements,
      tags: [`${imageName}:${tag}`],
      buildArgs: tierBuildArgs(spec.buildArgs, c),
      cacheFrom,
      cacheTo,
      labels: {
        "org.opencontainers.image.title": `atlas ${spec.name}${c.materials ? " + materials" : ""}`,
        "org.opencontainers.image.description": spec.summary,
        "org.opencontainers.image.version": tag,
        "org.opencontainers.image.revision": inputs.revisionOf(spec.stage, requirements),
        "org.opencontainers.image.source": inputs.source,
      },
      sizeGB: spec.sizeGB + (c.materials ? MATERIALS.sizeGB : 0),
      buildMinutes: spec.buildMinutes,
      summary: spec.summary,
    };
  });
  const { username, uid, gid } = c.build;
  return {
    stack: inputs.stack,
    version: inputs.version,
    materials: c.materials,
    imageName,
    registry: c.registry,
    push: c.push,
    noCache: c.build.noCache,
    platforms: c.build.platforms,
    builder: c.build.builder,
    baseImage: c.build.baseImage,
    user: { username, uid, gid },
    maxJobs: c.build.maxJobs,
    cacheType: c.cache.type,
    caCertificates: c.build.caCertificates,
    retainOnDelete: c.retainOnDelete,
    pinned: c.pinned ?? c.tier !== BASE_TIER,
    allowIncompatible: c.allowIncompatible,
    tiers,
    smoke: smokePlan(inputs.stack, tiers, c),
    labs: c.jupyter.labs,
    releases: c.releases,
  };
}

/** The smoke stage through the same arg mapping as the tiers (its args are tier 0's plus SMOKE_BASE_IMAGE). */
function smokePlan(stack: string, tiers: readonly TierPlan[], c: AtlasConfig): SmokePlan {
  const tier = tiers.find((t) => t.requirements.includes(SMOKE.requirements));
  if (!tier) throw new Error(`no tier of stack ${stack} installs ${SMOKE.requirements}, which the smoke stage reads`);
  return { target: SMOKE.stage, buildArgs: tierBuildArgs(SMOKE.buildArgs, c), requirementsContext: tier.requirementsContext };
}

/** All requirements files a stack installs, lowest tier first (cumulative per tier). */
export function cumulativeRequirements(plan: StackPlan, upTo: TierName): string[] {
  const out: string[] = [];
  for (const t of plan.tiers) {
    out.push(...t.requirements);
    if (t.tier === upTo) break;
  }
  return out;
}
