import { describe, expect, it } from "vitest";
import { type Report, testReport } from "../../scripts/test-report";

const base = { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0 };

function failing(messages: string[]): Report {
  return {
    ...base,
    numPassedTests: 2,
    numFailedTests: messages.length,
    testResults: [
      {
        name: "/repo/tests/e2e/atlas.e2e.test.ts",
        status: "failed",
        assertionResults: messages.map((m, i) => ({ status: "failed", fullName: `test ${i + 1}`, failureMessages: [m] })),
      },
    ],
  };
}

describe("the end-of-run test report (scripts/test-report.ts)", () => {
  it("counts passed, failed and skipped over every report", () => {
    const text = testReport([
      { file: "unit.json", report: { ...base, numPassedTests: 250, numPendingTests: 1, numTodoTests: 1 } },
      { file: "e2e.json", report: { ...base, numPassedTests: 15 } },
    ]);
    expect(text).toBe("265 passed, 0 failed, 2 skipped");
  });

  it("repeats the first failure in full, without ANSI colour or stack frames, and the others briefly", () => {
    const first = ["\x1b[31mError: pulumi up failed.\x1b[39m", "Errors the engine reported:", "atlas-base: blob unknown", "    at upOrExplain (stack.ts:1:1)", ...Array.from({ length: 8 }, (_, i) => `line ${i}`)];
    const text = testReport([{ file: "e2e.json", report: failing([first.join("\n"), "Error: no tiers\nsecond line\nthird\nfourth"]) }], "/repo");
    expect(text).toContain("✗ tests/e2e/atlas.e2e.test.ts > test 1\n    Error: pulumi up failed.\n    Errors the engine reported:\n    atlas-base: blob unknown\n    line 0");
    expect(text).toContain("line 7");
    expect(text).not.toContain("\x1b");
    expect(text).not.toContain("upOrExplain");
    expect(text).toContain("✗ tests/e2e/atlas.e2e.test.ts > test 2\n    Error: no tiers\n    second line\n    third\n2 passed");
    expect(text.endsWith("2 passed, 2 failed, 0 skipped")).toBe(true);
  });

  it("a report that was never written is a failure, not silence", () => {
    expect(testReport([{ file: ".atlas/test-results/e2e.json" }])).toContain("✗ .atlas/test-results/e2e.json\n    no results: the test run did not finish\n0 passed, 1 failed, 0 skipped");
  });

  it("a suite that failed outside its tests (a beforeAll, an import) is listed with its message", () => {
    const report: Report = { ...base, testResults: [{ name: "/repo/tests/e2e/gate.e2e.test.ts", status: "failed", message: "CI=true and the e2e toolchain is incomplete", assertionResults: [] }] };
    expect(testReport([{ file: "e2e.json", report }], "/repo")).toContain("✗ tests/e2e/gate.e2e.test.ts\n    CI=true and the e2e toolchain is incomplete\n0 passed, 1 failed");
  });

  it("one failed test counts once, though vitest also fails its file and describe blocks", () => {
    // As vitest's JSON reporter wrote it for one failing e2e test in a describe.
    const report = { ...failing(["Error: boom"]), numPassedTests: 15, numFailedTestSuites: 2, numTotalTestSuites: 5 };
    expect(testReport([{ file: "e2e.json", report }], "/repo").endsWith("15 passed, 1 failed, 0 skipped")).toBe(true);
  });
});
