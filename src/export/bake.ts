/**
 * The same stack as a `docker buildx bake` file (JSON). Generated from the
 * StackPlan that TierImages builds from, so `bake` and `pulumi up` build the
 * same targets with the same args, tags, cache and contexts. One difference is
 * by design: an upper tier's parent context is `target:<tier>` here (bake
 * chains the tiers inside one build), and `docker-image://<ref>@sha256:…` in
 * the program (the pushed lower tier, by digest).
 *
 * Run it from the project root: context paths are relative to it, and the
 * requirements contexts are the dirs the program stages (.atlas/contexts/<stack>/<tier>,
 * see contexts.ts), so bake hashes and bind-mounts exactly what the program does.
 */
import { posix } from "node:path";
import { cacheStrings } from "../build/caches";
import { stageTierContexts } from "../build/contexts";
import { EXIT, stackCommand } from "../core/command";
import { CA_CERTIFICATES_SECRET, DOCKER_CONTEXT, DOCKERFILE, REQUIREMENTS_CONTEXT_NAME, SmokePlan, StackPlan, TierPlan } from "../core/plan";
import { loadStack } from "../core/stacks";

export interface BakeTarget {
  context: string;
  /** Relative to `context`: bake joins them (the provider takes it relative to the cwd). */
  dockerfile: string;
  target: string;
  contexts: Record<string, string>;
  args: Record<string, string>;
  tags?: string[];
  labels?: Record<string, string>;
  "cache-from"?: string[];
  "cache-to"?: string[];
  platforms?: string[];
  "no-cache"?: boolean;
  /** BuildKit secrets as `id=…,src=…`: a path on the host running bake, never the value. */
  secret?: string[];
  output: string[];
}

export interface BakeFile {
  group: Record<string, { targets: string[] }>;
  target: Record<string, BakeTarget>;
}

export const SMOKE_TARGET = "smoke";
export const DEFAULT_GROUP = "default";

/**
 * The CA bundle as a file secret with the id the Dockerfile mounts (the
 * program passes its text). A private index URL stays out: it lives in a
 * Pulumi secret, and an `env=` secret whose variable is unset would give pip an
 * empty index URL; pass it with `--set '*.secrets+=id=pip-index-url,env=PIP_INDEX_URL'`
 * when needed.
 */
export function bakeSecrets(plan: StackPlan): string[] {
  return plan.caCertificates ? [`id=${CA_CERTIFICATES_SECRET},src=${plan.caCertificates}`] : [];
}

/** Bake interpolates `${…}` and `%{…}` in JSON strings too; a literal must escape them. */
export function bakeEscape(s: string): string {
  // Replacer functions: in a replacement string, "$$" would itself mean "$".
  return s.replaceAll("${", () => "$${").replaceAll("%{", () => "%%{");
}

function escapeAll<T>(value: T): T {
  if (typeof value === "string") return bakeEscape(value) as T;
  if (Array.isArray(value)) return value.map(escapeAll) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeAll(v)])) as T;
  return value;
}

/** bake's output for a plan: pushed, or loaded into the daemon like the program's `load: true`. */
export function bakeOutput(plan: StackPlan): string[] {
  return [plan.push ? "type=registry" : "type=docker"];
}

function tierTarget(plan: StackPlan, tier: TierPlan, secrets: string[]): BakeTarget {
  const contexts: Record<string, string> = { [REQUIREMENTS_CONTEXT_NAME]: tier.requirementsContext };
  // bake target names are the tier names, so the parent is `target:<parent tier>`.
  if (tier.parentContext && tier.parent) contexts[tier.parentContext] = `target:${tier.parent}`;
  const target: BakeTarget = {
    // The same staged Dockerfile and context the program builds from, so bake
    // and `pulumi up` build the same thing.
    context: tier.stagedContext,
    dockerfile: posix.relative(tier.stagedContext, tier.stagedDockerfile),
    target: tier.target,
    contexts,
    args: tier.buildArgs as Record<string, string>,
    tags: tier.tags,
    labels: tier.labels,
    output: bakeOutput(plan),
  };
  if (tier.cacheFrom.length) target["cache-from"] = cacheStrings(tier.cacheFrom, "from");
  if (tier.cacheTo.length) target["cache-to"] = cacheStrings(tier.cacheTo, "to");
  if (plan.platforms.length) target.platforms = plan.platforms;
  if (plan.noCache) target["no-cache"] = true;
  if (secrets.length) target.secret = secrets;
  return target;
}

function smokeTarget(smoke: SmokePlan, plan: StackPlan, secrets: string[]): BakeTarget {
  const target: BakeTarget = {
    context: DOCKER_CONTEXT,
    dockerfile: posix.relative(DOCKER_CONTEXT, DOCKERFILE),
    target: smoke.target,
    contexts: { [REQUIREMENTS_CONTEXT_NAME]: smoke.requirementsContext },
    args: smoke.buildArgs as Record<string, string>,
    // A check, not an image: nothing to tag, push or load.
    output: ["type=cacheonly"],
  };
  if (plan.noCache) target["no-cache"] = true;
  // The smoke stage's pip talks to the same index through the same TLS proxy.
  if (secrets.length) target.secret = secrets;
  return target;
}

/**
 * The bake file of a stack: one target per tier and a `default` group of all
 * tiers (what `pulumi up` builds), plus a `smoke` target and group that
 * `default` leaves out.
 */
export function bakeFile(plan: StackPlan): BakeFile {
  const secrets = bakeSecrets(plan);
  const file: BakeFile = {
    group: { [DEFAULT_GROUP]: { targets: plan.tiers.map((t) => t.tier) }, [SMOKE_TARGET]: { targets: [SMOKE_TARGET] } },
    target: Object.fromEntries(plan.tiers.map((t) => [t.tier, tierTarget(plan, t, secrets)])),
  };
  file.target[SMOKE_TARGET] = smokeTarget(plan.smoke, plan, secrets);
  return escapeAll(file);
}

/**
 * `npm run -s bake -- [stack] [--no-stage]`: the bake file on stdout. Contexts
 * are staged first, as the program does, so `docker buildx bake -f <file>`
 * works from the project root right away.
 */
export const bakeCommand = stackCommand("bake", "usage: npm run -s bake -- [stack] [--no-stage] > docker-bake.json", ["--no-stage"], ({ stack, flags }, { root, out, err }) => {
  const plan = loadStack(root, stack);
  if (!flags.has("--no-stage")) {
    stageTierContexts(root, plan);
    err(`staged requirements contexts: ${plan.tiers.map((t) => t.requirementsContext).join(", ")}`);
  }
  // A bake file has no builder field: the stack's builder goes on the command line.
  if (plan.builder) err(`this stack builds on builder ${plan.builder}: docker buildx bake --builder ${plan.builder} -f <file>`);
  out(JSON.stringify(bakeFile(plan), null, 2));
  return EXIT.ok;
});
