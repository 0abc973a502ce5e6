import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stageRequirementContexts } from "../../src/build/contexts";
import { planFor } from "./check-fixtures";
import { useScratchDirs } from "./harness";

const scratch = useScratchDirs();

function project(files: Record<string, string>): string {
  const root = scratch(join(tmpdir(), "atlas-context-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function plan(materials: boolean) {
  return planFor({ tier: "llm", materials }, "s");
}

describe("stageRequirementContexts", () => {
  it("gives each tier only its own files, with their -r includes at the same relative paths", () => {
    const root = project({
      "requirements/requirements.txt": "numpy==2.2.6\n",
      "requirements/requirements-llm.txt": "-r common/shared.txt\nsix==1.17.0\n",
      "requirements/common/shared.txt": "idna==3.10\n",
      "requirements/requirements-materials.txt": "ase==3.26.0\n",
      "requirements/requirements-accel.txt": "vllm==0.15.1\n",
    });
    stageRequirementContexts(root, plan(false));
    expect(readdirSync(join(root, ".atlas/contexts/s/base"))).toEqual(["requirements.txt"]);
    expect(readdirSync(join(root, ".atlas/contexts/s/llm")).sort()).toEqual(["common", "requirements-llm.txt"]);
    expect(readFileSync(join(root, ".atlas/contexts/s/llm/common/shared.txt"), "utf8")).toBe("idna==3.10\n");
  });

  it("drops a file the config no longer installs, so it is not hashed into the tier", () => {
    const root = project({
      "requirements/requirements.txt": "numpy==2.2.6\n",
      "requirements/requirements-llm.txt": "six==1.17.0\n",
      "requirements/requirements-materials.txt": "ase==3.26.0\n",
    });
    stageRequirementContexts(root, plan(true));
    expect(existsSync(join(root, ".atlas/contexts/s/base/requirements-materials.txt"))).toBe(true);
    stageRequirementContexts(root, plan(false));
    expect(readdirSync(join(root, ".atlas/contexts/s/base"))).toEqual(["requirements.txt"]);
  });
});
