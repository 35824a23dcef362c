#!/usr/bin/env bash
# One command for the demo: installs what is missing, builds, starts a Kafka broker, a master,
# two workers and the load generator (10 000 records/s), submits crash-detector with the
# console sink and shows its tables until you press Ctrl-C; then stops everything it started.
#
# Environment: SPATE_KAFKA_PORT (19092), SPATE_MASTER_PORT (7077), SPATE_UI_PORT (8080),
# SPATE_WORKER_PORTS ("7078 7079"), TARGET_RPS (10000), SPATE_DEMO_DIR (a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/install-deps.sh
scripts/build.sh release >/dev/null

export SPATE_KAFKA_PORT="${SPATE_KAFKA_PORT:-19092}"
bootstrap="127.0.0.1:${SPATE_KAFKA_PORT}"
master_port="${SPATE_MASTER_PORT:-7077}"
ui_port="${SPATE_UI_PORT:-8080}"
read -r -a worker_ports <<< "${SPATE_WORKER_PORTS:-7078 7079}"
rate="${TARGET_RPS:-10000}"
dir="${SPATE_DEMO_DIR:-$(mktemp -d -t spate-demo.XXXXXX)}"
bin="$root/build/bin"
mkdir -p "$dir"

pids=()
started_kafka=0
cleanup() {
  trap - EXIT INT TERM
  trap "" PIPE  # the terminal or a pipe may be gone: still stop everything
  echo
  echo "demo: stopping what it started"
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  [ "$started_kafka" = 1 ] && "$root/scripts/kafka.sh" stop >/dev/null || true
  echo "demo: logs are in $dir"
}
trap cleanup EXIT
trap 'exit 130' TERM
# Ctrl-C reaches spate-submit (the foreground job), which stops the job; then we clean up.
trap ':' INT

if ! scripts/kafka.sh status >/dev/null 2>&1; then
  scripts/kafka.sh start >/dev/null
  started_kafka=1
fi
echo "demo: Kafka broker on $bootstrap"
"$bin/spate-topics" --bootstrap "$bootstrap" create logs --partitions 4 --if-not-exists

# Daemons run in their own session so that Ctrl-C reaches only spate-submit.
setsid "$bin/spate-master" --port "$master_port" --ui-port "$ui_port" \
  --state-dir "$dir/master" >"$dir/master.log" 2>&1 &
pids+=($!)
i=0
for port in "${worker_ports[@]}"; do
  i=$((i + 1))
  setsid "$bin/spate-worker" --master "spate://127.0.0.1:$master_port" --port "$port" \
    --cores 1 --memory 2G --work-dir "$dir/worker-$i" >"$dir/worker-$i.log" 2>&1 &
  pids+=($!)
done
setsid "$bin/spate-loadgen" --bootstrap "$bootstrap" --topic logs --rate "$rate" \
  --progress-interval 0 >"$dir/loadgen.log" 2>&1 &
pids+=($!)

for _ in $(seq 100); do
  [ "$(grep -l 'registered with master' "$dir"/worker-*.log 2>/dev/null | wc -l)" -ge "${#worker_ports[@]}" ] && break
  sleep 0.1
done
echo "demo: master spate://127.0.0.1:$master_port (page: http://127.0.0.1:$ui_port/), ${#worker_ports[@]} workers, load generator at $rate records/s"
echo "demo: results appear once the watermark passes a window's end (about 20 s); Ctrl-C ends the demo"
set +e
"$bin/spate-submit" --master "spate://127.0.0.1:$master_port" \
  --num-executors "${#worker_ports[@]}" --executor-cores 1 --executor-memory 1G \
  --conf spate.sql.shuffle.partitions="${#worker_ports[@]}" \
  --bootstrap "$bootstrap" --topic logs --starting-offsets latest \
  --trigger processing-time=1s --sink console \
  crash-detector --window 10s --watermark 10s --threshold 2
status=$?
set -e
exit $status
