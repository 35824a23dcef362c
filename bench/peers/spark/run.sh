#!/usr/bin/env bash
# Runs the Spark peer of the crash detector once over a Kafka topic.
#
# Usage: bench/peers/spark/run.sh --bootstrap B --topic T --out DIR [--shuffle-partitions N]
#                                 [other crash_detector.py flags, e.g. --trigger processingTime=5s,
#                                  --state-store rocksdb, --watermark '30 seconds']
#
# Sets up pyspark and the jars on first use (bench/peers/spark/setup.sh, into
# ${SPATE_CACHE_DIR:-~/.cache/spate}/peers/spark). DIR must not exist or be empty; it gets
#   sink/         Spark's file sink (part files, _spark_metadata)
#   checkpoint/   the query's checkpoint
#   rows.jsonl    the sink's rows, one JSON object a line, sorted with LC_ALL=C (comparable with
#                 tests/oracle/crash_oracle.py --output and Spate's file sink)
#   spark.log     Spark's own log (stderr)
#   summary.txt   the summary line
# Prints per-batch lines and, last, the summary line:
#   summary: records=N seconds=S records_per_s=R jvm_start_s=J wall_s=W batches=B
#            final_watermark_ms=M final_watermark=... peak_rss_mb=P jvm_cpu_s=C shuffle_partitions=K
# seconds runs from the query's start to its end (JVM start excluded, reported as jvm_start_s);
# wall_s is the whole Python process. Exit status: crash_detector.py's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

bootstrap="" topic="" out="" shuffle=200
passthrough=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap) bootstrap="$2"; shift 2 ;;
    --topic) topic="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --shuffle-partitions) shuffle="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) passthrough+=("$1"); shift ;;
  esac
done
[ -n "$bootstrap" ] && [ -n "$topic" ] && [ -n "$out" ] ||
  { echo "usage: $0 --bootstrap B --topic T --out DIR [--shuffle-partitions N]" >&2; exit 2; }
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ]; then
  echo "spark/run.sh: $out is not empty" >&2; exit 2
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

base="$("$here/setup.sh" | tail -n 1)"
export SPARK_LOCAL_IP=127.0.0.1
export PYSPARK_PYTHON="$base/venv/bin/python"
set +e
"$base/venv/bin/python" "$here/crash_detector.py" --bootstrap "$bootstrap" --topic "$topic" \
  --out "$out/sink" --checkpoint "$out/checkpoint" --jars "$base/jars" \
  --shuffle-partitions "$shuffle" ${passthrough[@]+"${passthrough[@]}"} \
  2>"$out/spark.log" | tee "$out/stdout.txt"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" != 0 ]; then
  echo "spark/run.sh: crash_detector.py failed (exit $rc); tail of $out/spark.log:" >&2
  tail -n 20 "$out/spark.log" >&2
  exit "$rc"
fi
grep '^summary:' "$out/stdout.txt" >"$out/summary.txt" || true
find "$out/sink" -name 'part-*' -type f -exec cat {} + 2>/dev/null | LC_ALL=C sort >"$out/rows.jsonl"
echo "spark/run.sh: $(wc -l <"$out/rows.jsonl") rows in $out/rows.jsonl" >&2
