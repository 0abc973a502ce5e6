/**
 * Build steps that ran (not CACHED) in BuildKit's plain progress, per build:
 * `#12 [llm 1/2] RUN …` (bake: `#12 [llm llm 1/2] RUN …`) then `#12 CACHED` or `#12 DONE`. The program prefixes
 * each line with its Image, and numbers steps per Image; bake numbers once.
 *
 * FROM lines are left out: they resolve an image, never run, and BuildKit marks them DONE rather than
 * CACHED. bake shows one for each tier below the target it re-solves (`#13 [full base 1/6] FROM …`); the
 * program reaches the tier below through a named context (`#8 [context atlas-llm] …`), which is no step.
 */
export function stepsRun(output: string): number {
  const steps = new Map<string, boolean>();
  for (const line of output.split("\n")) {
    const build = /Image (atlas-\w+)/.exec(line)?.[1] ?? "bake";
    // bake names the target too: `#12 [full full 1/2] RUN …`.
    const step = /#(\d+) \[(?:[\w-]+ )?[\w-]+ \d+\/\d+\] (\S+)/.exec(line);
    if (step && step[2] !== "FROM") steps.set(`${build}#${step[1]}`, steps.get(`${build}#${step[1]}`) ?? false);
    const cached = /#(\d+) CACHED/.exec(line);
    if (cached && steps.has(`${build}#${cached[1]}`)) steps.set(`${build}#${cached[1]}`, true);
  }
  return [...steps.values()].filter((wasCached) => !wasCached).length;
}
