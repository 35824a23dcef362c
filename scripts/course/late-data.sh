#!/usr/bin/env bash
# Late data, measured: the crash detector at four allowed latenesses (--watermark 0s, 5s, 10s,
# 30s) on the same disordered stream, against the oracle (tests/oracle/crash_oracle.py).
#
# One cluster (a master, two workers of 4 cores), four streaming jobs submitted side by side on
# one empty topic, then spate-loadgen at --rate records/s for --duration with wall-clock event
# times, a --disorder-fraction of the records moved back in event time by 1..--disorder-ms ms
# (they arrive that much later than records of their own event time). When the load ends and
# every job has read every record, each job is stopped with --drain (every open window emitted)
# and its rows are compared with the oracle's over the whole topic.
#
# Prints, per job: rows the oracle expects / emitted / identical / missing / undercounted,
# records dropped behind the watermark, records that passed the filters, how long after a
# window's end its row became visible in the sink (p50 / max), and for the 0 s job the
# `bad record:` lines of spate-submit --status and the /metrics counter. Ends with a markdown
# table.
#
# Then partitions that drift apart in event time: a 2-partition topic whose partition 1 runs
# --drift-ms behind partition 0 (spate-loadgen --stdout piped into kcat, one partition each,
# synthetic event time), read as a backlog in bounded batches (--max-offsets-per-trigger) with
# --watermark 0s: records dropped and rows against the oracle. Takes about 2.5 minutes.
#
#   scripts/course/late-data.sh [--rate 10000] [--duration 60] [--disorder-ms 30000]
#                               [--disorder-fraction 0.1] [--partitions 4] [--seed 42]
#                               [--drift-ms 20000] [--no-drift]
# Environment: see scripts/course/lib.sh (SPATE_KAFKA_PORT defaults to 19592).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

rate=10000 duration=60 disorder_ms=30000 disorder_fraction=0.1 partitions=4 seed=42
drift_ms=20000 drift=1
lateness=(0s 5s 10s 30s)
while [ $# -gt 0 ]; do
  case $1 in
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --disorder-ms) disorder_ms=$2; shift 2 ;;
    --disorder-fraction) disorder_fraction=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --drift-ms) drift_ms=$2; shift 2 ;;
    --no-drift) drift=0; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done

log "git $(git -C "$course_root" rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
course_kafka
course_master
course_workers 2 4 4G
topic=late-$$
course_topic "$topic" "$partitions"

declare -A job
for w in "${lateness[@]}"; do
  job[$w]=$("$bin/spate-submit" --master "$master" --num-executors 2 --executor-cores 1 \
    --executor-memory 512M --conf spate.sql.shuffle.partitions=2 \
    --bootstrap "$bootstrap" --topic "$topic" --starting-offsets earliest \
    --sink "file:$work/out-$w" --trigger processing-time=1s --name "lateness-$w" --detach \
    crash-detector --window 10s --watermark "$w" --threshold 2)
  log "watermark $w: job ${job[$w]}"
done
for w in "${lateness[@]}"; do course_wait_state "${job[$w]}" RUNNING 60; done

log "load: $rate records/s for ${duration}s, ${disorder_fraction} of them up to ${disorder_ms} ms late"
"$bin/spate-loadgen" --bootstrap "$bootstrap" --topic "$topic" --rate "$rate" \
  --duration "${duration}s" --seed "$seed" --disorder-ms "$disorder_ms" \
  --disorder-fraction "$disorder_fraction" --progress-interval 0 >"$work/loadgen.log" 2>&1
acked=$(grep -o 'acked=[0-9]*' "$work/loadgen.log" | tail -1 | cut -d= -f2)
log "load generator: $acked records acknowledged"

for w in "${lateness[@]}"; do
  deadline=$((SECONDS + 60))
  until [ "$(course_job "${job[$w]}" | jq '.totals.inputRows')" -ge "$acked" ]; do
    [ $SECONDS -lt $deadline ] || die "job ${job[$w]} did not read all $acked records"
    sleep 0.5
  done
done
# The status and metrics of the 0 s job before it ends (late records are in its bad-record list).
"$bin/spate-submit" --master "$master" --status "${job[0s]}" >"$work/status-0s.txt"
curl -sf "http://127.0.0.1:$ui_port/metrics" >"$work/metrics.txt"
declare -A drain_batch
for w in "${lateness[@]}"; do
  drain_batch[$w]=$(($(course_job "${job[$w]}" | jq '.batchesCommitted') ))
  "$bin/spate-submit" --master "$master" --stop "${job[$w]}" --drain >/dev/null
done
for w in "${lateness[@]}"; do course_wait_state "${job[$w]}" FINISHED 60; done

log "oracle over the topic"
python3 "$course_root/tests/oracle/crash_oracle.py" --bootstrap "$bootstrap" --topic "$topic" \
  --output "$work/expected.jsonl" 2>"$work/oracle.log"

echo "records=$acked rate=$rate duration_s=$duration partitions=$partitions disorder_ms=$disorder_ms disorder_fraction=$disorder_fraction seed=$seed"
table="| allowed lateness (--watermark) | oracle rows | rows emitted | identical | missing | undercounted | records dropped as late | of matching records | row visible after window end p50 / max |"
table+=$'\n'"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for w in "${lateness[@]}"; do
  j=$(course_job "${job[$w]}")
  dropped=$(jq '.totals.rowsDroppedByWatermark' <<<"$j")
  matched=$(jq '.totals.rowsMatched' <<<"$j")
  echo "watermark_${w}_job=${job[$w]}"
  echo "watermark_${w}_records_dropped_late=$dropped"
  echo "watermark_${w}_records_matched=$matched"
  python3 "$here/compare_rows.py" --expected "$work/expected.jsonl" --sink "$work/out-$w" \
    --label "watermark_$w" --drain-batch "${drain_batch[$w]}" >"$work/cmp-$w.txt" || true
  cat "$work/cmp-$w.txt"
  v() { grep "_$1=" "$work/cmp-$w.txt" | cut -d= -f2; }
  table+=$'\n'"| $w | $(v rows_expected) | $(v rows_emitted) | $(v rows_identical) | $(v rows_missing) | $(v rows_undercounted) | $dropped | $matched | $(v visible_after_window_end_p50_s) s / $(v visible_after_window_end_max_s) s |"
done
echo
echo "spate-submit --status (watermark 0s), the bad-record lines:"
grep -m 3 'bad record:' "$work/status-0s.txt" | cut -c1-240 || true
grep 'late rows' "$work/status-0s.txt" || true
echo "/metrics:"
grep '^spate_job_rows_dropped_by_watermark_total' "$work/metrics.txt" || true
echo
echo "$table"
"$bin/spate-topics" --bootstrap "$bootstrap" delete "$topic" >/dev/null 2>&1 || true

[ "$drift" = 1 ] || exit 0
echo
log "drift: partition 1 runs ${drift_ms} ms behind partition 0 in event time"
dtopic=drift-$$
course_topic "$dtopic" 2
start=1768142570000
for p in 0 1; do
  "$bin/spate-loadgen" --stdout --count 300000 --rate 0 --seed $((seed + p)) \
    --start-ms $((start - p * drift_ms)) --quiet 2>>"$work/loadgen-drift.log" |
    kcat -P -b "$bootstrap" -t "$dtopic" -p "$p" -X linger.ms=20
done
djob=$("$bin/spate-submit" --master "$master" --num-executors 2 --executor-cores 1 \
  --executor-memory 512M --conf spate.sql.shuffle.partitions=2 \
  --bootstrap "$bootstrap" --topic "$dtopic" --starting-offsets earliest \
  --max-offsets-per-trigger 20000 --sink "file:$work/out-drift" --trigger available-now \
  --name drift --detach crash-detector --window 10s --watermark 0s --threshold 2)
course_wait_state "$djob" FINISHED 120
python3 "$course_root/tests/oracle/crash_oracle.py" --bootstrap "$bootstrap" --topic "$dtopic" \
  --output "$work/expected-drift.jsonl" 2>>"$work/oracle.log"
j=$(course_job "$djob")
echo "drift_ms=$drift_ms records=600000 max_offsets_per_trigger=20000 watermark=0s"
echo "drift_batches=$(jq '.batchesCommitted' <<<"$j")"
echo "drift_records_dropped_late=$(jq '.totals.rowsDroppedByWatermark' <<<"$j")"
echo "drift_records_matched=$(jq '.totals.rowsMatched' <<<"$j")"
python3 "$here/compare_rows.py" --expected "$work/expected-drift.jsonl" --sink "$work/out-drift" \
  --label drift | grep -v visible_after || true
"$bin/spate-topics" --bootstrap "$bootstrap" delete "$dtopic" >/dev/null 2>&1 || true
