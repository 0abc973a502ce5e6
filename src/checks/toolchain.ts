/**
 * Where scripts/toolchain-up.sh puts what it builds (scripts/lib.sh has the
 * same default), for the commands and tests that call those binaries.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export function toolchainDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ATLAS_TOOLCHAIN_DIR || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "atlas-toolchain");
}

/** The toolchain's buildx when it built one, else the docker CLI plugin. */
export function buildxCommand(env: NodeJS.ProcessEnv = process.env): { cmd: string; args: string[] } {
  const bin = join(toolchainDir(env), "bin", "buildx");
  return existsSync(bin) ? { cmd: bin, args: [] } : { cmd: "docker", args: ["buildx"] };
}
