/**
 * What a stack builds, read off its StackPlan without running the engine: a
 * table for people, the same data as JSON for scripts, and the tier chain as a
 * Mermaid flowchart for the README. Pure but for planCommand, which reads the
 * stack files and evaluates the compatibility gate.
 */
import { Finding, Severity } from "../checks/findings";
import { cacheStrings } from "../build/caches";
import { StackPlan, TierPlan, tierTag } from "../core/plan";
import { checkReleases, formatProblem } from "../build/releases";
import { compatibilityGate } from "../checks/run-checks";
import { EXIT, stackCommand } from "../core/command";
import { committedStacks, loadStack } from "../core/stacks";

export interface TierRow {
  tier: string;
  level: number;
  tag: string;
  /** BASE_IMAGE for tier 0; `<parent> by digest` above. */
  base: string;
  buildArgs: Record<string, string>;
  cacheFrom: string[];
  cacheTo: string[];
  requirements: string[];
  sizeGB: number;
  buildMinutes: number;
}

/** The compatibility gate's verdict; `not-wired` when the caller passed no gate findings (planCommand always does). */
export interface GateView {
  status: Severity | "not-wired";
  findings: Finding[];
}

export interface PlanView {
  stack: string;
  version: string;
  imageName: string;
  materials: boolean;
  push: boolean;
  platforms: string[];
  builder: string;
  tiers: TierRow[];
  /** Build time of every tier, in order (the guide's table). */
  totalBuildMinutes: number;
  gate: GateView;
  releases: { version: string; source: string; tier: string; tag: string }[];
  releaseProblems: string[];
}

/** What the tier is built on, as the program wires it. */
export function tierBase(tier: TierPlan): string {
  if (tier.parent) return `${tier.parent} by digest (FROM ${tier.parentContext})`;
  return tier.buildArgs.BASE_IMAGE ?? "(Dockerfile default BASE_IMAGE)";
}

export function tierRow(tier: TierPlan): TierRow {
  return {
    tier: tier.tier,
    level: tier.level,
    tag: tier.tags[0],
    base: tierBase(tier),
    buildArgs: tier.buildArgs as Record<string, string>,
    cacheFrom: cacheStrings(tier.cacheFrom, "from"),
    cacheTo: cacheStrings(tier.cacheTo, "to"),
    requirements: tier.requirements,
    sizeGB: tier.sizeGB,
    buildMinutes: tier.buildMinutes,
  };
}

/** The worst severity wins; no findings at all means the gate had nothing to object to. */
export function gateView(findings: Finding[] | undefined): GateView {
  if (findings === undefined) return { status: "not-wired", findings: [] };
  const status: Severity = findings.some((f) => f.severity === "fail") ? "fail" : findings.some((f) => f.severity === "warn") ? "warn" : "pass";
  return { status, findings };
}

export function planView(plan: StackPlan, opts: { gate?: Finding[] } = {}): PlanView {
  const { plans, problems } = checkReleases(plan.releases, plan);
  return {
    stack: plan.stack,
    version: plan.version,
    imageName: plan.imageName,
    materials: plan.materials,
    push: plan.push,
    platforms: plan.platforms,
    builder: plan.builder ?? "(current buildx builder)",
    tiers: plan.tiers.map(tierRow),
    totalBuildMinutes: plan.tiers.reduce((n, t) => n + t.buildMinutes, 0),
    gate: gateView(opts.gate),
    releases: plans.map((r) => ({ version: r.version, source: r.source, tier: r.tier, tag: r.tag })),
    releaseProblems: problems.map(formatProblem),
  };
}

/** A text table whose cells may hold several lines. */
export function renderTable(headers: string[], rows: string[][][]): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.flatMap((r) => r[c].map((l) => l.length))));
  const line = (cells: string[]) => cells.map((s, c) => s.padEnd(widths[c])).join("  ").trimEnd();
  const out = [line(headers), line(widths.map((w) => "-".repeat(w)))];
  for (const row of rows) {
    const height = Math.max(1, ...row.map((cell) => cell.length));
    for (let i = 0; i < height; i++) out.push(line(row.map((cell) => cell[i] ?? "")));
  }
  return out.join("\n");
}

const GATE_TEXT: Record<GateView["status"], string> = {
  pass: "PASS",
  warn: "PASS with warnings",
  fail: "FAIL",
  "not-wired": "not evaluated (no gate findings were given)",
};

export function formatPlanView(v: PlanView): string {
  const head = [
    `stack ${v.stack}: VERSION ${v.version}, ${v.tiers.length} tier(s)${v.materials ? " with materials" : ""}, ${v.push ? `pushed to ${v.imageName}` : `loaded into the local daemon as ${v.imageName}`}`,
    `builder ${v.builder}; platforms ${v.platforms.length ? v.platforms.join(", ") : "(builder's native)"}`,
    "",
  ];
  const table = renderTable(
    ["TIER", "TAG", "BASE", "BUILD ARGS", "CACHE", "SIZE", "TIME"],
    v.tiers.map((t) => [
      [`${t.level} ${t.tier}`],
      [t.tag],
      [t.base],
      Object.entries(t.buildArgs).map(([k, val]) => `${k}=${val}`),
      [...t.cacheFrom.map((c) => `from ${c}`), ...t.cacheTo.map((c) => `to   ${c}`)].concat(t.cacheFrom.length + t.cacheTo.length ? [] : ["(none)"]),
      [`~${t.sizeGB} GB`],
      [`~${t.buildMinutes} min`],
    ]),
  );
  const tail = ["", `total build time ~${v.totalBuildMinutes} min (cold cache)`, `compatibility gate: ${GATE_TEXT[v.gate.status]}`];
  for (const f of v.gate.findings) tail.push(`  ${f.severity.toUpperCase()}  ${f.check}: ${f.message}${f.fix ? ` (fix: ${f.fix})` : ""}`);
  if (v.releases.length || v.releaseProblems.length) {
    tail.push("releases:");
    for (const r of v.releases) tail.push(`  ${r.tag} -> ${r.tier} (source ${JSON.stringify(r.source)})`);
    for (const p of v.releaseProblems) tail.push(`  INVALID ${p}`);
  }
  return [...head, table, ...tail].join("\n");
}

// ---------------------------------------------------------------- Mermaid

export const MERMAID_BEGIN = "<!-- tier-chain:begin -->";
export const MERMAID_END = "<!-- tier-chain:end -->";

function mermaidId(...parts: string[]): string {
  return parts.map((p) => p.replace(/[^A-Za-z0-9_]/g, "_")).join("_");
}

function mermaidText(s: string): string {
  return s.replaceAll('"', "#quot;");
}

/** One flowchart, a subgraph per stack: base image → tier 0 → … by digest. */
export function mermaidGraph(plans: readonly StackPlan[]): string {
  const lines = ["flowchart LR"];
  for (const plan of plans) {
    const sg = mermaidId("stack", plan.stack);
    lines.push(`  subgraph ${sg}["stack ${mermaidText(plan.stack)}: ${mermaidText(plan.imageName)}"]`);
    lines.push("    direction LR");
    for (const tier of plan.tiers) {
      const id = mermaidId(plan.stack, tier.tier);
      const tag = tierTag(plan.version, tier.tier, plan.materials);
      lines.push(`    ${id}["${tier.level} ${tier.tier}<br/>${mermaidText(tag)}"]`);
      if (tier.parent) {
        lines.push(`    ${mermaidId(plan.stack, tier.parent)} -->|"by digest"| ${id}`);
      } else {
        const from = mermaidId(plan.stack, "from");
        lines.push(`    ${from}(["${mermaidText(tier.buildArgs.BASE_IMAGE ?? "BASE_IMAGE")}"])`);
        lines.push(`    ${from} -->|"BASE_IMAGE"| ${id}`);
      }
    }
    lines.push("  end");
  }
  return lines.join("\n");
}

/** The README block, markers included, as `bin/plan.ts --mermaid` prints it. */
export function mermaidBlock(plans: readonly StackPlan[]): string {
  return [
    MERMAID_BEGIN,
    "<!-- generated by `npx ts-node --transpile-only bin/plan.ts --mermaid` from the committed stacks; do not edit -->",
    "```mermaid",
    mermaidGraph(plans),
    "```",
    MERMAID_END,
  ].join("\n");
}

/** The block between the markers (markers included), or undefined when the README has none. */
export function extractMermaidBlock(readme: string): string | undefined {
  const begin = readme.indexOf(MERMAID_BEGIN);
  const end = readme.indexOf(MERMAID_END, begin);
  if (begin < 0 || end < 0) return undefined;
  return readme.slice(begin, end + MERMAID_END.length);
}

const PLAN_USAGE = "usage: npm run -s plan -- [stack] [--json]   |   npx ts-node --transpile-only bin/plan.ts --mermaid";

/**
 * `npm run -s plan -- [stack] [--json]`: the plan view, exit 1 when the gate
 * fails or a release is invalid. `--mermaid`: the README's tier-chain block,
 * from every committed stack.
 */
export const planCommand = stackCommand("plan", PLAN_USAGE, ["--json", "--mermaid"], ({ stack, flags }, { root, out }) => {
  if (flags.has("--mermaid")) {
    out(mermaidBlock(committedStacks(root).map((s) => loadStack(root, s))));
    return EXIT.ok;
  }
  const plan = loadStack(root, stack);
  const view = planView(plan, { gate: compatibilityGate(root, plan) });
  out(flags.has("--json") ? JSON.stringify(view, null, 2) : formatPlanView(view));
  return view.gate.status === "fail" || view.releaseProblems.length ? EXIT.failed : EXIT.ok;
});
