/**
 * Facts about the project checkout that the build labels and tags need:
 * VERSION, each tier's revision and the source URL.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DOCKERFILE, PlanInputs } from "./plan";
import { diskSource } from "./requirements-files";
import { ReadFile, TierInputs, VERSION_FILE, inputPaths, stageCutOf, tierInputs } from "./tier-inputs";

export function readVersion(root: string): string {
  const path = join(root, VERSION_FILE);
  const version = readFileSync(path, "utf8").trim();
  if (!/^\d+(\.\d+)*([.-][0-9A-Za-z.-]+)?$/.test(version)) {
    throw new Error(`${path}: expected a version such as 0.6, found ${JSON.stringify(version)}`);
  }
  return version;
}

function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 64 << 20 });
  } catch {
    return undefined;
  }
}

/** A commit's files never change: one `git show` per commit and root serves every tier and stack of a run. */
const committedDockerfiles = new Map<string, string | undefined>();

function committedDockerfile(root: string, rev: string): string | undefined {
  const key = `${root}\0${rev}`;
  if (!committedDockerfiles.has(key)) committedDockerfiles.set(key, git(root, ["show", `${rev}:${DOCKERFILE}`]));
  return committedDockerfiles.get(key);
}

/**
 * The last commit that changed one of a tier's inputs: a file it copies or
 * installs, VERSION, or its cut of the Dockerfile (a commit that edits only
 * another stage does not count). A label of HEAD, or of the last commit under
 * docker/ or requirements/, would move on commits that cannot change the tier
 * and rebuild it, and every tier above it, for nothing. "unknown" outside git.
 */
export function tierRevision(root: string, inputs: TierInputs): string {
  const paths = inputPaths(inputs);
  const log = git(root, ["log", "--format=%x00%H", "--name-only", "--", ...paths, DOCKERFILE]);
  if (!log) return "unknown";
  for (const entry of log.split("\0").slice(1)) {
    const [sha, ...files] = entry.split("\n").map((l) => l.trim()).filter(Boolean);
    if (files.some((f) => paths.includes(f))) return sha;
    // Only the Dockerfile changed here: did this tier's cut of it?
    const cut = (rev: string) => stageCutOf(committedDockerfile(root, rev), inputs.stage);
    if (cut(sha) !== cut(`${sha}^`)) return sha;
  }
  return "unknown";
}

/** Files of this checkout, read as the requirements checks read them. */
export function diskReader(root: string): ReadFile {
  return diskSource(root).read;
}

/** Everything planStack needs besides the config, for a stack of this checkout. */
export function planInputs(root: string, stack: string): PlanInputs {
  const read = diskReader(root);
  return {
    stack,
    version: readVersion(root),
    revisionOf: (stage, requirements) => {
      try {
        return tierRevision(root, tierInputs(read, stage, requirements));
      } catch {
        // A Dockerfile that cannot be read or cut: the checks name the problem.
        return "unknown";
      }
    },
    source: sourceUrl(root),
  };
}

export function sourceUrl(root: string): string {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { repository?: string | { url?: string } };
  const repo = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
  return repo ?? "unknown";
}
