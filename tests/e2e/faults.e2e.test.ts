/**
 * Faults survived. Each case breaks a real piece under a running `pulumi up`
 * of a 3-tier stack (its own registry and buildkitd, started here, so they can
 * be stopped by pid) and then asserts that:
 *   (a) what the failed command printed names the cause;
 *   (b) the state lists only resources that exist, at the digests the registry holds;
 *   (c) the next `up` converges, building only what it must;
 *   (d) tags pushed before, and the release tag, are intact.
 * The README's "When things fail" table is this file in prose.
 */
import type { Stack } from "@pulumi/pulumi/automation";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pulumiCli, type CliResult, type Watch } from "./cli";
import { HeldPackage } from "./held-package";
import { OwnedBuildkitd, OwnedRegistry, freePort } from "./owned-services";
import { Registry, imageTargets } from "./registry";
import { SMALL_REQUIREMENTS, TempProject } from "./stack";
import { REGISTRY, Toolchain, e2eSkipped, loadToolchain, onToolchain } from "./toolchain";
import { TYPE } from "../resource-types";

const skipped = e2eSkipped();

const FAULT_REQUIREMENTS = SMALL_REQUIREMENTS;

const TIERS = ["base", "llm", "full"] as const;
type Tier = (typeof TIERS)[number];
const RELEASE = "1.0.0-faults";

/** Tier 1's push has started ("~  docker-build:index:Image atlas-llm updating (1s) [diff: …]; #12 pushing layers"). */
const LLM_PUSH = /Image atlas-llm [^\n]*#\d+ pushing layers/;

interface StateImage {
  tier: Tier;
  digest: string;
  tag: string;
}

describe.skipIf(skipped)("faults: the state stays true and the next up converges", () => {
  const project = new TempProject(FAULT_REQUIREMENTS);
  const stackName = `faults-${project.id}`;
  const repository = `faults-${project.id}/atlas`;
  let servicesDir: string;
  let registry: OwnedRegistry;
  let buildkitd: OwnedBuildkitd;
  let api: Registry;
  let stack: Stack;
  let tc: Toolchain;
  /** The digests the last good up left, per tier. */
  let good: Record<Tier, string>;
  /** Tier 1 installs it, so its build can be held at a known point. */
  const held = new HeldPackage();
  let variant = 0;

  let runs = 0;
  /** Runs the CLI; its output is kept in the project's logs/ (ATLAS_E2E_KEEP=1 keeps the project). */
  async function logged(args: string[], watch?: Watch): Promise<CliResult> {
    const r = await pulumiCli(project, [...args, "--stack", stackName], watch);
    mkdirSync(join(project.dir, "logs"), { recursive: true });
    writeFileSync(join(project.dir, "logs", `${String(++runs).padStart(2, "0")}-${args[0]}.log`), r.output);
    return r;
  }
  const up = (watch?: Watch) => logged(["up", "--yes", "--skip-preview"], watch);
  const cli = (...args: string[]) => logged(args);

  /**
   * A change to tier 1, so tiers 1 and 2 (and the release tag on tier 1) must
   * be rebuilt; its install holds on a new version of the held package.
   * @returns that version: `held.requested(version)` is "tier 1 is building"
   */
  function changeTier1(): string {
    const version = `1.0.${++variant}`;
    project.writeRequirements(FAULT_REQUIREMENTS.llm.file, [...FAULT_REQUIREMENTS.llm.lines, held.requirement(version)]);
    return version;
  }

  /**
   * An `up` that changes tier 1 and meets `fault` while tier 1's install is
   * held; the install is let go only once the CLI has ended.
   * @param fault gets the CLI's process group
   */
  async function upFaultedInTier1Build(fault: (group: number) => unknown): Promise<CliResult> {
    const version = changeTier1();
    let group = 0;
    const running = up((_, pgid) => (group = pgid));
    await held.requested(version);
    await fault(group);
    return running.finally(() => held.release(version));
  }

  /** A line of output that names the owned registry and then one of `causes` (a regex alternation). */
  function onRegistryLine(causes: string): RegExp {
    return new RegExp(`${registry.address.replace(/\./g, "\\.")}.*(${causes})`, "i");
  }

  /** What the CLI printed, short enough for an assertion message. */
  function tail(r: CliResult, lines = 40): string {
    return r.output.trimEnd().split("\n").slice(-lines).join("\n");
  }

  async function stateImages(): Promise<{ images: StateImage[]; release?: string; pending: unknown[] }> {
    const state = await stack.exportStack();
    const resources = (state.deployment.resources ?? []) as { type: string; urn: string; outputs?: Record<string, unknown> }[];
    const images = resources
      .filter((r) => r.type === TYPE.image)
      .map((r) => ({
        tier: r.urn.split("::").pop()!.replace(/^atlas-/, "") as Tier,
        digest: String(r.outputs?.digest),
        tag: String((r.outputs?.tags as string[])[0]).split(":").pop()!,
      }));
    const release = resources.find((r) => r.type === TYPE.index)?.outputs?.ref as string | undefined;
    return { images, release, pending: state.deployment.pending_operations ?? [] };
  }

  /** (b) and (d): every image in the state is in the registry under its tag at the state's digest; so is the release. */
  async function expectStateTrue(): Promise<Record<Tier, string>> {
    const { images, release, pending } = await stateImages();
    expect(pending, "pending operations left in the state").toEqual([]);
    expect(images.map((i) => i.tier).sort(), "tier images in the state").toEqual([...TIERS].sort());
    for (const image of images) {
      const manifest = await api.manifest(repository, image.tag);
      expect(manifest?.digest, `${image.tag} in the registry vs the state`).toBe(image.digest);
    }
    const digests = Object.fromEntries(images.map((i) => [i.tier, i.digest])) as Record<Tier, string>;
    expect(release, "release tag in the state").toBeDefined();
    const releaseManifest = await api.manifest(repository, RELEASE);
    expect(releaseManifest, "release tag in the registry").toBeDefined();
    expect(release!.split("@")[1], "release tag in the state vs the registry").toBe(releaseManifest!.digest);
    expect(imageTargets(releaseManifest!), "the release tag points at tier llm's digest").toEqual([digests.llm]);
    return digests;
  }

  function expectNoLock(): void {
    const locks = join(project.dir, ".state", ".pulumi", "locks");
    const held = existsSync(locks) ? readdirSync(locks, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".json")) : [];
    expect(held, "lock files left in the state backend").toEqual([]);
  }

  /** (c): the next up succeeds, rebuilds tier 1 and 2 (and moves the release tag), leaves tier 0, and a preview after it is empty. */
  async function expectConverges(): Promise<void> {
    const r = await up();
    expect(r.code, `the up after the fault failed:\n${tail(r)}`).toBe(0);
    expect(r.output).not.toMatch(/Image atlas-base (creat|updat)/);
    expect(r.output).toMatch(/Image atlas-llm (creat|updat)/);
    expect(r.output).toMatch(/Image atlas-full (creat|updat)/);
    expect(r.leftovers, "processes left by pulumi up").toEqual([]);
    const digests = await expectStateTrue();
    expect(digests.base, "tier 0 was not rebuilt").toBe(good.base);
    const preview = await stack.preview({ color: "never" });
    expect(Object.keys(preview.changeSummary).filter((op) => op !== "same"), JSON.stringify(preview.changeSummary)).toEqual([]);
    expectNoLock();
    good = digests;
  }

  /** (d): the tags of the last good up are still in the registry at their digests. */
  async function expectEarlierTagsIntact(): Promise<void> {
    for (const tier of TIERS) {
      expect((await api.manifest(repository, `v0.6-${tier}`))?.digest, `v0.6-${tier} kept`).toBe(good[tier]);
    }
    const release = await api.manifest(repository, RELEASE);
    expect(release ? imageTargets(release) : [], "release tag kept").toEqual([good.llm]);
  }

  beforeAll(async () => {
    tc = loadToolchain();
    await held.start();
    servicesDir = mkdtempSync(join(tmpdir(), "atlas-faults-"));
    registry = new OwnedRegistry(join(servicesDir, "registry"), await freePort());
    await registry.start();
    // The stand-in base image is in the shared registry; tiers go to the owned one.
    buildkitd = new OwnedBuildkitd(join(servicesDir, "buildkitd"), [REGISTRY, registry.address], `atlas-faults-${project.id}`);
    await buildkitd.start();
    api = new Registry(tc.registryPassword, registry.address);
    stack = await project.stack(stackName);
    await stack.setConfig("atlas:registryPassword", { value: tc.registryPassword, secret: true });
    project.writeConfig(stackName, {
      "atlas:tier": "full",
      ...onToolchain(tc, { repository, server: registry.address, builder: buildkitd.builder }),
      "atlas:releases": [{ version: RELEASE, source: "llm" }],
      // The held package is a direct URL, which is no == pin.
      "atlas:pinned": false,
    });
    const first = await up();
    if (first.code !== 0) throw new Error(`the first up failed:\n${tail(first)}`);
    good = await expectStateTrue();
  });

  afterAll(async () => {
    await held.stop();
    await buildkitd?.remove();
    await registry?.remove();
    if (servicesDir) rmSync(servicesDir, { recursive: true, force: true });
    if (!process.env.ATLAS_E2E_KEEP) project.remove();
  });

  it("1. the registry stops during tier 1's push: up fails naming the registry, and tier 1 keeps its old digest", async () => {
    const version = changeTier1();
    // Frozen while tier 1 installs, killed once its push has started: the push
    // hangs on the frozen registry until then, so it is cut mid-way.
    let frozen = false;
    let killed = false;
    const running = up((out) => {
      if (frozen && !killed && LLM_PUSH.test(out)) {
        killed = true;
        void registry.stop("SIGKILL");
      }
    });
    await held.requested(version);
    process.kill(registry.pid!, "SIGSTOP");
    frozen = true;
    held.release(version);
    const r = await running;
    expect(killed, `the registry was not stopped during the push:\n${tail(r)}`).toBe(true);
    expect(r.code, tail(r)).not.toBe(0);
    expect(r.output).toMatch(onRegistryLine("connection refused|connection reset|EOF|broken pipe"));
    expect(r.leftovers, "processes left by pulumi up").toEqual([]);
    await registry.start();
    expectNoLock();
    await expectEarlierTagsIntact();
    expect(await expectStateTrue()).toEqual(good);
    await expectConverges();
  });

  it("2a. SIGINT during tier 1's build: up stops, the state is true, no lock is left, and the next up converges", async () => {
    // A terminal's Ctrl-C goes to the foreground process group.
    const r = await upFaultedInTier1Build((group) => process.kill(-group, "SIGINT"));
    expect(r.code, tail(r)).not.toBe(0);
    expect(r.output).toMatch(/cancel|interrupt/i);
    expect(r.leftovers, "processes left by pulumi up").toEqual([]);
    expectNoLock();
    // Tier 1 may have finished its update before the engine stopped: either
    // way the state must match the registry.
    const digests = await expectStateTrue();
    expect(digests.base).toBe(good.base);
    await expectConverges();
  });

  it("2b. SIGKILL of the whole CLI during tier 1's build: the README's recovery (cancel, refresh, up) converges", async () => {
    const r = await upFaultedInTier1Build((group) => process.kill(-group, "SIGKILL"));
    expect(r.signal).toBe("SIGKILL");
    expect(r.leftovers, "processes left after the kill").toEqual([]);
    // What a user sees next: the stack is locked by the dead update.
    const locked = await up();
    expect(locked.code).not.toBe(0);
    expect(locked.output, tail(locked)).toMatch(/locked/i);
    expect(locked.output).toMatch(/pulumi cancel/);
    // The recovery the README gives, in its order.
    const cancel = await cli("cancel", "--yes");
    expect(cancel.code, tail(cancel)).toBe(0);
    expectNoLock();
    const refresh = await cli("refresh", "--yes", "--clear-pending-creates");
    expect(refresh.code, tail(refresh)).toBe(0);
    await expectEarlierTagsIntact();
    expect(await expectStateTrue()).toEqual(good);
    await expectConverges();
  });

  it("3. buildkitd restarts during tier 1's build: up fails naming the builder; the next up converges on the restarted one", async () => {
    // A graceful stop waits for running builds; this one is held, so the
    // supervisor's stop timeout (here 5 s) kills buildkitd under it.
    const r = await upFaultedInTier1Build(async () => {
      await buildkitd.stop("SIGTERM", 5000);
      await buildkitd.start();
    });
    expect(r.code, tail(r)).not.toBe(0);
    // On the Image's own error line: the stack outputs name the builder in every run, failed or not.
    expect(r.output, `buildkitd's log:\n${buildkitd.tail()}`).toMatch(/Image atlas-llm [^\n]*error: [^\n]*(buildkit|rpc error|Unavailable|connection|EOF|canceled)/i);
    expect(r.leftovers, "processes left by pulumi up").toEqual([]);
    expectNoLock();
    await expectEarlierTagsIntact();
    expect(await expectStateTrue()).toEqual(good);
    await expectConverges();
  });

  it("4. drift: tier 2's image deleted from the registry out of band; refresh notices, up restores it", async () => {
    await api.deleteManifest(repository, good.full);
    expect(await api.manifest(repository, "v0.6-full")).toBeUndefined();
    const refresh = await cli("refresh", "--yes");
    expect(refresh.code, tail(refresh)).toBe(0);
    expect(refresh.output).toMatch(/Image atlas-full +delet/);
    const { images } = await stateImages();
    expect(images.map((i) => i.tier).sort()).toEqual(["base", "llm"]);
    const r = await up();
    expect(r.code, tail(r)).toBe(0);
    expect(r.output).toMatch(/Image atlas-full +creat/);
    expect(r.output).not.toMatch(/Image atlas-(base|llm) +(creat|updat)/);
    const digests = await expectStateTrue();
    expect(digests.base).toBe(good.base);
    expect(digests.llm).toBe(good.llm);
    good = digests;
  });

  it("5. a wrong registry password fails naming the registry, never the secret, and changes nothing", async () => {
    const wrong = `wrong-${project.id}-password`;
    await stack.setConfig("atlas:registryPassword", { value: wrong, secret: true });
    held.release(changeTier1());
    try {
      const preview = await cli("preview");
      const r = preview.code !== 0 ? preview : await up();
      expect(r.code, tail(r)).not.toBe(0);
      // The address alone is in every run's output (cache imports, the outputs): it must be on the refusal's line.
      expect(r.output).toMatch(onRegistryLine("401|unauthori[sz]ed|authentication"));
      expect(r.output).not.toContain(wrong);
      expect(r.output).not.toContain(tc.registryPassword);
      expectNoLock();
      expect(await expectStateTrue()).toEqual(good);
    } finally {
      await stack.setConfig("atlas:registryPassword", { value: tc.registryPassword, secret: true });
    }
    await expectConverges();
  });
});
