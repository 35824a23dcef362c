#!/usr/bin/env bash
# Activity 1, seen on a real run: screenshots of the master's page and the figures behind them.
#
# A master and two workers (1 core, 2 GB each), the exercise's topic (`logs`, 2 partitions), two
# load generator instances configured as the exercise's (KAFKA_BROKER, KAFKA_TOPIC,
# TARGET_RPS=--rate each, wall-clock event time), and the crash detector with the console sink,
# attached (2 executors x 1 core x 1 GB, 2 shuffle partitions, 1 s trigger). After --seconds
# (default 75) of load, headless Chromium (scripts/course/shoot.py) takes the cluster page and
# the job page's panels into --shots DIR (default docs/course/img, files activity1-*.png); then
# the script prints the job's figures (phases, rates, state, memory: the API's reservations and
# the processes' resident memory), the console output's last `Batch:` table, and stops
# everything. About 1.5 minutes.
#
#   scripts/course/screenshots.sh [--rate 50000] [--seconds 75] [--shots DIR]
# Environment: see scripts/course/lib.sh (SPATE_KAFKA_PORT defaults to 19592).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

rate=50000 seconds=75 shots="$course_root/docs/course/img"
while [ $# -gt 0 ]; do
  case $1 in
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --shots) shots=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done

log "git $(git -C "$course_root" rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
course_kafka
course_master
course_workers 2 1 2G
topic=logs-$$
course_topic "$topic" 2

course_bg submit "$bin/spate-submit" --master "$master" --num-executors 2 --executor-cores 1 \
  --executor-memory 1G --conf spate.sql.shuffle.partitions=2 --bootstrap "$bootstrap" \
  --topic "$topic" --starting-offsets latest --sink console --trigger processing-time=1s \
  --name activity-1 crash-detector --window 10s --watermark 10s --threshold 2
for _ in $(seq 100); do
  id=$(grep -o 'job-[0-9]*-[0-9]*' "$cluster_dir/submit.log" | head -1 || true)
  [ -n "$id" ] && break
  sleep 0.1
done
[ -n "$id" ] || die "no job id from spate-submit"
course_wait_state "$id" RUNNING 60
for i in 1 2; do
  KAFKA_BROKER="$bootstrap" KAFKA_TOPIC="$topic" TARGET_RPS="$rate" \
    course_bg "loadgen-$i" "$bin/spate-loadgen" --progress-interval 0
done
log "job $id; two load generators at $rate records/s each; screenshots after ${seconds}s"
sleep "$seconds"

python3 "$here/shoot.py" --url "http://127.0.0.1:$ui_port/#/" --out "$shots" \
  --wait-for "document.querySelector('[data-view=cluster]') !== null" \
  --shot "activity1-cluster.png=top:700" >&2 || log "cluster screenshot failed"
python3 "$here/shoot.py" --url "http://127.0.0.1:$ui_port/#/jobs/$id" --out "$shots" \
  --wait-for "document.querySelector('[data-view=job] svg') !== null" \
  --shot "activity1-job-top.png=top:300" \
  --shot "activity1-stages.png=panel:Stages" \
  --shot "activity1-phases.png=panel:Time per phase" \
  --shot "activity1-duration.png=panel:Batch duration" \
  --shot "activity1-state.png=panel:Window state" \
  --shot "activity1-executors.png=panel:Executors" \
  --shot "activity1-results.png=panel:Latest results" >&2 || log "job screenshots failed"

curl -sf "$api/jobs/$id/progress" >"$work/progress.json"
curl -sf "$api/jobs/$id" >"$work/job.json"
curl -sf "$api/cluster" >"$work/cluster.json"
echo "job=$id rate_per_loadgen=$rate loadgens=2 seconds=$seconds"
python3 "$here/progress_stats.py" --skip-first 3 <"$work/progress.json"
jq -r '"state_rows=\(.lastProgress.stateRows)", "state_bytes=\(.lastProgress.stateBytes)",
  "executor_memory_bytes=\(.executorMemoryBytes)", "input_rows=\(.totals.inputRows)",
  "rows_emitted=\(.totals.rowsEmitted)"' "$work/job.json"
jq -r '"cluster_memory_bytes=\(.memoryBytes)", "cluster_memory_used_bytes=\(.memoryUsedBytes)",
  "cluster_cores=\(.cores)", "cluster_cores_used=\(.coresUsed)"' "$work/cluster.json"
jq -r '.executors[] | "executor \(.executorId): kafka partitions \(.kafkaPartitions), key groups \(.keyGroups | map("\(.begin)-\(.end - 1)") | join(",")), records read \(.totals.recordsRead), shuffle written \(.totals.shuffleBytesWritten) B (remote \(.totals.shuffleBytesRemote) B), read \(.totals.shuffleBytesRead) B, tasks \(.totals.tasks), task time \(.totals.taskTimeMs) ms"' "$work/job.json"
echo "master_rss_mb=$(course_rss_mb "$course_master_pid") master_peak_rss_mb=$(course_rss_mb "$course_master_pid" VmHWM)"
i=0
for p in "${course_worker_pids[@]}"; do
  i=$((i + 1))
  echo "worker${i}_rss_mb=$(course_rss_mb "$p") worker${i}_peak_rss_mb=$(course_rss_mb "$p" VmHWM)"
done
# The last phase of each batch that read records, to see what the largest phase is made of.
jq -r '[.[] | select(.numInputRows > 0)] | .[-5:][] | "batch \(.batchId): \(.numInputRows) rows, planning \(.durationMs.planning) / stage1 \(.durationMs.stage1) / stage2 \(.durationMs.stage2) / commit \(.durationMs.commit) / total \(.durationMs.total) ms, matched \(.rowsMatched), shuffle \(.shuffleBytes) B, state \(.stateRows) rows, emitted \(.rowsEmitted)"' "$work/progress.json"

"$bin/spate-submit" --master "$master" --stop "$id" >/dev/null
course_wait_state "$id" FINISHED 60 || true
echo
echo "the console sink's last table:"
awk '/^Batch: /{buf=""} {buf=buf $0 "\n"} END {printf "%s", buf}' "$cluster_dir/submit.log" |
  grep -v '^batch \|^\[' | head -30 || true
"$bin/spate-topics" --bootstrap "$bootstrap" delete "$topic" >/dev/null 2>&1 || true
