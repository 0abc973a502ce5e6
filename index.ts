// ATLAS images as a Pulumi program: config in; tier images, labs and release
// tags out. Everything with logic lives in src/, one module per concern.
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { runChecks } from "./src/checks/run-checks";
import { stageRequirementContexts } from "./src/build/contexts";
import { RegistryCredentials, TierImages } from "./src/build/images";
import { createLabs, labOutputs } from "./src/lab/jupyter-lab";
import { planStack } from "./src/core/plan";
import { planInputs } from "./src/core/project";
import { ReleaseTags } from "./src/build/releases";
import { readStackConfig, secretConfig } from "./src/core/stack-config";

const root = __dirname;
const config = readStackConfig();
const plan = planStack(config, planInputs(root, pulumi.getStack()));

// Fails the preview before any resource is registered when a build is impossible.
runChecks(root, config, plan);
stageRequirementContexts(root, plan);

const password = secretConfig("registryPassword");
const credentials: RegistryCredentials | undefined =
  config.registry?.username && password ? { address: config.registry.server, username: config.registry.username, password } : undefined;

const images = new TierImages("atlas", {
  plan,
  credentials,
  pipIndexUrl: secretConfig("pipIndexUrl"),
  caCertificates: config.build.caCertificates ? readFileSync(config.build.caCertificates, "utf8") : undefined,
});
const jupyter = createLabs(config, images, plan.stack, secretConfig("jupyterToken"));
const releaseTags = new ReleaseTags("atlas", { plan, releases: config.releases, tiers: images.outputs, credentials });

export const tiers = images.outputs;
/** Secret: `pulumi stack output --show-secrets jupyterUrl`. */
export const jupyterUrl = jupyter.jupyterUrl;
export const labs = labOutputs(jupyter.labs);
export const releases = releaseTags.refs;
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
