/**
 * Why a tier rebuilds, said where the rebuild shows: `pulumi preview` and
 * `pulumi up` print, under the tier's Image,
 *   tier full rebuilds: requirements-accel.txt: +tabulate==0.9.0, -tabulate==0.8.10
 * instead of an opaque `~ contextHash`. The stack's outputs record what each
 * tier was built from (`builtFrom`, updated only once its image is built); the
 * next run reads the last deployment's outputs (the engine's own
 * readStackOutputs, which a StackReference uses too, without the resource a
 * reference would add to every `preview --diff`) and compares.
 */
import * as pulumi from "@pulumi/pulumi";
import { StackPlan } from "../core/plan";
import { InputsManifest, inputChanges } from "../core/tier-inputs";
import { TierName } from "../core/tiers";
import { TierImages } from "./images";

export type BuiltFrom = Partial<Record<TierName, InputsManifest>>;

/** The stack output that records each tier's inputs. */
export const BUILT_FROM_OUTPUT = "builtFrom";

/** The engine's built-in function behind StackReference. */
export const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";

/**
 * The reasons of one tier, given what it was last built from and whether its
 * parent rebuilds: empty when nothing of its own changed and its parent stays,
 * and for a tier never built before (there is nothing to compare).
 */
export function tierReasons(before: InputsManifest | undefined, now: InputsManifest, parent: TierName | undefined, parentRebuilds: boolean): string[] {
  if (!before) return [];
  const own = inputChanges(before, now);
  return parent && parentRebuilds ? [...own, `on ${parent}'s new image`] : own;
}

export function rebuildMessage(tier: TierName, reasons: readonly string[]): string {
  return `tier ${tier} rebuilds: ${reasons.join("; ")}`;
}

// Output.isKnown is a Promise<boolean> in the SDK, but internal to its typings.
function isKnown(o: pulumi.Output<unknown>): Promise<boolean> {
  return (o as unknown as { isKnown: Promise<boolean> }).isKnown;
}

/** The stack's outputs as its last deployment left them; none for a new stack, or when they cannot be read. */
async function lastOutputs(): Promise<Record<string, unknown>> {
  const name = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
  try {
    const result = (await pulumi.runtime.invoke(READ_STACK_OUTPUTS, { name })) as { outputs?: Record<string, unknown> } | undefined;
    return result?.outputs ?? {};
  } catch {
    return {};
  }
}

/** The value of an Output once it resolves (undefined while unknown in a preview: such an apply never runs). */
function settled<T>(o: pulumi.Output<T>): Promise<T | undefined> {
  return isKnown(o).then((known) => (known ? new Promise<T>((resolve) => o.apply((v) => resolve(v))) : undefined));
}

/**
 * Logs each rebuilding tier's reasons on its Image. A tier rebuilds when its
 * digest is not the last deployment's: in a preview the engine plans an update
 * (no digest yet), in an up it built a new one.
 * @returns what each tier is built from, resolved once its image is: the `builtFrom` output.
 *   It also waits for the messages, so the program does not end before them.
 */
export function explainRebuilds(plan: StackPlan, images: TierImages, builtFrom: BuiltFrom): pulumi.Output<BuiltFrom> {
  const last = lastOutputs();
  const lastBuiltFrom = last.then((o) => o[BUILT_FROM_OUTPUT] as BuiltFrom | undefined);
  const lastTiers = last.then((o) => o.tiers as Partial<Record<TierName, { digest?: string }>> | undefined);
  const rebuilds = new Map<TierName, Promise<boolean>>();
  const logged: Promise<void>[] = [];
  for (const tier of plan.tiers) {
    const image = images.images[tier.tier]!;
    // An image the engine keeps has its last digest, in a preview too; one it
    // rebuilds has another, or none yet (unknown, or "" from the provider's preview).
    const rebuilt = (async () => {
      const digest = await settled(image.digest);
      return !digest || digest !== (await lastTiers)?.[tier.tier]?.digest;
    })();
    rebuilds.set(tier.tier, rebuilt);
    const parentRebuilds = tier.parent ? rebuilds.get(tier.parent)! : Promise.resolve(false);
    logged.push(
      (async () => {
        if (!(await rebuilt)) return;
        const reasons = tierReasons((await lastBuiltFrom)?.[tier.tier], builtFrom[tier.tier]!, tier.parent, await parentRebuilds);
        if (reasons.length) await pulumi.log.info(rebuildMessage(tier.tier, reasons), image);
      })(),
    );
  }
  const recorded = Object.fromEntries(plan.tiers.map((t) => [t.tier, images.images[t.tier]!.digest.apply(() => builtFrom[t.tier]!)]));
  return pulumi.all([pulumi.output(Promise.all(logged)), pulumi.output(recorded)]).apply(([, r]) => r as BuiltFrom);
}
