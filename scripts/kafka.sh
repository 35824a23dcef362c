#!/usr/bin/env bash
# Runs a real Apache Kafka broker (KRaft, one node that is broker and controller) for
# Spate's tests and local cluster.
#
# Usage: scripts/kafka.sh start|stop|status|wipe|libs
#
#   start   starts the broker (formats its storage the first time), waits until it answers
#           metadata requests, prints its bootstrap address as the last line of stdout.
#           Already running: says so and prints the address. Not up in time: exit 1 and
#           the tail of the broker log.
#   stop    stops the broker by its recorded PID (TERM, up to 20 s, then KILL). Data is kept.
#   status  exit 0 and prints the address if the broker runs, exit 1 otherwise.
#   wipe    stops the broker and deletes its data directory.
#   libs    fetches the broker's jars into the cache if needed, prints their directory
#           (deploy/kafka/Dockerfile uses it to make the Kafka image from the same jars).
#
# Environment:
#   SPATE_KAFKA_PORT             client port (default 19092), bound to 127.0.0.1
#   SPATE_KAFKA_CONTROLLER_PORT  KRaft controller port (default client port + 1)
#   SPATE_KAFKA_DIR              data, config, PID and log (default ${TMPDIR:-/tmp}/spate-kafka-PORT)
#   SPATE_KAFKA_HEAP             JVM heap (default 1G)
#   SPATE_KAFKA_START_TIMEOUT    seconds start waits for the broker (default 60)
#   SPATE_KAFKA_SASL_PORT        also listen for SASL_SSL clients (SASL/PLAIN over TLS) on
#                                127.0.0.1:PORT, beside the plaintext port; the TLS certificate
#                                (and the CA clients check it with, ca.pem) is made once by
#                                scripts/gen-certs.sh in SPATE_KAFKA_DIR/tls
#   SPATE_KAFKA_SASL_USER        the SASL/PLAIN user (default spate)
#   SPATE_KAFKA_SASL_PASSWORD    its password (default spate-secret)
#   SPATE_CACHE_DIR              where the Kafka jars are cached (default ~/.cache/spate)
#   KAFKA_HOME                   use this Kafka installation's libs/ instead of fetching jars
#
# Several brokers on different ports coexist: each has its own directory, PID and log.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/process.sh
. "$root/scripts/lib/process.sh"

readonly KAFKA_VERSION=4.1.1
readonly LOG4J_VERSION=2.24.3

port="${SPATE_KAFKA_PORT:-19092}"
controller_port="${SPATE_KAFKA_CONTROLLER_PORT:-$((port + 1))}"
dir="${SPATE_KAFKA_DIR:-${TMPDIR:-/tmp}/spate-kafka-${port}}"
heap="${SPATE_KAFKA_HEAP:-1G}"
start_timeout="${SPATE_KAFKA_START_TIMEOUT:-60}"
cache_dir="${SPATE_CACHE_DIR:-$HOME/.cache/spate}"
address="127.0.0.1:${port}"
sasl_port="${SPATE_KAFKA_SASL_PORT:-}"
sasl_user="${SPATE_KAFKA_SASL_USER:-spate}"
sasl_password="${SPATE_KAFKA_SASL_PASSWORD:-spate-secret}"

pid_file="$dir/broker.pid"
log_file="$dir/broker.log"
props_file="$dir/server.properties"
log4j_file="$dir/log4j2.properties"
data_dir="$dir/data"
marker_file="$dir/.spate-kafka"

say() { echo "kafka.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# --- the jars ---------------------------------------------------------------------------

# Prints the directory holding the broker's jars, fetching them into the cache once.
libs_dir() {
  if [ -n "${KAFKA_HOME:-}" ]; then
    [ -d "$KAFKA_HOME/libs" ] || die "KAFKA_HOME=$KAFKA_HOME has no libs/ directory"
    echo "$KAFKA_HOME/libs"
    return
  fi
  local base="$cache_dir/kafka-$KAFKA_VERSION"
  local libs="$base/libs"
  if [ -f "$libs/.complete" ]; then
    echo "$libs"
    return
  fi
  mkdir -p "$base"
  # Several scripts may start brokers at once: one fetches, the others wait for it.
  (
    flock -w 600 9 || die "timed out waiting for another fetch of the Kafka jars ($base/.lock)"
    if [ -f "$libs/.complete" ]; then exit 0; fi
    command -v mvn >/dev/null 2>&1 || die "mvn not found: install Maven or set KAFKA_HOME"
    local work="$base/fetch.$$"
    rm -rf "$work"
    mkdir -p "$work"
    cat >"$work/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>spate</groupId>
  <artifactId>kafka-broker-libs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
    say "fetching Apache Kafka $KAFKA_VERSION jars with Maven into $libs"
    if ! mvn -B -q -f "$work/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$work/libs" >"$work/mvn.log" 2>&1; then
      tail -n 30 "$work/mvn.log" >&2
      die "fetching the Kafka jars failed (full log: $work/mvn.log)"
    fi
    ls "$work/libs"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null 2>&1 ||
      die "Maven did not produce kafka_2.13-$KAFKA_VERSION.jar in $work/libs"
    touch "$work/libs/.complete"
    rm -rf "$libs"
    mv "$work/libs" "$libs"
    rm -rf "$work"
  ) 9>"$base/.lock" || exit 1
  echo "$libs"
}

# --- the process ------------------------------------------------------------------------

# Prints the recorded PID if that process is alive and is this directory's broker.
running_pid() { recorded_pid "$pid_file" "$props_file"; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True when the broker answers a metadata request.
answers_metadata() {
  if command -v kcat >/dev/null 2>&1; then
    kcat -L -b "$address" -m 2 2>/dev/null | grep -q "1 brokers"
  else
    port_in_use "$port"
  fi
}

java_opts() {
  echo "-Xms$heap -Xmx$heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20"
  echo "-XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent"
  echo "-Djava.awt.headless=true -Dlog4j2.configurationFile=$log4j_file"
}

# The SASL_SSL listener's certificate: made once, kept with the data (clients keep trusting it).
make_tls() {
  local tls="$dir/tls"
  if [ ! -f "$tls/keystore.pem" ]; then
    "$root/scripts/gen-certs.sh" "$tls" >/dev/null 2>&1 || die "scripts/gen-certs.sh $tls failed"
    # Kafka reads a PEM keystore as one file: the (unencrypted PKCS#8) key, then the chain.
    cat "$tls/node.key" "$tls/node.pem" >"$tls/keystore.pem"
    chmod 600 "$tls/keystore.pem"
  fi
}

write_config() {
  local listeners="PLAINTEXT://127.0.0.1:$port"
  local map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [ -n "$sasl_port" ]; then
    listeners="$listeners,SASL_SSL://127.0.0.1:$sasl_port"
    map="$map,SASL_SSL:SASL_SSL"
  fi
  cat >"$props_file" <<EOF
# Written by scripts/kafka.sh on every start; edits are overwritten.
process.roles=broker,controller
node.id=1
listeners=$listeners,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=$listeners
listener.security.protocol.map=$map
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
log.dirs=$data_dir

EOF
  if [ -n "$sasl_port" ]; then
    cat >>"$props_file" <<EOF
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$sasl_user" password="$sasl_password" user_$sasl_user="$sasl_password";
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$dir/tls/keystore.pem

EOF
  fi
  cat "$root/deploy/kafka/single-node.properties" >>"$props_file"
  cp "$root/deploy/kafka/log4j2.properties" "$log4j_file"
}

cmd_start() {
  local pid
  if pid=$(running_pid); then
    say "broker already running (pid $pid, data $dir)"
    echo "$address"
    return 0
  fi
  command -v java >/dev/null 2>&1 || die "java not found on PATH"
  if port_in_use "$port"; then
    die "port $port on 127.0.0.1 is taken by another process; pick SPATE_KAFKA_PORT"
  fi
  if port_in_use "$controller_port"; then
    die "controller port $controller_port on 127.0.0.1 is taken; pick SPATE_KAFKA_CONTROLLER_PORT"
  fi
  if [ -d "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ] && [ ! -f "$marker_file" ]; then
    die "$dir exists and is not a Spate Kafka directory; pick SPATE_KAFKA_DIR"
  fi
  local libs
  libs=$(libs_dir)
  if [ -n "$sasl_port" ] && port_in_use "$sasl_port"; then
    die "SASL port $sasl_port on 127.0.0.1 is taken; pick SPATE_KAFKA_SASL_PORT"
  fi
  mkdir -p "$dir"
  touch "$marker_file"
  [ -z "$sasl_port" ] || make_tls
  write_config
  local cp="$libs/*"

  # Keep the previous run's log next to the new one.
  [ -f "$log_file" ] && mv -f "$log_file" "$log_file.1"
  if [ ! -f "$data_dir/meta.properties" ]; then
    local tool_opts="-Xmx256m -Dlog4j2.configurationFile=$log4j_file"
    local cluster_id
    # shellcheck disable=SC2086
    cluster_id=$(java $tool_opts -cp "$cp" kafka.tools.StorageTool random-uuid 2>>"$log_file" |
      tail -n 1)
    [ -n "$cluster_id" ] || die "StorageTool random-uuid printed nothing (see $log_file)"
    # shellcheck disable=SC2086
    if ! java $tool_opts -cp "$cp" kafka.tools.StorageTool format --standalone \
      -t "$cluster_id" -c "$props_file" >>"$log_file" 2>&1; then
      tail -n 30 "$log_file" >&2
      die "formatting the broker storage in $data_dir failed"
    fi
  fi

  rm -f "$pid_file"
  # setsid -f: the broker leaves our session, so a terminal's Ctrl-C or the end of the
  # caller does not take it down; the inner shell records its own PID and becomes java.
  # shellcheck disable=SC2046
  setsid -f sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$pid_file" \
    java $(java_opts) -cp "$cp" kafka.Kafka "$props_file" \
    </dev/null >>"$log_file" 2>&1

  local deadline=$((SECONDS + start_timeout))
  while [ ! -s "$pid_file" ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  pid=$(cat "$pid_file" 2>/dev/null || true)
  [ -n "$pid" ] || die "the broker did not record its PID in $pid_file"

  while true; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$log_file" >&2
      rm -f "$pid_file"
      die "the broker exited during start-up (log: $log_file)"
    fi
    if answers_metadata; then break; fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 40 "$log_file" >&2
      say "the broker did not answer on $address within ${start_timeout}s; stopping it"
      cmd_stop >/dev/null 2>&1 || true
      exit 1
    fi
    sleep 0.5
  done
  if [ -n "$sasl_port" ]; then
    say "SASL_SSL (PLAIN, user $sasl_user) on 127.0.0.1:$sasl_port; its CA is $dir/tls/ca.pem"
  fi
  say "broker running (pid $pid, data $dir, log $log_file)"
  echo "$address"
}

cmd_stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pid_file"
    say "broker on $address is not running"
    return 0
  fi
  stop_pid "$pid" broker 20
  rm -f "$pid_file"
  say "broker on $address stopped (data kept in $dir)"
}

cmd_status() {
  local pid
  if pid=$(running_pid); then
    echo "$address"
    return 0
  fi
  say "broker on $address is not running"
  return 1
}

cmd_wipe() {
  cmd_stop
  if [ -d "$dir" ]; then
    # Only ever delete a directory this script made.
    [ -f "$marker_file" ] || die "$dir is not a Spate Kafka directory; not deleting it"
    rm -rf "$dir"
    say "wiped $dir"
  fi
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  wipe) cmd_wipe ;;
  libs) libs_dir ;;
  *)
    echo "usage: $0 start|stop|status|wipe|libs" >&2
    exit 2
    ;;
esac
