/**
 * docker/Dockerfile cut per stage. A tier is built from its own Dockerfile:
 * the global ARGs and that one stage, nothing else. The provider hashes the
 * Dockerfile to decide on a rebuild, so an edit to the full stage then
 * rebuilds full only, and an edit to the base stage rebuilds base and, through
 * its new digest, the tiers above it: never a tier below the edit.
 */
import { DockerfileParser, Instruction } from "dockerfile-ast";
import { DOCKERFILE } from "./plan";

export interface StageCut {
  /** The stage's own text, from its FROM to the end of its last instruction (comments inside it included). */
  text: string;
  /** Sources its COPY/ADD instructions take from the build context (not `--from` a stage or context). */
  copies: string[];
}

const CONTEXT_COPY = new Set(["COPY", "ADD"]);
const GLOB = /[*?[]/;

function lineOf(i: Instruction, end = false): number {
  const r = i.getRange();
  return end ? r.end.line : r.start.line;
}

/** A stage's cut of a Dockerfile; throws, naming the file and line, when the stage is missing or copies what cannot be staged. */
export function cutStage(text: string, stage: string, file: string = DOCKERFILE): StageCut {
  const dockerfile = DockerfileParser.parse(text);
  const lines = text.split("\n");
  const froms = dockerfile.getFROMs();
  const at = froms.findIndex((f) => f.getBuildStage() === stage);
  if (at < 0) throw new Error(`${file}: no stage ${JSON.stringify(stage)} (FROM … AS ${stage}); found ${froms.map((f) => f.getBuildStage() ?? "(unnamed)").join(", ")}`);
  const start = lineOf(froms[at]);
  const next = at + 1 < froms.length ? lineOf(froms[at + 1]) : Infinity;
  const own = dockerfile.getInstructions().filter((i) => lineOf(i) >= start && lineOf(i) < next);
  const end = lineOf(own[own.length - 1], true);
  const copies: string[] = [];
  for (const i of own) {
    if (!CONTEXT_COPY.has(i.getKeyword())) continue;
    const flags = (i as Instruction & { getFlags?: () => { getName(): string }[] }).getFlags?.() ?? [];
    if (flags.some((f) => f.getName() === "from")) continue;
    const sources = i.getArguments().slice(0, -1).map((a) => a.getValue());
    for (const source of sources) {
      if (GLOB.test(source) || /^[a-z]+:\/\//.test(source)) {
        throw new Error(
          `${file}:${lineOf(i) + 1}: ${i.getKeyword()} ${source}: a tier's context holds only named files, so sources must be plain paths in docker/ (no wildcard or URL); name each file`,
        );
      }
      copies.push(source.replace(/^\.\//, ""));
    }
  }
  return { text: lines.slice(start, end + 1).join("\n"), copies };
}

/**
 * The global ARG instructions (before the first FROM) a stage uses: the ones
 * its FROM reads, or that it declares again to read inside. Another stage's
 * global ARG (SMOKE_BASE_IMAGE) is no input of this one.
 */
export function globalArgsOf(text: string, stage: string): string {
  const dockerfile = DockerfileParser.parse(text);
  const froms = dockerfile.getFROMs();
  const at = froms.findIndex((f) => f.getBuildStage() === stage);
  if (at < 0) return "";
  const start = lineOf(froms[at]);
  const next = at + 1 < froms.length ? lineOf(froms[at + 1]) : Infinity;
  const used = new Set(froms[at].getVariables().map((v) => v.getName()));
  const args = dockerfile.getInstructions().filter((i) => i.getKeyword() === "ARG") as (Instruction & { getProperty(): { getName(): string } | null })[];
  for (const a of args) if (lineOf(a) >= start && lineOf(a) < next) used.add(a.getProperty()?.getName() ?? "");
  const lines = text.split("\n");
  return args
    .filter((a) => lineOf(a) < lineOf(froms[0]) && used.has(a.getProperty()?.getName() ?? ""))
    .map((a) => lines.slice(lineOf(a), lineOf(a, true) + 1).join("\n"))
    .join("\n");
}

/** The Dockerfile a tier is built from: the global ARGs it uses and its one stage. */
export function stageDockerfile(text: string, stage: string, file: string = DOCKERFILE): string {
  const args = globalArgsOf(text, stage);
  return [
    `# Generated from ${file}, stage ${stage}, with the global ARGs it uses: edit that file, not this one.`,
    ...(args ? [args, ""] : []),
    cutStage(text, stage, file).text,
    "",
  ].join("\n");
}
