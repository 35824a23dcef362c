// The librdkafka properties a job may set, and the secrets among them. Every Kafka client in
// Spate (executors, the master's admin and offset clients, the Kafka sink, spate-topics,
// spate-loadgen) takes the same properties: `--conf spate.kafka.<property>=<value>` and a SQL
// table's 'properties.<property>'.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace spate {

/// The prefix of a job's (or a tool's) --conf keys that are librdkafka properties.
inline constexpr std::string_view kKafkaConfPrefix = "spate.kafka.";
/// What a secret's value is replaced with wherever a job is shown or logged.
inline constexpr char kRedacted[] = "[redacted]";

/// OK when a job may set librdkafka property `name` (security.protocol, sasl.username,
/// sasl.password, ssl.*.pem, fetch and batching tuning, ...). InvalidArgument naming the property
/// otherwise: some librdkafka properties run a command (sasl.kerberos.kinit.cmd) or load code
/// (plugin.library.paths, ssl.engine.location, ssl.providers) in the daemon that makes the
/// client, so they are never a job's to set; bootstrap.servers comes from --bootstrap.
Status CheckJobKafkaProperty(std::string_view name);

/// Whether a property's value is a secret (sasl.password, ssl.key.password, ssl.key.pem, ...).
/// Accepts the bare name or one with the spate.kafka. / properties. prefix.
bool IsSecretKafkaProperty(std::string_view name);

/// `value`, or kRedacted when `name` is a secret property.
std::string RedactedValue(std::string_view name, const std::string& value);

/// A SQL script with the value of every secret 'properties.*' option replaced by kRedacted.
std::string RedactSqlSecrets(const std::string& sql);

/// The `spate.kafka.*` entries of a conf map, without the prefix. Works on std::map and
/// protobuf maps alike.
template <typename Map>
std::map<std::string, std::string> KafkaPropertiesOfConf(const Map& conf) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : conf) {
    if (std::string_view(k).substr(0, kKafkaConfPrefix.size()) == kKafkaConfPrefix) {
      out[std::string(k).substr(kKafkaConfPrefix.size())] = v;
    }
  }
  return out;
}

/// Sets the librdkafka properties of this daemon (spate-master's or spate-worker's own `--conf
/// spate.kafka.*`): applied to every Kafka client the process makes, under a job's properties.
/// Any property is allowed here (the operator's, e.g. Kerberos settings). Call before making
/// clients; not thread-safe with them.
void SetDaemonKafkaProperties(std::map<std::string, std::string> properties);
/// This process's daemon properties (empty by default).
const std::map<std::string, std::string>& DaemonKafkaProperties();

/// Parses a tool's `--conf spate.kafka.K=V` flags into librdkafka properties. InvalidArgument for
/// an item without '=' or a key without the spate.kafka. prefix. The tools run with the
/// operator's own rights, so any librdkafka property is accepted.
Result<std::map<std::string, std::string>> ParseKafkaConfFlags(
    const std::vector<std::string>& items);

}  // namespace spate
