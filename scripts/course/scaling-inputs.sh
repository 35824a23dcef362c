#!/usr/bin/env bash
# The inputs of the scaling arithmetic in docs/course/performance-and-scalability.md: what one
# batch costs the master and the executors as the number of tasks grows.
#
# For P in --partitions (default 4 16 64): a fresh topic of P partitions, a streaming crash
# detector on a master and two 1-core workers (2 executors, P shuffle partitions, 1 s trigger),
# spate-loadgen at --rate records/s for --duration s. Per P: batches, batch / planning / stage 1
# / stage 2 / commit p50 (ms), the master's CPU milliseconds per batch, the workers' CPU
# milliseconds per batch, shuffle bytes per input record. Ends with a markdown table. About
# 1.5 minutes.
#
#   scripts/course/scaling-inputs.sh [--partitions "4 16 64"] [--rate 20000] [--duration 20]
# Environment: see scripts/course/lib.sh (SPATE_KAFKA_PORT defaults to 19592).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

partitions="4 16 64" rate=20000 duration=20
while [ $# -gt 0 ]; do
  case $1 in
    --partitions) partitions=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done

log "git $(git -C "$course_root" rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
course_kafka
results="$work/results.txt"
: >"$results"
for p in $partitions; do
  course_stop_all
  cluster_dir="$work/p$p"
  course_master
  course_workers 2 1 2G
  topic=scale-$p-$$
  course_topic "$topic" "$p"
  id=$("$bin/spate-submit" --master "$master" --num-executors 2 --executor-cores 1 \
    --executor-memory 1G --conf "spate.sql.shuffle.partitions=$p" --bootstrap "$bootstrap" \
    --topic "$topic" --starting-offsets earliest --trigger processing-time=1s \
    --sink "file:$cluster_dir/out" --detach crash-detector)
  course_wait_state "$id" RUNNING 60
  m0=$(course_cpu_s "$course_master_pid")
  w0=$(course_cpu_s "${course_worker_pids[@]}")
  b0=$(course_job "$id" | jq '.batchesCommitted')
  "$bin/spate-loadgen" --bootstrap "$bootstrap" --topic "$topic" --rate "$rate" \
    --duration "${duration}s" --seed 3 --progress-interval 0 >"$cluster_dir/loadgen.log" 2>&1
  sleep 2
  m1=$(course_cpu_s "$course_master_pid")
  w1=$(course_cpu_s "${course_worker_pids[@]}")
  b1=$(course_job "$id" | jq '.batchesCommitted')
  curl -sf "$api/jobs/$id/progress" >"$cluster_dir/progress.json"
  "$bin/spate-submit" --master "$master" --kill "$id" >/dev/null 2>&1 || true
  "$bin/spate-topics" --bootstrap "$bootstrap" delete "$topic" >/dev/null 2>&1 || true
  n=$((b1 - b0))
  {
    echo "p${p}_tasks_per_batch=$((p + p))"
    echo "p${p}_master_cpu_ms_per_batch=$(awk -v a="$m0" -v b="$m1" -v n="$n" 'BEGIN {printf "%.1f", (b - a) * 1000 / n}')"
    echo "p${p}_workers_cpu_ms_per_batch=$(awk -v a="$w0" -v b="$w1" -v n="$n" 'BEGIN {printf "%.1f", (b - a) * 1000 / n}')"
    python3 "$here/progress_stats.py" --label "p$p" --skip-first 2 <"$cluster_dir/progress.json"
  } >>"$results"
done
course_stop_all
cat "$results"
r() { grep "^$1=" "$results" | cut -d= -f2; }
echo
echo "| Kafka partitions = shuffle partitions | tasks a batch | batches | batch p50 (ms) | planning p50 | stage 1 p50 | stage 2 p50 | commit p50 | master CPU ms / batch | workers CPU ms / batch | records / batch p50 | shuffle B / record |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for p in $partitions; do
  echo "| $p | $(r "p${p}_tasks_per_batch") | $(r "p${p}_batches") | $(r "p${p}_batch_p50_ms") | $(r "p${p}_planning_p50_ms") | $(r "p${p}_stage1_p50_ms") | $(r "p${p}_stage2_p50_ms") | $(r "p${p}_commit_p50_ms") | $(r "p${p}_master_cpu_ms_per_batch") | $(r "p${p}_workers_cpu_ms_per_batch") | $(r "p${p}_batch_records_p50") | $(r "p${p}_shuffle_bytes_per_record") |"
done
