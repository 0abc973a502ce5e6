/**
 * One table over every failure message of the in-program checks, run through
 * collectFindings (the program's own wiring) on temp copies of the project.
 */
import { describe, expect, it } from "vitest";
import { collectFindings } from "../../src/checks/run-checks";
import { Finding, Severity } from "../../src/checks/findings";
import { StackPlan } from "../../src/core/plan";
import { committed, fullPlan, planFor, tempProject } from "./check-fixtures";
import { BASE_IMAGE } from "./harness";


/**
 * The vLLM rows' own compatibility data and tier-2 file: vllm's rule alone (the
 * committed facts for vllm 0.15.1) and vllm alone, so the gate's one finding is
 * vllm's whatever rules and pins the committed files gain.
 */
const VLLM_ONLY: Record<string, string> = {
  "constraints/compat.yaml": `baseImage:
  repository: pytorch/pytorch
  tag: <torch>-cuda<cuda>-cudnn<n>-<flavor>
  manylinux: "2_35"
torch:
  "2.9.1": { python: "3.11", pypiCuda: "12.8" }
  "2.10.0": { python: "3.11", pypiCuda: "12.8" }
rules:
  - package: vllm
    version: "==0.15.1"
    torch: "==2.9.1"
    cuda: ["12.8"]
    python: ">=3.10,<3.14"
    source: "vllm 0.15.1 (fixture)"
`,
  "requirements/requirements-accel.txt": "vllm==0.15.1\n",
};

interface Row {
  name: string;
  files?: Record<string, string | null>;
  plan?: StackPlan;
  severity: Severity;
  check: string;
  /** Every pattern must match the one finding of `check` that is not a pass. */
  message: RegExp[];
  fix?: RegExp;
}

const rows: Row[] = [
  {
    name: "malformed lines: each named with file, line and problem",
    files: { "requirements/requirements-llm.txt": "transformers==4.57.3\ntokenizers = 0.22.1\n" },
    severity: "fail",
    check: "requirements.parse",
    message: [/^requirements\/requirements-llm.txt: line 2, col \d+: expected .* in "tokenizers = 0.22.1"$/],
    fix: /pip's requirements syntax/,
  },
  {
    name: "an unpinned package in a pinned file",
    // ninja: a package no compatibility rule gates, so only the pin check speaks.
    files: { "requirements/requirements-accel.txt": "vllm==0.15.1\nninja>=1.11\n" },
    plan: fullPlan(),
    severity: "fail",
    check: "requirements.pinned",
    message: [/^requirements\/requirements-accel.txt:2: ninja has ">=1.11"; stack test is pinned: atlas:pinned, default true above tier 0, accepted: ninja==<PEP 440 version>$/],
  },
  {
    name: "a conflicting pin across tiers",
    files: { "requirements/requirements-llm.txt": "transformers==4.57.3\nNumPy==2.2.0\n" },
    plan: planFor({ tier: "llm" }),
    severity: "fail",
    check: "requirements.conflict",
    message: [/^numpy is pinned to 2\.2\.6 in requirements\/requirements\.txt:3 \(tier base\) but NumPy==2\.2\.0 in requirements\/requirements-llm\.txt:2 \(tier llm\)/],
    fix: /pin numpy once, in the lowest tier that needs it \(base\)/,
  },
  {
    name: "a missing include",
    files: { "requirements/requirements.txt": "numpy==2.3.5\n-r requirements-common.txt\n" },
    severity: "fail",
    check: "requirements.include",
    message: [/^requirements\/requirements.txt:2: -r requirements-common.txt: requirements\/requirements-common.txt does not exist$/],
  },
  {
    name: "an include escaping requirements/",
    files: { "requirements/requirements.txt": "numpy==2.3.5\n-c ../constraints/pins.txt\n", "constraints/pins.txt": "numpy==2.3.5\n" },
    severity: "fail",
    check: "requirements.include",
    message: [/^requirements\/requirements.txt:2: -c \.\.\/constraints\/pins.txt resolves to constraints\/pins.txt, outside requirements\/; accepted: a file inside requirements\//],
  },
  {
    name: "an incompatible base image / vLLM pair",
    files: VLLM_ONLY,
    plan: fullPlan(BASE_IMAGE.guide),
    severity: "fail",
    check: "compat",
    message: [/vllm==0\.15\.1 \(requirements\/requirements-accel.txt:1\)/, /needs torch ==2\.9\.1 with CUDA 12\.8/, /gets torch 2\.10\.0 with CUDA 13\.0 from the base image pytorch\/pytorch:2\.10\.0-cuda13\.0-cudnn9-devel/, /rule: constraints\/compat.yaml rules\[0\] \(vllm 0\.15\.1 \(fixture\)\)$/],
    fix: /set atlas:build.baseImage to pytorch\/pytorch:2\.9\.1-cuda12\.8-cudnn9-devel/,
  },
  {
    name: "the same pair with allowIncompatible: a warning",
    files: VLLM_ONLY,
    plan: fullPlan(BASE_IMAGE.guide, { allowIncompatible: true }),
    severity: "warn",
    check: "compat",
    message: [/vllm==0\.15\.1/, /torch 2\.10\.0 with CUDA 13\.0/, /building anyway because atlas:allowIncompatible is true$/],
  },
  {
    name: "a base image off the pytorch scheme: the gate cannot tell",
    plan: fullPlan("ghcr.io/owner/cuda-python:12.8"),
    severity: "warn",
    check: "compat.base-image",
    message: [/^cannot tell torch\/CUDA of the base image "ghcr.io\/owner\/cuda-python:12.8": it does not follow pytorch\/pytorch:<torch>-cuda<cuda>-cudnn<n>-<flavor>; unchecked: vllm==0\.15\.1/],
  },
  {
    name: "a Dockerfile stage whose ARGs disagree with the model",
    files: { "docker/Dockerfile": committed("docker/Dockerfile").replace("FROM atlas-base AS llm\nARG MAX_JOBS=2\n", "FROM atlas-base AS llm\nARG MAX_JOBS=2\nARG USER_UID=1000\n") },
    plan: planFor({ tier: "llm" }),
    severity: "fail",
    check: "dockerfile",
    message: [/^docker\/Dockerfile: stage llm \(line \d+\) declares ARG USER_UID \(line \d+\), which tier llm \(tiers.ts TIERS\) does not pass \(it passes: MAX_JOBS\)/],
  },
];

describe("bad inputs: every failure message", () => {
  it.each(rows)("$name", (row) => {
    const findings = collectFindings(tempProject(row.files), row.plan ?? planFor({}));
    const hits = findings.filter((f: Finding) => f.check === row.check && f.severity !== "pass");
    expect(hits, JSON.stringify(findings, null, 2)).toHaveLength(1);
    expect(hits[0].severity).toBe(row.severity);
    for (const re of row.message) expect(hits[0].message).toMatch(re);
    if (row.fix) expect(hits[0].fix).toMatch(row.fix);
    // The bad input is the only problem: every other check still passes (memory may warn on small hosts).
    const others = findings.filter((f) => f !== hits[0] && f.severity !== "pass" && f.check !== "precheck.memory");
    expect(others).toEqual([]);
  });

  it("has rows for every project-file check that can fail", () => {
    expect(new Set(rows.map((r) => r.check))).toEqual(
      new Set(["requirements.parse", "requirements.pinned", "requirements.conflict", "requirements.include", "compat", "compat.base-image", "dockerfile"]),
    );
  });
});
