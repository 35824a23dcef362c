#!/usr/bin/env bash
# Spate's benchmark suite: catch-up against the Kafka ceilings, Spark and Flink with
# row checks, the sustained rate, scale of state and scale-out, in one command.
#
# Usage: scripts/bench.sh [--quick] [--records N] [--partitions P] [--rounds R] [--no-peers]
#                         [--no-sweeps] [--no-oracle] [--reuse] [--skip SECTIONS] [--no-plots]
#                         [--no-sql] [--sql-args 'ARGS'] [more: scripts/bench.sh --help]
#
#   scripts/bench.sh            full run: 10 M records in 8 partitions, 3 rounds of the ceilings
#                               and Spate, the peers, sustained, 1 000 / 100 000 / 1 M users,
#                               workers 1/2/4 and shuffle partitions 2/4/8/16 (< 30 min here)
#   scripts/bench.sh --quick    1 M records, 1 round, no peers, no sweeps (< 3 min)
#
# Broker: $SPATE_BOOTSTRAP (default 127.0.0.1:${SPATE_KAFKA_PORT:-19092}); when none answers
# there, one is started with scripts/kafka.sh and stopped at the end. Binaries: $SPATE_BIN_DIR
# (default build/bin). Extra flags: $SPATE_SUBMIT_ARGS (spate-submit), $BARE_CONSUMER_ARGS.
#
# The work itself is bench/suite.py. Results go to bench/results/<UTC timestamp>/ (git-ignored):
# summary.txt (name=value lines, printed last too), summary.csv, results.json, runs.csv,
# batches.csv, logs/, and plots/*.png drawn by bench/plot.py with matplotlib from a virtualenv
# in ${SPATE_CACHE_DIR:-~/.cache/spate}/bench-venv (created on first use from PyPI; no plots,
# and a note, when that fails). bench/README.md says what each figure means.
# Then the SQL section: bench/sql.sh (Spate's SQL jobs against the compiled crash detector, Flink
# SQL on the same .sql files, Spark's DataFrame form) with its own topic and cluster, into
# RESULTS/sql/; its name=value lines join summary.txt with a sql_ prefix. --quick runs it on
# 1 000 000 records, one round, Spate only; --no-peers leaves Flink and Spark out; --no-sql skips
# it; --sql-args adds flags (e.g. '--records 10000000 --rounds 2').
# Every process it starts is stopped by PID; everything binds 127.0.0.1.
# Exit status: the suite's (1 when a section failed or a row check did not match).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

plots=1
out=""
args=()
sql=1
sql_args=()
quick=0
peers=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-plots) plots=0; shift ;;
    --no-sql) sql=0; shift ;;
    --sql-args) read -r -a more <<<"$2"; sql_args+=("${more[@]}"); shift 2 ;;
    --quick) quick=1; args+=("$1"); shift ;;
    --no-peers) peers=0; args+=("$1"); shift ;;
    --out) out="$2"; shift 2 ;;
    --out=*) out="${1#--out=}"; shift ;;
    -h|--help)
      sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
      echo
      exec python3 bench/suite.py --help ;;
    *) args+=("$1"); shift ;;
  esac
done
out="${out:-$root/bench/results/$(date -u +%Y%m%d-%H%M%S)}"

# The suite runs in the background so that a TERM sent to this script reaches it at once (it
# stops everything it started by PID and still writes its results).
python3 bench/suite.py --out "$out" ${args[@]+"${args[@]}"} &
suite=$!
trap 'kill -TERM "$suite" 2>/dev/null || true' TERM
trap 'kill -INT "$suite" 2>/dev/null || true' INT
rc=0
while :; do
  wait "$suite" && rc=0 || rc=$?
  kill -0 "$suite" 2>/dev/null || break  # wait returns early when a trapped signal arrives
done
trap - TERM INT

# The SQL section (bench/sql.sh), after the suite so that the two never share the machine.
sql_section() {
  local a=(--work "$out/sql")
  if [ "$quick" = 1 ]; then
    a+=(--records 1000000 --rounds 1 --only compiled,template,sql-crash,sql-stats)
  elif [ "$peers" = 0 ]; then
    a+=(--only compiled,template,sql-crash,sql-stats)
  fi
  mkdir -p "$out/sql" "$out/logs"
  bench/sql.sh "${a[@]}" ${sql_args[@]+"${sql_args[@]}"} >"$out/logs/sql.out" 2>"$out/logs/sql.log" &
  local pid=$! src=0
  trap 'kill -TERM "$pid" 2>/dev/null || true' TERM
  trap 'kill -INT "$pid" 2>/dev/null || true' INT
  while :; do
    wait "$pid" && src=0 || src=$?
    kill -0 "$pid" 2>/dev/null || break
  done
  trap - TERM INT
  cat "$out/logs/sql.out"
  if [ -f "$out/sql/summary.txt" ] && [ -f "$out/summary.txt" ]; then
    grep '=' "$out/sql/summary.txt" | grep -v '^\(records\|rounds\|loadavg_end\)=' |
      sed 's/^\(sql_\)\{0,1\}/sql_/' >>"$out/summary.txt"
  fi
  if [ "$src" != 0 ]; then
    echo "bench.sh: the SQL section failed (exit $src; $out/logs/sql.log)" >&2
    [ "$rc" = 0 ] && rc=1
  fi
}
[ "$sql" = 1 ] && sql_section

plot() {
  [ -f "$out/runs.csv" ] || return 0
  local venv="${SPATE_CACHE_DIR:-$HOME/.cache/spate}/bench-venv"
  if ! "$venv/bin/python" -c 'import matplotlib' 2>/dev/null; then
    echo "bench.sh: installing matplotlib into $venv (once)" >&2
    { python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check matplotlib; } \
      >"$out/logs/plot-venv.log" 2>&1 ||
      { echo "bench.sh: no matplotlib (see $out/logs/plot-venv.log): no plots" >&2; return 0; }
  fi
  "$venv/bin/python" bench/plot.py "$out" ||
    echo "bench.sh: bench/plot.py failed: no plots" >&2
}
[ "$plots" = 1 ] && plot
exit "$rc"
