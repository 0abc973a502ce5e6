// The end of scripts/test.sh's output: each failed test with the first lines of
// its error, then "N passed, N failed, N skipped". CI logs are often read from
// the tail only, so the first failure's cause is repeated here, short.
// Usage: ts-node scripts/test-report.ts <vitest json report>...
import { existsSync, readFileSync } from "node:fs";

const FIRST_FAILURE_LINES = 30;
const OTHER_FAILURE_LINES = 3;
const MAX_LISTED = 10;

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numFailedTestSuites?: number;
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

let passed = 0;
let failed = 0;
let skipped = 0;
const failures: { name: string; message: string }[] = [];
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    failed++;
    failures.push({ name: file, message: "no results: the test run did not finish" });
    continue;
  }
  const report = JSON.parse(readFileSync(file, "utf8")) as Report;
  passed += report.numPassedTests;
  failed += report.numFailedTests + (report.numFailedTestSuites || 0);
  skipped += report.numPendingTests + report.numTodoTests;
  for (const suite of report.testResults ?? []) {
    const where = suite.name.replace(`${process.cwd()}/`, "");
    if (suite.status === "failed" && suite.message) failures.push({ name: where, message: suite.message });
    for (const test of suite.assertionResults ?? []) {
      if (test.status === "failed") failures.push({ name: `${where} > ${test.fullName}`, message: (test.failureMessages ?? []).join("\n") });
    }
  }
}

if (failures.length) {
  console.log(`\n==== ${failures.length} failure(s); the first in full, then a line or so each ====`);
  failures.slice(0, MAX_LISTED).forEach((f, i) => {
    console.log(`✗ ${f.name}\n${readable(f.message, i === 0 ? FIRST_FAILURE_LINES : OTHER_FAILURE_LINES)}`);
  });
  if (failures.length > MAX_LISTED) console.log(`  … and ${failures.length - MAX_LISTED} more`);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
