/**
 * The one entry convention of the commands in bin/: each is a Command (a name,
 * a usage line, an argument parser and a run function living beside its logic
 * in src/), and bin/<name>.ts only hands it to main. Exit codes mean one thing
 * everywhere: 0 done, 1 a check failed or a release is invalid, 2 the command
 * could not run (bad arguments, an unknown stack, an unreadable file).
 */
import { join } from "node:path";

export const EXIT = { ok: 0, failed: 1, error: 2 } as const;

/** The checkout the commands read: bin/ and src/ sit in it. */
export const PROJECT_ROOT = join(__dirname, "..", "..");

/** Arguments the command does not accept: reported with its usage line. */
export class UsageError extends Error {}

/** Where a command reads and prints; tests pass their own. */
export interface CommandIO {
  root: string;
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface Command<A> {
  /** Prefixes its error lines: "check: …". */
  name: string;
  usage: string;
  /** Throws UsageError for arguments it does not accept. */
  parse(argv: readonly string[]): A;
  /** The exit code; UsageError and any other throw become EXIT.error. */
  run(args: A, io: CommandIO): number | Promise<number>;
}

export interface StackArgs {
  stack: string;
  flags: Set<string>;
}

/**
 * `[stack] [--flag ...]`: the stack (default dev) and the flags given. Unknown
 * flags are refused rather than ignored, so a typo never silently runs a
 * weaker check.
 */
export function parseStackArgs(argv: readonly string[], known: readonly string[]): StackArgs {
  const flags = new Set<string>();
  const positional: string[] = [];
  for (const a of argv) {
    if (a.startsWith("-")) {
      if (!known.includes(a)) throw new UsageError(`unknown option ${a}; accepted: ${known.join(", ") || "(none)"}`);
      flags.add(a);
    } else {
      positional.push(a);
    }
  }
  if (positional.length > 1) throw new UsageError(`expected at most one stack name, found ${positional.map((p) => JSON.stringify(p)).join(", ")}`);
  return { stack: positional[0] ?? "dev", flags };
}

/** A command over `[stack] [--flag ...]`, the arguments of every command but tag. */
export function stackCommand(name: string, usage: string, flags: readonly string[], run: Command<StackArgs>["run"]): Command<StackArgs> {
  return { name, usage, parse: (argv) => parseStackArgs(argv, flags), run };
}

const processIO: CommandIO = { root: PROJECT_ROOT, out: (line) => console.log(line), err: (line) => console.error(line) };

/** Runs a command to its exit code; it never throws. */
export async function runCommand<A>(command: Command<A>, argv: readonly string[], io: CommandIO = processIO): Promise<number> {
  try {
    return await command.run(command.parse(argv), io);
  } catch (e) {
    const usage = e instanceof UsageError ? `\n${command.usage}` : "";
    io.err(`${command.name}: ${(e as Error).message}${usage}`);
    return EXIT.error;
  }
}

/** The whole of a bin/ file: run the command on this process's arguments and exit with its code. */
export function main<A>(command: Command<A>): void {
  void runCommand(command, process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
