# Shell helpers of the scripts in scripts/course/: a Kafka broker, a master and workers started
# by PID and always stopped by PID (in reverse order) when the script ends, however it ends.
#
# Environment (all optional):
#   SPATE_BIN_DIR        binaries (default build/bin)
#   SPATE_KAFKA_PORT     the broker's port on 127.0.0.1 (default 19592); a broker already
#                        answering there is used and left running, otherwise one is started
#                        with scripts/kafka.sh and stopped at the end
#   COURSE_MASTER_PORT   the master's gRPC port (default 27077); workers use the next ports
#   COURSE_UI_PORT       the master's web page (default 28080)
#   COURSE_WORK          scratch directory (default: a new one under /tmp, removed at the end
#                        unless COURSE_KEEP=1)
# shellcheck shell=bash

course_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../lib/process.sh
. "$course_root/scripts/lib/process.sh"
bin="${SPATE_BIN_DIR:-$course_root/build/bin}"
export SPATE_KAFKA_PORT="${SPATE_KAFKA_PORT:-19592}"
bootstrap="127.0.0.1:$SPATE_KAFKA_PORT"
master_port="${COURSE_MASTER_PORT:-27077}"
ui_port="${COURSE_UI_PORT:-28080}"
master="spate://127.0.0.1:$master_port"
api="http://127.0.0.1:$ui_port/api/v1"
if [ -n "${COURSE_WORK:-}" ]; then
  work="$COURSE_WORK"
  mkdir -p "$work"
else
  work=$(mktemp -d -t spate-course.XXXXXX)
fi

course_pids=()
course_started_kafka=0
course_worker_count=0
course_worker_pids=()
course_master_pid=

course_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for ((i = ${#course_pids[@]} - 1; i >= 0; i--)); do
    stop_pid "${course_pids[i]}" "pid ${course_pids[i]}" 10
  done
  if [ "$course_started_kafka" = 1 ]; then
    "$course_root/scripts/kafka.sh" stop >/dev/null 2>&1 || true
  fi
  if [ "${COURSE_KEEP:-0}" = 1 ] || [ "$rc" != 0 ]; then
    echo "course: scratch files kept in $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap course_cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
die() { echo "course: $*" >&2; exit 1; }

# course_kafka: a broker on $bootstrap, started unless one answers there.
course_kafka() {
  if ! "$course_root/scripts/kafka.sh" status >/dev/null 2>&1; then
    "$course_root/scripts/kafka.sh" start >/dev/null
    course_started_kafka=1
  fi
}

# Where the cluster's state, work dirs and logs go; set cluster_dir before course_master to
# run a fresh cluster after course_stop_all.
cluster_dir="$work"

# course_bg NAME CMD...: runs CMD in its own session, logs to $cluster_dir/NAME.log, remembers
# its PID.
course_bg() {
  local name=$1
  shift
  mkdir -p "$cluster_dir"
  setsid "$@" >"$cluster_dir/$name.log" 2>&1 &
  course_pids+=($!)
}

# course_stop_all: stops every process started so far (newest first); the broker stays.
course_stop_all() {
  for ((i = ${#course_pids[@]} - 1; i >= 0; i--)); do
    stop_pid "${course_pids[i]}" "pid ${course_pids[i]}" 10
  done
  course_pids=()
  course_worker_count=0
  course_worker_pids=()
}

# course_stop_last: stops the process started last (e.g. a load generator) and forgets it.
course_stop_last() {
  local pid=${course_pids[${#course_pids[@]} - 1]}
  stop_pid "$pid" "pid $pid" 15
  unset 'course_pids[${#course_pids[@]}-1]'
}

# course_master: a master with its page on $ui_port; waits until the API answers.
course_master() {
  course_bg master "$bin/spate-master" --port "$master_port" --ui-port "$ui_port" \
    --state-dir "$cluster_dir/master" --worker-timeout 5s
  course_master_pid=${course_pids[${#course_pids[@]} - 1]}
  for _ in $(seq 100); do
    curl -sf "$api/cluster" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "the master did not answer on $api"
}

# course_workers N CORES MEMORY: N workers; waits until all are ALIVE.
course_workers() {
  local n=$1 cores=$2 memory=$3 i port
  for ((i = 0; i < n; i++)); do
    course_worker_count=$((course_worker_count + 1))
    port=$((master_port + course_worker_count))
    course_bg "worker-$course_worker_count" "$bin/spate-worker" --master "$master" \
      --port "$port" --cores "$cores" --memory "$memory" \
      --work-dir "$cluster_dir/worker-$course_worker_count"
    course_worker_pids+=("${course_pids[${#course_pids[@]} - 1]}")
  done
  for _ in $(seq 150); do
    [ "$(curl -sf "$api/workers" | jq '[.[] | select(.state == "ALIVE")] | length')" -ge \
      "$course_worker_count" ] && return 0
    sleep 0.1
  done
  die "workers did not register"
}

# course_topic NAME PARTITIONS: a fresh topic (deleted first when it exists).
course_topic() {
  "$bin/spate-topics" --bootstrap "$bootstrap" delete "$1" >/dev/null 2>&1 || true
  for _ in 1 2 3 4 5; do
    "$bin/spate-topics" --bootstrap "$bootstrap" create "$1" --partitions "$2" >/dev/null 2>&1 &&
      return 0
    sleep 1
  done
  die "cannot create topic $1"
}

# course_job ID: the job's JSON.
course_job() { curl -sf "$api/jobs/$1"; }

# course_wait_batches ID N TIMEOUT_S: waits until the job committed N batches.
course_wait_batches() {
  local deadline=$((SECONDS + $3)) n
  while [ $SECONDS -lt $deadline ]; do
    n=$(course_job "$1" | jq '.batchesCommitted // 0')
    [ "${n:-0}" -ge "$2" ] && return 0
    sleep 0.5
  done
  die "job $1 did not commit $2 batches in $3 s"
}

# course_wait_state ID STATE TIMEOUT_S: waits until the job is in STATE.
course_wait_state() {
  local deadline=$((SECONDS + $3))
  until [ "$(course_job "$1" | jq -r '.state')" = "$2" ]; do
    [ $SECONDS -lt $deadline ] || die "job $1 not $2 after $3 s"
    sleep 0.3
  done
}

# course_rss_mb PID [FIELD]: resident set size (VmRSS, or FIELD, e.g. VmHWM: the peak) in MB.
course_rss_mb() { awk -v f="^${2:-VmRSS}:" '$0 ~ f {printf "%d", $2 / 1024}' "/proc/$1/status"; }

# course_cpu_s PID...: user + system CPU seconds of the processes.
course_cpu_s() {
  local hz total=0 pid t
  hz=$(getconf CLK_TCK)
  for pid in "$@"; do
    t=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    total=$((total + t))
  done
  awk -v t="$total" -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}'
}
