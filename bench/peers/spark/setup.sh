#!/usr/bin/env bash
# Sets up the Spark peer of the benchmark, outside the repository:
#   - a virtualenv with pyspark==4.0.0 from PyPI,
#   - the four jars Spark's Kafka source needs, fetched with Maven:
#       org.apache.spark:spark-sql-kafka-0-10_2.13:4.0.0
#       org.apache.spark:spark-token-provider-kafka-0-10_2.13:4.0.0
#       org.apache.kafka:kafka-clients:3.9.0
#       org.apache.commons:commons-pool2:2.12.0
#     (only these four: the connector's full dependency set duplicates jars pyspark ships, and
#     4.0.1's connector needs an artifact that cannot be fetched here).
#
# Usage: bench/peers/spark/setup.sh [--force]
# Everything goes to ${SPATE_CACHE_DIR:-~/.cache/spate}/peers/spark/ (venv/, jars/). Prints that
# directory as the last line. Idempotent: a finished setup is left alone unless --force.
set -euo pipefail

readonly SPARK_VERSION=4.0.0
readonly KAFKA_CLIENTS_VERSION=3.9.0
readonly COMMONS_POOL2_VERSION=2.12.0

cache_dir="${SPATE_CACHE_DIR:-$HOME/.cache/spate}"
base="$cache_dir/peers/spark"
force=0
[ "${1:-}" = "--force" ] && force=1

say() { echo "spark/setup.sh: $*" >&2; }
die() { say "$*"; exit 1; }

mkdir -p "$base"
exec 9>"$base/.lock"
flock -w 900 9 || die "timed out waiting for another setup ($base/.lock)"

if [ "$force" = 1 ]; then rm -rf "$base/venv" "$base/jars"; fi

# --- the virtualenv ---------------------------------------------------------------------
if [ ! -f "$base/venv/.complete" ]; then
  command -v python3 >/dev/null || die "python3 not found"
  rm -rf "$base/venv"
  say "creating $base/venv with pyspark==$SPARK_VERSION (a ~320 MB download)"
  python3 -m venv "$base/venv"
  "$base/venv/bin/pip" install -q --disable-pip-version-check "pyspark==$SPARK_VERSION" >&2 ||
    die "pip install pyspark==$SPARK_VERSION failed"
  touch "$base/venv/.complete"
fi

# --- the jars ---------------------------------------------------------------------------
if [ ! -f "$base/jars/.complete" ]; then
  command -v mvn >/dev/null || die "mvn not found"
  work="$base/fetch.$$"
  rm -rf "$work"
  mkdir -p "$work/jars"
  fetch() {  # group:artifact:version
    mvn -B -q dependency:copy -Dartifact="$1:jar" -Dtransitive=false \
      -DoutputDirectory="$work/jars" >>"$work/mvn.log" 2>&1 ||
      { tail -n 30 "$work/mvn.log" >&2; die "fetching $1 failed (log: $work/mvn.log)"; }
  }
  say "fetching the Kafka connector jars with Maven into $base/jars"
  (cd "$work" &&
    fetch "org.apache.spark:spark-sql-kafka-0-10_2.13:$SPARK_VERSION" &&
    fetch "org.apache.spark:spark-token-provider-kafka-0-10_2.13:$SPARK_VERSION" &&
    fetch "org.apache.kafka:kafka-clients:$KAFKA_CLIENTS_VERSION" &&
    fetch "org.apache.commons:commons-pool2:$COMMONS_POOL2_VERSION")
  [ "$(ls "$work/jars"/*.jar | wc -l)" = 4 ] || die "expected 4 jars in $work/jars"
  touch "$work/jars/.complete"
  rm -rf "$base/jars"
  mv "$work/jars" "$base/jars"
  rm -rf "$work"
fi

say "ready: $base/venv (pyspark $SPARK_VERSION), $base/jars ($(ls "$base/jars"/*.jar | wc -l) jars)"
echo "$base"
