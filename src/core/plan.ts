/**
 * Config → resolved build plan. Pure: the image component, the bake export,
 * the plan view and the checks all read a StackPlan, so they cannot disagree.
 */
import { CacheEntry, tierCaches } from "../build/caches";
import { AtlasConfig } from "./config";
import { tierTag } from "./tags";
import { BASE_TIER, BuildArgName, MATERIALS, TierName, parentContextName, tiersUpTo } from "./tiers";

export interface TierPlan {
  tier: TierName;
  level: number;
  parent?: TierName;
  /** Dockerfile stage built for this tier. */
  target: string;
  /** The FROM name mapped to the parent's image, when there is a parent. */
  parentContext?: string;
  /** Local context dir holding only this tier's requirements files (see contexts.ts). */
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

export interface StackPlan {
  stack: string;
  version: string;
  materials: boolean;
  /** `<server>/<repository>`, or the bare repository name when nothing is pushed. */
  imageName: string;
  push: boolean;
  noCache: boolean;
  platforms: string[];
  builder?: string;
  retainOnDelete: boolean;
  pinned: boolean;
  tiers: TierPlan[];
}

export interface PlanInputs {
  stack: string;
  version: string;
  /** Commit that last touched the build inputs, for the OCI revision label. */
  revision: string;
  source: string;
}

export const DOCKERFILE = "docker/Dockerfile";
export const DOCKER_CONTEXT = "docker";
export const REQUIREMENTS_CONTEXT_NAME = "requirements";
export const STAGED_CONTEXT_ROOT = ".atlas/contexts";
const LOCAL_REPOSITORY = "atlas";

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

export function planStack(c: AtlasConfig, inputs: PlanInputs): StackPlan {
  const imageName = c.registry ? `${c.registry.server}/${c.registry.repository}` : LOCAL_REPOSITORY;
  const specs = tiersUpTo(c.tier);
  const tiers = specs.map((spec, i): TierPlan => {
    const requirements = [spec.requirements];
    if (c.materials && spec.name === MATERIALS.tier) requirements.push(MATERIALS.requirements);
    const lower = specs.slice(0, i).map((s) => s.name);
    const tag = tierTag(inputs.version, spec.name, c.materials);
    const { cacheFrom, cacheTo } = tierCaches(c.cache, { imageName, version: inputs.version, materials: c.materials }, spec.name, lower);
    return {
      tier: spec.name,
      level: spec.level,
      parent: spec.parent,
      target: spec.stage,
      parentContext: spec.parent ? parentContextName(spec.parent) : undefined,
      // Per stack too: stacks differ in what a tier installs (materials).
      requirementsContext: `${STAGED_CONTEXT_ROOT}/${inputs.stack}/${spec.name}`,
      requirements,
      tags: [`${imageName}:${tag}`],
      buildArgs: tierBuildArgs(spec.buildArgs, c),
      cacheFrom,
      cacheTo,
      labels: {
        "org.opencontainers.image.title": `atlas ${spec.name}${c.materials ? " + materials" : ""}`,
        "org.opencontainers.image.description": spec.summary,
        "org.opencontainers.image.version": tag,
        "org.opencontainers.image.revision": inputs.revision,
        "org.opencontainers.image.source": inputs.source,
      },
      sizeGB: spec.sizeGB + (c.materials ? MATERIALS.sizeGB : 0),
      buildMinutes: spec.buildMinutes,
      summary: spec.summary,
    };
  });
  return {
    stack: inputs.stack,
    version: inputs.version,
    materials: c.materials,
    imageName,
    push: c.push,
    noCache: c.build.noCache,
    platforms: c.build.platforms,
    builder: c.build.builder,
    retainOnDelete: c.retainOnDelete,
    pinned: c.pinned ?? c.tier !== BASE_TIER,
    tiers,
  };
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
