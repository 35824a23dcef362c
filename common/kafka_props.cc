#include "common/kafka_props.h"

#include <array>
#include <regex>

namespace spate {
namespace {

// Properties a job may set. Security settings, plus the client tuning that jobs use; anything
// else (callbacks, plugins, engines, Kerberos commands, debug and logging) stays with the
// daemons.
constexpr std::array<std::string_view, 58> kJobProperties = {
    "security.protocol",
    "sasl.mechanism",
    "sasl.mechanisms",
    "sasl.username",
    "sasl.password",
    "sasl.oauthbearer.config",
    "ssl.ca.location",
    "ssl.ca.pem",
    "ssl.certificate.location",
    "ssl.certificate.pem",
    "ssl.key.location",
    "ssl.key.pem",
    "ssl.key.password",
    "ssl.keystore.location",
    "ssl.keystore.password",
    "ssl.crl.location",
    "ssl.cipher.suites",
    "ssl.curves.list",
    "ssl.sigalgs.list",
    "ssl.endpoint.identification.algorithm",
    "enable.ssl.certificate.verification",
    "client.id",
    "client.rack",
    "broker.address.family",
    "api.version.request",
    "socket.timeout.ms",
    "socket.keepalive.enable",
    "socket.send.buffer.bytes",
    "socket.receive.buffer.bytes",
    "socket.nagle.disable",
    "connections.max.idle.ms",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "metadata.max.age.ms",
    "topic.metadata.refresh.interval.ms",
    "message.max.bytes",
    "receive.message.max.bytes",
    "max.partition.fetch.bytes",
    "fetch.min.bytes",
    "fetch.max.bytes",
    "fetch.wait.max.ms",
    "fetch.message.max.bytes",
    "fetch.error.backoff.ms",
    "fetch.queue.backoff.ms",
    "queued.min.messages",
    "queued.max.messages.kbytes",
    "check.crcs",
    "isolation.level",
    "linger.ms",
    "queue.buffering.max.ms",
    "queue.buffering.max.messages",
    "queue.buffering.max.kbytes",
    "batch.num.messages",
    "batch.size",
    "compression.type",
    "compression.codec",
    "compression.level",
    "message.timeout.ms",
};

std::string_view Bare(std::string_view name) {
  for (std::string_view prefix : {kKafkaConfPrefix, std::string_view("properties.")}) {
    if (name.substr(0, prefix.size()) == prefix) return name.substr(prefix.size());
  }
  return name;
}

}  // namespace

Status CheckJobKafkaProperty(std::string_view name) {
  for (std::string_view allowed : kJobProperties) {
    if (name == allowed) return Status::OK();
  }
  if (name == "bootstrap.servers" || name == "metadata.broker.list") {
    return Status::InvalidArgument("Kafka property '" + std::string(name) +
                                   "' is not a job's to set: give --bootstrap (or the table's "
                                   "'properties.bootstrap.servers')");
  }
  return Status::InvalidArgument(
      "Kafka property '" + std::string(name) +
      "' may not be set by a job (a job may set security.protocol, sasl.mechanism, "
      "sasl.username, sasl.password, ssl.* certificates and keys, and fetch, batching and "
      "socket tuning; properties that run commands or load code, such as "
      "sasl.kerberos.kinit.cmd and plugin.library.paths, stay with the daemons)");
}

bool IsSecretKafkaProperty(std::string_view name) {
  std::string_view bare = Bare(name);
  return bare.find("password") != std::string_view::npos ||
         bare.find("secret") != std::string_view::npos || bare == "ssl.key.pem" ||
         bare == "sasl.oauthbearer.config" || bare == "sasl.jaas.config";
}

std::string RedactedValue(std::string_view name, const std::string& value) {
  return IsSecretKafkaProperty(name) ? std::string(kRedacted) : value;
}

std::string RedactSqlSecrets(const std::string& sql) {
  // 'properties.sasl.password' = 'value' (SQL strings double a quote to escape it).
  static const std::regex option(R"('(properties\.[^']*)'(\s*=\s*)'((?:[^']|'')*)')",
                                 std::regex::icase);
  std::string out;
  auto begin = std::sregex_iterator(sql.begin(), sql.end(), option);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out.append(sql, last, static_cast<size_t>(m.position(0)) - last);
    if (IsSecretKafkaProperty(m[1].str())) {
      out += "'" + m[1].str() + "'" + m[2].str() + "'" + kRedacted + "'";
    } else {
      out += m[0].str();
    }
    last = static_cast<size_t>(m.position(0) + m.length(0));
  }
  out.append(sql, last, std::string::npos);
  return out;
}

namespace {
std::map<std::string, std::string>& DaemonProperties() {
  static std::map<std::string, std::string> properties;
  return properties;
}
}  // namespace

void SetDaemonKafkaProperties(std::map<std::string, std::string> properties) {
  DaemonProperties() = std::move(properties);
}

const std::map<std::string, std::string>& DaemonKafkaProperties() { return DaemonProperties(); }

Result<std::map<std::string, std::string>> ParseKafkaConfFlags(
    const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--conf expects spate.kafka.PROPERTY=VALUE, got '" +
                                     RedactedValue(item, item) + "'");
    }
    std::string key = item.substr(0, eq);
    if (key.rfind(kKafkaConfPrefix, 0) != 0 || key.size() == kKafkaConfPrefix.size()) {
      return Status::InvalidArgument("unknown --conf key '" + key +
                                     "' (this tool takes spate.kafka.<librdkafka property>)");
    }
    out[key.substr(kKafkaConfPrefix.size())] = item.substr(eq + 1);
  }
  return out;
}

}  // namespace spate
