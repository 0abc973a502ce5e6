import { chmodSync, copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { UsageError, runCommand } from "../../src/core/command";
import { parseTagArgs, tagCommand, upsertEntry, upsertReleaseInStackFile } from "../../src/export/tag-command";
import { ROOT, useScratchDirs } from "./harness";

/** Temporary dirs of this file, removed after it. */
const scratch = useScratchDirs();


/** A scratch project root with the files `tag` reads: the stack files, VERSION and package.json. */
function scratchRoot(): string {
  const root = scratch(join(tmpdir(), "atlas-tag-"));
  for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.llm.yaml", "Pulumi.full.yaml", "VERSION", "package.json"]) copyFileSync(join(ROOT, f), join(root, f));
  return root;
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) } };
}

/** `npm run tag` in `root`, previewing with `pulumi` (null: no pulumi binary); the exit code. */
function runTag(argv: string[], opts: { root: string; pulumi: string | null; out: (l: string) => void; err: (l: string) => void }): Promise<number> {
  return runCommand(tagCommand(opts.pulumi), argv, opts);
}

describe("tag command line", () => {
  it("keeps the guide's form: version, optional source (default base), optional stack", () => {
    expect(parseTagArgs(["1.0.0"])).toEqual({ version: "1.0.0", source: "base", stack: undefined });
    expect(parseTagArgs(["1.0.0", "v0.6-llm", "--stack", "llm"])).toEqual({ version: "1.0.0", source: "v0.6-llm", stack: "llm" });
    expect(parseTagArgs(["tag", "1.0.0", "llm", "--stack=full"])).toEqual({ version: "1.0.0", source: "llm", stack: "full" });
  });

  it("refuses what it does not understand", () => {
    expect(() => parseTagArgs([])).toThrow(UsageError);
    expect(() => parseTagArgs(["1.0.0", "llm", "extra"])).toThrow(/expected a version and an optional source/);
    expect(() => parseTagArgs(["1.0.0", "--force"])).toThrow(/unknown option "--force"/);
    expect(() => parseTagArgs(["1.0.0", "--stack"])).toThrow(/--stack needs a stack name/);
  });
});

describe("writing atlas:releases into a stack file", () => {
  const FILE = ["# the llm stack", "config:", "  atlas:tier: llm # top tier", "  # releases below", "  atlas:releases:", "    - version: 0.9.0 # first", "      source: base", ""].join("\n");

  it("adds an entry and keeps comments and the other entries", () => {
    const r = upsertReleaseInStackFile(FILE, { version: "1.0.0", source: "llm" });
    expect(r.action).toBe("added");
    expect(r.text).toContain("# the llm stack");
    expect(r.text).toContain("atlas:tier: llm # top tier");
    expect(r.text).toContain("# releases below");
    expect(r.text).toContain("- version: 0.9.0 # first");
    expect(parse(r.text).config["atlas:releases"]).toEqual([
      { version: "0.9.0", source: "base" },
      { version: "1.0.0", source: "llm" },
    ]);
  });

  it("re-points an existing version instead of adding a second entry", () => {
    const r = upsertReleaseInStackFile(FILE, { version: "0.9.0", source: "v0.6-llm" });
    expect(r).toMatchObject({ action: "updated", previous: "base" });
    expect(parse(r.text).config["atlas:releases"]).toEqual([{ version: "0.9.0", source: "v0.6-llm" }]);
    expect(r.text).toContain("- version: 0.9.0 # first");
    expect(upsertReleaseInStackFile(FILE, { version: "0.9.0", source: "base" })).toEqual({ text: FILE, action: "unchanged", previous: "base" });
  });

  it("creates the list when the stack has none, and keeps a version string a string", () => {
    const r = upsertReleaseInStackFile("config:\n  atlas:tier: base\n", { version: "1.0", source: "base" });
    expect(parse(r.text).config["atlas:releases"]).toEqual([{ version: "1.0", source: "base" }]);
  });

  it("refuses a releases key that is not a list", () => {
    expect(() => upsertReleaseInStackFile("config:\n  atlas:releases: 1.0.0\n", { version: "1.0.0", source: "base" }, "Pulumi.x.yaml")).toThrow(
      /Pulumi\.x\.yaml: config\.atlas:releases is not a list/,
    );
  });

  it("upsertEntry mirrors it on parsed config", () => {
    expect(upsertEntry([{ version: "1", source: "base" }], { version: "1", source: "llm" })).toEqual([{ version: "1", source: "llm" }]);
    expect(upsertEntry([], { version: "1", source: "llm" })).toEqual([{ version: "1", source: "llm" }]);
  });
});

describe("npm run tag", () => {
  it("validates, writes the entry, and says how to preview when pulumi is not on PATH", async () => {
    const root = scratchRoot();
    const before = readFileSync(join(root, "Pulumi.llm.yaml"), "utf8");
    const c = capture();
    expect(await runTag(["1.0.0", "v0.6-llm", "--stack", "llm"], { root, pulumi: null, ...c.io })).toBe(0);
    const after = readFileSync(join(root, "Pulumi.llm.yaml"), "utf8");
    expect(after.startsWith(before.split("\n")[0])).toBe(true); // the header comment is kept
    expect(parse(after).config["atlas:releases"]).toEqual([{ version: "1.0.0", source: "v0.6-llm" }]);
    expect(c.out.join("\n")).toContain("pulumi up points ghcr.io/chenzhuyu2004/atlas:1.0.0 at ghcr.io/chenzhuyu2004/atlas:v0.6-llm@sha256:<digest of tier llm>");
    expect(c.out.join("\n")).toContain("note: no pulumi binary on PATH, so nothing was previewed; run: pulumi preview --diff --stack llm");
  });

  it("leaves the stack file alone and names the problem when the release is invalid", async () => {
    const root = scratchRoot();
    const before = readFileSync(join(root, "Pulumi.dev.yaml"), "utf8");
    const c = capture();
    expect(await runTag(["1.0.0", "llm", "--stack", "dev"], { root, pulumi: null, ...c.io })).toBe(1);
    expect(readFileSync(join(root, "Pulumi.dev.yaml"), "utf8")).toBe(before);
    expect(c.err.join("\n")).toContain('atlas:releases[0].source: "llm" is tier llm, which this stack does not build (atlas:tier is "base"); accepted: a tier this stack builds: base (or BUILD_TIER 0), or its tag v0.6-base');
    expect(await runTag(["v0.6-base", "--stack", "dev"], { root, pulumi: null, ...c.io })).toBe(1);
    expect(c.err.join("\n")).toContain('"v0.6-base" collides with a tier tag');
  });

  it("runs pulumi preview --diff on the stack when pulumi is there", async () => {
    const root = scratchRoot();
    const fake = join(root, "pulumi");
    writeFileSync(fake, `#!/bin/sh\necho "$@" > "${join(root, "pulumi-args")}"\n`);
    chmodSync(fake, 0o755);
    const c = capture();
    expect(await runTag(["2.0.0", "full", "--stack", "full"], { root, pulumi: fake, ...c.io })).toBe(0);
    expect(readFileSync(join(root, "pulumi-args"), "utf8").trim()).toBe("preview --diff --stack full");
  });

  it("needs a stack when none is given and pulumi cannot tell the selected one", async () => {
    const c = capture();
    expect(await runTag(["1.0.0"], { root: scratchRoot(), pulumi: null, ...c.io })).toBe(2);
    expect(c.err.join("\n")).toMatch(/pass --stack <name>/);
  });
});
