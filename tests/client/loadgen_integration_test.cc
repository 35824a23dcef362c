// spate-loadgen (the real binary) against a real broker ($SPATE_BOOTSTRAP, default
// 127.0.0.1:19092; start one with scripts/kafka.sh start).
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/loadgen.h"
#include "common/kafka_util.h"
#include "tests/support/process.h"

namespace spate {
namespace {

using namespace spate::testing;  // NOLINT: test helpers
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

constexpr int64_t kStartMs = 1768142570000;

std::string Loadgen() { return BinDir() + "/spate-loadgen"; }

std::string UniqueTopic(const std::string& prefix) {
  static std::atomic<int> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return prefix + "-" + std::to_string(getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) + "-" +
         std::to_string(counter++);
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

/// Creates topics and deletes them when the test ends, however it ends.
class Topics {
 public:
  explicit Topics(KafkaAdmin* admin) : admin_(admin) {}
  ~Topics() {
    for (const auto& t : names_) (void)admin_->DeleteTopic(t);
  }
  std::string Create(const std::string& prefix, int partitions) {
    std::string name = UniqueTopic(prefix);
    Status st = admin_->CreateTopic(name, partitions);
    INFO(st.ToString());
    REQUIRE(st.ok());
    names_.push_back(name);
    return name;
  }

 private:
  KafkaAdmin* admin_;
  std::vector<std::string> names_;
};

/// Every value of `topic`, per partition in offset order: assigns all partitions from the
/// beginning and reads up to the high watermarks taken before reading.
std::vector<std::vector<std::string>> ReadAll(KafkaAdmin* admin, const std::string& topic) {
  auto offsets = QueryOffsets(admin->client(), topic, 10'000);
  REQUIRE(offsets.ok());
  auto consumer = MakeKafkaClient(RD_KAFKA_CONSUMER, Bootstrap(),
                                  {{"group.id", UniqueTopic("loadgen-test-reader")},
                                   {"enable.auto.commit", "false"},
                                   {"enable.auto.offset.store", "false"}});
  REQUIRE(consumer.ok());
  rd_kafka_t* c = consumer->get();
  KafkaPartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets->size())));
  std::vector<std::vector<std::string>> out(offsets->size());
  int64_t remaining = 0;
  for (const auto& p : *offsets) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p.partition)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    remaining += p.high - p.low;
    out[static_cast<size_t>(p.partition)].reserve(static_cast<size_t>(p.high - p.low));
  }
  REQUIRE(rd_kafka_assign(c, list.get()) == RD_KAFKA_RESP_ERR_NO_ERROR);
  const auto deadline = Clock::now() + seconds(60);
  while (remaining > 0 && Clock::now() < deadline) {
    KafkaMessagePtr m(rd_kafka_consumer_poll(c, 500));
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    INFO(rd_kafka_message_errstr(m.get()));
    REQUIRE(m->err == RD_KAFKA_RESP_ERR_NO_ERROR);
    const auto& high = (*offsets)[static_cast<size_t>(m->partition)].high;
    if (m->offset >= high) continue;
    out[static_cast<size_t>(m->partition)].emplace_back(static_cast<const char*>(m->payload),
                                                        m->len);
    --remaining;
  }
  rd_kafka_consumer_close(c);
  REQUIRE(remaining == 0);
  return out;
}

int64_t TotalRecords(KafkaAdmin* admin, const std::string& topic) {
  auto offsets = QueryOffsets(admin->client(), topic, 10'000);
  REQUIRE(offsets.ok());
  int64_t n = 0;
  for (const auto& p : *offsets) n += p.high - p.low;
  return n;
}

CommandResult RunLoadgen(std::vector<std::string> args,
                         std::vector<std::pair<std::string, std::string>> env = {},
                         std::chrono::milliseconds timeout = seconds(120)) {
  args.insert(args.begin(), Loadgen());
  auto r = RunCommand(args, timeout, env);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::string Describe(const CommandResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstderr:\n" + r.stderr_text;
}

TEST_CASE("same arguments give byte-identical values in the same partitions and order",
          "[integration]") {
  KafkaAdmin admin = MakeAdmin();
  Topics topics(&admin);
  const std::vector<std::string> args = {
      "--seed", "7", "--start-ms", std::to_string(kStartMs), "--count", "100000", "--rate", "0"};
  std::vector<std::vector<std::vector<std::string>>> runs;
  for (int run = 0; run < 2; ++run) {
    std::string topic = topics.Create("loadgen-repro", 4);
    std::vector<std::string> a = {"--bootstrap", Bootstrap(), "--topic", topic};
    a.insert(a.end(), args.begin(), args.end());
    CommandResult r = RunLoadgen(a);
    INFO(Describe(r));
    REQUIRE(r.exit_code == 0);
    CHECK(Contains(r.stderr_text, "summary: sent=100000 acked=100000 failed=0"));
    runs.push_back(ReadAll(&admin, topic));
  }
  const auto& first = runs[0];
  REQUIRE(first.size() == 4);
  size_t total = 0;
  for (const auto& p : first) {
    total += p.size();
    CHECK(p.size() == 25000);  // round-robin: exactly a quarter each
  }
  CHECK(total == 100000);
  CHECK(runs[1] == first);

  // And they are the generator's records: partition p, offset k holds record k * 4 + p.
  GeneratorOptions o;
  o.seed = 7;
  o.partitions = 4;
  o.synthetic_time = true;
  o.start_ms = kStartMs;
  auto gen = RecordGenerator::Make(o);
  REQUIRE(gen.ok());
  GeneratedRecord rec;
  for (size_t p = 0; p < 4; ++p) {
    for (size_t k = 0; k < first[p].size(); k += 997) {
      gen->Generate(k * 4 + p, &rec);
      REQUIRE(first[p][k] == std::string(rec.value));
    }
  }
}

TEST_CASE("thread count does not change the data; malformed and late records pass through",
          "[integration]") {
  KafkaAdmin admin = MakeAdmin();
  Topics topics(&admin);
  std::string topic = topics.Create("loadgen-threads", 6);
  CommandResult r = RunLoadgen({"--bootstrap",
                                Bootstrap(),
                                "--topic",
                                topic,
                                "--seed",
                                "99",
                                "--start-ms",
                                "0",
                                "--count",
                                "30000",
                                "--rate",
                                "0",
                                "--threads",
                                "4",
                                "--malformed-fraction",
                                "0.05",
                                "--disorder-ms",
                                "2000",
                                "--users",
                                "50",
                                "--zipf",
                                "1.2"});
  INFO(Describe(r));
  REQUIRE(r.exit_code == 0);
  CHECK(Contains(r.stderr_text, "4 threads"));
  auto data = ReadAll(&admin, topic);
  GeneratorOptions o;
  o.seed = 99;
  o.partitions = 6;
  o.synthetic_time = true;
  o.start_ms = 0;
  o.malformed_fraction = 0.05;
  o.disorder_ms = 2000;
  o.users = 50;
  o.zipf = 1.2;
  auto gen = RecordGenerator::Make(o);
  REQUIRE(gen.ok());
  GeneratedRecord rec;
  int malformed = 0, late = 0;
  for (size_t p = 0; p < 6; ++p) {
    REQUIRE(data[p].size() == 5000);
    for (size_t k = 0; k < data[p].size(); ++k) {
      gen->Generate(k * 6 + p, &rec);
      REQUIRE(data[p][k] == std::string(rec.value));
      malformed += rec.malformed != MalformedKind::kNone;
      late += rec.out_of_order;
    }
  }
  CHECK(malformed > 1000);
  CHECK(late > 1000);
}

TEST_CASE("a missing topic fails within seconds with a clear message", "[integration]") {
  std::string topic = UniqueTopic("loadgen-missing");
  auto start = Clock::now();
  CommandResult r =
      RunLoadgen({"--bootstrap", Bootstrap(), "--topic", topic, "--count", "10"}, {}, seconds(30));
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  INFO(Describe(r));
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.stderr_text, "topic " + topic + " does not exist on " + Bootstrap()));
  CHECK(secs < 10);
}

TEST_CASE("an unreachable broker fails within the connect timeout", "[integration]") {
  int port = FreeTcpPort();
  REQUIRE(port > 0);
  std::string bootstrap = "127.0.0.1:" + std::to_string(port);
  auto start = Clock::now();
  CommandResult r = RunLoadgen(
      {"--bootstrap", bootstrap, "--topic", "logs", "--count", "10", "--connect-timeout", "2s"}, {},
      seconds(30));
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  INFO(Describe(r));
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.stderr_text, "cannot reach Kafka at " + bootstrap + " within 2s"));
  CHECK(secs < 8);
}

TEST_CASE("bad arguments exit 2 with a message; --help exits 0", "[integration]") {
  CommandResult r = RunLoadgen({"--rate", "-3"});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.stderr_text, "--rate must not be negative"));
  r = RunLoadgen({"--no-such-flag"});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.stderr_text, "unknown option '--no-such-flag'"));
  r = RunLoadgen({}, {{"TARGET_RPS", "lots"}});
  CHECK(r.exit_code == 2);
  CHECK(Contains(r.stderr_text, "TARGET_RPS"));
  r = RunLoadgen({"--help"});
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.stdout_text, "Usage: spate-loadgen"));
}

TEST_CASE("pacing at a low rate gives that rate, with wall-clock timestamps", "[integration]") {
  KafkaAdmin admin = MakeAdmin();
  Topics topics(&admin);
  std::string topic = topics.Create("loadgen-pace", 2);
  auto start_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  // The environment variables of the exercise, not flags.
  CommandResult r = RunLoadgen({"--duration", "4s"}, {{"KAFKA_BROKER", Bootstrap()},
                                                      {"KAFKA_TOPIC", topic},
                                                      {"TARGET_RPS", "100"},
                                                      {"ADDITIONAL_TERM", "vulnerability"},
                                                      {"ADDITIONAL_TERM_RATE", "10"}});
  INFO(Describe(r));
  REQUIRE(r.exit_code == 0);
  int64_t n = TotalRecords(&admin, topic);
  CHECK(n >= 390);
  CHECK(n <= 410);
  auto data = ReadAll(&admin, topic);
  int64_t min_ts = INT64_MAX, max_ts = INT64_MIN;
  int with_term = 0;
  for (const auto& part : data) {
    for (const auto& v : part) {
      auto j = nlohmann::json::parse(v);
      int64_t ts = j["timestamp"].get<int64_t>();
      min_ts = std::min(min_ts, ts);
      max_ts = std::max(max_ts, ts);
      with_term += Contains(j["content"].get<std::string>(), "vulnerability");
    }
  }
  CHECK(min_ts >= start_ms);
  CHECK(max_ts - min_ts >= 3800);  // spread over the 4 s, not a burst
  CHECK(max_ts - min_ts <= 4200);
  CHECK(with_term >= 38);  // 10 of every 100
  CHECK(with_term <= 42);
}

TEST_CASE("SIGINT ends an unbounded run: it flushes, reports and exits 0", "[integration]") {
  KafkaAdmin admin = MakeAdmin();
  Topics topics(&admin);
  std::string topic = topics.Create("loadgen-sigint", 3);
  auto child = ChildProcess::Start(
      {Loadgen(), "--bootstrap", Bootstrap(), "--topic", topic, "--rate", "5000"}, {});
  REQUIRE(child.ok());
  std::this_thread::sleep_for(seconds(2));
  REQUIRE(child->Signal(SIGINT).ok());
  auto code = child->Wait(seconds(30));
  REQUIRE(code.ok());
  std::string err = child->Stderr();
  INFO(err);
  CHECK(*code == 0);
  CHECK(Contains(err, "failed=0"));
  CHECK(Contains(err, "sent="));  // a progress line at least
  int64_t n = TotalRecords(&admin, topic);
  CHECK(n > 5000);
  CHECK(Contains(err, "summary: sent=" + std::to_string(n) + " acked=" + std::to_string(n)));
}

TEST_CASE("several instances produce to one topic in parallel", "[integration]") {
  KafkaAdmin admin = MakeAdmin();
  Topics topics(&admin);
  std::string topic = topics.Create("loadgen-parallel", 4);
  std::vector<ChildProcess> children;
  for (int k = 0; k < 3; ++k) {
    auto child = ChildProcess::Start({Loadgen(), "--bootstrap", Bootstrap(), "--topic", topic,
                                      "--rate", "0", "--count", "20000", "--quiet"},
                                     {});
    REQUIRE(child.ok());
    children.push_back(std::move(child).value());
  }
  for (auto& c : children) {
    auto code = c.Wait(seconds(60));
    REQUIRE(code.ok());
    INFO(c.Stderr());
    CHECK(*code == 0);
    CHECK(Contains(c.Stderr(), "summary: sent=20000 acked=20000 failed=0"));
  }
  CHECK(TotalRecords(&admin, topic) == 60000);
  // Without --seed each instance draws its own, so the instances' records differ.
  auto data = ReadAll(&admin, topic);
  std::set<std::string> distinct(data[0].begin(), data[0].end());
  CHECK(distinct.size() > data[0].size() * 9 / 10);
}

}  // namespace
}  // namespace spate
