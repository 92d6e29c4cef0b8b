#!/bin/sh
# Installs what the e2e tests drive: runc, podman, containerd (ctr), dockerd, busybox-static
# (the container rootfs) and util-linux (unshare, mount); gcc and libc6-dev build the fake
# libnvidia-ml the NVML tests load (test/fixtures/fake-nvml). Debian packages only; needs root.
# Idempotent: packages already installed are left alone and apt is not touched at all.
set -eu

packages="runc podman containerd docker.io busybox-static util-linux gcc libc6-dev"

if [ "$(id -u)" -ne 0 ]; then
  echo "install-test-deps.sh: needs root (apt-get install). Fix: run it with sudo or as root." >&2
  exit 4
fi

missing=""
for p in $packages; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  echo "install-test-deps.sh: all test dependencies are installed ($packages)"
  exit 0
fi

echo "install-test-deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -q --no-install-recommends $missing </dev/null
