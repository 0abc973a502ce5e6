/**
 * What can change a tier's image, and nothing else: its cut of the Dockerfile
 * (the stage and the global ARGs it uses), the files that stage copies from
 * docker/, the requirements files it installs with their -r/-c includes, and
 * VERSION (its tags). Its parent's digest, the other input, reaches it through
 * the chain. The staged build context, the revision label and the rebuild
 * explanation all follow these inputs, so none of them moves for a change
 * that cannot reach the tier.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { cutStage, stageDockerfile, stagedDockerfile } from "./dockerfile-stages";
import { DOCKER_CONTEXT, DOCKERFILE } from "./plan";
import { RequirementsSource, closureOf, normalizeName, parser } from "./requirements-files";

export const VERSION_FILE = "VERSION";

export interface TierInputs {
  stage: string;
  /** The Dockerfile the tier is built from (stageDockerfile). */
  dockerfile: string;
  /** Files the stage copies, project-relative (`docker/atlas-lab`). */
  copies: string[];
  /** Requirements files it installs, with their includes, project-relative. */
  requirements: string[];
}

/** A project file's text, or undefined when there is none. */
export type ReadFile = (path: string) => string | undefined;

function required(read: ReadFile, path: string): string {
  const text = read(path);
  if (text === undefined) throw new Error(`${path}: not found; it is a build input`);
  return text;
}

export function tierInputs(read: ReadFile, stage: string, requirements: readonly string[]): TierInputs {
  const text = required(read, DOCKERFILE);
  const source: RequirementsSource = { list: () => [], read };
  const cut = cutStage(text, stage);
  return {
    stage,
    dockerfile: stagedDockerfile(cut, stage),
    copies: cut.copies.map((c) => posix.join(DOCKER_CONTEXT, c)),
    requirements: closureOf(parser(source), requirements).files,
  };
}

/**
 * The stage's cut of a Dockerfile text as history is compared on: the staged
 * text, or undefined when that version of the file has no such stage.
 */
export function stageCutOf(text: string | undefined, stage: string): string | undefined {
  if (text === undefined) return undefined;
  try {
    return stageDockerfile(text, stage);
  } catch {
    return undefined;
  }
}

/** Plain files whose every change reaches the tier (the Dockerfile is compared by its cut instead). */
export function inputPaths(inputs: TierInputs): string[] {
  return [...inputs.copies, ...inputs.requirements, VERSION_FILE];
}

/**
 * A requirements file as lines pip acts on: comments, blank lines and
 * continuation breaks removed, sorted, so moving a line is no change.
 */
export function requirementLines(text: string): string[] {
  return text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.replace(/(^|\s)#.*$/, "").trim().replace(/\s+/g, " "))
    .filter((l) => l !== "")
    .sort();
}

/**
 * A requirements file's lines keyed by the package they name (an option line,
 * or a second line for one package, by itself), so the outputs diff of a
 * changed pin reads `~ numpy: "numpy==2.2.5" => "numpy==2.2.6"` rather than as
 * shifted list items.
 */
export function requirementsByPackage(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const match = /^[A-Za-z0-9][A-Za-z0-9._-]*/.exec(line);
    const name = match && normalizeName(match[0]);
    out[name && !(name in out) ? name : line] = line;
  }
  return out;
}

/**
 * What a tier was built from, as kept in the stack's outputs: requirements
 * files by their lines (requirementsByPackage), every other input by its
 * sha256. The next preview compares against it to say why a tier rebuilds.
 */
export type InputsManifest = Record<string, Record<string, string> | string>;

export const DOCKERFILE_KEY = (stage: string) => `${DOCKERFILE} (stage ${stage})`;

function sha256(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

export function inputsManifest(read: ReadFile, inputs: TierInputs): InputsManifest {
  const manifest: InputsManifest = { [DOCKERFILE_KEY(inputs.stage)]: sha256(inputs.dockerfile) };
  for (const file of inputs.copies) manifest[file] = sha256(required(read, file));
  for (const file of inputs.requirements) manifest[file] = requirementsByPackage(requirementLines(required(read, file)));
  return manifest;
}

/**
 * Why a tier's inputs differ from what it was last built from, one reason per
 * changed input: `requirements-accel.txt: +tabulate==0.9.0, -tabulate==0.8.10`,
 * `docker/atlas-lab changed`. Empty when nothing differs.
 */
export function inputChanges(before: InputsManifest, after: InputsManifest): string[] {
  const reasons: string[] = [];
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const [old, now] = [before[key], after[key]];
    const lines = typeof (now ?? old) === "object";
    const name = lines ? posix.basename(key) : key;
    if (old === undefined) reasons.push(`${name} added`);
    else if (now === undefined) reasons.push(`${name} no longer installed`);
    else if (typeof old === "object" && typeof now === "object") {
      const [was, is] = [Object.values(old), Object.values(now)];
      const added = is.filter((l) => !was.includes(l)).map((l) => `+${l}`);
      const removed = was.filter((l) => !is.includes(l)).map((l) => `-${l}`);
      if (added.length || removed.length) reasons.push(`${name}: ${[...added, ...removed].join(", ")}`);
    } else if (JSON.stringify(old) !== JSON.stringify(now)) reasons.push(`${key} changed`);
  }
  return reasons;
}
