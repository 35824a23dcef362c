// State checkpoint files: restore takes only the attempt of each batch that committed.
#include "worker/checkpoint.h"

#include <catch2/catch.hpp>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/record_file.h"
#include "proto/spate.pb.h"
#include "tests/support/process.h"

namespace spate::worker {
namespace {

using spate::testing::TempDir;

constexpr int64_t kWindow = 10'000;
constexpr int64_t kNoWatermark = INT64_MIN;

void WriteCommit(const std::string& dir, int64_t batch, int32_t attempt) {
  char name[32];
  std::snprintf(name, sizeof(name), "%012" PRId64, batch);
  proto::BatchCommit c;
  c.set_batch_id(batch);
  c.set_attempt(attempt);
  REQUIRE(WriteRecordFile(dir + "/commits/" + name, c.SerializeAsString()).ok());
}

int64_t CountOf(const std::vector<OwnedEntry>& state, const std::string& key) {
  int64_t n = 0;
  for (const auto& e : state)
    if (e.key == key) n += e.count;
  return n;
}

TEST_CASE("restore ignores state files of attempts that never committed", "[unit]") {
  TempDir dir("spate-checkpoint");
  StateCheckpoint ckpt(dir.path() + "/state", dir.path() + "/commits");
  const KeyGroupRange all{0, 64}, low{0, 32}, high{32, 64};
  // Batch 0, attempt 0, on one executor owning every key group: a snapshot.
  REQUIRE(ckpt.WriteSnapshot(0, 0, all, {{3, 0, "user_a", 1}, {40, 0, "user_b", 1}}).ok());
  WriteCommit(dir.path(), 0, 0);
  // Batch 1: attempt 0 wrote a delta over every key group, then the master gave up on it (a
  // worker was lost) and attempt 1, split over two executors, committed. A task of attempt 0
  // cut off by the network may even write after attempt 1 did.
  REQUIRE(ckpt.WriteDelta(1, 1, low, {{3, 0, "user_a", 2}}).ok());
  REQUIRE(ckpt.WriteDelta(1, 1, high, {{40, 0, "user_b", 5}}).ok());
  REQUIRE(ckpt.WriteDelta(1, 0, all, {{3, 0, "user_a", 2}, {40, 0, "user_b", 5}}).ok());
  WriteCommit(dir.path(), 1, 1);

  auto state = ckpt.Load(all, 1, kNoWatermark, kWindow);
  REQUIRE(state.ok());
  CHECK(CountOf(*state, "user_a") == 3);
  CHECK(CountOf(*state, "user_b") == 6);
  auto low_state = ckpt.Load(low, 1, kNoWatermark, kWindow);
  REQUIRE(low_state.ok());
  CHECK(CountOf(*low_state, "user_a") == 3);
  CHECK(CountOf(*low_state, "user_b") == 0);

  // A snapshot of an abandoned attempt is no base for restore either.
  REQUIRE(ckpt.WriteSnapshot(2, 0, all, {{3, 0, "user_a", 100}}).ok());
  REQUIRE(ckpt.WriteDelta(2, 1, low, {{3, 0, "user_a", 1}}).ok());
  WriteCommit(dir.path(), 2, 1);
  auto later = ckpt.Load(all, 2, kNoWatermark, kWindow);
  REQUIRE(later.ok());
  CHECK(CountOf(*later, "user_a") == 4);
  CHECK(CountOf(*later, "user_b") == 6);
}

TEST_CASE("without a commit log every attempt's files are restored", "[unit]") {
  TempDir dir("spate-checkpoint");
  StateCheckpoint ckpt(dir.path() + "/state");
  REQUIRE(ckpt.WriteSnapshot(0, 0, {0, 64}, {{3, 0, "user_a", 2}}).ok());
  REQUIRE(ckpt.WriteDelta(1, 3, {0, 64}, {{3, 0, "user_a", 1}}).ok());
  auto state = ckpt.Load({0, 64}, 1, kNoWatermark, kWindow);
  REQUIRE(state.ok());
  CHECK(CountOf(*state, "user_a") == 3);
}

TEST_CASE("restoring from a checkpoint dir this worker cannot see is an error, never empty state",
          "[unit]") {
  TempDir dir("spate-checkpoint");
  StateCheckpoint ckpt(dir.path() + "/not-mounted/state", dir.path() + "/not-mounted/commits");
  auto state = ckpt.Load({0, 64}, 3, kNoWatermark, kWindow);
  REQUIRE_FALSE(state.ok());
  CHECK(state.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(state.status().message(), Catch::Contains(dir.path() + "/not-mounted/state"));
  // Before the first commit there is nothing to restore: empty state is right.
  auto none = ckpt.Load({0, 64}, -1, kNoWatermark, kWindow);
  REQUIRE(none.ok());
  CHECK(none->empty());
}

TEST_CASE("restoring a committed version whose state files are gone is an error", "[unit]") {
  TempDir dir("spate-checkpoint");
  StateCheckpoint ckpt(dir.path() + "/state", dir.path() + "/commits");
  const KeyGroupRange all{0, 64}, low{0, 32}, high{32, 64};
  REQUIRE(ckpt.WriteSnapshot(0, 0, low, {{3, 0, "user_a", 1}}).ok());
  REQUIRE(ckpt.WriteSnapshot(0, 0, high, {{40, 0, "user_b", 1}}).ok());
  WriteCommit(dir.path(), 0, 0);
  REQUIRE(ckpt.WriteDelta(1, 0, all, {{3, 0, "user_a", 2}}).ok());
  WriteCommit(dir.path(), 1, 0);
  REQUIRE(ckpt.Load(all, 1, kNoWatermark, kWindow).ok());
  // The snapshot of key groups 32-63 is lost (a copy of the dir without it, a deleted file).
  std::filesystem::remove(dir.path() + "/state/snap-000000000000-a0-32-64.bin");
  REQUIRE(ckpt.Load(low, 1, kNoWatermark, kWindow).ok());
  auto state = ckpt.Load(all, 1, kNoWatermark, kWindow);
  REQUIRE_FALSE(state.ok());
  CHECK(state.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(state.status().message(), Catch::Contains("key group 32"));
  // Every state file gone, the directory left: the same.
  for (const auto& f : std::filesystem::directory_iterator(dir.path() + "/state")) {
    std::filesystem::remove(f.path());
  }
  CHECK(ckpt.Load(low, 1, kNoWatermark, kWindow).status().code() ==
        StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace spate::worker
