#!/usr/bin/env bash
# Stops the daemons scripts/toolchain-up.sh started, by the pids it recorded,
# and nothing else: an engine or registry that was already running stays up.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
# Reverse start order: buildkitd and the registry before the engine.
for name in buildkitd registry dockerd; do
  pidfile="$ATLAS_RUN/$name.pid"
  [[ -f $pidfile ]] || continue
  read -r pid _ <"$pidfile"
  if pid_alive "$name"; then
    kill "$pid" 2>/dev/null || true  # it may have exited since pid_alive looked
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    log "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
done
