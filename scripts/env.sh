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
unset _atlas_root
