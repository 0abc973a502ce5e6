/**
 * Per-tier build contexts. The docker-build provider hashes an Image's
 * Dockerfile and every local context to decide whether to rebuild it, so each
 * tier is built from a directory of its own holding only its inputs
 * (core/tier-inputs.ts):
 *   Dockerfile     its stage of docker/Dockerfile, with the global ARGs it uses
 *   context/       the files that stage copies from docker/
 *   requirements/  the requirements files it installs, at their paths under requirements/
 * Editing requirements-llm.txt, or the llm stage, rebuilds llm and, through its
 * new digest, full; base stays as it is.
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { DOCKER_CONTEXT, StackPlan } from "../core/plan";
import { diskReader } from "../core/project";
import { REQUIREMENTS_DIR } from "../core/requirements-files";
import { TierName } from "../core/tiers";
import { InputsManifest, TierInputs, inputsManifest, tierInputs } from "../core/tier-inputs";

function copyInto(root: string, files: readonly string[], from: string, to: string): void {
  for (const file of files) {
    const rel = posix.relative(from, file);
    mkdirSync(dirname(join(to, rel)), { recursive: true });
    copyFileSync(join(root, file), join(to, rel));
  }
}

/**
 * Writes every tier's staged directory afresh (a stale file, say the materials
 * file after materials is switched off, would be hashed too).
 * @returns each tier's inputs manifest: what the stack outputs record as built
 */
export function stageTierContexts(root: string, plan: StackPlan): Partial<Record<TierName, InputsManifest>> {
  const read = diskReader(root);
  const manifests: Partial<Record<TierName, InputsManifest>> = {};
  for (const tier of plan.tiers) {
    const inputs: TierInputs = tierInputs(read, tier.target, tier.requirements);
    const dir = join(root, dirname(tier.stagedDockerfile));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(root, tier.stagedContext), { recursive: true });
    mkdirSync(join(root, tier.requirementsContext), { recursive: true });
    writeFileSync(join(root, tier.stagedDockerfile), inputs.dockerfile);
    copyInto(root, inputs.copies, DOCKER_CONTEXT, join(root, tier.stagedContext));
    copyInto(root, inputs.requirements, REQUIREMENTS_DIR, join(root, tier.requirementsContext));
    manifests[tier.tier] = inputsManifest(read, inputs);
  }
  return manifests;
}
