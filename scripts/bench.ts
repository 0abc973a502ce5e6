/**
 * npm run bench [-- --runs N]: the program against what a user would pick
 * instead, `docker buildx bake` on the exported file, on the same Dockerfile,
 * builder and registry, each figure a ratio measured in this one run. Needs the
 * toolchain up (scripts/toolchain-up.sh); not part of the test suite's
 * pass/fail. Prints a table and writes .atlas/bench/results.json.
 *   P1  a no-op `pulumi up` of a 3-tier chain vs a fully cached bake rerun
 *   P2  one committed change to the tier-2 requirements: up vs bake, wall time and build steps run
 *   P3  an empty second buildkitd (a fresh CI runner): with the registry cache vs none
 *   P4  the unit suite's wall time; `pulumi preview` of the stack vs of an empty program
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { stageTierContexts } from "../src/build/contexts";
import { buildxCommand } from "../src/checks/toolchain";
import { loadStack } from "../src/core/stacks";
import { bakeFile } from "../src/export/bake";
import { stepsRun } from "./build-steps";
import { pulumiCli } from "../tests/e2e/cli";
import { OwnedBuildkitd } from "../tests/e2e/owned-services";
import { SMALL_REQUIREMENTS, TempProject } from "../tests/e2e/stack";
import { BUILDER, REGISTRY, loadToolchain, missingPieces, onToolchain } from "../tests/e2e/toolchain";

const ROOT = join(__dirname, "..");
const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
const RUNS = Number(values.runs);

interface Timed {
  seconds: number;
  output: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ seconds: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, value };
}

class Bench {
  readonly tc = loadToolchain();
  readonly project = new TempProject(SMALL_REQUIREMENTS);
  readonly stack = `bench-${this.project.id}`;
  readonly repository = `bench-${this.project.id}/atlas`;

  config(repository: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      "atlas:tier": "full",
      ...onToolchain(this.tc, { repository }),
      ...extra,
    };
  }

  async newStack(name: string, config: Record<string, unknown>): Promise<void> {
    const s = await this.project.stack(name);
    await s.setConfig("atlas:registryPassword", { value: this.tc.registryPassword, secret: true });
    this.project.writeConfig(name, config);
  }

  async up(stack = this.stack): Promise<Timed> {
    const { seconds, value } = await timed(() => pulumiCli(this.project, ["up", "--yes", "--skip-preview", "--stack", stack]));
    if (value.code !== 0) throw new Error(`pulumi up --stack ${stack} failed:\n${value.output.slice(-3000)}`);
    return { seconds, output: value.output };
  }

  async preview(stack: string): Promise<number> {
    const { seconds, value } = await timed(() => pulumiCli(this.project, ["preview", "--stack", stack]));
    if (value.code !== 0) throw new Error(`pulumi preview failed:\n${value.output.slice(-2000)}`);
    return seconds;
  }

  /** The bake file of a stack file (`Pulumi.<name>.yaml`), staged and written as the bake command does. */
  writeBake(name: string): string {
    const plan = loadStack(this.project.dir, name);
    stageTierContexts(this.project.dir, plan);
    const file = join(this.project.dir, `docker-bake.${name}.json`);
    writeFileSync(file, JSON.stringify(bakeFile(plan), null, 2));
    return file;
  }

  async bake(file: string): Promise<Timed> {
    const buildx = buildxCommand();
    const { seconds, value } = await timed(() =>
      spawnSync(buildx.cmd, [...buildx.args, "bake", ...this.allow(), "--builder", BUILDER, "--progress", "plain", "-f", file], { cwd: this.project.dir, encoding: "utf8", maxBuffer: 256 << 20 }),
    );
    if (value.status !== 0) throw new Error(`buildx bake failed:\n${(value.stderr ?? "").slice(-3000)}`);
    return { seconds, output: `${value.stdout}${value.stderr}` };
  }

  /** bake asks before it reads a file outside the project: the CA bundle it passes as a secret. */
  allow(): string[] {
    return this.tc.caCertificates ? [`--allow=fs.read=${this.tc.caCertificates}`] : [];
  }

  git(...args: string[]): void {
    execFileSync("git", ["-c", "user.name=atlas-bench", "-c", "user.email=bench@atlas.local", ...args], { cwd: this.project.dir });
  }
}

function row(figure: string, what: string, program: string, other: string, ratio: number): string[] {
  return [figure, what, program, other, `${ratio.toFixed(2)}×`];
}

async function main(): Promise<void> {
  const missing = missingPieces();
  if (missing.length) throw new Error(`the toolchain is incomplete (run scripts/toolchain-up.sh): ${missing.join("; ")}`);
  const b = new Bench();
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  const results: Record<string, unknown> = {};
  const rows: string[][] = [];
  try {
    writeFileSync(join(b.project.dir, ".gitignore"), "node_modules\n.state/\n.atlas/\ndocker-bake.*.json\n");
    b.git("init", "-q");
    await b.newStack(b.stack, b.config(b.repository));
    // bake gets a repository of its own: the same builds, never the program's tags.
    writeFileSync(join(b.project.dir, `Pulumi.${b.stack}-bake.yaml`), stringify({ config: b.config(`${b.repository}-bake`) }));
    b.git("add", "-A");
    b.git("commit", "-q", "-m", "bench project");

    log("warm-up: first up and first bake");
    await b.up();
    const stackBakeFile = b.writeBake(`${b.stack}-bake`);
    await b.bake(stackBakeFile);

    log(`P1: ${RUNS} no-op ups, ${RUNS} cached bake reruns`);
    const ups: number[] = [];
    for (let i = 0; i < RUNS; i++) ups.push((await b.up()).seconds);
    const bakes: number[] = [];
    for (let i = 0; i < RUNS; i++) bakes.push((await b.bake(stackBakeFile)).seconds);
    const previews: number[] = [];
    for (let i = 0; i < RUNS; i++) previews.push(await b.preview(b.stack));
    results.P1 = { upNoop: ups, bakeCached: bakes, previewNoop: previews };
    rows.push(row("P1", "no-op up vs cached bake rerun (median s)", median(ups).toFixed(1), median(bakes).toFixed(1), median(ups) / median(bakes)));

    log("P2: a committed change to requirements-accel.txt");
    // A comment naming the run and the engine: each builds a change of its own
    // (a new cache key for the install step, as a real change's), on the same builder.
    const change = (who: string) => {
      b.project.writeRequirements(SMALL_REQUIREMENTS.full.file, [...SMALL_REQUIREMENTS.full.lines, "more-itertools==10.5.0", `# bench ${b.project.id} ${who}`]);
      b.git("commit", "-qam", `accel: more-itertools (${who})`);
    };
    change("up");
    const upChange = await b.up();
    change("bake");
    const bakeChange = await b.bake(b.writeBake(`${b.stack}-bake`));
    const steps = { up: stepsRun(upChange.output), bake: stepsRun(bakeChange.output) };
    results.P2 = { up: upChange.seconds, bake: bakeChange.seconds, steps };
    rows.push(row("P2", "tier-2 change: up vs bake (s)", upChange.seconds.toFixed(1), bakeChange.seconds.toFixed(1), upChange.seconds / bakeChange.seconds));
    rows.push(row("P2", "tier-2 change: build steps run, up vs bake", String(steps.up), String(steps.bake), steps.up / Math.max(steps.bake, 1)));

    log("P3: a fresh buildkitd, with the registry cache and with none");
    const fresh = async (name: string, extra: Record<string, unknown>, repository: string): Promise<number> => {
      const dir = mkdtempSync(join(tmpdir(), "atlas-bench-bk-"));
      const builder = new OwnedBuildkitd(dir, [REGISTRY], `atlas-bench-${b.project.id}-${name}`);
      try {
        await builder.start();
        const config = b.config(repository, extra);
        (config["atlas:build"] as Record<string, unknown>).builder = builder.builder;
        await b.newStack(`${b.stack}-${name}`, config);
        return (await b.up(`${b.stack}-${name}`)).seconds;
      } finally {
        await builder.remove();
      }
    };
    // The registry cache the first stack wrote (cache-<tier> in its repository) is what a fresh runner reads.
    const withCache = await fresh("cached", {}, b.repository);
    const noCache = await fresh("nocache", { "atlas:cache": { type: "off" } }, `${b.repository}-nocache`);
    results.P3 = { withRegistryCache: withCache, noCache };
    rows.push(row("P3", "fresh builder: registry cache vs none (s)", withCache.toFixed(1), noCache.toFixed(1), withCache / noCache));

    log("P4: the unit suite, and preview over an empty program");
    const unit = await timed(() => spawnSync(join(ROOT, "node_modules/.bin/vitest"), ["run", "--project", "unit"], { cwd: ROOT, encoding: "utf8" }));
    const empty = mkdtempSync(join(tmpdir(), "atlas-bench-empty-"));
    writeFileSync(join(empty, "Pulumi.yaml"), "name: empty\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    writeFileSync(join(empty, "index.ts"), "export {};\n");
    writeFileSync(join(empty, "tsconfig.json"), readFileSync(join(ROOT, "tsconfig.json"), "utf8"));
    symlinkSync(join(ROOT, "node_modules"), join(empty, "node_modules"));
    mkdirSync(join(empty, ".state"));
    const emptyProject = { dir: empty, envVars: { ...b.project.envVars, PULUMI_BACKEND_URL: `file://${join(empty, ".state")}` } };
    spawnSync("pulumi", ["stack", "init", "bench", "--non-interactive"], { cwd: empty, env: { ...process.env, ...emptyProject.envVars } });
    const emptyPreviews: number[] = [];
    for (let i = 0; i < RUNS; i++) emptyPreviews.push((await timed(() => pulumiCli(emptyProject, ["preview", "--stack", "bench"]))).seconds);
    rmSync(empty, { recursive: true, force: true });
    results.P4 = { unitSuite: unit.seconds, unitPassed: unit.value.status === 0, previewStack: previews, previewEmpty: emptyPreviews };
    rows.push(row("P4", "unit suite wall time (s)", unit.seconds.toFixed(1), "", 1));
    rows.push(row("P4", "preview: the 3-tier stack vs an empty program (median s)", median(previews).toFixed(1), median(emptyPreviews).toFixed(1), median(previews) / median(emptyPreviews)));
  } finally {
    b.project.remove();
  }

  const machine = {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: execFileSync("uname", ["-r"], { encoding: "utf8" }).trim(),
    runs: RUNS,
    date: new Date().toISOString(),
  };
  const out = join(ROOT, ".atlas", "bench");
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "results.json"), JSON.stringify({ machine, results }, null, 2));
  const header = ["fig", "what", "program", "bake / baseline", "ratio"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ");
  console.log(`machine: ${machine.cpus} × ${machine.cpu}, ${machine.memoryGiB} GiB, Linux ${machine.kernel}; medians of ${RUNS} runs`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log(`(written to ${join(out, "results.json")})`);
}

if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`bench: ${e.message}`);
    process.exit(1);
  });
}
