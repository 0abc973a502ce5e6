/**
 * A stack's StackPlan read from its Pulumi.<stack>.yaml, without the engine:
 * the commands and their tests use this, the program uses the engine's config.
 * Both go through parseConfig and planStack, so a stack resolves to the same
 * plan either way (the unit tests compare them).
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { AtlasConfig, parseConfig } from "./config";
import { StackPlan, planStack } from "./plan";
import { planInputs } from "./project";
import { readStackFile } from "./stack-file";
import { tierByName } from "./tiers";

/** Stack names with a Pulumi.<stack>.yaml in the project root. */
function stackFileNames(root: string): string[] {
  return readdirSync(root)
    .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((n): n is string => n !== undefined);
}

/** Stack names with a Pulumi.<stack>.yaml in the project root, fewest tiers first. */
export function committedStacks(root: string): string[] {
  const names = stackFileNames(root);
  // The top tier's level orders them; no plan is needed for that (planning reads VERSION and runs git).
  const level = new Map(names.map((n) => [n, tierByName(stackConfig(root, n).tier).level]));
  return names.sort((a, b) => level.get(a)! - level.get(b)! || a.localeCompare(b));
}

function stackConfig(root: string, stack: string): AtlasConfig {
  // Encrypted (secure) values are skipped by readStackFile; they are never part of the plan.
  return parseConfig(readStackFile(root, stack), new Set(), existsSync);
}

export function loadStack(root: string, stack: string): StackPlan {
  const file = join(root, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) {
    const known = stackFileNames(root);
    throw new Error(`stack ${JSON.stringify(stack)}: ${file} does not exist; accepted: ${known.join(", ") || "(no stack files found)"}`);
  }
  return planStack(stackConfig(root, stack), planInputs(root, stack));
}
