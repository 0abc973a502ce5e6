// The end of scripts/test.sh's output: each failed test with the first lines of
// its error, then "N passed, N failed, N skipped". CI logs are often read from
// the tail only, so the first failure's cause is repeated here, short.
// Usage: ts-node scripts/test-report.ts <vitest json report>...
import { existsSync, readFileSync } from "node:fs";

const FIRST_FAILURE_LINES = 30;
const OTHER_FAILURE_LINES = 3;
const MAX_LISTED = 10;

/** The part of vitest's JSON reporter output read here. */
export interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults?: { name: string; status: string; message?: string; assertionResults?: { status: string; fullName: string; failureMessages?: string[] }[] }[];
}

// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "");
const readable = (message: string, lines: number) =>
  plain(message)
    .split("\n")
    .filter((line) => !/^\s+at /.test(line) && line.trim() !== "")
    .slice(0, lines)
    .map((line) => `    ${line}`)
    .join("\n");

/** The report's text; a missing report (undefined) counts as one failure. */
export function testReport(reports: { file: string; report?: Report }[], cwd = process.cwd()): string {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failures: { name: string; message: string }[] = [];
  for (const { file, report } of reports) {
    if (!report) {
      failed++;
      failures.push({ name: file, message: "no results: the test run did not finish" });
      continue;
    }
    passed += report.numPassedTests;
    // numFailedTestSuites also counts every file and describe block around a
    // failed test; only a file that failed outside its tests (an import, a
    // hook) is a failure of its own, and it carries a message.
    failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
    for (const suite of report.testResults ?? []) {
      const where = suite.name.replace(`${cwd}/`, "");
      if (suite.status === "failed" && suite.message) {
        failed++;
        failures.push({ name: where, message: suite.message });
      }
      for (const test of suite.assertionResults ?? []) {
        if (test.status === "failed") failures.push({ name: `${where} > ${test.fullName}`, message: (test.failureMessages ?? []).join("\n") });
      }
    }
  }
  const out: string[] = [];
  if (failures.length) {
    out.push("", `==== ${failures.length} failure(s); the first in full, then a line or so each ====`);
    failures.slice(0, MAX_LISTED).forEach((f, i) => {
      out.push(`✗ ${f.name}`, readable(f.message, i === 0 ? FIRST_FAILURE_LINES : OTHER_FAILURE_LINES));
    });
    if (failures.length > MAX_LISTED) out.push(`  … and ${failures.length - MAX_LISTED} more`);
  }
  out.push(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  return out.join("\n");
}

if (require.main === module) {
  const reports = process.argv.slice(2).map((file) => ({
    file,
    report: existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Report) : undefined,
  }));
  console.log(testReport(reports));
}
