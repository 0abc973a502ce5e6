/**
 * TierImages: one docker-build Image per tier of a StackPlan, each upper tier
 * built on the lower tier's pushed ref (tag@sha256:…), never on a mutable tag.
 */
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { CA_CERTIFICATES_SECRET, PIP_INDEX_SECRET, REQUIREMENTS_CONTEXT_NAME, StackPlan, TierPlan } from "../core/plan";
import { TierName } from "../core/tiers";
import { cacheFromArg, cacheToArg } from "./caches";

export interface RegistryCredentials {
  address: string;
  username: string;
  password: pulumi.Input<string>;
}

export interface TierImagesArgs {
  plan: StackPlan;
  /** Pushed with these; without them the provider uses the host's docker login. */
  credentials?: RegistryCredentials;
  /** A private package index URL (token included), passed as a BuildKit secret. */
  pipIndexUrl?: pulumi.Input<string>;
}

export interface TierOutputs {
  ref: pulumi.Output<string>;
  digest: pulumi.Output<string>;
  tags: string[];
}

/** The registry login for the stack's pushes: atlas:registry.username with the atlas:registryPassword secret. */
export function registryCredentials(plan: StackPlan, password: pulumi.Input<string> | undefined): RegistryCredentials | undefined {
  const username = plan.registry?.username;
  return plan.registry && username && password ? { address: plan.registry.server, username, password } : undefined;
}

export class TierImages extends pulumi.ComponentResource {
  readonly images: Partial<Record<TierName, dockerbuild.Image>> = {};
  readonly outputs: Partial<Record<TierName, TierOutputs>> = {};

  constructor(name: string, args: TierImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    // Before super(): an unreadable CA bundle registers nothing.
    const secrets = buildSecrets(args);
    super("atlas:images:TierImages", name, {}, opts);
    const { plan } = args;
    let below: dockerbuild.Image | undefined;
    for (const tier of plan.tiers) {
      const image = new dockerbuild.Image(`${name}-${tier.tier}`, imageArgs(plan, tier, below, args, secrets), {
        parent: this,
        // Stacks that push the same content share digests: deleting one stack's
        // image would delete what another stack, or a user, still pulls.
        retainOnDelete: plan.retainOnDelete,
      });
      this.images[tier.tier] = image;
      this.outputs[tier.tier] = { ref: image.ref, digest: image.digest, tags: tier.tags };
      below = image;
    }
    this.registerOutputs({ outputs: this.outputs });
  }
}

function imageArgs(
  plan: StackPlan,
  tier: TierPlan,
  below: dockerbuild.Image | undefined,
  args: TierImagesArgs,
  secrets: Record<string, pulumi.Input<string>> | undefined,
): dockerbuild.ImageArgs {
  const named: Record<string, dockerbuild.types.input.ContextArgs> = {
    [REQUIREMENTS_CONTEXT_NAME]: { location: tier.requirementsContext },
  };
  if (tier.parentContext) {
    if (!below) throw new Error(`tier ${tier.tier} needs its parent ${tier.parent} built first`);
    named[tier.parentContext] = { location: pulumi.interpolate`docker-image://${below.ref}` };
  }
  return {
    push: plan.push,
    // Without a registry the upper tiers have nothing to build on; config
    // validation keeps push:false to tier 0, which is loaded into the daemon.
    load: plan.push ? undefined : true,
    // Previews must stay fast and side-effect free; a pushed image is never
    // built on preview anyway (provider issue 252).
    buildOnPreview: false,
    tags: tier.tags,
    // The tier's own staged Dockerfile and context (contexts.ts): the provider
    // hashes them, so only a change that can reach this tier rebuilds it.
    context: { location: tier.stagedContext, named },
    dockerfile: { location: tier.stagedDockerfile },
    target: tier.target,
    buildArgs: tier.buildArgs as Record<string, string>,
    cacheFrom: tier.cacheFrom.map(cacheFromArg),
    cacheTo: tier.cacheTo.map(cacheToArg),
    labels: tier.labels,
    noCache: plan.noCache || undefined,
    platforms: plan.platforms.length ? (plan.platforms as dockerbuild.Platform[]) : undefined,
    builder: plan.builder ? { name: plan.builder } : undefined,
    registries: args.credentials ? [args.credentials] : undefined,
    secrets,
    // Rotating the index token or the CA bundle must not rebuild every tier.
    ignoreSecretsInDiffCalculation: secrets ? Object.keys(secrets) : undefined,
  };
}

/** The BuildKit secrets of every tier: the index URL, and the CA bundle's PEM text (in no layer and no cache key). */
function buildSecrets(args: TierImagesArgs): Record<string, pulumi.Input<string>> | undefined {
  const secrets: Record<string, pulumi.Input<string>> = {};
  if (args.pipIndexUrl) secrets[PIP_INDEX_SECRET] = args.pipIndexUrl;
  if (args.plan.caCertificates) secrets[CA_CERTIFICATES_SECRET] = readFileSync(args.plan.caCertificates, "utf8");
  return Object.keys(secrets).length ? secrets : undefined;
}
