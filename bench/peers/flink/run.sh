#!/usr/bin/env bash
# Builds (once) and runs the Flink 2.2.1 peer of the crash detector over a Kafka topic, in one
# JVM (local MiniCluster, addresses bound to 127.0.0.1); or, with --sql-file, a SQL script on
# Flink SQL (spate.peers.SqlRunner: a streaming TableEnvironment, the script's own source and sink).
#
# Usage: bench/peers/flink/run.sh --bootstrap B --topic T --out DIR [--parallelism 2]
#                                 [--prefilter] [--watermark-ms 10000] [--idleness-ms 0]
#        bench/peers/flink/run.sh --sql-file FILE --out DIR [--records N] [--parallelism 2]
#                                 [--mode streaming|batch]
#
# With --sql-file the script runs as it is (placeholders already filled); its rows go where its
# sink table says, DIR gets flink.log and summary.txt, and records=N in the summary is --records.
#
# Build: Maven into ${SPATE_CACHE_DIR:-~/.cache/spate}/peers/flink/ (target/ and classpath.txt),
# never into the repository; rebuilt when pom.xml or a source file is newer than the jar.
# JVM: -Xmx${FLINK_PEER_HEAP:-2g}, no -Xms (it doubles the footprint).
# DIR gets rows.jsonl (sorted JSON lines, comparable with tests/oracle/crash_oracle.py --output),
# flink.log (the JVM's stderr) and summary.txt. Prints the summary line last:
#   summary: records=N seconds=S records_per_s=R jvm_start_s=J rows=K peak_rss_mb=P
#            jvm_cpu_s=C parallelism=P prefilter=true|false
# records: the topic's records; seconds: from building the job to its last row (JVM start
# excluded); wall_s (added by this script): the whole java command.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${SPATE_CACHE_DIR:-$HOME/.cache/spate}/peers/flink"

bootstrap="" topic="" out="" sql_file=""
passthrough=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap) bootstrap="$2"; shift 2 ;;
    --topic) topic="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --sql-file) sql_file="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) passthrough+=("$1"); shift ;;
  esac
done
[ -n "$out" ] && { [ -n "$sql_file" ] || { [ -n "$bootstrap" ] && [ -n "$topic" ]; }; } ||
  { echo "usage: $0 --bootstrap B --topic T --out DIR [--parallelism 2] [--prefilter]" >&2
    echo "       $0 --sql-file FILE --out DIR [--records N] [--parallelism 2]" >&2; exit 2; }
mkdir -p "$out" "$cache"
out="$(cd "$out" && pwd)"

jar="$cache/target/flink-crash-detector-1.jar"
(
  flock -w 600 9 || { echo "flink/run.sh: timed out waiting for another build" >&2; exit 1; }
  if [ ! -f "$jar" ] || [ ! -f "$cache/classpath.txt" ] ||
     [ -n "$(find "$here/pom.xml" "$here/src" -newer "$jar" -type f)" ]; then
    echo "flink/run.sh: building with Maven into $cache" >&2
    mvn -B -q -f "$here/pom.xml" -DbuildDirectory="$cache/target" package \
      dependency:build-classpath -Dmdep.outputFile="$cache/classpath.txt" >"$cache/mvn.log" 2>&1 ||
      { tail -n 40 "$cache/mvn.log" >&2; echo "flink/run.sh: build failed" >&2; exit 1; }
  fi
) 9>"$cache/.lock"

opens=()
for p in java.base/java.lang java.base/java.util java.base/java.lang.reflect java.base/java.io \
         java.base/java.net java.base/java.nio java.base/sun.nio.ch java.base/java.time \
         java.base/java.util.concurrent java.base/java.util.concurrent.atomic; do
  opens+=("--add-opens=$p=ALL-UNNAMED")
done
t0=$(date +%s.%N)
set +e
if [ -n "$sql_file" ]; then
  job=(spate.peers.SqlRunner --sql-file "$sql_file")
else
  job=(spate.peers.CrashDetector --bootstrap "$bootstrap" --topic "$topic" --output "$out/rows.jsonl")
fi
java -Xmx"${FLINK_PEER_HEAP:-2g}" "${opens[@]}" -cp "$jar:$(cat "$cache/classpath.txt")" \
  "${job[@]}" ${passthrough[@]+"${passthrough[@]}"} 2>"$out/flink.log" >"$out/stdout.txt"
rc=$?
set -e
t1=$(date +%s.%N)
if [ "$rc" != 0 ]; then
  echo "flink/run.sh: the job failed (exit $rc); tail of $out/flink.log:" >&2
  tail -n 30 "$out/flink.log" >&2
  exit "$rc"
fi
line="$(grep '^summary:' "$out/stdout.txt") wall_s=$(echo "$t1 - $t0" | bc -l | xargs printf '%.3f')"
echo "$line" >"$out/summary.txt"
echo "$line"
