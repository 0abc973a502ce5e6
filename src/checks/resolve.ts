/**
 * `npm run resolve [stack]`: the deep, optional resolver check. For each tier,
 * pip's own resolver, in dry-run mode, decides whether the tier's cumulative
 * requirements resolve together for the base image's Python and platform,
 * with torch held at the base image's version (the image provides it).
 * Nothing is installed. Metadata comes from the index's PEP 658 files when it
 * serves them, else from HTTP range requests (--use-feature=fast-deps); pip
 * older than 26 was seen downloading whole wheels anyway (23.2.1 did).
 * Slow and needs the network: not part of the program, nor of the unit tests
 * beyond the argv built here. Environment: ATLAS_PIP_PYTHON (default python3),
 * ATLAS_PYTHON_VERSION (when the base image does not tell), PIP_INDEX_URL.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StackPlan, cumulativeRequirements } from "../core/plan";
import { diskSource, tierPackages } from "../core/requirements-files";
import { loadCompatData, resolverEnvironment, torchPin } from "./compat";
import { Finding, findingsCommand } from "./findings";

/** Per tier; a cold resolve of the full tier reads metadata of ~200 distributions. */
export const RESOLVE_TIMEOUT_MS = 20 * 60_000;

/** Docker platforms → wheel architectures. */
const ARCH: Record<string, string> = { "linux/amd64": "x86_64", "linux/arm64": "aarch64" };

/**
 * Every manylinux tag a glibc of `max` ("2_35") accepts, newest first. pip
 * does not expand an explicit --platform to older glibc tags, so they are all
 * listed; the legacy aliases name the same glibc floors (2014 = 2_17,
 * 2010 = 2_12, 1 = 2_5) and some wheels carry only those.
 */
export function manylinuxPlatforms(max: string, arch: string): string[] {
  const [major, minor] = max.split("_").map(Number);
  const tags: string[] = [];
  for (let m = minor; m >= 5; m--) tags.push(`manylinux_${major}_${m}_${arch}`);
  tags.push(`manylinux2014_${arch}`);
  if (arch === "x86_64") tags.push(`manylinux2010_${arch}`, `manylinux1_${arch}`);
  return tags;
}

export interface ResolveArgs {
  python: string;
  platforms: string[];
  /** Requirements files, lowest tier first. */
  files: string[];
  /** Constraint files (torch held at the base image's version). */
  constraints: string[];
  report: string;
  /** An empty directory: pip refuses platform options without --target, even in dry-run (pip 23). */
  target: string;
  cert?: string;
}

/** The argv after `python -m`: a dry-run install that only resolves, for another Python and platform. */
export function pipResolveArgv(a: ResolveArgs): string[] {
  return [
    "pip",
    "install",
    "--dry-run",
    "--ignore-installed",
    "--only-binary=:all:",
    "--use-feature=fast-deps",
    "--disable-pip-version-check",
    "--no-input",
    "--progress-bar=off",
    "--python-version",
    a.python,
    ...a.platforms.flatMap((p) => ["--platform", p]),
    "--target",
    a.target,
    "--report",
    a.report,
    ...(a.cert ? ["--cert", a.cert] : []),
    ...a.constraints.flatMap((c) => ["-c", c]),
    ...a.files.flatMap((f) => ["-r", f]),
  ];
}

/**
 * The lines of pip's output that say why: its ERROR lines (stderr) and the
 * "conflict is caused by" block, which pip prints to stdout.
 */
export function explainFailure(stdout: string, stderr: string): string {
  const errors = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("ERROR:") && !l.startsWith("ERROR: ResolutionImpossible"));
  const lines = `${stdout}\n${stderr}`.split("\n").map((l) => l.trimEnd());
  const start = lines.findIndex((l) => l.trim() === "The conflict is caused by:");
  const end = start >= 0 ? lines.findIndex((l, i) => i > start && !l.trim()) : -1;
  const conflict = start >= 0 ? lines.slice(start, end > start ? end : undefined) : [];
  const picked = [...errors, ...conflict];
  return (picked.length ? picked : lines.filter((l) => l.trim()).slice(-8)).join("\n        ");
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function run(cmd: string, args: string[], timeout: number): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout, maxBuffer: 64 * 1024 * 1024, encoding: "utf8", env: { ...process.env, PIP_NO_INPUT: "1" } }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: number | string; killed?: boolean }) | null;
      resolve({ code: e ? (typeof e.code === "number" ? e.code : 127) : 0, stdout, stderr: stderr || e?.message || "", timedOut: !!e?.killed });
    });
  });
}

/** pip's dry-run resolve of each tier's cumulative requirements, per target architecture. */
export async function resolveStack(root: string, plan: StackPlan): Promise<Finding[]> {
  const { baseImage, caCertificates: cert } = plan;
  const data = loadCompatData(root);
  const envFacts = resolverEnvironment(data, baseImage);
  const python = process.env.ATLAS_PYTHON_VERSION || envFacts.python;
  if (!python) {
    return [{ severity: "fail", check: "resolve", message: `cannot tell the Python of the base image ${baseImage} (not a pytorch/pytorch:<torch>-cuda… tag listed in constraints/compat.yaml)`, fix: "set ATLAS_PYTHON_VERSION=3.X for this run, or add the torch release to constraints/compat.yaml" }];
  }
  const pyCmd = process.env.ATLAS_PIP_PYTHON || "python3";
  const version = await run(pyCmd, ["-m", "pip", "--version"], 60_000);
  const pipVersion = /^pip (\d+)\.(\d+)/.exec(version.stdout);
  if (!pipVersion) return [{ severity: "fail", check: "resolve", message: `${pyCmd} -m pip does not run: ${version.stderr.trim() || version.stdout.trim()}`, fix: "install pip, or set ATLAS_PIP_PYTHON to a Python that has it" }];
  const findings: Finding[] = [];
  const [pipMajor, pipMinor] = [Number(pipVersion[1]), Number(pipVersion[2])];
  if (pipMajor < 22 || (pipMajor === 22 && pipMinor < 2)) {
    return [{ severity: "fail", check: "resolve", message: `pip ${pipMajor}.${pipMinor} has no --dry-run/--report (needs 22.2 or later)`, fix: `${pyCmd} -m pip install -U pip, or set ATLAS_PIP_PYTHON` }];
  }
  if (pipMajor < 26) {
    findings.push({ severity: "warn", check: "resolve", message: `pip ${pipMajor}.${pipMinor} may download whole wheels (GBs for torch and CUDA) where the index serves no PEP 658 metadata; pip 26.3 reads it with range requests`, fix: "use a newer pip: ATLAS_PIP_PYTHON=<venv>/bin/python with pip >= 26" });
  }
  const perTier = tierPackages(diskSource(root), plan);
  const archs = (plan.platforms.length ? plan.platforms : ["linux/amd64"]).map((p) => ARCH[p] ?? p.split("/")[1]);
  const work = mkdtempSync(join(tmpdir(), "atlas-resolve-"));
  try {
    const hold = join(work, "hold-torch.txt");
    if (envFacts.torch) writeFileSync(hold, `torch==${envFacts.torch}\n`);
    for (const [i, tier] of plan.tiers.entries()) {
      const files = cumulativeRequirements(plan, tier.tier).map((f) => join(root, f));
      // A torch pin in the files replaces the image's torch (the compatibility gate judges that, by the same torchPin); else hold the image's.
      const pinned = perTier.slice(0, i + 1).some((t) => t.packages.some((p) => torchPin(p)));
      const constraints = envFacts.torch && !pinned ? [hold] : [];
      for (const arch of archs) {
        const report = join(work, `${tier.tier}-${arch}.json`);
        const argv = pipResolveArgv({ python, platforms: manylinuxPlatforms(envFacts.manylinux, arch), files, constraints, report, target: join(work, "target"), cert });
        const label = `tier ${tier.tier} (${files.length} file${files.length > 1 ? "s" : ""}, Python ${python}, ${arch}${constraints.length ? `, torch held at ${envFacts.torch}` : ""})`;
        const started = Date.now();
        const r = await run(pyCmd, ["-m", ...argv], RESOLVE_TIMEOUT_MS);
        const secs = ((Date.now() - started) / 1000).toFixed(0);
        if (r.code === 0) {
          const installs = (JSON.parse(readFileSync(report, "utf8")) as { install?: unknown[] }).install?.length ?? 0;
          findings.push({ severity: "pass", check: `resolve.${tier.tier}`, message: `${label}: ${installs} distributions resolve together (${secs} s)` });
        } else {
          findings.push({
            severity: "fail",
            check: `resolve.${tier.tier}`,
            // Project-relative paths, as every other check names files.
            message: `${label}: pip cannot resolve them together${r.timedOut ? ` (timed out after ${RESOLVE_TIMEOUT_MS / 60_000} min)` : ""}:\n        ${explainFailure(r.stdout, r.stderr).split(`${root}/`).join("")}`,
            fix: "align the pins pip names above (the lowest tier that needs a package pins it), or choose a base image whose torch they accept",
          });
        }
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return findings;
}

export const resolveCommand = findingsCommand("resolve", "usage: npm run resolve -- [stack]", resolveStack, (plan) => `base image ${plan.baseImage}`);
