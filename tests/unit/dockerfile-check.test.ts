import { describe, expect, it } from "vitest";
import { dockerfileFindings, expectedStages, readDockerfileFindings } from "../../src/checks/dockerfile";
import { SMOKE, TIERS } from "../../src/core/tiers";
import { committed, tempProject } from "./check-fixtures";
import { ROOT } from "./harness";

const DOCKERFILE = committed("docker/Dockerfile");
const messages = (text: string) => dockerfileFindings(text).filter((f) => f.severity === "fail").map((f) => f.message);

/** The committed Dockerfile with one edit; the edit must apply, or the test proves nothing. */
function edited(from: string, to: string): string {
  expect(DOCKERFILE).toContain(from);
  return DOCKERFILE.replace(from, to);
}

const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.startsWith(needle)) + 1;

describe("Dockerfile against tiers.ts", () => {
  it("the committed Dockerfile matches the model", () => {
    expect(readDockerfileFindings(ROOT)).toEqual([expect.objectContaining({ severity: "pass", check: "dockerfile" })]);
  });

  it("expects a stage per tier and the smoke stage, with the model's args", () => {
    expect(expectedStages().map((s) => [s.stage, s.buildArgs])).toEqual([...TIERS.map((t) => [t.stage, t.buildArgs]), [SMOKE.stage, SMOKE.buildArgs]]);
  });

  it("a missing stage fails, listing the stages found", () => {
    expect(messages(edited("FROM atlas-llm AS full", "FROM atlas-llm AS accel"))).toEqual([
      'docker/Dockerfile: no stage "full", which tier full (tiers.ts TIERS) builds; stages found: base, llm, accel, smoke',
    ]);
  });

  it("an ARG the model does not pass fails, naming the stage and both lines", () => {
    const text = edited("FROM atlas-base AS llm\nARG MAX_JOBS=2\n", "FROM atlas-base AS llm\nARG MAX_JOBS=2\nARG USER_UID=1000\n");
    const from = lineOf(text, "FROM atlas-base AS llm");
    expect(messages(text)).toEqual([
      `docker/Dockerfile: stage llm (line ${from}) declares ARG USER_UID (line ${from + 2}), which tier llm (tiers.ts TIERS) does not pass (it passes: MAX_JOBS); the stage would always use its default`,
    ]);
  });

  it("a model arg the stage does not declare fails", () => {
    const text = edited("FROM atlas-llm AS full\nARG MAX_JOBS=2\n", "FROM atlas-llm AS full\n");
    expect(messages(text)).toEqual([
      `docker/Dockerfile: stage full (line ${lineOf(text, "FROM atlas-llm AS full")}) does not declare ARG MAX_JOBS, which tier full (tiers.ts TIERS) passes; it would show in \`preview --diff\` and rebuild the stage for nothing`,
    ]);
  });

  it("a build arg used without ARG in the stage fails: Docker expands it to empty", () => {
    const text = edited("FROM atlas-base AS llm\nARG MAX_JOBS=2\n", 'FROM atlas-base AS llm\nARG MAX_JOBS=2\nRUN echo "home of ${USERNAME}"\n');
    const from = lineOf(text, "FROM atlas-base AS llm");
    expect(messages(text)).toEqual([expect.stringMatching(new RegExp(`^docker/Dockerfile: stage llm \\(line ${from}\\) uses \\$\\{USERNAME\\} on line ${from + 2} without`))]);
    expect(messages(text)[0]).toMatch(/ without declaring ARG USERNAME in the stage; Docker expands it to an empty string$/);
  });

  it("an upper stage must start FROM the parent's context name", () => {
    expect(messages(edited("FROM atlas-llm AS full", "FROM atlas-base AS full"))).toEqual([
      expect.stringMatching(/stage full \(line \d+\) starts FROM atlas-base; tier full \(tiers.ts TIERS\) expects FROM atlas-llm/),
    ]);
  });

  it("tier 0 must start from its base-image arg; the smoke stage from its own", () => {
    expect(messages(edited("FROM ${BASE_IMAGE} AS base", "FROM ubuntu:24.04 AS base"))).toEqual([
      expect.stringMatching(/stage base \(line \d+\) starts FROM ubuntu:24.04, which reads none of its build args .*; the configured base image would be ignored/),
      expect.stringMatching(/stage base \(line \d+\) does not declare ARG BASE_IMAGE/),
    ]);
    expect(messages(edited("FROM ${SMOKE_BASE_IMAGE} AS smoke", "FROM ${BASE_IMAGE} AS smoke"))).toEqual([
      expect.stringMatching(/stage smoke \(line \d+\) starts FROM \$\{BASE_IMAGE\}, which reads none of its build args/),
      expect.stringMatching(/stage smoke \(line \d+\) declares ARG BASE_IMAGE \(line \d+\), which the smoke stage \(tiers.ts SMOKE\) does not pass/),
      expect.stringMatching(/stage smoke \(line \d+\) does not declare ARG SMOKE_BASE_IMAGE/),
    ]);
  });

  it("a stage that never installs its requirements file fails", () => {
    expect(messages(edited("--hold /tmp/atlas-requirements/requirements-accel.txt", "--hold /tmp/atlas-requirements/requirements-llm.txt"))).toEqual([
      expect.stringMatching(/stage full \(line \d+\) never mentions requirements-accel.txt, the file tier full \(tiers.ts TIERS\) installs/),
    ]);
  });

  it("a Dockerfile that cannot be read fails instead of crashing", () => {
    expect(readDockerfileFindings(tempProject({ "docker/Dockerfile": null }))).toEqual([
      expect.objectContaining({ severity: "fail", message: expect.stringMatching(/^docker\/Dockerfile: cannot be read/) }),
    ]);
  });
});
