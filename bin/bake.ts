// npm run -s bake -- [stack] [--no-stage]: prints the stack's docker-bake.json to
// stdout (src/export/bake.ts). Contexts are staged first, as the program does, so
// `docker buildx bake -f <file>` works from the project root right away.
import { join } from "node:path";
import { bakeFile } from "../src/export/bake";
import { stageRequirementContexts } from "../src/build/contexts";
import { parseStackArgs } from "../src/core/stack-file";
import { loadStack } from "../src/core/stacks";

const USAGE = "usage: npm run -s bake -- [stack] [--no-stage] > docker-bake.json";

function main(argv: string[]): number {
  // Same `[stack] [--flag ...]` convention as check/precheck/resolve: the stack defaults to dev.
  let args: ReturnType<typeof parseStackArgs>;
  try {
    args = parseStackArgs(argv, ["--no-stage"]);
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { stack, flags } = args;
  const root = join(__dirname, "..");
  const plan = loadStack(root, stack);
  if (!flags.has("--no-stage")) {
    stageRequirementContexts(root, plan);
    console.error(`staged requirements contexts: ${plan.tiers.map((t) => t.requirementsContext).join(", ")}`);
  }
  // A bake file has no builder field: the stack's builder goes on the command line.
  if (plan.builder) console.error(`this stack builds on builder ${plan.builder}: docker buildx bake --builder ${plan.builder} -f <file>`);
  process.stdout.write(`${JSON.stringify(bakeFile(plan), null, 2)}\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error((e as Error).message);
  process.exitCode = 1;
}
