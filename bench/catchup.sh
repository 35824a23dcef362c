#!/usr/bin/env bash
# Catch-up benchmark: how fast Spate works through a backlog, next to the ceiling.
#
# Usage: bench/catchup.sh [--records N] [--partitions P] [--rounds R] [--reuse] [--topic NAME]
#                         [--threads T] [--skip bare,kafka,spate] [--no-oracle] [--delete-topic]
#
# Fills a fresh topic of P partitions (default 8) with N records (default 10 000 000) from
#   spate-loadgen --rate 0 --seed 42 --start-ms 1768142570000 --count N
# then, in the same run and for R rounds (default 3), the engines in turn (the order rotates
# every round, as this machine is noisy):
#   bare   spate-bare-consumer --threads T (default 2): bare librdkafka, nothing per record
#          but counting bytes. The ceiling.
#   kafka  Kafka's own org.apache.kafka.tools.ConsumerPerformance, if the jars are in the
#          kafka.sh cache (${SPATE_CACHE_DIR:-~/.cache/spate}/kafka-4.1.1/libs).
#   spate  crash-detector on a master and two workers (--cores 1 each) that this script starts:
#          spate-submit --num-executors 2 --executor-cores 1 --conf spate.sql.shuffle.partitions=2
#          --starting-offsets earliest --trigger available-now --sink file:DIR, timed from
#          submit to exit (records/s = N / that time); each batch's stage 1 / stage 2 / commit
#          times and executors' task times come from the master's /api/v1/jobs/JOB/progress.
# Prints a table (engine, round, seconds, records/s, MB/s, CPU seconds of the engine and of the
# broker, which are steadier than wall time on a shared machine) and the ratio Spate / bare consumer
# (best and median), checks Spate's rows against tests/oracle/crash_oracle.py ("rows match"),
# and writes the table and the raw figures to bench/results/catchup-<date>.md (git-ignored).
#
# --reuse        skip filling when the topic already holds exactly N records
# --topic NAME   topic name (default catchup-<N>-p<P>); kept at the end unless --delete-topic
# --skip LIST    engines to leave out (comma-separated: bare, kafka, spate)
# --no-oracle    do not check Spate's rows (the oracle reads the whole topic through kcat and
#                Python: minutes for 10 M records; its output is cached while the topic is reused)
#
# Broker: the one at $SPATE_BOOTSTRAP (default 127.0.0.1:${SPATE_KAFKA_PORT:-19092}); if none
# answers there, starts one with scripts/kafka.sh on that port and stops it at the end.
# Environment: SPATE_BIN_DIR (default build/bin), SPATE_CACHE_DIR, SPATE_BENCH_DIR (logs and
# sink output; default a new temp dir, kept), BARE_CONSUMER_ARGS (extra spate-bare-consumer
# flags, e.g. "-X fetch.wait.max.ms=10"), SPATE_SUBMIT_ARGS (extra spate-submit flags, e.g.
# "--conf spate.kafka.queued.min.messages=10000000").
# Everything it starts is stopped by PID at the end, on Ctrl-C and on TERM.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

records=10000000
partitions=8
rounds=3
reuse=0
topic=""
threads=2
skip=""
oracle=1
delete_topic=0

say() { echo "catchup: $*" >&2; }
die() { say "$*"; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --reuse) reuse=1; shift ;;
    --topic) topic="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --skip) skip="$2"; shift 2 ;;
    --no-oracle) oracle=0; shift ;;
    --delete-topic) delete_topic=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
for v in records partitions rounds threads; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--$v must be a positive integer, not '${!v}'"
done
topic="${topic:-catchup-${records}-p${partitions}}"
skipped() { [[ ",$skip," == *",$1,"* ]]; }

kafka_port="${SPATE_KAFKA_PORT:-19092}"
bootstrap="${SPATE_BOOTSTRAP:-127.0.0.1:${kafka_port}}"
bin="${SPATE_BIN_DIR:-$root/build/bin}"
cache_dir="${SPATE_CACHE_DIR:-$HOME/.cache/spate}"
kafka_libs="$cache_dir/kafka-4.1.1/libs"
work="${SPATE_BENCH_DIR:-$(mktemp -d -t spate-catchup.XXXXXX)}"
mkdir -p "$work"
for b in spate-bare-consumer spate-loadgen spate-topics spate-master spate-worker spate-submit; do
  [ -x "$bin/$b" ] || die "$bin/$b not found (build it, or set SPATE_BIN_DIR)"
done

# --- processes: every one we start is recorded and stopped by PID ----------------------------
pids=()
started_kafka=0
current=""  # the foreground command's PID while we wait for it
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$current" ]; then kill -TERM "$current" 2>/dev/null || true; fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for pid in ${current:+"$current"} "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "$delete_topic" = 1 ] && [ "${topic_ready:-0}" = 1 ]; then
    rm -f "$expected"
    "$bin/spate-topics" --bootstrap "$bootstrap" delete "$topic" --if-exists >/dev/null 2>&1 || true
  fi
  if [ "$started_kafka" = 1 ]; then
    SPATE_KAFKA_PORT="$kafka_port" "$root/scripts/kafka.sh" stop >/dev/null 2>&1 || true
    say "stopped the broker it started on $bootstrap"
  fi
  say "logs in $work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run OUT ERR cmd...: runs a command in the background and waits for it, so that a signal
# reaches our trap at once; returns its exit status.
run() {
  local out="$1" err="$2"
  shift 2
  "$@" >"$out" 2>"$err" &
  current=$!
  local rc=0
  wait "$current" || rc=$?
  current=""
  return "$rc"
}

now() { echo "$EPOCHREALTIME"; }
tck=$(getconf CLK_TCK)
# cpu PID...: user + system CPU seconds used so far by these processes (all their threads).
cpu() {
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    # Fields after the command name, which may hold spaces: utime and stime are 12th and 13th.
    t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
  done
  awk -v t="$t" -v k="$tck" 'BEGIN { printf "%.2f", t / k }'
}
# timed OUT ERR TIMEFILE cmd...: run under /usr/bin/time (wall, CPU, peak RSS) when it exists.
timed() {
  local out="$1" err="$2" tf="$3"
  shift 3
  if [ -x /usr/bin/time ]; then
    run "$out" "$err" /usr/bin/time -o "$tf" -f "%e %U %S %M" "$@"
  else
    echo "- - - -" >"$tf"
    run "$out" "$err" "$@"
  fi
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- broker -------------------------------------------------------------------------------
broker_answers() {
  "$bin/spate-topics" --bootstrap "$bootstrap" --timeout 3s list >/dev/null 2>&1
}
if ! broker_answers; then
  host="${bootstrap%:*}"
  [ "$host" = "127.0.0.1" ] || [ "$host" = "localhost" ] ||
    die "no broker answers at $bootstrap, and it is not local: start it first"
  kafka_port="${bootstrap##*:}"
  say "no broker at $bootstrap: starting one with scripts/kafka.sh"
  started_kafka=1
  SPATE_KAFKA_PORT="$kafka_port" "$root/scripts/kafka.sh" start >/dev/null
fi
# The broker's PID, to count its CPU, when it is a scripts/kafka.sh broker on this machine.
broker_pid=""
broker_pid_file="${SPATE_KAFKA_DIR:-${TMPDIR:-/tmp}/spate-kafka-${bootstrap##*:}}/broker.pid"
if [ -r "$broker_pid_file" ] && kill -0 "$(cat "$broker_pid_file")" 2>/dev/null; then
  broker_pid=$(cat "$broker_pid_file")
fi
broker_cpu() { if [ -n "$broker_pid" ]; then cpu "$broker_pid"; else echo "-"; fi; }
diff_cpu() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.2f", b - a }'; }

topic_records() {  # -> sum of (high - low) over partitions, or "none"
  local d
  d=$("$bin/spate-topics" --bootstrap "$bootstrap" describe "$topic" 2>/dev/null) || {
    echo none
    return
  }
  echo "$d" | awk '{for (i = 1; i <= NF; i++) { if ($i == "Low:") lo += $(i+1); if ($i == "High:") hi += $(i+1) }}
                   END { print hi - lo }'
}

# --- the topic ----------------------------------------------------------------------------
fill_line="(reused)"
# The oracle's rows for this topic, kept while the topic is reused, dropped when it is refilled.
expected="$cache_dir/catchup/oracle-${bootstrap//[^0-9a-zA-Z]/_}-${topic}.jsonl"
have=$(topic_records)
if [ "$reuse" = 1 ] && [ "$have" = "$records" ]; then
  say "reusing topic $topic ($records records)"
else
  if [ "$have" != none ]; then
    say "deleting topic $topic ($have records)"
    "$bin/spate-topics" --bootstrap "$bootstrap" delete "$topic" >/dev/null
  fi
  rm -f "$expected"
  "$bin/spate-topics" --bootstrap "$bootstrap" create "$topic" --partitions "$partitions" >/dev/null
  fill=(--bootstrap "$bootstrap" --topic "$topic" --rate 0 --seed 42 --start-ms 1768142570000
        --count "$records" --progress-interval 0)
  say "filling $topic: spate-loadgen ${fill[*]}"
  run "$work/loadgen.out" "$work/loadgen.log" "$bin/spate-loadgen" "${fill[@]}" ||
    { tail -5 "$work/loadgen.log" >&2; die "spate-loadgen failed"; }
  fill_line=$(grep -h "summary:" "$work/loadgen.log" "$work/loadgen.out" | tail -1)
  have=$(topic_records)
  [ "$have" = "$records" ] || die "topic $topic holds $have records, expected $records"
fi
topic_ready=1
say "topic $topic on $bootstrap: $records records, $partitions partitions"

# --- the Spate cluster (started once, used by every round) ----------------------------------
master_port=""
if ! skipped spate; then
  master_port=$(free_port)
  ui_port=$(free_port)
  setsid "$bin/spate-master" --port "$master_port" --ui-port "$ui_port" \
    --state-dir "$work/master" >"$work/master.log" 2>&1 &
  pids+=($!)
  cluster=($!)
  for i in 1 2; do
    setsid "$bin/spate-worker" --master "spate://127.0.0.1:$master_port" --port "$(free_port)" \
      --cores 1 --memory 2G --work-dir "$work/worker-$i" >"$work/worker-$i.log" 2>&1 &
    pids+=($!)
    cluster+=($!)
  done
  for _ in $(seq 300); do
    [ "$(grep -l 'registered with master' "$work"/worker-*.log 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.1
  done
  [ "$(grep -l 'registered with master' "$work"/worker-*.log 2>/dev/null | wc -l)" -ge 2 ] ||
    die "the workers did not register with the master (logs in $work)"
  say "Spate cluster: master spate://127.0.0.1:$master_port, 2 workers with 1 core each"
fi

# --- the engines --------------------------------------------------------------------------
# engine round seconds records_per_s mb_per_s engine_cpu_s broker_cpu_s note
results="$work/results.tsv"
: >"$results"
value_bytes=""

run_bare() {  # round
  local r=$1 out="$work/bare-r$1.out" err="$work/bare-r$1.log"
  local b0 b1
  b0=$(broker_cpu)
  # shellcheck disable=SC2086
  timed "$out" "$err" "$work/bare-r$r.time" "$bin/spate-bare-consumer" --bootstrap "$bootstrap" \
    --topic "$topic" --threads "$threads" ${BARE_CONSUMER_ARGS:-} ||
    { cat "$err" >&2; die "bare consumer failed"; }
  b1=$(broker_cpu)
  local line
  line=$(grep "^summary:" "$out")
  local secs rps mbps
  secs=$(echo "$line" | grep -o 'seconds=[0-9.]*' | cut -d= -f2)
  rps=$(echo "$line" | grep -o 'records_per_s=[0-9.]*' | cut -d= -f2)
  mbps=$(echo "$line" | grep -o 'mb_per_s=[0-9.]*' | cut -d= -f2)
  value_bytes=$(echo "$line" | grep -o ' bytes=[0-9]*' | cut -d= -f2)
  local c rss
  c=$(echo "$line" | grep -o 'cpu_s=[0-9.]*' | cut -d= -f2)
  rss=$(awk '{ printf "%.0f", $4 / 1024 }' "$work/bare-r$r.time" 2>/dev/null || echo "?")
  printf 'bare\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$secs" "$rps" "$mbps" "$c" \
    "$(diff_cpu "$b0" "$b1")" "$threads threads, peak RSS $rss MB" >>"$results"
}

run_kafka() {  # round
  local r=$1 out="$work/kafka-r$1.out" err="$work/kafka-r$1.log"
  local t0 t1 b0 b1
  b0=$(broker_cpu)
  t0=$(now)
  timed "$out" "$err" "$work/kafka-r$r.time" java -Xms1g -Xmx1g -cp "$kafka_libs/*" \
    org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$bootstrap" --topic "$topic" \
    --messages "$records" --timeout 60000 --group "catchup-perf-$$-$r" ||
    { cat "$err" >&2; die "ConsumerPerformance failed"; }
  t1=$(now)
  b1=$(broker_cpu)
  # start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  # rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  local line
  line=$(grep -v '^start.time' "$out" | grep ',' | tail -1)
  [ -n "$line" ] || { cat "$out" "$err" >&2; die "no figures from ConsumerPerformance"; }
  local tm
  tm=$(cat "$work/kafka-r$r.time" 2>/dev/null || echo "- - - -")
  echo "$line" | awk -F', *' -v r="$r" -v wall="$(elapsed "$t0" "$t1")" -v tm="$tm" \
    -v bc="$(diff_cpu "$b0" "$b1")" '{
      secs = ($6 > 0) ? $5 / $6 : 0
      split(tm, t, " ")
      c = (t[2] == "-") ? "-" : sprintf("%.2f", t[2] + t[3])
      rss = (t[4] == "-") ? "?" : sprintf("%.0f", t[4] / 1024)
      printf "kafka\t%s\t%.3f\t%.0f\t%.2f\t%s\t%s\tgroup join %s ms; JVM wall %s s, CPU incl. JVM start, peak RSS %s MB\n",
             r, secs, $6, $4, c, bc, $7, wall, rss
    }' >>"$results"
}

run_spate() {  # round
  local r=$1 sink="$work/spate-r$1" err="$work/spate-r$1.log"
  rm -rf "$sink"
  mkdir -p "$sink"
  local t0 t1 rc=0 b0 b1 c0 c1
  b0=$(broker_cpu)
  c0=$(cpu "${cluster[@]}")
  t0=$(now)
  # shellcheck disable=SC2086
  timed "$work/spate-r$r.out" "$err" "$work/spate-r$r.time" "$bin/spate-submit" \
    --master "spate://127.0.0.1:$master_port" ${SPATE_SUBMIT_ARGS:-} \
    --num-executors 2 --executor-cores 1 --conf spate.sql.shuffle.partitions=2 \
    --bootstrap "$bootstrap" --topic "$topic" --starting-offsets earliest \
    --trigger available-now --sink "file:$sink" crash-detector || rc=$?
  t1=$(now)
  c1=$(cpu "${cluster[@]}")
  b1=$(broker_cpu)
  [ "$rc" = 0 ] || { tail -20 "$err" >&2; die "spate-submit exited with $rc"; }
  local secs job
  secs=$(elapsed "$t0" "$t1")
  job=$(grep -o '^submitted [^ ]*' "$err" | awk '{ print $2 }')
  local submit_cpu rss
  submit_cpu=$(awk '{ if ($2 == "-") print 0; else print $2 + $3 }' "$work/spate-r$r.time" 2>/dev/null || echo 0)
  rss=$(for p in "${cluster[@]:1}"; do awk '/^VmHWM/ { printf "%.0f\n", $2 / 1024 }' "/proc/$p/status" 2>/dev/null; done |
        paste -sd+)
  "$bin/spate-submit" --master "spate://127.0.0.1:$master_port" --status "$job" \
    >"$work/spate-r$r.status" 2>&1 || true
  grep -F "job $job:" "$work/master.log" >"$work/spate-r$r.master.log" || true
  # Per batch: planning, stage 1, stage 2 and commit times, and each executor's task time, from
  # the master's JSON API. First line: the compact form for the table.
  python3 - "$ui_port" "$job" >"$work/spate-r$r.batches" 2>/dev/null <<'PY' || echo "stages: n/a" >"$work/spate-r$r.batches"
import json, sys, urllib.request
url = "http://127.0.0.1:%s/api/v1/jobs/%s/progress" % (sys.argv[1], sys.argv[2])
batches = json.load(urllib.request.urlopen(url, timeout=5))
short, lines = [], []
for b in batches:
    d = b["durationMs"]
    short.append("b%d %d/%d/%d" % (b["batchId"], d["stage1"], d["stage2"], d["commit"]))
    ex = ", ".join("%s %d ms for %d records" % (e["executorId"], e["taskTimeMs"], e["recordsRead"])
                   for e in b.get("executors", []))
    lines.append("batch %d: %d rows, planning %d ms, stage1 %d ms, stage2 %d ms, commit %d ms, "
                 "total %d ms; task time: %s" % (b["batchId"], b["numInputRows"], d["planning"],
                 d["stage1"], d["stage2"], d["commit"], d["total"], ex))
print("stages: " + ", ".join(short) + " ms (stage1/stage2/commit)")
print("\n".join(lines))
PY
  local batches
  batches=$(grep -c 'committed:' "$work/spate-r$r.master.log" || true)
  local bytes="${value_bytes:-0}"
  awk -v r="$r" -v s="$secs" -v n="$records" -v b="$bytes" -v k="$batches" -v j="$job" \
    -v c="$(diff_cpu "$c0" "$c1")" -v sc="$submit_cpu" -v bc="$(diff_cpu "$b0" "$b1")" \
    -v rss="$rss" -v st="$(head -1 "$work/spate-r$r.batches")" 'BEGIN {
      printf "spate\t%s\t%.3f\t%.0f\t%s\t%.2f\t%s\t%s, %d batches, %s; workers peak RSS %s MB\n", r, s,
             n / s, (b > 0 ? sprintf("%.2f", b / 1e6 / s) : "-"), c + sc, bc, j, k, st, rss }' >>"$results"
}

engines=()
skipped bare || engines+=(bare)
if ! skipped kafka; then
  if [ -d "$kafka_libs" ] && ls "$kafka_libs"/kafka-tools-*.jar >/dev/null 2>&1; then
    engines+=(kafka)
  else
    say "no kafka-tools jar in $kafka_libs: leaving ConsumerPerformance out"
  fi
fi
skipped spate || engines+=(spate)
[ ${#engines[@]} -gt 0 ] || die "every engine is skipped"

for ((r = 1; r <= rounds; r++)); do
  for ((k = 0; k < ${#engines[@]}; k++)); do
    e=${engines[$(((k + r - 1) % ${#engines[@]}))]}
    say "round $r: $e"
    "run_$e" "$r"
    tail -1 "$results" | awk -F'\t' '{ printf "catchup:   %s round %s: %s s, %s records/s, CPU %s s (broker %s s)\n", $1, $2, $3, $4, $6, $7 }' >&2
  done
done

# --- Spate's rows against the oracle --------------------------------------------------------
match="not checked"
if ! skipped spate && [ "$oracle" = 1 ]; then
  if [ ! -s "$expected" ]; then
    mkdir -p "$(dirname "$expected")"
    say "oracle: reading $topic through kcat (minutes for millions of records)"
    run "$work/oracle.out" "$work/oracle.log" python3 "$root/tests/oracle/crash_oracle.py" \
      --bootstrap "$bootstrap" --topic "$topic" --output "$expected.tmp" ||
      { cat "$work/oracle.log" >&2; die "the oracle failed"; }
    mv "$expected.tmp" "$expected"
  fi
  LC_ALL=C sort "$expected" >"$work/expected.jsonl"
  match=""
  for ((r = 1; r <= rounds; r++)); do
    cat "$work/spate-r$r"/*.jsonl 2>/dev/null | LC_ALL=C sort >"$work/spate-r$r.sorted"
    if cmp -s "$work/expected.jsonl" "$work/spate-r$r.sorted"; then
      m=yes
    else
      m=no
    fi
    match+="${match:+, }round $r: $m ($(wc -l <"$work/spate-r$r.sorted") rows, oracle $(wc -l <"$work/expected.jsonl"))"
  done
fi

# --- report -------------------------------------------------------------------------------
ratio=$(awk -F'\t' '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { v[$1, ++c[$1]] = $4; u[$1, c[$1]] = $6; if ($4 > best[$1]) best[$1] = $4 }
  END {
    if (!c["bare"] || !c["spate"]) { print "n/a (needs both bare and spate)"; exit }
    for (i = 1; i <= c["bare"]; i++) { b[i] = v["bare", i]; bc[i] = u["bare", i] }
    for (i = 1; i <= c["spate"]; i++) { s[i] = v["spate", i]; sc[i] = u["spate", i] }
    printf "best %.3f (%.0f / %.0f records/s), median %.3f (%.0f / %.0f); ", best["spate"] / best["bare"],
      best["spate"], best["bare"], median(s, c["spate"]) / median(b, c["bare"]),
      median(s, c["spate"]), median(b, c["bare"])
    ms = median(sc, c["spate"]); mb = median(bc, c["bare"])
    if (mb > 0) printf "CPU seconds, median: Spate %.2f, bare %.2f (%.1f times)", ms, mb, ms / mb
  }' "$results")

table=$( {
  echo "| engine | round | seconds | records/s | MB/s | CPU s | broker CPU s | note |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  sort -t$'\t' -k1,1 -k2,2n "$results" |
    awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
} )

echo
echo "Catch-up of $records records ($partitions partitions, topic $topic on $bootstrap), $rounds rounds"
echo "$table"
echo
echo "ratio Spate / bare consumer: $ratio"
echo "rows match: $match"

mkdir -p "$root/bench/results"
stamp=$(date +%Y%m%d-%H%M%S)
report="$root/bench/results/catchup-$stamp.md"
{
  echo "# Catch-up benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo
  echo "- command: \`bench/catchup.sh --records $records --partitions $partitions --rounds $rounds$([ "$reuse" = 1 ] && echo ' --reuse')\`"
  echo "- machine: $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg); git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "- topic: $topic on $bootstrap, $records records, $partitions partitions; fill: $fill_line"
  echo "- bare: spate-bare-consumer --threads $threads${BARE_CONSUMER_ARGS:+ $BARE_CONSUMER_ARGS}; seconds from creating the consumers to the last record"
  echo "- kafka: ConsumerPerformance; seconds = records / its nMsg.sec (from before the group join to the end)"
  echo "- spate: crash-detector, master + 2 workers (1 core each), seconds from spate-submit to its exit${SPATE_SUBMIT_ARGS:+; extra flags: $SPATE_SUBMIT_ARGS}"
  echo
  echo "$table"
  echo
  echo "ratio Spate / bare consumer: $ratio"
  echo
  echo "rows match: $match"
  echo
  echo "## Raw"
  echo
  echo '```'
  cat "$results"
  for ((r = 1; r <= rounds; r++)); do
    [ -f "$work/spate-r$r.master.log" ] || continue
    echo
    echo "--- spate round $r: master log"
    cat "$work/spate-r$r.master.log"
    echo "--- spate round $r: batches (master's /api/v1/jobs/JOB/progress)"
    tail -n +2 "$work/spate-r$r.batches"
    echo "--- spate round $r: spate-submit --status"
    cat "$work/spate-r$r.status"
  done
  echo '```'
} >"$report"
echo "written: $report"
