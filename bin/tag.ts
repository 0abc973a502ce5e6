// npm run tag -- <version> [source] [--stack <name>]: see src/export/tag-command.ts.
import { join } from "node:path";
import { runTag } from "../src/export/tag-command";

process.exitCode = runTag(process.argv.slice(2), { root: join(__dirname, "..") });
