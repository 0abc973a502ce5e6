import { describe, expect, it, vi } from "vitest";
import { TIERS } from "../../src/core/tiers";
import { BASE_IMAGE, fakeDigest, runProgram, secretValue, TYPE } from "./harness";


describe("committed stacks", () => {
  it("dev builds only tier 0, pushed to the local registry with v<VERSION>-base", async () => {
    const run = await runProgram({ stack: "dev" });
    const images = run.byType(TYPE.image);
    expect(images.map((i) => i.name)).toEqual(["atlas-base"]);
    const base = images[0].inputs;
    expect(base.tags).toEqual(["registry.localhost:5000/atlas:v0.6-base"]);
    expect(base.push).toBe(true);
    expect(base.target).toBe("base");
    expect(base.buildArgs).toEqual({
      BASE_IMAGE: "pytorch/pytorch:2.10.0-cuda13.0-cudnn9-devel",
      USERNAME: "atlas",
      USER_UID: "1000",
      USER_GID: "1000",
      MAX_JOBS: "2",
      ENABLE_MATERIALS: "0",
    });
    expect(base.cacheTo).toEqual([{ registry: { ref: "registry.localhost:5000/atlas:cache-base", mode: "max" } }]);
    expect(base.cacheFrom).toEqual([{ registry: { ref: "registry.localhost:5000/atlas:cache-base" } }]);
  });

  it("llm builds base then llm, the llm stage FROM the base ref pinned by digest", async () => {
    const run = await runProgram({ stack: "llm" });
    const images = run.byType(TYPE.image);
    expect(images.map((i) => i.name)).toEqual(["atlas-base", "atlas-llm"]);
    const [base, llm] = images.map((i) => i.inputs);
    const baseRef = `ghcr.io/chenzhuyu2004/atlas:v0.6-base@${fakeDigest(`atlas-base:${JSON.stringify(base.buildArgs)}`)}`;
    expect(llm.context.named["atlas-base"]).toEqual({ location: `docker-image://${baseRef}` });
    expect(llm.context.named["atlas-base"].location).toMatch(/@sha256:[a-f0-9]{64}$/);
    expect(llm.buildArgs).toEqual({ MAX_JOBS: "2" });
    expect(llm.tags).toEqual(["ghcr.io/chenzhuyu2004/atlas:v0.6-llm"]);
    expect(llm.cacheFrom).toEqual([
      { registry: { ref: "ghcr.io/chenzhuyu2004/atlas:cache-llm" } },
      { registry: { ref: "ghcr.io/chenzhuyu2004/atlas:cache-base" } },
    ]);
  });

  it("full builds the three tiers with materials, each chained on the one below by digest", async () => {
    const run = await runProgram({ stack: "full" });
    const images = run.byType(TYPE.image);
    expect(images.map((i) => i.name)).toEqual(["atlas-base", "atlas-llm", "atlas-full"]);
    const [base, llm, full] = images.map((i) => i.inputs);
    expect(base.buildArgs.ENABLE_MATERIALS).toBe("1");
    expect(base.buildArgs.BASE_IMAGE).toBe(BASE_IMAGE.full);
    expect(images.map((i) => i.inputs.tags[0])).toEqual([
      "ghcr.io/chenzhuyu2004/atlas:v0.6-base-materials",
      "ghcr.io/chenzhuyu2004/atlas:v0.6-llm-materials",
      "ghcr.io/chenzhuyu2004/atlas:v0.6-full-materials",
    ]);
    expect(llm.context.named["atlas-base"].location).toBe(`docker-image://${base.tags[0]}@${fakeDigest(`atlas-base:${JSON.stringify(base.buildArgs)}`)}`);
    expect(full.context.named["atlas-llm"].location).toBe(`docker-image://${llm.tags[0]}@${fakeDigest(`atlas-llm:${JSON.stringify(llm.buildArgs)}`)}`);
    expect(full.context.named).not.toHaveProperty("atlas-base");
  });

  it("each tier gets exactly the build args its stage declares in the tier model", async () => {
    const run = await runProgram({ stack: "full" });
    for (const tier of TIERS) {
      expect(Object.keys(run.one(TYPE.image, `atlas-${tier.name}`).inputs.buildArgs).sort()).toEqual([...tier.buildArgs].sort());
    }
  });

  it("every tier is built from its own staged Dockerfile, context and requirements", async () => {
    const run = await runProgram({ stack: "full" });
    for (const tier of TIERS) {
      const inputs = run.one(TYPE.image, `atlas-${tier.name}`).inputs;
      expect(inputs.context.location).toBe(`.atlas/contexts/full/${tier.name}/context`);
      expect(inputs.dockerfile.location).toBe(`.atlas/contexts/full/${tier.name}/Dockerfile`);
      expect(inputs.context.named.requirements).toEqual({ location: `.atlas/contexts/full/${tier.name}/requirements` });
    }
  });

  it("exports ref, digest and tags per tier", async () => {
    const run = await runProgram({ stack: "llm" });
    const tiers = run.outputs.tiers as Record<string, { ref: string; digest: string; tags: string[] }>;
    expect(Object.keys(tiers)).toEqual(["base", "llm"]);
    expect(tiers.llm.ref).toBe(`${tiers.llm.tags[0]}@${tiers.llm.digest}`);
    expect(tiers.base.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
  });
});

describe("image settings from config", () => {
  it("passes registry credentials with the password as a secret", async () => {
    const run = await runProgram({ stack: "llm", secrets: { "atlas:registryPassword": "s3cr3t-token" } });
    for (const image of run.byType(TYPE.image)) {
      // The whole registries list is marked secret because the password in it is.
      expect(secretValue(image.inputs.registries)).toEqual([{ address: "ghcr.io", username: "chenzhuyu2004", password: "s3cr3t-token" }]);
    }
  });

  it("changing maxJobs changes the MAX_JOBS arg on every tier, and uid only on tier 0", async () => {
    const run = await runProgram({ stack: "full", config: { "atlas:build": { baseImage: BASE_IMAGE.full, maxJobs: 1, gid: 2000 } } });
    const args = run.byType(TYPE.image).map((i) => i.inputs.buildArgs);
    expect(args.map((a) => a.MAX_JOBS)).toEqual(["1", "1", "1"]);
    expect(args.map((a) => a.USER_GID)).toEqual(["2000", undefined, undefined]);
  });

  it("noCache, platforms and builder reach every image", async () => {
    const run = await runProgram({
      stack: "llm",
      config: { "atlas:build": { noCache: true, platforms: ["linux/amd64", "linux/arm64"], builder: "team-cluster" } },
    });
    for (const image of run.byType(TYPE.image)) {
      expect(image.inputs.noCache).toBe(true);
      expect(image.inputs.platforms).toEqual(["linux/amd64", "linux/arm64"]);
      expect(image.inputs.builder).toEqual({ name: "team-cluster" });
    }
  });

  it("cache can go to a local directory (max mode kept via raw), GitHub Actions, inline or off", async () => {
    const local = await runProgram({ stack: "llm", config: { "atlas:cache": { type: "local", dir: "/var/cache/atlas" } } });
    expect(local.one(TYPE.image, "atlas-llm").inputs.cacheTo).toEqual([{ raw: "type=local,dest=/var/cache/atlas/cache-llm,mode=max" }]);
    expect(local.one(TYPE.image, "atlas-llm").inputs.cacheFrom).toEqual([
      { local: { src: "/var/cache/atlas/cache-llm" } },
      { local: { src: "/var/cache/atlas/cache-base" } },
    ]);
    const gha = await runProgram({ stack: "llm", config: { "atlas:cache": { type: "gha", mode: "min" } } });
    expect(gha.one(TYPE.image, "atlas-base").inputs.cacheTo).toEqual([{ gha: { scope: "atlas-cache-base", mode: "min" } }]);
    const inline = await runProgram({ stack: "llm", config: { "atlas:cache": { type: "inline" } } });
    expect(inline.one(TYPE.image, "atlas-llm").inputs.cacheTo).toEqual([{ inline: {} }]);
    expect(inline.one(TYPE.image, "atlas-llm").inputs.cacheFrom).toEqual([
      { registry: { ref: "ghcr.io/chenzhuyu2004/atlas:v0.6-llm" } },
      { registry: { ref: "ghcr.io/chenzhuyu2004/atlas:v0.6-base" } },
    ]);
    const off = await runProgram({ stack: "llm", config: { "atlas:cache": { type: "off" } } });
    expect(off.one(TYPE.image, "atlas-llm").inputs.cacheTo).toEqual([]);
    expect(off.one(TYPE.image, "atlas-llm").inputs.cacheFrom).toEqual([]);
  });

  it("OCI labels carry title, version, revision and source", async () => {
    const run = await runProgram({ stack: "dev" });
    const labels = run.one(TYPE.image, "atlas-base").inputs.labels;
    expect(labels["org.opencontainers.image.version"]).toBe("v0.6-base");
    expect(labels["org.opencontainers.image.title"]).toBe("atlas base");
    expect(labels["org.opencontainers.image.revision"]).toMatch(/^([0-9a-f]{40}|unknown)$/);
    expect(labels["org.opencontainers.image.source"]).toMatch(/^https:\/\//);
  });

  it("does not build on preview", async () => {
    const run = await runProgram({ stack: "dev", preview: true });
    expect(run.one(TYPE.image, "atlas-base").inputs.buildOnPreview).toBe(false);
  });
});

describe("why a tier rebuilds, said under its image", () => {
  const ACCEL = "requirements/requirements-accel.txt";
  const LLM = "requirements/requirements-llm.txt";
  type BuiltFrom = Record<string, Record<string, Record<string, string> | string>>;

  /** What a first up of the full stack leaves in its outputs. */
  async function lastDeployment() {
    const first = await runProgram({ stack: "full" });
    return { tiers: first.outputs.tiers as Record<string, { digest: string }>, builtFrom: first.outputs.builtFrom as BuiltFrom };
  }

  async function messagesOf(run: Promise<unknown>): Promise<string[]> {
    const spy = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      await run;
      return spy.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("rebuilds:"));
    } finally {
      spy.mockRestore();
    }
  }

  it("records what each tier is built from in the builtFrom output: requirement lines and input hashes", async () => {
    const { builtFrom } = await lastDeployment();
    expect(Object.keys(builtFrom).sort()).toEqual(["base", "full", "llm"]);
    expect(Object.values(builtFrom.full[ACCEL])).toEqual(expect.arrayContaining([expect.stringMatching(/==/)]));
    expect(builtFrom.full["docker/Dockerfile (stage full)"]).toMatch(/^sha256:/);
    expect(builtFrom.base["docker/atlas-lab"]).toMatch(/^sha256:/);
  });

  it("names the requirement lines that changed, on the tier that rebuilds only", async () => {
    const last = await lastDeployment();
    const now = Object.entries(last.builtFrom.full[ACCEL] as Record<string, string>);
    last.builtFrom.full[ACCEL] = Object.fromEntries([...now.slice(1), ["tabulate", "tabulate==0.8.10"]]);
    const messages = await messagesOf(
      runProgram({ stack: "full", lastDeployment: last, digests: { full: fakeDigest("a new full") } }),
    );
    expect(messages).toEqual([`info: [runtime] tier full rebuilds: requirements-accel.txt: +${now[0][1]}, -tabulate==0.8.10`]);
  });

  it("says a tier above one that rebuilds is built on its new image", async () => {
    const last = await lastDeployment();
    last.builtFrom.llm[LLM] = { ...(last.builtFrom.llm[LLM] as Record<string, string>), six: "six==1.16.0" };
    const messages = await messagesOf(
      runProgram({ stack: "full", lastDeployment: last, digests: { llm: fakeDigest("a new llm"), full: fakeDigest("a new full") } }),
    );
    expect(messages).toEqual(["info: [runtime] tier llm rebuilds: requirements-llm.txt: -six==1.16.0", "info: [runtime] tier full rebuilds: on llm's new image"]);
  });

  it("says nothing on a new stack, or when no digest changes", async () => {
    expect(await messagesOf(runProgram({ stack: "full" }))).toEqual([]);
    const last = await lastDeployment();
    last.builtFrom.full[ACCEL] = { something: "something==1.0" };
    expect(await messagesOf(runProgram({ stack: "full", lastDeployment: last }))).toEqual([]);
  });
});
