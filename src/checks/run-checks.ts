/**
 * The checks that run inside the program before anything is registered
 * (failures stop the preview; warnings go to pulumi.log.warn), and
 * `npm run check`, which runs their project-file part without the engine.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkReleases } from "../build/releases";
import { stackCommand } from "../core/command";
import { ReleaseEntry } from "../core/config";
import { StackPlan } from "../core/plan";
import { diskSource, tierPackages } from "../core/requirements-files";
import { committedStacks, loadStack } from "../core/stacks";
import { labsProblems } from "../lab/container-spec";
import { compatFindings, loadCompatData } from "./compat";
import { readDockerfileFindings } from "./dockerfile";
import { CheckFailed, Finding, exitCode, failures, findingLine, formatFinding, stackHeader, summaryLine } from "./findings";
import { lightFindings } from "./precheck";
import { requirementsFindings } from "./requirements";

/**
 * The project-file checks (`npm run check` runs the same): requirements,
 * Dockerfile against tiers.ts, and the compatibility gate. File reads only.
 */
export function staticFindings(root: string, plan: StackPlan): Finding[] {
  // One source for both: each requirements file is read and parsed once.
  const source = diskSource(root);
  return [...requirementsFindings(source, plan), ...readDockerfileFindings(root), ...compatibilityGate(root, plan, source)];
}

/** The compatibility gate over a stack's base image and pins; the plan view shows the same. */
export function compatibilityGate(root: string, plan: StackPlan, source = diskSource(root)): Finding[] {
  return compatFindings(loadCompatData(root), plan.baseImage, tierPackages(source, plan), plan.allowIncompatible);
}

/** Every in-program check; pure functions from the check modules are added here. */
export function collectFindings(root: string, plan: StackPlan): Finding[] {
  // Release rules need the plan and lab rules compare labs with each other
  // (ports, volumes), so they run here rather than in the config schema;
  // either way before TierImages registers anything.
  const labs = labsProblems(plan.labs).map((message): Finding => ({ severity: "fail", check: "config.jupyter", message }));
  return [...staticFindings(root, plan), ...lightFindings(plan), ...releaseFindings(plan.releases, plan), ...labs];
}

/** atlas:releases problems (build/releases.ts checkReleases) as failing Findings: the preview stops before any resource. */
export function releaseFindings(releases: readonly ReleaseEntry[], plan: StackPlan): Finding[] {
  return checkReleases(releases, plan).problems.map((p) => ({
    severity: "fail",
    check: "releases",
    message: `${p.key}: ${p.message}`,
    fix: `accepted: ${p.accepted}`,
  }));
}

export function runChecks(root: string, plan: StackPlan): void {
  const findings = collectFindings(root, plan);
  for (const f of findings) if (f.severity === "warn") pulumi.log.warn(`${f.check}: ${f.message}${f.fix ? ` (fix: ${f.fix})` : ""}`);
  const failed = failures(findings);
  if (failed.length) throw new CheckFailed(failed);
}

/** Checks the stacks and prints their findings; file-level ones once. Returns the exit code. */
export function checkStacks(root: string, stacks: readonly string[], print: (line: string) => void): number {
  const shown = new Set<string>();
  const all: Finding[] = [];
  for (const name of stacks) {
    const plan = loadStack(root, name);
    print(stackHeader("check", plan, `base image ${plan.baseImage}`));
    for (const f of staticFindings(root, plan)) {
      // File-level findings are the same for every stack: print and count them once.
      const text = formatFinding(f);
      if (shown.has(text)) continue;
      shown.add(text);
      all.push(f);
      print(findingLine(f));
    }
  }
  print(summaryLine(all, ` across ${stacks.length} stack${stacks.length > 1 ? "s" : ""}`));
  return exitCode(all);
}

/** `npm run check -- [stack] [--all]`; `--all` checks every committed stack. */
export const checkCommand = stackCommand("check", "usage: npm run check -- [stack] [--all]", ["--all"], ({ stack, flags }, { root, out }) =>
  checkStacks(root, flags.has("--all") ? committedStacks(root) : [stack], out),
);
