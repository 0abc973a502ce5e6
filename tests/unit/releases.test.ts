import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { StackPlan, cacheTag, isCacheTag, parseTierTag, tierTag } from "../../src/core/plan";
import { TIER_NAMES } from "../../src/core/tiers";
import { ReleaseError, ReleaseTags, checkReleases, planReleases, releaseOptions } from "../../src/build/releases";
import { releaseFindings } from "../../src/checks/run-checks";
import { ReleaseEntry } from "../../src/core/config";
import { loadStack } from "../../src/core/stacks";
import { expectNothingRegistered, fakeDigest, planFromStackFile, ROOT, runProgram, secretValue, TYPE } from "./harness";
import { tapResourceOptions } from "./resource-options";

const REPO = "ghcr.io/chenzhuyu2004/atlas";

/** The ref the harness mock gives a tier's Image: first tag @ a digest of its args. */
function imageRef(inputs: { tags: string[]; buildArgs: unknown }, name: string): string {
  return `${inputs.tags[0]}@${fakeDigest(`${name}:${JSON.stringify(inputs.buildArgs)}`)}`;
}

describe("release tags: one docker-build Index per atlas:releases entry", () => {
  it("tags <registry>/<repository>:<version> onto the source tier's digest-pinned ref and pushes it", async () => {
    const run = await runProgram({
      stack: "llm",
      config: {
        "atlas:releases": [
          { version: "1.0.0", source: "llm" },
          { version: "1.0.0-rc.1", source: "v0.6-base" },
          { version: "0.9rc1", source: "0" },
        ],
      },
    });
    const base = imageRef(run.one(TYPE.image, "atlas-base").inputs as never, "atlas-base");
    const llm = imageRef(run.one(TYPE.image, "atlas-llm").inputs as never, "atlas-llm");
    const indexes = run.byType(TYPE.index);
    // Registration order follows input resolution, not config order.
    expect(indexes.map((i) => i.name).sort()).toEqual(["atlas-release-0.9rc1", "atlas-release-1.0.0", "atlas-release-1.0.0-rc.1"]);

    const one = run.one(TYPE.index, "atlas-release-1.0.0").inputs;
    expect(one.tag).toBe(`${REPO}:1.0.0`);
    expect(one.sources).toEqual([llm]);
    expect(one.sources[0]).toMatch(new RegExp(`^${REPO}:v0\\.6-llm@sha256:[a-f0-9]{64}$`));
    expect(one.push).toBe(true);
    expect(run.one(TYPE.index, "atlas-release-1.0.0-rc.1").inputs.sources).toEqual([base]);
    expect(run.one(TYPE.index, "atlas-release-0.9rc1").inputs.sources).toEqual([base]);

    expect(run.outputs.releases).toEqual({
      "1.0.0": `${REPO}:1.0.0@${fakeDigest("index:atlas-release-1.0.0")}`,
      "1.0.0-rc.1": `${REPO}:1.0.0-rc.1@${fakeDigest("index:atlas-release-1.0.0-rc.1")}`,
      "0.9rc1": `${REPO}:0.9rc1@${fakeDigest("index:atlas-release-0.9rc1")}`,
    });
  });

  it("takes a materials tier tag on a materials stack", async () => {
    const run = await runProgram({ stack: "full", config: { "atlas:releases": [{ version: "2.0.0", source: "v0.6-llm-materials" }, { version: "2.1.0", source: "full" }] } });
    const llm = run.one(TYPE.image, "atlas-llm").inputs;
    const full = run.one(TYPE.image, "atlas-full").inputs;
    expect(run.one(TYPE.index, "atlas-release-2.0.0").inputs.sources).toEqual([imageRef(llm as never, "atlas-llm")]);
    expect(run.one(TYPE.index, "atlas-release-2.0.0").inputs.sources[0]).toContain(":v0.6-llm-materials@sha256:");
    expect(run.one(TYPE.index, "atlas-release-2.1.0").inputs.sources).toEqual([imageRef(full as never, "atlas-full")]);
  });

  it("pushes with the stack's registry credentials, the password as a secret", async () => {
    const run = await runProgram({
      stack: "llm",
      config: { "atlas:releases": [{ version: "1.0.0", source: "base" }] },
      secrets: { "atlas:registryPassword": "s3cr3t-token" },
    });
    expect(secretValue(run.one(TYPE.index, "atlas-release-1.0.0").inputs.registry)).toEqual({ address: "ghcr.io", username: "chenzhuyu2004", password: "s3cr3t-token" });
  });

  it("registers no Index and exports no release without atlas:releases", async () => {
    const run = await runProgram({ stack: "dev" });
    expect(run.byType(TYPE.index)).toEqual([]);
    expect(run.outputs.releases).toEqual({});
  });

  it("re-pointing a release changes only its sources: same resource, same tag (an update, not a replace)", async () => {
    const before = await runProgram({ stack: "llm", config: { "atlas:releases": [{ version: "1.0.0", source: "base" }] } });
    const after = await runProgram({ stack: "llm", config: { "atlas:releases": [{ version: "1.0.0", source: "llm" }] } });
    const [a, b] = [before, after].map((r) => r.one(TYPE.index, "atlas-release-1.0.0").inputs);
    expect(b.tag).toBe(a.tag);
    expect(b.sources).not.toEqual(a.sources);
    expect(b.sources).toEqual([imageRef(after.one(TYPE.image, "atlas-llm").inputs as never, "atlas-llm")]);
  });

  it("is retained on destroy by default, and follows atlas:retainOnDelete", () => {
    expect(releaseOptions(planFromStackFile("llm"))).toEqual({ retainOnDelete: true });
    expect(releaseOptions(planFromStackFile("llm", { "atlas:retainOnDelete": false }))).toEqual({ retainOnDelete: false });
  });

  it("in the program: retained per atlas:retainOnDelete, parented by the component, dependent on the source image", async () => {
    for (const retain of [true, false]) {
      const tap = tapResourceOptions();
      try {
        const config = { "atlas:releases": [{ version: "1.0.0", source: "llm" }], "atlas:retainOnDelete": retain };
        await runProgram({ stack: "llm", config });
        const opts = tap.of(TYPE.index, "atlas-release-1.0.0");
        expect(opts.retainOnDelete).toBe(retain);
        expect(opts.parent).toBe("urn:pulumi:llm::atlas::atlas:releases:ReleaseTags::atlas");
        // The digest-pinned source is an input dependency: the Index waits for the llm image.
        expect(opts.dependencies).toContain("urn:pulumi:llm::atlas::atlas:images:TierImages$docker-build:index:Image::atlas-llm");
      } finally {
        tap.stop();
      }
    }
  });

  it("gives every Index exactly releaseOptions(plan) (seen through a transformation on the component)", async () => {
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: { ...a.inputs, ref: `${a.inputs.tag}@sha256:${"0".repeat(64)}` } }), call: (a) => a.inputs }, "atlas", "llm", false);
    for (const retain of [true, false]) {
      const plan = planFromStackFile("llm", { "atlas:retainOnDelete": retain });
      const seen: pulumi.ResourceOptions[] = [];
      new ReleaseTags(
        `t-${retain}`,
        { plan: { ...plan, releases: [{ version: "1.0.0", source: "llm" }] }, tiers: { base: { ref: "x@sha256:1" }, llm: { ref: "y@sha256:2" } } },
        { transformations: [(args) => void (args.type === TYPE.index && seen.push(args.opts))] },
      );
      expect(seen.map((o) => o.retainOnDelete)).toEqual([retain]);
    }
  });
});

describe("release validation", () => {
  it("recognises exactly the tags the tier images and the cache own, as plan.ts writes them", () => {
    for (const tier of TIER_NAMES) {
      for (const materials of [false, true]) {
        expect(parseTierTag(tierTag("0.6", tier, materials))).toEqual({ version: "0.6", tier, materials });
        expect(parseTierTag(tierTag("1.2.3-rc.1", tier, materials))).toEqual({ version: "1.2.3-rc.1", tier, materials });
        expect(isCacheTag(cacheTag(tier, materials))).toBe(true);
      }
    }
    for (const other of ["1.0.0", "v0.6-huge", "v0.6-base-extra", "cache-base-x", "cache-", "vbase"]) {
      expect(parseTierTag(other), other).toBeUndefined();
      expect(isCacheTag(other), other).toBe(false);
    }
  });

  const llm = loadStack(ROOT, "llm");
  const dev = loadStack(ROOT, "dev");
  const full = loadStack(ROOT, "full");

  const bad: { name: string; plan: StackPlan; releases: ReleaseEntry[]; key: string; message: RegExp }[] = [
    { name: "not a version", plan: llm, releases: [{ version: "latest", source: "base" }], key: "atlas:releases[0].version", message: /"latest" is neither a semver nor a PEP 440 version/ },
    { name: "a version that is no docker tag", plan: llm, releases: [{ version: "1.0.0+build.5", source: "base" }], key: "atlas:releases[0].version", message: /"1\.0\.0\+build\.5" is a version but not a valid docker tag/ },
    { name: "a PEP 440 epoch", plan: llm, releases: [{ version: "1!2.0", source: "base" }], key: "atlas:releases[0].version", message: /not a valid docker tag/ },
    { name: "a tier tag", plan: llm, releases: [{ version: "v0.6-base", source: "base" }], key: "atlas:releases[0].version", message: /"v0\.6-base" collides with a tier tag/ },
    { name: "a materials tier tag", plan: full, releases: [{ version: "v0.6-full-materials", source: "full" }], key: "atlas:releases[0].version", message: /collides with a tier tag/ },
    { name: "a cache tag", plan: llm, releases: [{ version: "cache-llm", source: "llm" }], key: "atlas:releases[0].version", message: /collides with a cache tag/ },
    {
      name: "a duplicate release",
      plan: llm,
      releases: [{ version: "1.0.0", source: "base" }, { version: "1.0.0", source: "llm" }],
      key: "atlas:releases[1].version",
      message: /"1\.0\.0" is already released by atlas:releases\[0\]/,
    },
    { name: "an unknown source", plan: llm, releases: [{ version: "1.0.0", source: "gpu" }], key: "atlas:releases[0].source", message: /"gpu" is neither a tier name, a BUILD_TIER nor a tier tag/ },
    { name: "an unknown BUILD_TIER", plan: llm, releases: [{ version: "1.0.0", source: "7" }], key: "atlas:releases[0].source", message: /"7" is no BUILD_TIER/ },
    { name: "a tier the stack does not build", plan: dev, releases: [{ version: "1.0.0", source: "llm" }], key: "atlas:releases[0].source", message: /"llm" is tier llm, which this stack does not build \(atlas:tier is "base"\)/ },
    { name: "a BUILD_TIER the stack does not build", plan: llm, releases: [{ version: "1.0.0", source: "2" }], key: "atlas:releases[0].source", message: /tier full, which this stack does not build/ },
    { name: "a tier tag the stack does not build", plan: llm, releases: [{ version: "1.0.0", source: "v0.6-full" }], key: "atlas:releases[0].source", message: /tier full, which this stack does not build/ },
    {
      name: "a materials source on a non-materials stack",
      plan: llm,
      releases: [{ version: "1.0.0", source: "v0.6-llm-materials" }],
      key: "atlas:releases[0].source",
      message: /"v0\.6-llm-materials" is a materials image, which this stack does not build \(atlas:materials is false\)/,
    },
    { name: "a plain tag on a materials stack", plan: full, releases: [{ version: "1.0.0", source: "v0.6-llm" }], key: "atlas:releases[0].source", message: /names no image of this stack/ },
    { name: "a tier tag of another VERSION", plan: llm, releases: [{ version: "1.0.0", source: "v0.5-llm" }], key: "atlas:releases[0].source", message: /tag of VERSION 0\.5, but this checkout builds VERSION 0\.6/ },
    { name: "releases on a stack that does not push", plan: planFromStackFile("dev", { "atlas:push": false }), releases: [{ version: "1.0.0", source: "base" }], key: "atlas:releases", message: /atlas:push is false/ },
  ];

  it.each(bad)("rejects $name, naming the key, the value and what is accepted", ({ plan, releases, key, message }) => {
    const { problems } = checkReleases(releases, plan);
    const hit = problems.find((p) => p.key === key && message.test(p.message));
    expect(hit, JSON.stringify(problems, null, 2)).toBeDefined();
    expect(hit!.accepted.length).toBeGreaterThan(10);
    expect(() => planReleases(releases, plan)).toThrow(ReleaseError);
  });

  it("lists the sources a stack accepts", () => {
    const { problems } = checkReleases([{ version: "1.0.0", source: "gpu" }], llm);
    expect(problems[0].accepted).toBe("a tier this stack builds: base, llm (or BUILD_TIER 0, 1), or its tag v0.6-base, v0.6-llm");
    expect(checkReleases([{ version: "1.0.0", source: "gpu" }], full).problems[0].accepted).toContain("v0.6-base-materials, v0.6-llm-materials, v0.6-full-materials");
  });

  it("accepts semver and PEP 440 versions, tier names, BUILD_TIERs and tier tags", () => {
    const ok = planReleases(
      [
        { version: "1.0.0", source: "base" },
        { version: "1.0.0-rc.1", source: "1" },
        { version: "1.0rc1", source: "v0.6-llm" },
        { version: "2024.1.post2", source: "llm" },
      ],
      llm,
    );
    expect(ok.map((r) => [r.version, r.tier, r.tag])).toEqual([
      ["1.0.0", "base", `${REPO}:1.0.0`],
      ["1.0.0-rc.1", "llm", `${REPO}:1.0.0-rc.1`],
      ["1.0rc1", "llm", `${REPO}:1.0rc1`],
      ["2024.1.post2", "llm", `${REPO}:2024.1.post2`],
    ]);
  });

  it("reports every problem at once, and as failing Findings for the checks", () => {
    const releases = [
      { version: "latest", source: "gpu" },
      { version: "1.0.0", source: "base" },
    ];
    expect(checkReleases(releases, llm).problems.map((p) => p.key)).toEqual(["atlas:releases[0].version", "atlas:releases[0].source"]);
    const findings = releaseFindings(releases, llm);
    expect(findings.map((f) => [f.severity, f.check])).toEqual([
      ["fail", "releases"],
      ["fail", "releases"],
    ]);
    expect(findings[0].message).toMatch(/^atlas:releases\[0\]\.version: "latest"/);
    expect(findings[0].fix).toMatch(/^accepted: a semver version/);
  });

  it("fails the program with the problem named (key, value) before anything, an Index least of all, is registered", async () => {
    const run = runProgram({ stack: "llm", config: { "atlas:releases": [{ version: "1.0.0", source: "llm" }, { version: "v0.6-llm", source: "llm" }] } });
    await expectNothingRegistered(run, /atlas:releases\[1\]\.version: "v0\.6-llm" collides with a tier tag/);
  });

  it("registers nothing, not even the component, when one entry of several is bad", async () => {
    const registered: string[] = [];
    await pulumi.runtime.setMocks({ newResource: (a) => (registered.push(`${a.type}/${a.name}`), { id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, "atlas", "dev", false);
    const releases = [{ version: "1.0.0", source: "base" }, { version: "2.0.0", source: "full" }];
    const args = { plan: { ...dev, releases }, tiers: { base: { ref: "x@sha256:1" } } };
    expect(() => new ReleaseTags("bad", args)).toThrow(/atlas:releases\[1\]\.source: "full" is tier full, which this stack does not build/);
    await new Promise((r) => setTimeout(r, 50));
    expect(registered).toEqual([]);
    // The same args with the bad entry dropped do register the component and its Index.
    new ReleaseTags("good", { ...args, plan: { ...dev, releases: releases.slice(0, 1) } });
    await new Promise((r) => setTimeout(r, 50));
    expect(registered).toEqual(["atlas:releases:ReleaseTags/good", "docker-build:index:Index/good-release-1.0.0"]);
  });
});
