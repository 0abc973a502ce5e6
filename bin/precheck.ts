// npm run pre-check -- [stack]: the guide's pre-check.sh, this host against the stack (src/checks/precheck-probes.ts).
import { precheckCommand } from "../src/checks/precheck-probes";
import { main } from "../src/core/command";

main(precheckCommand);
