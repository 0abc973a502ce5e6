// npm run -s plan -- [stack] [--json]: what a stack builds, without the engine; --mermaid: the README's tier chain (src/export/plan-view.ts).
import { main } from "../src/core/command";
import { planCommand } from "../src/export/plan-view";

main(planCommand);
