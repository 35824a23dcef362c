#!/usr/bin/env bash
# Runs a real Apache ZooKeeper server (standalone; Debian's `zookeeper` package) for Spate's
# standby masters (`spate-master --ha zookeeper://127.0.0.1:PORT/spate`) on one machine.
#
# Usage: scripts/zookeeper.sh start|stop|status|wipe
#
#   start   starts the server, waits until it answers `ruok`, prints its address as the last
#           line of stdout. Already running: says so and prints the address.
#   stop    stops the server by its recorded PID (TERM, up to 10 s, then KILL). Data is kept.
#   status  exit 0 and prints the address if the server runs, exit 1 otherwise.
#   wipe    stops the server and deletes its directory.
#
# Environment:
#   SPATE_ZK_PORT           client port (default 2181), bound to 127.0.0.1
#   SPATE_ZK_DIR            data, config, PID and log (default ${TMPDIR:-/tmp}/spate-zookeeper-PORT)
#   SPATE_ZK_JAR            the server's jar (default /usr/share/java/zookeeper.jar)
#   SPATE_ZK_START_TIMEOUT  seconds start waits for the server (default 30)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/process.sh
. "$root/scripts/lib/process.sh"

port="${SPATE_ZK_PORT:-2181}"
dir="${SPATE_ZK_DIR:-${TMPDIR:-/tmp}/spate-zookeeper-${port}}"
jar="${SPATE_ZK_JAR:-/usr/share/java/zookeeper.jar}"
start_timeout="${SPATE_ZK_START_TIMEOUT:-30}"
address="127.0.0.1:${port}"
pid_file="$dir/zookeeper.pid"
log_file="$dir/zookeeper.log"
cfg_file="$dir/zoo.cfg"
marker_file="$dir/.spate-zookeeper"

say() { echo "zookeeper.sh: $*" >&2; }
die() { say "$*"; exit 1; }

running_pid() { recorded_pid "$pid_file" "$cfg_file"; }

answers() {
  local reply
  reply=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" && echo ruok >&3 && timeout 2 cat <&3) 2>/dev/null) ||
    return 1
  [ "$reply" = "imok" ]
}

cmd_start() {
  local pid
  if pid=$(running_pid); then
    say "server already running (pid $pid, data $dir)"
    echo "$address"
    return 0
  fi
  command -v java >/dev/null 2>&1 || die "java not found on PATH"
  [ -f "$jar" ] || die "$jar not found: install Debian's zookeeper package (scripts/install-deps.sh)"
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port on 127.0.0.1 is taken by another process; pick SPATE_ZK_PORT"
  fi
  if [ -d "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ] && [ ! -f "$marker_file" ]; then
    die "$dir exists and is not a Spate ZooKeeper directory; pick SPATE_ZK_DIR"
  fi
  mkdir -p "$dir/data"
  touch "$marker_file"
  cat >"$cfg_file" <<CFG
# Written by scripts/zookeeper.sh on every start; edits are overwritten.
tickTime=500
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
minSessionTimeout=1000
maxSessionTimeout=60000
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr
CFG
  [ -f "$log_file" ] && mv -f "$log_file" "$log_file.1"
  rm -f "$pid_file"
  setsid -f sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$pid_file" \
    java -Xmx256m -cp "$jar" org.apache.zookeeper.server.ZooKeeperServerMain "$cfg_file" \
    </dev/null >>"$log_file" 2>&1
  local deadline=$((SECONDS + start_timeout))
  while [ ! -s "$pid_file" ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  pid=$(cat "$pid_file" 2>/dev/null || true)
  [ -n "$pid" ] || die "the server did not record its PID in $pid_file"
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$log_file" >&2
      rm -f "$pid_file"
      die "the server exited during start-up (log: $log_file)"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 40 "$log_file" >&2
      say "the server did not answer on $address within ${start_timeout}s; stopping it"
      cmd_stop >/dev/null 2>&1 || true
      exit 1
    fi
    sleep 0.3
  done
  say "server running (pid $pid, data $dir, log $log_file)"
  echo "$address"
}

cmd_stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pid_file"
    say "server on $address is not running"
    return 0
  fi
  stop_pid "$pid" zookeeper 10
  rm -f "$pid_file"
  say "server on $address stopped (data kept in $dir)"
}

cmd_status() {
  if running_pid >/dev/null; then
    echo "$address"
    return 0
  fi
  say "server on $address is not running"
  return 1
}

cmd_wipe() {
  cmd_stop
  if [ -d "$dir" ]; then
    [ -f "$marker_file" ] || die "$dir is not a Spate ZooKeeper directory; not deleting it"
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
