/**
 * Per-tier requirements contexts. The docker-build provider hashes every local
 * context of an Image to decide whether to rebuild it, so each tier gets a
 * directory holding only the files it installs: editing requirements-llm.txt
 * rebuilds llm and what is above it, and leaves base alone.
 */
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { StackPlan } from "../core/plan";
import { REQUIREMENTS_DIR, includedFiles } from "../core/requirements-files";

export function stageRequirementContexts(root: string, plan: StackPlan): void {
  for (const tier of plan.tiers) {
    const dir = join(root, tier.requirementsContext);
    // The tier's files and what they include (-r/-c), at their paths under
    // requirements/, so relative includes still resolve inside the build.
    const files = [...new Set(tier.requirements.flatMap((f) => [f, ...includedFiles(root, f)]))];
    const wanted = files.map((f) => relative(REQUIREMENTS_DIR, f));
    // A fresh directory each time: a stale file (materials switched off) would be hashed too.
    rmSync(dir, { recursive: true, force: true });
    for (const rel of wanted) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      copyFileSync(join(root, REQUIREMENTS_DIR, rel), join(dir, rel));
    }
  }
}
