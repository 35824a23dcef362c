#!/usr/bin/env bash
# The one test command: installs what is missing, builds, starts a real Kafka broker,
# runs every test with ctest, stops the broker, then the compose test and a short fuzz run.
# Exits non-zero on any failure.
# Usage: scripts/test.sh [ctest arguments...]   e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh
scripts/build.sh release

export SPATE_KAFKA_PORT="${SPATE_KAFKA_PORT:-19092}"
export SPATE_BOOTSTRAP="127.0.0.1:${SPATE_KAFKA_PORT}"
# A broker of our own, with its own scratch data, unless the caller already runs one.
started_kafka=0
if ! scripts/kafka.sh status >/dev/null 2>&1; then
  scripts/kafka.sh start
  started_kafka=1
fi
cleanup() {
  if [ "$started_kafka" = 1 ]; then "$root/scripts/kafka.sh" stop || true; fi
}
trap cleanup EXIT

cd build
ctest_rc=0
ctest --output-on-failure --timeout 900 "$@" || ctest_rc=$?
cd "$root"

# The compose cluster's end-to-end test (deploy/compose-test.sh), on the binaries built above.
# CI runs it; SPATE_SKIP_COMPOSE=1 skips it.
compose_rc=0
if [ "${SPATE_SKIP_COMPOSE:-0}" = 1 ]; then
  echo "test.sh: compose test skipped (SPATE_SKIP_COMPOSE=1)"
else
  SPATE_BIN="$root/build/bin" deploy/compose-test.sh || compose_rc=$?
fi

# A short fuzz run of the parsers (scripts/fuzz.sh, fuzz/README.md): its own clang build in
# build-fuzz/, 20 s per target. SPATE_FUZZ_SECONDS changes that; SPATE_SKIP_FUZZ=1 skips it.
fuzz_rc=0
if [ "${SPATE_SKIP_FUZZ:-0}" = 1 ]; then
  echo "test.sh: fuzz run skipped (SPATE_SKIP_FUZZ=1)"
else
  scripts/fuzz.sh "${SPATE_FUZZ_SECONDS:-20}" || fuzz_rc=$?
fi
if [ "$ctest_rc" -ne 0 ] || [ "$compose_rc" -ne 0 ] || [ "$fuzz_rc" -ne 0 ]; then
  echo "test.sh: failed (ctest exit $ctest_rc, compose test exit $compose_rc," \
    "fuzz run exit $fuzz_rc)" >&2
  exit 1
fi
