/**
 * `npm run precheck [stack]`: the guide's pre-check.sh. Probes this host
 * (Docker daemon, BuildKit builder, disk, memory, GPU runtime, registry and
 * credentials) against what the stack needs. The registry password is read
 * from ATLAS_REGISTRY_PASSWORD, never from the stack file.
 * Exits 1 when a check fails, 2 when the stack cannot be loaded.
 */
import { join } from "node:path";
import { failures, findingLine, summaryLine } from "../src/checks/findings";
import { tiersSummary } from "../src/core/plan";
import { runPrecheck } from "../src/checks/precheck-probes";
import { parseStackArgs } from "../src/core/stack-file";
import { loadStack } from "../src/core/stacks";

const root = join(__dirname, "..");

async function main(argv: string[]): Promise<number> {
  const { stack } = parseStackArgs(argv, []);
  const plan = loadStack(root, stack);
  console.log(`precheck ${stack}: ${tiersSummary(plan)}, builder ${plan.builder ?? "(current)"}, registry ${plan.registry?.server ?? "(none)"}`);
  const findings = await runPrecheck(root, plan);
  for (const f of findings) console.log(findingLine(f));
  console.log(summaryLine(findings));
  return failures(findings).length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    console.error(`precheck: ${err.message}`);
    process.exitCode = 2;
  },
);
