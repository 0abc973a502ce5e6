/**
 * The engine-facing half of config: reads the stack's config map and which
 * keys are secrets, then hands them to the pure parseConfig.
 */
import * as pulumi from "@pulumi/pulumi";
import { existsSync } from "node:fs";
import { AtlasConfig, NAMESPACE, parseConfig } from "./config";

// isConfigSecret is exported by the SDK's runtime but missing from its typings.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

export function readStackConfig(): AtlasConfig {
  const raw = pulumi.runtime.allConfig();
  const secretKeys = new Set(Object.keys(raw).filter((k) => k.startsWith(`${NAMESPACE}:`) && runtimeConfig.isConfigSecret(k)));
  return parseConfig(raw, secretKeys, existsSync);
}

/** A secret config value as a secret Output, or undefined when unset. */
export function secretConfig(key: string): pulumi.Output<string> | undefined {
  return new pulumi.Config(NAMESPACE).getSecret(key);
}
