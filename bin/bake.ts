// npm run -s bake -- [stack] [--no-stage]: the stack's docker-bake.json on stdout (src/export/bake.ts).
import { main } from "../src/core/command";
import { bakeCommand } from "../src/export/bake";

main(bakeCommand);
