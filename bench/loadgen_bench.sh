#!/usr/bin/env bash
# Throughput and pacing of spate-loadgen against a running broker.
#
# Usage: bench/loadgen_bench.sh [extra spate-loadgen flags...]
#   e.g. bench/loadgen_bench.sh --threads 2 --compression lz4
#
# 1. Throughput: creates an 8-partition topic, produces N records as fast as possible
#    (--rate 0, a fixed seed and synthetic event time), checks that the topic holds N records,
#    reports records/s and MB/s (value bytes), deletes the topic.
# 2. Pacing: produces at PACING_RATE records/s for PACING_SECONDS into a fresh topic and
#    reports the achieved rate and the spread of the per-second progress rates.
#
# Starts no broker: it uses the one at $SPATE_BOOTSTRAP (scripts/kafka.sh start).
#
# Environment:
#   SPATE_BOOTSTRAP   broker address (default 127.0.0.1:${SPATE_KAFKA_PORT:-19092})
#   SPATE_BIN_DIR     where spate-loadgen and spate-topics are (default build/bin)
#   N                 records of the throughput run (default 10000000)
#   PARTITIONS        partitions of the throughput topic (default 8)
#   PACING_RATE       records/s of the pacing run, 0 skips it (default 10000)
#   PACING_SECONDS    length of the pacing run (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."

bootstrap="${SPATE_BOOTSTRAP:-127.0.0.1:${SPATE_KAFKA_PORT:-19092}}"
bin_dir="${SPATE_BIN_DIR:-build/bin}"
n="${N:-10000000}"
partitions="${PARTITIONS:-8}"
pacing_rate="${PACING_RATE:-10000}"
pacing_seconds="${PACING_SECONDS:-5}"
loadgen="$bin_dir/spate-loadgen"
topics="$bin_dir/spate-topics"

say() { echo "loadgen_bench: $*" >&2; }
for b in "$loadgen" "$topics"; do
  [ -x "$b" ] || { say "$b not found (build first, or set SPATE_BIN_DIR)"; exit 1; }
done

created=()
cleanup() {
  for t in "${created[@]}"; do "$topics" --bootstrap "$bootstrap" delete "$t" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

make_topic() {  # name partitions
  "$topics" --bootstrap "$bootstrap" create "$1" --partitions "$2" >/dev/null
  created+=("$1")
}

topic_records() {  # name -> sum of (high - low) over partitions
  "$topics" --bootstrap "$bootstrap" describe "$1" |
    awk '{for (i = 1; i <= NF; i++) { if ($i == "Low:") lo += $(i+1); if ($i == "High:") hi += $(i+1) }}
         END { print hi - lo }'
}

field() {  # summary-line key -> value
  grep -o "$1=[0-9.]*" | tail -1 | cut -d= -f2
}

# --- throughput ---------------------------------------------------------------------------
topic="loadgen-bench-$$-$(date +%s)"
make_topic "$topic" "$partitions"
cmd=("$loadgen" --bootstrap "$bootstrap" --topic "$topic" --rate 0 --count "$n" --seed 1
     --start-ms 1768142570000 --progress-interval 5s "$@")
say "throughput: ${cmd[*]}"
log=$(mktemp)
"${cmd[@]}" 2>"$log" || { cat "$log" >&2; rm -f "$log"; exit 1; }
summary=$(grep "summary:" "$log")
rm -f "$log"
rps=$(echo "$summary" | field records_per_s)
mbps=$(echo "$summary" | field mb_per_s)
secs=$(echo "$summary" | field seconds)
bytes=$(echo "$summary" | field value_bytes)
stored=$(topic_records "$topic")
if [ "$stored" != "$n" ]; then
  say "topic $topic holds $stored records, expected $n"
  exit 1
fi
avg=$(awk -v b="$bytes" -v n="$n" 'BEGIN { printf "%.1f", b / n }')
echo "loadgen throughput: $n records ($avg B each) to $partitions partitions in ${secs} s:" \
  "$rps records/s, $mbps MB/s (values)"

# --- pacing -------------------------------------------------------------------------------
if [ "$pacing_rate" != "0" ]; then
  ptopic="loadgen-bench-pacing-$$-$(date +%s)"
  make_topic "$ptopic" 4
  cmd=("$loadgen" --bootstrap "$bootstrap" --topic "$ptopic" --rate "$pacing_rate"
       --duration "${pacing_seconds}s" --progress-interval 1s)
  say "pacing: ${cmd[*]}"
  log=$(mktemp)
  "${cmd[@]}" 2>"$log" || { cat "$log" >&2; rm -f "$log"; exit 1; }
  stored=$(topic_records "$ptopic")
  secs=$(grep "summary:" "$log" | field seconds)
  # Per-second rates from the progress lines, without the first and the last (partial) one.
  rates=$(grep -o "rate=[0-9.]*[k]*/s" "$log" |
          sed -e 's/rate=//' -e 's#/s##' |
          awk '/k$/ { sub(/k$/, ""); print $1 * 1000; next } { print $1 }')
  rm -f "$log"
  spread=$(echo "$rates" | sed '1d;$d' |
           awk 'NR == 1 { lo = hi = $1 } { if ($1 < lo) lo = $1; if ($1 > hi) hi = $1 }
                END { if (NR) printf "%.0f..%.0f", lo, hi; else print "n/a" }')
  echo "$stored $pacing_rate $pacing_seconds $spread" |
    awk '{ printf "loadgen pacing: target %d/s for %d s: %d records = %.1f/s (%.2f%% off), per-second %s\n",
           $2, $3, $1, $1 / $3, 100 * ($1 / $3 - $2) / $2, $4 }'
fi
