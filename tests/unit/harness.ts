/**
 * Runs index.ts under pulumi.runtime.setMocks with a chosen stack config and
 * records every resource registration. Import the program only through
 * runProgram: it sets the mocks and the config first, then imports.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, vi } from "vitest";
import { parseConfig } from "../../src/core/config";
import { StackPlan, planStack } from "../../src/core/plan";
import { planInputs } from "../../src/core/project";
import { readStackFile } from "../../src/core/stack-file";

export const ROOT = join(__dirname, "..", "..");
export const PROJECT = "atlas";

import { TYPE } from "../resource-types";

export { TYPE };

/** The guide's default base image (torch 2.10.0, CUDA 13.0), and the full stack's (torch 2.9.1, CUDA 12.8, what vllm 0.15.1 needs). */
export const BASE_IMAGE = {
  guide: "pytorch/pytorch:2.10.0-cuda13.0-cudnn9-devel",
  full: "pytorch/pytorch:2.9.1-cuda12.8-cudnn9-devel",
} as const;

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  id: string;
}

/** Config values as the engine passes them: strings as they are, anything else as JSON text; undefined drops the key. */
export function engineConfig(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

/** `atlas:` keys written without the prefix (`{tier: "llm"}`), as the engine passes them. */
export function atlasKeys(keys: Record<string, unknown>): Record<string, string> {
  return engineConfig(Object.fromEntries(Object.entries(keys).map(([k, v]) => [`atlas:${k}`, v])));
}

/** A committed stack file's config (src/core/stack-file.ts) with `overrides` (full keys) on top, as the engine passes it. */
export function stackFileWith(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
  return { ...readStackFile(ROOT, stack), ...engineConfig(overrides) };
}

/** The StackPlan the program computes for a committed stack with `overrides` on top, without the engine. */
export function planFromStackFile(stack: string, overrides: Record<string, unknown> = {}): StackPlan {
  return planStack(parseConfig(stackFileWith(stack, overrides), new Set()), planInputs(ROOT, stack));
}

export function fakeDigest(seed: string): string {
  return `sha256:${createHash("sha256").update(seed).digest("hex")}`;
}

/** Outputs the mock "providers" compute, per resource type. */
function mockState(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> { // eslint-disable-line @typescript-eslint/no-explicit-any
  switch (type) {
    case "docker-build:index:Image": {
      const digest = fakeDigest(`${name}:${JSON.stringify(inputs.buildArgs)}`);
      return { ...inputs, digest, ref: `${inputs.tags[0]}@${digest}`, contextHash: fakeDigest(`ctx:${name}`) };
    }
    case "docker-build:index:Index":
      return { ...inputs, ref: `${inputs.tag}@${fakeDigest(`index:${name}`)}` };
    case "docker:index/remoteImage:RemoteImage":
      return { ...inputs, imageId: fakeDigest(`image:${inputs.name}`), repoDigest: inputs.name };
    default:
      return inputs;
  }
}

export interface RunOptions {
  stack: string;
  /** Config on top of (or, with fromStackFile false, instead of) the stack file. */
  config?: Record<string, unknown>;
  /** Keys (full, e.g. "atlas:registryPassword") set as secrets. */
  secrets?: Record<string, string>;
  /** Keys set in plaintext even though they should be secrets. */
  plaintext?: Record<string, string>;
  fromStackFile?: boolean;
  preview?: boolean;
  /** The outputs of the stack's last deployment, as its reference to itself reads them (none: a new stack). */
  lastDeployment?: Record<string, unknown>;
  /** Digests the mocked images get, per tier ("base"); by default one derived from the name and build args. */
  digests?: Record<string, string>;
}

export interface RunResult {
  resources: Recorded[];
  outputs: Record<string, unknown>;
  byType(type: string): Recorded[];
  one(type: string, name: string): Recorded;
}

export async function runProgram(opts: RunOptions): Promise<RunResult> {
  const resources: Recorded[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const id = `${args.name}-id`;
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, id });
        const state = mockState(args.type, args.name, args.inputs);
        const digest = opts.digests?.[args.name.replace(/^atlas-/, "")];
        if (args.type === TYPE.image && digest) Object.assign(state, { digest, ref: `${args.inputs.tags[0]}@${digest}` });
        return { id, state };
      },
      call(args) {
        // The engine's readStackOutputs: the stack's last deployment, as the program reads it back.
        if (args.token === "pulumi:pulumi:readStackOutputs") return { name: args.inputs.name, outputs: opts.lastDeployment ?? {}, secretOutputNames: [] };
        return args.inputs;
      },
    },
    PROJECT,
    opts.stack,
    opts.preview ?? false,
    // What a DIY backend calls every stack's organization.
    "organization",
  );
  const config = opts.fromStackFile === false ? engineConfig(opts.config ?? {}) : stackFileWith(opts.stack, opts.config);
  for (const [k, v] of Object.entries({ ...opts.secrets, ...opts.plaintext })) config[k] = v;
  pulumi.runtime.setAllConfig(config, Object.keys(opts.secrets ?? {}));

  vi.resetModules();
  let program: Record<string, unknown>;
  try {
    program = (await import("../../index")) as Record<string, unknown>;
  } catch (e) {
    // Lets a test assert that a rejected config registered nothing. Registrations
    // reach the mock monitor asynchronously, so give them time to arrive first.
    await new Promise((r) => setTimeout(r, 300));
    throw Object.assign(e as Error, { registered: [...resources] });
  }
  const outputs = (await unwrap(program)) as Record<string, unknown>;
  return {
    resources,
    outputs,
    byType: (type) => resources.filter((r) => r.type === type),
    one: (type, name) => {
      const found = resources.filter((r) => r.type === type && r.name === name);
      if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}: ${resources.map((r) => `${r.type}/${r.name}`).join(", ")}`);
      return found[0];
    },
  };
}

/** Expects the program to fail with `message` before it registered any resource. */
export async function expectNothingRegistered(run: Promise<RunResult>, message: RegExp): Promise<void> {
  const error = (await run.then(
    () => undefined,
    (e: unknown) => e,
  )) as (Error & { registered?: Recorded[] }) | undefined;
  expect(error, "the program was expected to fail").toBeInstanceOf(Error);
  expect(error!.message).toMatch(message);
  expect(error!.registered).toEqual([]);
}

/** Resolves every Output inside a value (secrets included) to its plain value. */
export function unwrap<T>(value: T): Promise<unknown> {
  return new Promise((resolve) => pulumi.output(value as pulumi.Input<T>).apply((v) => resolve(v)));
}

/** True when an Output (or a value holding one) is marked secret. */
export async function isSecret(value: pulumi.Input<unknown>): Promise<boolean> {
  // Output.isSecret is a Promise<boolean> in the SDK, but internal to its typings.
  return (pulumi.output(value) as unknown as { isSecret: Promise<boolean> }).isSecret;
}

// How the SDK serializes a secret value in resource inputs.
const SPECIAL_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** True when an input arrived wrapped as a secret. */
export function isSecretInput(input: unknown): boolean {
  return (input as Record<string, unknown> | undefined)?.[SPECIAL_SIG] === SECRET_SIG;
}

/** The plain value of a secret-wrapped input; fails the test when the input is not a secret. */
export function secretValue(input: unknown): unknown {
  const wrapped = input as Record<string, unknown> | undefined;
  if (!wrapped || !isSecretInput(wrapped)) {
    throw new Error(`expected a secret input, found ${JSON.stringify(input)}`);
  }
  return wrapped.value;
}

/** A stand-in CA bundle in a scratch dir, and the config override that hands it to a stack's build. */
export function scratchCaBundle(scratch: (prefix: string) => string): { pem: string; overrides: Record<string, unknown> } {
  const pem = join(scratch(join(tmpdir(), "atlas-ca-")), "ca.pem");
  writeFileSync(pem, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  return { pem, overrides: { "atlas:build": { caCertificates: pem } } };
}

/**
 * Temporary directories for one test file, removed after it: call once at the
 * top level of the file, then call the returned function for each directory.
 */
export function useScratchDirs(): (prefix: string) => string {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  return (prefix) => {
    const dir = mkdtempSync(prefix);
    dirs.push(dir);
    return dir;
  };
}
