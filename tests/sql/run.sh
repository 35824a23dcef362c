#!/usr/bin/env bash
# The SQL tests end to end: Spate's results for SQL scripts against DuckDB's (tests/sql/README.md).
#
# Usage: tests/sql/run.sh [--no-recovery] [--no-random] [CASE ...]
#
# Creates the test venv if missing (tests/sql/venv.sh, duckdb from PyPI), starts a spate-master
# and two spate-workers on free 127.0.0.1 ports (stopped by PID on exit, failure included),
# creates topics with spate-topics and fills them with gen_records.py, then runs
#   1. the cases (tests/sql/cases/*.sql, or those named) on the cluster, and two on local[2];
#   2. the random queries (random_queries.py, SPATE_SQL_SEED or a fixed seed, SPATE_SQL_QUERIES
#      queries, default 20) on the same cluster and topic;
#   3. the recovery cases (tests/sql/recovery/*.sql): streaming jobs fed in bursts, a worker
#      killed with SIGKILL mid-run, then --stop --drain.
# Exits 0 when everything matched, 1 on any mismatch or failure.
#
# Environment: SPATE_BOOTSTRAP (a running broker; default 127.0.0.1:${SPATE_KAFKA_PORT:-19092}),
# SPATE_BIN_DIR (default build/bin), SPATE_SQL_KEEP=1 keeps the scratch directory.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# SPATE_BIN_DIR wins; ctest passes its build's bin/ as SPATE_SQL_BUILD_BIN.
bin="${SPATE_BIN_DIR:-${SPATE_SQL_BUILD_BIN:-$root/build/bin}}"
bootstrap="${SPATE_BOOTSTRAP:-127.0.0.1:${SPATE_KAFKA_PORT:-19092}}"
export SPATE_BOOTSTRAP="$bootstrap" SPATE_BIN_DIR="$bin"

recovery=1
random=1
cases=()
for a in "$@"; do
  case "$a" in
    --no-recovery) recovery=0 ;;
    --no-random) random=0 ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) cases+=("$a") ;;
  esac
done

say() { echo "sql-tests: $*" >&2; }
started=$SECONDS

for b in spate-master spate-worker spate-submit spate-topics; do
  [ -x "$bin/$b" ] || { say "$bin/$b not found: build first (scripts/build.sh)"; exit 1; }
done
command -v kcat >/dev/null || { say "kcat not found"; exit 1; }
kcat -L -b "$bootstrap" -m 5 >/dev/null 2>&1 || { say "no broker answers on $bootstrap"; exit 1; }

PY=$("$here/venv.sh")
work=$(mktemp -d "${TMPDIR:-/tmp}/spate-sql.XXXXXX")
mkdir -p "$work/logs"
master_pid=""
worker_pids=()
worker_dirs=()
topics=()
rc=0

stop_one() {  # PID: TERM, up to 5 s, then KILL
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local code=$?
  set +e
  for p in "${worker_pids[@]}"; do stop_one "$p"; done
  [ -n "$master_pid" ] && stop_one "$master_pid"
  for t in "${topics[@]}"; do
    timeout 30 "$bin/spate-topics" --bootstrap "$bootstrap" delete "$t" --if-exists >/dev/null 2>&1
  done
  if [ "$code" -ne 0 ] || [ "${SPATE_SQL_KEEP:-0}" = 1 ]; then
    say "scratch kept in $work (logs, scripts, expected rows)"
  else
    rm -rf "$work"
  fi
  say "took $((SECONDS - started)) s"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_log() {  # FILE TEXT TIMEOUT_S PID
  local deadline=$((SECONDS + $3))
  until grep -q -- "$2" "$1" 2>/dev/null; do
    if ! kill -0 "$4" 2>/dev/null; then say "process $4 exited; its log:"; tail -n 30 "$1" >&2; return 1; fi
    if [ $SECONDS -ge $deadline ]; then say "no '$2' in $1 within $3 s"; tail -n 30 "$1" >&2; return 1; fi
    sleep 0.1
  done
}

master_port=$(free_port)
master="spate://127.0.0.1:$master_port"
"$bin/spate-master" --host 127.0.0.1 --port "$master_port" --ui-port "$(free_port)" \
  --state-dir "$work/master-state" --worker-timeout 2s >"$work/logs/master.log" 2>&1 &
master_pid=$!
wait_log "$work/logs/master.log" "master listening on" 20 "$master_pid"

start_worker() {
  local i=${#worker_pids[@]}
  local dir="$work/worker-$i"
  mkdir -p "$dir"
  "$bin/spate-worker" --master "$master" --host 127.0.0.1 --port "$(free_port)" --cores 2 \
    --memory 2G --work-dir "$dir" >"$work/logs/worker-$i.log" 2>&1 &
  worker_pids+=($!)
  worker_dirs+=("$dir")
  wait_log "$work/logs/worker-$i.log" "registered with master" 20 "$!"
}
start_worker
start_worker
say "master $master (pid $master_pid), workers ${worker_pids[*]}"

new_topic() {  # VAR PREFIX PARTITIONS: creates a topic, its name in VAR (deleted on exit)
  local t="sqlt-$2-$$-$(date +%s%N | cut -c1-13)"
  timeout 30 "$bin/spate-topics" --bootstrap "$bootstrap" create "$t" --partitions "$3" >/dev/null
  topics+=("$t")
  printf -v "$1" '%s' "$t"
}
gen() { "$PY" "$here/gen_records.py" generate "$@" >/dev/null; }
produce() { "$PY" "$here/gen_records.py" produce --dir "$1" --bootstrap "$bootstrap" --topic "$2"; }

gen --out "$work/data-main" --seed 1 --count 20000 --partitions 4 --malformed 48
gen --out "$work/data-late" --seed 2 --count 6000 --span-ms 60000 --partitions 1 --malformed 0 \
  --profile late --late 25 --late-after 3000
new_topic main_topic main 4
new_topic late_topic late 1
produce "$work/data-main" "$main_topic"
produce "$work/data-late" "$late_topic"

section() { say "--- $1 ($((SECONDS - started)) s)"; }

section "cases on the cluster"
"$PY" "$here/test_sql_oracle.py" --bin-dir "$bin" --master "$master" --bootstrap "$bootstrap" \
  --dataset "main=$work/data-main:$main_topic" --dataset "late=$work/data-late:$late_topic" \
  --work "$work/cases" "${cases[@]}" || rc=1

if [ ${#cases[@]} -eq 0 ]; then
  section "cases on local[2]"
  "$PY" "$here/test_sql_oracle.py" --bin-dir "$bin" --master "local[2]" --bootstrap "$bootstrap" \
    --dataset "main=$work/data-main:$main_topic" --work "$work/cases-local" \
    crash_detector hop_avg_distinct || rc=1
fi

if [ "$random" = 1 ] && [ ${#cases[@]} -eq 0 ]; then
  section "random queries"
  "$PY" "$here/random_queries.py" --seed "${SPATE_SQL_SEED:-20261203}" \
    --count "${SPATE_SQL_QUERIES:-20}" --bin-dir "$bin" --master "$master" \
    --bootstrap "$bootstrap" --dataset "$work/data-main:$main_topic" --work "$work/random" || rc=1
fi

if [ "$recovery" = 1 ] && [ ${#cases[@]} -eq 0 ]; then
  n=0
  for script in "$here"/recovery/*.sql; do
    case "$script" in *.oracle.sql) continue ;; esac
    section "recovery: $(basename "$script")"
    data="$work/data-rec-$n"
    gen --out "$data" --seed $((31 + n)) --count 12000 --span-ms 60000 --partitions 4 --malformed 12
    new_topic topic "rec$n" 4
    # The victim: the older of the live workers; a new worker replaces it afterwards.
    victim=$((${#worker_pids[@]} - 2))
    "$PY" "$here/recovery.py" --script "$script" --dataset "$data:$topic" --work "$work/recovery" \
      --master "$master" --bootstrap "$bootstrap" --bin-dir "$bin" \
      --kill-pid "${worker_pids[$victim]}" --kill-dir "${worker_dirs[$victim]}" || rc=1
    wait "${worker_pids[$victim]}" 2>/dev/null || true
    start_worker
    n=$((n + 1))
  done
fi

section "done"
if [ "$rc" -ne 0 ]; then say "FAILED (see above)"; else say "all SQL tests passed"; fi
exit "$rc"
