// Recovery from the checkpoint's offset and commit logs when their newest files are torn,
// empty or garbled: never a rewind, never a skipped batch.
#include "master/batch_log.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/process.h"

namespace spate::master {
namespace {

using spate::testing::TempDir;

proto::BatchPlan Plan(int64_t batch) {
  proto::BatchPlan p;
  p.set_batch_id(batch);
  auto* r = p.add_ranges();
  r->set_partition(0);
  r->set_start_offset(batch * 100);
  r->set_end_offset(batch * 100 + 100);
  p.set_watermark_ms(batch * 1000);
  return p;
}

proto::BatchCommit Commit(int64_t batch) {
  proto::BatchCommit c;
  c.set_batch_id(batch);
  (*c.mutable_next_offsets())[0] = batch * 100 + 100;
  c.set_watermark_ms(batch * 1000);
  c.set_next_watermark_ms(batch * 1000 + 1000);
  return c;
}

// Batches 0..committed committed, 0..planned planned.
void WriteLog(const std::string& dir, int64_t committed, int64_t planned) {
  for (int64_t b = 0; b <= planned; ++b) {
    REQUIRE(WriteProtoRecord(BatchLogPath(dir, "offsets", b), Plan(b)).ok());
    if (b <= committed) REQUIRE(WriteProtoRecord(BatchLogPath(dir, "commits", b), Commit(b)).ok());
  }
}

void Truncate(const std::string& path, size_t keep) { std::filesystem::resize_file(path, keep); }

void Garble(const std::string& path) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(-1, std::ios::end);
  f.put('\x7f');
}

std::vector<int64_t> ReplayIds(const RecoveredBatchLog& log) {
  std::vector<int64_t> ids;
  for (const auto& p : log.replay) ids.push_back(p.batch_id());
  return ids;
}

TEST_CASE("recovery resumes after the newest commit and replays the plan after it", "[unit]") {
  TempDir dir("spate-batch-log");
  WriteLog(dir.path(), 3, 4);
  auto log = RecoverBatchLog(dir.path());
  REQUIRE(log.ok());
  REQUIRE(log->commit);
  CHECK(log->commit->batch_id() == 3);
  CHECK(log->commit->next_offsets().at(0) == 400);
  CHECK(ReplayIds(*log) == std::vector<int64_t>{4});
  CHECK(log->skipped.empty());
}

TEST_CASE("pruning keeps the newest records, and recovery and its torn-commit fallback still work",
          "[unit]") {
  TempDir dir("spate-batch-log");
  WriteLog(dir.path(), 250, 251);
  REQUIRE(PruneBatchLog(dir.path(), 150).ok());
  for (int64_t b : {0, 100, 149}) {
    CHECK_FALSE(std::filesystem::exists(BatchLogPath(dir.path(), "offsets", b)));
    CHECK_FALSE(std::filesystem::exists(BatchLogPath(dir.path(), "commits", b)));
  }
  CHECK(std::filesystem::exists(BatchLogPath(dir.path(), "commits", 150)));
  Truncate(BatchLogPath(dir.path(), "commits", 250), 3);
  auto log = RecoverBatchLog(dir.path());
  REQUIRE(log.ok());
  REQUIRE(log->commit);
  CHECK(log->commit->batch_id() == 249);
  CHECK(ReplayIds(*log) == std::vector<int64_t>{250, 251});
}

TEST_CASE("an empty checkpoint dir has nothing to resume", "[unit]") {
  TempDir dir("spate-batch-log");
  auto log = RecoverBatchLog(dir.path());
  REQUIRE(log.ok());
  CHECK_FALSE(log->commit);
  CHECK(log->replay.empty());
}

TEST_CASE("a torn, empty or garbled newest commit falls back to the one before and replays",
          "[unit]") {
  for (const std::string damage : {"torn", "empty", "garbled"}) {
    INFO(damage);
    TempDir dir("spate-batch-log");
    WriteLog(dir.path(), 3, 3);  // batch 3 committed last, nothing planned after it
    const std::string newest = BatchLogPath(dir.path(), "commits", 3);
    if (damage == "torn") Truncate(newest, std::filesystem::file_size(newest) / 2);
    if (damage == "empty") Truncate(newest, 0);
    if (damage == "garbled") Garble(newest);
    auto log = RecoverBatchLog(dir.path());
    REQUIRE(log.ok());
    REQUIRE(log->commit);
    CHECK(log->commit->batch_id() == 2);
    CHECK(log->commit->next_offsets().at(0) == 300);  // neither rewound nor skipped
    CHECK(ReplayIds(*log) == std::vector<int64_t>{3});
    CHECK(log->replay[0].ranges(0).start_offset() == 300);
    REQUIRE(log->skipped.size() == 1);
    CHECK_THAT(log->skipped[0], Catch::Contains("000000000003"));
  }
}

TEST_CASE("several torn commits fall back past all of them and replay each plan in order",
          "[unit]") {
  TempDir dir("spate-batch-log");
  WriteLog(dir.path(), 4, 5);
  Truncate(BatchLogPath(dir.path(), "commits", 4), 0);
  Garble(BatchLogPath(dir.path(), "commits", 3));
  auto log = RecoverBatchLog(dir.path());
  REQUIRE(log.ok());
  REQUIRE(log->commit);
  CHECK(log->commit->batch_id() == 2);
  CHECK(ReplayIds(*log) == std::vector<int64_t>{3, 4, 5});
}

TEST_CASE("a torn only commit replays the first batch from its plan", "[unit]") {
  TempDir dir("spate-batch-log");
  WriteLog(dir.path(), 0, 0);
  Truncate(BatchLogPath(dir.path(), "commits", 0), 5);
  auto log = RecoverBatchLog(dir.path());
  REQUIRE(log.ok());
  CHECK_FALSE(log->commit);
  CHECK(ReplayIds(*log) == std::vector<int64_t>{0});
}

TEST_CASE("a torn plan after the newest commit is a batch that never started", "[unit]") {
  TempDir dir("spate-batch-log");
  WriteLog(dir.path(), 2, 3);
  Truncate(BatchLogPath(dir.path(), "offsets", 3), 3);
  auto log = RecoverBatchLog(dir.path());
  REQUIRE(log.ok());
  REQUIRE(log->commit);
  CHECK(log->commit->batch_id() == 2);
  CHECK(log->replay.empty());  // batch 3 is planned again from commit 2
  CHECK(log->skipped.size() == 1);
}

TEST_CASE("a record that names another batch is not taken for this one", "[unit]") {
  TempDir dir("spate-batch-log");
  WriteLog(dir.path(), 2, 2);
  REQUIRE(WriteProtoRecord(BatchLogPath(dir.path(), "commits", 2), Commit(1)).ok());
  auto log = RecoverBatchLog(dir.path());
  REQUIRE(log.ok());
  REQUIRE(log->commit);
  CHECK(log->commit->batch_id() == 1);
  CHECK(ReplayIds(*log) == std::vector<int64_t>{2});
}

TEST_CASE("with no readable commit to fall back to, recovery fails instead of rewinding",
          "[unit]") {
  TempDir dir("spate-batch-log");
  WriteLog(dir.path(), 3, 3);
  std::filesystem::remove(BatchLogPath(dir.path(), "commits", 2));
  Garble(BatchLogPath(dir.path(), "commits", 3));
  auto log = RecoverBatchLog(dir.path());
  REQUIRE_FALSE(log.ok());
  CHECK(log.status().code() == StatusCode::kCorruption);
  CHECK_THAT(log.status().message(), Catch::Contains("batch 2"));
}

TEST_CASE("commit and plan files written before records had a header are still read", "[unit]") {
  TempDir dir("spate-batch-log");
  for (int64_t b = 0; b <= 1; ++b) {
    std::filesystem::create_directories(dir.Join("commits"));
    std::filesystem::create_directories(dir.Join("offsets"));
    std::ofstream(BatchLogPath(dir.path(), "commits", b), std::ios::binary)
        << Commit(b).SerializeAsString();
    std::ofstream(BatchLogPath(dir.path(), "offsets", b), std::ios::binary)
        << Plan(b).SerializeAsString();
  }
  std::ofstream(BatchLogPath(dir.path(), "offsets", 2), std::ios::binary)
      << Plan(2).SerializeAsString();
  auto log = RecoverBatchLog(dir.path());
  REQUIRE(log.ok());
  REQUIRE(log->commit);
  CHECK(log->commit->batch_id() == 1);
  CHECK(ReplayIds(*log) == std::vector<int64_t>{2});
}

}  // namespace
}  // namespace spate::master
