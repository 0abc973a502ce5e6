#!/usr/bin/env bash
# The main job: `pulumi up` of the dev stack on embedded defaults, from a fresh
# machine. It brings up the toolchain and services, uses a local file state
# backend (.atlas/state) and the local registry, and points BASE_IMAGE at the
# offline stand-in (by digest) through a config overlay, so Pulumi.dev.yaml
# stays as committed; on a host without GPUs the overlay runs the lab with
# gpus: none. It ends with the JupyterLab URL. Extra arguments go to
# `pulumi up` (e.g. --diff).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/scripts/toolchain-up.sh"
# shellcheck source=scripts/env.sh
. "$root/scripts/env.sh"
cd "$root"

mkdir -p .atlas/state
if [[ -z "${PULUMI_CONFIG_PASSPHRASE:-}" && ! -s "$PULUMI_CONFIG_PASSPHRASE_FILE" ]]; then
  (umask 077 && head -c 32 /dev/urandom | base64 >"$PULUMI_CONFIG_PASSPHRASE_FILE")
fi
# `stack init` writes the passphrase salt into Pulumi.dev.yaml; it belongs to
# this machine's passphrase, so it moves to .atlas/ and the committed file stays.
salt_file=.atlas/dev.encryptionsalt
if ! pulumi stack select dev 2>/dev/null; then
  cp Pulumi.dev.yaml .atlas/Pulumi.dev.yaml.committed
  pulumi stack init dev --secrets-provider passphrase
  grep '^encryptionsalt:' Pulumi.dev.yaml >"$salt_file" || true
  cp .atlas/Pulumi.dev.yaml.committed Pulumi.dev.yaml
fi

overlay=.atlas/Pulumi.dev.local.yaml
node_modules/.bin/ts-node --transpile-only scripts/dev-overlay.ts \
  --stack-file Pulumi.dev.yaml \
  --base-image "$(cat "$ATLAS_RUN/standin.ref")" \
  --builder "$ATLAS_BUILDER" \
  --ca-certificates "$(cat "$ATLAS_RUN/host-ca-bundle")" >"$overlay"
[[ -s $salt_file ]] && cat "$salt_file" >>"$overlay"
echo "config overlay ($overlay):" >&2
sed 's/^/  /' "$overlay" >&2

pulumi up --stack dev --config-file "$overlay" --yes --skip-preview "$@"

# The lab's address, token included (a secret output; shown here because this
# is the job that started it).
url=$(pulumi stack output --stack dev --show-secrets jupyterUrl)
if [[ -n $url ]]; then
  echo "JupyterLab: $url"
  echo "  (again: . scripts/env.sh && pulumi stack output --stack dev --show-secrets jupyterUrl)"
else
  echo "no JupyterLab enabled in Pulumi.dev.yaml (atlas:jupyter.labs)"
fi
