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
