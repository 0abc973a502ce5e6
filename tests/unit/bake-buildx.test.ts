/**
 * The real buildx resolves each committed stack's bake file (`bake --print`),
 * and what it would build must equal what the program registers, field by
 * field. Needs buildx: $ATLAS_TOOLCHAIN_DIR/bin/buildx (default
 * ~/.cache/atlas-toolchain/bin/buildx) or `docker buildx`. In CI (CI=true) a
 * missing buildx fails this file; elsewhere it is skipped, loudly.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bakeFile } from "../../src/export/bake";
import { committedStacks, loadStack } from "../../src/core/stacks";
import { SMOKE, TIER_NAMES } from "../../src/core/tiers";
import { bakePrint, findBuildx, fromBake, fromProgram } from "./bake-compare";
import { planFromStackFile, ROOT, runProgram, scratchCaBundle, TYPE, useScratchDirs } from "./harness";

/** Temporary dirs of this file, removed after it. */
const scratch = useScratchDirs();


const buildx = findBuildx();
const inCI = process.env.CI === "true";

if (!buildx && !inCI) {
  console.warn(
    [
      "",
      "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
      "!!  SKIPPED: bake --print against the real buildx. No buildx found at",
      `!!  ${join(process.env.ATLAS_TOOLCHAIN_DIR ?? "~/.cache/atlas-toolchain", "bin", "buildx")} nor as \`docker buildx\`.`,
      "!!  Build it with scripts/build-tools.sh buildx. With CI=true this test FAILS instead.",
      "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
      "",
    ].join("\n"),
  );
}

describe.skipIf(!buildx && !inCI)("buildx bake --print resolves each committed stack to the program's builds", () => {
  it("buildx is available", () => {
    expect(buildx, "no buildx: set ATLAS_TOOLCHAIN_DIR or build it with scripts/build-tools.sh buildx; CI must run this test").toBeDefined();
  });

  // Its own buildx config dir: --print needs no builder, and the user's stays untouched.
  const env = { ...process.env, BUILDX_CONFIG: scratch(join(tmpdir(), "atlas-buildx-")) };

  it.each(committedStacks(ROOT))("%s", async (stack) => {
    const file = join(scratch(join(tmpdir(), "atlas-bake-")), "docker-bake.json");
    writeFileSync(file, JSON.stringify(bakeFile(loadStack(ROOT, stack)), null, 2));
    const printed = bakePrint(buildx!, file, ROOT, ["default", "smoke"], env);

    const run = await runProgram({ stack });
    const images = run.byType(TYPE.image);
    const tiers = images.map((i) => i.name.replace(/^atlas-/, ""));
    expect(Object.keys(printed.target).sort()).toEqual([...tiers, "smoke"].sort());
    for (const image of images) {
      const tier = image.name.replace(/^atlas-/, "");
      expect(fromBake(printed.target[tier]), `${stack}/${tier}`).toEqual(fromProgram(image, TIER_NAMES));
    }
    const smoke = printed.target.smoke;
    expect(smoke.target).toBe(SMOKE.stage);
    expect(Object.keys(smoke.args).sort()).toEqual([...SMOKE.buildArgs].sort());
    expect(smoke.output).toEqual([{ type: "cacheonly" }]);
  });

  it("llm with a CA bundle: buildx reads the secret field as the program's secret id", async () => {
    const { pem, overrides } = scratchCaBundle(scratch);
    const plan = planFromStackFile("llm", overrides);
    const file = join(scratch(join(tmpdir(), "atlas-bake-")), "docker-bake.json");
    writeFileSync(file, JSON.stringify(bakeFile(plan)));
    const printed = bakePrint(buildx!, file, ROOT, ["default"], env);
    const run = await runProgram({ stack: "llm", config: overrides });
    for (const image of run.byType(TYPE.image)) {
      const tier = image.name.replace(/^atlas-/, "");
      expect(printed.target[tier].secret).toEqual([{ id: "ca-certificates", src: pem }]);
      expect(fromBake(printed.target[tier])).toEqual(fromProgram(image, TIER_NAMES));
    }
  });
});
