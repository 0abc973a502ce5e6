/**
 * Facts about the project checkout that the build labels and tags need:
 * VERSION, the revision of the build inputs and the source URL.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PlanInputs } from "./plan";

/** Paths whose changes can change an image; the revision label follows only these. */
export const BUILD_INPUT_PATHS = ["docker", "requirements", "VERSION"];

export function readVersion(root: string): string {
  const path = join(root, "VERSION");
  const version = readFileSync(path, "utf8").trim();
  if (!/^\d+(\.\d+)*([.-][0-9A-Za-z.-]+)?$/.test(version)) {
    throw new Error(`${path}: expected a version such as 0.6, found ${JSON.stringify(version)}`);
  }
  return version;
}

/**
 * The last commit that touched a build input. A label of HEAD would change on
 * every commit (a README edit too) and force a rebuild of every tier each time.
 */
export function buildInputsRevision(root: string): string {
  try {
    const sha = execFileSync("git", ["log", "-1", "--format=%H", "--", ...BUILD_INPUT_PATHS], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return sha || "unknown";
  } catch {
    return "unknown";
  }
}

/** Everything planStack needs besides the config, for a stack of this checkout. */
export function planInputs(root: string, stack: string): PlanInputs {
  return { stack, version: readVersion(root), revision: buildInputsRevision(root), source: sourceUrl(root) };
}

export function sourceUrl(root: string): string {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { repository?: string | { url?: string } };
  const repo = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
  return repo ?? "unknown";
}
