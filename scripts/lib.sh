# Shared settings for the toolchain and service scripts; sourced, never run.
# The toolchain lives outside the work tree so that every clone shares one build.
: "${ATLAS_TOOLCHAIN_DIR:=${XDG_CACHE_HOME:-$HOME/.cache}/atlas-toolchain}"
ATLAS_BIN="$ATLAS_TOOLCHAIN_DIR/bin"
ATLAS_RUN="$ATLAS_TOOLCHAIN_DIR/run"
export ATLAS_TOOLCHAIN_DIR ATLAS_BIN ATLAS_RUN

log() { printf '[atlas %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# The version a tool module pins for a dependency, read from its go.mod, so the
# pins are written down once.
tool_version() {
  awk -v m="$2" '$1 == m { sub(/^v/, "", $2); print $2; exit }' "$1/go.mod"
}
