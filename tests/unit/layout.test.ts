/** The README's layout table against the tree: every module under src/ named, none that is gone. */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness";

describe("README layout", () => {
  it("names every module under src/, and no other", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("## Layout"), readme.indexOf("## Toolchain notes"));
    const named = [...table.matchAll(/^\| `(src\/[^`]+)` \|/gm)].map((m) => m[1]).sort();
    const tree = (readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" }) as string[])
      .filter((f) => f.endsWith(".ts"))
      .map((f) => `src/${f}`)
      .sort();
    expect(named).toEqual(tree);
  });
});
