import { describe, expect, it } from "vitest";
import { compatFindings, loadCompatData, parseCompatData, readBaseImage, resolverEnvironment, torchPin } from "../../src/checks/compat";
import { PackageReq, diskSource, parseRequirements, tierPackages } from "../../src/core/requirements-files";
import { TierName } from "../../src/core/tiers";
import { committed, fullPlan } from "./check-fixtures";
import { BASE_IMAGE, ROOT } from "./harness";

const data = loadCompatData(ROOT);

/** Tiers from literal file texts: [tier, text] lowest first. */
function tiers(...t: [TierName, string][]): { tier: TierName; packages: PackageReq[] }[] {
  return t.map(([tier, text]) => ({ tier, packages: parseRequirements(`requirements/${tier}.txt`, text).packages }));
}

const notPass = (fs: { severity: string }[]) => fs.filter((f) => f.severity !== "pass");

describe("base image references", () => {
  it("reads torch, CUDA, cuDNN and flavor from the pytorch scheme, and Python from the data", () => {
    expect(readBaseImage(BASE_IMAGE.guide, data)).toEqual({ ref: BASE_IMAGE.guide, repository: "pytorch/pytorch", torch: "2.10.0", cuda: "13.0", cudnn: "9", flavor: "devel", python: "3.11" });
    expect(readBaseImage("mirror.example:5000/pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime", data)).toMatchObject({ repository: "mirror.example:5000/pytorch/pytorch", torch: "2.9.1", cuda: "12.8", flavor: "runtime" });
    expect(readBaseImage("pytorch/pytorch:2.11.0-cuda13.0-cudnn9-devel", data)).toMatchObject({ torch: "2.11.0", python: undefined });
  });

  it("says nothing about references that do not follow it", () => {
    for (const ref of ["python:3.10-slim", "pytorch/pytorch:latest", "pytorch/pytorch@sha256:" + "a".repeat(64), "nvidia/cuda:12.8.0-devel-ubuntu22.04", "pytorch/pytorch:banana-cuda12.8-cudnn9-devel"]) {
      expect(readBaseImage(ref, data), ref).toBeUndefined();
    }
  });
});

describe("torch pins (the gate and the resolver read them the same way)", () => {
  it("only an exact torch pin without a marker replaces the image's torch", () => {
    const [{ packages }] = tiers(["base", 'torch==2.9.1\ntorch==2.8.0 ; python_version < "3.9"\ntorch>=2.9\nnumpy==2.2.6\ntorch==2.9.*\n']);
    expect(packages.map((p) => torchPin(p))).toEqual(["2.9.1", undefined, undefined, undefined, undefined]);
  });
});

describe("the compatibility gate", () => {
  it("passes the committed full stack and names what fits", () => {
    const plan = fullPlan();
    const findings = compatFindings(data, plan.baseImage, tierPackages(diskSource(ROOT), plan), false);
    expect(findings).toEqual([
      {
        severity: "pass",
        check: "compat",
        message:
          `tier full: vllm==0.15.1 fits torch 2.9.1 with CUDA 12.8 from the base image ${BASE_IMAGE.full}, Python 3.11; ` +
          `tier full: xformers==0.0.33.post2 fits torch 2.9.1 with CUDA 12.8 from the base image ${BASE_IMAGE.full}, Python 3.11`,
      },
    ]);
  });

  it("fails vLLM 0.15.1 on the guide's default image, naming both sides, the rule and a matching image", () => {
    const [f] = compatFindings(data, BASE_IMAGE.guide, tiers(["base", ""], ["llm", ""], ["full", "vllm==0.15.1\n"]), false);
    expect(f.severity).toBe("fail");
    expect(f.message).toBe(
      `tier full installs vllm==0.15.1 (requirements/full.txt:1), which needs torch ==2.9.1 with CUDA 12.8 and Python >=3.10,<3.14, but gets torch 2.10.0 with CUDA 13.0 from the base image ${BASE_IMAGE.guide} and Python 3.11; ` +
        "rule: constraints/compat.yaml rules[0] (build guide: vLLM 0.15.1 expects PyTorch 2.9.1 + CUDA 12.8; vllm 0.15.1 on PyPI: Requires-Dist torch==2.9.1)",
    );
    expect(f.fix).toContain(`set atlas:build.baseImage to ${BASE_IMAGE.full}`);
    expect(f.fix).toContain("pin torch==2.9.1 in requirements/requirements.txt (tier 0)");
    expect(f.fix).toContain("atlas:allowIncompatible true");
  });

  it("allowIncompatible turns the failure into a warning that says so", () => {
    const [f] = compatFindings(data, BASE_IMAGE.guide, tiers(["base", ""], ["full", "vllm==0.15.1\n"]), true);
    expect(f.severity).toBe("warn");
    expect(f.message).toMatch(/building anyway because atlas:allowIncompatible is true$/);
    expect(f.fix).not.toContain("allowIncompatible");
  });

  it("a CUDA mismatch alone fails, and a mirror's image is suggested from the same mirror", () => {
    const [f] = compatFindings(data, "mirror.example/pytorch/pytorch:2.9.1-cuda13.0-cudnn9-runtime", tiers(["base", "vllm==0.15.1\n"]), false);
    expect(f.message).toMatch(/gets torch 2.9.1 with CUDA 13.0 from the base image/);
    expect(f.fix).toContain("set atlas:build.baseImage to mirror.example/pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime");
  });

  it("a torch pin in tier 0 replaces the base image's torch for the tiers above", () => {
    const pinned = compatFindings(data, BASE_IMAGE.guide, tiers(["base", "torch==2.9.1\n"], ["full", "vllm==0.15.1\n"]), false);
    expect(notPass(pinned)).toEqual([]);
    expect(pinned[0].message).toBe("tier full: vllm==0.15.1 fits torch 2.9.1 with CUDA 12.8 from torch==2.9.1 in requirements/base.txt:1, Python 3.11");
    const wrongCuda = compatFindings(data, BASE_IMAGE.full, tiers(["base", "torch==2.9.1+cu130\n"], ["full", "vllm==0.15.1\n"]), false);
    expect(wrongCuda[0].message).toMatch(/gets torch 2.9.1\+cu130 with CUDA 13.0 from torch==2.9.1\+cu130 in requirements\/base.txt:1/);
  });

  it("a torch pin in an upper tier cannot change the held torch below it", () => {
    const findings = compatFindings(data, BASE_IMAGE.guide, tiers(["base", ""], ["llm", "torch==2.9.1\n"]), false);
    expect(findings).toEqual([
      expect.objectContaining({
        severity: "fail",
        check: "compat.torch",
        message: `tier llm pins torch==2.9.1 (requirements/llm.txt:1) over torch 2.10.0 with CUDA 13.0 from the base image ${BASE_IMAGE.guide}; upper tiers install with everything below held at its version, so pip cannot change torch there`,
      }),
    ]);
  });

  it("cannot tell, and says so, for an unpinned gated package or a torch of unknown CUDA", () => {
    expect(compatFindings(data, BASE_IMAGE.full, tiers(["full", "vllm>=0.15\n"]), false)).toEqual([
      expect.objectContaining({ severity: "warn", check: "compat", message: expect.stringMatching(/^cannot tell whether vllm>=0.15 \(requirements\/full.txt:1\) fits: it is not pinned with ==/) }),
    ]);
    expect(compatFindings(data, BASE_IMAGE.full, tiers(["base", "torch==2.7.0\n"], ["full", "vllm==0.15.1\n"]), false)).toEqual([
      expect.objectContaining({ severity: "warn", message: expect.stringMatching(/^cannot tell the CUDA of the torch that vllm==0.15.1 \(requirements\/full.txt:1\) would get/) }),
    ]);
  });

  it("releases the rule does not cover pass", () => {
    expect(notPass(compatFindings(data, BASE_IMAGE.guide, tiers(["full", "vllm==0.20.0\n"]), false))).toEqual([]);
  });

  it("a base image off the pytorch scheme: the gate cannot tell, warns naming the ref, and does not crash", () => {
    const findings = compatFindings(data, "localhost:5000/atlas-standin:bookworm", tiers(["base", ""], ["full", "vllm==0.15.1\n"]), false);
    expect(findings).toEqual([
      {
        severity: "warn",
        check: "compat.base-image",
        message: 'cannot tell torch/CUDA of the base image "localhost:5000/atlas-standin:bookworm": it does not follow pytorch/pytorch:<torch>-cuda<cuda>-cudnn<n>-<flavor>; unchecked: vllm==0.15.1 (requirements/full.txt:1)',
        fix: `use a pytorch/pytorch:<torch>-cuda<cuda>-cudnn<n>-<flavor> image (here pytorch/pytorch:2.9.1-cuda12.8-cudnn9-devel), or check the pins against the image's torch and CUDA by hand`,
      },
    ]);
  });
});

describe("the data file", () => {
  it("documents its format at the top", () => {
    const header = committed("constraints/compat.yaml").split("\n").filter((l) => l.startsWith("#")).join("\n");
    for (const key of ["baseImage:", "repository:", "manylinux:", "torch:", "python:", "pypiCuda:", "rules:", "package:", "version:", "cuda:", "source:"]) expect(header).toContain(key);
  });

  it("refuses a bad entry, naming the file, the key and the value", () => {
    const bad = committed("constraints/compat.yaml").replace('torch: "==2.9.1"', 'torch: "2.9.1 please"').replace('cuda: ["12.8"]', 'cuda: ["twelve"]');
    expect(() => parseCompatData(bad)).toThrow(/constraints\/compat.yaml: rules.0.torch: expected a PEP 440 specifier such as ==2.9.1 or >=3.10,<3.14, found "2.9.1 please"/);
    expect(() => parseCompatData(bad)).toThrow(/rules.0.cuda.0: expected a CUDA version such as "12.8", found "twelve"/);
    expect(() => parseCompatData("baseImage: {repository: x, tag: y, manylinux: '2_35'}\ntorch: {}\nextra: 1\n")).toThrow(/\(top\): Unrecognized key: "extra"/);
  });

  it("gives the resolver the image's Python, torch and glibc", () => {
    expect(resolverEnvironment(data, BASE_IMAGE.guide)).toEqual({ python: "3.11", torch: "2.10.0", manylinux: "2_35" });
    expect(resolverEnvironment(data, "python:3.10-slim")).toEqual({ python: undefined, torch: undefined, manylinux: "2_35" });
  });
});
