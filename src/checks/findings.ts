/**
 * Findings: what every check (requirements, compatibility gate, pre-check)
 * reports. One shape, so the program, the commands and the tests treat them
 * alike; the lines the commands print them in, and findingsCommand, the
 * command of pre-check and resolve.
 */
import { Command, EXIT, StackArgs, stackCommand } from "../core/command";
import { StackPlan, tiersSummary } from "../core/plan";
import { loadStack } from "../core/stacks";

export type Severity = "pass" | "warn" | "fail";

export interface Finding {
  severity: Severity;
  /** Short name of the check, e.g. "requirements.pinned" or "precheck.disk". */
  check: string;
  /** What was found, with the value measured or read. */
  message: string;
  /** How to fix it; absent on passes. */
  fix?: string;
}

export function failures(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === "fail");
}

export function formatFinding(f: Finding): string {
  const mark = { pass: "PASS", warn: "WARN", fail: "FAIL" }[f.severity];
  return `${mark}  ${f.check}: ${f.message}${f.fix ? `\n      fix: ${f.fix}` : ""}`;
}

/** A finding as the commands print it under their header line: indented, fix included. */
export function findingLine(f: Finding): string {
  return `  ${formatFinding(f).replace(/\n/g, "\n  ")}`;
}

/** The commands' closing line: "ok: 0 failed, 1 warnings" or "FAILED: …". */
export function summaryLine(findings: readonly Finding[], suffix = ""): string {
  const failed = failures(findings).length;
  const warned = findings.filter((f) => f.severity === "warn").length;
  return `${failed ? "FAILED" : "ok"}: ${failed} failed, ${warned} warnings${suffix}`;
}

/** EXIT.failed when a finding failed. */
export function exitCode(findings: readonly Finding[]): number {
  return failures(findings).length ? EXIT.failed : EXIT.ok;
}

/** A command's header line for one stack: "check llm: tiers base, llm, base image …". */
export function stackHeader(command: string, plan: StackPlan, detail: string): string {
  return `${command} ${plan.stack}: ${tiersSummary(plan)}, ${detail}`;
}

/**
 * A command over one stack that reports findings (pre-check, resolve): its
 * header line (`detail` ends it), each finding, the summary; exit 1 when one failed.
 */
export function findingsCommand(name: string, usage: string, find: (root: string, plan: StackPlan) => Promise<Finding[]>, detail: (plan: StackPlan) => string): Command<StackArgs> {
  return stackCommand(name, usage, [], async ({ stack }, { root, out }) => {
    const plan = loadStack(root, stack);
    out(stackHeader(name, plan, detail(plan)));
    const findings = await find(root, plan);
    for (const f of findings) out(findingLine(f));
    out(summaryLine(findings));
    return exitCode(findings);
  });
}

/** Thrown by the program when a check fails: the preview stops before any resource is registered. */
export class CheckFailed extends Error {
  constructor(readonly findings: Finding[]) {
    super(`ATLAS checks failed:\n${findings.map(formatFinding).join("\n")}`);
    this.name = "CheckFailed";
  }
}
