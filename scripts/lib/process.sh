# Shell helpers shared by the scripts that run a daemon by PID (kafka.sh, deploy/dockerd.sh).

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
