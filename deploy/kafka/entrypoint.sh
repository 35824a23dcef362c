#!/bin/bash
# Entry point of the Kafka image: writes the broker's configuration from the environment,
# formats the storage on first start, then runs the broker in the foreground.
#
# Environment (defaults in brackets):
#   KAFKA_NODE_ID               [1]
#   KAFKA_LISTENERS             [INTERNAL://0.0.0.0:9092,EXTERNAL://0.0.0.0:29092,CONTROLLER://127.0.0.1:9093]
#   KAFKA_ADVERTISED_LISTENERS  [INTERNAL://$(hostname):9092,EXTERNAL://127.0.0.1:29092]
#   KAFKA_CLUSTER_ID            [a random one at first start]
#   KAFKA_HEAP                  [512M]
#   KAFKA_NUM_PARTITIONS        [1]
# Any argument replaces the broker command (e.g. `bash`).
set -euo pipefail

[ $# -gt 0 ] && exec "$@"

node_id="${KAFKA_NODE_ID:-1}"
listeners="${KAFKA_LISTENERS:-INTERNAL://0.0.0.0:9092,EXTERNAL://0.0.0.0:29092,CONTROLLER://127.0.0.1:9093}"
advertised="${KAFKA_ADVERTISED_LISTENERS:-INTERNAL://$(hostname):9092,EXTERNAL://127.0.0.1:29092}"
heap="${KAFKA_HEAP:-512M}"
controller=$(echo "$listeners" | tr ',' '\n' | sed -n 's|^CONTROLLER://||p' | head -n 1)
controller="${controller/0.0.0.0/127.0.0.1}"
data_dir=/var/lib/kafka/data
props=/etc/kafka/server.properties
log4j=/etc/kafka/log4j2.properties
cp="/opt/kafka/libs/*"

# The settings of scripts/kafka.sh, with the two client listeners.
cat >"$props" <<CONF
process.roles=broker,controller
node.id=$node_id
listeners=$listeners
advertised.listeners=$advertised
listener.security.protocol.map=INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=INTERNAL
controller.listener.names=CONTROLLER
controller.quorum.bootstrap.servers=$controller
log.dirs=$data_dir
CONF
cat /etc/kafka/single-node.properties >>"$props"
# Later keys win when Kafka reads the file.
echo "num.partitions=${KAFKA_NUM_PARTITIONS:-1}" >>"$props"
cp /etc/kafka/log4j2.properties.dist "$log4j"

if [ ! -f "$data_dir/meta.properties" ]; then
  tool_opts=(-Xmx256m "-Dlog4j2.configurationFile=$log4j")
  cluster_id="${KAFKA_CLUSTER_ID:-$(java "${tool_opts[@]}" -cp "$cp" kafka.tools.StorageTool random-uuid | tail -n 1)}"
  java "${tool_opts[@]}" -cp "$cp" kafka.tools.StorageTool format --standalone \
    -t "$cluster_id" -c "$props"
fi

exec java "-Xms$heap" "-Xmx$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
  -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
  -Djava.awt.headless=true "-Dlog4j2.configurationFile=$log4j" \
  -cp "$cp" kafka.Kafka "$props"
