#!/usr/bin/env bash
# Runs the peer engines side by side on one topic and checks their rows.
#
# Usage: bench/peers/run_all.sh --bootstrap B --topic T [--expected ORACLE.jsonl] [--rounds R]
#                               [--work DIR] [--only spark-defaults,spark-tuned,flink,flink-prefilter]
#
# Configurations (each round runs them all; the order rotates every round, the machine is noisy):
#   spark-defaults   bench/peers/spark/run.sh (200 shuffle partitions, availableNow, local[2])
#   spark-tuned      the same with --shuffle-partitions 4
#   flink            bench/peers/flink/run.sh (parallelism 2, Flink's JSON deserializer)
#   flink-prefilter  the same with --prefilter (raw-byte check before the parser)
# --expected: the oracle's rows (python3 tests/oracle/crash_oracle.py --bootstrap B --topic T
#   --output FILE); without it the oracle is run once into WORK/oracle.jsonl. Flink must match it
#   exactly; Spark must match it on the windows ending at or before its final watermark.
# Prints one `peer: name=... round=... records=... seconds=... records_per_s=... ...` line per
# run and one `rows: name=... round=... compare: ...` line; the work dir keeps every output.
# Exit 1 if any run fails or any rows mismatch.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

bootstrap="" topic="" expected="" rounds=1 work="" only="spark-defaults,spark-tuned,flink,flink-prefilter"
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap) bootstrap="$2"; shift 2 ;;
    --topic) topic="$2"; shift 2 ;;
    --expected) expected="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_all.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$bootstrap" ] && [ -n "$topic" ] || { echo "usage: $0 --bootstrap B --topic T" >&2; exit 2; }
work="${work:-$(mktemp -d "${TMPDIR:-/tmp}/spate-peers.XXXXXX")}"
mkdir -p "$work"
echo "run_all.sh: work dir $work" >&2

if [ -z "$expected" ]; then
  expected="$work/oracle.jsonl"
  echo "run_all.sh: running the oracle into $expected" >&2
  python3 "$root/tests/oracle/crash_oracle.py" --bootstrap "$bootstrap" --topic "$topic" \
    --output "$expected"
fi

IFS=, read -r -a configs <<<"$only"
failed=0
run_one() {  # name round
  local name="$1" round="$2" dir="$work/$1-r$2" summary wm
  case "$name" in
    spark-defaults) "$here/spark/run.sh" --bootstrap "$bootstrap" --topic "$topic" --out "$dir" ;;
    spark-tuned) "$here/spark/run.sh" --bootstrap "$bootstrap" --topic "$topic" --out "$dir" \
                   --shuffle-partitions 4 ;;
    flink) "$here/flink/run.sh" --bootstrap "$bootstrap" --topic "$topic" --out "$dir" ;;
    flink-prefilter) "$here/flink/run.sh" --bootstrap "$bootstrap" --topic "$topic" --out "$dir" \
                       --prefilter ;;
    *) echo "run_all.sh: unknown configuration $name" >&2; return 2 ;;
  esac >"$work/$name-r$round.out" 2>&1 || { echo "peer: name=$name round=$round FAILED (see $work/$name-r$round.out)"; return 1; }
  summary="$(cat "$dir/summary.txt")"
  echo "peer: name=$name round=$round ${summary#summary: }"
  wm=""
  if [[ "$name" == spark-* ]]; then
    wm="$(sed -n 's/.*final_watermark_ms=\([0-9]*\).*/\1/p' "$dir/summary.txt")"
    [ -n "$wm" ] || wm=-9223372036854775808
  fi
  local verdict rc=0
  verdict="$(python3 "$here/compare_rows.py" --expected "$expected" --actual "$dir/rows.jsonl" \
    ${wm:+--emitted-until-ms "$wm"} 2>>"$work/compare.log")" || rc=$?
  echo "rows: name=$name round=$round $verdict"
  return "$rc"
}
n=${#configs[@]}
for ((r = 1; r <= rounds; r++)); do
  for ((i = 0; i < n; i++)); do
    name="${configs[$(((i + r - 1) % n))]}"
    run_one "$name" "$r" || failed=1
  done
done
exit "$failed"
