/**
 * Temp copies of the project files the checks read, for tests that need bad
 * inputs: the committed files are never modified.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll } from "vitest";
import { parseConfig } from "../../src/core/config";
import { StackPlan, planStack } from "../../src/core/plan";
import { BASE_IMAGE, ROOT, atlasKeys } from "./harness";

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/**
 * A temp project root holding copies of requirements/, docker/Dockerfile and
 * constraints/compat.yaml, then `files` written over them (project-relative
 * path → text; null deletes the file).
 */
export function tempProject(files: Record<string, string | null> = {}): string {
  const root = mkdtempSync(join(tmpdir(), "atlas-check-"));
  made.push(root);
  for (const p of ["requirements", "docker/Dockerfile", "constraints/compat.yaml"]) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    cpSync(join(ROOT, p), join(root, p), { recursive: true });
  }
  for (const [p, text] of Object.entries(files)) {
    if (text === null) {
      rmSync(join(root, p), { force: true });
    } else {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), text);
    }
  }
  return root;
}

export function committed(path: string): string {
  return readFileSync(join(ROOT, path), "utf8");
}

/** The plan of `atlas:` keys without the prefix (values as in a stack file), pushed to ghcr.io unless they say otherwise. */
export function planFor(keys: Record<string, unknown>, stack = "test"): StackPlan {
  const raw = atlasKeys({ registry: { server: "ghcr.io", repository: "owner/atlas" }, ...keys });
  return planStack(parseConfig(raw, new Set()), { stack, version: "0.6", revisionOf: () => "test", source: "test" });
}

/** The full stack as committed, but with another base image. */
export function fullPlan(baseImage: string = BASE_IMAGE.full, extra: Record<string, unknown> = {}): StackPlan {
  return planFor({ tier: "full", materials: true, pinned: true, build: { baseImage }, ...extra });
}
