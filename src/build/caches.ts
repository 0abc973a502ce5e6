/**
 * Build caches: the engine-neutral entries planStack gives each tier (what it
 * reads and writes, from atlas:cache), and their two renderings,
 * docker-build's typed args for the program and BuildKit's `type=…` strings
 * for bake and the plan view. One module, so the program and the bake file
 * cannot disagree about a cache.
 */
import type * as dockerbuild from "@pulumi/docker-build";

/** One cache, engine-neutral. */
export type CacheEntry =
  | { type: "registry"; ref: string; mode?: "max" | "min" }
  | { type: "local"; path: string; mode?: "max" | "min" }
  | { type: "gha"; scope: string; mode?: "max" | "min" }
  | { type: "inline" };

/** A CacheEntry in bake's (and `docker buildx build`'s) string syntax. */
export function cacheString(e: CacheEntry, direction: "from" | "to"): string {
  // Written with max unless min is asked for, as cacheToArg does; reads carry no mode.
  const mode = direction === "to" && e.type !== "inline" ? `,mode=${e.mode ?? "max"}` : "";
  switch (e.type) {
    case "registry":
      return `type=registry,ref=${e.ref}${mode}`;
    case "local":
      return direction === "from" ? `type=local,src=${e.path}` : `type=local,dest=${e.path}${mode}`;
    case "gha":
      return `type=gha,scope=${e.scope}${mode}`;
    case "inline":
      return "type=inline";
  }
}

/** Entries as strings: bake's `cache-from`/`cache-to` lists, and the plan view's. */
export function cacheStrings(entries: readonly CacheEntry[], direction: "from" | "to"): string[] {
  return entries.map((e) => cacheString(e, direction));
}

/** A CacheEntry the Image reads, as docker-build's typed arg. */
export function cacheFromArg(e: CacheEntry): dockerbuild.types.input.CacheFromArgs {
  switch (e.type) {
    case "registry":
      return { registry: { ref: e.ref } };
    case "local":
      return { local: { src: e.path } };
    case "gha":
      return { gha: { scope: e.scope } };
    case "inline":
      return { raw: "type=inline" };
  }
}

/** A CacheEntry the Image writes, as docker-build's typed arg. */
export function cacheToArg(e: CacheEntry): dockerbuild.types.input.CacheToArgs {
  // docker-build's CacheMode values are these strings; a type import keeps the provider SDK out of the plan.
  const mode: dockerbuild.CacheMode = e.type !== "inline" && e.mode === "min" ? "min" : "max";
  switch (e.type) {
    case "registry":
      return { registry: { ref: e.ref, mode } };
    case "local":
      // The provider's typed local cache drops `mode` (notes), so it goes raw.
      return { raw: cacheString(e, "to") };
    case "gha":
      return { gha: { scope: e.scope, mode } };
    case "inline":
      return { inline: {} };
  }
}
