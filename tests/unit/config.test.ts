import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError, buildSchema, cacheSchema, configSchema, labSchema, parseConfig, registrySchema } from "../../src/core/config";
import { ROOT, atlasKeys as atlas, expectNothingRegistered, runProgram } from "./harness";

const registry = { registry: { server: "ghcr.io", repository: "owner/atlas" } };

function problemsOf(raw: Record<string, string>, secret: string[] = []): string {
  try {
    parseConfig(raw, new Set(secret));
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected the config to be rejected");
}

describe("parseConfig", () => {
  it("applies the guide's defaults", () => {
    const c = parseConfig(atlas(registry), new Set());
    expect(c.tier).toBe("base");
    expect(c.build).toMatchObject({
      baseImage: "pytorch/pytorch:2.10.0-cuda13.0-cudnn9-devel",
      smokeBaseImage: "python:3.10-slim",
      username: "atlas",
      uid: 1000,
      gid: 1000,
      maxJobs: 2,
      noCache: false,
    });
    expect(c.cache).toMatchObject({ type: "registry", mode: "max", readLowerTiers: true });
    expect(c.retainOnDelete).toBe(true);
    expect(c.push).toBe(true);
  });

  it.each([
    ["0", "base"],
    ["1", "llm"],
    ["2", "full"],
    ["llm", "llm"],
  ])("accepts BUILD_TIER alias %s as %s", (input, tier) => {
    expect(parseConfig({ ...atlas(registry), "atlas:tier": input }, new Set()).tier).toBe(tier);
  });

  // Each bad input: the message names the key, the value found and what is accepted.
  it.each([
    ["an unknown tier", { tier: "huge" }, /atlas:tier: expected one of base, llm, full \(or BUILD_TIER 0, 1, 2\), found "huge"/],
    ["an out-of-range BUILD_TIER", { tier: 3 }, /atlas:tier: .*found 3/],
    ["uid 0", { build: { uid: 0 } }, /atlas:build\.uid: expected a non-root id \(1 or more; 0 is root\), found 0/],
    ["gid 0", { build: { gid: 0 } }, /atlas:build\.gid: expected a non-root id .*found 0/],
    ["a negative uid", { build: { uid: -5 } }, /atlas:build\.uid: .*found -5/],
    ["a non-integer gid", { build: { gid: 10.5 } }, /atlas:build\.gid: expected an integer from 1 to 2147483647, found 10\.5/],
    ["a string uid", { build: { uid: "abc" } }, /atlas:build\.uid: expected an integer from 1 to 2147483647, found "abc"/],
    ["maxJobs 0", { build: { maxJobs: 0 } }, /atlas:build\.maxJobs: expected an integer of 1 or more, found 0/],
    ["a malformed base image", { build: { baseImage: "Not An Image!" } }, /atlas:build\.baseImage: expected an image reference .*found "Not An Image!"/],
    ["a malformed smoke image", { build: { smokeBaseImage: "python:" } }, /atlas:build\.smokeBaseImage: expected an image reference/],
    ["a root user name", { build: { username: "root" } }, /atlas:build\.username: expected a non-root user name/],
    ["an unknown key under build", { build: { maxjobs: 4 } }, /atlas:build: unknown key "maxjobs"; accepted: baseImage, smokeBaseImage, username, uid, gid, maxJobs, noCache, platforms, builder/],
    ["an unknown key under registry", { registry: { server: "ghcr.io", repository: "o/a", password: "x" } }, /atlas:registry: unknown key "password"; accepted: server, repository, username/],
    ["an unknown top-level key", { tiers: "llm" }, /atlas:: unknown key "tiers"; accepted: tier, materials/],
    ["an unknown cache type", { cache: { type: "s4" } }, /atlas:cache\.type: Invalid option: expected one of "registry"\|"local"\|"gha"\|"inline"\|"off", found "s4"/],
    ["a non-boolean materials", { materials: "yes" }, /atlas:materials: .*expected boolean.*, found "yes"/],
    ["an unknown gpus value", { push: false, cache: { type: "off" }, registry: undefined, jupyter: { labs: { main: { gpus: "some" } } } }, /atlas:jupyter\.labs\.main\.gpus: expected "all", "none" or a list of device ids\/indexes such as \[0, 2\], found "some"/],
    ["a workspace of neither kind", { push: false, cache: { type: "off" }, registry: undefined, jupyter: { labs: { main: { workspace: { path: "/x" } } } } }, /atlas:jupyter\.labs\.main\.workspace: expected \{hostPath: <absolute path>\} or \{volume: .*found \{"path":"\/x"\}/],
    ["a bad platform", { build: { platforms: ["amd64"] } }, /atlas:build\.platforms\[0\]: expected a platform such as linux\/amd64, found "amd64"/],
    ["push without a registry", { push: true, registry: undefined }, /atlas:push: is true but atlas:registry is not set/],
    ["push off above tier 0", { push: false, tier: "llm", cache: { type: "off" } }, /atlas:push: is false but atlas:tier is "llm"/],
    ["a bad registry server", { registry: { server: "https://ghcr.io", repository: "o/a" } }, /atlas:registry\.server: expected a registry host .*found "https:\/\/ghcr\.io"/],
    ["an uppercase repository", { registry: { server: "ghcr.io", repository: "Owner/Atlas" } }, /atlas:registry\.repository: expected a lowercase repository path/],
    ["local cache without a dir", { cache: { type: "local" } }, /atlas:cache\.dir: is required when atlas:cache\.type is "local"/],
  ])("rejects %s", (_what, input, message) => {
    expect(problemsOf(atlas({ ...registry, ...input }))).toMatch(message);
  });

  it("rejects a registry password given in plaintext, and names the command to fix it", () => {
    const raw = { ...atlas({ registry: { ...registry.registry, username: "u" } }), "atlas:registryPassword": "hunter2" };
    const message = problemsOf(raw);
    expect(message).toMatch(/atlas:registryPassword: is set in plaintext; accepted only as a secret: pulumi config set --secret atlas:registryPassword <value>/);
    expect(message).not.toContain("hunter2");
    expect(() => parseConfig(raw, new Set(["atlas:registryPassword"]))).not.toThrow();
  });

  it("validates the secret keys but hands no secret value on in the parsed config", () => {
    const raw = {
      ...atlas({ registry: { ...registry.registry, username: "u" } }),
      "atlas:registryPassword": "hunter2",
      "atlas:jupyterToken": "a-token-of-sixteen-or-more",
      "atlas:pipIndexUrl": "https://user:tok@pypi.example/simple",
    };
    const parsed = parseConfig(raw, new Set(["atlas:registryPassword", "atlas:jupyterToken", "atlas:pipIndexUrl"]));
    expect(Object.keys(parsed)).not.toEqual(expect.arrayContaining(["registryPassword"]));
    expect(JSON.stringify(parsed)).not.toMatch(/hunter2|a-token-of-sixteen|user:tok/);
  });

  it("reports every problem at once", () => {
    expect(problemsOf(atlas({ ...registry, build: { uid: 0, maxJobs: 0 } })).split("\n  - ")).toHaveLength(3);
  });
});

describe("the program rejects bad config before registering anything", () => {
  it.each([
    ["atlas:tier", "huge", /atlas:tier: expected one of/],
    ["atlas:build", { uid: 0 }, /atlas:build\.uid: expected a non-root id/],
    ["atlas:registryPassword", "plain", /atlas:registryPassword: is set in plaintext/],
  ])("%s = %j", async (key, value, message) => {
    await expectNothingRegistered(runProgram({ stack: "llm", plaintext: { [key]: typeof value === "string" ? value : JSON.stringify(value) } }), message);
  });
});

describe("rules that need the plan also run before anything is registered", () => {
  it.each([
    ["an invalid release version", { "atlas:releases": [{ version: "not a version!", source: "base" }] }, /atlas:releases\[0\]\.version/],
    [
      "two labs on one port",
      {
        "atlas:jupyter": {
          labs: { a: { gpus: "none", port: 8888, workspace: { volume: "wa" } }, b: { gpus: "none", port: 8888, workspace: { volume: "wb" } } },
        },
      },
      /atlas:jupyter\.labs\.b\.port: 8888 on 127\.0\.0\.1 is already published by lab "a"/,
    ],
  ])("%s", async (_what, config, message) => {
    await expectNothingRegistered(runProgram({ stack: "dev", config }), message);
  });
});

describe("Pulumi.yaml and README agree with the schema", () => {
  const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, { default?: unknown }> };
  const defaults = configSchema.parse({}, {}) as Record<string, unknown>;

  it("every default declared in Pulumi.yaml equals the zod default", () => {
    for (const [key, decl] of Object.entries(project.config)) {
      const name = key.replace(/^atlas:/, "");
      expect(name in configSchema.shape, `${key} is in the schema`).toBe(true);
      expect(decl.default, key).toEqual(defaults[name]);
    }
  });

  it("every key with a default is declared in Pulumi.yaml", () => {
    const withDefault = Object.keys(configSchema.shape).filter((k) => defaults[k] !== undefined);
    expect(withDefault).toEqual(expect.arrayContaining(["tier", "build", "releases"]));
    expect(withDefault.filter((k) => !(`atlas:${k}` in project.config))).toEqual([]);
  });

  it("the README's config reference names every key", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const keys = [
      ...Object.keys(configSchema.shape).map((k) => `atlas:${k}`),
      ...Object.keys(buildSchema.shape).map((k) => `atlas:build.${k}`),
      ...Object.keys(cacheSchema.shape).map((k) => `atlas:cache.${k}`),
      ...Object.keys(registrySchema.shape).map((k) => `atlas:registry.${k}`),
    ].filter((k) => !["atlas:build", "atlas:cache", "atlas:jupyter"].includes(k));
    for (const key of keys) expect(readme, key).toContain(`\`${key}\``);
    for (const field of Object.keys(labSchema.shape)) expect(readme, `lab field ${field}`).toContain(`\`${field}\``);
  });
});
