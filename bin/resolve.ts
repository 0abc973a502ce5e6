// npm run resolve -- [stack]: pip's own resolver over each tier, dry run, against the real index (src/checks/resolve.ts).
import { resolveCommand } from "../src/checks/resolve";
import { main } from "../src/core/command";

main(resolveCommand);
