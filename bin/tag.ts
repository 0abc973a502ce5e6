// npm run tag -- <version> [source] [--stack <name>]: an atlas:releases entry, previewed (src/export/tag-command.ts).
import { main } from "../src/core/command";
import { tagCommand } from "../src/export/tag-command";

main(tagCommand());
