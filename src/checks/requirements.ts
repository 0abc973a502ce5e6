/**
 * Requirements checks: every requirements/*.txt parses, the files that must be
 * pinned are, no package is pinned to two versions across tiers that stack on
 * each other, -r/-c includes stay inside requirements/, and the dev file is
 * installed in no image. Pure over a RequirementsSource, so tests feed temp dirs.
 */
import { satisfies, eq as versionEq } from "@renovatebot/pep440";
import { posix } from "node:path";
import { StackPlan } from "../core/plan";
import { PackageReq, Parse, REQUIREMENTS_DIR, RequirementsSource, closureOf, exactPin, packagesByTier, parser, reqText, specText, where } from "../core/requirements-files";
import { DEV_REQUIREMENTS, MATERIALS, TierName } from "../core/tiers";
import { Finding } from "./findings";

const FIX_PARSE = "fix the line to pip's requirements syntax (name[extras]==version, -r file, -c file); pip would stop at it";

/** Checks that need no stack: every file parses, includes resolve, the materials file is pinned. */
export function fileFindings(source: RequirementsSource): Finding[] {
  const parse = parser(source);
  const listed = source.list();
  const { files, broken } = closureOf(parse, listed);
  const findings: Finding[] = [];
  for (const file of files) {
    const parsed = parse(file);
    for (const problem of parsed?.problems ?? []) {
      findings.push({ severity: "fail", check: "requirements.parse", message: `${file}: ${problem}`, fix: FIX_PARSE });
    }
  }
  if (!findings.length) {
    const count = files.reduce((n, f) => n + (parse(f)?.packages.length ?? 0), 0);
    findings.push({ severity: "pass", check: "requirements.parse", message: `${files.length} files parse (${count} packages): ${files.join(", ")}` });
  }
  for (const b of broken) {
    findings.push({
      severity: "fail",
      check: "requirements.include",
      message: `${where(b.include)}: ${b.problem}`,
      fix: `point the include at a file in ${REQUIREMENTS_DIR}/, relative to ${b.include.file}, or remove the line`,
    });
  }
  if (!broken.length) findings.push({ severity: "pass", check: "requirements.include", message: `every -r/-c include resolves inside ${REQUIREMENTS_DIR}/` });
  if (parse(MATERIALS.requirements) === undefined) {
    findings.push({ severity: "fail", check: "requirements.pinned", message: `${MATERIALS.requirements} (tiers.ts MATERIALS.requirements) does not exist`, fix: `restore ${MATERIALS.requirements}` });
  } else {
    findings.push(...pinnedFindings(parse, [MATERIALS.requirements], "the materials file is always fully pinned, per the build guide"));
  }
  return findings;
}

function pinnedFindings(parse: Parse, roots: readonly string[], why: string): Finding[] {
  const files = closureOf(parse, roots).installed;
  const findings: Finding[] = [];
  for (const file of files) {
    for (const r of parse(file)?.packages ?? []) {
      if (exactPin(r)) continue;
      const found = r.url ? `a URL (${r.url})` : r.specs.length ? `"${specText(r.specs)}"` : "no version";
      findings.push({
        severity: "fail",
        check: "requirements.pinned",
        message: `${where(r)}: ${r.name} has ${found}; ${why}, accepted: ${r.name}==<PEP 440 version>`,
        fix: `pin it, e.g. \`${r.name}==<version>\` (pip index versions ${r.name} lists them)`,
      });
    }
  }
  if (!findings.length) findings.push({ severity: "pass", check: "requirements.pinned", message: `${files.join(", ")}: every package pinned with == (${why})` });
  return findings;
}

interface Seen {
  req: PackageReq;
  tier: TierName;
  pin?: string;
}

function conflictBetween(a: Seen, b: Seen): string | undefined {
  if (a.pin && b.pin) return versionEq(a.pin, b.pin) ? undefined : `pinned to ${a.pin}`;
  if (a.pin && b.req.specs.length && !satisfies(a.pin, specText(b.req.specs))) return `pinned to ${a.pin}`;
  if (b.pin && a.req.specs.length && !satisfies(b.pin, specText(a.req.specs))) return `limited to ${specText(a.req.specs)}`;
  return undefined;
}

/**
 * Pins across the tiers a stack builds, lowest first. An upper tier installs
 * with everything below held at its version, so a second, different pin is a
 * build that fails 20 minutes in. Lines with environment markers are left to
 * the resolver: two pins under exclusive markers are legitimate.
 */
function conflictFindings(parse: Parse, plan: StackPlan): Finding[] {
  const seen = new Map<string, Seen[]>();
  const findings: Finding[] = [];
  for (const { tier, packages } of packagesByTier(parse, plan)) {
    for (const req of packages) {
      if (req.marker || req.url) continue;
      const entry: Seen = { req, tier, pin: exactPin(req) };
      const earlier = seen.get(req.key) ?? [];
      for (const e of earlier) {
        const what = conflictBetween(e, entry);
        if (!what) continue;
        findings.push({
          severity: "fail",
          check: "requirements.conflict",
          message: `${req.key} is ${what} in ${where(e.req)} (tier ${e.tier}) but ${reqText(req)} in ${where(req)} (tier ${tier}); tiers stack on each other, so both must hold at once`,
          fix: `keep one version: pin ${req.key} once, in the lowest tier that needs it (${e.tier}), and drop or align the other line`,
        });
      }
      seen.set(req.key, [...earlier, entry]);
    }
  }
  if (!findings.length) {
    findings.push({ severity: "pass", check: "requirements.conflict", message: `no package pinned to two versions across tiers ${plan.tiers.map((t) => t.tier).join(", ")}` });
  }
  return findings;
}

/** Checks of what a stack installs: pinned when plan.pinned, no cross-tier conflict, no dev file. */
export function stackFindings(source: RequirementsSource, plan: StackPlan): Finding[] {
  const parse = parser(source);
  const findings: Finding[] = [];
  const installedRoots = plan.tiers.flatMap((t) => t.requirements);
  for (const t of plan.tiers) {
    for (const file of t.requirements.filter((f) => parse(f) === undefined)) {
      findings.push({ severity: "fail", check: "requirements.parse", message: `${file} does not exist, and tier ${t.tier} installs it (src/core/tiers.ts)`, fix: `restore ${file}, or correct the tier's requirements in src/core/tiers.ts` });
    }
  }
  if (plan.pinned) {
    // fileFindings already holds the materials file to this rule, always.
    const roots = installedRoots.filter((f) => f !== MATERIALS.requirements);
    findings.push(...pinnedFindings(parse, roots, `stack ${plan.stack} is pinned: atlas:pinned, default true above tier 0`));
  }
  findings.push(...conflictFindings(parse, plan));
  for (const t of plan.tiers) {
    const closure = closureOf(parse, t.requirements);
    if (!closure.installed.includes(DEV_REQUIREMENTS)) continue;
    const inc = closure.via.get(DEV_REQUIREMENTS);
    const via = inc ? `${where(inc)} includes it` : `tier ${t.tier} lists it`;
    findings.push({
      severity: "fail",
      check: "requirements.dev",
      message: `${DEV_REQUIREMENTS} (dev and test tools) would be installed in the ${t.tier} image: ${via}`,
      fix: `remove the -r ${posix.basename(DEV_REQUIREMENTS)} line; dev tools are installed in no image`,
    });
  }
  if (!findings.some((f) => f.check === "requirements.dev")) {
    findings.push({ severity: "pass", check: "requirements.dev", message: `${DEV_REQUIREMENTS} is installed in no image of stack ${plan.stack}` });
  }
  return findings;
}

/** Every requirements check for one stack. */
export function requirementsFindings(source: RequirementsSource, plan: StackPlan): Finding[] {
  return [...fileFindings(source), ...stackFindings(source, plan)];
}
