/**
 * Stack files (Pulumi.<stack>.yaml) read without the engine, for the commands
 * and the unit-test harness: the same `config:` map the engine would pass the
 * program, so parseConfig sees identical input either way.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

/** A `secure:` value: ciphertext only the engine can decrypt. */
export function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value;
}

/**
 * A stack file's `config:` as the engine passes it: strings as they are,
 * anything else as JSON text. Encrypted (`secure:`) values are skipped: outside
 * the engine they are ciphertext, and passing them on would make parseConfig
 * report a secret set in plaintext.
 */
export function readStackFile(root: string, stack: string): Record<string, string> {
  const path = join(root, `Pulumi.${stack}.yaml`);
  const doc = parse(readFileSync(path, "utf8")) as { config?: Record<string, unknown> } | null;
  return Object.fromEntries(
    Object.entries(doc?.config ?? {})
      .filter(([, v]) => !isSecure(v))
      .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

/**
 * The commands' shared arguments, `[stack] [--flag ...]`: the stack (default
 * dev) and the flags given. Unknown flags are refused rather than ignored, so
 * a typo never silently runs a weaker check.
 */
export function parseStackArgs(argv: readonly string[], known: readonly string[]): { stack: string; flags: Set<string> } {
  const flags = new Set<string>();
  const positional: string[] = [];
  for (const a of argv) {
    if (a.startsWith("-")) {
      if (!known.includes(a)) throw new Error(`unknown option ${a}; accepted: ${known.join(", ") || "(none)"}`);
      flags.add(a);
    } else {
      positional.push(a);
    }
  }
  if (positional.length > 1) throw new Error(`expected at most one stack name, found ${positional.map((p) => JSON.stringify(p)).join(", ")}`);
  return { stack: positional[0] ?? "dev", flags };
}
