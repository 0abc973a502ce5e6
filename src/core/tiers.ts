/**
 * The ATLAS tier hierarchy, written down once. The program, the bake export,
 * the plan view, the checks, the tests and the README all derive from TIERS.
 */

/** Build args the Dockerfile declares, with the guide's names. */
export const BUILD_ARG_NAMES = [
  "BASE_IMAGE",
  "SMOKE_BASE_IMAGE",
  "USERNAME",
  "USER_UID",
  "USER_GID",
  "MAX_JOBS",
  "ENABLE_MATERIALS",
] as const;
export type BuildArgName = (typeof BUILD_ARG_NAMES)[number];

export type TierName = "base" | "llm" | "full";

export interface TierSpec {
  readonly name: TierName;
  /** The guide's BUILD_TIER number. */
  readonly level: 0 | 1 | 2;
  /** The tier this one is built on; absent for tier 0, which starts from BASE_IMAGE. */
  readonly parent?: TierName;
  /** Dockerfile stage (build target). */
  readonly stage: string;
  /** What the tier adds, for docs and the plan view. */
  readonly summary: string;
  /** Requirements file installed by this tier's stage, relative to the project root. */
  readonly requirements: string;
  /**
   * Only the build args this stage reads. Passing an arg a stage ignores would
   * still show in `pulumi preview --diff` and rebuild the tier for nothing.
   */
  readonly buildArgs: readonly BuildArgName[];
  /** Image size in GB from the build guide's table, for the disk pre-check. */
  readonly sizeGB: number;
  /** Build time in minutes from the build guide's table. */
  readonly buildMinutes: number;
}

export const TIERS: readonly TierSpec[] = [
  {
    name: "base",
    level: 0,
    stage: "base",
    summary: "Core data science, JupyterLab",
    requirements: "requirements/requirements.txt",
    buildArgs: ["BASE_IMAGE", "USERNAME", "USER_UID", "USER_GID", "MAX_JOBS", "ENABLE_MATERIALS"],
    sizeGB: 22,
    buildMinutes: 5,
  },
  {
    name: "llm",
    level: 1,
    parent: "base",
    stage: "llm",
    summary: "LLM foundation libraries",
    requirements: "requirements/requirements-llm.txt",
    buildArgs: ["MAX_JOBS"],
    sizeGB: 22,
    buildMinutes: 10,
  },
  {
    name: "full",
    level: 2,
    parent: "llm",
    stage: "full",
    summary: "LLM acceleration (vLLM and friends)",
    requirements: "requirements/requirements-accel.txt",
    buildArgs: ["MAX_JOBS"],
    sizeGB: 37,
    buildMinutes: 20,
  },
];

/** The materials-science add-on: installed in the tier-0 stage, inherited above. */
export const MATERIALS = {
  requirements: "requirements/requirements-materials.txt",
  /** Installed by this tier's stage when enabled. */
  tier: "base" as TierName,
  sizeGB: 1,
  /** The materials file must always be fully pinned (build guide). */
  pinned: true,
} as const;

/** The smoke stage: a fast CI check on a slim Python, built by bake's `smoke` group. */
export const SMOKE = {
  stage: "smoke",
  requirements: "requirements/requirements.txt",
  buildArgs: ["SMOKE_BASE_IMAGE", "USERNAME", "USER_UID", "USER_GID"] as readonly BuildArgName[],
} as const;

/** Python-side dev/test tools; installed in no image, still checked. */
export const DEV_REQUIREMENTS = "requirements/requirements-dev.txt";

/**
 * The name an upper stage uses in `FROM` for the tier below. It is mapped to the
 * lower tier's pushed ref (by digest) by the program, and to `target:<tier>` by bake.
 */
export function parentContextName(parent: TierName): string {
  return `atlas-${parent}`;
}

export function tierByName(name: TierName): TierSpec {
  const tier = TIERS.find((t) => t.name === name);
  if (!tier) throw new Error(`unknown tier ${name}`);
  return tier;
}

/** Tiers from 0 up to and including `top`, in build order. */
export function tiersUpTo(top: TierName): TierSpec[] {
  const level = tierByName(top).level;
  return TIERS.filter((t) => t.level <= level);
}

export const TIER_NAMES = TIERS.map((t) => t.name) as readonly TierName[];

/** Tier 0, the one tier built on BASE_IMAGE rather than on another tier. */
export const BASE_TIER: TierName = TIERS[0].name;

/** The guide's BUILD_TIER numbers, as config and release sources accept them. */
export const TIER_LEVELS = TIERS.map((t) => String(t.level));

/** The tier a name or a BUILD_TIER number ("0", "1", "2") names; undefined for anything else. */
export function tierByAlias(alias: string): TierName | undefined {
  return TIERS.find((t) => t.name === alias || String(t.level) === alias)?.name;
}
