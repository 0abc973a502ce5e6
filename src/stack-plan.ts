/**
 * A stack's config and StackPlan read from its Pulumi.<stack>.yaml, without the
 * engine: the plan, bake and tag commands and their tests use this, the program
 * uses the engine's config. Both go through parseConfig and planStack, so a
 * stack resolves to the same plan either way (the unit tests compare them).
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { AtlasConfig, parseConfig } from "./config";
import { StackPlan, planStack } from "./plan";
import { planInputs } from "./project";
import { readStackFile } from "./stack-file";

export interface LocalStack {
  config: AtlasConfig;
  plan: StackPlan;
}

/** Stack names with a Pulumi.<stack>.yaml in the project root. */
function stackFileNames(root: string): string[] {
  return readdirSync(root)
    .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((n): n is string => n !== undefined);
}

/** Stack names with a Pulumi.<stack>.yaml in the project root, fewest tiers first. */
export function committedStacks(root: string): string[] {
  const names = stackFileNames(root);
  const size = new Map(names.map((n) => [n, loadStack(root, n).plan.tiers.length]));
  return names.sort((a, b) => size.get(a)! - size.get(b)! || a.localeCompare(b));
}

export function loadStack(root: string, stack: string): LocalStack {
  const file = join(root, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) {
    const known = stackFileNames(root);
    throw new Error(`stack ${JSON.stringify(stack)}: ${file} does not exist; accepted: ${known.join(", ") || "(no stack files found)"}`);
  }
  // Encrypted (secure) values are skipped by readStackFile; they are never part of the plan.
  const config = parseConfig(readStackFile(root, stack), new Set(), existsSync);
  const plan = planStack(config, planInputs(root, stack));
  return { config, plan };
}
