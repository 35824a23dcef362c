#!/usr/bin/env bash
# Sustained-rate benchmark (the sustained and result-latency targets, suite item 5): the highest producer rate
# that Spate, tuned Spark, and spate-loadgen plus a bare consumer each keep up with, on this
# machine, with the load generator beside them; and Spate's result latency at half its rate.
#
# Usage: bench/sustained.sh [--quick] [--bootstrap HOST:PORT] [--no-spark] [--out DIR]
#                           [--skip bare,spate,latency,spark] [--partitions P]
#                           [--loadgen-threads N] [--trigger D] [--spark-trigger D]
#                           [--warmup S] [--measure S] [--steps N]
#
# One step = one rate R: a fresh topic (P partitions, default 8), the engine started on it
# (from the earliest offset: the topic is empty), then
#   spate-loadgen --rate R --duration W+M --threads N (default 2) --seed 42
# with no --start-ms: every record's event time is the wall clock when it is produced, so
# windows close as they do in real life. The first W seconds are warm-up, the next M measured.
# After the load stops, a grace period G; then the engine is stopped and the topic deleted.
#
# "Keeps up": a step at rate R keeps up when all three hold:
#   1. the producer held the rate: acknowledged records >= 0.98 * R * (W+M) (otherwise the step
#      is "producer-limited", and fails for whichever engine was running);
#   2. the lag stays bounded: when the load stops, the records the engine has not finished yet
#      (rows not in a committed batch; for the bare consumer, records not consumed) are at most
#      G of load (R * G), and G later it has finished >= 0.98 * the acknowledged records; G is
#      two trigger intervals + 0.5 s for Spate (a couple of batches), two trigger intervals + 1 s
#      for Spark, 1 s for the bare consumer;
#   3. batches are short enough: p99 of the durations of the batches that started in the
#      measured interval <= the trigger interval (Spate: processing-time=1s, so p99 <= 1 s; a
#      batch longer than the interval delays the next one and the backlog grows). The bare
#      consumer has no batches: 1 and 2 decide. Its record lag (wall clock when consumed - the
#      record's Kafka timestamp, p99 of its per-100 ms maxima in the measured interval) is
#      reported, not judged: it starts when the producer hands the record to librdkafka, so
#      it holds the producer's and the broker's queueing, which batch durations do not.
# A step during which the broker was fenced (its log says "Fencing broker": on an overloaded
# machine its KRaft session of 4 s times out, partitions lose their leader and every client
# stalls) does not count: it is run once more (at most twice per engine), and
# broker_fenced_steps says how many there were. Only for a scripts/kafka.sh broker, whose log
# is at ${SPATE_KAFKA_DIR:-/tmp/spate-kafka-PORT}/broker.log. Reruns and second tries are made
# only in the first 8 minutes of a full run (90 s of --quick), to keep its length bounded.
# Input rate = acknowledged / the load generator's seconds; process rate = records finished
# during the measured interval / its length. Both are reported for every step.
#
# Search, per engine: start at a rate, multiply it while steps keep up, halve it while they do
# not; once there is a rate that kept up and a higher one that did not, bisect between them
# until they are within 15 %, in at most --steps steps. The figure is the highest rate that
# kept up. For Spate (full run) a rate that fails for any reason but the producer's gets a
# second try, best of two, counted as a step: on a shared 2-core machine one batch stalled by
# other processes decides a p99 over 15 batches. Engines, in this order:
#   bare     spate-loadgen + spate-follow-consumer --threads 2 (bench/sustained/follow_consumer.cc:
#            bare librdkafka, follows the topic live, counts records and lag). The ceiling: the
#            load generator and the broker share this machine's cores with every engine.
#            Starts at 1 M/s, x1.5.
#   spate    crash-detector on a master and two workers (--cores 1 each) started here:
#            spate-submit --num-executors 2 --executor-cores 1 --conf spate.sql.shuffle.partitions=2
#            --starting-offsets earliest --trigger processing-time=1s --sink file:DIR --detach;
#            batches from the master's /api/v1/jobs/JOB/progress. Starts at 0.8 x the bare
#            figure, x1.25.
#   latency  one more Spate step at half of Spate's figure, longer (45 s; --quick 22 s), for the
#            result latency: per batch that emitted rows, the master's resultLatencyMs (the
#            largest time, over the rows, from the watermark passing the row's window end to
#            the row reaching the sink); p50/p99 over those batches. "n/a" while the master
#            does not report it.
#   spark    Spark 4.0.0 tuned (local[2], 4 shuffle partitions), the same query, processingTime
#            trigger 5 s (--spark-trigger), one SparkSession for every step and a new query per
#            topic (bench/sustained/spark_sustained.py, with bench/peers/spark/setup.sh's
#            virtualenv and jars). Batches from its StreamingQueryProgress. First a warm-up
#            query (50 K/s for 15 s, not judged: the JVM's first query compiles everything),
#            then steps of warm-up 10 s, measured 30 s. Each step's query is primed first (a
#            first batch of 20 000 records, done before the load starts: a new query's first
#            batch takes seconds whatever its size). Starts at 0.2 M/s, x1.5, at most 3 steps.
# Full run: warm-up 5 s, measured 15 s per step, 5 steps for bare, 6 for Spate, 3 for Spark
# (about 10 minutes).
# --quick: warm-up 2 s, measured 6 s; bare from 1 M/s and Spate from 0.5 M/s (2 steps each),
# latency run 22 s, no Spark (about 1.2 minutes).
#
# Output: every step to DIR (default bench/results/sustained-<date>/, git-ignored):
# steps.jsonl / steps.csv (one line per step, every figure and the reasons a step failed),
# summary.json, summary.txt, and logs/ (load generator logs, consumer timelines, progress JSON,
# cluster and Spark logs). Prints a table to stderr and, last, name=value lines on stdout:
#   sustained_rps loadgen_bare_rps spark_sustained_rps spark_sustained_trigger
#   sustained_batch_p50_ms sustained_batch_p99_ms sustained_input_rps sustained_process_rps
#   result_latency_p50_ms result_latency_p99_ms result_latency_samples result_latency_rate
#   sustained_vs_bare sustained_vs_spark  (and a few more)
# Exit status: non-zero when something fails (a process, the broker, a job), not when a target
# is missed.
#
# Broker: --bootstrap, else $SPATE_BOOTSTRAP, else 127.0.0.1:${SPATE_KAFKA_PORT:-19092}; when
# none answers there (and it is local), one is started with scripts/kafka.sh and stopped at the
# end. Environment: SPATE_BIN_DIR (default build/bin), SPATE_CACHE_DIR, SPATE_SUBMIT_ARGS (extra
# spate-submit flags). Everything started here binds 127.0.0.1 and is stopped by PID at the end,
# on Ctrl-C and on TERM; every topic it creates is deleted.
set -euo pipefail
{  # the whole script is one compound command: bash reads it all before running, so editing the
   # file while it runs (a long benchmark) cannot change what runs.
cd "$(dirname "$0")/.."
root=$(pwd)

quick=0
bootstrap_arg=""
out=""
skip=""
partitions=8
loadgen_threads=2
trigger=1s
spark_trigger=5s
warmup=""
measure=""
max_steps=""

say() { echo "sustained: $*" >&2; }
die() { say "$*"; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --bootstrap) bootstrap_arg="$2"; shift 2 ;;
    --no-spark) skip+=",spark"; shift ;;
    --out) out="$2"; shift 2 ;;
    --skip) skip+=",$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --loadgen-threads) loadgen_threads="$2"; shift 2 ;;
    --trigger) trigger="$2"; shift 2 ;;
    --spark-trigger) spark_trigger="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --measure) measure="$2"; shift 2 ;;
    --steps) max_steps="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
skipped() { [[ ",$skip," == *",$1,"* ]]; }
[ "$quick" = 1 ] && skip+=",spark"

# --- settings ------------------------------------------------------------------------------
if [ "$quick" = 1 ]; then
  warmup="${warmup:-2}" measure="${measure:-6}"
  bare_start=1000000 bare_up=1.5 bare_steps="${max_steps:-2}"
  spate_start=500000 spate_up=2 spate_steps="${max_steps:-2}" spate_second=0
  latency_warmup=2 latency_measure=20
  retry_budget_s=90
else
  warmup="${warmup:-5}" measure="${measure:-15}"
  bare_start=1000000 bare_up=1.5 bare_steps="${max_steps:-5}"
  spate_start="" spate_up=1.25 spate_steps="${max_steps:-6}" spate_second=1
  latency_warmup=5 latency_measure=40
  retry_budget_s=480
fi
spark_start=200000 spark_up=1.5 spark_steps="${max_steps:-3}" spark_warmup=10 spark_measure=30
for v in partitions loadgen_threads warmup measure bare_steps spate_steps spark_steps; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "--${v//_/-} must be a non-negative integer, not '${!v}'"
done
to_ms() {  # 1s, 500ms -> milliseconds
  case "$1" in
    *ms) echo "${1%ms}" ;;
    *s) echo $((${1%s} * 1000)) ;;
    *) die "durations are like 1s or 500ms, not '$1'" ;;
  esac
}
trigger_ms=$(to_ms "$trigger")
spark_trigger_ms=$(to_ms "$spark_trigger")
[[ "$trigger_ms" =~ ^[1-9][0-9]*$ ]] || die "--trigger: a duration like 1s or 500ms, not '$trigger'"
[[ "$spark_trigger_ms" =~ ^[1-9][0-9]*$ ]] ||
  die "--spark-trigger: a duration like 5s or 500ms, not '$spark_trigger'"

kafka_port="${SPATE_KAFKA_PORT:-19092}"
bootstrap="${bootstrap_arg:-${SPATE_BOOTSTRAP:-127.0.0.1:${kafka_port}}}"
bin="${SPATE_BIN_DIR:-$root/build/bin}"
case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
stamp=$(date +%Y%m%d-%H%M%S)
out="${out:-$root/bench/results/sustained-$stamp}"
mkdir -p "$out/logs" "$out/work"
out=$(cd "$out" && pwd)
logs="$out/logs"
work="$out/work"
steps_file="$out/steps.jsonl"
: >"$steps_file"
need=(spate-loadgen spate-topics spate-follow-consumer spate-master spate-worker spate-submit)
for b in "${need[@]}"; do
  [ -x "$bin/$b" ] || die "$bin/$b not found (build it, or set SPATE_BIN_DIR)"
done

# --- processes: every one we start is recorded and stopped by PID ----------------------------
pids=()
topics=()
started_kafka=0
current=""  # the foreground command's PID while we wait for it
stop_pids() {  # PID...: TERM, up to 10 s, then KILL
  local p
  for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "$@"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$current" ]; then stop_pids "$current"; fi
  local rev=() i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do rev+=("${pids[i]}"); done
  [ ${#rev[@]} -eq 0 ] || stop_pids "${rev[@]}"
  for t in ${topics[@]+"${topics[@]}"}; do
    "$bin/spate-topics" --bootstrap "$bootstrap" delete "$t" --if-exists >/dev/null 2>&1 || true
  done
  if [ "$started_kafka" = 1 ]; then
    SPATE_KAFKA_PORT="$kafka_port" "$root/scripts/kafka.sh" stop >/dev/null 2>&1 || true
    say "stopped the broker it started on $bootstrap"
  fi
  [ "$rc" = 0 ] || say "failed (exit $rc); logs in $logs"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
forget_pid() {  # PID: no longer ours to stop
  local keep=() p
  for p in ${pids[@]+"${pids[@]}"}; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=(${keep[@]+"${keep[@]}"})
}

now_ms() { local t=$EPOCHREALTIME; echo "${t/./}" | cut -c1-13; }
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
mul() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", a * b }'; }
round_rate() { awk -v r="$1" 'BEGIN { r = int(r / 10000 + 0.5) * 10000; if (r < 10000) r = 10000; print r }'; }
human() { awk -v r="$1" 'BEGIN { if (r >= 1e6) printf "%.2fM", r / 1e6; else printf "%.0fk", r / 1e3 }'; }
tck=$(getconf CLK_TCK)
cpu() {  # PID...: user + system CPU seconds so far
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
  done
  awk -v t="$t" -v k="$tck" 'BEGIN { printf "%.2f", t / k }'
}
diff_cpu() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# --- broker ---------------------------------------------------------------------------------
broker_answers() { "$bin/spate-topics" --bootstrap "$bootstrap" --timeout 3s list >/dev/null 2>&1; }
if ! broker_answers; then
  host="${bootstrap%:*}"
  [ "$host" = "127.0.0.1" ] || [ "$host" = "localhost" ] ||
    die "no broker answers at $bootstrap, and it is not local: start it first"
  kafka_port="${bootstrap##*:}"
  say "no broker at $bootstrap: starting one with scripts/kafka.sh"
  started_kafka=1
  SPATE_KAFKA_PORT="$kafka_port" "$root/scripts/kafka.sh" start >"$logs/kafka-start.log" 2>&1 ||
    { tail -20 "$logs/kafka-start.log" >&2; die "could not start a broker on $bootstrap"; }
fi
broker_pid=""
broker_dir="${SPATE_KAFKA_DIR:-${TMPDIR:-/tmp}/spate-kafka-${bootstrap##*:}}"
broker_log=""
if [ -r "$broker_dir/broker.pid" ] && kill -0 "$(cat "$broker_dir/broker.pid")" 2>/dev/null; then
  broker_pid=$(cat "$broker_dir/broker.pid")
  # A scripts/kafka.sh broker: its log tells the steps during which it was fenced.
  [ -r "$broker_dir/broker.log" ] && broker_log="$broker_dir/broker.log"
fi
say "broker $bootstrap; results in $out"

# --- one step's pieces ------------------------------------------------------------------------
topic_prefix="sustained-$$-$stamp"
step_no=0
new_topic() {  # NAME -> creates topic $topic_prefix-NAME, sets $topic
  topic="$topic_prefix-$1"
  "$bin/spate-topics" --bootstrap "$bootstrap" create "$topic" --partitions "$partitions" \
    >/dev/null || die "cannot create topic $topic"
  topics+=("$topic")
}
drop_topic() {
  "$bin/spate-topics" --bootstrap "$bootstrap" delete "$topic" --if-exists >/dev/null 2>&1 ||
    say "could not delete topic $topic"
  local keep=() t
  for t in "${topics[@]}"; do [ "$t" = "$topic" ] || keep+=("$t"); done
  topics=(${keep[@]+"${keep[@]}"})
}
# load NAME RATE SECONDS: spate-loadgen in the foreground; sets load_start_ms, load_end_ms.
load() {
  local name=$1 rate=$2 secs=$3
  load_log="$logs/$name.loadgen.log"
  load_start_ms=$(now_ms)
  "$bin/spate-loadgen" --bootstrap "$bootstrap" --topic "$topic" --rate "$rate" \
    --duration "${secs}s" --threads "$loadgen_threads" --seed 42 >"$load_log" 2>&1 &
  current=$!
  local rc=0
  wait "$current" || rc=$?
  current=""
  load_end_ms=$(now_ms)
  [ "$rc" = 0 ] || { tail -5 "$load_log" >&2; die "spate-loadgen failed (exit $rc) at rate $rate"; }
}
# verdict ENGINE NAME RATE LABEL INPUT WARMUP SECONDS GRACE_MS TRIGGER_MS [key=value...]:
# appends the step to steps.jsonl, prints a line, returns 0 when it kept up, 4 when the broker
# was fenced during the step (the step does not count), 5 when the producer did not hold the
# rate, 3 otherwise.
verdict() {
  local engine=$1 name=$2 rate=$3 label=$4 input=$5 wu=$6 secs=$7 grace=$8 trig=$9
  shift 9
  local line
  line=$(python3 "$root/bench/sustained/analyze.py" step --engine "$engine" --input "$input" \
    --label "$label" --rate "$rate" --duration-s "$secs" --warmup-s "$wu" --grace-ms "$grace" \
    --trigger-ms "$trig" --start-ms "$load_start_ms" --end-ms "$load_end_ms" \
    --loadgen-log "$load_log" ${broker_log:+--broker-log "$broker_log"} "$@") ||
    die "analyze.py failed on $name"
  echo "$line" >>"$steps_file"
  echo "$line" | python3 -c '
import json, sys
s = json.load(sys.stdin)
f = lambda v: "n/a" if v is None else (format(v, ",.0f") if isinstance(v, (int, float)) else v)
extra = ("batch p50/p99 %s/%s ms" % (f(s["batch_p50_ms"]), f(s["batch_p99_ms"]))
         if s["batch_p99_ms"] is not None else "lag p99 %s ms" % f(s.get("lag_p99_ms")))
lat = s.get("result_latency_ms") or []
if lat: extra += ", result latency max %s ms over %d batches" % (f(max(lat)), len(lat))
print("sustained:   %s %s at %s/s: input %s/s, process %s/s, %s: %s" % (s["engine"], s["label"],
      f(s["rate"]), f(s["input_rps"]), f(s["process_rps"]), extra,
      "keeps up" if s["keeps_up"] else "NO (" + "; ".join(s["reasons"]) + ")"))
producer = any(r.startswith("producer-limited") for r in s["reasons"])
sys.exit(0 if s["keeps_up"] else 4 if s.get("broker_fenced") else 5 if producer else 3)' >&2
}
loadavg() { cut -d' ' -f1 /proc/loadavg; }

# --- bare: spate-loadgen + spate-follow-consumer ------------------------------------------------
step_bare() {  # RATE LABEL
  local rate=$1 label=$2 secs=$((warmup + measure))
  step_no=$((step_no + 1))
  local name="s$step_no-bare-$rate"
  new_topic "$name"
  local tl="$logs/$name.timeline"
  "$bin/spate-follow-consumer" --bootstrap "$bootstrap" --topic "$topic" --from beginning \
    --threads 2 >"$tl" 2>"$logs/$name.consumer.log" &
  local fpid=$!
  pids+=("$fpid")
  for _ in $(seq 50); do [ -s "$tl" ] && break; sleep 0.1; done
  kill -0 "$fpid" 2>/dev/null || { cat "$logs/$name.consumer.log" >&2; die "spate-follow-consumer failed"; }
  local la
  la=$(loadavg)
  load "$name" "$rate" "$secs"
  sleep 1
  stop_pids "$fpid"
  forget_pid "$fpid"
  wait "$fpid" 2>/dev/null || true
  grep -q '^summary:' "$tl" || { cat "$logs/$name.consumer.log" >&2; die "spate-follow-consumer printed no summary"; }
  drop_topic
  verdict bare "$name" "$rate" "$label" "$tl" "$warmup" "$secs" 1000 "$trigger_ms" \
    --set "loadavg=$la"
}

# --- spate: a local cluster, one job per step ----------------------------------------------------
cluster=()
master_port="" ui_port=""
start_cluster() {
  master_port=$(free_port)
  ui_port=$(free_port)
  setsid "$bin/spate-master" --port "$master_port" --ui-port "$ui_port" \
    --state-dir "$work/master" >"$logs/master.log" 2>&1 &
  pids+=($!)
  cluster=($!)
  for i in 1 2; do
    setsid "$bin/spate-worker" --master "spate://127.0.0.1:$master_port" --port "$(free_port)" \
      --cores 1 --memory 2G --work-dir "$work/worker-$i" >"$logs/worker-$i.log" 2>&1 &
    pids+=($!)
    cluster+=($!)
  done
  for _ in $(seq 300); do
    [ "$(grep -l 'registered with master' "$logs"/worker-*.log 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.1
  done
  [ "$(grep -l 'registered with master' "$logs"/worker-*.log 2>/dev/null | wc -l)" -ge 2 ] ||
    die "the workers did not register with the master (logs in $logs)"
  say "Spate cluster: master spate://127.0.0.1:$master_port (UI port $ui_port), 2 workers x 1 core"
}
stop_cluster() {
  [ ${#cluster[@]} -gt 0 ] || return 0
  local rev=() i
  for ((i = ${#cluster[@]} - 1; i >= 0; i--)); do rev+=("${cluster[i]}"); done
  stop_pids "${rev[@]}"
  for i in "${cluster[@]}"; do forget_pid "$i"; done
  cluster=()
}
api() { curl -sf --max-time 10 "http://127.0.0.1:$ui_port/api/v1/$1"; }
job_state() { api "jobs/$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["state"])' 2>/dev/null || echo UNKNOWN; }
step_spate() {  # RATE LABEL [SECONDS WARMUP]
  local rate=$1 label=$2 secs=${3:-$((warmup + measure))} wu=${4:-$warmup}
  step_no=$((step_no + 1))
  local name="s$step_no-spate-$rate"
  [ "$label" = search ] || name="s$step_no-spate-$label-$rate"
  new_topic "$name"
  local job
  # shellcheck disable=SC2086
  job=$("$bin/spate-submit" --master "spate://127.0.0.1:$master_port" ${SPATE_SUBMIT_ARGS:-} \
    --num-executors 2 --executor-cores 1 --conf spate.sql.shuffle.partitions=2 \
    --bootstrap "$bootstrap" --topic "$topic" --starting-offsets earliest \
    --trigger "processing-time=$trigger" --sink "file:$work/$name.sink" --name "$name" \
    --detach crash-detector 2>"$logs/$name.submit.log") ||
    { cat "$logs/$name.submit.log" >&2; die "spate-submit failed"; }
  local st=""
  for _ in $(seq 300); do
    st=$(job_state "$job")
    case "$st" in RUNNING) break ;; FAILED|KILLED|FINISHED) break ;; esac
    sleep 0.1
  done
  [ "$st" = RUNNING ] || die "job $job is $st, not RUNNING (master log: $logs/master.log)"
  local la c0 c1
  la=$(loadavg)
  c0=$(cpu "${cluster[@]}")
  load "$name" "$rate" "$secs"
  local grace=$((2 * trigger_ms + 500))
  sleep "$(awk -v g="$grace" 'BEGIN { printf "%.3f", g / 1000 }')"
  c1=$(cpu "${cluster[@]}")
  api "jobs/$job/progress" >"$logs/$name.progress.json" || die "cannot read the progress of $job"
  "$bin/spate-submit" --master "spate://127.0.0.1:$master_port" --stop "$job" \
    >>"$logs/$name.submit.log" 2>&1 || die "spate-submit --stop $job failed"
  for _ in $(seq 300); do
    st=$(job_state "$job")
    case "$st" in FINISHED|KILLED|FAILED) break ;; esac
    sleep 0.1
  done
  case "$st" in
    FINISHED|KILLED) ;;
    FAILED) die "job $job failed (master log: $logs/master.log)" ;;
    *) "$bin/spate-submit" --master "spate://127.0.0.1:$master_port" --kill "$job" \
         >>"$logs/$name.submit.log" 2>&1 || true
       say "job $job did not stop within 30 s (state $st): killed it" ;;
  esac
  drop_topic
  verdict spate "$name" "$rate" "$label" "$logs/$name.progress.json" "$wu" "$secs" "$grace" \
    "$trigger_ms" --set "loadavg=$la" --set "job=$job" --set "cluster_cpu_s=$(diff_cpu "$c0" "$c1")"
}

# --- spark: one SparkSession, one query per step ------------------------------------------------
spark_ready=0
spark_start() {
  local base
  base=$("$root/bench/peers/spark/setup.sh" 2>"$logs/spark-setup.log" | tail -n 1) ||
    { tail -20 "$logs/spark-setup.log" >&2; die "bench/peers/spark/setup.sh failed"; }
  coproc SPARKP {
    SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$base/venv/bin/python" exec "$base/venv/bin/python" \
      "$root/bench/sustained/spark_sustained.py" --bootstrap "$bootstrap" --jars "$base/jars" \
      --trigger "$spark_trigger" --shuffle-partitions 4 --master 'local[2]' 2>>"$logs/spark.log"
  }
  pids+=("$SPARKP_PID")
  spark_pid=$SPARKP_PID
  spark_in=${SPARKP[1]}
  spark_out=${SPARKP[0]}
  spark_read 300 || die "Spark did not start (log: $logs/spark.log)"
  [[ "$spark_reply" == ready* ]] || die "Spark: $spark_reply"
  spark_jvm=$(echo "$spark_reply" | grep -o 'jvm_pid=[0-9]*' | cut -d= -f2)
  [ -n "$spark_jvm" ] && pids+=("$spark_jvm")
  spark_ready=1
  say "Spark: $spark_reply"
}
spark_read() {  # TIMEOUT_S: the next '@' line into $spark_reply
  local line deadline=$((SECONDS + $1))
  while [ $SECONDS -lt "$deadline" ]; do
    IFS= read -r -t $((deadline - SECONDS + 1)) -u "$spark_out" line || return 1
    if [[ "$line" == @* ]]; then spark_reply=${line#@}; return 0; fi
    echo "$line" >>"$logs/spark.stdout"
  done
  return 1
}
spark_cmd() {  # TIMEOUT_S COMMAND...
  local t=$1
  shift
  echo "$*" >&"$spark_in"
  spark_read "$t" || die "Spark did not answer '$*' within $t s (log: $logs/spark.log)"
  [[ "$spark_reply" != error* ]] || die "Spark: $spark_reply"
}
step_spark() {  # RATE LABEL [SECONDS WARMUP]
  local rate=$1 label=$2 secs=${3:-$((spark_warmup + spark_measure))} wu=${4:-$spark_warmup}
  step_no=$((step_no + 1))
  local name="s$step_no-spark-$rate"
  [ "$label" = search ] || name="s$step_no-spark-$label-$rate"
  new_topic "$name"
  mkdir -p "$work/$name"
  spark_cmd 120 start "$topic" "$work/$name"
  # Prime the query: a new query's first batch plans and compiles it and sets up its state
  # store, which takes Spark seconds (tens of them on a loaded machine) whatever its size; the
  # step measures the steady state, so it starts once a first batch of 20 000 records is done.
  "$bin/spate-loadgen" --bootstrap "$bootstrap" --topic "$topic" --rate 20000 --duration 1s \
    --threads 1 --seed 7 >"$logs/$name.prime.log" 2>&1 ||
    { tail -5 "$logs/$name.prime.log" >&2; die "spate-loadgen (priming) failed"; }
  local primed=0 t0=$SECONDS
  while [ $((SECONDS - t0)) -lt 120 ]; do
    spark_cmd 30 progress
    [[ "$spark_reply" =~ rows=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] && { primed=1; break; }
    sleep 0.5
  done
  [ "$primed" = 1 ] || say "spark: the priming batch did not finish within 120 s; going on"
  local la c0 c1
  la=$(loadavg)
  c0=$(cpu "$spark_jvm")
  load "$name" "$rate" "$secs"
  local grace=$((2 * spark_trigger_ms + 1000))
  sleep "$(awk -v g="$grace" 'BEGIN { printf "%.3f", g / 1000 }')"
  c1=$(cpu "$spark_jvm")
  spark_cmd 300 stop "$work/$name"
  cp "$work/$name/progress.jsonl" "$logs/$name.progress.jsonl"
  drop_topic
  verdict spark "$name" "$rate" "$label" "$logs/$name.progress.jsonl" "$wu" "$secs" \
    "$grace" "$spark_trigger_ms" --set "loadavg=$la" --set "jvm_cpu_s=$(diff_cpu "$c0" "$c1")"
}
spark_stop() {
  [ "$spark_ready" = 1 ] || return 0
  spark_cmd 120 quit || true
  say "Spark: $spark_reply"
  local p=$spark_pid
  for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  stop_pids "$p" ${spark_jvm:+"$spark_jvm"}
  forget_pid "$p"
  [ -z "${spark_jvm:-}" ] || forget_pid "$spark_jvm"
  spark_ready=0
}

# --- the search ------------------------------------------------------------------------------
# search ENGINE START UP STEPS SECOND: sets $found (highest rate that kept up, 0 if none).
# SECOND=1: a rate that did not keep up for any reason but the producer's gets a second try
# (best of two; the try counts as a step): on this shared machine one stalled batch makes p99.
search() {
  local engine=$1 rate=$2 up=$3 steps=$4 second=$5 lo=0 hi=0 n=0 fenced=0 rc
  rate=$(round_rate "$rate")
  while [ "$n" -lt "$steps" ]; do
    n=$((n + 1))
    say "$engine: step $n of at most $steps, $(human "$rate") records/s"
    rc=0
    "step_$engine" "$rate" search || rc=$?
    while [ "$rc" = 4 ] && [ "$fenced" -lt 2 ] && [ "$SECONDS" -lt "$retry_budget_s" ]; do
      fenced=$((fenced + 1))
      say "$engine: the broker was fenced during that step (it does not count): once more"
      rc=0
      "step_$engine" "$rate" search || rc=$?
    done
    if [ "$rc" = 3 ] && [ "$second" = 1 ] && [ "$n" -lt "$steps" ] &&
      [ "$SECONDS" -lt "$retry_budget_s" ]; then
      n=$((n + 1))
      say "$engine: step $n of at most $steps, $(human "$rate") records/s again (best of two)"
      rc=0
      "step_$engine" "$rate" search || rc=$?
    fi
    if [ "$rc" = 0 ]; then lo=$rate; else hi=$rate; fi
    if [ "$hi" = 0 ]; then
      rate=$(round_rate "$(mul "$rate" "$up")")
    elif [ "$lo" = 0 ]; then
      rate=$(round_rate "$(mul "$rate" 0.5)")
    else
      awk -v l="$lo" -v h="$hi" 'BEGIN { exit !(h <= l * 1.15) }' && break
      rate=$(round_rate "$(((lo + hi) / 2))")
    fi
  done
  found=$lo
  say "$engine: highest rate kept up with: $(human "$found") records/s"
}

bare_rps=""
if ! skipped bare; then
  search bare "$bare_start" "$bare_up" "$bare_steps" 0
  bare_rps=$found
fi
spate_rps=""
if ! skipped spate || ! skipped latency; then
  start_cluster
  if ! skipped spate; then
    if [ -z "$spate_start" ]; then
      spate_start=$(mul "${bare_rps:-0}" 0.8)
      [ "$spate_start" -gt 0 ] || spate_start=500000
    fi
    search spate "$spate_start" "$spate_up" "$spate_steps" "$spate_second"
    spate_rps=$found
  fi
  if ! skipped latency; then
    half=$(round_rate "$(mul "${spate_rps:-500000}" 0.5)")
    [ "${spate_rps:-1}" != 0 ] || half=100000
    say "latency: $(human "$half") records/s (half of Spate's rate) for $((latency_warmup + latency_measure)) s"
    step_spate "$half" latency $((latency_warmup + latency_measure)) "$latency_warmup" || true
  fi
  stop_cluster
fi
if ! skipped spark; then
  spark_start
  say "spark: warm-up query, 50k records/s for 15 s (not judged)"
  step_spark 50000 warmup 15 5 || true
  search spark "$spark_start" "$spark_up" "$spark_steps" 0
  spark_stop
fi

# --- report -----------------------------------------------------------------------------------
{
  echo "# bench/sustained.sh $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "# machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "# broker $bootstrap, $partitions partitions, spate-loadgen --threads $loadgen_threads, Spate trigger $trigger, Spark trigger $spark_trigger"
} >"$out/summary.txt"
python3 "$root/bench/sustained/analyze.py" report --steps "$steps_file" --out "$out" \
  --spark-trigger "processingTime=$spark_trigger" >"$out/summary.lines" ||
  die "analyze.py report failed"
cat "$out/summary.lines" >>"$out/summary.txt"
rm -f "$out/summary.lines"
rm -rf "$work"
say "written: $out/steps.csv, $out/summary.json, $out/summary.txt"
grep -v '^#' "$out/summary.txt"
exit 0
}
