#!/bin/sh
# DaemonSet entry point: install actk on the node whose root is mounted at /host, then stay
# up (Kubernetes restarts a DaemonSet pod that exits). On SIGTERM, uninstall only when
# ACTK_UNINSTALL_ON_EXIT=true: a rolling update must not strip the runtime from running pods.
set -eu
: "${ACTK_RUNTIMES:=containerd}"
args=""
for r in $(echo "$ACTK_RUNTIMES" | tr ',' ' '); do args="$args --runtime $r"; done
# shellcheck disable=SC2086 # one --runtime flag per engine
actk install --host-root /host --with-node $args ${ACTK_INSTALL_ARGS:-}
cleanup() {
  if [ "${ACTK_UNINSTALL_ON_EXIT:-false}" = "true" ]; then actk uninstall --host-root /host; fi
  exit 0
}
trap cleanup TERM INT
while :; do sleep 3600 & wait $!; done
