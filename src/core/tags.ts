/**
 * The tag grammar: the tags tier images and registry caches own, written and
 * read in one place. Release validation refuses versions that collide with them.
 */
import { TIER_NAMES, TierName } from "./tiers";

const MATERIALS_SUFFIX = "-materials";
const TIER_ALTERNATION = TIER_NAMES.join("|");
const TIER_TAG_RE = new RegExp(`^v(.+)-(${TIER_ALTERNATION})(${MATERIALS_SUFFIX})?$`);
const CACHE_TAG_RE = new RegExp(`^cache-(${TIER_ALTERNATION})(${MATERIALS_SUFFIX})?$`);

/** `v0.6-base`, or `v0.6-base-materials`: a materials image never carries a plain tag. */
export function tierTag(version: string, tier: TierName, materials: boolean): string {
  return `v${version}-${tier}${materials ? MATERIALS_SUFFIX : ""}`;
}

export function cacheTag(tier: TierName, materials: boolean): string {
  return `cache-${tier}${materials ? MATERIALS_SUFFIX : ""}`;
}

/** What a tierTag of any VERSION says; undefined for any other tag. */
export function parseTierTag(tag: string): { version: string; tier: TierName; materials: boolean } | undefined {
  const m = TIER_TAG_RE.exec(tag);
  return m ? { version: m[1], tier: m[2] as TierName, materials: m[3] !== undefined } : undefined;
}

/** Whether a tag is a cacheTag, which the registry cache owns. */
export function isCacheTag(tag: string): boolean {
  return CACHE_TAG_RE.test(tag);
}
