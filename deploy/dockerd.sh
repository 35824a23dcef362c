#!/usr/bin/env bash
# Starts and stops a Docker daemon of Spate's own for builds and the compose cluster, where no
# daemon is started for us. It never touches a daemon that is already running: its data root,
# exec root, socket, PID file and log all live under one scratch directory.
#
# Usage: deploy/dockerd.sh start|stop|status|wipe
#
#   start   starts dockerd (--iptables=false --ip-masq=false), waits until `docker info`
#           answers, prints the DOCKER_HOST to use as the last line of stdout
#           (e.g. unix:///tmp/spate-docker/docker.sock). Already running: prints it again.
#   stop    stops that dockerd by its recorded PID (TERM, up to 30 s, then KILL). Images,
#           containers and volumes are kept in the data root (a later start finds them).
#   status  exit 0 and prints the DOCKER_HOST if it runs, exit 1 otherwise.
#   wipe    stops it and deletes the scratch directory (images included).
#
# Environment:
#   SPATE_DOCKER_DIR            scratch directory (default ${TMPDIR:-/tmp}/spate-docker)
#   SPATE_DOCKER_START_TIMEOUT  seconds start waits for the daemon (default 60)
#
# With --iptables=false the host still reaches published ports on 127.0.0.1 (docker-proxy)
# and containers reach each other on their networks, but containers have no route out.
# Builds that need apt therefore run with `docker build --network host`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/process.sh
. "$root/scripts/lib/process.sh"

dir="${SPATE_DOCKER_DIR:-${TMPDIR:-/tmp}/spate-docker}"
start_timeout="${SPATE_DOCKER_START_TIMEOUT:-60}"
data_root="$dir/data"
exec_root="$dir/exec"
sock="$dir/docker.sock"
pid_file="$dir/dockerd.pid"
log_file="$dir/dockerd.log"
marker_file="$dir/.spate-docker"
host="unix://$sock"

say() { echo "dockerd.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# Prints the recorded PID if that process is alive and is our dockerd.
running_pid() { recorded_pid "$pid_file" "$data_root"; }

answers() { DOCKER_HOST="$host" docker info >/dev/null 2>&1; }

cmd_start() {
  local pid
  if pid=$(running_pid); then
    say "dockerd already running (pid $pid, data $data_root)"
    echo "$host"
    return 0
  fi
  command -v dockerd >/dev/null 2>&1 || die "dockerd not found: run deploy/install-deps.sh"
  command -v docker >/dev/null 2>&1 || die "docker not found: run deploy/install-deps.sh"
  [ "$(id -u)" -eq 0 ] || die "dockerd needs root"
  if [ -d "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ] && [ ! -f "$marker_file" ]; then
    die "$dir exists and is not a Spate Docker directory; pick SPATE_DOCKER_DIR"
  fi
  mkdir -p "$data_root" "$exec_root"
  touch "$marker_file"
  rm -f "$sock" "$pid_file"

  local args=(
    --data-root "$data_root" --exec-root "$exec_root" --pidfile "$pid_file"
    --host "$host" --iptables=false --ip-masq=false
  )
  # Another daemon runs (ours does not, here): leave its docker0 alone and run without a
  # default bridge (compose makes its own networks; builds use --network host).
  if pgrep -x dockerd >/dev/null 2>&1; then
    say "another dockerd runs; starting without a default bridge"
    args+=(--bridge=none)
  fi

  [ -f "$log_file" ] && mv -f "$log_file" "$log_file.1"
  # setsid -f: the daemon leaves our session, so the caller's end does not take it down.
  setsid -f dockerd "${args[@]}" </dev/null >>"$log_file" 2>&1

  local deadline=$((SECONDS + start_timeout))
  while true; do
    if answers && pid=$(running_pid); then break; fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 40 "$log_file" >&2
      say "dockerd did not answer on $host within ${start_timeout}s"
      cmd_stop >/dev/null 2>&1 || true
      exit 1
    fi
    # The daemon died early: no PID file left, or a recorded PID that is gone.
    if [ $SECONDS -gt 3 ] && ! pgrep -f -- "--data-root $data_root" >/dev/null 2>&1; then
      tail -n 40 "$log_file" >&2
      die "dockerd exited during start-up (log: $log_file)"
    fi
    sleep 0.5
  done
  say "dockerd running (pid $pid, data $data_root, log $log_file)"
  echo "$host"
}

cmd_stop() {
  local pid
  if ! pid=$(running_pid); then
    say "dockerd on $host is not running"
    return 0
  fi
  stop_pid "$pid" dockerd 30
  rm -f "$pid_file"
  # The daemon leaves its default network namespace (exec/netns/default) mounted: nothing
  # under the exec root may stay mounted once it is gone.
  grep -F " $exec_root/" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done || true
  say "dockerd on $host stopped (data kept in $data_root)"
}

cmd_status() {
  if running_pid >/dev/null; then
    echo "$host"
    return 0
  fi
  say "dockerd on $host is not running"
  return 1
}

cmd_wipe() {
  cmd_stop
  if [ -d "$dir" ]; then
    [ -f "$marker_file" ] || die "$dir is not a Spate Docker directory; not deleting it"
    # Leftover overlay mounts of a killed daemon would make rm fail.
    grep -F " $dir/" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done || true
    rm -rf "$dir"
    say "wiped $dir"
  fi
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  wipe) cmd_wipe ;;
  *)
    echo "usage: $0 start|stop|status|wipe" >&2
    exit 2
    ;;
esac
