/**
 * Per-tier requirements contexts. The docker-build provider hashes every local
 * context of an Image to decide whether to rebuild it, so each tier gets a
 * directory holding only the files it installs: editing requirements-llm.txt
 * rebuilds llm and what is above it, and leaves base alone.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { StackPlan } from "./plan";

export function stageRequirementContexts(root: string, plan: StackPlan): void {
  for (const tier of plan.tiers) {
    const dir = join(root, tier.requirementsContext);
    mkdirSync(dir, { recursive: true });
    const wanted = new Set(tier.requirements.map((f) => basename(f)));
    // Stale files from another config (materials switched off) would be hashed too.
    for (const entry of readdirSync(dir)) if (!wanted.has(entry)) rmSync(join(dir, entry), { recursive: true });
    for (const file of tier.requirements) copyFileSync(join(root, file), join(dir, basename(file)));
  }
}
