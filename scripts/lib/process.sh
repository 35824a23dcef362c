# Shell helpers shared by the scripts that run a daemon by PID (kafka.sh, zookeeper.sh,
# deploy/dockerd.sh).

# stop_pid PID NAME TIMEOUT_S: TERM, wait up to TIMEOUT_S, then KILL; returns once it is gone.
stop_pid() {
  local pid=$1 name=$2 timeout=$3
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt "$deadline" ]; do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$name (pid $pid) still running after $timeout s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
}

# recorded_pid PID_FILE CMDLINE_PART: prints the PID in PID_FILE when that process is alive and
# is ours: its command line names CMDLINE_PART (a recycled PID is someone else's). Returns 1
# otherwise.
recorded_pid() {
  local pid_file=$1 part=$2 pid
  [ -f "$pid_file" ] || return 1
  pid=$(cat "$pid_file" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$part" || return 1
  echo "$pid"
}
