#!/usr/bin/env bash
# Builds the Go side of the toolchain (Pulumi CLI, Node.js language host,
# docker-build and docker providers, buildkitd, buildx) from the pinned tool
# modules under tools/, into $ATLAS_TOOLCHAIN_DIR/bin (plugins: .../plugins).
# Each binary is rebuilt only when its module's go.mod/go.sum (for the docker
# provider: any file under tools/docker it is built from) or build flags
# change: a stamp records their hash (stamped_build).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/scripts/lib.sh"
atlas_path

PULUMI_VERSION=$(tool_version "$here/tools/pulumi" github.com/pulumi/pulumi/pkg/v3)
DOCKER_BUILD_VERSION=$(docker_build_version "$here")
DOCKER_VERSION=$(docker_provider_version "$here")

# name | binary | pins: true when Go is here to build (or check) the tool;
# without Go, a binary built before is kept, with a warning.
go_or_keep() {
  command -v go >/dev/null && return 0
  [[ -x "$2" ]] || die "Go is needed to build $1; install Go 1.26+"
  warn "no Go here to check $1 against its pins in $3; keeping the one built before"
  return 1
}

# name | output | key | command…: the stamp rule every tool follows. The
# command builds "$out.tmp" and runs only when the binary is missing or its
# stamp holds another key; the binary is swapped in whole, then stamped.
stamped_build() {
  local name=$1 out=$2 key=$3 stamp="$ATLAS_TOOLCHAIN_DIR/stamps/$1"; shift 3
  if [[ -x "$out" && -f "$stamp" && "$(cat "$stamp")" == "$key" ]]; then
    log "tool $name: cached"
    return
  fi
  local t0=$SECONDS
  "$@"
  mv "$out.tmp" "$out"
  echo "$key" >"$stamp"
  log "tool $name: built in $((SECONDS - t0))s"
}

# name | module dir | main package | extra go build flags
build_one() {
  local name=$1 dir=$2 pkg=$3; shift 3
  local out="${OUT_DIR:-$ATLAS_BIN}/$name" key
  go_or_keep "$name" "$out" "tools/$dir" || return 0
  key=$(cat "$here/tools/$dir/go.mod" "$here/tools/$dir/go.sum" <(go version) <(printf '%s\n' "$pkg" "$@") | sha256sum | cut -d' ' -f1)
  stamped_build "$name" "$out" "$key" go_build "$name" "$here/tools/$dir" "$out.tmp" "$pkg" "$@"
}

# name | module dir | output | main package | extra go build flags
# shellcheck disable=SC2317 # run by stamped_build
go_build() {
  local name=$1 dir=$2 out=$3 pkg=$4; shift 4
  log "tool $name: building $pkg"
  (cd "$dir" && go build -trimpath -o "$out" "$@" "$pkg")
}

# go.sum's h1: hash of a directory tree (golang.org/x/mod/sumdb/dirhash Hash1):
# sha256 over the sorted "<sha256>  <prefix>/<file>" lines, in base64.
# dir | prefix | find tests that leave files out (optional)
dirhash_h1() {
  local dir=$1 prefix=$2 sum; shift 2
  sum=$( (cd "$dir" && find . -type f "$@" -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum) \
    | sed "s|  |  $prefix/|" | sha256sum | cut -d' ' -f1 | tr a-f A-F | basenc --base16 -d | base64)
  echo "h1:$sum"
}

# The docker provider (pulumi-resource-docker) is the kreuzwerker Terraform
# provider behind Pulumi's bridge. Its constructor is internal to its module, so
# the build runs in a staged copy of tools/docker ($ATLAS_TOOLCHAIN_DIR/src/docker)
# holding ./upstream: the module version upstream.lock pins, copied out of the
# module cache, checked against the pinned hash, plus tools/docker/_upstream.
# There tfgen writes schema.json and bridge-metadata.json, which the provider
# embeds. Same stamp rule as build_one, keyed over tools/docker's files.
build_docker_provider() {
  local name=pulumi-resource-docker version=$1 out="$ATLAS_PLUGINS/pulumi-resource-docker" key
  # The compose resource is the upstream's plugin-framework half, which the
  # bridge does not serve: no_compose leaves docker/compose out of the build.
  # -s -w: no symbol table or DWARF, so a lighter link (~1.9 GB peak, the
  # build's largest process) and a smaller binary.
  local flags=(-tags no_compose -ldflags "-s -w -X atlas.local/tools/docker/mapping.Version=$version")
  go_or_keep "$name" "$out" tools/docker || return 0
  # check-schema.ts reads the build's output; it is no input of it.
  key=$( (dirhash_h1 "$here/tools/docker" . ! -path ./check-schema.ts; go version; printf '%s\n' "${flags[@]}") | sha256sum | cut -d' ' -f1)
  stamped_build "$name" "$out" "$key" stage_and_build_docker_provider "$out.tmp" "${flags[@]}"
}

# output | go build flags
# shellcheck disable=SC2317 # run by stamped_build
stage_and_build_docker_provider() {
  local out=$1; shift
  local dir="$here/tools/docker" stage="$ATLAS_TOOLCHAIN_DIR/src/docker" name=pulumi-resource-docker mod ver sum
  read -r mod ver sum < <(grep -Ev '^(#|$)' "$dir/upstream.lock") || true
  [[ -n $mod && -n $ver && $sum == h1:* ]] || die "tools/docker/upstream.lock: expected one line \"<module> <version> h1:<hash>\""
  log "tool $name: staging $mod@$ver in $stage"
  rm -rf "$stage"
  mkdir -p "$stage"
  (cd "$dir" && tar --exclude=./_upstream -cf - .) | tar -C "$stage" -xf -
  local info got src
  info=$(cd "$stage" && go mod download -json "$mod@$ver") || die "go mod download $mod@$ver failed: $info"
  got=$(sed -n 's/^\t"Sum": "\(.*\)",*$/\1/p' <<<"$info")
  src=$(sed -n 's/^\t"Dir": "\(.*\)",*$/\1/p' <<<"$info")
  [[ $got == "$sum" ]] || die "$mod@$ver: the module proxy/cache has hash ${got:-none}, upstream.lock pins $sum; not building from it"
  cp -r "$src" "$stage/upstream"
  chmod -R u+w "$stage/upstream"
  # The module cache is only checked when it is filled; this checks the copy used.
  got=$(dirhash_h1 "$stage/upstream" "$mod@$ver")
  [[ $got == "$sum" ]] || die "$mod@$ver: the copy in $stage/upstream hashes to $got, upstream.lock pins $sum (is $src altered?); not building from it"
  cp -r "$dir/_upstream/." "$stage/upstream/"
  log "tool $name: building the schema generator (the long step the first time: ~5-7 min on 2 cores, ~2 GB)"
  (cd "$stage" && go build -trimpath -o bin/pulumi-tfgen-docker "$@" ./cmd/pulumi-tfgen-docker)
  (cd "$stage" && ./bin/pulumi-tfgen-docker schema --skip-examples --out cmd/pulumi-resource-docker >"$stage/tfgen.log" 2>&1) \
    || die "pulumi-tfgen-docker failed; see $stage/tfgen.log"
  log "tool $name: building the provider"
  (cd "$stage" && go build -trimpath -o "$out" "$@" ./cmd/pulumi-resource-docker)
}

mkdir -p "$ATLAS_BIN" "$ATLAS_PLUGINS" "$ATLAS_TOOLCHAIN_DIR/stamps"
only=${1:-all}
want() { [[ $only == all || $only == "$1" ]]; }

want pulumi && build_one pulumi pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
  -tags osusergo,grpcnotrace \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
want pulumi-language-nodejs && build_one pulumi-language-nodejs language-nodejs \
  github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs \
  -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"
want pulumi-resource-docker-build && OUT_DIR="$ATLAS_PLUGINS" build_one pulumi-resource-docker-build docker-build \
  github.com/pulumi/pulumi-docker-build/provider/cmd/pulumi-resource-docker-build \
  -ldflags "-X github.com/pulumi/pulumi-docker-build/provider.Version=$DOCKER_BUILD_VERSION"
want pulumi-resource-docker && build_docker_provider "$DOCKER_VERSION"
BUILDKIT_VERSION=$(tool_version "$here/tools/buildkit" github.com/moby/buildkit)
BUILDX_VERSION=$(tool_version "$here/tools/buildx" github.com/docker/buildx)
want buildkitd && build_one buildkitd buildkit github.com/moby/buildkit/cmd/buildkitd \
  -ldflags "-X github.com/moby/buildkit/version.Version=v$BUILDKIT_VERSION"
want buildx && build_one buildx buildx github.com/docker/buildx/cmd/buildx \
  -ldflags "-X github.com/docker/buildx/version.Version=v$BUILDX_VERSION"
exit 0
