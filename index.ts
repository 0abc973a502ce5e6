// ATLAS images as a Pulumi program: config in, tier images (and labs and
// release tags) out. Everything with logic lives in src/, one module per concern.
import * as pulumi from "@pulumi/pulumi";
import { runChecks } from "./src/checks";
import { stageRequirementContexts } from "./src/context";
import { TierImages } from "./src/images";
import { planStack } from "./src/plan";
import { buildInputsRevision, readVersion, sourceUrl } from "./src/project";
import { readStackConfig, secretConfig } from "./src/stack-config";

const root = __dirname;
const config = readStackConfig();
const plan = planStack(config, {
  stack: pulumi.getStack(),
  version: readVersion(root),
  revision: buildInputsRevision(root),
  source: sourceUrl(root),
});

// Fails the preview before any resource is registered when a build is impossible.
runChecks(root, config, plan);
stageRequirementContexts(root, plan);

const password = secretConfig("registryPassword");
const images = new TierImages("atlas", {
  plan,
  credentials:
    config.registry?.username && password
      ? { address: config.registry.server, username: config.registry.username, password }
      : undefined,
  pipIndexUrl: secretConfig("pipIndexUrl"),
});

export const tiers = images.outputs;
export const settings = {
  stack: plan.stack,
  version: plan.version,
  tier: config.tier,
  materials: plan.materials,
  imageName: plan.imageName,
  push: plan.push,
  builder: plan.builder ?? "(current buildx builder)",
  baseImage: config.build.baseImage,
  user: `${config.build.username} (${config.build.uid}:${config.build.gid})`,
  maxJobs: config.build.maxJobs,
  cache: config.cache.type,
  retainOnDelete: plan.retainOnDelete,
};
