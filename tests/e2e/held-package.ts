/**
 * A Python package served from this process whose download is held until the
 * test lets it go. Put in a tier's requirements as a direct URL, it stops that
 * tier's pip install at a known point: "in the middle of tier 1's build" is
 * then a fact the server sees, not a guess from build output that arrives late.
 * Builds reach it on 127.0.0.1 (the builders run steps on the host network).
 */
import { execFileSync } from "node:child_process";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const NAME = "atlas_fault_probe";

/** A minimal pure-Python wheel, built by the host's python3 (zipfile and hashlib only). */
function wheel(version: string): Buffer {
  const script = `
import base64, hashlib, io, sys, zipfile
name, version = sys.argv[1], sys.argv[2]
info = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": f"VERSION = {version!r}\\n",
    f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {name.replace('_', '-')}\\nVersion: {version}\\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: atlas-e2e\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
out = io.BytesIO()
with zipfile.ZipFile(out, "w") as z:
    for path, text in files.items():
        data = text.encode()
        z.writestr(path, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    z.writestr(f"{info}/RECORD", "\\n".join(record) + "\\n")
sys.stdout.buffer.write(out.getvalue())
`;
  return execFileSync("python3", ["-c", script, NAME, version], { maxBuffer: 1 << 20 });
}

interface Hold {
  requested: Promise<void>;
  onRequest: () => void;
  released: Promise<void>;
  release: () => void;
}

export class HeldPackage {
  private server?: Server;
  private readonly holds = new Map<string, Hold>();
  private readonly waiting = new Set<ServerResponse>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const m = new RegExp(`^/${NAME}-([0-9.]+)-py3-none-any\\.whl$`).exec(req.url ?? "");
      if (!m) {
        res.writeHead(404).end();
        return;
      }
      const hold = this.hold(m[1]);
      hold.onRequest();
      this.waiting.add(res);
      res.once("close", () => this.waiting.delete(res));
      void hold.released.then(() => {
        if (res.destroyed) return;
        const body = wheel(m[1]);
        // pip must ask again next time, never answer from its HTTP cache.
        res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": body.length, "Cache-Control": "no-store" }).end(body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
  }

  private hold(version: string): Hold {
    let hold = this.holds.get(version);
    if (!hold) {
      let onRequest!: () => void;
      let release!: () => void;
      const requested = new Promise<void>((r) => (onRequest = r));
      const released = new Promise<void>((r) => (release = r));
      hold = { requested, onRequest, released, release };
      this.holds.set(version, hold);
    }
    return hold;
  }

  /** The requirements line for one version; each version is downloaded (and held) afresh. */
  requirement(version: string): string {
    const { port } = this.server!.address() as AddressInfo;
    return `${NAME.replace(/_/g, "-")} @ http://127.0.0.1:${port}/${NAME}-${version}-py3-none-any.whl`;
  }

  /** Resolves once pip asked for this version: the build is in that install step. */
  requested(version: string): Promise<void> {
    return this.hold(version).requested;
  }

  /** Lets that download, and any later one of the version, through. */
  release(version: string): void {
    this.hold(version).release();
  }

  async stop(): Promise<void> {
    for (const hold of this.holds.values()) hold.release();
    for (const res of this.waiting) res.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
