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
  /**
   * The global ARG instructions (before the first FROM) the stage uses, as
   * written: the ones its FROM reads, or that it declares again to read
   * inside. Another stage's global ARG (SMOKE_BASE_IMAGE) is no input of this one.
   */
  globalArgs: string;
}

const CONTEXT_COPY = new Set(["COPY", "ADD"]);
const GLOB = /[*?[]/;

type ArgInstruction = Instruction & { getProperty(): { getName(): string } | null };

function lineOf(i: Instruction, end = false): number {
  const r = i.getRange();
  return end ? r.end.line : r.start.line;
}

function argName(i: Instruction): string {
  return (i as ArgInstruction).getProperty()?.getName() ?? "";
}

/** A stage's cut of a Dockerfile, from one parse; throws, naming the file and line, when the stage is missing or copies what cannot be staged. */
export function cutStage(text: string, stage: string, file: string = DOCKERFILE): StageCut {
  const dockerfile = DockerfileParser.parse(text);
  const lines = text.split("\n");
  const froms = dockerfile.getFROMs();
  const at = froms.findIndex((f) => f.getBuildStage() === stage);
  if (at < 0) throw new Error(`${file}: no stage ${JSON.stringify(stage)} (FROM … AS ${stage}); found ${froms.map((f) => f.getBuildStage() ?? "(unnamed)").join(", ")}`);
  const start = lineOf(froms[at]);
  const next = at + 1 < froms.length ? lineOf(froms[at + 1]) : Infinity;
  const instructions = dockerfile.getInstructions();
  const own = instructions.filter((i) => lineOf(i) >= start && lineOf(i) < next);
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
  const used = new Set(froms[at].getVariables().map((v) => v.getName()));
  for (const i of own) if (i.getKeyword() === "ARG") used.add(argName(i));
  const globalArgs = instructions
    .filter((i) => i.getKeyword() === "ARG" && lineOf(i) < lineOf(froms[0]) && used.has(argName(i)))
    .map((i) => lines.slice(lineOf(i), lineOf(i, true) + 1).join("\n"))
    .join("\n");
  return { text: lines.slice(start, end + 1).join("\n"), copies, globalArgs };
}

/** The Dockerfile a tier is built from: the global ARGs its stage uses and that one stage. */
export function stagedDockerfile(cut: StageCut, stage: string, file: string = DOCKERFILE): string {
  return [
    `# Generated from ${file}, stage ${stage}, with the global ARGs it uses: edit that file, not this one.`,
    ...(cut.globalArgs ? [cut.globalArgs, ""] : []),
    cut.text,
    "",
  ].join("\n");
}

/** stagedDockerfile of a Dockerfile's text. */
export function stageDockerfile(text: string, stage: string, file: string = DOCKERFILE): string {
  return stagedDockerfile(cutStage(text, stage, file), stage, file);
}
