/**
 * The host's docker config (~/.docker/config.json, or $DOCKER_CONFIG): which
 * registries it has a login for. The pre-check reports it; the labs' docker
 * provider pulls with it when the stack has no password of its own.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Whether a docker config.json has credentials for a server, without reading them. */
export function hostHasLogin(configJson: string | undefined, server: string): boolean {
  if (!configJson) return false;
  try {
    const c = JSON.parse(configJson) as { auths?: Record<string, unknown>; credHelpers?: Record<string, unknown> };
    const keys = [server, `https://${server}`, `http://${server}`];
    // With a credsStore, `docker login` still records the server under auths.
    return keys.some((k) => k in (c.auths ?? {}) || k in (c.credHelpers ?? {}));
  } catch {
    return false;
  }
}

/**
 * Where the docker CLI keeps its config: $DOCKER_CONFIG/config.json, else
 * ~/.docker/config.json, with "~" left for the reader to expand (the docker
 * provider does), so the same path stands in every host's state.
 */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, "config.json") : "~/.docker/config.json";
}

/** The host's docker config.json text, or undefined when there is none. */
export function readDockerConfig(env: NodeJS.ProcessEnv = process.env): string | undefined {
  try {
    return readFileSync(dockerConfigPath(env).replace(/^~(?=\/)/, homedir()), "utf8");
  } catch {
    return undefined;
  }
}
