/**
 * Requirements checks: every requirements/*.txt parses, the files that must be
 * pinned are, no package is pinned to two versions across tiers that stack on
 * each other, -r/-c includes stay inside requirements/, and the dev file is
 * installed in no image. Pure over a RequirementsSource, so tests feed temp dirs.
 */
import { satisfies, valid as validVersion, validRange, eq as versionEq } from "@renovatebot/pep440";
import { readFileSync, readdirSync } from "node:fs";
import { isAbsolute, join, posix, relative } from "node:path";
import { RequirementWithLocation, RequirementsSyntaxError, parsePipRequirementsFile, parsePipRequirementsLine } from "pip-requirements-js";
import { Finding } from "../checks/findings";
import { StackPlan } from "./plan";
import { DEV_REQUIREMENTS, MATERIALS, TierName } from "./tiers";

export const REQUIREMENTS_DIR = "requirements";

/** Where requirements text comes from: the project on disk, or a temp dir in tests. */
export interface RequirementsSource {
  /** Every requirements/*.txt, project-relative (`requirements/x.txt`), sorted. */
  list(): string[];
  /** A project-relative file's text, or undefined when there is no such file. */
  read(file: string): string | undefined;
}

export function diskSource(root: string): RequirementsSource {
  return {
    list: () => {
      try {
        return readdirSync(join(root, REQUIREMENTS_DIR))
          .filter((f) => f.endsWith(".txt"))
          .sort()
          .map((f) => `${REQUIREMENTS_DIR}/${f}`);
      } catch {
        return [];
      }
    },
    read: (file) => {
      try {
        return readFileSync(join(root, file), "utf8");
      } catch {
        return undefined;
      }
    },
  };
}

export interface VersionSpec {
  operator: string;
  version: string;
}

/** One package line, with where it was written. */
export interface PackageReq {
  name: string;
  /** PEP 503 normalized name: the identity pip uses. */
  key: string;
  specs: VersionSpec[];
  /** `name @ url` requirements carry no version. */
  url?: string;
  /** An environment marker makes the line conditional (`; python_version < "3.11"`). */
  marker: boolean;
  file: string;
  line: number;
}

export interface Include {
  flag: "-r" | "-c";
  path: string;
  file: string;
  line: number;
}

export interface ParsedFile {
  file: string;
  packages: PackageReq[];
  includes: Include[];
  /** Syntax problems, each `line N[, col M]: problem`; a file with problems has no packages. */
  problems: string[];
}

/** PEP 503: runs of -, _ and . are one -, case does not matter. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

export function specText(specs: readonly VersionSpec[]): string {
  return specs.map((s) => `${s.operator}${s.version}`).join(",");
}

/** `numpy==2.3.5` as written (for messages). */
export function reqText(r: PackageReq): string {
  return r.url ? `${r.name} @ ${r.url}` : `${r.name}${specText(r.specs)}`;
}

export function where(r: { file: string; line: number }): string {
  return `${r.file}:${r.line}`;
}

function lineOf(lineStarts: number[], idx: number): number {
  let line = 0;
  while (line + 1 < lineStarts.length && lineStarts[line + 1] <= idx) line++;
  return line + 1;
}

/** The library reports `Line L, col C: expected …`; keep the position and the problem. */
function syntaxProblem(err: Error, lineNumber?: number): string {
  const m = /Line (\d+), col (\d+): ([\s\S]*)$/.exec(err.message);
  if (!m) return `${lineNumber ? `line ${lineNumber}: ` : ""}${err.message}`;
  return `line ${lineNumber ?? Number(m[1])}, col ${m[2]}: ${m[3].trim()}`;
}

/**
 * Parses one file with pip-requirements-js. The library stops at the first bad
 * line, so on failure each line is parsed on its own to name every bad line.
 */
export function parseRequirements(file: string, text: string): ParsedFile {
  // pip reads CRLF files; the library's grammar splits on \n only.
  const content = text.replace(/\r\n/g, "\n");
  const lines = content.split("\n");
  const lineStarts: number[] = [];
  let offset = 0;
  for (const l of lines) {
    lineStarts.push(offset);
    offset += l.length + 1;
  }
  let parsed: RequirementWithLocation[];
  try {
    parsed = parsePipRequirementsFile(content, { includeLocations: true });
  } catch (err) {
    if (!(err instanceof RequirementsSyntaxError)) throw err;
    const problems: string[] = [];
    lines.forEach((l, i) => {
      try {
        parsePipRequirementsLine(l);
      } catch (lineErr) {
        if (!(lineErr instanceof RequirementsSyntaxError)) throw lineErr;
        problems.push(`${syntaxProblem(lineErr, i + 1)} in ${JSON.stringify(l.trim())}`);
      }
    });
    return { file, packages: [], includes: [], problems: problems.length ? problems : [syntaxProblem(err)] };
  }
  const packages: PackageReq[] = [];
  const includes: Include[] = [];
  const problems: string[] = [];
  for (const { data, location } of parsed) {
    const line = lineOf(lineStarts, location.startIdx);
    if (data.type === "RequirementsFile" || data.type === "ConstraintsFile") {
      includes.push({ flag: data.type === "RequirementsFile" ? "-r" : "-c", path: data.path.trim(), file, line });
      continue;
    }
    const name = data.name.data;
    const specs = data.type === "ProjectName" ? (data.versionSpec ?? []).map((s) => ({ operator: s.data.operator.data, version: s.data.version.data })) : [];
    // The grammar accepts any version text; pip (packaging) rejects what PEP 440 does not.
    for (const s of specs) {
      if (!validRange(`${s.operator}${s.version}`)) {
        problems.push(`line ${line}: ${name}${s.operator}${s.version}: ${JSON.stringify(s.version)} is not a PEP 440 version for ${s.operator} (e.g. 1.2.3, 1.2.*, 2.0rc1)`);
      }
    }
    packages.push({
      name,
      key: normalizeName(name),
      specs,
      url: data.type === "ProjectURL" ? data.url.data : undefined,
      marker: data.environmentMarkerTree !== undefined,
      file,
      line,
    });
  }
  return { file, packages: problems.length ? [] : packages, includes, problems };
}

/** The exact version a requirement pins (`==1.2.3`, PEP 440-valid, no wildcard), if any. */
export function exactPin(r: PackageReq): string | undefined {
  const eqSpec = r.specs.find((s) => s.operator === "==" && !s.version.includes("*"));
  return eqSpec && validVersion(eqSpec.version) ? eqSpec.version : undefined;
}

type Resolved = { ok: true; path: string } | { ok: false; problem: string };

/**
 * Where an include points, relative to the including file (pip's rule). Only
 * files inside requirements/ are accepted: the build stages that directory
 * alone, so anything else is missing inside the build.
 */
export function resolveInclude(inc: Include, exists: (file: string) => boolean): Resolved {
  const shown = `${inc.flag} ${inc.path}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(inc.path)) {
    return { ok: false, problem: `${shown} is a URL; accepted: a file inside ${REQUIREMENTS_DIR}/` };
  }
  if (isAbsolute(inc.path)) {
    return { ok: false, problem: `${shown} is an absolute path; accepted: a path relative to ${inc.file}, inside ${REQUIREMENTS_DIR}/` };
  }
  const target = posix.normalize(posix.join(posix.dirname(inc.file), inc.path));
  if (!target.startsWith(`${REQUIREMENTS_DIR}/`)) {
    return { ok: false, problem: `${shown} resolves to ${target}, outside ${REQUIREMENTS_DIR}/; accepted: a file inside ${REQUIREMENTS_DIR}/ (the build context holds only that directory)` };
  }
  if (!exists(target)) return { ok: false, problem: `${shown}: ${target} does not exist` };
  return { ok: true, path: target };
}

const parsers = new WeakMap<RequirementsSource, (file: string) => ParsedFile | undefined>();

/** Parses each file of a source once, whichever checks read it. */
function parser(source: RequirementsSource): (file: string) => ParsedFile | undefined {
  let parse = parsers.get(source);
  if (!parse) {
    const cache = new Map<string, ParsedFile | undefined>();
    parse = (file) => {
      if (!cache.has(file)) {
        const text = source.read(file);
        cache.set(file, text === undefined ? undefined : parseRequirements(file, text));
      }
      return cache.get(file);
    };
    parsers.set(source, parse);
  }
  return parse;
}

interface Closure {
  /** The files themselves and what they include, in pip's reading order. */
  files: string[];
  /** Only the files pip installs from (`-c` constraint files are left out). */
  installed: string[];
  /** Include lines that point nowhere valid, with where they are. */
  broken: { include: Include; problem: string }[];
  /** For each included file, the include line that first pulled it in. */
  via: Map<string, Include>;
}

function closureOf(parse: (file: string) => ParsedFile | undefined, roots: readonly string[]): Closure {
  const files: string[] = [];
  const installed = new Set<string>();
  const broken: Closure["broken"] = [];
  const via = new Map<string, Include>();
  const visit = (file: string, install: boolean) => {
    // A file first reached through -c is walked again when a -r reaches it: its -r includes install too.
    if (install ? installed.has(file) : files.includes(file)) return;
    if (!files.includes(file)) files.push(file);
    if (install) installed.add(file);
    for (const inc of parse(file)?.includes ?? []) {
      const r = resolveInclude(inc, (f) => parse(f) !== undefined);
      if (r.ok) {
        if (!via.has(r.path)) via.set(r.path, inc);
        visit(r.path, install && inc.flag === "-r");
      } else if (!broken.some((b) => b.include === inc)) {
        broken.push({ include: inc, problem: r.problem });
      }
    }
  };
  for (const f of roots) visit(f, true);
  return { files, installed: files.filter((f) => installed.has(f)), broken, via };
}

/**
 * Files a requirements file pulls in through -r/-c, transitively (the file
 * itself left out), project-relative. The build context staging copies these
 * next to the file, or pip fails inside the build.
 */
export function includedFiles(root: string, file: string): string[] {
  const rel = isAbsolute(file) ? relative(root, file).split("\\").join("/") : file;
  return closureOf(parser(diskSource(root)), [rel]).files.filter((f) => f !== rel);
}

/** Packages each tier installs, from its files and their -r includes, lowest tier first. */
export function tierPackages(source: RequirementsSource, plan: StackPlan): { tier: TierName; packages: PackageReq[] }[] {
  return packagesByTier(parser(source), plan);
}

function packagesByTier(parse: (file: string) => ParsedFile | undefined, plan: StackPlan): { tier: TierName; packages: PackageReq[] }[] {
  return plan.tiers.map((t) => ({
    tier: t.tier,
    packages: closureOf(parse, t.requirements).installed.flatMap((f) => parse(f)?.packages ?? []),
  }));
}

const FIX_PARSE = "fix the line to pip's requirements syntax (name[extras]==version, -r file, -c file); pip would stop at it";

/** Checks that need no stack: every file parses, includes resolve, the materials file is pinned. */
export function fileFindings(source: RequirementsSource): Finding[] {
  const parse = parser(source);
  const listed = source.list();
  const { files, broken } = closureOf(parse, listed);
  const findings: Finding[] = [];
  for (const file of files) {
    const parsed = parse(file);
    for (const problem of parsed?.problems ?? []) {
      findings.push({ severity: "fail", check: "requirements.parse", message: `${file}: ${problem}`, fix: FIX_PARSE });
    }
  }
  if (!findings.length) {
    const count = files.reduce((n, f) => n + (parse(f)?.packages.length ?? 0), 0);
    findings.push({ severity: "pass", check: "requirements.parse", message: `${files.length} files parse (${count} packages): ${files.join(", ")}` });
  }
  for (const b of broken) {
    findings.push({
      severity: "fail",
      check: "requirements.include",
      message: `${where(b.include)}: ${b.problem}`,
      fix: `point the include at a file in ${REQUIREMENTS_DIR}/, relative to ${b.include.file}, or remove the line`,
    });
  }
  if (!broken.length) findings.push({ severity: "pass", check: "requirements.include", message: `every -r/-c include resolves inside ${REQUIREMENTS_DIR}/` });
  if (parse(MATERIALS.requirements) === undefined) {
    findings.push({ severity: "fail", check: "requirements.pinned", message: `${MATERIALS.requirements} (tiers.ts MATERIALS.requirements) does not exist`, fix: `restore ${MATERIALS.requirements}` });
  } else {
    findings.push(...pinnedFindings(parse, [MATERIALS.requirements], "the materials file is always fully pinned, per the build guide"));
  }
  return findings;
}

function pinnedFindings(parse: (file: string) => ParsedFile | undefined, roots: readonly string[], why: string): Finding[] {
  const files = closureOf(parse, roots).installed;
  const findings: Finding[] = [];
  for (const file of files) {
    for (const r of parse(file)?.packages ?? []) {
      if (exactPin(r)) continue;
      const found = r.url ? `a URL (${r.url})` : r.specs.length ? `"${specText(r.specs)}"` : "no version";
      findings.push({
        severity: "fail",
        check: "requirements.pinned",
        message: `${where(r)}: ${r.name} has ${found}; ${why}, accepted: ${r.name}==<PEP 440 version>`,
        fix: `pin it, e.g. \`${r.name}==<version>\` (pip index versions ${r.name} lists them)`,
      });
    }
  }
  if (!findings.length) findings.push({ severity: "pass", check: "requirements.pinned", message: `${files.join(", ")}: every package pinned with == (${why})` });
  return findings;
}

interface Seen {
  req: PackageReq;
  tier: TierName;
  pin?: string;
}

function conflictBetween(a: Seen, b: Seen): string | undefined {
  if (a.pin && b.pin) return versionEq(a.pin, b.pin) ? undefined : `pinned to ${a.pin}`;
  if (a.pin && b.req.specs.length && !satisfies(a.pin, specText(b.req.specs))) return `pinned to ${a.pin}`;
  if (b.pin && a.req.specs.length && !satisfies(b.pin, specText(a.req.specs))) return `limited to ${specText(a.req.specs)}`;
  return undefined;
}

/**
 * Pins across the tiers a stack builds, lowest first. An upper tier installs
 * with everything below held at its version, so a second, different pin is a
 * build that fails 20 minutes in. Lines with environment markers are left to
 * the resolver: two pins under exclusive markers are legitimate.
 */
function conflictFindings(parse: (file: string) => ParsedFile | undefined, plan: StackPlan): Finding[] {
  const seen = new Map<string, Seen[]>();
  const findings: Finding[] = [];
  for (const { tier, packages } of packagesByTier(parse, plan)) {
    for (const req of packages) {
      if (req.marker || req.url) continue;
      const entry: Seen = { req, tier, pin: exactPin(req) };
      const earlier = seen.get(req.key) ?? [];
      for (const e of earlier) {
        const what = conflictBetween(e, entry);
        if (!what) continue;
        findings.push({
          severity: "fail",
          check: "requirements.conflict",
          message: `${req.key} is ${what} in ${where(e.req)} (tier ${e.tier}) but ${reqText(req)} in ${where(req)} (tier ${tier}); tiers stack on each other, so both must hold at once`,
          fix: `keep one version: pin ${req.key} once, in the lowest tier that needs it (${e.tier}), and drop or align the other line`,
        });
      }
      seen.set(req.key, [...earlier, entry]);
    }
  }
  if (!findings.length) {
    findings.push({ severity: "pass", check: "requirements.conflict", message: `no package pinned to two versions across tiers ${plan.tiers.map((t) => t.tier).join(", ")}` });
  }
  return findings;
}

/** Checks of what a stack installs: pinned when plan.pinned, no cross-tier conflict, no dev file. */
export function stackFindings(source: RequirementsSource, plan: StackPlan): Finding[] {
  const parse = parser(source);
  const findings: Finding[] = [];
  const installedRoots = plan.tiers.flatMap((t) => t.requirements);
  for (const t of plan.tiers) {
    for (const file of t.requirements.filter((f) => parse(f) === undefined)) {
      findings.push({ severity: "fail", check: "requirements.parse", message: `${file} does not exist, and tier ${t.tier} installs it (src/core/tiers.ts)`, fix: `restore ${file}, or correct the tier's requirements in src/core/tiers.ts` });
    }
  }
  if (plan.pinned) {
    // fileFindings already holds the materials file to this rule, always.
    const roots = installedRoots.filter((f) => f !== MATERIALS.requirements);
    findings.push(...pinnedFindings(parse, roots, `stack ${plan.stack} is pinned: atlas:pinned, default true above tier 0`));
  }
  findings.push(...conflictFindings(parse, plan));
  for (const t of plan.tiers) {
    const closure = closureOf(parse, t.requirements);
    if (!closure.installed.includes(DEV_REQUIREMENTS)) continue;
    const inc = closure.via.get(DEV_REQUIREMENTS);
    const via = inc ? `${where(inc)} includes it` : `tier ${t.tier} lists it`;
    findings.push({
      severity: "fail",
      check: "requirements.dev",
      message: `${DEV_REQUIREMENTS} (dev and test tools) would be installed in the ${t.tier} image: ${via}`,
      fix: `remove the -r ${posix.basename(DEV_REQUIREMENTS)} line; dev tools are installed in no image`,
    });
  }
  if (!findings.some((f) => f.check === "requirements.dev")) {
    findings.push({ severity: "pass", check: "requirements.dev", message: `${DEV_REQUIREMENTS} is installed in no image of stack ${plan.stack}` });
  }
  return findings;
}

/** Every requirements check for one stack. */
export function requirementsFindings(source: RequirementsSource, plan: StackPlan): Finding[] {
  return [...fileFindings(source), ...stackFindings(source, plan)];
}
