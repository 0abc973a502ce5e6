// ATLAS images as a Pulumi program: config in; tier images, labs and release
// tags out. Everything with logic lives in src/, one module per concern; after
// planStack, every part reads the plan, never the config.
import * as pulumi from "@pulumi/pulumi";
import { stageTierContexts } from "./src/build/contexts";
import { TierImages, registryCredentials } from "./src/build/images";
import { explainRebuilds } from "./src/build/rebuild-reasons";
import { ReleaseTags } from "./src/build/releases";
import { runChecks } from "./src/checks/run-checks";
import { planStack, topTier, userText } from "./src/core/plan";
import { planInputs } from "./src/core/project";
import { readStackConfig, secretConfig } from "./src/core/stack-config";
import { createLabs, labOutputs } from "./src/lab/jupyter-lab";

const root = __dirname;
const plan = planStack(readStackConfig(), planInputs(root, pulumi.getStack()));

// Fails the preview before any resource is registered when a build is impossible.
runChecks(root, plan);
// Each tier is built from its own staged inputs; this also says what they are.
const tierInputs = stageTierContexts(root, plan);

const credentials = registryCredentials(plan, secretConfig("registryPassword"));
const images = new TierImages("atlas", { plan, credentials, pipIndexUrl: secretConfig("pipIndexUrl") });
const jupyter = createLabs(plan, images, secretConfig("jupyterToken"), credentials);
const releaseTags = new ReleaseTags("atlas", { plan, tiers: images.outputs, credentials });

export const tiers = images.outputs;
/** Secret: `pulumi stack output --show-secrets jupyterUrl`; "" on a stack without labs (undefined would make the engine warn). */
export const jupyterUrl = jupyter.jupyterUrl ?? "";
export const labs = labOutputs(jupyter.labs);
export const releases = releaseTags.refs;
/** What each tier was last built from (BUILT_FROM_OUTPUT); the next preview says what changed against it. */
export const builtFrom = explainRebuilds(plan, images, tierInputs);
export const settings = {
  stack: plan.stack,
  version: plan.version,
  tier: topTier(plan),
  materials: plan.materials,
  imageName: plan.imageName,
  push: plan.push,
  builder: plan.builder ?? "(current buildx builder)",
  baseImage: plan.baseImage,
  user: userText(plan.user),
  maxJobs: plan.maxJobs,
  cache: plan.cacheType,
  retainOnDelete: plan.retainOnDelete,
};
