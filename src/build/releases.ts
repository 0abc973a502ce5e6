/**
 * Release tags: each `atlas:releases` entry {version, source} gives a tier's
 * pushed digest a second tag, `<registry>/<repository>:<version>`, through a
 * docker-build Index (`buildx imagetools create`): no rebuild, and the tag
 * points at exactly the digest the stack built.
 *
 * Validation (planReleases) is pure. ReleaseTags runs it before registering
 * anything of its own; checkReleases gives the same problems to the checks
 * (src/checks/run-checks.ts), which run before the tier images exist.
 */
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { valid as pep440Valid } from "@renovatebot/pep440";
import { NAMESPACE, ReleaseEntry } from "../core/config";
import { RegistryCredentials } from "./images";
import { isImageTag } from "../core/image-ref";
import { StackPlan, isCacheTag, parseTierTag, tierTag } from "../core/plan";
import { TierName, tierByAlias } from "../core/tiers";

/** A validated release: which tier it points at and the full tag it gets. */
export interface ReleasePlan {
  /** Position in `atlas:releases`, for messages. */
  index: number;
  version: string;
  /** The source as written in config (tier name, BUILD_TIER or tier tag). */
  source: string;
  tier: TierName;
  /** `<imageName>:<version>`. */
  tag: string;
}

/** One problem with `atlas:releases`: the key, what is wrong with the value, what is accepted. */
export interface ReleaseProblem {
  key: string;
  message: string;
  accepted: string;
}

export class ReleaseError extends Error {
  constructor(readonly problems: ReleaseProblem[]) {
    super(`invalid ${NAMESPACE}:releases:\n${problems.map((p) => `  - ${formatProblem(p)}`).join("\n")}`);
    this.name = "ReleaseError";
  }
}

export function formatProblem(p: ReleaseProblem): string {
  return `${p.key}: ${p.message}; accepted: ${p.accepted}`;
}

// semver.org's own regular expression (2.0.0): no leading "v", no leading zeros.
const SEMVER_RE =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

const VERSION_ACCEPTED = "a semver version such as 1.0.0 or 1.0.0-rc.1, or a PEP 440 version such as 1.0 or 1.0rc1, that is also a docker tag ([A-Za-z0-9_][A-Za-z0-9_.-]*, at most 128 characters)";

export function isSemver(version: string): boolean {
  return SEMVER_RE.test(version);
}

export function isPep440(version: string): boolean {
  return pep440Valid(version) !== null;
}

export function isDockerTag(tag: string): boolean {
  return isImageTag(tag);
}

/** Problems with one version on its own (format, tag syntax, reserved tags). */
export function versionProblems(version: string, key: string): ReleaseProblem[] {
  const problems: ReleaseProblem[] = [];
  const shown = JSON.stringify(version);
  // Reserved tags are checked on their own: a release must never move a tag the
  // tier images (or the cache) own. They are never versions either; saying so
  // too would only bury the point.
  if (parseTierTag(version)) {
    problems.push({ key, message: `${shown} collides with a tier tag (v<VERSION>-<tier>[-materials]), which the tier images own`, accepted: VERSION_ACCEPTED });
  } else if (isCacheTag(version)) {
    problems.push({ key, message: `${shown} collides with a cache tag (cache-<tier>[-materials]) of the same repository`, accepted: VERSION_ACCEPTED });
  } else if (!isSemver(version) && !isPep440(version)) {
    problems.push({ key, message: `${shown} is neither a semver nor a PEP 440 version`, accepted: VERSION_ACCEPTED });
  } else if (!isDockerTag(version)) {
    // semver build metadata ("+build") and PEP 440 local versions ("+local") and epochs ("1!2.0") are versions, not tags.
    problems.push({ key, message: `${shown} is a version but not a valid docker tag ("+" and "!" are not allowed in tags)`, accepted: VERSION_ACCEPTED });
  }
  return problems;
}

/** What `source` may be for this stack, for messages. */
export function acceptedSources(plan: StackPlan): string {
  const built = plan.tiers.map((t) => t.tier);
  const levels = plan.tiers.map((t) => String(t.level));
  const tags = built.map((t) => tierTag(plan.version, t, plan.materials));
  return `a tier this stack builds: ${built.join(", ")} (or BUILD_TIER ${levels.join(", ")}), or its tag ${tags.join(", ")}`;
}

/** The tier a `source` names, or the problem with it. */
export function resolveSource(source: string, plan: StackPlan, key: string): { tier: TierName } | { problem: ReleaseProblem } {
  const accepted = acceptedSources(plan);
  const shown = JSON.stringify(source);
  const problem = (message: string) => ({ problem: { key, message, accepted } });
  let tier = tierByAlias(source);
  if (!tier) {
    if (/^\d+$/.test(source)) return problem(`${shown} is no BUILD_TIER`);
    const tag = parseTierTag(source);
    if (!tag) return problem(`${shown} is neither a tier name, a BUILD_TIER nor a tier tag`);
    const { version, tier: name, materials } = tag;
    if (version !== plan.version) {
      return problem(`${shown} is a tag of VERSION ${version}, but this checkout builds VERSION ${plan.version}; a release points at a digest this stack builds`);
    }
    if (materials && !plan.materials) {
      return problem(`${shown} is a materials image, which this stack does not build (${NAMESPACE}:materials is false)`);
    }
    if (!materials && plan.materials) {
      return problem(`${shown} names no image of this stack: it builds with materials, and a materials image never carries a plain tag`);
    }
    tier = name;
  }
  if (!plan.tiers.some((t) => t.tier === tier)) {
    const top = plan.tiers[plan.tiers.length - 1].tier;
    return problem(`${shown} is tier ${tier}, which this stack does not build (${NAMESPACE}:tier is ${JSON.stringify(top)})`);
  }
  return { tier };
}

/**
 * Validates every release against the stack's plan and resolves it.
 * Throws a ReleaseError listing every problem; returns the releases otherwise.
 */
export function planReleases(releases: readonly ReleaseEntry[], plan: StackPlan): ReleasePlan[] {
  const { plans, problems } = checkReleases(releases, plan);
  if (problems.length) throw new ReleaseError(problems);
  return plans;
}

/** planReleases without the throw: what the plan view and `tag` report. */
export function checkReleases(releases: readonly ReleaseEntry[], plan: StackPlan): { plans: ReleasePlan[]; problems: ReleaseProblem[] } {
  const problems: ReleaseProblem[] = [];
  const plans: ReleasePlan[] = [];
  if (releases.length && !plan.push) {
    problems.push({
      key: `${NAMESPACE}:releases`,
      message: `${releases.length} release(s) set, but ${NAMESPACE}:push is false: a release tag points at a pushed digest`,
      accepted: `${NAMESPACE}:push true with ${NAMESPACE}:registry set, or no releases`,
    });
  }
  const seen = new Map<string, number>();
  releases.forEach((r, i) => {
    const versionKey = `${NAMESPACE}:releases[${i}].version`;
    const entryProblems = versionProblems(r.version, versionKey);
    const first = seen.get(r.version);
    if (first !== undefined) {
      entryProblems.push({
        key: versionKey,
        message: `${JSON.stringify(r.version)} is already released by ${NAMESPACE}:releases[${first}]; a version is tagged once per stack`,
        accepted: `a version not yet in ${NAMESPACE}:releases (change that entry's source to re-point it)`,
      });
    } else {
      seen.set(r.version, i);
    }
    const resolved = resolveSource(r.source, plan, `${NAMESPACE}:releases[${i}].source`);
    if ("problem" in resolved) entryProblems.push(resolved.problem);
    problems.push(...entryProblems);
    if (!entryProblems.length && "tier" in resolved) {
      plans.push({ index: i, version: r.version, source: r.source, tier: resolved.tier, tag: `${plan.imageName}:${r.version}` });
    }
  });
  return { plans, problems };
}

/**
 * Resource options of every release Index. Pure so tests can see them (mocks
 * do not report retainOnDelete). Retained by default: a release tag is what
 * users pull, and destroying the stack (or dropping the entry) must not
 * delete it from the registry.
 */
export function releaseOptions(plan: StackPlan): Pick<pulumi.CustomResourceOptions, "retainOnDelete"> {
  return { retainOnDelete: plan.retainOnDelete };
}

/** The Index inputs of one release: the tag, and the source tier's ref (tag@sha256:…) as its only source. */
export function releaseIndexArgs(release: ReleasePlan, sourceRef: pulumi.Input<string>, credentials?: RegistryCredentials): dockerbuild.IndexArgs {
  return {
    tag: release.tag,
    // A digest-pinned ref: the tag points at what this stack built, not at
    // whatever the tier's tag points at by the time imagetools runs.
    sources: [sourceRef],
    push: true,
    registry: credentials,
  };
}

export interface ReleaseTagsArgs {
  /** Its `releases` are the tags to create. */
  plan: StackPlan;
  /** Each built tier's pushed ref (tag@sha256:…): TierImages.outputs. */
  tiers: Partial<Record<TierName, { ref: pulumi.Input<string> }>>;
  /** Pushed with these; without them the provider uses the host's docker login. */
  credentials?: RegistryCredentials;
}

export class ReleaseTags extends pulumi.ComponentResource {
  /** version → the release tag's pushed ref (tag@sha256:…). */
  readonly refs: Record<string, pulumi.Output<string>>;
  readonly indexes: Record<string, dockerbuild.Index>;

  constructor(name: string, args: ReleaseTagsArgs, opts?: pulumi.ComponentResourceOptions) {
    // Before super(): an invalid entry registers nothing, not even this component.
    const releases = planReleases(args.plan.releases, args.plan);
    super("atlas:releases:ReleaseTags", name, {}, opts);
    this.refs = {};
    this.indexes = {};
    for (const release of releases) {
      const source = args.tiers[release.tier]?.ref;
      if (source === undefined) throw new Error(`${NAMESPACE}:releases[${release.index}]: tier ${release.tier} has no built image to point at`);
      // Named by version: changing the source is an update (Index sources), a new version a new resource.
      const index = new dockerbuild.Index(`${name}-release-${release.version}`, releaseIndexArgs(release, source, args.credentials), {
        parent: this,
        ...releaseOptions(args.plan),
      });
      this.indexes[release.version] = index;
      this.refs[release.version] = index.ref;
    }
    this.registerOutputs({ refs: this.refs });
  }
}
