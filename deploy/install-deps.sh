#!/usr/bin/env bash
# Installs what deploy/ needs from Debian's packages (kept apart from scripts/install-deps.sh
# so that the ordinary CI run does not pay for them): the Docker engine 20.10, docker-compose
# 1.29 and debootstrap (to make base images where no registry can be reached).
# Quiet and quick when all is there.
set -euo pipefail

PACKAGES=(docker.io docker-compose debootstrap)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deploy/install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# policy-rc.d: the package must not start a system daemon of its own (deploy/dockerd.sh
# starts one under a scratch directory when it is needed).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  made_policy=1
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ "$made_policy" = 1 ] && $SUDO rm -f "$policy"
echo "deploy/install-deps: done"
