/**
 * LabToken: a JupyterLab token generated once per stack and kept, encrypted,
 * in the stack's state. @pulumi/random would do this but is not a dependency,
 * so this is a minimal dynamic resource.
 *
 * - The provider's create draws the token (crypto.randomBytes). Nothing is ever
 *   a change afterwards, so updates and refreshes keep it; `pulumi up --replace`
 *   on the resource draws a new one.
 * - The program passes a random placeholder `value` as an input, ignored by the
 *   engine after the first run (`ignoreChanges`) and by create. It only keeps the
 *   output known where create does not run: in a preview of a new stack, where
 *   the URL would otherwise be unknown, and in mock tests.
 */
import * as pulumi from "@pulumi/pulumi";
import { randomBytes } from "node:crypto";

export interface TokenState {
  value: string;
}

/** Random bytes in a token; the token is their hex, like Jupyter's own. */
export const TOKEN_BYTES = 24;

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString("hex");
}

/**
 * The provider is serialized into the state (`__provider`): its functions
 * capture nothing from this module, and load crypto themselves.
 */
export const tokenProvider: pulumi.dynamic.ResourceProvider<TokenState, TokenState> = {
  async create() {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const crypto = require("node:crypto") as typeof import("node:crypto");
    // 24 is TOKEN_BYTES, written out so the serialized provider needs nothing from this module.
    return { id: crypto.randomUUID(), outs: { value: crypto.randomBytes(24).toString("hex") } };
  },
  // Never a change: the placeholder input differs from the drawn token by
  // design, and the serialized provider text (an input too) changes with SDK
  // versions; neither may rotate the token.
  async diff() {
    return { changes: false };
  },
  async update(_id: string, olds: TokenState) {
    return { outs: { value: olds.value } };
  },
  async read(id: string, props?: TokenState) {
    return { id, props };
  },
};

export class LabToken extends pulumi.dynamic.Resource {
  // `declare`: a class field would overwrite the output the base class sets.
  declare readonly value: pulumi.Output<string>;

  constructor(name: string, opts?: pulumi.CustomResourceOptions) {
    super(
      tokenProvider,
      name,
      { value: pulumi.secret(newToken()) },
      {
        ...opts,
        ignoreChanges: ["value"],
        // Encrypted in the state and masked in every diff and log.
        additionalSecretOutputs: ["value"],
      },
      "lab",
      "Token",
    );
  }
}
