/**
 * `npm run check [stack] [--all]`: the project-file checks the program runs
 * before every preview (requirements, Dockerfile against tiers.ts, the
 * compatibility gate), without the engine. `--all` checks every committed stack.
 * Exits 1 when a check fails, 2 when the stack cannot be loaded.
 */
import { join } from "node:path";
import { staticFindings } from "../src/checks/run-checks";
import { Finding, failures, findingLine, formatFinding, summaryLine } from "../src/checks/findings";
import { tiersSummary } from "../src/core/plan";
import { parseStackArgs } from "../src/core/stack-file";
import { committedStacks, loadStack } from "../src/core/stacks";

/** Checks the stacks and prints their findings; file-level ones once. Returns the exit code. */
export function checkStacks(root: string, stacks: readonly string[], print: (line: string) => void = console.log): number {
  const shown = new Set<string>();
  const all: Finding[] = [];
  for (const name of stacks) {
    const plan = loadStack(root, name);
    print(`check ${name}: ${tiersSummary(plan)}, base image ${plan.baseImage}`);
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
  return failures(all).length ? 1 : 0;
}

if (require.main === module) {
  const root = join(__dirname, "..");
  try {
    const { stack, flags } = parseStackArgs(process.argv.slice(2), ["--all"]);
    process.exitCode = checkStacks(root, flags.has("--all") ? committedStacks(root) : [stack]);
  } catch (err) {
    console.error(`check: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}
