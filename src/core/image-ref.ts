/**
 * Docker image references: parsing and validation in one place, shared by the
 * config schema, the compatibility gate and the lab component.
 */

// The grammar of distribution/reference: [host[:port]/]path[:tag][@digest].
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const HOST = "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?";
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "sha256:[a-f0-9]{64}";
const TAG_RE = new RegExp(`^${TAG}$`);
const REF_RE = new RegExp(`^(?:(${HOST})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);

export interface ImageRef {
  /** Registry host, when the reference names one (a first part with a dot, a colon or `localhost`). */
  host?: string;
  path: string;
  tag?: string;
  digest?: string;
}

export function parseImageRef(ref: string): ImageRef | undefined {
  const m = REF_RE.exec(ref);
  if (!m) return undefined;
  const [, rawHost, rawPath, tag, digest] = m;
  let host: string | undefined = rawHost;
  let path = rawPath;
  // "library/python" has no host: a first component is a host only if it looks like one.
  if (host && !/[.:]|^localhost$/.test(host) && host.toLowerCase() === host) {
    path = `${host}/${path}`;
    host = undefined;
  }
  if (!path) return undefined;
  return { host, path, tag, digest };
}

export function isImageRef(ref: string): boolean {
  return parseImageRef(ref) !== undefined;
}

/** A registry server: host, optional port, nothing else. */
export function isRegistryServer(server: string): boolean {
  return new RegExp(`^${HOST}$`).test(server);
}

/** A repository path inside a registry (no tag, no digest). */
export function isRepositoryPath(repo: string): boolean {
  return new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`).test(repo);
}

/** A docker tag (distribution/reference): word characters, dots and dashes, at most 128. */
export function isImageTag(tag: string): boolean {
  return TAG_RE.test(tag);
}
