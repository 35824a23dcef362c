#include "client/topics.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/kafka_props.h"
#include "common/kafka_util.h"
#include "common/logging.h"

namespace spate {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct Options {
  std::string bootstrap;
  std::string timeout = "10s";
  std::string log_level = "error";
  std::string topic;
  int partitions = 1;
  int replication = 1;
  std::vector<std::string> configs;
  std::vector<std::string> kafka_conf;
  bool if_not_exists = false;
  bool if_exists = false;
  bool internal = false;
};

Result<std::map<std::string, std::string>> ParseConfigs(const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const std::string& item : items) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--config wants KEY=VALUE, got '" + item + "'");
    }
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

void PrintTopic(const TopicInfo& info, std::ostream& out) {
  out << "Topic: " << info.name << "\tPartitionCount: " << info.partition_count
      << "\tReplicationFactor: " << info.replication_factor << "\n";
  for (const PartitionInfo& p : info.partitions) {
    out << "\tPartition: " << p.partition << "\tLeader: " << p.leader
        << "\tReplicas: " << p.replicas << "\tIsr: " << p.in_sync_replicas << "\tLow: " << p.low
        << "\tHigh: " << p.high << "\n";
  }
}

}  // namespace

int RunTopics(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  Options opt;
  opt.bootstrap = EnvOr("KAFKA_BROKER", "127.0.0.1:19092");

  CLI::App app{"Creates, deletes, lists and describes Kafka topics.", "spate-topics"};
  app.add_option("--bootstrap", opt.bootstrap, "Kafka bootstrap servers (env KAFKA_BROKER)")
      ->capture_default_str();
  app.add_option("--timeout", opt.timeout, "Give up after this long, e.g. 10s, 500ms")
      ->capture_default_str();
  app.add_option("--log-level", opt.log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str();
  app.add_option(
      "--conf", opt.kafka_conf,
      "client property spate.kafka.KEY=VALUE, e.g. spate.kafka.security.protocol=SASL_SSL "
      "(repeatable)");
  app.require_subcommand(1);
  // Global options may also follow the subcommand: `spate-topics list --bootstrap B`.
  app.fallthrough();

  CLI::App* create = app.add_subcommand("create", "Create a topic");
  create->add_option("topic", opt.topic, "Topic name")->required();
  create->add_option("--partitions", opt.partitions, "Number of partitions")->capture_default_str();
  create->add_option("--replication-factor", opt.replication, "Replicas per partition")
      ->capture_default_str();
  create->add_option("--config", opt.configs, "Topic config KEY=VALUE (repeatable)");
  create->add_flag("--if-not-exists", opt.if_not_exists, "Succeed if the topic already exists");

  CLI::App* del = app.add_subcommand("delete", "Delete a topic");
  del->add_option("topic", opt.topic, "Topic name")->required();
  del->add_flag("--if-exists", opt.if_exists, "Succeed if the topic does not exist");

  CLI::App* list = app.add_subcommand("list", "List topics, one per line");
  list->add_flag("--internal", opt.internal, "Include internal topics (__consumer_offsets, ...)");

  CLI::App* describe = app.add_subcommand("describe", "Show partitions, leaders and offsets");
  describe->add_option("topic", opt.topic, "Topic name")->required();

  // CLI11 reports parse errors by exception; this is the one place they are caught.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 reports `spate-topics frob` as a missing subcommand; name the word it did not know.
    if (app.get_subcommands().empty() && !app.remaining().empty()) {
      err << "spate-topics: unknown subcommand '" << app.remaining().front()
          << "' (create, delete, list, describe)\nRun with --help for more information.\n";
      return kExitUsage;
    }
    int code = app.exit(e, out, err);
    return code == 0 ? kExitOk : kExitUsage;
  }

  auto usage = [&](const Status& st) {
    err << "spate-topics: " << st.message() << "\nRun with --help for more information.\n";
    return kExitUsage;
  };
  auto failed = [&](const Status& st) {
    err << "spate-topics: " << st.message() << "\n";
    return kExitFailed;
  };

  Status logging = InitLogging("spate-topics", opt.log_level);
  if (!logging.ok()) return usage(logging);
  Result<int64_t> timeout_ms = ParseDurationMs(opt.timeout);
  if (!timeout_ms.ok()) return usage(timeout_ms.status().WithContext("--timeout"));
  if (*timeout_ms <= 0 || *timeout_ms > 3'600'000) {
    return usage(
        Status::InvalidArgument("--timeout must be between 1ms and 1h, got " + opt.timeout));
  }
  if (!opt.topic.empty()) {
    Status name = ValidateTopicName(opt.topic);
    if (!name.ok()) return usage(name);
  }
  if (create->parsed()) {
    if (opt.partitions < 1) {
      return usage(Status::InvalidArgument("--partitions must be at least 1, got " +
                                           std::to_string(opt.partitions)));
    }
    if (opt.replication < 1) {
      return usage(Status::InvalidArgument("--replication-factor must be at least 1, got " +
                                           std::to_string(opt.replication)));
    }
  }
  Result<std::map<std::string, std::string>> configs = ParseConfigs(opt.configs);
  if (!configs.ok()) return usage(configs.status());

  Result<std::map<std::string, std::string>> kafka_conf = ParseKafkaConfFlags(opt.kafka_conf);
  if (!kafka_conf.ok()) return usage(kafka_conf.status());

  Result<KafkaAdmin> admin =
      KafkaAdmin::Make(opt.bootstrap, static_cast<int>(*timeout_ms), *kafka_conf);
  if (!admin.ok()) return failed(admin.status());

  if (create->parsed()) {
    Status st = admin->CreateTopic(opt.topic, opt.partitions, opt.replication, *configs);
    if (st.code() == StatusCode::kAlreadyExists && opt.if_not_exists) {
      out << "Topic " << opt.topic << " already exists on " << opt.bootstrap << "\n";
      return kExitOk;
    }
    if (!st.ok()) return failed(st);
    out << "Created topic " << opt.topic << " with " << opt.partitions << " partition"
        << (opt.partitions == 1 ? "" : "s") << " (replication factor " << opt.replication << ") on "
        << opt.bootstrap << "\n";
    return kExitOk;
  }
  if (del->parsed()) {
    Status st = admin->DeleteTopic(opt.topic);
    if (st.code() == StatusCode::kNotFound && opt.if_exists) {
      out << "Topic " << opt.topic << " does not exist on " << opt.bootstrap << "\n";
      return kExitOk;
    }
    if (!st.ok()) return failed(st);
    out << "Deleted topic " << opt.topic << " on " << opt.bootstrap << "\n";
    return kExitOk;
  }
  if (list->parsed()) {
    Result<std::vector<std::string>> names = admin->ListTopics(opt.internal);
    if (!names.ok()) return failed(names.status());
    for (const std::string& name : *names) out << name << "\n";
    return kExitOk;
  }
  Result<TopicInfo> info = admin->DescribeTopic(opt.topic);
  if (!info.ok()) return failed(info.status());
  PrintTopic(*info, out);
  return kExitOk;
}

int RunTopics(int argc, const char* const* argv) {
  return RunTopics(argc, argv, std::cout, std::cerr);
}

}  // namespace spate
