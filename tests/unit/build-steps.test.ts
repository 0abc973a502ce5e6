import { describe, expect, it } from "vitest";
import { stepsRun } from "../../scripts/build-steps";

// Lines as BuildKit printed them in `npm run bench` (P2), one committed change to requirements-accel.txt.
const BAKE = `#13 [full base 1/6] FROM registry.localhost:5000/atlas-standin/debian-python@sha256:70475d52
#13 DONE 0.0s
#19 [full base 2/6] RUN set -eux; groupadd --gid "1000" "atlas"
#19 CACHED
#25 [llm base 6/6] COPY --chown=root:root --chmod=0755 atlas-lab atlas-healthcheck /usr/local/bin/
#25 CACHED
#27 [full llm 1/2] RUN atlas-pip-install --hold /tmp/atlas-requirements/requirements-llm.txt
#27 CACHED
#32 [full full 1/2] RUN atlas-pip-install --hold /tmp/atlas-requirements/requirements-accel.txt
#32 DONE 3.2s
`;

const PROGRAM = ` ~  docker-build:index:Image atlas-full updating (0s) [diff: ~contextHash]; #8 [context atlas-llm] registry.localhost:5000/bench/atlas:v0.6-llm@sha256:7e7a01dd
 ~  docker-build:index:Image atlas-full updating (0s) [diff: ~contextHash]; #8 CACHED
 ~  docker-build:index:Image atlas-full updating (0s) [diff: ~contextHash]; #12 [full 1/2] RUN atlas-pip-install --hold /tmp/atlas-requirements/requirements-accel.txt
 ~  docker-build:index:Image atlas-full updating (1s) [diff: ~contextHash]; #12 DONE 1.1s
 ~  docker-build:index:Image atlas-llm updating (0s); #12 [llm 1/2] RUN atlas-pip-install --hold /tmp/atlas-requirements/requirements-llm.txt
 ~  docker-build:index:Image atlas-llm updating (0s); #12 CACHED
`;

describe("stepsRun (npm run bench, P2)", () => {
  it("counts the steps that ran in bake's output, not the cached ones nor the FROM of a re-solved lower tier", () => {
    expect(stepsRun(BAKE)).toBe(1);
  });

  it("keeps the program's per-Image step numbers apart: #12 ran in atlas-full and was cached in atlas-llm", () => {
    expect(stepsRun(PROGRAM)).toBe(1);
  });

  it("counts every uncached step", () => {
    expect(stepsRun(BAKE.replace("#19 CACHED", "#19 DONE 2.0s"))).toBe(2);
    expect(stepsRun(PROGRAM.replace("atlas-llm updating (0s); #12 CACHED", "atlas-llm updating (0s); #12 DONE 1.0s"))).toBe(2);
  });
});
