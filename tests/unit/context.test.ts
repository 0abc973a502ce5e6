import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stageTierContexts } from "../../src/build/contexts";
import { cutStage, stageDockerfile } from "../../src/core/dockerfile-stages";
import { diskReader, tierRevision } from "../../src/core/project";
import { inputChanges, requirementLines, requirementsByPackage, tierInputs } from "../../src/core/tier-inputs";
import { planFor } from "./check-fixtures";
import { ROOT, useScratchDirs } from "./harness";

const scratch = useScratchDirs();

/** A project with the committed docker/ and these requirements files. */
function project(files: Record<string, string>): string {
  const root = scratch(join(tmpdir(), "atlas-context-"));
  cpSync(join(ROOT, "docker"), join(root, "docker"), { recursive: true });
  writeFileSync(join(root, "VERSION"), "0.6\n");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const REQUIREMENTS = {
  "requirements/requirements.txt": "numpy==2.2.6\n",
  "requirements/requirements-llm.txt": "-r common/shared.txt\nsix==1.17.0\n",
  "requirements/common/shared.txt": "idna==3.10\n",
  "requirements/requirements-materials.txt": "ase==3.26.0\n",
  "requirements/requirements-accel.txt": "tabulate==0.9.0\n",
};

function plan(materials: boolean, tier = "full") {
  return planFor({ tier, materials }, "s");
}

const ls = (root: string, dir: string) => readdirSync(join(root, ".atlas/contexts/s", dir)).sort();
const staged = (root: string, file: string) => readFileSync(join(root, ".atlas/contexts/s", file), "utf8");

describe("stageTierContexts", () => {
  it("gives each tier only its own requirements, with their -r includes at the same relative paths", () => {
    const root = project(REQUIREMENTS);
    stageTierContexts(root, plan(false));
    expect(ls(root, "base/requirements")).toEqual(["requirements.txt"]);
    expect(ls(root, "llm/requirements")).toEqual(["common", "requirements-llm.txt"]);
    expect(staged(root, "llm/requirements/common/shared.txt")).toBe("idna==3.10\n");
    expect(ls(root, "full/requirements")).toEqual(["requirements-accel.txt"]);
  });

  it("gives each tier its own stage of the Dockerfile, and only the files that stage copies", () => {
    const root = project(REQUIREMENTS);
    stageTierContexts(root, plan(false));
    expect(staged(root, "base/Dockerfile")).toMatch(/^FROM \$\{BASE_IMAGE\} AS base$/m);
    expect(staged(root, "base/Dockerfile")).toMatch(/^ARG BASE_IMAGE=/m);
    expect(staged(root, "base/Dockerfile")).not.toMatch(/ AS (llm|full|smoke)$/m);
    expect(staged(root, "llm/Dockerfile")).toMatch(/^FROM atlas-base AS llm$/m);
    expect(staged(root, "llm/Dockerfile")).not.toMatch(/ AS (base|full|smoke)$|^ARG (BASE_IMAGE|SMOKE_BASE_IMAGE)/m);
    expect(ls(root, "base/context")).toEqual(["atlas-healthcheck", "atlas-lab", "atlas-pip-install"]);
    expect(ls(root, "llm/context")).toEqual([]);
    expect(ls(root, "full/context")).toEqual([]);
  });

  it("drops a file the config no longer installs, so it is not hashed into the tier", () => {
    const root = project(REQUIREMENTS);
    stageTierContexts(root, plan(true, "llm"));
    expect(existsSync(join(root, ".atlas/contexts/s/base/requirements/requirements-materials.txt"))).toBe(true);
    stageTierContexts(root, plan(false, "llm"));
    expect(ls(root, "base/requirements")).toEqual(["requirements.txt"]);
  });

  it("an edit to the full stage changes full's staged files only; an edit to a file base copies, base's only", () => {
    const root = project(REQUIREMENTS);
    const snapshot = () => {
      stageTierContexts(root, plan(false));
      return Object.fromEntries(["base", "llm", "full"].map((t) => [t, staged(root, `${t}/Dockerfile`) + ls(root, `${t}/context`).map((f) => staged(root, `${t}/context/${f}`)).join("")]));
    };
    const before = snapshot();
    const dockerfile = join(root, "docker/Dockerfile");
    writeFileSync(dockerfile, readFileSync(dockerfile, "utf8").replace("FROM atlas-llm AS full\n", "FROM atlas-llm AS full\n# a note on full\n"));
    const afterFull = snapshot();
    expect(afterFull.base).toBe(before.base);
    expect(afterFull.llm).toBe(before.llm);
    expect(afterFull.full).not.toBe(before.full);
    writeFileSync(join(root, "docker/atlas-lab"), `${readFileSync(join(root, "docker/atlas-lab"), "utf8")}# changed\n`);
    const afterLab = snapshot();
    expect(afterLab.base).not.toBe(afterFull.base);
    expect(afterLab.llm).toBe(afterFull.llm);
  });

  it("returns what each tier is built from: requirements by their lines, other inputs by hash", () => {
    const root = project(REQUIREMENTS);
    const manifests = stageTierContexts(root, plan(false));
    expect(manifests.llm).toEqual({
      "docker/Dockerfile (stage llm)": expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      "requirements/requirements-llm.txt": { "-r common/shared.txt": "-r common/shared.txt", six: "six==1.17.0" },
      "requirements/common/shared.txt": { idna: "idna==3.10" },
    });
    expect(Object.keys(manifests.base!).sort()).toEqual(["docker/Dockerfile (stage base)", "docker/atlas-healthcheck", "docker/atlas-lab", "docker/atlas-pip-install", "requirements/requirements.txt"]);
  });
});

describe("a stage's cut of the Dockerfile", () => {
  const text = readFileSync(join(ROOT, "docker/Dockerfile"), "utf8");

  it("ends at the stage's last instruction: the next stage's header comment is not part of it", () => {
    expect(cutStage(text, "llm").text).not.toMatch(/tier 2/);
    expect(cutStage(text, "llm").text.trimEnd().split("\n").pop()).toMatch(/atlas-pip-install --hold/);
  });

  it("refuses a COPY it cannot stage, naming the file and line", () => {
    const glob = text.replace("COPY --chmod=0755 atlas-pip-install /usr/local/bin/", "COPY --chmod=0755 atlas-* /usr/local/bin/");
    expect(() => cutStage(glob, "base")).toThrow(/docker\/Dockerfile:\d+: COPY atlas-\*: .*no wildcard/);
    expect(() => stageDockerfile(text, "nope")).toThrow(/no stage "nope".*found base, llm, full, smoke/);
  });

  it("ignores COPY --from, which takes nothing from the build context", () => {
    const from = text.replace("COPY --chmod=0755 atlas-pip-install /usr/local/bin/", "COPY --from=requirements requirements.txt /tmp/\nCOPY --chmod=0755 atlas-pip-install /usr/local/bin/");
    expect(cutStage(from, "base").copies).toEqual(["atlas-pip-install", "atlas-lab", "atlas-healthcheck"]);
  });
});

describe("why a tier rebuilds", () => {
  it("requirement lines ignore comments, blank lines, continuation breaks and order", () => {
    expect(requirementLines("# top\nb==2  # pinned\n\na==1 \\\n  --hash=sha256:x\n")).toEqual(["a==1 --hash=sha256:x", "b==2"]);
  });

  it("keys a file's lines by package, so a changed pin is one key's change", () => {
    expect(requirementsByPackage(["Tabulate==0.9.0", "-r x.txt", "zope.interface==7.0", "tabulate[widechars]==0.9.0; python_version<'3.12'"])).toEqual({
      tabulate: "Tabulate==0.9.0",
      "-r x.txt": "-r x.txt",
      "zope-interface": "zope.interface==7.0",
      "tabulate[widechars]==0.9.0; python_version<'3.12'": "tabulate[widechars]==0.9.0; python_version<'3.12'",
    });
  });

  it("names the lines added and removed per file, and any other input that changed", () => {
    const pins = (...lines: string[]) => requirementsByPackage(lines);
    const before = { "requirements/requirements-accel.txt": pins("tabulate==0.8.10", "toolz==1.0.0"), "docker/Dockerfile (stage full)": "sha256:a" };
    const after = { "requirements/requirements-accel.txt": pins("tabulate==0.9.0", "toolz==1.0.0"), "docker/Dockerfile (stage full)": "sha256:b" };
    expect(inputChanges(before, after)).toEqual(["docker/Dockerfile (stage full) changed", "requirements-accel.txt: +tabulate==0.9.0, -tabulate==0.8.10"]);
    expect(inputChanges(after, after)).toEqual([]);
    expect(inputChanges({}, { "requirements/requirements-materials.txt": pins("ase==3.26.0") })).toEqual(["requirements-materials.txt added"]);
    expect(inputChanges({ "requirements/requirements-materials.txt": pins("ase==3.26.0") }, {})).toEqual(["requirements-materials.txt no longer installed"]);
  });
});

describe("each tier's revision label", () => {
  function repo(): { root: string; commit: (message: string, edit: (root: string) => void) => string } {
    const root = project(REQUIREMENTS);
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: root, encoding: "utf8" }).trim();
    git("init", "-q");
    const commit = (message: string, edit: (root: string) => void) => {
      edit(root);
      git("add", "-A");
      git("commit", "-q", "-m", message);
      return git("rev-parse", "HEAD");
    };
    return { root, commit };
  }
  const revisions = (root: string) => {
    const read = diskReader(root);
    return Object.fromEntries(
      plan(false).tiers.map((t) => [t.tier, tierRevision(root, tierInputs(read, t.target, t.requirements))]),
    );
  };
  const edit = (file: string, change: (text: string) => string) => (root: string) => writeFileSync(join(root, file), change(readFileSync(join(root, file), "utf8")));

  it("follows only the commits that change the tier's own inputs", () => {
    const { root, commit } = repo();
    const first = commit("all", () => undefined);
    expect(revisions(root)).toEqual({ base: first, llm: first, full: first });
    const accel = commit("accel", edit("requirements/requirements-accel.txt", (t) => `${t}toolz==1.0.0\n`));
    expect(revisions(root)).toEqual({ base: first, llm: first, full: accel });
    commit("readme", (r) => writeFileSync(join(r, "README.md"), "hello\n"));
    expect(revisions(root)).toEqual({ base: first, llm: first, full: accel });
    const fullStage = commit("full stage", edit("docker/Dockerfile", (t) => t.replace("FROM atlas-llm AS full\n", "FROM atlas-llm AS full\n# note\n")));
    expect(revisions(root)).toEqual({ base: first, llm: first, full: fullStage });
    const shared = commit("include of llm", edit("requirements/common/shared.txt", (t) => `${t}six==1.17.0\n`));
    expect(revisions(root)).toEqual({ base: first, llm: shared, full: fullStage });
    const lab = commit("a file base copies", edit("docker/atlas-lab", (t) => `${t}# x\n`));
    expect(revisions(root)).toEqual({ base: lab, llm: shared, full: fullStage });
    const version = commit("version", (r) => writeFileSync(join(r, "VERSION"), "0.7\n"));
    expect(revisions(root)).toEqual({ base: version, llm: version, full: version });
  });

  it("is unknown outside a git checkout", () => {
    const root = project(REQUIREMENTS);
    expect(Object.values(revisions(root))).toEqual(["unknown", "unknown", "unknown"]);
  });
});
