/**
 * docker/Dockerfile against the tier model (tiers.ts): every tier's stage
 * exists, declares exactly the build args the model passes it, starts FROM the
 * right place and installs its requirements file. The program passes a stage
 * only TierSpec.buildArgs, so an ARG the model lacks silently keeps its default
 * and a model arg the stage lacks shows in `preview --diff` for nothing.
 */
import { DockerfileParser, From, ImageTemplate } from "dockerfile-ast";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { Finding } from "./findings";
import { DOCKERFILE } from "../core/plan";
import { BUILD_ARG_NAMES, BuildArgName, MATERIALS, SMOKE, TIERS, parentContextName } from "../core/tiers";

/** A stage the model expects, as tiers.ts describes it. */
export interface ExpectedStage {
  stage: string;
  /** Who expects it, for messages: "tier llm (tiers.ts TIERS)". */
  owner: string;
  buildArgs: readonly BuildArgName[];
  /** FROM this name (an upper tier's parent context), or undefined for a stage that starts from a build arg. */
  from?: string;
  /** Requirements files the stage installs (basenames must appear in it). */
  requirements: readonly string[];
}

/** Every stage tiers.ts expects: one per tier, plus the smoke stage. */
export function expectedStages(): ExpectedStage[] {
  return [
    ...TIERS.map((t) => ({
      stage: t.stage,
      owner: `tier ${t.name} (tiers.ts TIERS)`,
      buildArgs: t.buildArgs,
      from: t.parent ? parentContextName(t.parent) : undefined,
      requirements: t.name === MATERIALS.tier ? [t.requirements, MATERIALS.requirements] : [t.requirements],
    })),
    { stage: SMOKE.stage, owner: "the smoke stage (tiers.ts SMOKE)", buildArgs: SMOKE.buildArgs, requirements: [SMOKE.requirements] },
  ];
}

interface Stage {
  from: From;
  image: ImageTemplate;
  /** 1-based line of the FROM instruction. */
  line: number;
}

function line(i: { getRange(): { start: { line: number } } }): number {
  return i.getRange().start.line + 1;
}

/** Build args a stage consumes: its own ARGs, plus global ARGs its FROM reads. */
function consumedArgs(stage: Stage, globalArgs: ReadonlySet<string>): Map<string, number> {
  const args = new Map<string, number>();
  for (const v of stage.from.getVariables()) if (globalArgs.has(v.getName())) args.set(v.getName(), stage.line);
  for (const a of stage.image.getARGs()) {
    const name = a.getProperty()?.getName();
    if (name) args.set(name, line(a));
  }
  return args;
}

/**
 * Model args the stage uses (`${MAX_JOBS}`) without declaring: Docker expands
 * an undeclared arg to empty, even though the program passes it.
 */
function undeclaredUses(stage: Stage, declared: ReadonlyMap<string, number>): { name: string; line: number }[] {
  const envs = new Set(stage.image.getENVs().flatMap((e) => e.getProperties().map((p) => p.getName())));
  const out = new Map<string, number>();
  for (const instr of stage.image.getInstructions()) {
    if (instr === stage.from) continue;
    for (const v of instr.getVariables()) {
      const name = v.getName();
      if ((BUILD_ARG_NAMES as readonly string[]).includes(name) && !declared.has(name) && !envs.has(name) && !out.has(name)) out.set(name, line(instr));
    }
  }
  return [...out].map(([name, l]) => ({ name, line: l }));
}

/** Checks a Dockerfile's text; `file` names it in messages. */
export function dockerfileFindings(text: string, file: string = DOCKERFILE): Finding[] {
  const df = DockerfileParser.parse(text);
  const globalArgs = new Set(df.getInitialARGs().map((a) => a.getProperty()?.getName()).filter((n): n is string => !!n));
  const stages = new Map<string, Stage[]>();
  for (const from of df.getFROMs()) {
    const name = from.getBuildStage();
    const image = df.getContainingImage(from.getRange().start);
    if (!name || !image) continue;
    stages.set(name, [...(stages.get(name) ?? []), { from, image, line: line(from) }]);
  }
  const findings: Finding[] = [];
  const fail = (message: string, fix: string) => findings.push({ severity: "fail", check: "dockerfile", message: `${file}: ${message}`, fix });
  for (const want of expectedStages()) {
    const found = stages.get(want.stage) ?? [];
    if (!found.length) {
      fail(`no stage ${JSON.stringify(want.stage)}, which ${want.owner} builds; stages found: ${[...stages.keys()].join(", ") || "(none)"}`, `add \`FROM … AS ${want.stage}\`, or correct the stage name in src/core/tiers.ts`);
      continue;
    }
    if (found.length > 1) {
      fail(`stage ${JSON.stringify(want.stage)} is defined ${found.length} times (lines ${found.map((s) => s.line).join(", ")})`, "give each stage a unique name");
    }
    const stage = found[0];
    const at = `stage ${want.stage} (line ${stage.line})`;
    const image = stage.from.getImage() ?? "";
    if (want.from && image !== want.from) {
      fail(`${at} starts FROM ${image || "(nothing)"}; ${want.owner} expects FROM ${want.from}, the name the program maps to the parent tier's pushed image`, `write \`FROM ${want.from} AS ${want.stage}\``);
    }
    if (!want.from) {
      const fromArgs = stage.from.getVariables().map((v) => v.getName());
      if (!fromArgs.some((a) => (want.buildArgs as readonly string[]).includes(a))) {
        fail(`${at} starts FROM ${image || "(nothing)"}, which reads none of its build args (${want.buildArgs.join(", ")}); the configured base image would be ignored`, `start it FROM \${<one of ${want.buildArgs.join(", ")}>}`);
      }
    }
    const declared = consumedArgs(stage, globalArgs);
    const expected = new Set<string>(want.buildArgs);
    for (const [name, l] of declared) {
      if (!expected.has(name)) {
        fail(`${at} declares ARG ${name} (line ${l}), which ${want.owner} does not pass (it passes: ${want.buildArgs.join(", ")}); the stage would always use its default`, `add ${name} to the stage's buildArgs in src/core/tiers.ts, or remove the ARG`);
      }
    }
    for (const name of want.buildArgs) {
      if (!declared.has(name)) {
        fail(`${at} does not declare ARG ${name}, which ${want.owner} passes; it would show in \`preview --diff\` and rebuild the stage for nothing`, `add \`ARG ${name}\` to the stage, or remove ${name} from its buildArgs in src/core/tiers.ts`);
      }
    }
    // Model args the stage lacks are reported above; here, other args it reads unset.
    for (const u of undeclaredUses(stage, declared).filter((x) => !expected.has(x.name))) {
      fail(`${at} uses \${${u.name}} on line ${u.line} without declaring ARG ${u.name} in the stage; Docker expands it to an empty string`, `add \`ARG ${u.name}\` to stage ${want.stage} (and to its buildArgs in src/core/tiers.ts)`);
    }
    const body = stage.image.getInstructions().map((i) => i.getTextContent()).join("\n");
    for (const req of want.requirements) {
      if (!body.includes(basename(req))) {
        fail(`${at} never mentions ${basename(req)}, the file ${want.owner} installs (${req})`, `install it in the stage from the requirements context: -r /tmp/atlas-requirements/${basename(req)}`);
      }
    }
  }
  if (!findings.length) {
    findings.push({
      severity: "pass",
      check: "dockerfile",
      message: `${file}: stages ${expectedStages().map((s) => `${s.stage} [${s.buildArgs.join(" ")}]`).join(", ")} match src/core/tiers.ts`,
    });
  }
  return findings;
}

export function readDockerfileFindings(root: string): Finding[] {
  let text: string;
  try {
    text = readFileSync(join(root, DOCKERFILE), "utf8");
  } catch (err) {
    return [{ severity: "fail", check: "dockerfile", message: `${DOCKERFILE}: cannot be read (${(err as Error).message})`, fix: `restore ${DOCKERFILE}` }];
  }
  return dockerfileFindings(text);
}
