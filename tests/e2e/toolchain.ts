/**
 * What the e2e suite needs from scripts/toolchain-up.sh, found or reported
 * missing. In CI a missing piece fails the suite; elsewhere the suite skips,
 * and says so loudly.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildxCommand, toolchainDir } from "../../src/checks/toolchain";

export const TOOLCHAIN_DIR = toolchainDir();
// scripts/lib.sh exports these; the defaults are its own, for a vitest run outside scripts/env.sh.
export const RUN_DIR = process.env.ATLAS_RUN ?? join(TOOLCHAIN_DIR, "run");
export const REGISTRY = process.env.ATLAS_REGISTRY_ADDR ?? "registry.localhost:5000";
export const REGISTRY_USER = process.env.ATLAS_REGISTRY_USER ?? "atlas";
export const BUILDER = process.env.ATLAS_BUILDER ?? "atlas";

export interface Toolchain {
  registryPassword: string;
  standinRef: string;
  caCertificates?: string;
}

/**
 * The config that puts a test stack on this machine's toolchain: a registry
 * (the shared one unless `server`) as REGISTRY_USER, a builder (BUILDER unless
 * `builder`), the stand-in base image and the host CA bundle when there is one.
 * `build` adds build settings (uid, gid).
 */
export function onToolchain(
  tc: Toolchain,
  where: { repository: string; server?: string; builder?: string; build?: Record<string, unknown> },
): Record<string, unknown> {
  return {
    "atlas:registry": { server: where.server ?? REGISTRY, repository: where.repository, username: REGISTRY_USER },
    "atlas:build": {
      baseImage: tc.standinRef,
      builder: where.builder ?? BUILDER,
      ...where.build,
      ...(tc.caCertificates ? { caCertificates: tc.caCertificates } : {}),
    },
  };
}

function works(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore", timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** The missing pieces, each with how to get it; empty when everything is there. */
export function missingPieces(): string[] {
  const missing: string[] = [];
  if (!works("pulumi", ["version"])) missing.push("pulumi CLI on PATH (scripts/toolchain-up.sh builds it)");
  if (!works("docker", ["info"])) missing.push("a running Docker engine");
  if (!existsSync(join(RUN_DIR, "registry", "password"))) missing.push(`the local registry's password file in ${RUN_DIR}/registry`);
  if (!existsSync(join(RUN_DIR, "host-ca-bundle"))) missing.push(`the host CA bundle record (${RUN_DIR}/host-ca-bundle), which builds need behind a TLS proxy`);
  if (!existsSync(join(RUN_DIR, "standin.ref"))) missing.push(`the stand-in base image (${RUN_DIR}/standin.ref)`);
  const buildx = buildxCommand();
  if (!works(buildx.cmd, [...buildx.args, "inspect", BUILDER])) missing.push(`the buildx builder "${BUILDER}"`);
  return missing;
}

export function loadToolchain(): Toolchain {
  return {
    registryPassword: readFileSync(join(RUN_DIR, "registry", "password"), "utf8").trim(),
    standinRef: readFileSync(join(RUN_DIR, "standin.ref"), "utf8").trim(),
    caCertificates: hostCaBundle(),
  };
}

/** The host CA bundle scripts/lib.sh chose (host_ca_bundle), recorded by toolchain-up.sh. */
function hostCaBundle(): string | undefined {
  const recorded = join(RUN_DIR, "host-ca-bundle");
  const cert = existsSync(recorded) ? readFileSync(recorded, "utf8").trim() : "";
  return cert && existsSync(cert) ? cert : undefined;
}

/**
 * Whether the e2e suites must skip: never in CI (a missing piece throws, failing
 * the suite), and elsewhere only with a loud banner saying what is missing.
 */
export function e2eSkipped(): boolean {
  const missing = missingPieces();
  if (!missing.length) return false;
  if (process.env.CI === "true") {
    throw new Error(`CI=true and the e2e toolchain is incomplete; run scripts/toolchain-up.sh. Missing:\n  - ${missing.join("\n  - ")}`);
  }
  const bar = "!".repeat(78);
  console.warn(
    `\n${bar}\n!! E2E SUITE SKIPPED: the toolchain is incomplete (outside CI only).\n!! Missing:\n${missing.map((m) => `!!   - ${m}`).join("\n")}\n!! Run scripts/toolchain-up.sh, or scripts/test.sh which does.\n${bar}\n`,
  );
  return true;
}
