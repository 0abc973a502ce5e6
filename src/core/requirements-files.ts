/**
 * What requirements files say, as pip reads them: packages with their
 * specifiers, and -r/-c includes resolved inside requirements/. Parsed once per
 * RequirementsSource, whichever reader asks: the requirements checks, the
 * compatibility gate, the resolver and the build context staging.
 */
import { valid as validVersion, validRange } from "@renovatebot/pep440";
import { readFileSync, readdirSync } from "node:fs";
import { isAbsolute, join, posix } from "node:path";
import { RequirementWithLocation, RequirementsSyntaxError, parsePipRequirementsFile, parsePipRequirementsLine } from "pip-requirements-js";
import { StackPlan } from "./plan";
import { TierName } from "./tiers";

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

/** A file's parse, or undefined when the source has no such file. */
export type Parse = (file: string) => ParsedFile | undefined;

const parsers = new WeakMap<RequirementsSource, Parse>();

/** Parses each file of a source once, whichever checks read it. */
export function parser(source: RequirementsSource): Parse {
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

export interface Closure {
  /** The files themselves and what they include, in pip's reading order. */
  files: string[];
  /** Only the files pip installs from (`-c` constraint files are left out). */
  installed: string[];
  /** Include lines that point nowhere valid, with where they are. */
  broken: { include: Include; problem: string }[];
  /** For each included file, the include line that first pulled it in. */
  via: Map<string, Include>;
}

/** What `roots` pull in through -r/-c, in pip's reading order. */
export function closureOf(parse: Parse, roots: readonly string[]): Closure {
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

export interface TierPackages {
  tier: TierName;
  packages: PackageReq[];
}

/** Packages each tier installs, from its files and their -r includes, lowest tier first. */
export function tierPackages(source: RequirementsSource, plan: StackPlan): TierPackages[] {
  return packagesByTier(parser(source), plan);
}

export function packagesByTier(parse: Parse, plan: StackPlan): TierPackages[] {
  return plan.tiers.map((t) => ({
    tier: t.tier,
    packages: closureOf(parse, t.requirements).installed.flatMap((f) => parse(f)?.packages ?? []),
  }));
}
