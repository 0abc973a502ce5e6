/**
 * Findings: what every check (requirements, compatibility gate, pre-check)
 * reports. One shape, so the program, the commands and the tests treat them alike.
 */
import { EXIT } from "../core/command";

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

/** What pre-check and resolve print below their header line: the findings, the summary; the exit code. */
export function reportFindings(print: (line: string) => void, findings: readonly Finding[]): number {
  for (const f of findings) print(findingLine(f));
  print(summaryLine(findings));
  return exitCode(findings);
}

/** EXIT.failed when a finding failed. */
export function exitCode(findings: readonly Finding[]): number {
  return failures(findings).length ? EXIT.failed : EXIT.ok;
}

/** Thrown by the program when a check fails: the preview stops before any resource is registered. */
export class CheckFailed extends Error {
  constructor(readonly findings: Finding[]) {
    super(`ATLAS checks failed:\n${findings.map(formatFinding).join("\n")}`);
    this.name = "CheckFailed";
  }
}
