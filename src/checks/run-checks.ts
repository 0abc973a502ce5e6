/**
 * The checks that run inside the program before anything is registered.
 * Failures stop the preview; warnings go to pulumi.log.warn.
 */
import * as pulumi from "@pulumi/pulumi";
import { compatFindings, loadCompatData } from "./compat";
import { readDockerfileFindings } from "./dockerfile";
import { CheckFailed, Finding, failures } from "./findings";
import { StackPlan } from "../core/plan";
import { lightFindings } from "./precheck";
import { labsProblems } from "../lab/container-spec";
import { releaseFindings } from "../build/releases";
import { diskSource, tierPackages } from "../core/requirements-files";
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

export function runChecks(root: string, plan: StackPlan): void {
  const findings = collectFindings(root, plan);
  for (const f of findings) if (f.severity === "warn") pulumi.log.warn(`${f.check}: ${f.message}${f.fix ? ` (fix: ${f.fix})` : ""}`);
  const failed = failures(findings);
  if (failed.length) throw new CheckFailed(failed);
}
