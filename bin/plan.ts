// npm run -s plan -- [stack] [--json]: what a stack builds, without the engine (src/export/plan-view.ts).
// bin/plan.ts --mermaid: the README's tier-chain block, generated from every committed stack.
import { join } from "node:path";
import { compatibilityGate } from "../src/checks/run-checks";
import { formatPlanView, mermaidBlock, planView } from "../src/export/plan-view";
import { parseStackArgs } from "../src/core/stack-file";
import { committedStacks, loadStack } from "../src/core/stacks";

const USAGE = "usage: npm run -s plan -- [stack] [--json]   |   npx ts-node --transpile-only bin/plan.ts --mermaid";

function main(argv: string[]): number {
  const root = join(__dirname, "..");
  // Same `[stack] [--flag ...]` convention as check/precheck/resolve: the stack defaults to dev.
  let args: ReturnType<typeof parseStackArgs>;
  try {
    args = parseStackArgs(argv, ["--json", "--mermaid"]);
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { stack, flags } = args;
  if (flags.has("--mermaid")) {
    process.stdout.write(`${mermaidBlock(committedStacks(root).map((s) => loadStack(root, s)))}\n`);
    return 0;
  }
  const plan = loadStack(root, stack);
  const view = planView(plan, { gate: compatibilityGate(root, plan) });
  process.stdout.write(flags.has("--json") ? `${JSON.stringify(view, null, 2)}\n` : `${formatPlanView(view)}\n`);
  return view.gate.status === "fail" || view.releaseProblems.length ? 1 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}
