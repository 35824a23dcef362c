#!/usr/bin/env bash
# Activity 2, measured: the crash detector from the exercise's baseline (--num-executors 1
# --executor-cores 1 --executor-memory 1G, 2 shuffle partitions) to what this machine allows.
#
# For each configuration, on a fresh cluster whose workers offer the machine's 2 cores:
#   catch-up     the job reads a backlog of --records records (8 partitions, made once with
#                spate-loadgen --rate 0 --seed 42) in batches of at most --batch records
#                (--max-offsets-per-trigger), available-now: records/s from submit to exit,
#                batch durations, phases, CPU seconds of master + workers, shuffle bytes
#   parse-all    the same backlog with the filter made non-selective (--keyword e, every
#                severity; --threshold 1000000 so that no row is written): every record is
#                parsed, aggregated and shuffled (skipped with --no-parse-all)
#   streaming    a fresh topic, the job at --trigger processing-time=1s, spate-loadgen at --rate
#                records/s (2 threads) for --duration s: input rate vs process rate, batch p50 /
#                p99, and whether the job had read everything 3 s after the load stopped
# Catch-up and parse-all run --rounds times (default 3; configurations in rotating order, each
# on a fresh cluster), streaming once (first). Then a skew run (a 3-partition topic on two
# executors: one reads two partitions). Screenshots of the job page (scripts/course/shoot.py)
# of the baseline, the best and the skew run are taken during their streaming load, into
# --shots DIR (default docs/course/img). Ends with markdown tables with the load average of each
# run. About 8 minutes.
#
#   scripts/course/tuning.sh [--records 5000000] [--batch 1000000] [--rate 300000]
#                            [--duration 20] [--rounds 3] [--shots DIR] [--no-shots]
#                            [--no-parse-all]
# Environment: see scripts/course/lib.sh (SPATE_KAFKA_PORT defaults to 19592).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

records=5000000 batch=1000000 rate=300000 duration=20 shots="$course_root/docs/course/img"
parse_all=1 rounds=3
while [ $# -gt 0 ]; do
  case $1 in
    --records) records=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --shots) shots=$2; shift 2 ;;
    --no-shots) shots=""; shift ;;
    --no-parse-all) parse_all=0; shift ;;
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done

# label | workers | cores per worker | executors | cores per executor | memory | shuffle partitions
configs=(
  "baseline|1|2|1|1|1G|2"
  "1x2-cores|1|2|1|2|1G|2"
  "2x1|2|1|2|1|1G|2"
  "2x1-sp4|2|1|2|1|1G|4"
  "2x1-sp128|2|1|2|1|1G|128"
  "2x1-sp4-256M|2|1|2|1|256M|4"
)
shot_labels=" baseline 2x1-sp4 skew "

log "git $(git -C "$course_root" rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
course_kafka
backlog=tune-backlog-$$
course_topic "$backlog" 8
log "backlog: $records records into $backlog"
"$bin/spate-loadgen" --bootstrap "$bootstrap" --topic "$backlog" --count "$records" --rate 0 \
  --seed 42 --start-ms 1768142570000 --threads 2 --quiet >"$work/fill.log" 2>&1

results="$work/results.txt"
: >"$results"

# submit ARGS...: an attached available-now run; prints the job id; the wall seconds go to
# $work/last_seconds and the CPU seconds of master + workers to $work/last_cpu.
run_catchup() {
  local cpu0 cpu1 t0 t1 id
  cpu0=$(course_cpu_s "$course_master_pid" "${course_worker_pids[@]}")
  t0=$(date +%s.%N)
  "$bin/spate-submit" --master "$master" "$@" >"$work/submit.out" 2>"$work/submit.err" ||
    die "spate-submit failed: $(tail -3 "$work/submit.err")"
  t1=$(date +%s.%N)
  cpu1=$(course_cpu_s "$course_master_pid" "${course_worker_pids[@]}")
  id=$(grep -o 'job-[0-9]*-[0-9]*' "$work/submit.err" | head -1)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}' >"$work/last_seconds"
  awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {printf "%.2f", b - a}' >"$work/last_cpu"
  echo "$id"
}

# streaming LABEL TOPIC PARTITIONS JOBARGS...: the live measurement of one configuration.
run_streaming() {
  local label=$1 topic=$2 parts=$3
  shift 3
  course_topic "$topic" "$parts"
  local id
  id=$("$bin/spate-submit" --master "$master" "$@" --bootstrap "$bootstrap" --topic "$topic" \
    --starting-offsets earliest --trigger processing-time=1s --sink "file:$cluster_dir/live" \
    --name "$label" --detach crash-detector)
  course_wait_state "$id" RUNNING 60
  "$bin/spate-loadgen" --bootstrap "$bootstrap" --topic "$topic" --rate "$rate" \
    --duration "${duration}s" --threads 2 --seed 7 --progress-interval 0 \
    >"$cluster_dir/loadgen-live.log" 2>&1 &
  local lg=$!
  if [ -n "$shots" ] && [[ "$shot_labels" == *" $label "* ]]; then
    sleep $((duration - 8))
    python3 "$here/shoot.py" --url "http://127.0.0.1:$ui_port/#/jobs/$id" --out "$shots" \
      --wait-for "document.querySelector('[data-view=job] svg') !== null" \
      --shot "tuning-$label-top.png=top:760" \
      --shot "tuning-$label-stages.png=panel:Stages" \
      --shot "tuning-$label-rates.png=panels:Input rate vs process rate|Batch duration" \
      --shot "tuning-$label-records.png=panel:Records read per executor" \
      --shot "tuning-$label-shuffle.png=panel:Shuffle bytes per executor" \
      --shot "tuning-$label-executor-table.png=panel:Executors" >&2 || log "screenshots failed"
  fi
  wait "$lg" || die "the load generator failed: $(tail -2 "$cluster_dir/loadgen-live.log")"
  local acked
  acked=$(grep -o 'acked=[0-9]*' "$cluster_dir/loadgen-live.log" | tail -1 | cut -d= -f2)
  local produced_rps
  produced_rps=$(grep -o 'records_per_s=[0-9]*' "$cluster_dir/loadgen-live.log" | tail -1 | cut -d= -f2)
  sleep 3
  local read
  read=$(course_job "$id" | jq '.totals.inputRows')
  curl -sf "$api/jobs/$id/progress" >"$cluster_dir/progress-live.json"
  "$bin/spate-submit" --master "$master" --kill "$id" >/dev/null 2>&1 || true
  "$bin/spate-topics" --bootstrap "$bootstrap" delete "$topic" >/dev/null 2>&1 || true
  {
    echo "${label}_live_offered_rps=$produced_rps"
    echo "${label}_live_records=$acked"
    echo "${label}_live_unread_3s_after=$((acked - read))"
    python3 "$here/progress_stats.py" --label "${label}_live" --skip-first 2 \
      <"$cluster_dir/progress-live.json"
  } >>"$results"
}

# A catch-up round: every configuration once, on a fresh cluster each (the order rotates from
# round to round, as the machine's load drifts). Streaming (and its screenshots) in round 1.
ncfg=${#configs[@]}
for ((round = 1; round <= rounds; round++)); do
  for ((k = 0; k < ncfg; k++)); do
    c=${configs[$(((k + round - 1) % ncfg))]}
    IFS='|' read -r label nw wc ne ec mem sp <<<"$c"
    log "round $round, $label: $ne executor(s) x $ec core(s), $mem, $sp shuffle partitions ($nw worker(s) x $wc cores)"
    course_stop_all
    cluster_dir="$work/r$round-$label"
    course_master
    course_workers "$nw" "$wc" 4G
    echo "${label}_r${round}_loadavg=$(cut -d' ' -f1 /proc/loadavg)" >>"$results"
    jobargs=(--num-executors "$ne" --executor-cores "$ec" --executor-memory "$mem"
      --conf "spate.sql.shuffle.partitions=$sp")
    peak_workers() {
      local peak=0 p
      for p in "${course_worker_pids[@]}"; do peak=$((peak + $(course_rss_mb "$p" VmHWM))); done
      echo "$peak"
    }

    if [ "$round" = 1 ]; then
      run_streaming "$label" "tune-live-$$" 8 "${jobargs[@]}"
      echo "${label}_live_workers_peak_rss_mb=$(peak_workers)" >>"$results"
    fi

    id=$(run_catchup "${jobargs[@]}" --bootstrap "$bootstrap" --topic "$backlog" \
      --starting-offsets earliest --max-offsets-per-trigger "$batch" --trigger available-now \
      --sink "file:$cluster_dir/out" crash-detector)
    secs=$(cat "$work/last_seconds")
    {
      echo "${label}_r${round}_catchup_seconds=$secs"
      echo "${label}_r${round}_catchup_rps=$(awk -v n="$records" -v s="$secs" 'BEGIN {printf "%d", n / s}')"
      echo "${label}_r${round}_catchup_cpu_s=$(cat "$work/last_cpu")"
      echo "${label}_r${round}_catchup_rows=$(cat "$cluster_dir"/out/batch-* 2>/dev/null | wc -l)"
      echo "${label}_r${round}_catchup_workers_peak_rss_mb=$(peak_workers)"
      curl -sf "$api/jobs/$id/progress" |
        python3 "$here/progress_stats.py" --label "${label}_r${round}_catchup"
    } >>"$results"

    if [ "$parse_all" = 1 ]; then
      id=$(run_catchup "${jobargs[@]}" --bootstrap "$bootstrap" --topic "$backlog" \
        --starting-offsets earliest --max-offsets-per-trigger "$batch" --trigger available-now \
        --sink "file:$cluster_dir/out-all" crash-detector --keyword e \
        --severities Low,Medium,High,Critical --threshold 1000000)
      secs=$(cat "$work/last_seconds")
      {
        echo "${label}_r${round}_parseall_seconds=$secs"
        echo "${label}_r${round}_parseall_rps=$(awk -v n="$records" -v s="$secs" 'BEGIN {printf "%d", n / s}')"
        echo "${label}_r${round}_parseall_cpu_s=$(cat "$work/last_cpu")"
        echo "${label}_r${round}_parseall_workers_peak_rss_mb=$(peak_workers)"
        curl -sf "$api/jobs/$id/progress" |
          python3 "$here/progress_stats.py" --label "${label}_r${round}_parseall"
      } >>"$results"
    fi
  done
done

log "skew: 3 Kafka partitions on 2 executors"
course_stop_all
cluster_dir="$work/skew"
course_master
course_workers 2 1 4G
run_streaming skew "tune-skew-$$" 3 --num-executors 2 --executor-cores 1 --executor-memory 1G \
  --conf spate.sql.shuffle.partitions=4
course_stop_all
"$bin/spate-topics" --bootstrap "$bootstrap" delete "$backlog" >/dev/null 2>&1 || true

cat "$results"
r() { grep "^$1=" "$results" | cut -d= -f2; }
# range NAME: "min-max" of NAME over the rounds (rounds 1..$rounds), or the one value.
range() {
  local vals
  vals=$(for ((i = 1; i <= rounds; i++)); do r "${label}_r${i}_$1"; done | sort -n)
  local lo hi
  lo=$(head -1 <<<"$vals")
  hi=$(tail -1 <<<"$vals")
  [ "$lo" = "$hi" ] && echo "$lo" || echo "$lo-$hi"
}
# median NAME over the rounds.
median() {
  for ((i = 1; i <= rounds; i++)); do r "${label}_r${i}_$1"; done | sort -n |
    awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}
echo
echo "Catch-up ($records records, batches of at most $batch, $rounds rounds: median, and min-max):"
echo
echo "| configuration | load avg | records/s | batch p50 (ms) | largest phase | CPU s | workers' peak RSS (MB) | parse-all records/s | parse-all batch p50 (ms) | parse-all CPU s | parse-all shuffle B/record | parse-all workers' peak RSS (MB) |"
echo "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for c in "${configs[@]}"; do
  IFS='|' read -r label _ _ ne ec mem sp <<<"$c"
  echo "| $label ($ne x $ec core, $mem, $sp SP) | $(range loadavg) | $(median catchup_rps) ($(range catchup_rps)) | $(median catchup_batch_p50_ms) | $(r "${label}_r1_catchup_largest_phase") | $(median catchup_cpu_s) | $(range catchup_workers_peak_rss_mb) | $(median parseall_rps) ($(range parseall_rps)) | $(median parseall_batch_p50_ms) | $(median parseall_cpu_s) | $(r "${label}_r1_parseall_shuffle_bytes_per_record") | $(range parseall_workers_peak_rss_mb) |"
done
echo
echo "Streaming (spate-loadgen --rate $rate --threads 2 for ${duration}s, 1 s trigger; round 1):"
echo
echo "| configuration | offered / input / process rate (rows/s) | batch p50 / p99 (ms) | records a batch p50 | largest phase | shuffle B/record | unread 3 s after | workers' peak RSS (MB) |"
echo "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |"
for c in "${configs[@]}"; do
  IFS='|' read -r label _ _ ne ec mem sp <<<"$c"
  echo "| $label ($ne x $ec core, $mem, $sp SP) | $(r "${label}_live_offered_rps") / $(r "${label}_live_input_rate_p50") / $(r "${label}_live_process_rate_p50") | $(r "${label}_live_batch_p50_ms") / $(r "${label}_live_batch_p99_ms") | $(r "${label}_live_batch_records_p50") | $(r "${label}_live_largest_phase") | $(r "${label}_live_shuffle_bytes_per_record") | $(r "${label}_live_unread_3s_after") | $(r "${label}_live_workers_peak_rss_mb") |"
done
echo
echo "skew run: records read by executor $(r skew_live_records_by_executor), max/min $(r skew_live_read_skew), batch p50 / p99 $(r skew_live_batch_p50_ms) / $(r skew_live_batch_p99_ms) ms"
