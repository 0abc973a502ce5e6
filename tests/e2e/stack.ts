/**
 * A throwaway copy of the project with its own file state backend and stack,
 * so no committed stack file or state is touched (the Automation API rewrites
 * Pulumi.yaml and deletes stack files it is told to remove).
 */
import { LocalWorkspace, Stack, type EngineEvent, type UpResult } from "@pulumi/pulumi/automation";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { isSecure } from "../../src/core/stack-file";

const ROOT = join(__dirname, "..", "..");
const COPIED = ["index.ts", "Pulumi.yaml", "package.json", "tsconfig.json", "VERSION", "src", "docker", "requirements", "constraints", "bin", "tests/e2e/fixtures"];

export type RequirementSets = Record<string, { file: string; lines: string[]; imports: string[] }>;

/** Small but real requirement sets from PyPI, JupyterLab in tier 0; all pinned. */
export const E2E_REQUIREMENTS: RequirementSets = {
  base: { file: "requirements.txt", lines: ["jupyterlab==4.5.0"], imports: ["jupyterlab", "jupyter_server"] },
  llm: { file: "requirements-llm.txt", lines: ["six==1.17.0"], imports: ["six"] },
  full: { file: "requirements-accel.txt", lines: ["tabulate==0.9.0"], imports: ["tabulate"] },
};

/** Tiny pure-Python sets: each tier builds in seconds, for suites about the chain rather than the packages. */
export const SMALL_REQUIREMENTS: RequirementSets = {
  base: { file: "requirements.txt", lines: ["six==1.17.0"], imports: ["six"] },
  llm: { file: "requirements-llm.txt", lines: ["tabulate==0.9.0"], imports: ["tabulate"] },
  full: { file: "requirements-accel.txt", lines: ["toolz==1.0.0"], imports: ["toolz"] },
};

export class TempProject {
  readonly dir: string;
  readonly id = randomBytes(4).toString("hex");
  private readonly passphrase = randomBytes(16).toString("hex");

  constructor(requirements: RequirementSets = E2E_REQUIREMENTS) {
    this.dir = mkdtempSync(join(tmpdir(), "atlas-e2e-"));
    for (const entry of COPIED) if (existsSync(join(ROOT, entry))) cpSync(join(ROOT, entry), join(this.dir, entry), { recursive: true });
    symlinkSync(join(ROOT, "node_modules"), join(this.dir, "node_modules"));
    mkdirSync(join(this.dir, ".state"));
    for (const { file, lines } of Object.values(requirements)) this.writeRequirements(file, lines);
  }

  writeRequirements(file: string, lines: string[]): void {
    writeFileSync(join(this.dir, "requirements", file), `# e2e set\n${lines.join("\n")}\n`);
  }

  get envVars(): Record<string, string> {
    return {
      PULUMI_BACKEND_URL: `file://${join(this.dir, ".state")}`,
      PULUMI_CONFIG_PASSPHRASE: this.passphrase,
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      PULUMI_SKIP_UPDATE_CHECK: "true",
    };
  }

  /** A stack of the project, or of a fixture program under it (a path relative to the project). */
  async stack(name: string, program = "."): Promise<Stack> {
    return LocalWorkspace.createOrSelectStack({ stackName: name, workDir: join(this.dir, program) }, { envVars: this.envVars });
  }

  /** The stack's checkpoint as the file backend stores it (secrets encrypted). */
  storedState(stack: string): string {
    const root = join(this.dir, ".state", ".pulumi", "stacks");
    const found = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(`${stack}.json`));
    if (found.length !== 1) throw new Error(`expected one checkpoint for ${stack} under ${root}, found ${JSON.stringify(found)}`);
    return readFileSync(join(root, found[0]), "utf8");
  }

  /**
   * Writes the plain part of a stack's config as YAML (objects stay objects,
   * as Pulumi.yaml declares them), keeping the secrets and the salt that
   * `setConfig --secret` put there.
   */
  writeConfig(stack: string, config: Record<string, unknown>): void {
    const file = join(this.dir, `Pulumi.${stack}.yaml`);
    const existing = existsSync(file) ? ((parse(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown>; encryptionsalt?: string }) : {};
    const secure = Object.fromEntries(
      Object.entries(existing.config ?? {}).filter(([, v]) => isSecure(v)),
    );
    writeFileSync(file, stringify({ ...(existing.encryptionsalt ? { encryptionsalt: existing.encryptionsalt } : {}), config: { ...config, ...secure } }));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * `up` that, when it fails, fails with what the engine reported as errors and
 * the output's last lines, short enough to read in a CI log's tail (the
 * Automation API's own error carries the whole output).
 */
export async function upOrExplain(stack: Stack, onOutput: (out: string) => void = () => undefined): Promise<UpResult> {
  const lines: string[] = [];
  const errors: string[] = [];
  const onEvent = (e: EngineEvent) => {
    const d = e.diagnosticEvent;
    if (d && d.severity === "error") errors.push(`${d.urn ? `${d.urn.split("::").pop()}: ` : ""}${d.message.trim()}`);
  };
  try {
    return await stack.up({
      color: "never",
      onEvent,
      onOutput: (out) => {
        lines.push(out);
        onOutput(out);
      },
    });
  } catch (err) {
    const tail = lines.join("").trimEnd().split("\n").slice(-25).join("\n");
    // No `cause`: vitest would print it, and it holds the whole build output.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(
      `pulumi up failed.\nErrors the engine reported:\n${errors.join("\n") || `(none; the command said: ${String(err).slice(0, 2000)})`}\n` +
        `Last lines of its output:\n${tail}`,
    );
  }
}
