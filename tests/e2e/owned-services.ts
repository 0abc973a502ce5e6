/**
 * A registry and a buildkitd that one suite starts, owns and may break. The
 * fault suite stops, kills and restarts them by pid, which it must never do to
 * the shared services scripts/toolchain-up.sh started (other suites and the
 * developer's dev stack use those).
 *
 * Both reuse the toolchain's pieces: the registry's TLS certificate (it names
 * registry.localhost, whatever the port) and htpasswd, and the buildkitd binary.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildxCommand } from "../../src/checks/toolchain";
import { REGISTRY, RUN_DIR, TOOLCHAIN_DIR } from "./toolchain";

const run = promisify(execFile);
const REGISTRY_HOST = REGISTRY.split(":")[0];
const TLS_DIR = join(RUN_DIR, "registry", "tls");

/** A TCP port nothing listens on right now, on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function until(what: string, timeoutMs: number, ready: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000}s`);
}

/** A daemon started by this process, with its output in a log file. */
class Daemon {
  private proc?: ChildProcess;
  private exited?: Promise<void>;

  constructor(
    private readonly name: string,
    private readonly command: string,
    private readonly args: string[],
    readonly log: string,
  ) {}

  get pid(): number | undefined {
    return this.proc?.exitCode === null && this.proc.signalCode === null ? this.proc.pid : undefined;
  }

  start(): void {
    if (this.pid) throw new Error(`${this.name} already runs (pid ${this.pid})`);
    const out = openSync(this.log, "a");
    const proc = spawn(this.command, this.args, { stdio: ["ignore", out, out] });
    closeSync(out);
    this.exited = new Promise((resolve) => proc.once("exit", () => resolve()));
    proc.once("error", () => undefined);
    this.proc = proc;
  }

  /** Sends the signal and waits until the process is gone, sending SIGKILL after `killAfterMs`, as a supervisor's stop timeout does. */
  async stop(signal: NodeJS.Signals = "SIGTERM", killAfterMs = 20_000): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.pid) return;
    proc.kill(signal);
    const killer = setTimeout(() => proc.kill("SIGKILL"), killAfterMs);
    await this.exited;
    clearTimeout(killer);
  }

  /** The log's last lines, for failure messages. */
  tail(lines = 15): string {
    return existsSync(this.log) ? readFileSync(this.log, "utf8").trimEnd().split("\n").slice(-lines).join("\n") : "(no log)";
  }
}

/**
 * The Debian `docker-registry` on its own port and storage, with the shared
 * registry's TLS and htpasswd, so the same user and password log in.
 */
export class OwnedRegistry {
  readonly address: string;
  private readonly daemon: Daemon;

  constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.address = `${REGISTRY_HOST}:${port}`;
    mkdirSync(join(dir, "data"), { recursive: true });
    copyFileSync(join(RUN_DIR, "registry", "htpasswd"), join(dir, "htpasswd"));
    writeFileSync(
      join(dir, "config.yml"),
      [
        "version: 0.1",
        "log:",
        "  level: info",
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${join(dir, "data")}`,
        "  delete:",
        "    enabled: true",
        "http:",
        `  addr: 127.0.0.1:${port}`,
        "  tls:",
        `    certificate: ${join(TLS_DIR, "server.pem")}`,
        `    key: ${join(TLS_DIR, "server.key")}`,
        "auth:",
        "  htpasswd:",
        "    realm: atlas-faults",
        `    path: ${join(dir, "htpasswd")}`,
        "",
      ].join("\n"),
    );
    this.daemon = new Daemon("registry", "docker-registry", ["serve", join(dir, "config.yml")], join(dir, "registry.log"));
  }

  get pid(): number | undefined {
    return this.daemon.pid;
  }

  async answers(): Promise<boolean> {
    try {
      return (await fetch(`https://${this.address}/v2/`, { signal: AbortSignal.timeout(2000) })).status === 401;
    } catch {
      return false;
    }
  }

  async start(): Promise<void> {
    this.daemon.start();
    await until(`registry ${this.address}`, 30_000, () => this.answers()).catch((e: Error) => {
      throw new Error(`${e.message}; its log:\n${this.daemon.tail()}`);
    });
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    await this.daemon.stop(signal);
  }

  /** Stops the registry and deletes its storage. */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The toolchain's buildkitd on its own socket, root (an empty layer cache) and
 * config, registered as a buildx builder of its own. It trusts the shared
 * registry (the stand-in base lives there) and the owned one.
 */
export class OwnedBuildkitd {
  readonly builder: string;
  readonly socket: string;
  private readonly root: string;
  private readonly daemon: Daemon;

  constructor(
    readonly dir: string,
    registries: string[],
    name: string,
  ) {
    this.builder = name;
    this.root = join(dir, "root");
    this.socket = join(dir, "buildkitd.sock");
    mkdirSync(dir, { recursive: true });
    const trust = registries.flatMap((r) => [`[registry."${r}"]`, "  http = false", `  ca = ["${join(TLS_DIR, "ca.pem")}"]`]);
    writeFileSync(
      join(dir, "buildkitd.toml"),
      ['[worker.oci]', "  enabled = true", '  networkMode = "host"', "[worker.containerd]", "  enabled = false", ...trust, ""].join("\n"),
    );
    const config = ["--config", join(dir, "buildkitd.toml"), "--root", this.root, "--addr", `unix://${this.socket}`];
    this.daemon = new Daemon("buildkitd", join(TOOLCHAIN_DIR, "bin", "buildkitd"), config, join(dir, "buildkitd.log"));
  }

  get pid(): number | undefined {
    return this.daemon.pid;
  }

  private buildx(...args: string[]) {
    const { cmd, args: prefix } = buildxCommand();
    return run(cmd, [...prefix, ...args], { timeout: 60_000 });
  }

  async start(): Promise<void> {
    rmSync(this.socket, { force: true });
    this.daemon.start();
    await until(`buildkitd ${this.socket}`, 60_000, () => existsSync(this.socket)).catch((e: Error) => {
      throw new Error(`${e.message}; its log:\n${this.daemon.tail()}`);
    });
    await this.buildx("rm", this.builder).catch(() => undefined);
    await this.buildx("create", "--name", this.builder, "--driver", "remote", `unix://${this.socket}`);
    await this.buildx("inspect", "--bootstrap", this.builder);
  }

  /** buildkitd waits for running builds on SIGTERM; `killAfterMs` is how long it may. */
  async stop(signal: NodeJS.Signals = "SIGTERM", killAfterMs?: number): Promise<void> {
    await this.daemon.stop(signal, killAfterMs);
  }

  /** Stops buildkitd, forgets the builder, and deletes its root (never through a leftover mount). */
  async remove(): Promise<void> {
    await this.stop();
    await this.buildx("rm", this.builder).catch(() => undefined);
    const mounts = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[1])
      .filter((m) => m?.startsWith(`${this.root}/`))
      .sort()
      .reverse();
    for (const m of mounts) await run("umount", ["-l", m]).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  tail(lines = 15): string {
    return this.daemon.tail(lines);
  }
}
