# shellcheck shell=bash
# Source this to use the project's toolchain in your shell:
#   . scripts/env.sh && pulumi stack ls
# It sets PATH (Node 22+, pulumi, buildx), the local state backend and the
# passphrase file, exactly as scripts/up-dev.sh and scripts/test.sh use them.
_atlas_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$_atlas_root/scripts/lib.sh"
atlas_path
: "${PULUMI_BACKEND_URL:=file://$_atlas_root/.atlas/state}"
if [[ -z "${PULUMI_CONFIG_PASSPHRASE:-}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  PULUMI_CONFIG_PASSPHRASE_FILE="$_atlas_root/.atlas/passphrase"
fi
export PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE_FILE
# The program runs transpile-only: `tsc --noEmit` in the test suite type-checks
# it, and checking again on every preview and up cost ~3 s of each. Pulumi.yaml
# says the same through tsconfig.pulumi.json, which a current language host
# reads; the one built here (tools/language-nodejs, v3.67.1) gets no runtime
# options, so it is told through the variable the SDK reads.
export PULUMI_NODEJS_TRANSPILE_ONLY=${PULUMI_NODEJS_TRANSPILE_ONLY:-true}
unset _atlas_root
