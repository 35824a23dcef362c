// The executor end to end in one process: a fake Kafka reader feeds stage 1, a loopback
// transport delivers its shuffle blocks to the same executor, stage 2 merges and emits. Also the
// WorkerHandler called directly, without sockets.
#include "worker/executor.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "common/key_group.h"
#include "tests/support/process.h"
#include "worker/shuffle_codec.h"
#include "worker/worker.h"

namespace spate::worker {
namespace {

using spate::testing::TempDir;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kNoWatermark = kMin;
constexpr int64_t kW = 1768142570000;  // a window start
constexpr uint32_t kKeyGroups = 16;
constexpr uint32_t kShufflePartitions = 2;
constexpr char kSelf[] = "127.0.0.1:7078";

using Topic = std::map<int32_t, std::vector<std::string>>;

// Serves message values from vectors, by offset.
class VectorReader : public PartitionReader {
 public:
  explicit VectorReader(std::shared_ptr<const Topic> topic) : topic_(std::move(topic)) {}
  using PartitionReader::ReadRange;
  Status ReadRange(const std::string& topic, int32_t partition, int64_t start, int64_t end,
                   const RecordFn& fn, int64_t* /*offsets_lost*/) override {
    auto it = topic_->find(partition);
    if (it == topic_->end()) {
      return Status::Unavailable("partition " + std::to_string(partition) + " of " + topic +
                                 " has no leader");
    }
    if (start < 0 || end > static_cast<int64_t>(it->second.size())) {
      return Status::Unavailable("offsets beyond the end of partition " +
                                 std::to_string(partition));
    }
    for (int64_t o = start; o < end; ++o) fn(o, it->second[static_cast<size_t>(o)]);
    return Status::OK();
  }

 private:
  std::shared_ptr<const Topic> topic_;
};

// Delivers blocks straight to an executor, or holds them for the test to deliver later.
class LoopbackTransport : public ShuffleTransport {
 public:
  Status Push(const std::string& address, const proto::ShuffleBlock& block,
              const CancelledFn&) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++pushes;
    addresses.insert(address);
    if (hold) {
      held.push_back(block);
      return Status::OK();
    }
    return target->AcceptShuffle(block);
  }
  Executor* target = nullptr;
  bool hold = false;
  int pushes = 0;
  std::set<std::string> addresses;
  std::vector<proto::ShuffleBlock> held;

 private:
  std::mutex mu_;
};

std::string Rec(int64_t ts, std::string_view severity, std::string_view user,
                std::string_view content) {
  return "{\"timestamp\": " + std::to_string(ts) + ", \"status\": \"ERROR\", \"severity\": \"" +
         std::string(severity) + "\", \"source_ip\": \"10.1.2.3\", \"user_id\": \"" +
         std::string(user) + "\", \"content\": \"" + std::string(content) + "\"}";
}
std::string Crash(int64_t ts, std::string_view user, std::string_view severity = "High") {
  return Rec(ts, severity, user, "Application crash detected");
}

proto::LaunchExecutorRequest Launch(int64_t memory_bytes = int64_t{256} << 20) {
  proto::LaunchExecutorRequest req;
  req.set_job_id("job-unit");
  auto* spec = req.mutable_spec();
  spec->set_job_name("crash-detector");
  spec->set_key_groups(kKeyGroups);
  spec->set_shuffle_partitions(kShufflePartitions);
  spec->set_num_executors(1);
  spec->set_executor_cores(2);
  spec->set_executor_memory_bytes(memory_bytes);
  spec->set_topic("logs");
  spec->set_bootstrap("127.0.0.1:1");
  auto* e = req.mutable_executor();
  e->set_executor_id("exec-0");
  e->set_worker_id("worker-0");
  e->set_address(kSelf);
  e->set_cores(2);
  e->set_memory_bytes(memory_bytes);
  e->add_kafka_partitions(0);
  e->add_kafka_partitions(1);
  for (uint32_t s = 0; s < kShufflePartitions; ++s) {
    e->add_shuffle_partitions(static_cast<int32_t>(s));
    KeyGroupRange r = RangeOfPartition(s, kShufflePartitions, kKeyGroups);
    auto* kg = e->add_key_groups();
    kg->set_begin(r.begin);
    kg->set_end(r.end);
  }
  return req;
}

proto::SourceTaskRequest SourceTask(int64_t batch, int32_t partition, int64_t start, int64_t end,
                                    int64_t watermark, int32_t attempt = 0) {
  proto::SourceTaskRequest req;
  req.set_job_id("job-unit");
  req.set_executor_id("exec-0");
  req.set_batch_id(batch);
  req.mutable_range()->set_partition(partition);
  req.mutable_range()->set_start_offset(start);
  req.mutable_range()->set_end_offset(end);
  req.set_watermark_ms(watermark);
  req.set_attempt(attempt);
  for (uint32_t s = 0; s < kShufflePartitions; ++s) {
    auto* t = req.add_targets();
    t->set_shuffle_partition(static_cast<int32_t>(s));
    t->set_executor_id("exec-0");
    t->set_address(kSelf);
  }
  return req;
}

struct Expect {
  int32_t map_partition, blocks, attempt;
};

// The state task of `batch`; the batch before it is the last committed one (its state is what
// the executor holds locally unless `committed` says otherwise).
proto::StateTaskRequest StateTask(int64_t batch, int32_t s, int64_t watermark,
                                  const std::vector<Expect>& expected, int64_t committed = -2) {
  proto::StateTaskRequest req;
  req.set_committed_batch(committed == -2 ? batch - 1 : committed);
  req.set_committed_watermark_ms(kNoWatermark);
  req.set_job_id("job-unit");
  req.set_executor_id("exec-0");
  req.set_batch_id(batch);
  req.set_shuffle_partition(s);
  KeyGroupRange r = RangeOfPartition(static_cast<uint32_t>(s), kShufflePartitions, kKeyGroups);
  req.mutable_key_groups()->set_begin(r.begin);
  req.mutable_key_groups()->set_end(r.end);
  req.set_watermark_ms(watermark);
  for (const auto& e : expected) {
    auto* x = req.add_expected();
    x->set_map_partition(e.map_partition);
    x->set_blocks(e.blocks);
    x->set_attempt(e.attempt);
  }
  return req;
}

struct OutRow {
  int64_t start, end;
  std::string key;
  int64_t count;
  bool operator<(const OutRow& o) const {
    return std::tie(start, key, end, count) < std::tie(o.start, o.key, o.end, o.count);
  }
  bool operator==(const OutRow&) const = default;
};

struct Harness {
  TempDir dir{"spate-executor-unit"};
  std::shared_ptr<Topic> topic = std::make_shared<Topic>();
  LoopbackTransport transport;
  int readers_made = 0;
  std::unique_ptr<Executor> executor;

  explicit Harness(proto::LaunchExecutorRequest req = Launch()) {
    auto e = Executor::Make(req, dir.path(), &transport, [this]() {
      ++readers_made;
      return Result<std::unique_ptr<PartitionReader>>(
          std::unique_ptr<PartitionReader>(new VectorReader(topic)));
    });
    REQUIRE(e.ok());
    executor = std::move(*e);
    transport.target = executor.get();
  }

  proto::SourceTaskReply Source(int64_t batch, int32_t partition, int64_t watermark,
                                int32_t attempt = 0) {
    auto r = executor->RunSourceTask(SourceTask(
        batch, partition, 0, static_cast<int64_t>((*topic)[partition].size()), watermark, attempt));
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    REQUIRE(r->blocks_per_shuffle_partition_size() == static_cast<int>(kShufflePartitions));
    return *r;
  }

  // Runs both state tasks of `batch`; returns their rows, sorted, and checks their routing.
  std::vector<OutRow> State(int64_t batch, int64_t watermark,
                            const std::vector<std::pair<int32_t, proto::SourceTaskReply>>& sources,
                            int32_t attempt = 0, int64_t* state_rows = nullptr) {
    std::vector<OutRow> rows;
    int64_t total_state = 0;
    for (int32_t s = 0; s < static_cast<int32_t>(kShufflePartitions); ++s) {
      std::vector<Expect> expected;
      for (const auto& [mp, reply] : sources)
        expected.push_back({mp, reply.blocks_per_shuffle_partition(s), attempt});
      auto r = executor->RunStateTask(StateTask(batch, s, watermark, expected));
      INFO(r.status().ToString());
      REQUIRE(r.ok());
      total_state += r->state_rows();
      for (const auto& row : r->rows()) {
        CHECK(PartitionOfKeyGroup(KeyGroupOf(row.key(), kKeyGroups), kShufflePartitions,
                                  kKeyGroups) == static_cast<uint32_t>(s));
        rows.push_back({row.window_start_ms(), row.window_end_ms(), row.key(), row.count()});
      }
    }
    if (state_rows != nullptr) *state_rows = total_state;
    std::sort(rows.begin(), rows.end());
    return rows;
  }
};

// A data set over two Kafka partitions whose result is known.
void FillCrashData(Topic* t) {
  auto& p0 = (*t)[0];
  p0 = {Crash(kW + 1, "user_a"),
        Crash(kW + 2, "user_a", "Critical"),
        Crash(kW + 3, "user_b"),
        Crash(kW + 4, "user_b"),
        Crash(kW + 9'999, "user_b"),
        Crash(kW + 5, "user_c"),
        Crash(kW + 6, "user_c"),  // user_c: 2, exactly the threshold
        Rec(kW + 7, "Low", "user_a", "crash"),
        Rec(kW + 8, "High", "user_a", "all good"),
        "{\"crash\"",  // malformed
        Crash(kW + 10'000, "user_d"),
        Crash(kW + 10'001, "user_d"),
        Crash(kW + 19'999, "user_d")};
  auto& p1 = (*t)[1];
  p1 = {Crash(kW + 500, "user_a"),
        Crash(kW + 15'000, "user_d"),
        Rec(kW - 10'000, "HIGH", "user_e", "CRASH"),
        Rec(kW - 9'000, "critical", "user_e", "Crash"),
        Rec(kW - 8'000, "High", "user_e", "cr\\u0061sh"),
        Rec(kW - 7'000, "High", "user_e", "crash"),
        Rec(kW - 1, "High", "user_e", "crash")};
}

const std::vector<OutRow> kCrashRows = {
    {kW - 10'000, kW, "user_e", 5},
    {kW, kW + 10'000, "user_a", 3},
    {kW, kW + 10'000, "user_b", 3},
    {kW + 10'000, kW + 20'000, "user_d", 4},
};

TEST_CASE("executor runs stage 1 and stage 2 in process and emits exactly the expected rows",
          "[unit]") {
  Harness h;
  FillCrashData(h.topic.get());
  auto r0 = h.Source(0, 0, kNoWatermark);
  auto r1 = h.Source(0, 1, kNoWatermark);
  CHECK(r0.records_read() == 13);
  CHECK(r0.rows_matched() == 10);
  CHECK(r0.rows_late() == 0);
  CHECK(r0.malformed() == 1);
  CHECK(r0.malformed_by_reason().at("not_json") == 1);
  CHECK(r0.has_event_time());
  CHECK(r0.min_event_time_ms() == kW + 1);
  CHECK(r0.max_event_time_ms() == kW + 19'999);
  CHECK(r0.shuffle_records_written() == 4);  // (kW,a) (kW,b) (kW,c) (kW+10s,d)
  CHECK(r0.shuffle_bytes_written() > 0);
  CHECK(r1.records_read() == 7);
  CHECK(r1.shuffle_records_written() == 3);  // (kW,a) (kW+10s,d) (kW-10s,e)
  CHECK(h.transport.addresses == std::set<std::string>{kSelf});

  // Batch 0 merges into state; its watermark closes nothing.
  int64_t state_rows = 0;
  CHECK(h.State(0, kNoWatermark, {{0, r0}, {1, r1}}, 0, &state_rows).empty());
  CHECK(state_rows == 5);  // (kW-10s,e) (kW,a) (kW,b) (kW,c) (kW+10s,d)
  // The final batch (no input, end of event time) emits every window once.
  CHECK(h.State(1, kMax, {}, 0, &state_rows) == kCrashRows);
  CHECK(state_rows == 0);
  CHECK(h.State(2, kMax, {}).empty());
}

TEST_CASE("a watermark between windows emits only the windows that ended", "[unit]") {
  Harness h;
  FillCrashData(h.topic.get());
  auto r0 = h.Source(0, 0, kNoWatermark);
  auto r1 = h.Source(0, 1, kNoWatermark);
  CHECK(h.State(0, kNoWatermark, {{0, r0}, {1, r1}}).empty());
  CHECK(h.State(1, kW + 9'999, {}) == std::vector<OutRow>{kCrashRows[0]});
  CHECK(h.State(2, kW + 10'000, {}) == std::vector<OutRow>{kCrashRows[1], kCrashRows[2]});
  CHECK(h.State(3, kW + 19'999, {}).empty());
  CHECK(h.State(4, kW + 20'000, {}) == std::vector<OutRow>{kCrashRows[3]});
}

TEST_CASE("executor source tasks can run concurrently on its cores", "[unit]") {
  Harness h;
  FillCrashData(h.topic.get());
  auto f0 = std::async(std::launch::async, [&] {
    return h.executor->RunSourceTask(SourceTask(0, 0, 0, 13, kNoWatermark));
  });
  auto f1 = std::async(std::launch::async, [&] {
    return h.executor->RunSourceTask(SourceTask(0, 1, 0, 7, kNoWatermark));
  });
  auto r0 = f0.get();
  auto r1 = f1.get();
  REQUIRE(r0.ok());
  REQUIRE(r1.ok());
  CHECK(h.State(0, kNoWatermark, {{0, *r0}, {1, *r1}}).empty());
  CHECK(h.State(1, kMax, {}) == kCrashRows);
  CHECK(h.readers_made <= 2);
  // Readers are pooled: later tasks reuse them.
  h.Source(1, 0, kNoWatermark);
  h.Source(1, 1, kNoWatermark);
  CHECK(h.readers_made <= 2);
}

TEST_CASE("a reader failure fails the source task and the reader is replaced", "[unit]") {
  Harness h;
  FillCrashData(h.topic.get());
  auto bad = h.executor->RunSourceTask(SourceTask(0, 7, 0, 1, kNoWatermark));
  CHECK(bad.status().code() == StatusCode::kUnavailable);
  CHECK_THAT(bad.status().message(), Catch::Contains("partition 7"));
  CHECK(h.readers_made == 1);
  h.Source(0, 0, kNoWatermark);
  CHECK(h.readers_made == 2);  // the failed reader was dropped, not pooled
  h.Source(0, 1, kNoWatermark);
  CHECK(h.readers_made == 2);
}

// Runs both state tasks of `batch` with explicit committed-batch information; returns the rows
// and whether any task restored state from the checkpoint.
std::vector<OutRow> StateAt(Harness& h, int64_t batch, int64_t watermark, int64_t committed,
                            int64_t committed_watermark, bool* restored) {
  std::vector<OutRow> rows;
  *restored = false;
  for (int32_t s = 0; s < static_cast<int32_t>(kShufflePartitions); ++s) {
    auto req = StateTask(batch, s, watermark, {}, committed);
    req.set_committed_watermark_ms(committed_watermark);
    auto r = h.executor->RunStateTask(req);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    *restored = *restored || r->restored();
    for (const auto& row : r->rows())
      rows.push_back({row.window_start_ms(), row.window_end_ms(), row.key(), row.count()});
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST_CASE("a new executor restores its key groups from the checkpoint and goes on", "[unit]") {
  TempDir checkpoint("spate-checkpoint-unit");
  auto req = Launch();
  req.mutable_spec()->set_checkpoint_dir(checkpoint.path());
  Harness a(req);
  FillCrashData(a.topic.get());
  (*a.topic)[2] = {Crash(kW + 700, "user_a"), Crash(kW + 800, "user_c")};
  // Batch 0 (a snapshot) and batch 1 (a delta) run on executor a.
  auto r0 = a.Source(0, 0, kNoWatermark);
  auto r1 = a.Source(0, 1, kNoWatermark);
  REQUIRE(a.State(0, kNoWatermark, {{0, r0}, {1, r1}}).empty());
  auto r2 = a.Source(1, 2, kNoWatermark);
  REQUIRE(a.State(1, kNoWatermark, {{2, r2}}).empty());

  // Executor b, on another worker (its own work dir), takes every key group over at batch 2.
  Harness b(req);
  bool restored = false;
  auto rows = StateAt(b, 2, kMax, 1, kNoWatermark, &restored);
  CHECK(restored);
  const std::vector<OutRow> expected = {
      {kW - 10'000, kW, "user_e", 5},          {kW, kW + 10'000, "user_a", 4},
      {kW, kW + 10'000, "user_b", 3},          {kW, kW + 10'000, "user_c", 3},
      {kW + 10'000, kW + 20'000, "user_d", 4},
  };
  CHECK(rows == expected);
  // Executor a, whose local state is at batch 1, gives the same rows without a restore.
  CHECK(StateAt(a, 2, kMax, 1, kNoWatermark, &restored) == expected);
  CHECK_FALSE(restored);
}

TEST_CASE("state that must be restored without a checkpoint dir fails the state task", "[unit]") {
  Harness h;  // no checkpoint dir
  auto r = h.executor->RunStateTask(StateTask(5, 0, kMax, {}, 4));
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(r.status().message(), Catch::Contains("checkpoint"));
}

TEST_CASE("a state task whose checkpoint dir this worker cannot see fails, never starts empty",
          "[unit]") {
  TempDir scratch("spate-checkpoint-unit");
  auto req = Launch();
  req.mutable_spec()->set_checkpoint_dir(scratch.path() + "/on-another-machine");
  Harness h(req);
  auto r = h.executor->RunStateTask(StateTask(5, 0, kMax, {}, 4));
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(r.status().message(), Catch::Contains("does not exist on this worker"));
}

TEST_CASE("a source task without shuffle targets is rejected", "[unit]") {
  Harness h;
  (*h.topic)[0] = {Crash(kW, "u")};
  auto req = SourceTask(0, 0, 0, 1, kNoWatermark);
  req.clear_targets();
  CHECK(h.executor->RunSourceTask(req).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("records behind the batch watermark are dropped as late in the executor", "[unit]") {
  Harness h;
  FillCrashData(h.topic.get());
  auto r0 = h.Source(0, 0, kW + 10'000);  // the window starting at kW has closed
  CHECK(r0.rows_matched() == 10);
  CHECK(r0.rows_late() == 7);
  CHECK(r0.shuffle_records_written() == 1);  // only user_d's window is open
  auto r1 = h.Source(0, 1, kW + 10'000);
  CHECK(r1.rows_late() == 6);
  CHECK(h.State(0, kW + 10'000, {{0, r0}, {1, r1}}).empty());
  CHECK(h.State(1, kMax, {}) == std::vector<OutRow>{kCrashRows[3]});
}

TEST_CASE("a stale attempt's shuffle blocks are ignored", "[unit]") {
  Harness h;
  FillCrashData(h.topic.get());
  // Attempt 0 of the batch wrote blocks that arrive only after attempt 1's.
  h.transport.hold = true;
  h.Source(0, 0, kNoWatermark, 0);
  h.Source(0, 1, kNoWatermark, 0);
  std::vector<proto::ShuffleBlock> stale = h.transport.held;
  REQUIRE_FALSE(stale.empty());
  h.transport.hold = false;
  auto r0 = h.Source(0, 0, kNoWatermark, 1);
  auto r1 = h.Source(0, 1, kNoWatermark, 1);
  for (auto b : stale) {
    b.set_seq(b.seq() + 10);  // would be new blocks if the attempt were not checked
    CHECK(h.executor->AcceptShuffle(b).ok());
  }
  // And a hand-made stale block with a row of its own.
  proto::ShuffleBlock ghost;
  ghost.set_job_id("job-unit");
  ghost.set_executor_id("exec-0");
  ghost.set_batch_id(0);
  ghost.set_shuffle_partition(0);
  ghost.set_map_partition(0);
  ghost.set_attempt(0);
  ghost.set_seq(99);
  std::string data;
  std::string key = "ghost";
  while (PartitionOfKeyGroup(KeyGroupOf(key, kKeyGroups), kShufflePartitions, kKeyGroups) != 0)
    key += "_";
  AppendEntry({KeyGroupOf(key, kKeyGroups), kW, key, 100}, &data);
  ghost.set_data(data);
  CHECK(h.executor->AcceptShuffle(ghost).ok());

  CHECK(h.State(0, kNoWatermark, {{0, r0}, {1, r1}}, 1).empty());
  CHECK(h.State(1, kMax, {}) == kCrashRows);
}

TEST_CASE("a newer attempt replaces the blocks of an older one", "[unit]") {
  Harness h;
  FillCrashData(h.topic.get());
  h.Source(0, 0, kNoWatermark, 0);  // delivered
  // An extra block of attempt 0 that attempt 1 does not write.
  proto::ShuffleBlock extra;
  extra.set_job_id("job-unit");
  extra.set_executor_id("exec-0");
  extra.set_batch_id(0);
  extra.set_shuffle_partition(1);
  extra.set_map_partition(0);
  extra.set_attempt(0);
  extra.set_seq(5);
  std::string data;
  std::string key = "ghost";
  while (PartitionOfKeyGroup(KeyGroupOf(key, kKeyGroups), kShufflePartitions, kKeyGroups) != 1)
    key += "_";
  AppendEntry({KeyGroupOf(key, kKeyGroups), kW, key, 100}, &data);
  extra.set_data(data);
  REQUIRE(h.executor->AcceptShuffle(extra).ok());
  auto r0 = h.Source(0, 0, kNoWatermark, 1);
  auto r1 = h.Source(0, 1, kNoWatermark, 1);
  CHECK(h.State(0, kNoWatermark, {{0, r0}, {1, r1}}, 1).empty());
  CHECK(h.State(1, kMax, {}) == kCrashRows);
}

TEST_CASE("blocks of an attempt other than the expected one are never merged", "[unit]") {
  // Attempt 0 of map partition 0 wrote a block for shuffle partition 0; attempt 1 of the same
  // task wrote nothing there. The state task of attempt 1 must not merge attempt 0's block.
  Harness h;
  std::string key = "ghost";
  while (PartitionOfKeyGroup(KeyGroupOf(key, kKeyGroups), kShufflePartitions, kKeyGroups) != 0)
    key += "_";
  std::string data;
  AppendEntry({KeyGroupOf(key, kKeyGroups), kW, key, 100}, &data);
  proto::ShuffleBlock b;
  b.set_job_id("job-unit");
  b.set_executor_id("exec-0");
  b.set_batch_id(0);
  b.set_shuffle_partition(0);
  b.set_map_partition(0);
  b.set_attempt(0);
  b.set_data(data);
  REQUIRE(h.executor->AcceptShuffle(b).ok());
  auto r = h.executor->RunStateTask(StateTask(0, 0, kNoWatermark, {{0, 0, 1}}));
  REQUIRE(r.ok());
  CHECK(r->rows_merged() == 0);
  CHECK(r->state_rows() == 0);
  CHECK(r->shuffle_bytes_read() == 0);
  auto flushed = h.executor->RunStateTask(StateTask(1, 0, kMax, {}));
  REQUIRE(flushed.ok());
  CHECK(flushed->rows_size() == 0);
}

TEST_CASE("a state task that expects no blocks runs at once", "[unit]") {
  Harness h;
  auto started = std::chrono::steady_clock::now();
  auto r = h.executor->RunStateTask(StateTask(0, 0, kMax, {{0, 0, 0}, {1, 0, 0}}));
  REQUIRE(r.ok());
  CHECK(r->rows_size() == 0);
  CHECK(r->rows_merged() == 0);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
}

TEST_CASE("a state task waits for blocks that arrive after it started", "[unit]") {
  Harness h;
  FillCrashData(h.topic.get());
  h.transport.hold = true;
  auto r0 = h.Source(0, 0, kNoWatermark);
  auto r1 = h.Source(0, 1, kNoWatermark);
  std::vector<proto::ShuffleBlock> blocks = h.transport.held;
  auto deliver = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (const auto& b : blocks) (void)h.executor->AcceptShuffle(b);
  });
  CHECK(h.State(0, kNoWatermark, {{0, r0}, {1, r1}}).empty());
  deliver.get();
  CHECK(h.State(1, kMax, {}) == kCrashRows);
}

TEST_CASE("a missing shuffle block fails the state task with FailedPrecondition", "[unit]") {
  // Waits the executor's full block wait (10 s).
  Harness h;
  auto started = std::chrono::steady_clock::now();
  auto r = h.executor->RunStateTask(StateTask(3, 1, kMax, {{0, 0, 0}, {5, 1, 0}}));
  auto waited = std::chrono::steady_clock::now() - started;
  CHECK(r.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(r.status().message(), Catch::Contains("missing"));
  CHECK_THAT(r.status().message(), Catch::Contains("batch 3"));
  CHECK_THAT(r.status().message(), Catch::Contains("exec-0"));
  CHECK(waited >= std::chrono::seconds(9));
  CHECK(waited < std::chrono::seconds(30));
}

TEST_CASE("a shuffle entry routed to the wrong partition fails the state task", "[unit]") {
  Harness h;
  std::string key = "misrouted";
  while (PartitionOfKeyGroup(KeyGroupOf(key, kKeyGroups), kShufflePartitions, kKeyGroups) != 1)
    key += "_";
  std::string data;
  AppendEntry({KeyGroupOf(key, kKeyGroups), kW, key, 3}, &data);
  proto::ShuffleBlock b;
  b.set_job_id("job-unit");
  b.set_executor_id("exec-0");
  b.set_batch_id(0);
  b.set_shuffle_partition(0);  // but the key group belongs to partition 1
  b.set_map_partition(0);
  b.set_data(data);
  REQUIRE(h.executor->AcceptShuffle(b).ok());
  auto r = h.executor->RunStateTask(StateTask(0, 0, kMax, {{0, 1, 0}}));
  CHECK(r.status().code() == StatusCode::kInternal);
  CHECK_THAT(r.status().message(), Catch::Contains("wrong partition"));
}

TEST_CASE("a corrupt shuffle block fails the state task with Corruption", "[unit]") {
  Harness h;
  proto::ShuffleBlock b;
  b.set_job_id("job-unit");
  b.set_executor_id("exec-0");
  b.set_batch_id(0);
  b.set_shuffle_partition(0);
  b.set_map_partition(0);
  b.set_data(std::string(8, '\x80'));
  REQUIRE(h.executor->AcceptShuffle(b).ok());
  auto r = h.executor->RunStateTask(StateTask(0, 0, kMax, {{0, 1, 0}}));
  CHECK(r.status().code() == StatusCode::kCorruption);
}

proto::ShuffleBlock BigBlock(int64_t batch, int32_t seq, size_t bytes) {
  // One valid entry of partition 0 whose key is `bytes` long.
  std::string key(bytes, 'k');
  while (PartitionOfKeyGroup(KeyGroupOf(key, kKeyGroups), kShufflePartitions, kKeyGroups) != 0)
    key.back() = static_cast<char>(key.back() + 1);
  std::string data;
  AppendEntry({KeyGroupOf(key, kKeyGroups), kW, key, 1}, &data);
  proto::ShuffleBlock b;
  b.set_job_id("job-unit");
  b.set_executor_id("exec-0");
  b.set_batch_id(batch);
  b.set_shuffle_partition(0);
  b.set_map_partition(0);
  b.set_seq(seq);
  b.set_data(data);
  return b;
}

TEST_CASE("the shuffle inbox pushes back when over the executor's memory budget", "[unit]") {
  Harness h(Launch(int64_t{1} << 20));  // 1 MB executor: a 512 KB inbox
  REQUIRE(h.executor->AcceptShuffle(BigBlock(0, 0, 300'000)).ok());
  Status full = h.executor->AcceptShuffle(BigBlock(0, 1, 300'000));
  CHECK(full.code() == StatusCode::kResourceExhausted);
  CHECK_THAT(full.message(), Catch::Contains("exec-0"));
  CHECK_THAT(full.message(), Catch::Contains("full"));
  // Small blocks still fit.
  CHECK(h.executor->AcceptShuffle(BigBlock(0, 2, 100'000)).ok());
  // A state task drains the inbox; then there is room again.
  auto r = h.executor->RunStateTask(StateTask(0, 0, kNoWatermark, {{0, 2, 0}}));
  REQUIRE(r.ok());
  CHECK(r->rows_merged() == 2);
  CHECK(r->shuffle_bytes_read() > 400'000);
  CHECK(h.executor->AcceptShuffle(BigBlock(1, 0, 300'000)).ok());
  CHECK(h.executor->AcceptShuffle(BigBlock(1, 1, 150'000)).ok());
}

TEST_CASE("an empty inbox accepts a block larger than the whole budget", "[unit]") {
  // Otherwise a large block could never be delivered.
  Harness h(Launch(int64_t{1} << 20));
  CHECK(h.executor->AcceptShuffle(BigBlock(0, 0, 700'000)).ok());
  CHECK(h.executor->AcceptShuffle(BigBlock(0, 1, 10)).code() == StatusCode::kResourceExhausted);
}

TEST_CASE("the pre-filter can be switched off per job", "[unit]") {
  auto req = Launch();
  (*req.mutable_spec()->mutable_conf())["spate.source.prefilter"] = "false";
  Harness h(req);
  (*h.topic)[0] = {"not json", "[]", Crash(kW, "u")};
  auto r = h.Source(0, 0, kNoWatermark);
  CHECK(r.malformed() == 2);
  Harness with_prefilter;
  (*with_prefilter.topic)[0] = {"not json", "[]", Crash(kW, "u")};
  CHECK(with_prefilter.Source(0, 0, kNoWatermark).malformed() == 0);
}

TEST_CASE("an executor for an unknown job or with bad settings is not made", "[unit]") {
  TempDir dir("spate-executor-unit");
  LoopbackTransport transport;
  auto req = Launch();
  req.mutable_spec()->set_job_name("word-count");
  auto e = Executor::Make(req, dir.path(), &transport);
  CHECK(e.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(e.status().message(), Catch::Contains("word-count"));
  req = Launch();
  (*req.mutable_spec()->mutable_conf())["spate.source.stall-timeout"] = "soon";
  CHECK(Executor::Make(req, dir.path(), &transport).status().code() ==
        StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- WorkerHandler

TEST_CASE("worker handler launches executors idempotently and routes shuffle blocks to owners",
          "[unit]") {
  TempDir dir("spate-worker-unit");
  LoopbackTransport transport;
  WorkerHandler handler(dir.path(), &transport);
  proto::LaunchExecutorReply launched;
  REQUIRE(handler.HandleLaunchExecutor(Launch(), &launched).ok());
  REQUIRE(handler.HandleLaunchExecutor(Launch(), &launched).ok());  // a retried launch
  CHECK(handler.ExecutorIds() == std::vector<std::string>{"exec-0"});

  proto::PushShuffleReply pushed;
  CHECK(handler.HandlePushShuffle(BigBlock(0, 0, 10), &pushed).ok());
  auto other_job = BigBlock(0, 0, 10);
  other_job.set_job_id("job-other");
  CHECK(handler.HandlePushShuffle(other_job, &pushed).code() == StatusCode::kNotFound);
  auto other_executor = BigBlock(0, 0, 10);
  other_executor.set_executor_id("exec-9");
  Status s = handler.HandlePushShuffle(other_executor, &pushed);
  CHECK(s.code() == StatusCode::kNotFound);
  CHECK_THAT(s.message(), Catch::Contains("exec-9"));

  // The pushed block is there for the state task.
  proto::StateTaskReply state;
  REQUIRE(handler.HandleRunStateTask(StateTask(0, 0, kNoWatermark, {{0, 1, 0}}), &state).ok());
  CHECK(state.rows_merged() == 1);
  CHECK(state.state_rows() == 1);
}

TEST_CASE("worker handler answers NotFound for executors it does not run", "[unit]") {
  TempDir dir("spate-worker-unit");
  LoopbackTransport transport;
  WorkerHandler handler(dir.path(), &transport);
  proto::SourceTaskReply source;
  Status s = handler.HandleRunSourceTask(SourceTask(0, 0, 0, 1, kNoWatermark), &source);
  CHECK(s.code() == StatusCode::kNotFound);
  CHECK_THAT(s.message(), Catch::Contains("exec-0"));
  proto::StateTaskReply state;
  CHECK(handler.HandleRunStateTask(StateTask(0, 0, kMax, {}), &state).code() ==
        StatusCode::kNotFound);
  proto::StopExecutorRequest stop;
  stop.set_job_id("job-unit");
  stop.set_executor_id("exec-0");
  proto::StopExecutorReply stopped;
  CHECK(handler.HandleStopExecutor(stop, &stopped).ok());  // stopping nothing is fine
}

TEST_CASE("a stopped executor no longer takes tasks or blocks", "[unit]") {
  TempDir dir("spate-worker-unit");
  LoopbackTransport transport;
  WorkerHandler handler(dir.path(), &transport);
  proto::LaunchExecutorReply launched;
  REQUIRE(handler.HandleLaunchExecutor(Launch(), &launched).ok());
  proto::StopExecutorRequest stop;
  stop.set_job_id("job-unit");
  stop.set_executor_id("exec-0");
  proto::StopExecutorReply stopped;
  REQUIRE(handler.HandleStopExecutor(stop, &stopped).ok());
  CHECK(handler.ExecutorIds().empty());
  proto::PushShuffleReply pushed;
  CHECK(handler.HandlePushShuffle(BigBlock(0, 0, 10), &pushed).code() == StatusCode::kNotFound);
  proto::StateTaskReply state;
  CHECK(handler.HandleRunStateTask(StateTask(0, 0, kMax, {}), &state).code() ==
        StatusCode::kNotFound);
}

TEST_CASE("worker handler refuses to launch an executor of an unknown job", "[unit]") {
  TempDir dir("spate-worker-unit");
  LoopbackTransport transport;
  WorkerHandler handler(dir.path(), &transport);
  auto req = Launch();
  req.mutable_spec()->set_job_name("nope");
  proto::LaunchExecutorReply launched;
  CHECK(handler.HandleLaunchExecutor(req, &launched).code() == StatusCode::kInvalidArgument);
  CHECK(handler.ExecutorIds().empty());
}

TEST_CASE("a task the master cancelled stops and frees its core", "[unit]") {
  Harness h;
  FillCrashData(h.topic.get());
  // Stage 2 waiting for blocks that will never come (their sender was cut off) gives up as
  // soon as its call is cancelled, not after the 10 s wait for missing blocks.
  std::atomic<bool> cancelled{false};
  auto started = std::chrono::steady_clock::now();
  auto waiting = std::async(std::launch::async, [&] {
    return h.executor->RunStateTask(StateTask(0, 0, kNoWatermark, {{0, 1, 0}}),
                                    [&] { return cancelled.load(); });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  cancelled = true;
  auto r = waiting.get();
  CHECK(r.status().code() == StatusCode::kCancelled);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  // Stage 1 of a cancelled attempt pushes nothing.
  auto s = h.executor->RunSourceTask(SourceTask(0, 0, 0, 13, kNoWatermark), [] { return true; });
  CHECK(s.status().code() == StatusCode::kCancelled);
  CHECK(h.transport.pushes == 0);
  // Both cores are free again: two tasks run at the same time.
  auto f0 = std::async(std::launch::async, [&] {
    return h.executor->RunSourceTask(SourceTask(1, 0, 0, 13, kNoWatermark));
  });
  auto f1 = std::async(std::launch::async, [&] {
    return h.executor->RunSourceTask(SourceTask(1, 1, 0, 7, kNoWatermark));
  });
  CHECK(f0.get().ok());
  CHECK(f1.get().ok());
  CHECK(h.transport.pushes > 0);
}

}  // namespace
}  // namespace spate::worker
