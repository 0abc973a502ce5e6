/**
 * Rebuild exactly what changed, in a real git checkout: each tier's revision
 * label, staged Dockerfile and context follow only its own inputs, so a commit
 * to an upper tier's requirements leaves the lower tiers untouched, a commit
 * to tier 0's rebuilds all three in order, and a README commit rebuilds
 * nothing. The preview says why a tier rebuilds, line by line.
 */
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SMALL_REQUIREMENTS, TempProject, upOrExplain } from "./stack";
import { e2eSkipped, loadToolchain, onToolchain } from "./toolchain";
import { TYPE } from "../resource-types";

const skipped = e2eSkipped();

const REQUIREMENTS = SMALL_REQUIREMENTS;
type Tier = "base" | "llm" | "full";
type Digests = Record<Tier, string>;

describe.skipIf(skipped)("rebuilds in a git checkout: exactly the tiers a commit can change", () => {
  const project = new TempProject(REQUIREMENTS);
  const stackName = `git-${project.id}`;
  let stack: Stack;
  let digests: Digests;

  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=atlas-e2e", "-c", "user.email=e2e@atlas.local", ...args], { cwd: project.dir, encoding: "utf8" });
  function commit(message: string, edit: () => void): void {
    edit();
    git("add", "-A");
    git("commit", "-q", "-m", message);
  }

  /** Image operations a preview plans, in the order the engine reports them, and the messages it gave (diagnostics). */
  async function preview(): Promise<{ ops: [string, string][]; output: string; changes: Record<string, number>; types: string[] }> {
    const ops: [string, string][] = [];
    const messages: string[] = [];
    const types = new Set<string>();
    const onEvent = (e: EngineEvent) => {
      const m = e.resourcePreEvent?.metadata;
      if (m) types.add(m.type);
      if (m?.type === TYPE.image) ops.push([m.urn.split("::").pop()!.replace(/^atlas-/, ""), m.op]);
      const d = e.diagnosticEvent;
      // Debug events arrive too (the SDK logs each RPC); they are not what a user is shown.
      if (d && ["info", "warning", "error"].includes(d.severity)) messages.push(`${d.severity}: ${d.message.trim()}`);
    };
    const result = await stack.preview({ diff: true, color: "never", onEvent });
    return { ops, output: messages.join("\n"), changes: result.changeSummary as Record<string, number>, types: [...types] };
  }

  async function up(): Promise<{ output: string; digests: Digests }> {
    let output = "";
    const result = await upOrExplain(stack, (o) => (output += o));
    const tiers = result.outputs.tiers.value as Record<Tier, { digest: string }>;
    return { output, digests: { base: tiers.base.digest, llm: tiers.llm.digest, full: tiers.full.digest } };
  }

  beforeAll(async () => {
    const tc = loadToolchain();
    stack = await project.stack(stackName);
    await stack.setConfig("atlas:registryPassword", { value: tc.registryPassword, secret: true });
    project.writeConfig(stackName, {
      "atlas:tier": "full",
      ...onToolchain(tc, { repository: `git-${project.id}/atlas` }),
    });
    writeFileSync(join(project.dir, ".gitignore"), "node_modules\n.state/\n.atlas/\n");
    writeFileSync(join(project.dir, "README.md"), "# a checkout\n");
    git("init", "-q");
    commit("the project", () => undefined);
    digests = (await up()).digests;
  });

  afterAll(() => {
    if (!process.env.ATLAS_E2E_KEEP) project.remove();
  });

  it("a commit to requirements-accel.txt: the preview updates tier full only and says which lines; up builds only it", async () => {
    commit("accel: more-itertools for full", () => project.writeRequirements(REQUIREMENTS.full.file, ["toolz==1.0.0", "more-itertools==10.5.0"]));
    const { ops, output } = await preview();
    expect(ops).toEqual([["base", "same"], ["llm", "same"], ["full", "update"]]);
    expect(output).toContain("tier full rebuilds: requirements-accel.txt: +more-itertools==10.5.0");
    expect(output).not.toMatch(/tier (base|llm) rebuilds/);
    const after = await up();
    expect(after.output).not.toMatch(/Image atlas-(base|llm) +updat/);
    expect(after.output).toMatch(/Image atlas-full +updat/);
    expect(after.digests.base).toBe(digests.base);
    expect(after.digests.llm).toBe(digests.llm);
    expect(after.digests.full).not.toBe(digests.full);
    digests = after.digests;
  });

  it("a commit to requirements.txt: all three tiers update, base then llm then full, each on the new image below", async () => {
    commit("base: idna", () => project.writeRequirements(REQUIREMENTS.base.file, ["six==1.17.0", "idna==3.10"]));
    const { ops, output } = await preview();
    expect(ops).toEqual([["base", "update"], ["llm", "update"], ["full", "update"]]);
    expect(output).toContain("tier base rebuilds: requirements.txt: +idna==3.10");
    expect(output).toContain("tier llm rebuilds: on base's new image");
    expect(output).toContain("tier full rebuilds: on llm's new image");
    const after = await up();
    const order = (["base", "llm", "full"] as const).map((t) => after.output.search(new RegExp(`Image atlas-${t} +updated`)));
    expect(order.every((i) => i >= 0), "each tier updated").toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    for (const t of ["base", "llm", "full"] as const) expect(after.digests[t], t).not.toBe(digests[t]);
    digests = after.digests;
  });

  it("a commit to the README only: nothing changes", async () => {
    commit("docs", () => writeFileSync(join(project.dir, "README.md"), "# a checkout\n\nmore words\n"));
    const { ops, output, changes, types } = await preview();
    expect(ops).toEqual([["base", "same"], ["llm", "same"], ["full", "same"]]);
    expect(output).not.toMatch(/rebuilds:/);
    expect(Object.keys(changes), JSON.stringify(changes)).toEqual(["same"]);
    // Reading the last deployment adds no resource (a StackReference would print every output in each --diff).
    expect(types).not.toContain("pulumi:pulumi:StackReference");
    const after = await up();
    expect(after.digests).toEqual(digests);
  });
});
