/**
 * The checks that run inside the program before anything is registered.
 * Failures stop the preview; warnings go to pulumi.log.warn.
 */
import * as pulumi from "@pulumi/pulumi";
import { AtlasConfig } from "./config";
import { CheckFailed, Finding, failures } from "./findings";
import { StackPlan } from "./plan";

/** Every in-program check; pure functions from the check modules are added here. */
export function collectFindings(_root: string, _config: AtlasConfig, _plan: StackPlan): Finding[] {
  return [];
}

export function runChecks(root: string, config: AtlasConfig, plan: StackPlan): void {
  const findings = collectFindings(root, config, plan);
  for (const f of findings) if (f.severity === "warn") pulumi.log.warn(`${f.check}: ${f.message}${f.fix ? ` (fix: ${f.fix})` : ""}`);
  const failed = failures(findings);
  if (failed.length) throw new CheckFailed(failed);
}
