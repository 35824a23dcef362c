#!/usr/bin/env bash
# SQL benchmark: Spate's SQL jobs against its compiled crash detector, Flink SQL running the same
# .sql files, and Spark Structured Streaming's equivalent DataFrame queries, side by side in one
# run on one topic.
#
# Usage: bench/sql.sh [--records N] [--partitions P] [--rounds R] [--work DIR] [--only LIST]
#                     [--topic NAME] [--reuse] [--keep-topic]
#
# Fills a fresh topic of P partitions (default 8) with N records (default 3 000 000) from
#   spate-loadgen --rate 0 --seed 42 --start-ms 1768142570000 --count N
# then runs, for R rounds (default 3; the order rotates every round, as this machine is noisy):
#   compiled     spate-submit ... --conf spate.job.engine=compiled crash-detector: the compiled
#                pipeline (the baseline of every Spate ratio)
#   template     spate-submit ... --conf spate.job.engine=sql crash-detector: jobs/crash-detector.sql
#   sql-crash    spate-submit --sql-file bench/sql/crash-detector.sql
#   sql-stats    spate-submit --sql-file bench/sql/severity-stats.sql (HOP windows, every record)
#   flink-crash  Flink SQL 2.2.1 running bench/sql/crash-detector.sql (bench/peers/flink/run.sh
#                --sql-file: one JVM, parallelism 2, streaming mode)
#   flink-stats  Flink SQL running bench/sql/severity-stats.sql
#   spark-crash  Spark 4.0.0 Structured Streaming, the crash detector (bench/peers/spark/run.sh,
#                4 shuffle partitions, availableNow)
#   spark-stats  Spark, the DataFrame query of severity-stats.sql (--query severity-stats)
# --only LIST (comma-separated engine names) runs some of them.
#
# Spate: a master and two workers (--cores 1 --memory 2G) started by this script, every job with
# --num-executors 2 --executor-cores 1 --conf spate.sql.shuffle.partitions=2 --trigger
# available-now, timed from starting spate-submit to its exit. Flink and Spark: the `seconds` of
# their summary (the query's start to its end; the JVM's start left out). records/s = N / seconds.
# CPU seconds: master + workers + spate-submit; the JVM's, its start included.
# The .sql files carry ${topic}, ${bootstrap} and ${out}: this script fills them (sed) into a copy
# per run; both engines get the same text but for the output path.
#
# Rows: the three Spate crash detectors must give identical rows, and every round the rows of
# round 1; Flink's rows must equal Spate's of the same file (as multisets, numbers by value);
# Spark's must equal Spate's up to its final watermark (bench/peers/compare_rows.py
# --any-columns [--emitted-until-ms]). Exit status 1 when a check fails.
#
# Prints a table (engine, records/s and CPU seconds per round, median) and the ratios of the
# medians: template / compiled and sql-crash / compiled (target >= 0.9), sql-stats / compiled
# (>= 0.6), Spate / Flink SQL per query (>= 2), Spate / Spark per query; `name=value` lines last.
# Everything (rendered scripts, rows, logs, results.tsv, summary.txt) goes to --work DIR
# (default a new temp dir, kept).
#
# Broker: $SPATE_BOOTSTRAP (default 127.0.0.1:${SPATE_KAFKA_PORT:-19092}); when none answers
# there, one is started with scripts/kafka.sh and stopped at the end. Binaries: $SPATE_BIN_DIR
# (default build/bin). The peers set themselves up on first use (bench/peers/README.md).
# Every process it starts is stopped by PID at the end, on Ctrl-C and on TERM.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

records=3000000
partitions=8
rounds=3
work=""
only=""
topic=""
reuse=0
keep_topic=0
all_engines=(compiled template sql-crash sql-stats flink-crash flink-stats spark-crash spark-stats)

say() { echo "sql.sh: $*" >&2; }
die() { say "$*"; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --topic) topic="$2"; shift 2 ;;
    --reuse) reuse=1; shift ;;
    --keep-topic) keep_topic=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
for v in records partitions rounds; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--$v must be a positive integer, not '${!v}'"
done
engines=()
if [ -n "$only" ]; then
  IFS=, read -r -a wanted <<<"$only"
  for e in "${wanted[@]}"; do
    [[ " ${all_engines[*]} " == *" $e "* ]] || die "unknown engine '$e' (engines: ${all_engines[*]})"
    engines+=("$e")
  done
else
  engines=("${all_engines[@]}")
fi
has() { [[ " ${engines[*]} " == *" $1 "* ]]; }
topic="${topic:-sqlbench-${records}-p${partitions}}"

kafka_port="${SPATE_KAFKA_PORT:-19092}"
bootstrap="${SPATE_BOOTSTRAP:-127.0.0.1:${kafka_port}}"
bin="${SPATE_BIN_DIR:-$root/build/bin}"
work="${work:-$(mktemp -d -t spate-sqlbench.XXXXXX)}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
mkdir -p "$work/logs" "$work/rows" "$work/sql"
for b in spate-loadgen spate-topics spate-master spate-worker spate-submit; do
  [ -x "$bin/$b" ] || die "$bin/$b not found (build it, or set SPATE_BIN_DIR)"
done

# --- processes: every one we start is recorded and stopped by PID ----------------------------
pids=()
started_kafka=0
current=""
topic_made=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$current" ]; then kill -TERM -- "-$current" 2>/dev/null || kill -TERM "$current" 2>/dev/null || true; fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for pid in ${current:+"$current"} ${pids[@]+"${pids[@]}"}; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "$topic_made" = 1 ] && [ "$keep_topic" = 0 ] && [ "$reuse" = 0 ]; then
    "$bin/spate-topics" --bootstrap "$bootstrap" delete "$topic" --if-exists >/dev/null 2>&1 || true
  fi
  if [ "$started_kafka" = 1 ]; then
    SPATE_KAFKA_PORT="$kafka_port" "$root/scripts/kafka.sh" stop >/dev/null 2>&1 || true
    say "stopped the broker it started on $bootstrap"
  fi
  say "results in $work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run OUT ERR cmd...: runs a command in its own session in the background and waits for it, so
# that a signal reaches our trap at once and the whole command (a JVM under a shell script) can
# be stopped by its process group.
run() {
  local out="$1" err="$2"
  shift 2
  setsid "$@" >"$out" 2>"$err" &
  current=$!
  local rc=0
  wait "$current" || rc=$?
  current=""
  return "$rc"
}
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
tck=$(getconf CLK_TCK)
cpu() {  # PID...: user + system CPU seconds so far
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
  done
  awk -v t="$t" -v k="$tck" 'BEGIN { printf "%.2f", t / k }'
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
field() { grep -o "$1=[^ ]*" | head -1 | cut -d= -f2; }  # field NAME < summary line

# --- broker and topic ------------------------------------------------------------------------
broker_answers() { "$bin/spate-topics" --bootstrap "$bootstrap" --timeout 3s list >/dev/null 2>&1; }
if ! broker_answers; then
  host="${bootstrap%:*}"
  [ "$host" = "127.0.0.1" ] || [ "$host" = "localhost" ] ||
    die "no broker answers at $bootstrap, and it is not local: start it first"
  kafka_port="${bootstrap##*:}"
  say "no broker at $bootstrap: starting one with scripts/kafka.sh"
  started_kafka=1
  SPATE_KAFKA_PORT="$kafka_port" "$root/scripts/kafka.sh" start >/dev/null
fi
topic_records() {
  local d
  d=$("$bin/spate-topics" --bootstrap "$bootstrap" describe "$topic" 2>/dev/null) || { echo none; return; }
  echo "$d" | awk '{for (i = 1; i <= NF; i++) { if ($i == "Low:") lo += $(i+1); if ($i == "High:") hi += $(i+1) }}
                   END { print hi - lo }'
}
have=$(topic_records)
if [ "$reuse" = 1 ] && [ "$have" = "$records" ]; then
  say "reusing topic $topic ($records records)"
else
  if [ "$have" != none ]; then
    say "deleting topic $topic ($have records)"
    "$bin/spate-topics" --bootstrap "$bootstrap" delete "$topic" >/dev/null
  fi
  "$bin/spate-topics" --bootstrap "$bootstrap" create "$topic" --partitions "$partitions" >/dev/null
  topic_made=1
  fill=(--bootstrap "$bootstrap" --topic "$topic" --rate 0 --seed 42 --start-ms 1768142570000
        --count "$records" --progress-interval 0)
  say "filling $topic: spate-loadgen ${fill[*]}"
  run "$work/logs/loadgen.out" "$work/logs/loadgen.log" "$bin/spate-loadgen" "${fill[@]}" ||
    { tail -5 "$work/logs/loadgen.log" >&2; die "spate-loadgen failed"; }
  have=$(topic_records)
  [ "$have" = "$records" ] || die "topic $topic holds $have records, expected $records"
fi
say "topic $topic on $bootstrap: $records records, $partitions partitions"

# --- the Spate cluster -----------------------------------------------------------------------
cluster=()
if has compiled || has template || has sql-crash || has sql-stats; then
  master_port=$(free_port)
  setsid "$bin/spate-master" --port "$master_port" --ui-port "$(free_port)" \
    --state-dir "$work/master" >"$work/logs/master.log" 2>&1 &
  pids+=($!)
  cluster+=($!)
  for i in 1 2; do
    setsid "$bin/spate-worker" --master "spate://127.0.0.1:$master_port" --port "$(free_port)" \
      --cores 1 --memory 2G --work-dir "$work/worker-$i" >"$work/logs/worker-$i.log" 2>&1 &
    pids+=($!)
    cluster+=($!)
  done
  for _ in $(seq 300); do
    [ "$(grep -l 'registered with master' "$work"/logs/worker-*.log 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.1
  done
  [ "$(grep -l 'registered with master' "$work"/logs/worker-*.log 2>/dev/null | wc -l)" -ge 2 ] ||
    die "the workers did not register with the master (logs in $work/logs)"
  say "Spate cluster: master spate://127.0.0.1:$master_port, 2 workers with 1 core each"
fi

# render SCRIPT OUT -> path of a copy of bench/sql/SCRIPT.sql with the placeholders filled
render() {
  local dst="$work/sql/$(basename "$2").sql"
  sed -e "s|\${topic}|$topic|g" -e "s|\${bootstrap}|$bootstrap|g" -e "s|\${out}|$2|g" \
    "$root/bench/sql/$1.sql" >"$dst"
  echo "$dst"
}

# engine round seconds records_per_s cpu_s rows note
results="$work/results.tsv"
: >"$results"
record() {  # engine round seconds cpu rowsdir note
  local rows
  rows=$(python3 "$root/bench/peers/compare_rows.py" --any-columns --expected "$5" --actual "$5" |
         field expected)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" \
    "$(awk -v n="$records" -v s="$3" 'BEGIN { printf "%.0f", n / s }')" "$4" "$rows" "$6" >>"$results"
}

spate_job() {  # engine round spate-submit-args...
  local e=$1 r=$2
  shift 2
  local name="$e-r$r" rc=0 c0 c1 t0 t1
  rm -rf "${work:?}/rows/$name"
  c0=$(cpu "${cluster[@]}")
  t0=$(now)
  run "$work/logs/$name.out" "$work/logs/$name.log" /usr/bin/time -o "$work/logs/$name.time" \
    -f "%e %U %S %M" "$bin/spate-submit" --master "spate://127.0.0.1:$master_port" \
    --num-executors 2 --executor-cores 1 --conf spate.sql.shuffle.partitions=2 \
    --trigger available-now "$@" || rc=$?
  t1=$(now)
  c1=$(cpu "${cluster[@]}")
  [ "$rc" = 0 ] || { tail -20 "$work/logs/$name.log" >&2; die "spate-submit ($e, round $r) exited with $rc"; }
  local sc
  sc=$(awk '{ print $2 + $3 }' "$work/logs/$name.time")
  record "$e" "$r" "$(elapsed "$t0" "$t1")" \
    "$(awk -v a="$c0" -v b="$c1" -v s="$sc" 'BEGIN { printf "%.2f", b - a + s }')" \
    "$work/rows/$name" "$(grep -o 'submitted job-[^ ]*' "$work/logs/$name.log" | cut -d' ' -f2)"
}
run_compiled() {
  spate_job compiled "$1" --bootstrap "$bootstrap" --topic "$topic" --starting-offsets earliest \
    --sink "file:$work/rows/compiled-r$1" --conf spate.job.engine=compiled crash-detector
}
run_template() {
  spate_job template "$1" --bootstrap "$bootstrap" --topic "$topic" --starting-offsets earliest \
    --sink "file:$work/rows/template-r$1" --conf spate.job.engine=sql crash-detector
}
run_sql-crash() { spate_job sql-crash "$1" --sql-file "$(render crash-detector "$work/rows/sql-crash-r$1")"; }
run_sql-stats() { spate_job sql-stats "$1" --sql-file "$(render severity-stats "$work/rows/sql-stats-r$1")"; }

flink_job() {  # engine round script
  local e=$1 r=$2 name="$1-r$2" rc=0
  rm -rf "${work:?}/rows/$name" "${work:?}/logs/$name"
  run "$work/logs/$name.out" "$work/logs/$name.log" "$root/bench/peers/flink/run.sh" \
    --sql-file "$(render "$3" "$work/rows/$name")" --out "$work/logs/$name" \
    --records "$records" || rc=$?
  [ "$rc" = 0 ] || { tail -20 "$work/logs/$name.log" >&2; die "Flink SQL ($e, round $r) exited with $rc"; }
  local line
  line=$(grep '^summary:' "$work/logs/$name.out" | tail -1)
  record "$e" "$r" "$(field seconds <<<"$line")" "$(field jvm_cpu_s <<<"$line")" \
    "$work/rows/$name" "peak RSS $(field peak_rss_mb <<<"$line") MB"
}
run_flink-crash() { flink_job flink-crash "$1" crash-detector; }
run_flink-stats() { flink_job flink-stats "$1" severity-stats; }

spark_job() {  # engine round crash_detector.py args...
  local e=$1 r=$2 name="$1-r$2" rc=0
  shift 2
  rm -rf "${work:?}/logs/$name"
  run "$work/logs/$name.out" "$work/logs/$name.log" "$root/bench/peers/spark/run.sh" \
    --bootstrap "$bootstrap" --topic "$topic" --out "$work/logs/$name" --shuffle-partitions 4 \
    "$@" || rc=$?
  [ "$rc" = 0 ] || { tail -20 "$work/logs/$name.log" >&2; die "Spark ($e, round $r) exited with $rc"; }
  local line
  line=$(grep '^summary:' "$work/logs/$name.out" | tail -1)
  mkdir -p "$work/rows/$name"
  cp "$work/logs/$name/rows.jsonl" "$work/rows/$name/rows.jsonl"
  record "$e" "$r" "$(field seconds <<<"$line")" "$(field jvm_cpu_s <<<"$line")" \
    "$work/rows/$name" "final_watermark_ms=$(field final_watermark_ms <<<"$line") peak RSS $(field peak_rss_mb <<<"$line") MB"
}
run_spark-crash() { spark_job spark-crash "$1"; }
run_spark-stats() { spark_job spark-stats "$1" --query severity-stats; }

for ((r = 1; r <= rounds; r++)); do
  for ((k = 0; k < ${#engines[@]}; k++)); do
    e=${engines[$(((k + r - 1) % ${#engines[@]}))]}
    say "round $r: $e"
    "run_$e" "$r"
    tail -1 "$results" | awk -F'\t' '{ printf "sql.sh:   %s round %s: %s s, %s records/s, CPU %s s, %s rows\n", $1, $2, $3, $4, $5, $6 }' >&2
  done
done

# --- rows ------------------------------------------------------------------------------------
checks="$work/checks.txt"
: >"$checks"
failed=0
check() {  # label expected actual [compare_rows.py flags]
  local label=$1 exp=$2 act=$3 line rc=0
  shift 3
  line=$(python3 "$root/bench/peers/compare_rows.py" --any-columns --expected "$exp" --actual "$act" "$@" \
         2>>"$work/logs/compare.log") || rc=$?
  echo "$label: ${line#compare: }" >>"$checks"
  if [ "$rc" != 0 ]; then
    failed=1
    say "ROW CHECK FAILED: $label: $line (details in $work/logs/compare.log)"
  fi
}
crash_ref=""
for e in compiled template sql-crash; do
  has "$e" && { crash_ref="$work/rows/$e-r1"; break; }
done
for e in compiled template sql-crash sql-stats flink-crash flink-stats; do
  has "$e" || continue
  for ((r = 2; r <= rounds; r++)); do check "$e round $r vs round 1" "$work/rows/$e-r1" "$work/rows/$e-r$r"; done
done
for e in compiled template sql-crash; do
  has "$e" && [ "$work/rows/$e-r1" != "$crash_ref" ] && check "$e vs ${crash_ref##*/}" "$crash_ref" "$work/rows/$e-r1"
done
if has flink-crash; then
  [ -n "$crash_ref" ] && for ((r = 1; r <= rounds; r++)); do check "flink-crash round $r vs Spate" "$crash_ref" "$work/rows/flink-crash-r$r"; done
fi
if has flink-stats && has sql-stats; then
  for ((r = 1; r <= rounds; r++)); do check "flink-stats round $r vs Spate" "$work/rows/sql-stats-r1" "$work/rows/flink-stats-r$r"; done
fi
for q in crash stats; do
  has "spark-$q" || continue
  if [ "$q" = crash ]; then ref="$crash_ref"; else ref=$(has sql-stats && echo "$work/rows/sql-stats-r1"); fi
  [ -n "$ref" ] || continue
  for ((r = 1; r <= rounds; r++)); do
    wm=$(awk -F'\t' -v e="spark-$q" -v r="$r" '$1 == e && $2 == r { print $7 }' "$results" | field final_watermark_ms)
    check "spark-$q round $r vs Spate (up to its watermark $wm)" "$ref" "$work/rows/spark-$q-r$r" --emitted-until-ms "$wm"
  done
done

# --- report ----------------------------------------------------------------------------------
summary="$work/summary.txt"
awk -F'\t' -v rounds="$rounds" -v records="$records" -v order="${engines[*]}" '
  function median(a, n,   i, j, t, b) {
    for (i = 1; i <= n; i++) b[i] = a[i]
    for (i = 2; i <= n; i++) for (j = i; j > 1 && b[j-1] > b[j]; j--) { t = b[j]; b[j] = b[j-1]; b[j-1] = t }
    return (n % 2) ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2
  }
  { n[$1]++; rps[$1, n[$1]] = $4; cpu[$1, n[$1]] = $5; rows[$1] = $6 }
  END {
    split(order, es, " ")
    printf "| engine | records/s per round | median records/s | median CPU s | rows |\n"
    printf "| --- | --- | ---: | ---: | ---: |\n"
    for (k = 1; k in es; k++) {
      e = es[k]; if (!n[e]) continue
      line = ""
      for (i = 1; i <= n[e]; i++) { a[i] = rps[e, i]; c[i] = cpu[e, i]; line = line (i > 1 ? " / " : "") sprintf("%.0f", a[i]) }
      med[e] = median(a, n[e]); mc[e] = median(c, n[e])
      printf "| %s | %s | %.0f | %.2f | %s |\n", e, line, med[e], mc[e], rows[e]
      u = e; gsub("-", "_", u)
      kv = kv sprintf("%s_rps=%.0f\n%s_cpu_s=%.2f\n", u, med[e], u, mc[e])
    }
    printf "\n"
    nr = split("template/compiled:0.9 sql-crash/compiled:0.9 sql-stats/compiled:0.6 sql-crash/flink-crash:2 sql-stats/flink-stats:2 sql-crash/spark-crash:- sql-stats/spark-stats:-", rs, " ")
    for (k = 1; k <= nr; k++) {
      split(rs[k], p, ":"); split(p[1], ab, "/")
      if (!med[ab[1]] || !med[ab[2]]) continue
      v = med[ab[1]] / med[ab[2]]
      name = ab[1] "_vs_" ab[2]; gsub("-", "_", name)
      t = (p[2] == "-") ? "" : sprintf(" (target >= %s: %s)", p[2], v >= p[2] ? "met" : "missed")
      printf "ratio %s / %s: %.2f%s\n", ab[1], ab[2], v, t
      kv = kv sprintf("%s=%.3f\n", name, v)
      if (p[2] != "-") kv = kv sprintf("target_%s=%s\n", name, v >= p[2] ? "met" : "missed")
    }
    printf "\n%srecords=%d\nrounds=%d\n", kv, records, rounds
  }' "$results" >"$summary"
{
  echo "rows_check=$([ "$failed" = 0 ] && echo ok || echo MISMATCH)"
  echo "loadavg_end=$(cut -d' ' -f1 /proc/loadavg)"
} >>"$summary"

echo
echo "SQL benchmark: $records records ($partitions partitions, topic $topic on $bootstrap), $rounds rounds"
echo "git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo
cat "$summary"
echo
echo "row checks:"
sed 's/^/  /' "$checks"
exit "$failed"
