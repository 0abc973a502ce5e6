/**
 * The compatibility gate: whether a stack's tiers can work with its base image.
 * Known constraints live in constraints/compat.yaml (its header documents the
 * format); torch and CUDA come from the BASE_IMAGE tag and from torch pins in
 * the tiers' files. Pure over the data, the ref and the tiers' packages.
 */
import { eq as versionEq, explain, maxSatisfying, satisfies, valid as validVersion, validRange } from "@renovatebot/pep440";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { Finding, Severity } from "./findings";
import { parseImageRef } from "../core/image-ref";
import { PackageReq, TierPackages, exactPin, normalizeName, reqText, where } from "../core/requirements-files";
import { TIERS } from "../core/tiers";

export const COMPAT_FILE = "constraints/compat.yaml";

const specifier = z.string().refine((s) => validRange(s), { error: (iss) => `expected a PEP 440 specifier such as ==2.9.1 or >=3.10,<3.14, found ${JSON.stringify(iss.input)}` });
const cudaVersion = z.string().regex(/^\d+\.\d+$/, { error: (iss) => `expected a CUDA version such as "12.8", found ${JSON.stringify(iss.input)}` });

const compatSchema = z.strictObject({
  baseImage: z.strictObject({
    repository: z.string().min(1),
    tag: z.string().min(1),
    manylinux: z.string().regex(/^\d+_\d+$/, { error: (iss) => `expected a glibc version as a manylinux tag such as "2_35", found ${JSON.stringify(iss.input)}` }),
  }),
  torch: z.record(
    z.string().refine((v) => validVersion(v) !== null, { error: (iss) => `expected a torch version such as "2.9.1", found ${JSON.stringify(iss.input)}` }),
    z.strictObject({
      python: z.string().regex(/^3\.\d+$/, { error: (iss) => `expected a Python version such as "3.11", found ${JSON.stringify(iss.input)}` }),
      pypiCuda: cudaVersion.optional(),
    }),
  ),
  rules: z
    .array(
      z.strictObject({
        package: z.string().min(1),
        version: specifier,
        torch: specifier,
        cuda: z.array(cudaVersion).min(1).optional(),
        python: specifier.optional(),
        source: z.string().min(1),
      }),
    )
    .default([]),
});

export type CompatData = z.infer<typeof compatSchema>;
export type CompatRule = CompatData["rules"][number];

/** Parses the data file; a bad entry names the file, the key path, the value and what is accepted. */
export function parseCompatData(text: string, file = COMPAT_FILE): CompatData {
  const parsed = compatSchema.safeParse(parseYaml(text), { reportInput: true });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${file}: ${i.path.map(String).join(".") || "(top)"}: ${i.message}`);
    throw new Error(`invalid compatibility data:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  return parsed.data;
}

export function loadCompatData(root: string): CompatData {
  return parseCompatData(readFileSync(join(root, COMPAT_FILE), "utf8"));
}

/** What a pytorch/pytorch:<torch>-cuda<cuda>-cudnn<n>-<flavor> reference tells. */
export interface BaseImageFacts {
  ref: string;
  /** Registry host and repository path, to suggest a sibling tag on the same mirror. */
  repository: string;
  torch: string;
  cuda: string;
  cudnn: string;
  flavor: string;
  /** The image's Python, when the data knows this torch release. */
  python?: string;
}

const PYTORCH_TAG_RE = /^(?<torch>[^-]+)-cuda(?<cuda>\d+\.\d+)-cudnn(?<cudnn>\d+)-(?<flavor>[a-z]+)$/;

/** Facts from a base image reference, or undefined when it does not follow the scheme. */
export function readBaseImage(ref: string, data: CompatData): BaseImageFacts | undefined {
  const parsed = parseImageRef(ref);
  if (!parsed?.tag) return undefined;
  const repo = data.baseImage.repository;
  // A mirror in front of the repository (mirror.example/pytorch/pytorch) still carries the scheme.
  if (parsed.path !== repo && !parsed.path.endsWith(`/${repo}`)) return undefined;
  const m = PYTORCH_TAG_RE.exec(parsed.tag);
  if (!m?.groups || validVersion(m.groups.torch) === null) return undefined;
  const { torch, cuda, cudnn, flavor } = m.groups;
  return {
    ref,
    repository: parsed.host ? `${parsed.host}/${parsed.path}` : parsed.path,
    torch,
    cuda,
    cudnn,
    flavor,
    python: torchData(data, torch)?.python,
  };
}

function torchData(data: CompatData, version: string): CompatData["torch"][string] | undefined {
  const key = Object.keys(data.torch).find((k) => versionEq(k, explain(version)?.public ?? version));
  return key ? data.torch[key] : undefined;
}

/** `+cu128` → "12.8": the CUDA of a torch wheel from the PyTorch index. */
function cudaOfLocalLabel(version: string): string | undefined {
  const m = /^cu(\d+)(\d)$/.exec(explain(version)?.local ?? "");
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** The torch a tier's packages see, and where it comes from. */
export interface TorchSource {
  version: string;
  /** Undefined when nothing tells (a plain pin of a torch the data does not know). */
  cuda?: string;
  /** For messages: "the base image <ref>" or "torch==2.9.1 in <file>:<line>". */
  from: string;
  /** True when the base image provides it (no requirements pin replaced it). */
  fromBaseImage: boolean;
}

function torchFromPin(pin: PackageReq, version: string, data: CompatData): TorchSource {
  return { version, cuda: cudaOfLocalLabel(version) ?? torchData(data, version)?.pypiCuda, from: `${reqText(pin)} in ${where(pin)}`, fromBaseImage: false };
}

function describe(t: TorchSource): string {
  return `torch ${t.version} with CUDA ${t.cuda ?? "(unknown)"} from ${t.from}`;
}

interface Env {
  data: CompatData;
  base?: BaseImageFacts;
  severity: Severity;
  allowNote: string;
}

function sev(env: Env): { severity: Severity } {
  return { severity: env.severity };
}

/**
 * Torch per tier, lowest first. A torch pin in tier 0 replaces the base
 * image's torch for every tier above. An upper tier installs with everything
 * below held at its version (docker/Dockerfile), so a pin there that differs
 * from what is below cannot be installed: that is reported, and the pin is
 * still taken as that tier's torch so the rules are judged against it.
 */
/**
 * The torch version a requirement pins for every install: an exact `torch==`
 * without an environment marker (a marker may not apply to the image).
 */
export function torchPin(p: PackageReq): string | undefined {
  return p.key === "torch" && !p.marker ? exactPin(p) : undefined;
}

function torchPerTier(tiers: readonly TierPackages[], env: Env, findings: Finding[]): (TorchSource | undefined)[] {
  let current: TorchSource | undefined = env.base
    ? { version: env.base.torch, cuda: env.base.cuda, from: `the base image ${env.base.ref}`, fromBaseImage: true }
    : undefined;
  return tiers.map(({ tier, packages }, i) => {
    for (const p of packages) {
      const version = torchPin(p);
      if (!version) continue;
      if (i > 0 && current && !versionEq(explain(version)?.public ?? version, explain(current.version)?.public ?? current.version)) {
        findings.push({
          ...sev(env),
          check: "compat.torch",
          message: `tier ${tier} pins ${reqText(p)} (${where(p)}) over ${describe(current)}; upper tiers install with everything below held at its version, so pip cannot change torch there${env.allowNote}`,
          fix: `pin torch in tier 0 (${TIERS[0].requirements}) or choose a base image with torch ${version}, and drop the pin from ${p.file}`,
        });
      }
      current = torchFromPin(p, version, env.data);
    }
    return current;
  });
}

/** A base image of the same repository and flavor that satisfies a rule, when the data can tell. */
function suggestBaseImage(rule: CompatRule, env: Env): string | undefined {
  const torch = maxSatisfying(Object.keys(env.data.torch), rule.torch) ?? /^==\s*([^,*]+)$/.exec(rule.torch)?.[1];
  const cuda = rule.cuda?.[rule.cuda.length - 1] ?? env.base?.cuda;
  if (!torch || !cuda) return undefined;
  const repository = env.base?.repository ?? env.data.baseImage.repository;
  return `${repository}:${torch}-cuda${cuda}-cudnn${env.base?.cudnn ?? "9"}-${env.base?.flavor ?? "devel"}`;
}

/** A torch pin for tier 0 that satisfies a rule, when the PyPI wheel's CUDA fits it too. */
function suggestTorchPin(rule: CompatRule, env: Env): string | undefined {
  const torch = maxSatisfying(Object.keys(env.data.torch), rule.torch);
  if (!torch) return undefined;
  const cuda = env.data.torch[torch].pypiCuda;
  return !rule.cuda || (cuda && rule.cuda.includes(cuda)) ? `torch==${torch}` : undefined;
}

function ruleFix(rule: CompatRule, req: PackageReq, torch: TorchSource, env: Env): string {
  const options: string[] = [];
  const image = suggestBaseImage(rule, env);
  if (image) options.push(`set atlas:build.baseImage to ${image}`);
  const pin = suggestTorchPin(rule, env);
  if (pin) options.push(`pin ${pin} in ${TIERS[0].requirements} (tier 0), which replaces the base image's torch in every tier`);
  options.push(`move ${req.name} to a release built for torch ${torch.version}${torch.cuda ? ` and CUDA ${torch.cuda}` : ""}`);
  if (env.severity === "fail") options.push("or set atlas:allowIncompatible true to build anyway (the gate then warns)");
  return options.join("; ");
}

function ruleLabel(rule: CompatRule, index: number): string {
  return `${COMPAT_FILE} rules[${index}] (${rule.source})`;
}

/** What a rule asks for, in words: "torch ==2.9.1 with CUDA 12.8 and Python >=3.10,<3.14". */
function needs(rule: CompatRule): string {
  return `torch ${rule.torch}${rule.cuda ? ` with CUDA ${rule.cuda.join(" or ")}` : ""}${rule.python ? ` and Python ${rule.python}` : ""}`;
}

/**
 * The gate. Failures name the package pin and where it is, what it needs, the
 * torch/CUDA/Python it would get and from where (base image or a pin), and the
 * rule; `allowIncompatible` turns them into warnings.
 */
export function compatFindings(data: CompatData, baseImage: string, tiers: readonly TierPackages[], allowIncompatible: boolean): Finding[] {
  const env: Env = {
    data,
    base: readBaseImage(baseImage, data),
    severity: allowIncompatible ? "warn" : "fail",
    allowNote: allowIncompatible ? "; building anyway because atlas:allowIncompatible is true" : "",
  };
  const findings: Finding[] = [];
  const torchByTier = torchPerTier(tiers, env, findings);
  const unchecked: { what: string; rule: CompatRule }[] = [];
  const passed: string[] = [];
  tiers.forEach(({ tier, packages }, i) => {
    const torch = torchByTier[i];
    for (const req of packages) {
      data.rules.forEach((rule, index) => {
        if (normalizeName(rule.package) !== req.key || req.marker) return;
        const pin = exactPin(req);
        if (!pin) {
          findings.push({
            severity: "warn",
            check: "compat",
            message: `cannot tell whether ${reqText(req)} (${where(req)}) fits: it is not pinned with ==, and ${ruleLabel(rule, index)} gates ${rule.package}${rule.version}`,
            fix: `pin ${req.name} with == so the gate can check it`,
          });
          return;
        }
        if (!satisfies(pin, rule.version)) return;
        if (!torch || !torch.cuda) {
          unchecked.push({ what: `${reqText(req)} (${where(req)})`, rule });
          return;
        }
        const python = env.base?.python;
        const torchOk = satisfies(torch.version, rule.torch);
        const cudaOk = !rule.cuda || rule.cuda.includes(torch.cuda);
        const pythonOk = !rule.python || !python || satisfies(python, rule.python);
        if (torchOk && cudaOk && pythonOk) {
          passed.push(`tier ${tier}: ${reqText(req)} fits ${describe(torch)}${python ? `, Python ${python}` : ""}`);
          return;
        }
        findings.push({
          ...sev(env),
          check: "compat",
          message:
            `tier ${tier} installs ${reqText(req)} (${where(req)}), which needs ${needs(rule)}, ` +
            `but gets ${describe(torch)}${python ? ` and Python ${python}` : ""}; rule: ${ruleLabel(rule, index)}${env.allowNote}`,
          fix: ruleFix(rule, req, torch, env),
        });
      });
    }
  });
  if (!env.base) {
    const example = unchecked.length ? suggestBaseImage(unchecked[0].rule, env) : undefined;
    findings.push({
      severity: "warn",
      check: "compat.base-image",
      message:
        `cannot tell torch/CUDA of the base image ${JSON.stringify(baseImage)}: it does not follow ${data.baseImage.repository}:${data.baseImage.tag}` +
        (unchecked.length ? `; unchecked: ${unchecked.map((u) => u.what).join(", ")}` : "; no package with a rule depends on it in this stack"),
      fix: `use a ${data.baseImage.repository}:${data.baseImage.tag} image${example ? ` (here ${example})` : ""}, or check the pins against the image's torch and CUDA by hand`,
    });
  } else if (unchecked.length) {
    findings.push({
      severity: "warn",
      check: "compat",
      message: `cannot tell the CUDA of the torch that ${unchecked.map((u) => u.what).join(", ")} would get: the torch pin names no +cuXYZ label and ${COMPAT_FILE} does not list its PyPI CUDA`,
      fix: `add the torch release to ${COMPAT_FILE} (torch.<version>.pypiCuda), or pin torch with a local label such as +cu128`,
    });
  }
  if (!findings.some((f) => f.severity !== "pass")) {
    const base = env.base ? `torch ${env.base.torch}, CUDA ${env.base.cuda}${env.base.python ? `, Python ${env.base.python}` : ""} from ${env.base.ref}` : baseImage;
    findings.push({
      severity: "pass",
      check: "compat",
      message: passed.length ? passed.join("; ") : `no package in tiers ${tiers.map((t) => t.tier).join(", ")} has a rule in ${COMPAT_FILE} (base: ${base})`,
    });
  }
  return findings;
}

/** Python of the base image and the torch to hold, for the resolver; undefined parts are unknown. */
export function resolverEnvironment(data: CompatData, baseImage: string): { python?: string; torch?: string; manylinux: string } {
  const base = readBaseImage(baseImage, data);
  return { python: base?.python, torch: base?.torch, manylinux: data.baseImage.manylinux };
}
