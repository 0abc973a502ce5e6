// npm run check -- [stack] [--all]: the project-file checks every preview runs, without the engine (src/checks/run-checks.ts).
import { checkCommand } from "../src/checks/run-checks";
import { main } from "../src/core/command";

main(checkCommand);
