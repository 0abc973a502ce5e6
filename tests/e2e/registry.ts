/** Asks the local registry (Docker Registry HTTP API v2, basic auth) what it holds. */
import { REGISTRY, REGISTRY_USER } from "./toolchain";

const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

export interface Manifest {
  digest: string;
  mediaType: string;
  layers?: { digest: string }[];
  manifests?: { digest: string; platform?: { os: string; architecture: string } }[];
}

/** The images a reference stands for: an index's entries, or the manifest itself. */
export function imageTargets(m: Manifest): string[] {
  return m.manifests ? m.manifests.map((d) => d.digest) : [m.digest];
}

export class Registry {
  constructor(
    private readonly password: string,
    private readonly address = REGISTRY,
  ) {}

  private async request(path: string, method = "GET"): Promise<Response> {
    const auth = Buffer.from(`${REGISTRY_USER}:${this.password}`).toString("base64");
    return fetch(`https://${this.address}/v2/${path}`, { method, headers: { Authorization: `Basic ${auth}`, Accept: MANIFEST_TYPES } });
  }

  private get(path: string): Promise<Response> {
    return this.request(path);
  }

  /** Deletes a manifest, and with it every tag that points at it, as an out-of-band cleanup would. */
  async deleteManifest(repository: string, digest: string): Promise<void> {
    const res = await this.request(`${repository}/manifests/${digest}`, "DELETE");
    if (res.status !== 202) throw new Error(`registry DELETE ${repository}/manifests/${digest}: ${res.status} ${await res.text()}`);
  }

  /** The manifest a tag or digest points at, or undefined on 404. */
  async manifest(repository: string, reference: string): Promise<Manifest | undefined> {
    const res = await this.get(`${repository}/manifests/${reference}`);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`registry GET ${repository}/manifests/${reference}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as Omit<Manifest, "digest">;
    return { ...body, digest: res.headers.get("docker-content-digest") ?? "" };
  }

  /** Layer digests of the linux/amd64 image behind a reference (through an index if needed). */
  async layers(repository: string, reference: string): Promise<string[]> {
    const m = await this.manifest(repository, reference);
    if (!m) throw new Error(`${repository}@${reference} is not in the registry`);
    if (m.layers) return m.layers.map((l) => l.digest);
    const image = m.manifests?.find((d) => d.platform?.os === "linux" && d.platform.architecture === "amd64") ?? m.manifests?.[0];
    if (!image) throw new Error(`${repository}@${reference}: an index with no manifests`);
    return this.layers(repository, image.digest);
  }
}
