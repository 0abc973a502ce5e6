#!/usr/bin/env bash
# Builds the Go side of the toolchain (Pulumi CLI, Node.js language host,
# docker-build provider, buildkitd, buildx) from the pinned tool modules under
# tools/, into $ATLAS_TOOLCHAIN_DIR/bin. Each binary is rebuilt only when its
# module's go.mod/go.sum or build flags change: a stamp records their hash.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/scripts/lib.sh"
atlas_path

PULUMI_VERSION=$(tool_version "$here/tools/pulumi" github.com/pulumi/pulumi/pkg/v3)
DOCKER_BUILD_VERSION=$(docker_build_version "$here")

# name | module dir | main package | extra go build flags
build_one() {
  local name=$1 dir=$2 pkg=$3; shift 3
  local out="${OUT_DIR:-$ATLAS_BIN}/$name" stamp="$ATLAS_TOOLCHAIN_DIR/stamps/$name"
  local key
  if ! command -v go >/dev/null; then
    [[ -x "$out" ]] || die "Go is needed to build $name; install Go 1.26+"
    warn "no Go here to check $name against its pins in tools/$dir; keeping the one built before"
    return
  fi
  key=$(cat "$here/tools/$dir/go.mod" "$here/tools/$dir/go.sum" <(go version) <(printf '%s\n' "$pkg" "$@") | sha256sum | cut -d' ' -f1)
  if [[ -x "$out" && -f "$stamp" && "$(cat "$stamp")" == "$key" ]]; then
    log "tool $name: cached"
    return
  fi
  local t0=$SECONDS
  log "tool $name: building $pkg"
  (cd "$here/tools/$dir" && go build -trimpath -o "$out.tmp" "$@" "$pkg")
  mv "$out.tmp" "$out"
  echo "$key" >"$stamp"
  log "tool $name: built in $((SECONDS - t0))s"
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
BUILDKIT_VERSION=$(tool_version "$here/tools/buildkit" github.com/moby/buildkit)
BUILDX_VERSION=$(tool_version "$here/tools/buildx" github.com/docker/buildx)
want buildkitd && build_one buildkitd buildkit github.com/moby/buildkit/cmd/buildkitd \
  -ldflags "-X github.com/moby/buildkit/version.Version=v$BUILDKIT_VERSION"
want buildx && build_one buildx buildx github.com/docker/buildx/cmd/buildx \
  -ldflags "-X github.com/docker/buildx/version.Version=v$BUILDX_VERSION"
exit 0
