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

export class Registry {
  constructor(private readonly password: string) {}

  private async get(path: string): Promise<Response> {
    const auth = Buffer.from(`${REGISTRY_USER}:${this.password}`).toString("base64");
    return fetch(`https://${REGISTRY}/v2/${path}`, { headers: { Authorization: `Basic ${auth}`, Accept: MANIFEST_TYPES } });
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
