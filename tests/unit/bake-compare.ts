/**
 * Normal forms of one build, so a bake target (ours, or as `buildx bake
 * --print` resolves it) and a docker-build Image's recorded inputs compare
 * field by field. Only the parent context differs by design: `target:<tier>`
 * in bake, `docker-image://<ref>@sha256:…` in the program; both normalize to
 * the parent tier's name plus the kind of reference.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { posix } from "node:path";
import { buildxCommand } from "../../src/checks/toolchain";
import { Recorded, isSecretInput, secretValue } from "./harness";

export interface NormalBuild {
  dockerfile: string;
  context: string;
  target: string;
  tags: string[];
  args: Record<string, string>;
  labels: Record<string, string>;
  cacheFrom: Record<string, string>[];
  cacheTo: Record<string, string>[];
  platforms: string[];
  noCache: boolean;
  output: string;
  requirements: string;
  /** Named contexts other than requirements: name → parent tier name. */
  parents: Record<string, string>;
  secretIds: string[];
}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `type=registry,ref=x,mode=max` → {type, ref, mode}. */
export function parseCsv(s: string): Record<string, string> {
  return Object.fromEntries(s.split(",").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

/** A docker-build cache union ({registry: {ref, mode}}, {raw}, …) as a flat record. */
function programCache(e: Json): Record<string, string> {
  const [[type, value]] = Object.entries(e) as [string, Json][];
  if (type === "raw") return parseCsv(value);
  if (type === "local") return { type, ...(value.src ? { src: value.src } : {}), ...(value.dest ? { dest: value.dest } : {}) };
  return { type, ...value };
}

function sortKeys(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}


export function fromProgram(image: Recorded, tierNames: readonly string[]): NormalBuild {
  const i = image.inputs;
  const named = { ...(i.context.named ?? {}) } as Record<string, { location: string }>;
  const requirements = named.requirements?.location;
  delete named.requirements;
  const parents: Record<string, string> = {};
  for (const [name, ctx] of Object.entries(named)) {
    const m = new RegExp(`^docker-image://.+:v[^:@]+-(${tierNames.join("|")})(?:-materials)?@sha256:[a-f0-9]{64}$`).exec(ctx.location);
    if (!m) throw new Error(`${image.name}: context ${name} is not a digest-pinned tier ref: ${ctx.location}`);
    parents[name] = m[1];
  }
  const secrets = i.secrets && isSecretInput(i.secrets) ? secretValue(i.secrets) : i.secrets;
  return {
    dockerfile: posix.normalize(i.dockerfile.location),
    context: i.context.location,
    target: i.target,
    tags: i.tags,
    args: i.buildArgs ?? {},
    labels: i.labels ?? {},
    cacheFrom: (i.cacheFrom ?? []).map(programCache).map(sortKeys),
    cacheTo: (i.cacheTo ?? []).map(programCache).map(sortKeys),
    platforms: i.platforms ?? [],
    noCache: i.noCache === true,
    output: i.push ? "registry" : i.load ? "docker" : "none",
    requirements,
    parents,
    secretIds: Object.keys(secrets ?? {}).sort(),
  };
}

/** A bake target, from our JSON (strings) or from `buildx bake --print` (parsed objects). */
export function fromBake(t: Json): NormalBuild {
  const contexts = { ...(t.contexts ?? {}) } as Record<string, string>;
  const requirements = contexts.requirements;
  delete contexts.requirements;
  const parents: Record<string, string> = {};
  for (const [name, ref] of Object.entries(contexts)) {
    const m = /^target:(.+)$/.exec(ref);
    if (!m) throw new Error(`bake context ${name} is not a target: ${ref}`);
    parents[name] = m[1];
  }
  const entry = (e: Json) => sortKeys(typeof e === "string" ? parseCsv(e) : e);
  const outputs = (t.output ?? []).map((o: Json) => (typeof o === "string" ? parseCsv(o) : o).type);
  return {
    dockerfile: posix.join(t.context, t.dockerfile ?? "Dockerfile"),
    context: t.context,
    target: t.target,
    tags: t.tags ?? [],
    args: t.args ?? {},
    labels: t.labels ?? {},
    cacheFrom: (t["cache-from"] ?? []).map(entry),
    cacheTo: (t["cache-to"] ?? []).map(entry),
    platforms: t.platforms ?? [],
    noCache: t["no-cache"] === true,
    output: outputs.length === 1 ? outputs[0] : JSON.stringify(outputs),
    requirements,
    parents,
    secretIds: (t.secret ?? []).map((s: Json) => (typeof s === "string" ? parseCsv(s) : s).id).sort(),
  };
}

/** How to run buildx here: the toolchain's binary, or the docker CLI plugin; undefined when neither works. */
export function findBuildx(): { cmd: string; pre: string[]; where: string } | undefined {
  const { cmd, args } = buildxCommand();
  const works = spawnSync(cmd, [...args, "version"], { stdio: "ignore" }).status === 0;
  return works ? { cmd, pre: args, where: [cmd, ...args].join(" ") } : undefined;
}

/** `buildx bake -f <file> --print <targets…>`, run from the project root, parsed. */
export function bakePrint(buildx: { cmd: string; pre: string[] }, file: string, cwd: string, targets: string[], env: NodeJS.ProcessEnv): Json {
  const out = execFileSync(buildx.cmd, [...buildx.pre, "bake", "-f", file, "--print", ...targets], {
    cwd,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return JSON.parse(out);
}
