/**
 * The `atlas:` config namespace: every key, its type, its default and its
 * error message, parsed in one place. parseConfig is pure so tests call it
 * without the engine; readStackConfig is the thin engine-facing half.
 */
import { z } from "zod";
import { isImageRef, isRegistryServer, isRepositoryPath } from "./image-ref";
import { BASE_TIER, TIER_LEVELS, TIER_NAMES, tierByAlias } from "./tiers";

export const NAMESPACE = "atlas";

/** Keys that must arrive as Pulumi secrets (`pulumi config set --secret`). */
export const SECRET_KEYS = ["registryPassword", "jupyterToken", "pipIndexUrl"] as const;

const tierSchema = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const tier = tierByAlias(String(v));
    if (tier) return tier;
    ctx.addIssue({ code: "custom", message: `expected one of ${TIER_NAMES.join(", ")} (or BUILD_TIER ${TIER_LEVELS.join(", ")}), found ${JSON.stringify(v)}` });
    return z.NEVER;
  });

const imageRef = z.string().refine(isImageRef, {
  error: (iss) => `expected an image reference such as pytorch/pytorch:2.10.0-cuda13.0-cudnn9-devel or name@sha256:<64 hex>, found ${JSON.stringify(iss.input)}`,
});

const nonRootId = z
  .number({ error: (iss) => `expected an integer from 1 to 2147483647, found ${JSON.stringify(iss.input)}` })
  .int({ error: (iss) => `expected an integer from 1 to 2147483647, found ${JSON.stringify(iss.input)}` })
  .min(1, { error: (iss) => `expected a non-root id (1 or more; 0 is root), found ${JSON.stringify(iss.input)}` })
  .max(2147483647);

const PLATFORM_RE = /^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/;

export const buildSchema = z.strictObject({
  baseImage: imageRef.default("pytorch/pytorch:2.10.0-cuda13.0-cudnn9-devel"),
  smokeBaseImage: imageRef.default("python:3.10-slim"),
  username: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: (iss) => `expected a Linux user name ([a-z_][a-z0-9_-]*, at most 32 characters), found ${JSON.stringify(iss.input)}` })
    .refine((u) => u !== "root", { error: "expected a non-root user name, found \"root\"" })
    .default("atlas"),
  uid: nonRootId.default(1000),
  gid: nonRootId.default(1000),
  maxJobs: z
    .number({ error: (iss) => `expected an integer of 1 or more, found ${JSON.stringify(iss.input)}` })
    .int({ error: (iss) => `expected an integer of 1 or more, found ${JSON.stringify(iss.input)}` })
    .min(1, { error: (iss) => `expected an integer of 1 or more, found ${JSON.stringify(iss.input)}` })
    .default(2),
  noCache: z.boolean().default(false),
  platforms: z
    .array(z.string().regex(PLATFORM_RE, { error: (iss) => `expected a platform such as linux/amd64, found ${JSON.stringify(iss.input)}` }))
    .default([]),
  builder: z.string().min(1).optional(),
  /** A PEM bundle on the build host that pip inside the build trusts (a TLS-intercepting proxy's CA). */
  caCertificates: z.string().min(1).optional(),
});

export const registrySchema = z.strictObject({
  server: z.string().refine(isRegistryServer, {
    error: (iss) => `expected a registry host such as ghcr.io or localhost:5000, found ${JSON.stringify(iss.input)}`,
  }),
  repository: z.string().refine(isRepositoryPath, {
    error: (iss) => `expected a lowercase repository path such as owner/atlas, found ${JSON.stringify(iss.input)}`,
  }),
  username: z.string().min(1).optional(),
});

export const cacheSchema = z.strictObject({
  /** registry: `<repo>:cache-<tier>`; local: a directory; gha: GitHub Actions cache; inline: in the image; off: none. */
  type: z.enum(["registry", "local", "gha", "inline", "off"]).default("registry"),
  mode: z.enum(["max", "min"]).default("max"),
  /** Directory for `type: local`. */
  dir: z.string().min(1).optional(),
  /** Scope prefix for `type: gha`. */
  scope: z.string().min(1).default("atlas"),
  /** Each tier also reads the caches of the tiers below it. */
  readLowerTiers: z.boolean().default(true),
});

export const labSchema = z.strictObject({
  enabled: z.boolean().default(true),
  tier: tierSchema.default(BASE_TIER),
  /** `all`, `none`, or a list of device ids/indexes. */
  gpus: z
    .union([z.literal("all"), z.literal("none"), z.array(z.union([z.string().min(1), z.number().int().min(0)])).min(1)], {
      error: (iss) => `expected "all", "none" or a list of device ids/indexes such as [0, 2], found ${JSON.stringify(iss.input)}`,
    })
    .default("all"),
  port: z
    .number({ error: (iss) => `expected a port from 1 to 65535, found ${JSON.stringify(iss.input)}` })
    .int({ error: (iss) => `expected a port from 1 to 65535, found ${JSON.stringify(iss.input)}` })
    .min(1, { error: (iss) => `expected a port from 1 to 65535, found ${JSON.stringify(iss.input)}` })
    .max(65535, { error: (iss) => `expected a port from 1 to 65535, found ${JSON.stringify(iss.input)}` })
    .default(8888),
  bind: z.ipv4({ error: (iss) => `expected an IPv4 address such as 127.0.0.1, found ${JSON.stringify(iss.input)}` }).default("127.0.0.1"),
  exposePublicly: z.boolean().default(false),
  /** A host path (absolute) or a named volume. */
  workspace: z
    .union(
      [
        z.strictObject({ hostPath: z.string().min(1) }),
        z.strictObject({ volume: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/) }),
      ],
      { error: (iss) => `expected {hostPath: <absolute path>} or {volume: <name of [a-zA-Z0-9][a-zA-Z0-9_.-]*>}, found ${JSON.stringify(iss.input)}` },
    )
    .default({ volume: "atlas-workspace" }),
  shmSize: z.number().int().min(64).default(2048).describe("MiB"),
  memory: z.number().int().min(256).optional().describe("MiB"),
  cpus: z.number().positive().optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
});

export const jupyterSchema = z.strictObject({
  labs: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/), labSchema).default({}),
});

/** The guide's `tag.sh` default, `v$(cat VERSION)-base`, as a tier: it follows VERSION and materials. */
export const DEFAULT_RELEASE_SOURCE = BASE_TIER;

export const releaseSchema = z.strictObject({
  version: z.string().min(1),
  source: z.string().min(1).default(DEFAULT_RELEASE_SOURCE),
});

/** Every top-level `atlas:` key; the order is the README's. */
export const configSchema = z.strictObject({
  tier: tierSchema.default(BASE_TIER),
  materials: z.boolean().default(false),
  registry: registrySchema.optional(),
  registryPassword: z.string().min(1).optional(),
  push: z.boolean().default(true),
  build: buildSchema.default(buildSchema.parse({})),
  cache: cacheSchema.default(cacheSchema.parse({})),
  retainOnDelete: z.boolean().default(true),
  /** Every requirements file of the stack must pin with `==`; defaults to true above tier 0. */
  pinned: z.boolean().optional(),
  allowIncompatible: z.boolean().default(false),
  pipIndexUrl: z.string().url().optional(),
  jupyter: jupyterSchema.default(jupyterSchema.parse({})),
  jupyterToken: z.string().min(16).optional(),
  releases: z.array(releaseSchema).default([]),
});

export type SecretKey = (typeof SECRET_KEYS)[number];
/**
 * The parsed config, without the secret values: those are read as Pulumi
 * secrets where they are used (stack-config.ts secretConfig), so no check,
 * message or export that is handed the config can print them.
 */
export type AtlasConfig = Omit<z.infer<typeof configSchema>, SecretKey>;
export type LabConfig = z.infer<typeof labSchema>;
export type CacheConfig = z.infer<typeof cacheSchema>;
export type BuildConfig = z.infer<typeof buildSchema>;
export type RegistryConfig = z.infer<typeof registrySchema>;
export type ReleaseEntry = z.infer<typeof releaseSchema>;

/** Config errors carry every problem, each naming the key, the value and what is accepted. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid ${NAMESPACE} config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Config values arrive as strings; objects, lists, numbers and booleans as JSON text. */
function decode(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function keyPath(path: readonly PropertyKey[]): string {
  const [top, ...rest] = path.map(String);
  return `${NAMESPACE}:${top}${rest.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join("")}`;
}

/**
 * Parses the `atlas:` part of a stack's config.
 * @param raw every config key of the stack (`atlas:tier` → "llm"), as the engine passes it
 * @param secretKeys the keys that arrived as secrets
 */
export function parseConfig(
  raw: Record<string, string>,
  secretKeys: ReadonlySet<string>,
  pathExists: (path: string) => boolean = () => true,
): AtlasConfig {
  const input: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith(`${NAMESPACE}:`)) continue;
    const name = key.slice(NAMESPACE.length + 1);
    // Secrets stay strings: a token that happens to be JSON must not be decoded.
    input[name] = (SECRET_KEYS as readonly string[]).includes(name) ? value : decode(value);
    if ((SECRET_KEYS as readonly string[]).includes(name) && !secretKeys.has(key)) {
      problems.push(`${key}: is set in plaintext; accepted only as a secret: pulumi config set --secret ${key} <value>`);
    }
  }
  const parsed = configSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys") {
        const where = issue.path.length ? `${keyPath(issue.path)}` : `${NAMESPACE}:`;
        const shape = shapeAt(issue.path);
        problems.push(
          `${where}: unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; accepted: ${shape.join(", ")}`,
        );
      } else {
        problems.push(`${keyPath(issue.path)}: ${withValue(issue.message, issue)}`);
      }
    }
  }
  if (problems.length) throw new ConfigError(problems);
  const config = parsed.data!;
  const semantic = crossChecks(config, pathExists);
  if (semantic.length) throw new ConfigError(semantic);
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { registryPassword, jupyterToken, pipIndexUrl, ...withoutSecrets } = config;
  return withoutSecrets;
}

/**
 * zod's own messages ("Invalid option: expected one of …") say what is
 * accepted but not what was found; the value is added, except under a secret key.
 */
function withValue(message: string, issue: { path: readonly PropertyKey[]; input?: unknown }): string {
  if (/found /.test(message) || (SECRET_KEYS as readonly string[]).includes(String(issue.path[0]))) return message;
  return "input" in issue && issue.input !== undefined ? `${message}, found ${JSON.stringify(issue.input)}` : message;
}

/** Keys accepted at a path of the schema, for "unknown key" messages. */
function shapeAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = configSchema;
  for (const part of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, z.ZodType>)[String(part)];
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.ZodType;
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
  }
  schema = unwrap(schema);
  if (schema instanceof z.ZodUnion) {
    return schema.options.flatMap((o) => (unwrap(o as z.ZodType) instanceof z.ZodObject ? Object.keys((unwrap(o as z.ZodType) as z.ZodObject).shape) : []));
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s;
}

/** Rules that span keys. */
function crossChecks(c: z.infer<typeof configSchema>, pathExists: (path: string) => boolean): string[] {
  const problems: string[] = [];
  if (c.push && !c.registry) {
    problems.push(`${NAMESPACE}:push: is true but ${NAMESPACE}:registry is not set; set ${NAMESPACE}:registry {server, repository} or ${NAMESPACE}:push false`);
  }
  if (c.registryPassword && !c.registry?.username) {
    problems.push(`${NAMESPACE}:registryPassword: is set but ${NAMESPACE}:registry.username is not; set the user name the password belongs to`);
  }
  if (c.cache.type === "local" && !c.cache.dir) {
    problems.push(`${NAMESPACE}:cache.dir: is required when ${NAMESPACE}:cache.type is "local"`);
  }
  if (c.cache.type === "registry" && !c.registry) {
    problems.push(`${NAMESPACE}:cache.type: "registry" needs ${NAMESPACE}:registry; set the registry, or cache.type "local", "gha", "inline" or "off"`);
  }
  if (c.build.caCertificates && !pathExists(c.build.caCertificates)) {
    problems.push(`${NAMESPACE}:build.caCertificates: ${JSON.stringify(c.build.caCertificates)} does not exist on this host; accepted: a path to a PEM bundle`);
  }
  if (!c.push && c.tier !== BASE_TIER) {
    problems.push(
      `${NAMESPACE}:push: is false but ${NAMESPACE}:tier is ${JSON.stringify(c.tier)}; upper tiers are built on the lower tier's pushed image, so push must be true above tier 0`,
    );
  }
  const topLevel = TIER_NAMES.indexOf(c.tier);
  for (const [name, lab] of Object.entries(c.jupyter.labs)) {
    if (TIER_NAMES.indexOf(lab.tier) > topLevel) {
      problems.push(
        `${NAMESPACE}:jupyter.labs.${name}.tier: ${JSON.stringify(lab.tier)} is not built by this stack (${NAMESPACE}:tier is ${JSON.stringify(c.tier)}); accepted: ${TIER_NAMES.slice(0, topLevel + 1).join(", ")}`,
      );
    }
    if ("hostPath" in lab.workspace && lab.enabled) {
      const p = lab.workspace.hostPath;
      if (!p.startsWith("/")) {
        problems.push(`${NAMESPACE}:jupyter.labs.${name}.workspace.hostPath: ${JSON.stringify(p)} is relative; accepted: an absolute host path, or {volume: <name>}`);
      } else if (!pathExists(p)) {
        problems.push(`${NAMESPACE}:jupyter.labs.${name}.workspace.hostPath: ${JSON.stringify(p)} does not exist on this host; create it, or use {volume: <name>}`);
      }
    }
    if (lab.bind !== "127.0.0.1" && !lab.bind.startsWith("127.") && !lab.exposePublicly) {
      problems.push(
        `${NAMESPACE}:jupyter.labs.${name}.bind: ${JSON.stringify(lab.bind)} publishes JupyterLab beyond this host; accepted: a loopback address (127.0.0.1), or set exposePublicly: true to mean it`,
      );
    }
  }
  return problems;
}
