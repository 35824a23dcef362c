#!/usr/bin/env bash
# Installs what Spate needs from Debian's packages; quiet and quick when all is there.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librdkafka-dev librocksdb-dev libspdlog-dev catch2 libsimdjson-dev libcli11-dev
  libxxhash-dev nlohmann-json3-dev libcpp-httplib-dev libre2-dev libssl-dev openssl
  openjdk-17-jre-headless maven kcat python3 clang-format clang curl
  chromium fonts-dejavu-core
  zookeeper libzookeeper-mt-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The machine may carry its own JDK and Maven outside Debian's packages: use those.
if command -v java >/dev/null 2>&1; then
  missing=("${missing[@]/openjdk-17-jre-headless}")
fi
if command -v mvn >/dev/null 2>&1; then
  missing=("${missing[@]/maven}")
fi
filtered=()
for p in "${missing[@]}"; do [ -n "$p" ] && filtered+=("$p"); done
[ ${#filtered[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${filtered[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${filtered[@]}" >/dev/null
echo "install-deps: done"
