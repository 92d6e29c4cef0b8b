#!/bin/sh
# DaemonSet entry point: install actk on the node whose root is mounted at /host, then stay
# up (Kubernetes restarts a DaemonSet pod that exits). On SIGTERM, uninstall only when
# ACTK_UNINSTALL_ON_EXIT=true: a rolling update must not strip the runtime from running pods.
#
# Environment:
#   ACTK_RUNTIMES           comma list of engines to configure (default: containerd)
#   ACTK_INSTALL_ARGS       more `actk install` flags (e.g. "--cdi.enabled --compat nvidia")
#   ACTK_RESTART_ENGINES    true: when the install says an engine restart is needed, run its
#                           restart command (systemctl restart …) in the node's root (chroot /host)
#   ACTK_UNINSTALL_ON_EXIT  true: `actk uninstall --host-root /host` when the pod stops
set -eu
: "${ACTK_RUNTIMES:=containerd}"
args=""
for r in $(echo "$ACTK_RUNTIMES" | tr ',' ' '); do args="$args --runtime $r"; done

# shellcheck disable=SC2086 # one --runtime flag per engine; ACTK_INSTALL_ARGS is a flag list
actk install --host-root /host --with-node $args ${ACTK_INSTALL_ARGS:-} --json >/tmp/actk-install.json
cat /tmp/actk-install.json

# The restart commands come from actk (e.g. "systemctl restart containerd"), run with the node's own
# systemctl. Running pods survive a containerd restart (their shims keep running).
if [ "${ACTK_RESTART_ENGINES:-false}" = "true" ]; then
  node -e 'for (const c of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).restartCommands) console.log(c)' \
    /tmp/actk-install.json | while read -r cmd; do
    echo "actk: running on the node: $cmd"
    # shellcheck disable=SC2086 # the command is split into words on purpose
    chroot /host $cmd
  done
fi

cleanup() {
  if [ "${ACTK_UNINSTALL_ON_EXIT:-false}" = "true" ]; then actk uninstall --host-root /host; fi
  exit 0
}
trap cleanup TERM INT
while :; do sleep 3600 & wait $!; done
