import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { extractMermaidBlock, formatPlanView, gateView, mermaidBlock, mermaidGraph, planView, renderTable } from "../../src/export/plan-view";
import { committedStacks, loadStack } from "../../src/core/stacks";
import { ROOT } from "./harness";

const REGENERATE = "npx ts-node --transpile-only bin/plan.ts --mermaid";

describe("plan view", () => {
  it("llm: tier, tag, base, args, cache and size per tier, read off the plan", () => {
    const plan = loadStack(ROOT, "llm");
    const v = planView(plan);
    expect(v.tiers.map((t) => [t.tier, t.tag, t.base])).toEqual([
      ["base", "ghcr.io/chenzhuyu2004/atlas:v0.6-base", "pytorch/pytorch:2.10.0-cuda13.0-cudnn9-devel"],
      ["llm", "ghcr.io/chenzhuyu2004/atlas:v0.6-llm", "base by digest (FROM atlas-base)"],
    ]);
    expect(v.tiers.map((t) => t.buildArgs)).toEqual(plan.tiers.map((t) => t.buildArgs));
    expect(v.tiers[1].cacheFrom).toEqual(["type=registry,ref=ghcr.io/chenzhuyu2004/atlas:cache-llm", "type=registry,ref=ghcr.io/chenzhuyu2004/atlas:cache-base"]);
    expect(v.tiers[1].cacheTo).toEqual(["type=registry,ref=ghcr.io/chenzhuyu2004/atlas:cache-llm,mode=max"]);
    expect(v.tiers.map((t) => [t.sizeGB, t.buildMinutes])).toEqual([
      [22, 5],
      [22, 10],
    ]);
    expect(v.totalBuildMinutes).toBe(15);
    expect(v.gate).toEqual({ status: "not-wired", findings: [] });
  });

  it("the gate's verdict is its worst finding", () => {
    expect(gateView([]).status).toBe("pass");
    expect(gateView([{ severity: "pass", check: "c", message: "m" }, { severity: "warn", check: "c", message: "m" }]).status).toBe("warn");
    expect(gateView([{ severity: "warn", check: "c", message: "m" }, { severity: "fail", check: "compat.vllm", message: "vllm needs torch 2.9.1", fix: "set baseImage" }]).status).toBe("fail");
    const text = formatPlanView(planView(loadStack(ROOT, "dev"), { gate: [{ severity: "fail", check: "compat.vllm", message: "vllm needs torch 2.9.1", fix: "set baseImage" }] }));
    expect(text).toContain("compatibility gate: FAIL");
    expect(text).toContain("FAIL  compat.vllm: vllm needs torch 2.9.1 (fix: set baseImage)");
  });

  it("shows valid releases and names invalid ones", () => {
    const plan = { ...loadStack(ROOT, "llm"), releases: [{ version: "1.0.0", source: "llm" }, { version: "x y", source: "base" }] };
    const text = formatPlanView(planView(plan));
    expect(text).toContain("ghcr.io/chenzhuyu2004/atlas:1.0.0 -> llm");
    expect(text).toContain('INVALID atlas:releases[1].version: "x y" is neither a semver nor a PEP 440 version');
  });

  it("renders a table whose cells hold several lines", () => {
    expect(renderTable(["A", "BB"], [[["x"], ["1", "22"]]])).toBe(["A  BB", "-  --", "x  1", "   22"].join("\n"));
  });

  it("npm run plan -- llm --json prints the same view as JSON", () => {
    const out = execFileSync(process.execPath, [join(ROOT, "node_modules/ts-node/dist/bin.js"), "--transpile-only", join(ROOT, "bin/plan.ts"), "llm", "--json"], { cwd: ROOT, encoding: "utf8" });
    const printed = JSON.parse(out);
    const expected = JSON.parse(JSON.stringify(planView(loadStack(ROOT, "llm"))));
    expect({ ...printed, gate: undefined }).toEqual({ ...expected, gate: undefined });
    // The command evaluates the compatibility gate (src/checks/compat.ts); llm has nothing it objects to.
    expect(printed.gate.status).toBe("pass");
  });
});

describe("tier chain as Mermaid", () => {
  const plans = committedStacks(ROOT).map((s) => loadStack(ROOT, s));

  it("has one subgraph per committed stack, and one edge per tier, by digest above tier 0", () => {
    const graph = mermaidGraph(plans);
    expect(graph.split("\n")[0]).toBe("flowchart LR");
    for (const plan of plans) {
      expect(graph).toContain(`subgraph stack_${plan.stack}["stack ${plan.stack}: ${plan.imageName}"]`);
      for (const tier of plan.tiers) {
        const edge = tier.parent ? `${plan.stack}_${tier.parent} -->|"by digest"| ${plan.stack}_${tier.tier}` : `${plan.stack}_from -->|"BASE_IMAGE"| ${plan.stack}_${tier.tier}`;
        expect(graph).toContain(edge);
      }
    }
    expect(graph.match(/-->/g)!.length).toBe(plans.reduce((n, p) => n + p.tiers.length, 0));
  });

  it("finds the block between the markers, markers included", () => {
    const block = mermaidBlock(plans);
    expect(extractMermaidBlock(`# ATLAS\n\n${block}\n\nmore text\n`)).toBe(block);
    expect(extractMermaidBlock("# ATLAS\n<!-- tier-chain:begin -->\nno end")).toBeUndefined();
    const stale = block.replace("stack dev", "stack old");
    expect(stale).not.toBe(block);
    expect(extractMermaidBlock(`x\n${stale}\n`)).toBe(stale);
  });

  it("README.md's tier-chain block is the generated one", () => {
    const block = extractMermaidBlock(readFileSync(join(ROOT, "README.md"), "utf8"));
    const expected = mermaidBlock(plans);
    if (block === undefined) {
      expect.fail(`README.md has no tier-chain block: paste the output of \`${REGENERATE}\` into README.md (it includes the <!-- tier-chain:begin --> and <!-- tier-chain:end --> markers)`);
    }
    expect(block, `README.md's tier-chain block is stale: replace it with the output of \`${REGENERATE}\``).toBe(expected);
  });
});
