// spate-topics and the Kafka helpers against a real broker ($SPATE_BOOTSTRAP, default
// 127.0.0.1:19092; start one with scripts/kafka.sh start).
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "common/config.h"
#include "common/kafka_util.h"

namespace spate {
namespace {

using Clock = std::chrono::steady_clock;

std::string Bootstrap() { return EnvOr("SPATE_BOOTSTRAP", "127.0.0.1:19092"); }

std::string TopicsBinary() { return EnvOr("SPATE_BIN_DIR", "build/bin") + "/spate-topics"; }

/// A topic name no other test run uses.
std::string UniqueTopic(const std::string& prefix) {
  static std::atomic<int> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return prefix + "-" + std::to_string(getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) + "-" +
         std::to_string(counter++);
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
  double seconds = 0;
};

/// Runs spate-topics with `args` (a shell word list) and captures what it prints.
CommandResult RunTopicsCommand(const std::string& args) {
  CommandResult result;
  std::string command = TopicsBinary() + " " + args + " 2>&1";
  auto start = Clock::now();
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) result.output.append(buf, n);
  int status = pclose(pipe);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string WithBroker(const std::string& args) {
  return "--bootstrap " + Bootstrap() + " " + args;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

KafkaAdmin MakeAdmin() {
  Result<KafkaAdmin> admin = KafkaAdmin::Make(Bootstrap(), 10'000);
  INFO("is a broker running at " << Bootstrap() << "? " << admin.status().ToString());
  REQUIRE(admin.ok());
  return std::move(admin).value();
}

/// Produces `count` small records to one partition and waits until they are acknowledged.
void Produce(rd_kafka_t* producer, const std::string& topic, int32_t partition, int count) {
  for (int i = 0; i < count; ++i) {
    std::string value = "record-" + std::to_string(i);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_END);
    REQUIRE(err == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  REQUIRE(rd_kafka_flush(producer, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR);
}

}  // namespace

TEST_CASE("spate-topics creates, describes, refuses to recreate and deletes a topic",
          "[integration]") {
  std::string topic = UniqueTopic("topics-cli");

  CommandResult created = RunTopicsCommand(WithBroker("create " + topic + " --partitions 4"));
  INFO(created.output);
  REQUIRE(created.exit_code == 0);
  CHECK(Contains(created.output, "Created topic " + topic + " with 4 partitions"));

  CommandResult described = RunTopicsCommand(WithBroker("describe " + topic));
  INFO(described.output);
  REQUIRE(described.exit_code == 0);
  CHECK(Contains(described.output, "Topic: " + topic + "\tPartitionCount: 4"));
  for (int p = 0; p < 4; ++p) {
    CHECK(Contains(described.output, "Partition: " + std::to_string(p) + "\tLeader: 1"));
  }

  CommandResult listed = RunTopicsCommand(WithBroker("list"));
  CHECK(listed.exit_code == 0);
  CHECK(Contains(listed.output, topic + "\n"));

  CommandResult again = RunTopicsCommand(WithBroker("create " + topic + " --partitions 4"));
  INFO(again.output);
  CHECK(again.exit_code == 1);
  CHECK(Contains(again.output, "topic " + topic + " already exists on " + Bootstrap()));

  CommandResult tolerated =
      RunTopicsCommand(WithBroker("create " + topic + " --partitions 4 --if-not-exists"));
  CHECK(tolerated.exit_code == 0);

  CommandResult deleted = RunTopicsCommand(WithBroker("delete " + topic));
  INFO(deleted.output);
  REQUIRE(deleted.exit_code == 0);
  CHECK(Contains(deleted.output, "Deleted topic " + topic));

  CommandResult gone = RunTopicsCommand(WithBroker("describe " + topic));
  INFO(gone.output);
  CHECK(gone.exit_code == 1);
  CHECK(Contains(gone.output, "topic " + topic + " does not exist on " + Bootstrap()));

  CommandResult delete_again = RunTopicsCommand(WithBroker("delete " + topic));
  CHECK(delete_again.exit_code == 1);
  CHECK(Contains(delete_again.output, "does not exist"));
  CHECK(RunTopicsCommand(WithBroker("delete " + topic + " --if-exists")).exit_code == 0);
}

TEST_CASE("spate-topics reports an unreachable broker within its timeout", "[integration]") {
  for (const char* args : {"list", "describe logs", "create logs --partitions 2", "delete logs"}) {
    CommandResult r = RunTopicsCommand(std::string("--bootstrap 127.0.0.1:1 --timeout 1s ") + args);
    INFO(args << ": " << r.output);
    CHECK(r.exit_code == 1);
    CHECK(Contains(r.output, "cannot reach Kafka at 127.0.0.1:1 within 1s"));
    CHECK(r.seconds < 4.0);
  }
}

TEST_CASE("spate-topics rejects bad arguments with exit code 2 and a message", "[unit]") {
  struct Case {
    std::string args;
    std::string message;
  };
  // None of these may contact a broker: the address is one where nothing listens.
  const Case cases[] = {
      {"", "A subcommand is required"},
      {"frob", "unknown subcommand 'frob'"},
      {"create logs --partitions 0", "--partitions must be at least 1, got 0"},
      {"create logs --partitions -3", "--partitions must be at least 1, got -3"},
      {"create logs --partitions two", "--partitions"},
      {"create logs --replication-factor 0", "--replication-factor must be at least 1"},
      {"create", "topic is required"},
      {"describe", "topic is required"},
      {"create 'bad name'", "topic name \"bad name\""},
      {"create logs --config noequals", "--config wants KEY=VALUE"},
      {"--timeout soon list", "--timeout"},
      {"--timeout 0s list", "--timeout must be between"},
      {"list extra", "not expected: extra"},
  };
  for (const Case& c : cases) {
    CommandResult r = RunTopicsCommand("--bootstrap 127.0.0.1:1 " + c.args);
    INFO("spate-topics " << c.args << "\n" << r.output);
    CHECK(r.exit_code == 2);
    CHECK(Contains(r.output, c.message));
    CHECK(r.seconds < 2.0);
  }
  CommandResult help = RunTopicsCommand("--help");
  CHECK(help.exit_code == 0);
  CHECK(Contains(help.output, "describe"));
  CHECK(Contains(help.output, "--bootstrap"));
}

TEST_CASE("KafkaAdmin creates a topic with configs, lists, describes and deletes it",
          "[integration]") {
  KafkaAdmin admin = MakeAdmin();
  std::string topic = UniqueTopic("admin");
  REQUIRE(admin.CreateTopic(topic, 3, 1, {{"retention.ms", "-1"}}).ok());

  Result<std::vector<std::string>> names = admin.ListTopics();
  REQUIRE(names.ok());
  CHECK(std::find(names->begin(), names->end(), topic) != names->end());
  for (const std::string& name : *names) CHECK(name.rfind("__", 0) != 0);

  Result<TopicInfo> info = admin.DescribeTopic(topic);
  REQUIRE(info.ok());
  CHECK(info->name == topic);
  CHECK(info->partition_count == 3);
  CHECK(info->replication_factor == 1);
  REQUIRE(info->partitions.size() == 3);
  for (int p = 0; p < 3; ++p) {
    CHECK(info->partitions[p].partition == p);
    CHECK(info->partitions[p].leader >= 0);
    CHECK(info->partitions[p].low == 0);
    CHECK(info->partitions[p].high == 0);
  }

  Status again = admin.CreateTopic(topic, 3);
  CHECK(again.code() == StatusCode::kAlreadyExists);
  CHECK(again.message() == "topic " + topic + " already exists on " + Bootstrap());

  REQUIRE(admin.DeleteTopic(topic).ok());
  Result<TopicInfo> gone = admin.DescribeTopic(topic);
  CHECK(gone.status().code() == StatusCode::kNotFound);
  CHECK(gone.status().message() == "topic " + topic + " does not exist on " + Bootstrap());
  CHECK(admin.DeleteTopic(topic).code() == StatusCode::kNotFound);
}

TEST_CASE("KafkaAdmin rejects bad topic requests as InvalidArgument", "[integration]") {
  KafkaAdmin admin = MakeAdmin();
  std::string topic = UniqueTopic("bad");
  CHECK(admin.CreateTopic(topic, 0).code() == StatusCode::kInvalidArgument);
  CHECK(admin.CreateTopic(topic, 1, 0).code() == StatusCode::kInvalidArgument);
  CHECK(admin.CreateTopic("no/slash", 1).code() == StatusCode::kInvalidArgument);
  CHECK(admin.CreateTopic("", 1).code() == StatusCode::kInvalidArgument);
  CHECK(admin.CreateTopic(std::string(250, 'a'), 1).code() == StatusCode::kInvalidArgument);
  Status too_many_replicas = admin.CreateTopic(topic, 1, 3);
  CHECK(too_many_replicas.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(too_many_replicas.message(), "cannot create topic " + topic));
  Status bad_config = admin.CreateTopic(topic, 1, 1, {{"no.such.config", "1"}});
  CHECK(bad_config.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(bad_config.message(), "no.such.config"));
  CHECK(admin.DescribeTopic(topic).status().code() == StatusCode::kNotFound);
}

TEST_CASE("QueryOffsets reports low and high offsets of every partition", "[integration]") {
  KafkaAdmin admin = MakeAdmin();
  std::string topic = UniqueTopic("offsets");
  REQUIRE(admin.CreateTopic(topic, 3).ok());

  Result<KafkaClientPtr> producer =
      MakeKafkaClient(RD_KAFKA_PRODUCER, Bootstrap(), {{"linger.ms", "0"}});
  REQUIRE(producer.ok());
  Produce(producer->get(), topic, 0, 5);
  Produce(producer->get(), topic, 1, 3);

  Result<KafkaClientPtr> consumer = MakeKafkaClient(RD_KAFKA_CONSUMER, Bootstrap());
  REQUIRE(consumer.ok());
  auto start = Clock::now();
  Result<std::vector<PartitionOffsets>> offsets = QueryOffsets(consumer->get(), topic, 5'000);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  INFO(offsets.status().ToString());
  REQUIRE(offsets.ok());
  REQUIRE(offsets->size() == 3);
  CHECK((*offsets)[0].partition == 0);
  CHECK((*offsets)[0].low == 0);
  CHECK((*offsets)[0].high == 5);
  CHECK((*offsets)[1].partition == 1);
  CHECK((*offsets)[1].high == 3);
  CHECK((*offsets)[2].partition == 2);
  CHECK((*offsets)[2].high == 0);
  CHECK(seconds < 1.0);  // a local broker answers in milliseconds

  // Repeated calls, as the batch planner makes them every trigger, stay cheap.
  start = Clock::now();
  for (int i = 0; i < 20; ++i) REQUIRE(QueryOffsets(consumer->get(), topic, 5'000).ok());
  double per_call_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count() / 20;
  WARN("QueryOffsets on 3 partitions: " << per_call_ms << " ms per call");
  CHECK(per_call_ms < 100);

  Result<int> count = PartitionCount(consumer->get(), topic, 5'000);
  REQUIRE(count.ok());
  CHECK(*count == 3);

  Result<TopicInfo> info = admin.DescribeTopic(topic);
  REQUIRE(info.ok());
  CHECK(info->partitions[0].high == 5);
  CHECK(info->partitions[1].high == 3);

  REQUIRE(admin.DeleteTopic(topic).ok());
}

TEST_CASE("QueryOffsets stops at the last stable offset while a transaction is open",
          "[integration]") {
  KafkaAdmin admin = MakeAdmin();
  std::string topic = UniqueTopic("txn");
  REQUIRE(admin.CreateTopic(topic, 1).ok());

  Result<KafkaClientPtr> producer = MakeKafkaClient(
      RD_KAFKA_PRODUCER, Bootstrap(), {{"transactional.id", topic}, {"linger.ms", "0"}});
  REQUIRE(producer.ok());
  rd_kafka_t* p = producer->get();
  KafkaErrorPtr error(rd_kafka_init_transactions(p, 30'000));
  INFO((error ? rd_kafka_error_string(error.get()) : "ok"));
  REQUIRE(!error);
  REQUIRE(!KafkaErrorPtr(rd_kafka_begin_transaction(p)));
  Produce(p, topic, 0, 3);

  Result<KafkaClientPtr> committed = MakeKafkaClient(RD_KAFKA_CONSUMER, Bootstrap());
  Result<KafkaClientPtr> uncommitted =
      MakeKafkaClient(RD_KAFKA_CONSUMER, Bootstrap(), {{"isolation.level", "read_uncommitted"}});
  REQUIRE(committed.ok());
  REQUIRE(uncommitted.ok());
  auto open_committed = QueryOffsets(committed->get(), topic, 5'000);
  auto open_uncommitted = QueryOffsets(uncommitted->get(), topic, 5'000);
  REQUIRE(open_committed.ok());
  REQUIRE(open_uncommitted.ok());
  CHECK((*open_committed)[0].high == 0);
  CHECK((*open_uncommitted)[0].high == 3);

  REQUIRE(!KafkaErrorPtr(rd_kafka_commit_transaction(p, 30'000)));
  // The commit marker takes one offset: the three records are 0..2, the marker 3. The
  // coordinator writes markers after commit_transaction returns, so the end moves soon after.
  int64_t high = -1;
  for (int i = 0; i < 100 && high != 4; ++i) {
    auto done = QueryOffsets(committed->get(), topic, 5'000);
    REQUIRE(done.ok());
    high = (*done)[0].high;
    if (high != 4) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(high == 4);

  REQUIRE(admin.DeleteTopic(topic).ok());
}

TEST_CASE("QueryOffsets and PartitionCount report a missing topic as NotFound", "[integration]") {
  Result<KafkaClientPtr> consumer = MakeKafkaClient(RD_KAFKA_CONSUMER, Bootstrap());
  REQUIRE(consumer.ok());
  std::string topic = UniqueTopic("missing");
  auto offsets = QueryOffsets(consumer->get(), topic, 5'000);
  CHECK(offsets.status().code() == StatusCode::kNotFound);
  CHECK(offsets.status().message() == "topic " + topic + " does not exist on " + Bootstrap());
  CHECK(PartitionCount(consumer->get(), topic, 5'000).status().code() == StatusCode::kNotFound);
  CHECK(QueryOffsets(consumer->get(), "bad name", 5'000).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("an unreachable broker is Unavailable within the timeout, never a hang",
          "[integration]") {
  auto start = Clock::now();
  Result<KafkaAdmin> admin = KafkaAdmin::Make("127.0.0.1:1", 1'000);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  CHECK(admin.status().code() == StatusCode::kUnavailable);
  CHECK(Contains(admin.status().message(), "cannot reach Kafka at 127.0.0.1:1 within 1s"));
  CHECK(seconds < 3.0);

  Result<KafkaClientPtr> consumer = MakeKafkaClient(RD_KAFKA_CONSUMER, "127.0.0.1:1");
  REQUIRE(consumer.ok());
  start = Clock::now();
  auto offsets = QueryOffsets(consumer->get(), "logs", 1'000);
  seconds = std::chrono::duration<double>(Clock::now() - start).count();
  CHECK(offsets.status().code() == StatusCode::kUnavailable);
  CHECK(Contains(offsets.status().message(), "cannot reach Kafka at 127.0.0.1:1 within 1s"));
  CHECK(seconds < 3.0);
  CHECK(PartitionCount(consumer->get(), "logs", 500).status().code() == StatusCode::kUnavailable);
}

TEST_CASE("MakeKafkaClient names the setting librdkafka rejects", "[integration]") {
  auto bad = MakeKafkaClient(RD_KAFKA_PRODUCER, Bootstrap(), {{"no.such.setting", "1"}});
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
  CHECK(Contains(bad.status().message(), "no.such.setting=1"));
  CHECK(MakeKafkaClient(RD_KAFKA_PRODUCER, "").status().code() == StatusCode::kInvalidArgument);
  auto good = MakeKafkaClient(RD_KAFKA_CONSUMER, Bootstrap(), {{"client.id", "spate-test"}});
  REQUIRE(good.ok());
  CHECK(KafkaBootstrapOf(good->get()) == Bootstrap());
}

TEST_CASE("KafkaErrorToStatus maps librdkafka codes to Status codes with context", "[unit]") {
  CHECK(KafkaErrorToStatus(RD_KAFKA_RESP_ERR_NO_ERROR, "x").ok());
  Status missing = KafkaErrorToStatus(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "reading logs");
  CHECK(missing.code() == StatusCode::kNotFound);
  CHECK(missing.message().rfind("reading logs: ", 0) == 0);
  CHECK(KafkaErrorToStatus(RD_KAFKA_RESP_ERR__TRANSPORT, "x").code() == StatusCode::kUnavailable);
  CHECK(KafkaErrorToStatus(RD_KAFKA_RESP_ERR__TIMED_OUT, "x").IsRetryable());
  CHECK(KafkaErrorToStatus(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, "x").IsRetryable());
  CHECK(KafkaErrorToStatus(RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, "x").code() ==
        StatusCode::kAlreadyExists);
  CHECK(KafkaErrorToStatus(RD_KAFKA_RESP_ERR_INVALID_PARTITIONS, "x").code() ==
        StatusCode::kInvalidArgument);
  CHECK(KafkaErrorToStatus(RD_KAFKA_RESP_ERR__FENCED, "x").code() == StatusCode::kAborted);
  CHECK(ValidateTopicName("logs.v1_a-b").ok());
  CHECK(!ValidateTopicName("..").ok());
  CHECK(!ValidateTopicName("a b").ok());
}

}  // namespace spate
