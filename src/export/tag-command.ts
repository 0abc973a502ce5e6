/**
 * `npm run tag -- <version> [source] [--stack <name>]`: the build guide's
 * `./tag.sh tag 1.0.0 [source]`, as config. It validates the release against
 * the stack's plan, writes it into Pulumi.<stack>.yaml `atlas:releases`
 * (comments and layout kept), and previews the change; `pulumi up` then
 * points the tag at the tier's digest (src/build/releases.ts).
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { isMap, isSeq, parseDocument } from "yaml";
import { checkReleases, formatProblem } from "../build/releases";
import { Command, EXIT, UsageError } from "../core/command";
import { DEFAULT_RELEASE_SOURCE, NAMESPACE, ReleaseEntry } from "../core/config";
import { loadStack } from "../core/stacks";
import { TIER_LEVELS, TIER_NAMES } from "../core/tiers";

const RELEASES_KEY = `${NAMESPACE}:releases`;
export const TAG_USAGE =
  `usage: npm run tag -- <version> [source] [--stack <name>]   (source: ${TIER_NAMES.join(", ")}, ${TIER_LEVELS[0]}-${TIER_LEVELS[TIER_LEVELS.length - 1]}` +
  ` or a tier tag such as v0.6-llm; default ${DEFAULT_RELEASE_SOURCE})`;

export interface TagArgs {
  version: string;
  source: string;
  stack?: string;
}

export function parseTagArgs(argv: readonly string[]): TagArgs {
  const positional: string[] = [];
  let stack: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--stack" || a === "-s") {
      stack = argv[++i];
      if (!stack) throw new UsageError(`${a} needs a stack name`);
    } else if (a.startsWith("--stack=")) {
      stack = a.slice("--stack=".length);
    } else if (a.startsWith("-")) {
      throw new UsageError(`unknown option ${JSON.stringify(a)}`);
    } else {
      positional.push(a);
    }
  }
  // `tag.sh tag 1.0.0` habits: a leading "tag" word is the old sub-command, never a version.
  if (positional[0] === "tag") positional.shift();
  if (positional.length < 1 || positional.length > 2) throw new UsageError(`expected a version and an optional source, found ${JSON.stringify(positional)}`);
  return { version: positional[0], source: positional[1] ?? DEFAULT_RELEASE_SOURCE, stack };
}

/** The releases list with `entry` added, or its source replaced when the version is already there. */
export function upsertEntry(releases: readonly ReleaseEntry[], entry: ReleaseEntry): ReleaseEntry[] {
  const i = releases.findIndex((r) => r.version === entry.version);
  if (i < 0) return [...releases, entry];
  return releases.map((r, j) => (j === i ? { ...r, source: entry.source } : r));
}

export type UpsertAction = "added" | "updated" | "unchanged";

/**
 * Writes the entry into a stack file's text with the yaml Document API, so
 * comments, key order and the other entries stay as they are.
 */
export function upsertReleaseInStackFile(text: string, entry: ReleaseEntry, file = "stack file"): { text: string; action: UpsertAction; previous?: string } {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`${file}: not valid YAML: ${doc.errors[0].message}`);
  const path = ["config", RELEASES_KEY];
  const list = doc.getIn(path, true);
  if (list === undefined || list === null) {
    doc.setIn(path, doc.createNode([{ version: entry.version, source: entry.source }]));
    return { text: doc.toString(), action: "added" };
  }
  if (!isSeq(list)) throw new Error(`${file}: config.${RELEASES_KEY} is not a list; accepted: a list of {version, source}`);
  for (const item of list.items) {
    if (isMap(item) && String(item.get("version")) === entry.version) {
      const previous = item.get("source") === undefined ? DEFAULT_RELEASE_SOURCE : String(item.get("source"));
      if (previous === entry.source) return { text, action: "unchanged", previous };
      item.set("source", entry.source);
      return { text: doc.toString(), action: "updated", previous };
    }
  }
  list.add(doc.createNode({ version: entry.version, source: entry.source }));
  return { text: doc.toString(), action: "added" };
}

/** An executable named `name` on PATH, or undefined. */
export function findOnPath(name: string, path = process.env.PATH ?? ""): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The command; `pulumi` is the binary to preview with (null: none; by default
 * the one on PATH). Exit 1 when the release is invalid, with the stack file
 * left as it was.
 */
export function tagCommand(pulumi: string | null = findOnPath("pulumi") ?? null): Command<TagArgs> {
  return {
    name: "tag",
    usage: TAG_USAGE,
    parse: parseTagArgs,
    run: (args, { root, out, err }) => {
      const stack = args.stack ?? selectedStack(pulumi, root);
      if (!stack) throw new UsageError("no stack given and no selected pulumi stack: pass --stack <name>");
      const plan = loadStack(root, stack);
      const entry = { version: args.version, source: args.source };
      const { plans, problems } = checkReleases(upsertEntry(plan.releases, entry), plan);
      if (problems.length) {
        err(`not tagged: Pulumi.${stack}.yaml is unchanged.`);
        for (const p of problems) err(`  - ${formatProblem(p)}`);
        return EXIT.failed;
      }
      const release = plans.find((r) => r.version === args.version)!;
      const file = join(root, `Pulumi.${stack}.yaml`);
      const result = upsertReleaseInStackFile(readFileSync(file, "utf8"), entry, file);
      if (result.action !== "unchanged") writeFileSync(file, result.text);
      const source = plan.tiers.find((t) => t.tier === release.tier)!.tags[0];
      const what = { added: "added", updated: `updated (source was ${JSON.stringify(result.previous)})`, unchanged: "already there, unchanged" }[result.action];
      out(`${RELEASES_KEY} in Pulumi.${stack}.yaml: ${args.version} -> ${args.source} ${what}`);
      out(`  pulumi up points ${release.tag} at ${source}@sha256:<digest of tier ${release.tier}>`);
      if (!pulumi) {
        out(`note: no pulumi binary on PATH, so nothing was previewed; run: pulumi preview --diff --stack ${stack}`);
        return EXIT.ok;
      }
      out(`$ pulumi preview --diff --stack ${stack}`);
      const preview = spawnSync(pulumi, ["preview", "--diff", "--stack", stack], { cwd: root, stdio: "inherit" });
      return preview.status ?? EXIT.failed;
    },
  };
}

function selectedStack(pulumi: string | null, root: string): string | undefined {
  if (!pulumi) return undefined;
  const r = spawnSync(pulumi, ["stack", "--show-name"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}
