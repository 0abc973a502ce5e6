/**
 * The pulumi CLI run as a user runs it, in its own process group, so a test
 * can interrupt it the way a terminal (SIGINT) or a CI runner's kill (SIGKILL
 * to the group) would, and then look for anything left running.
 */
import { execFileSync, spawn } from "node:child_process";

/** Where the CLI runs and with which backend: a TempProject, or any such pair. */
export interface CliProject {
  dir: string;
  envVars: Record<string, string>;
}

export interface CliResult {
  /** Exit code; null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they arrived. */
  output: string;
  /** Processes of the CLI's group still alive once the CLI exited: pids with their command names. */
  leftovers: string[];
}

/**
 * Called with the output so far each time more arrives, and the CLI's process
 * group id: `process.kill(-pgid, …)` signals the CLI, its language host,
 * program and plugins at once, as a CI runner's kill does.
 */
export type Watch = (output: string, pgid: number) => void;

/** Live members of a process group, as "pid comm" lines (`ps` reads /proc). */
export function processGroup(pgid: number): string[] {
  const out = execFileSync("ps", ["-eo", "pid=,pgid=,stat=,comm="], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter(([, group, stat]) => Number(group) === pgid && stat !== undefined && !stat.startsWith("Z"))
    .map(([pid, , , comm]) => `${pid} ${comm}`);
}

export function pulumiCli(project: CliProject, args: string[], watch?: Watch, timeoutMs = 20 * 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", [...args, "--non-interactive", "--color", "never"], {
      cwd: project.dir,
      env: { ...process.env, ...project.envVars },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const pgid = child.pid!;
    let output = "";
    const timer = setTimeout(() => {
      process.kill(-pgid, "SIGKILL");
      reject(new Error(`pulumi ${args.join(" ")} ran over ${timeoutMs / 60_000} minutes; killed. Output's tail:\n${output.slice(-3000)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      watch?.(output, pgid);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, leftovers: processGroup(pgid) });
    });
  });
}
