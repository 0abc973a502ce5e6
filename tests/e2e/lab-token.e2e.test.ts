/**
 * The lab token on the real engine: generated once per stack by the dynamic
 * provider, kept across updates, and a secret in outputs and state.
 */
import { afterAll, describe, expect, it } from "vitest";
import { TempProject, upOrExplain } from "./stack";
import { e2eSkipped } from "./toolchain";

const skipped = e2eSkipped();

describe.skipIf(skipped)("the JupyterLab token (dynamic resource) on the real engine", () => {
  const project = new TempProject();
  afterAll(() => project.remove());

  it("is generated once, survives updates unchanged, and is a secret in outputs and state", async () => {
    const stack = await project.stack(`token-${project.id}`, "tests/e2e/fixtures/lab-token");
    const first = await upOrExplain(stack);
    expect(first.outputs.value.secret).toBe(true);
    const token = first.outputs.value.value as string;
    expect(token).toMatch(/^[0-9a-f]{48}$/);

    const second = await upOrExplain(stack);
    expect(second.outputs.value.value).toBe(token);
    expect(Object.keys(second.summary.resourceChanges ?? {}).filter((op) => op !== "same")).toEqual([]);

    // The state as stored by the file backend (the Automation API's export
    // decrypts secrets, so it is read from disk): the token only as ciphertext.
    const stored = project.storedState(`token-${project.id}`);
    expect(stored).toContain("ciphertext");
    expect(stored).not.toContain(token);

    await stack.destroy({ color: "never", onOutput: () => undefined });
  });
});
