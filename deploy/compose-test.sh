#!/usr/bin/env bash
# The end-to-end test of the compose cluster, run by scripts/test.sh after ctest:
#
#   1. a Docker daemon of our own (deploy/dockerd.sh), base images if missing, both images
#      (the spate image from the binaries already built: target `prebuilt`), `up` with one
#      Kafka, one master and three workers; all healthy, three workers ALIVE in the JSON API;
#   2. a seeded data set produced from the host (127.0.0.1:29092), the crash detector with
#      --trigger available-now and a file sink on the shared volume: rows == the oracle's;
#   3. a streaming job under load from the `loadgen` service; `docker kill` of a worker that
#      runs one of its executors: the API shows the worker LOST and its executors moved, the
#      job commits again and is RUNNING; load stopped, job drained: rows == the oracle's over
#      the topic;
#   4. a network cut: `docker network disconnect` of a worker running an executor of a new
#      streaming job, longer than the master's worker timeout; the job commits during the cut
#      and is RUNNING again; reconnected, the worker is ALIVE again and is given executors
#      again (in the same job or in a job submitted after it rejoined); both jobs drained:
#      rows == the oracle's;
#   5. `down -v` (also on failure, from the EXIT trap), nothing of the project left in the
#      daemon, the daemon stopped by its PID when this test started it.
#
# Every wait is bounded. Prints each step's time and the recovery times at the end.
#
# Usage: deploy/compose-test.sh            (as root: it starts dockerd)
#
# Environment:
#   SPATE_BIN                    host binaries, for the image and the host clients
#                                (default build/bin)
#   SPATE_DOCKER_DIR             the daemon's scratch directory (deploy/dockerd.sh; default
#                                /tmp/spate-docker; its images make the next run fast)
#   SPATE_BASE_CACHE             base-image tarballs (deploy/base-images.sh)
#   SPATE_COMPOSE_PROJECT        compose project name (default spatetest)
#   SPATE_COMPOSE_WORKER_TIMEOUT the master's --worker-timeout, Ns or Nms (default 5s)
#   SPATE_COMPOSE_RATE           records/s of the loadgen service (default 5000)
#   SPATE_COMPOSE_WORK           scratch directory for logs and rows (default: mktemp -d;
#                                removed after a pass unless SPATE_COMPOSE_KEEP=1)
#
# The published ports 127.0.0.1:29092, 7077 and 8080 must be free.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bin="${SPATE_BIN:-$root/build/bin}"
bin=$(cd "$bin" 2>/dev/null && pwd) || { echo "compose-test: no directory $SPATE_BIN" >&2; exit 1; }
project="${SPATE_COMPOSE_PROJECT:-spatetest}"
worker_timeout="${SPATE_COMPOSE_WORKER_TIMEOUT:-5s}"
rate="${SPATE_COMPOSE_RATE:-5000}"
ui="http://127.0.0.1:8080"
master_url="spate://127.0.0.1:7077"
host_kafka="127.0.0.1:29092"
shared=/var/lib/spate/checkpoints # the `checkpoints` volume, in master and workers
start_ms=1768142570000            # synthetic event time of every data set
# Under load, event time runs at twice the wall clock (a 10 s window closes every 5 s) and
# each user has ~100 records a window, as in the load generator's default mix: a few rows
# cross the threshold in every window.
event_rate=$((rate / 2))
users=250

work="${SPATE_COMPOSE_WORK:-}"
[ -z "$work" ] && work=$(mktemp -d "${TMPDIR:-/tmp}/spate-compose-test.XXXXXX")
mkdir -p "$work"

t_begin=$(date +%s%3N)
# The test's own stdout and stderr, for the EXIT trap: a signal can arrive while a function runs
# with its output sent to /dev/null (wait_for), and the trap would inherit that.
exec 8>&1 9>&2
log() { printf '%s compose-test: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
fail() {
  log "FAIL: $*"
  exit 1
}
now_ms() { date +%s%3N; }
# secs FROM_MS TO_MS: the seconds between, one decimal.
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

# Step timings and recovery times, printed at the end (also after a failure).
steps=()
figures=()
step_name=""
step_t0=0
step() {
  step_done
  step_name="$1"
  step_t0=$(now_ms)
  log "== $step_name"
}
step_done() {
  if [ -n "$step_name" ]; then
    steps+=("$(printf '%-52s %7s s' "$step_name" "$(secs "$step_t0" "$(now_ms)")")")
    step_name=""
  fi
}
figure() {
  figures+=("$(printf '%-52s %7s s' "$1" "$2")")
  log "$1: $2 s"
}

# ---- Docker and compose helpers ------------------------------------------------------------

export COMPOSE_PROJECT_NAME="$project"
export SPATE_WORKER_TIMEOUT="$worker_timeout"
export KAFKA_TOPIC=none TARGET_RPS="$rate"
# The loadgen service with a seeded, synthetic event time, so that the oracle computed from
# the topic afterwards is the exact expectation.
cat >"$work/loadgen.override.yaml" <<YAML
services:
  loadgen:
    command: ["loadgen", "--seed", "11", "--start-ms", "$start_ms", "--event-rate",
              "$event_rate", "--users", "$users", "--progress-interval", "10s"]
YAML
dc() {
  timeout 300 docker-compose --project-name "$project" --project-directory "$root/deploy" \
    -f "$root/deploy/docker-compose.yaml" -f "$work/loadgen.override.yaml" "$@"
}
label="label=com.docker.compose.project=$project"
# ctrs SERVICE: ids of the service's containers (running or not).
ctrs() { docker ps -a -q --no-trunc --filter "$label" --filter "label=com.docker.compose.service=$1"; }
network="${project}_default"

# ---- the master's JSON API -----------------------------------------------------------------

api() { curl -fsS --max-time 5 "$ui/api/v1/$1"; }
# q PATH EXPR: evaluates the Python expression EXPR over the JSON `d` at /api/v1/PATH.
q() {
  api "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(json.dumps(r) if isinstance(r, (list, dict)) else r)' "$2"
}
alive_workers() { q workers 'sum(1 for w in d if w["state"] == "ALIVE")'; }
three_alive() { [ "$(alive_workers)" = 3 ]; }
worker_state() { q workers "next((w['state'] for w in d if w['id'] == '$1'), 'ABSENT')"; }
is_lost() { [ "$(worker_state "$1")" = LOST ]; }
job_state() { q "jobs/$1" 'd["state"]'; }
committed() { q "jobs/$1" 'd["batchesCommitted"]'; }
# job_workers JOB: the worker ids of its executors, one a line.
job_workers() { q "jobs/$1" '"\n".join(e["workerId"] for e in d["executors"])'; }
# first_worker JOB: the worker of the job's first executor.
first_worker() { q "jobs/$1" 'd["executors"][0]["workerId"]'; }
# job_on JOB WORKER: true when one of the job's executors runs on WORKER.
job_on() { [ "$(q "jobs/$1" "any(e['workerId'] == '$2' for e in d['executors'])")" = True ]; }
# worker_host ID: the host name the worker advertises (its container's host name).
worker_host() { q workers "next(w['host'] for w in d if w['id'] == '$1')"; }
# alive_id_of_host HOST: the id of the ALIVE worker advertising HOST (empty if none).
alive_id_of_host() {
  q workers "next((w['id'] for w in d if w['host'] == '$1' and w['state'] == 'ALIVE'), '')"
}
host_alive() { [ -n "$(alive_id_of_host "$1")" ]; }
# ctr_of_host HOST: the worker container whose host name is HOST.
ctr_of_host() {
  local c
  for c in $(ctrs spate-worker); do
    [ "$(docker inspect -f '{{.Config.Hostname}}' "$c")" = "$1" ] && echo "$c" && return 0
  done
  return 1
}

# wait_for TIMEOUT_S WHAT COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local timeout_s=$1 what=$2
  shift 2
  local deadline=$(($(now_ms) + timeout_s * 1000))
  until "$@" >/dev/null 2>&1; do
    [ "$(now_ms)" -ge "$deadline" ] && fail "timed out after ${timeout_s} s waiting for $what"
    sleep 0.25
  done
}

all_healthy() {
  local c n=0
  for c in $(docker ps -a -q --filter "$label"); do
    [ "$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$c")" = healthy ] ||
      return 1
    n=$((n + 1))
  done
  [ "$n" -eq 5 ] # kafka, master, three workers
}

# ---- jobs ----------------------------------------------------------------------------------

# submit_stream TOPIC SINK_NAME NUM_EXECUTORS: submits a streaming crash detector, prints its id.
submit_stream() {
  timeout 60 "$bin/spate-submit" --master "$master_url" --num-executors "$3" --executor-cores 1 \
    --conf spate.sql.shuffle.partitions=6 --bootstrap kafka:9092 --topic "$1" \
    --starting-offsets earliest --sink "file:$shared/$2" --trigger processing-time=1s \
    --name "compose-test-$2" --detach crash-detector
}
running_with_batches() { # JOB N: RUNNING with at least N batches committed
  [ "$(job_state "$1")" = RUNNING ] && [ "$(committed "$1")" -ge "$2" ]
}
finished() { [ "$(job_state "$1")" = FINISHED ]; }
# committed_since JOB N VICTIM: more than N batches committed, no executor on VICTIM.
committed_since() {
  [ "$(committed "$1")" -gt "$2" ] && ! job_on "$1" "$3"
}

# rows_of SINK_NAME FILE: the file sink's rows (read in the master's container), sorted.
rows_of() {
  docker exec "$(ctrs spate-master)" find "$shared/$1" -maxdepth 1 -type f ! -name '.*' \
    ! -name '_*' -exec cat {} + | LC_ALL=C sort >"$2"
}
# check_rows TOPIC SINK_NAME...: each sink's rows equal the oracle's over TOPIC.
check_rows() {
  local topic=$1 sink
  shift
  python3 tests/oracle/crash_oracle.py --bootstrap "$host_kafka" --topic "$topic" \
    --output "$work/$topic.expected.raw" 2>"$work/$topic.oracle.log" ||
    fail "the oracle failed on $topic: $(tail -n 5 "$work/$topic.oracle.log")"
  LC_ALL=C sort "$work/$topic.expected.raw" >"$work/$topic.expected"
  local n
  n=$(wc -l <"$work/$topic.expected")
  [ "$n" -gt 0 ] || fail "the oracle expects no rows on $topic: the data set is too small"
  for sink in "$@"; do
    rows_of "$sink" "$work/$sink.rows"
    if ! cmp -s "$work/$sink.rows" "$work/$topic.expected"; then
      diff "$work/$sink.rows" "$work/$topic.expected" | head -n 20 >&2 || true
      fail "rows of $sink ($(wc -l <"$work/$sink.rows")) differ from the oracle's over $topic ($n);" \
        "< engine, > oracle"
    fi
    log "rows of $sink equal the oracle's over $topic: $n rows ($(tail -n 1 "$work/$topic.oracle.log"))"
  done
}

stop_load() {
  local c
  dc --profile loadgen stop -t 30 loadgen >/dev/null 2>&1 || fail "could not stop the loadgen service"
  c=$(ctrs loadgen)
  docker logs "$c" >"$work/loadgen-$1.log" 2>&1 || true
  [ "$(docker inspect -f '{{.State.ExitCode}}' "$c")" = 0 ] ||
    fail "the loadgen service exited with $(docker inspect -f '{{.State.ExitCode}}' "$c"): $(tail -n 5 "$work/loadgen-$1.log")"
  log "load stopped: $(tail -n 1 "$work/loadgen-$1.log")"
}
drain() { # JOB...
  local j
  for j in "$@"; do
    timeout 30 "$bin/spate-submit" --master "$master_url" --stop "$j" --drain >/dev/null ||
      fail "spate-submit --stop $j --drain failed"
  done
  for j in "$@"; do wait_for 180 "job $j to finish after the drain" finished "$j"; done
}

# ---- cleanup: down -v, nothing left, daemon stopped ---------------------------------------

started_daemon=0
cleanup() {
  local rc=$? leftovers=""
  trap - EXIT INT TERM ERR
  exec 1>&8 2>&9
  step_done
  if [ -n "${DOCKER_HOST:-}" ] && docker info >/dev/null 2>&1; then
    dc --profile loadgen logs --no-color --timestamps >"$work/compose.log" 2>&1 || true
    if [ "$rc" -ne 0 ]; then
      log "logs of the cluster: $work/compose.log; the master's last lines:"
      grep '^spate-master_' "$work/compose.log" | tail -n 25 >&2 || true
    fi
    local t0
    t0=$(now_ms)
    dc --profile loadgen down -v --remove-orphans -t 10 >"$work/down.log" 2>&1 ||
      { log "down failed: $(tail -n 5 "$work/down.log")"; rc=1; }
    figure "down -v" "$(secs "$t0" "$(now_ms)")"
    leftovers="$(docker ps -a -q --filter "$label")$(docker network ls -q --filter "$label")$(docker volume ls -q --filter "$label")"
    if [ "$started_daemon" = 1 ]; then
      # Our own daemon: nothing at all may be left in it.
      leftovers+="$(docker ps -a -q)$(docker volume ls -q)"
      leftovers+="$(docker network ls --format '{{.Name}}' | grep -vx 'bridge\|host\|none' || true)"
    fi
    if [ -n "$leftovers" ]; then
      log "FAIL: left behind after down -v:"
      docker ps -a >&2
      docker network ls >&2
      docker volume ls >&2
      rc=1
      docker ps -a -q --filter "$label" | xargs -r docker rm -f >/dev/null 2>&1 || true
      docker network ls -q --filter "$label" | xargs -r docker network rm >/dev/null 2>&1 || true
      docker volume ls -q --filter "$label" | xargs -r docker volume rm >/dev/null 2>&1 || true
    else
      log "nothing left behind: no container, network or volume of $project"
    fi
  fi
  if [ "$started_daemon" = 1 ]; then
    # The layers of earlier `prebuilt` images, replaced by this run's.
    docker image prune -f >/dev/null 2>&1 || true
    deploy/dockerd.sh stop || rc=1
  fi
  echo >&2
  echo "compose-test: step times" >&2
  printf '  %s\n' "${steps[@]}" >&2
  if [ ${#figures[@]} -gt 0 ]; then
    echo "compose-test: figures" >&2
    printf '  %s\n' "${figures[@]}" >&2
  fi
  printf '  %-52s %7s s\n' "total" "$(secs "$t_begin" "$(now_ms)")" >&2
  if [ "$rc" -eq 0 ]; then
    echo "compose-test: PASS" >&2
    [ "${SPATE_COMPOSE_KEEP:-0}" = 1 ] || rm -rf "$work"
  else
    echo "compose-test: FAIL (logs and rows in $work)" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
trap 'log "FAIL: line $LINENO: $BASH_COMMAND"' ERR

# ---- 1. daemon, images, cluster ------------------------------------------------------------

step "1a. tools and daemon"
deploy/install-deps.sh
for b in spate-master spate-worker spate-submit spate-loadgen spate-topics; do
  [ -x "$bin/$b" ] || fail "$bin/$b is missing (build first, or set SPATE_BIN)"
done
for t in python3 kcat curl; do command -v "$t" >/dev/null || fail "$t not found"; done
for p in 29092 7077 8080; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    fail "127.0.0.1:$p is in use; the cluster publishes it (another compose cluster running?)"
  fi
done
if host=$(deploy/dockerd.sh status 2>/dev/null); then
  log "using the running daemon $host (left running at the end)"
else
  host=$(deploy/dockerd.sh start 8>&- 9>&- | tail -n 1)
  started_daemon=1
fi
export DOCKER_HOST="$host"
log "docker $(docker version -f '{{.Server.Version}}'), $(docker-compose version --short), bin $bin"
timeout 30 docker-compose -f deploy/docker-compose.yaml config -q || fail "docker-compose config rejects the file"
dc config -q || fail "docker-compose config rejects the file with the loadgen override"
# Leftovers of an interrupted earlier run.
dc --profile loadgen down -v --remove-orphans -t 5 >/dev/null 2>&1 || true

step "1b. base images and images"
t0=$(now_ms)
SPATE_PREBUILT_BIN="$bin" timeout 1800 deploy/build-images.sh >"$work/build.log" 2>&1 ||
  { tail -n 40 "$work/build.log" >&2; fail "deploy/build-images.sh failed"; }
grep -E '^(build-images|base-images)\.sh:' "$work/build.log" | sed 's/^/  /' >&2 || true

step "1c. up: kafka, master, 3 workers"
dc up -d --scale spate-worker=3 >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "up failed"; }
wait_for 180 "every container healthy" all_healthy
wait_for 60 "three workers ALIVE in /api/v1/workers" three_alive
log "workers: $(q workers '", ".join(w["id"] + "@" + w["address"] for w in d)')"

# ---- 2. available-now from the host --------------------------------------------------------

step "2. available-now crash detector, rows vs oracle"
"$bin/spate-topics" --bootstrap "$host_kafka" create batch --partitions 4 >/dev/null
timeout 120 "$bin/spate-loadgen" --bootstrap "$host_kafka" --topic batch --count 500000 --rate 0 \
  --seed 7 --start-ms "$start_ms" --quiet >"$work/loadgen-batch.log" 2>&1 ||
  { cat "$work/loadgen-batch.log" >&2; fail "spate-loadgen failed on topic batch"; }
log "produced from the host: $(grep -o 'sent=.*' "$work/loadgen-batch.log" | tail -n 1)"
timeout 300 "$bin/spate-submit" --master "$master_url" --num-executors 3 --executor-cores 1 \
  --conf spate.sql.shuffle.partitions=6 --bootstrap kafka:9092 --topic batch \
  --starting-offsets earliest --sink "file:$shared/out-batch" --trigger available-now \
  --name compose-test-batch crash-detector 2>"$work/submit-batch.log" ||
  { cat "$work/submit-batch.log" >&2; fail "the available-now job failed"; }
job0=$(sed -n 's/^submitted \([^ ]*\)$/\1/p' "$work/submit-batch.log")
n=$(job_workers "$job0" | sort -u | wc -l)
[ "$n" = 3 ] || fail "job $job0 ran on $n workers, not 3"
check_rows batch out-batch

# ---- 3. streaming under load, a worker killed -----------------------------------------------

step "3a. streaming job under load"
"$bin/spate-topics" --bootstrap "$host_kafka" create live1 --partitions 4 >/dev/null
KAFKA_TOPIC=live1 dc --profile loadgen up -d --no-deps loadgen >"$work/up-loadgen1.log" 2>&1 ||
  { cat "$work/up-loadgen1.log" >&2; fail "could not start the loadgen service"; }
job1=$(submit_stream live1 out-live1 3) || fail "could not submit the streaming job"
log "job $job1 on live1, load $rate records/s from the loadgen service"
wait_for 90 "job $job1 RUNNING with 3 committed batches" running_with_batches "$job1" 3

step "3b. docker kill of a worker"
victim=$(first_worker "$job1")
victim_host=$(worker_host "$victim")
victim_ctr=$(ctr_of_host "$victim_host") || fail "no container has host name $victim_host"
log "killing $(docker inspect -f '{{.Name}}' "$victim_ctr") (worker $victim), executors of $job1 on" \
  "$(job_workers "$job1" | tr '\n' ' ')"
t_kill=$(now_ms)
docker kill "$victim_ctr" >/dev/null
wait_for 60 "worker $victim LOST" is_lost "$victim"
t_lost=$(now_ms)
c_lost=$(committed "$job1")
wait_for 120 "job $job1 to commit a batch without worker $victim" committed_since "$job1" "$c_lost" "$victim"
t_back=$(now_ms)
wait_for 60 "job $job1 RUNNING again after its recovery" running_with_batches "$job1" 0
t_running=$(now_ms)
figure "kill -> worker LOST" "$(secs "$t_kill" "$t_lost")"
figure "kill -> next committed batch" "$(secs "$t_kill" "$t_back")"
figure "kill -> job RUNNING in the API" "$(secs "$t_kill" "$t_running")"
n=$(q "jobs/$job1" 'len(d["executors"])')
[ "$n" = 3 ] || fail "job $job1 has $n executors after the loss, not 3"
[ "$(q "jobs/$job1" 'sorted(p for e in d["executors"] for p in e["kafkaPartitions"]) == [0, 1, 2, 3]')" = True ] ||
  fail "job $job1's Kafka partitions are not all owned after the loss"
[ "$(q "jobs/$job1" 'd["recovery"]["recoveries"]')" -ge 1 ] || fail "job $job1 shows no recovery"
[ "$(q workers "next(len(w['executors']) for w in d if w['id'] == '$victim')")" = 0 ] ||
  fail "the lost worker $victim still holds executors in the API"
log "job $job1 now on $(job_workers "$job1" | tr '\n' ' ')— $(q "jobs/$job1" 'd["message"]')"
log "recovery in the API: $(q "jobs/$job1" 'd["recovery"]')"

step "3c. worker restarted, load stopped, drain, rows vs oracle"
dc up -d --no-recreate --scale spate-worker=3 spate-worker >"$work/up-restart.log" 2>&1 ||
  { cat "$work/up-restart.log" >&2; fail "could not start the killed worker again"; }
wait_for 60 "three workers ALIVE again" three_alive
c=$(committed "$job1")
wait_for 60 "job $job1 to commit 3 more batches" running_with_batches "$job1" $((c + 3))
stop_load live1
drain "$job1"
check_rows live1 out-live1

# ---- 4. a network cut -----------------------------------------------------------------------

step "4a. second streaming job under load"
"$bin/spate-topics" --bootstrap "$host_kafka" create live2 --partitions 4 >/dev/null
KAFKA_TOPIC=live2 dc --profile loadgen up -d --no-deps loadgen >"$work/up-loadgen2.log" 2>&1 ||
  { cat "$work/up-loadgen2.log" >&2; fail "could not start the loadgen service"; }
job2=$(submit_stream live2 out-live2 3) || fail "could not submit the streaming job"
log "job $job2 on live2"
wait_for 90 "job $job2 RUNNING with 3 committed batches" running_with_batches "$job2" 3

step "4b. network cut of a worker"
cut=$(first_worker "$job2")
cut_host=$(worker_host "$cut")
cut_ctr=$(ctr_of_host "$cut_host") || fail "no container has host name $cut_host"
aliases=$(docker inspect -f "{{range (index .NetworkSettings.Networks \"$network\").Aliases}}{{.}} {{end}}" "$cut_ctr")
log "cutting $(docker inspect -f '{{.Name}}' "$cut_ctr") (worker $cut, aliases: $aliases) off $network;" \
  "executors of $job2 on $(job_workers "$job2" | tr '\n' ' ')"
t_cut=$(now_ms)
docker network disconnect "$network" "$cut_ctr"
wait_for 60 "worker $cut LOST" is_lost "$cut"
t_cut_lost=$(now_ms)
c_lost=$(committed "$job2")
wait_for 180 "job $job2 to commit a batch while $cut is cut off" committed_since "$job2" "$c_lost" "$cut"
t_cut_back=$(now_ms)
wait_for 60 "job $job2 RUNNING again after its recovery" running_with_batches "$job2" 0
t_cut_running=$(now_ms)
figure "cut -> worker LOST" "$(secs "$t_cut" "$t_cut_lost")"
figure "cut -> next committed batch" "$(secs "$t_cut" "$t_cut_back")"
figure "cut -> job RUNNING in the API" "$(secs "$t_cut" "$t_cut_running")"
log "job $job2 now on $(job_workers "$job2" | tr '\n' ' ')— $(q "jobs/$job2" 'd["message"]')"
# The cut lasts at least twice the worker timeout.
case "$worker_timeout" in
  *ms) hold_ms=$((${worker_timeout%ms} * 2)) ;;
  *s) hold_ms=$((${worker_timeout%s} * 2000)) ;;
  *) fail "SPATE_COMPOSE_WORKER_TIMEOUT must be like 5s or 5000ms, not $worker_timeout" ;;
esac
while [ $(($(now_ms) - t_cut)) -lt "$hold_ms" ]; do sleep 0.5; done
alias_args=()
for a in $aliases; do alias_args+=(--alias "$a"); done
t_reconnect=$(now_ms)
docker network connect "${alias_args[@]}" "$network" "$cut_ctr"
figure "network cut lasted" "$(secs "$t_cut" "$t_reconnect")"
wait_for 60 "the cut worker to be ALIVE again" host_alive "$cut_host"
t_rejoined=$(now_ms)
rejoined=$(alive_id_of_host "$cut_host")
figure "reconnect -> worker ALIVE" "$(secs "$t_reconnect" "$t_rejoined")"
log "worker on $cut_host ALIVE again as $rejoined ($([ "$rejoined" = "$cut" ] && echo 'same id' || echo "new id; was $cut"))"

step "4c. the rejoined worker is given work"
# The same job first: does the master move work back to it?
same_job=no
deadline=$(($(now_ms) + 15000))
while [ "$(now_ms)" -lt "$deadline" ]; do
  if job_on "$job2" "$rejoined"; then
    same_job=yes
    break
  fi
  sleep 0.5
done
log "job $job2 executors $(secs "$t_rejoined" "$(now_ms)") s after the rejoin: $(q "jobs/$job2" '[(e["executorId"], e["workerId"], e["kafkaPartitions"], e["keyGroups"]) for e in d["executors"]]')"
log "workers: $(q workers '[(w["id"], w["state"], w["coresUsed"], [e["executorId"] for e in w["executors"]]) for w in d]')"
log "rejoined worker given executors of the running job $job2: $same_job"
# Then a job submitted now, taking every free core, so that the placement must use it.
free=$(q cluster 'd["cores"] - d["coresUsed"]')
job3=""
if [ "$free" -gt 0 ]; then
  job3=$(submit_stream live2 out-live2-after "$free") || fail "could not submit the third job"
  log "job $job3 on live2 with $free executors (every free core)"
  wait_for 90 "job $job3 RUNNING with 2 committed batches" running_with_batches "$job3" 2
  log "job $job3 executors: $(job_workers "$job3" | tr '\n' ' ')"
fi
if [ "$same_job" = no ] && ! { [ -n "$job3" ] && job_on "$job3" "$rejoined"; }; then
  fail "the rejoined worker $rejoined got no executor (free cores: $free)"
fi
if [ -n "$job3" ] && job_on "$job3" "$rejoined"; then
  tasks=$(q "jobs/$job3" "sum(e['totals']['tasks'] for e in d['executors'] if e['workerId'] == '$rejoined')")
  [ "$tasks" -gt 0 ] || fail "the rejoined worker's executors of $job3 ran no task"
  log "the rejoined worker ran $tasks tasks of $job3"
fi

step "4d. load stopped, drain, rows vs oracle"
c=$(committed "$job2")
wait_for 60 "job $job2 to commit 2 more batches" running_with_batches "$job2" $((c + 2))
stop_load live2
if [ -n "$job3" ]; then
  drain "$job2" "$job3"
  check_rows live2 out-live2 out-live2-after
else
  drain "$job2"
  check_rows live2 out-live2
fi
step_done
