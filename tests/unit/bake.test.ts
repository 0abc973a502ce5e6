import { describe, expect, it } from "vitest";
import { bakeEscape, bakeFile } from "../../src/export/bake";
import { cacheString } from "../../src/build/caches";
import { committedStacks, loadStack } from "../../src/core/stacks";
import { SMOKE, TIER_NAMES } from "../../src/core/tiers";
import { fromBake, fromProgram } from "./bake-compare";
import { BASE_IMAGE, planFromStackFile, ROOT, runProgram, scratchCaBundle, TYPE, useScratchDirs } from "./harness";

/** Temporary dirs of this file, removed after it. */
const scratch = useScratchDirs();


const STACKS = committedStacks(ROOT);

describe("bake file structure, for each committed stack", () => {
  it("finds the committed stacks", () => {
    expect(STACKS).toEqual(["dev", "llm", "full"]);
  });

  it.each(STACKS)("%s: one target per tier, a default group of the tiers, and smoke outside it", (stack) => {
    const plan = loadStack(ROOT, stack);
    const file = bakeFile(plan);
    const tiers = plan.tiers.map((t) => t.tier);
    expect(file.group.default).toEqual({ targets: tiers });
    expect(file.group.smoke).toEqual({ targets: ["smoke"] });
    expect(file.group.default.targets).not.toContain("smoke");
    expect(Object.keys(file.target)).toEqual([...tiers, "smoke"]);
    // The JSON is what bin/bake.ts prints: it must survive a round trip unchanged.
    expect(JSON.parse(JSON.stringify(file))).toStrictEqual(file);
  });

  it.each(STACKS)("%s: every tier target carries exactly the plan's target, args, tags, labels and cache", (stack) => {
    const plan = loadStack(ROOT, stack);
    const file = bakeFile(plan);
    for (const tier of plan.tiers) {
      const t = file.target[tier.tier];
      // The tier's own staged context and Dockerfile, as the program builds it.
      expect(t.context).toBe(`.atlas/contexts/${stack}/${tier.tier}/context`);
      expect(t.dockerfile).toBe("../Dockerfile");
      expect(t.target).toBe(tier.target);
      expect(t.args).toEqual(tier.buildArgs);
      expect(t.tags).toEqual(tier.tags);
      expect(t.labels).toEqual(tier.labels);
      expect(t["cache-from"]).toEqual(tier.cacheFrom.map((e) => cacheString(e, "from")));
      expect(t["cache-to"]).toEqual(tier.cacheTo.map((e) => cacheString(e, "to")));
      expect(t.output).toEqual(["type=registry"]);
      expect(t).not.toHaveProperty("platforms");
      expect(t).not.toHaveProperty("no-cache");
    }
  });

  it.each(STACKS)("%s: contexts chain the tiers inside one bake (target:<parent>) and use the staged requirements", (stack) => {
    const plan = loadStack(ROOT, stack);
    const file = bakeFile(plan);
    for (const tier of plan.tiers) {
      const expected: Record<string, string> = { requirements: `.atlas/contexts/${stack}/${tier.tier}/requirements` };
      if (tier.parent) expected[`atlas-${tier.parent}`] = `target:${tier.parent}`;
      expect(file.target[tier.tier].contexts).toEqual(expected);
    }
  });

  it("llm, written out: registry cache strings, the chain and the tags", () => {
    const plan = loadStack(ROOT, "llm");
    const llm = bakeFile(plan).target.llm;
    expect(llm.contexts).toEqual({ requirements: ".atlas/contexts/llm/llm/requirements", "atlas-base": "target:base" });
    expect(llm.tags).toEqual(["ghcr.io/chenzhuyu2004/atlas:v0.6-llm"]);
    expect(llm.args).toEqual({ MAX_JOBS: "2" });
    expect(llm["cache-from"]).toEqual(["type=registry,ref=ghcr.io/chenzhuyu2004/atlas:cache-llm", "type=registry,ref=ghcr.io/chenzhuyu2004/atlas:cache-base"]);
    expect(llm["cache-to"]).toEqual(["type=registry,ref=ghcr.io/chenzhuyu2004/atlas:cache-llm,mode=max"]);
  });

  it("smoke builds the Dockerfile's smoke stage with its own args, tier 0's requirements, and no output", () => {
    const smoke = bakeFile(loadStack(ROOT, "full")).target.smoke;
    expect(smoke.target).toBe(SMOKE.stage);
    expect(Object.keys(smoke.args).sort()).toEqual([...SMOKE.buildArgs].sort());
    expect(smoke.args).toEqual({ SMOKE_BASE_IMAGE: "python:3.10-slim", USERNAME: "atlas", USER_UID: "1000", USER_GID: "1000" });
    expect(smoke.contexts).toEqual({ requirements: ".atlas/contexts/full/base/requirements" });
    expect(smoke.output).toEqual(["type=cacheonly"]);
    expect(smoke).not.toHaveProperty("tags");
  });

  it("a stack that does not push loads into the daemon, like the program's load: true", () => {
    const plan = planFromStackFile("dev", { "atlas:push": false, "atlas:cache": { type: "off" } });
    expect(bakeFile(plan).target.base.output).toEqual(["type=docker"]);
  });

  it("escapes bake's interpolation in literal values", () => {
    expect(bakeEscape("a ${X} %{Y} $Z")).toBe("a $${X} %%{Y} $Z");
  });
});

describe("bake builds what pulumi up builds (program inputs vs bake, field by field)", () => {
  const variants: { name: string; stack: string; config: Record<string, unknown> }[] = [
    ...STACKS.map((stack) => ({ name: `${stack} as committed`, stack, config: {} })),
    { name: "local cache, min mode", stack: "llm", config: { "atlas:cache": { type: "local", dir: "/var/cache/atlas", mode: "min" } } },
    { name: "local cache, max mode (raw in the program)", stack: "llm", config: { "atlas:cache": { type: "local", dir: "/var/cache/atlas" } } },
    { name: "gha cache", stack: "full", config: { "atlas:cache": { type: "gha", scope: "ci" } } },
    { name: "inline cache", stack: "llm", config: { "atlas:cache": { type: "inline" } } },
    { name: "no cache, not reading lower tiers", stack: "full", config: { "atlas:cache": { readLowerTiers: false }, "atlas:build": { baseImage: BASE_IMAGE.full, noCache: true, maxJobs: 8, uid: 1234 } } },
    { name: "platforms", stack: "llm", config: { "atlas:build": { platforms: ["linux/amd64", "linux/arm64"] } } },
    { name: "not pushed", stack: "dev", config: { "atlas:push": false } },
  ];

  it.each(variants)("$name", async ({ stack, config }) => {
    const run = await runProgram({ stack, config });
    const file = bakeFile(planFromStackFile(stack, config));
    const images = run.byType(TYPE.image);
    expect(images.map((i) => i.name.replace(/^atlas-/, ""))).toEqual(file.group.default.targets);
    for (const image of images) {
      const tier = image.name.replace(/^atlas-/, "");
      expect(fromBake(file.target[tier]), tier).toEqual(fromProgram(image, TIER_NAMES));
    }
  });

  it("a CA bundle reaches every tier as the same BuildKit secret id (a file for bake, its text for the program)", async () => {
    const { pem, overrides } = scratchCaBundle(scratch);
    const run = await runProgram({ stack: "llm", config: overrides });
    const file = bakeFile(planFromStackFile("llm", overrides));
    for (const image of run.byType(TYPE.image)) {
      const tier = image.name.replace(/^atlas-/, "");
      expect(file.target[tier].secret).toEqual([`id=ca-certificates,src=${pem}`]);
      expect(fromBake(file.target[tier])).toEqual(fromProgram(image, TIER_NAMES));
    }
  });
});
