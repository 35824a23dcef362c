#!/bin/bash
# Entry point of the spate image: the first argument picks the role, the rest go to that
# binary. master and worker get container defaults (bind all interfaces, state under
# /var/lib/spate, the worker advertising its host name) unless the arguments set them.
#
#   master  [spate-master flags]   env: SPATE_MASTER_PORT, SPATE_UI_PORT, SPATE_STATE_DIR,
#                                       SPATE_WORKER_TIMEOUT
#   worker  [spate-worker flags]   env: SPATE_MASTER (spate://spate-master:7077), SPATE_CORES,
#                                       SPATE_MEMORY, SPATE_WORKER_PORT, SPATE_ADVERTISE_HOST
#   submit | loadgen | topics      env: KAFKA_BROKER, KAFKA_TOPIC and the loadgen's own
#   anything else                  run as a command (e.g. bash)
set -euo pipefail

usage() {
  cat <<'TXT'
usage: docker run spate ROLE [flags]
  ROLE: master | worker | submit | loadgen | topics   (ROLE --help lists its flags)
TXT
}

# has FLAG ARGS...: true when ARGS set FLAG (as "--flag value" or "--flag=value").
has() {
  local flag="$1"
  shift
  local a
  for a in "$@"; do
    [ "$a" = "$flag" ] && return 0
    [ "${a%%=*}" = "$flag" ] && return 0
  done
  return 1
}

role="${1:-}"
[ $# -gt 0 ] && shift
case "$role" in
  master)
    extra=()
    has --host "$@" || extra+=(--host 0.0.0.0)
    has --port "$@" || extra+=(--port "${SPATE_MASTER_PORT:-7077}")
    has --ui-port "$@" || extra+=(--ui-port "${SPATE_UI_PORT:-8080}")
    has --state-dir "$@" || extra+=(--state-dir "${SPATE_STATE_DIR:-/var/lib/spate/checkpoints/master}")
    has --worker-timeout "$@" || extra+=(--worker-timeout "${SPATE_WORKER_TIMEOUT:-5s}")
    exec spate-master "${extra[@]}" "$@"
    ;;
  worker)
    extra=()
    has --master "$@" || extra+=(--master "${SPATE_MASTER:-spate://spate-master:7077}")
    has --host "$@" || extra+=(--host 0.0.0.0)
    has --port "$@" || extra+=(--port "${SPATE_WORKER_PORT:-7078}")
    has --advertise-host "$@" || extra+=(--advertise-host "${SPATE_ADVERTISE_HOST:-$(hostname)}")
    has --cores "$@" || extra+=(--cores "${SPATE_CORES:-2}")
    has --memory "$@" || extra+=(--memory "${SPATE_MEMORY:-2G}")
    has --work-dir "$@" || extra+=(--work-dir "${SPATE_WORK_DIR:-/var/lib/spate/work}")
    exec spate-worker "${extra[@]}" "$@"
    ;;
  submit | loadgen | topics)
    exec "spate-$role" "$@"
    ;;
  "" | -h | --help | help)
    usage
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
