#!/usr/bin/env bash
# Builds the compose cluster's images: the base images they need when missing
# (deploy/base-images.sh), then `spate:dev` (deploy/Dockerfile) and `spate-kafka:dev`
# (deploy/kafka/Dockerfile, with the jars of scripts/kafka.sh's cache copied into
# deploy/kafka/libs/). Prints each step's time.
#
# Usage: deploy/build-images.sh [spate] [kafka]     (default: both; uses DOCKER_HOST)
#
# Environment:
#   SPATE_IMAGE_TAG   tag of both images (default dev)
#   SPATE_BUILD_JOBS  parallel compile jobs inside the spate build (default 2)
#   SPATE_PREBUILT_BIN  a directory of binaries built on this (bookworm) host, e.g. build/bin:
#                     the spate image takes them (target `prebuilt`) instead of compiling
set -euo pipefail

cd "$(dirname "$0")/.."
tag="${SPATE_IMAGE_TAG:-dev}"
jobs="${SPATE_BUILD_JOBS:-2}"
which=("$@")
[ ${#which[@]} -eq 0 ] && which=(spate kafka)

say() { echo "build-images.sh: $*" >&2; }
die() { say "$*"; exit 1; }

docker info >/dev/null 2>&1 || die "no Docker daemon answers (start one: deploy/dockerd.sh start)"

# debian:bookworm only for compiling (the spate image without SPATE_PREBUILT_BIN); the
# runtime stages, the `prebuilt` target and the Kafka image are on debian:bookworm-slim.
base=(debian:bookworm-slim)
for what in "${which[@]}"; do
  if [ "$what" = spate ] && [ -z "${SPATE_PREBUILT_BIN:-}" ]; then base+=(debian:bookworm); fi
done
t=$SECONDS
deploy/base-images.sh "${base[@]}"
say "base images ready in $((SECONDS - t)) s"

for what in "${which[@]}"; do
  t=$SECONDS
  case "$what" in
    spate)
      rm -rf deploy/prebuilt/spate-*
      if [ -n "${SPATE_PREBUILT_BIN:-}" ]; then
        for b in spate-master spate-worker spate-submit spate-loadgen spate-topics; do
          [ -x "$SPATE_PREBUILT_BIN/$b" ] || die "$SPATE_PREBUILT_BIN/$b is missing"
          strip -o "deploy/prebuilt/$b" "$SPATE_PREBUILT_BIN/$b"
        done
        docker build --force-rm --network host --target prebuilt -f deploy/Dockerfile \
          -t "spate:$tag" . >&2
      else
        docker build --force-rm --network host --build-arg "JOBS=$jobs" -f deploy/Dockerfile \
          -t "spate:$tag" . >&2
      fi
      ;;
    kafka)
      libs=$(scripts/kafka.sh libs)
      rm -rf deploy/kafka/libs
      mkdir -p deploy/kafka/libs
      cp "$libs"/*.jar deploy/kafka/libs/
      docker build --force-rm --network host -f deploy/kafka/Dockerfile -t "spate-kafka:$tag" . >&2
      ;;
    *) die "unknown image $what (spate or kafka)" ;;
  esac
  say "$what image built in $((SECONDS - t)) s"
done
