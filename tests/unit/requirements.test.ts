import { describe, expect, it } from "vitest";
import { fileFindings, requirementsFindings, stackFindings } from "../../src/checks/requirements";
import { closureOf, diskSource, exactPin, normalizeName, parseRequirements, parser, resolveInclude } from "../../src/core/requirements-files";
import { DEV_REQUIREMENTS, MATERIALS } from "../../src/core/tiers";
import { fullPlan, planFor, tempProject } from "./check-fixtures";
import { ROOT } from "./harness";

/** A tier-0 file of the tests' own (numpy on line 3, as committed), so the conflict tests do not follow the committed pins. */
const TIER0 = { "requirements/requirements.txt": "# Tier 0 (fixture)\npandas==2.3.3\nnumpy==2.2.6\n" };

const fails = (fs: { severity: string; check: string; message: string }[], check: string) =>
  fs.filter((f) => f.severity === "fail" && f.check === check).map((f) => f.message);

describe("parseRequirements", () => {
  it("reads packages, includes and their line numbers", () => {
    const p = parseRequirements("requirements/a.txt", "# comment\nnumpy==2.3.5\n\n-r b.txt\nPandas_Stubs >=1,<2 ; python_version < \"3.12\"\n-c c.txt\n");
    expect(p.problems).toEqual([]);
    expect(p.packages.map((r) => [r.key, r.line, r.marker])).toEqual([
      ["numpy", 2, false],
      ["pandas-stubs", 5, true],
    ]);
    expect(p.includes).toEqual([
      { flag: "-r", path: "b.txt", file: "requirements/a.txt", line: 4 },
      { flag: "-c", path: "c.txt", file: "requirements/a.txt", line: 6 },
    ]);
  });

  it("names every malformed line, not only the first, and accepts CRLF files", () => {
    const p = parseRequirements("requirements/a.txt", "numpy==2.3.5\r\nnumpy ==== 3\r\nok==1\r\n--index-url https://x\r\n");
    expect(p.problems).toHaveLength(2);
    expect(p.problems[0]).toMatch(/^line 2, col \d+: expected .* in "numpy ==== 3"$/);
    expect(p.problems[1]).toMatch(/^line 4, col 1: .* in "--index-url https:\/\/x"$/);
  });

  it("rejects a version PEP 440 does not accept, as pip would", () => {
    expect(parseRequirements("requirements/a.txt", "numpy==banana\n").problems).toEqual([
      'line 1: numpy==banana: "banana" is not a PEP 440 version for == (e.g. 1.2.3, 1.2.*, 2.0rc1)',
    ]);
  });
});

describe("pins and names", () => {
  const req = (text: string) => parseRequirements("requirements/x.txt", text).packages[0];

  it("a pin is == with a PEP 440 version and no wildcard", () => {
    expect(exactPin(req("numpy==2.3.5"))).toBe("2.3.5");
    expect(exactPin(req("torch==2.9.1+cu128"))).toBe("2.9.1+cu128");
    expect(exactPin(req("numpy==2.*"))).toBeUndefined();
    expect(exactPin(req("numpy>=2"))).toBeUndefined();
    expect(exactPin(req("numpy"))).toBeUndefined();
  });

  it("normalizes names per PEP 503", () => {
    expect(normalizeName("Huggingface_Hub")).toBe("huggingface-hub");
    expect(normalizeName("zope.interface")).toBe("zope-interface");
    expect(normalizeName("a-_.b")).toBe("a-b");
  });
});

describe("includes", () => {
  const inc = (path: string, file = "requirements/a.txt") => ({ flag: "-r" as const, path, file, line: 3 });
  const exists = (f: string) => ["requirements/b.txt", "requirements/sub/c.txt"].includes(f);

  it("resolve relative to the including file, inside requirements/ only", () => {
    expect(resolveInclude(inc("b.txt"), exists)).toEqual({ ok: true, path: "requirements/b.txt" });
    expect(resolveInclude(inc("sub/c.txt"), exists)).toEqual({ ok: true, path: "requirements/sub/c.txt" });
    expect(resolveInclude(inc("../b.txt", "requirements/sub/c.txt"), exists)).toEqual({ ok: true, path: "requirements/b.txt" });
    expect(resolveInclude(inc("../secrets.txt"), exists)).toEqual({ ok: false, problem: expect.stringMatching(/resolves to secrets.txt, outside requirements\//) });
    expect(resolveInclude(inc("/etc/passwd"), exists)).toEqual({ ok: false, problem: expect.stringMatching(/absolute path/) });
    expect(resolveInclude(inc("https://example.com/r.txt"), exists)).toEqual({ ok: false, problem: expect.stringMatching(/is a URL/) });
    expect(resolveInclude(inc("missing.txt"), exists)).toEqual({ ok: false, problem: "-r missing.txt: requirements/missing.txt does not exist" });
  });

  it("closureOf walks -r/-c includes transitively, each file once, for the staged requirements context", () => {
    const root = tempProject({
      "requirements/requirements.txt": "numpy==2.3.5\n-r common.txt\n",
      "requirements/common.txt": "-c nested/pins.txt\n-r requirements.txt\n",
      "requirements/nested/pins.txt": "pandas==2.3.3\n",
    });
    const files = (project: string, file: string) => closureOf(parser(diskSource(project)), [file]).files;
    expect(files(root, "requirements/requirements.txt")).toEqual(["requirements/requirements.txt", "requirements/common.txt", "requirements/nested/pins.txt"]);
    expect(files(root, "requirements/common.txt")).toEqual(["requirements/common.txt", "requirements/nested/pins.txt", "requirements/requirements.txt"]);
    expect(files(ROOT, "requirements/requirements-llm.txt")).toEqual(["requirements/requirements-llm.txt"]);
  });
});

describe("requirements checks", () => {
  it("the committed files pass for every committed stack shape", () => {
    for (const plan of [planFor({}), planFor({ tier: "llm" }), fullPlan()]) {
      const findings = requirementsFindings(diskSource(ROOT), plan);
      expect(findings.filter((f) => f.severity !== "pass")).toEqual([]);
      expect(new Set(findings.map((f) => f.check))).toEqual(
        new Set(["requirements.parse", "requirements.include", "requirements.pinned", "requirements.conflict", "requirements.dev"]),
      );
    }
  });

  it("the materials file is held to pins even when the stack is not pinned", () => {
    const root = tempProject({ [MATERIALS.requirements]: "pymatgen>=2025\n" });
    expect(fails(fileFindings(diskSource(root)), "requirements.pinned")).toEqual([
      expect.stringMatching(/^requirements\/requirements-materials.txt:1: pymatgen has ">=2025"; the materials file is always fully pinned/),
    ]);
  });

  it("an unpinned tier-0 file passes a tier-0 stack (pinned defaults false) and fails when pinned", () => {
    const root = tempProject({ "requirements/requirements.txt": "numpy\n" });
    expect(fails(stackFindings(diskSource(root), planFor({})), "requirements.pinned")).toEqual([]);
    expect(fails(stackFindings(diskSource(root), planFor({ pinned: true })), "requirements.pinned")).toEqual([
      expect.stringMatching(/^requirements\/requirements.txt:1: numpy has no version; stack test is pinned/),
    ]);
  });

  it("files included with -r are held to the pins too", () => {
    const root = tempProject({ "requirements/requirements-llm.txt": "transformers==4.57.3\n-r extra.txt\n", "requirements/extra.txt": "einops>=0.8\n" });
    expect(fails(stackFindings(diskSource(root), planFor({ tier: "llm" })), "requirements.pinned")).toEqual([expect.stringMatching(/^requirements\/extra.txt:1: einops has ">=0.8"/)]);
  });

  it("the same version spelled differently is no conflict; a range that excludes a lower pin is", () => {
    const same = tempProject({ ...TIER0, "requirements/requirements-llm.txt": "NumPy==2.2.6.0\n" });
    expect(fails(stackFindings(diskSource(same), planFor({ tier: "llm" })), "requirements.conflict")).toEqual([]);
    const range = tempProject({ ...TIER0, "requirements/requirements-llm.txt": "numpy<2\n" });
    expect(fails(stackFindings(diskSource(range), planFor({ tier: "llm", pinned: false })), "requirements.conflict")).toEqual([
      "numpy is pinned to 2.2.6 in requirements/requirements.txt:3 (tier base) but numpy<2 in requirements/requirements-llm.txt:1 (tier llm); tiers stack on each other, so both must hold at once",
    ]);
  });

  it("materials and tier-0 pins conflict within tier 0; tiers a stack does not build are not compared", () => {
    const root = tempProject({ ...TIER0, [MATERIALS.requirements]: "numpy==1.26.4\n", "requirements/requirements-accel.txt": "numpy==2.0.0\n" });
    expect(fails(stackFindings(diskSource(root), planFor({ materials: true })), "requirements.conflict")).toEqual([
      expect.stringMatching(/^numpy is pinned to 2.2.6 in requirements\/requirements.txt:3 \(tier base\) but numpy==1.26.4 in requirements\/requirements-materials.txt:1 \(tier base\)/),
    ]);
    expect(fails(stackFindings(diskSource(root), planFor({})), "requirements.conflict")).toEqual([]);
  });

  it("pins under environment markers are left to the resolver", () => {
    const root = tempProject({ "requirements/requirements-llm.txt": 'numpy==1.26.4 ; python_version < "3.10"\n' });
    expect(fails(stackFindings(diskSource(root), planFor({ tier: "llm" })), "requirements.conflict")).toEqual([]);
  });

  it("a file a tier installs must exist", () => {
    const root = tempProject({ "requirements/requirements-llm.txt": null });
    expect(fails(stackFindings(diskSource(root), planFor({ tier: "llm" })), "requirements.parse")).toEqual([
      "requirements/requirements-llm.txt does not exist, and tier llm installs it (src/core/tiers.ts)",
    ]);
  });

  it("a file reached by -c and by -r is held to the pins through its -r includes", () => {
    const root = tempProject({
      "requirements/requirements-llm.txt": "-c shared.txt\n-r shared.txt\n",
      "requirements/shared.txt": "-r loose.txt\n",
      "requirements/loose.txt": "einops\n",
    });
    expect(fails(stackFindings(diskSource(root), planFor({ tier: "llm" })), "requirements.pinned")).toEqual([expect.stringMatching(/^requirements\/loose.txt:1: einops has no version/)]);
  });

  it("the dev file is parsed but installed in no image", () => {
    const broken = tempProject({ [DEV_REQUIREMENTS]: "pytest=8\n" });
    expect(fails(fileFindings(diskSource(broken)), "requirements.parse")).toEqual([expect.stringMatching(/^requirements\/requirements-dev.txt: line 1, col \d+: /)]);
    const installed = tempProject({ "requirements/requirements-llm.txt": "transformers==4.57.3\n-r requirements-dev.txt\n" });
    expect(fails(stackFindings(diskSource(installed), planFor({ tier: "llm" })), "requirements.dev")).toEqual([
      "requirements/requirements-dev.txt (dev and test tools) would be installed in the llm image: requirements/requirements-llm.txt:2 includes it",
    ]);
  });
});
