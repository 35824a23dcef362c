// The executor's Kafka reader against a real broker: exact ranges, continuation from records
// already fetched, repositioning for replays, concurrent partitions, clear errors.
#include "worker/kafka_reader.h"

#include <librdkafka/rdkafka.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "common/kafka_util.h"
#include "tests/support/process.h"

namespace spate::worker {
namespace {

using spate::testing::Bootstrap;

std::string Value(int32_t partition, int i) {
  return "p" + std::to_string(partition) + "-" + std::to_string(i);
}

// A topic of `partitions` partitions, `count` records each ("p<partition>-<index>").
std::string MakeTopic(int partitions, int count) {
  const std::string topic =
      "reader-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  auto admin = KafkaAdmin::Make(Bootstrap(), 10'000);
  INFO("is a broker running at " << Bootstrap() << "? " << admin.status().ToString());
  REQUIRE(admin.ok());
  REQUIRE(admin->CreateTopic(topic, partitions).ok());
  auto producer = MakeKafkaClient(RD_KAFKA_PRODUCER, Bootstrap(), {{"linger.ms", "5"}});
  REQUIRE(producer.ok());
  for (int32_t p = 0; p < partitions; ++p) {
    for (int i = 0; i < count; ++i) {
      std::string v = Value(p, i);
      REQUIRE(rd_kafka_producev(producer->get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                                RD_KAFKA_V_PARTITION(p), RD_KAFKA_V_VALUE(v.data(), v.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR);
    }
  }
  REQUIRE(rd_kafka_flush(producer->get(), 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR);
  return topic;
}

std::vector<std::string> Read(PartitionReader* reader, const std::string& topic, int32_t p,
                              int64_t start, int64_t end) {
  std::vector<std::string> out;
  Status s = reader->ReadRange(topic, p, start, end,
                               [&](int64_t, std::string_view v) { out.emplace_back(v); });
  INFO(s.ToString());
  REQUIRE(s.ok());
  return out;
}

std::vector<std::string> Expected(int32_t p, int start, int end) {
  std::vector<std::string> out;
  for (int i = start; i < end; ++i) out.push_back(Value(p, i));
  return out;
}

TEST_CASE("the Kafka reader reads exact ranges, in order, across batches and replays",
          "[integration]") {
  const std::string topic = MakeTopic(2, 5000);
  auto reader = MakeKafkaReader(Bootstrap(), topic, {}, 10'000);
  REQUIRE(reader.ok());
  PartitionReader* r = reader->get();
  CHECK(Read(r, topic, 0, 0, 1000) == Expected(0, 0, 1000));
  // The next batch continues where the last one ended (records fetched in between).
  CHECK(Read(r, topic, 0, 1000, 1001) == Expected(0, 1000, 1001));
  CHECK(Read(r, topic, 0, 1001, 4000) == Expected(0, 1001, 4000));
  // A replay goes back; a new owner starts anywhere; the end of the partition is reachable.
  CHECK(Read(r, topic, 0, 500, 600) == Expected(0, 500, 600));
  CHECK(Read(r, topic, 0, 4990, 5000) == Expected(0, 4990, 5000));
  CHECK(Read(r, topic, 0, 10, 20) == Expected(0, 10, 20));
  CHECK(Read(r, topic, 0, 20, 20).empty());
  // Partitions interleave without mixing.
  CHECK(Read(r, topic, 1, 0, 2500) == Expected(1, 0, 2500));
  CHECK(Read(r, topic, 0, 20, 30) == Expected(0, 20, 30));
  CHECK(Read(r, topic, 1, 2500, 5000) == Expected(1, 2500, 5000));
}

TEST_CASE("the Kafka reader serves tasks on different partitions at the same time",
          "[integration]") {
  const std::string topic = MakeTopic(4, 20000);
  auto reader = MakeKafkaReader(Bootstrap(), topic, {{"queued.max.messages.kbytes", "64"}}, 10'000);
  REQUIRE(reader.ok());
  std::vector<std::future<std::pair<Status, std::vector<std::string>>>> tasks;
  for (int32_t p = 0; p < 4; ++p) {
    tasks.push_back(std::async(std::launch::async, [&, p] {
      std::vector<std::string> out;
      Status s = (*reader)->ReadRange(topic, p, 0, 20000,
                                      [&](int64_t, std::string_view v) { out.emplace_back(v); });
      return std::make_pair(s, out);
    }));
  }
  for (int32_t p = 0; p < 4; ++p) {
    auto [s, out] = tasks[static_cast<size_t>(p)].get();
    INFO(s.ToString());
    REQUIRE(s.ok());
    CHECK(out == Expected(p, 0, 20000));
  }
}

TEST_CASE("the Kafka reader fails clearly on missing partitions and offsets", "[integration]") {
  const std::string topic = MakeTopic(1, 100);
  auto reader = MakeKafkaReader(Bootstrap(), topic, {}, 3'000);
  REQUIRE(reader.ok());
  auto ignore = [](int64_t, std::string_view) {};
  Status missing = (*reader)->ReadRange(topic, 5, 0, 10, ignore);
  CHECK_FALSE(missing.ok());
  CHECK_THAT(missing.message(), Catch::Contains("partition 5"));
  // Offsets past the end of the partition never come: the stall timeout ends the wait.
  Status beyond = (*reader)->ReadRange(topic, 0, 100, 200, ignore);
  CHECK_FALSE(beyond.ok());
  CHECK_THAT(beyond.message(), Catch::Contains("partition 0"));
  // The reader still works after failures.
  CHECK(Read(reader->get(), topic, 0, 0, 100) == Expected(0, 0, 100));
  CHECK_FALSE((*reader)->ReadRange("another-topic", 0, 0, 1, ignore).ok());
  auto bad = MakeKafkaReader(Bootstrap(), topic, {{"no.such.property", "1"}}, 3'000);
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace spate::worker
