// Unit tests of stage-2 window state. Every case runs against both the in-memory store and the
// RocksDB store, which must behave the same.
#include "worker/state_store.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/window.h"
#include "tests/support/process.h"

namespace spate::worker {
namespace {

using spate::testing::TempDir;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kNoWatermark = kMin;
constexpr int64_t kWindow = 10'000;
constexpr int64_t kHaving = 2;  // emit when count > 2
constexpr KeyGroupRange kAll{0, 16};

struct MemoryStore {
  std::unique_ptr<WindowStateStore> store = MakeMemoryStateStore();
};

struct RocksStore {
  TempDir dir{"spate-state-unit"};
  std::unique_ptr<WindowStateStore> store;
  RocksStore() { Reopen(); }
  void Reopen() {
    store.reset();  // RocksDB allows one open instance per directory
    auto s = OpenRocksDbStateStore(dir.Join("state"), 64 << 20);
    REQUIRE(s.ok());
    store = std::move(*s);
  }
};

// A batch of entries that owns their keys (ShuffleEntry only views them).
struct Batch {
  std::vector<std::unique_ptr<std::string>> keys;
  std::vector<ShuffleEntry> entries;
  Batch& Add(uint32_t kg, int64_t ws, std::string key, int64_t count) {
    keys.push_back(std::make_unique<std::string>(std::move(key)));
    entries.push_back({kg, ws, *keys.back(), count});
    return *this;
  }
};

ApplyResult Apply(WindowStateStore& store, const Batch& b, int64_t watermark,
                  KeyGroupRange range = kAll, int64_t having = kHaving) {
  auto r = store.ApplyBatch(range, b.entries, watermark, kWindow, having);
  REQUIRE(r.ok());
  return std::move(*r);
}

ApplyResult Flush(WindowStateStore& store, int64_t watermark, KeyGroupRange range = kAll,
                  int64_t having = kHaving) {
  return Apply(store, Batch(), watermark, range, having);
}

struct Row {
  int64_t ws;
  std::string key;
  int64_t count;
  bool operator==(const Row&) const = default;
};

std::vector<Row> Rows(const ApplyResult& a) {
  std::vector<Row> out;
  for (const auto& r : a.rows) out.push_back({r.window_start_ms, r.key, r.count});
  return out;
}

}  // namespace
}  // namespace spate::worker

namespace Catch {
template <>
struct StringMaker<spate::worker::Row> {
  static std::string convert(const spate::worker::Row& r) {
    return "{" + std::to_string(r.ws) + ", \"" + r.key + "\", " + std::to_string(r.count) + "}";
  }
};
}  // namespace Catch

namespace spate::worker {
namespace {

using Rs = std::vector<Row>;

TEMPLATE_TEST_CASE("window counts add up across batches", "[unit]", MemoryStore, RocksStore) {
  TestType t;
  auto a = Apply(*t.store, Batch().Add(3, 0, "u", 2).Add(5, 0, "v", 1), kNoWatermark);
  CHECK(a.rows.empty());
  CHECK(a.rows_merged == 2);
  CHECK(a.state_rows == 2);
  CHECK(a.state_bytes > 0);
  CHECK(a.windows_closed == 0);
  a = Apply(*t.store, Batch().Add(3, 0, "u", 3).Add(5, 0, "v", 1), 0);
  CHECK(a.rows.empty());
  CHECK(a.state_rows == 2);
  a = Flush(*t.store, 10'000);
  CHECK(Rows(a) == Rs{{0, "u", 5}});  // v has 2: not more than the threshold
  CHECK(a.windows_closed == 2);
  CHECK(a.rows_merged == 0);
  CHECK(a.state_rows == 0);
  CHECK(a.state_bytes == 0);
}

TEMPLATE_TEST_CASE("a window is emitted exactly when the watermark reaches its end", "[unit]",
                   MemoryStore, RocksStore) {
  TestType t;
  Apply(*t.store, Batch().Add(1, 10'000, "u", 3), kNoWatermark);
  auto a = Flush(*t.store, 19'999);  // the end (20000) is exclusive: still open
  CHECK(a.rows.empty());
  CHECK(a.windows_closed == 0);
  CHECK(a.state_rows == 1);
  a = Flush(*t.store, 20'000);
  CHECK(Rows(a) == Rs{{10'000, "u", 3}});
  CHECK(a.windows_closed == 1);
  CHECK(a.state_rows == 0);
  // Emitted once only.
  CHECK(Flush(*t.store, 20'000).rows.empty());
  CHECK(Flush(*t.store, kMax).rows.empty());
}

TEMPLATE_TEST_CASE(
    "only counts greater than the threshold are emitted but every closed window "
    "is dropped",
    "[unit]", MemoryStore, RocksStore) {
  TestType t;
  Apply(*t.store, Batch().Add(0, 0, "at", 2).Add(1, 0, "above", 3).Add(2, 0, "below", 1),
        kNoWatermark);
  auto a = Flush(*t.store, 10'000);
  CHECK(Rows(a) == Rs{{0, "above", 3}});
  CHECK(a.windows_closed == 3);
  CHECK(a.state_rows == 0);
  CHECK(Flush(*t.store, kMax).rows.empty());

  // Threshold 0: a single record is a row.
  Apply(*t.store, Batch().Add(0, 10'000, "one", 1), kNoWatermark, kAll, 0);
  CHECK(Rows(Flush(*t.store, kMax, kAll, 0)) == Rs{{10'000, "one", 1}});
}

TEMPLATE_TEST_CASE("a closed window's state is deleted: the key's next window starts from zero",
                   "[unit]", MemoryStore, RocksStore) {
  TestType t;
  Apply(*t.store, Batch().Add(4, 0, "u", 3), kNoWatermark);
  CHECK(Rows(Flush(*t.store, 10'000)) == Rs{{0, "u", 3}});
  Apply(*t.store, Batch().Add(4, 10'000, "u", 3), 10'000);
  auto a = Flush(*t.store, 20'000);
  CHECK(Rows(a) == Rs{{10'000, "u", 3}});
  CHECK(a.state_rows == 0);
}

TEMPLATE_TEST_CASE("state of key groups outside the range is untouched", "[unit]", MemoryStore,
                   RocksStore) {
  TestType t;
  const KeyGroupRange low{0, 8}, high{8, 16};
  Apply(*t.store, Batch().Add(1, 0, "a", 3).Add(7, 0, "a7", 4), kNoWatermark, low);
  auto b = Apply(*t.store, Batch().Add(8, 0, "b", 5).Add(15, 0, "b15", 6), kNoWatermark, high);
  CHECK(b.state_rows == 2);  // counts only its own range
  auto a = Flush(*t.store, kMax, low);
  CHECK(Rows(a) == Rs{{0, "a", 3}, {0, "a7", 4}});
  CHECK(a.windows_closed == 2);
  CHECK(a.state_rows == 0);
  b = Flush(*t.store, kNoWatermark, high);
  CHECK(b.rows.empty());
  CHECK(b.state_rows == 2);
  b = Flush(*t.store, kMax, high);
  CHECK(Rows(b) == Rs{{0, "b", 5}, {0, "b15", 6}});
  // A range in the middle of others sees only its own groups.
  Apply(*t.store, Batch().Add(2, 0, "x", 3).Add(3, 0, "y", 3).Add(4, 0, "z", 3), kNoWatermark);
  CHECK(Rows(Flush(*t.store, kMax, KeyGroupRange{3, 4})) == Rs{{0, "y", 3}});
  CHECK(Flush(*t.store, kNoWatermark).state_rows == 2);
}

TEMPLATE_TEST_CASE("negative window starts order and close before later ones", "[unit]",
                   MemoryStore, RocksStore) {
  TestType t;
  const int64_t last = WindowStart(kMax, kWindow);  // its end saturates at INT64_MAX
  Batch b;
  b.Add(2, 10'000, "x", 3)
      .Add(2, 0, "x", 3)
      .Add(2, -10'000, "x", 3)
      .Add(2, -20'000, "x", 3)
      .Add(9, -20'000, "a", 3)
      .Add(2, kMin, "m", 3)
      .Add(2, last, "z", 3);
  Apply(*t.store, b, kNoWatermark);
  CHECK(Rows(Flush(*t.store, 0)) ==
        Rs{{kMin, "m", 3}, {-20'000, "a", 3}, {-20'000, "x", 3}, {-10'000, "x", 3}});
  CHECK(Rows(Flush(*t.store, kMax - 1)) == Rs{{0, "x", 3}, {10'000, "x", 3}});
  CHECK(Rows(Flush(*t.store, kMax)) == Rs{{last, "z", 3}});
  CHECK(Flush(*t.store, kMax).state_rows == 0);
}

TEMPLATE_TEST_CASE("rows come out sorted by window then key, across key groups", "[unit]",
                   MemoryStore, RocksStore) {
  TestType t;
  Apply(*t.store,
        Batch()
            .Add(1, 10'000, "b", 3)
            .Add(15, 0, "c", 3)
            .Add(0, 0, "d", 3)
            .Add(7, 10'000, "a", 3)
            .Add(3, 0, "a", 3),
        kNoWatermark);
  CHECK(Rows(Flush(*t.store, kMax)) ==
        Rs{{0, "a", 3}, {0, "c", 3}, {0, "d", 3}, {10'000, "a", 3}, {10'000, "b", 3}});
}

TEMPLATE_TEST_CASE("keys of any bytes survive state: empty, binary, long", "[unit]", MemoryStore,
                   RocksStore) {
  TestType t;
  const std::string binary("a\0b\xff", 4);
  const std::string long_key(100'000, 'k');
  Apply(*t.store, Batch().Add(0, 0, "", 3).Add(0, 0, binary, 4).Add(0, 0, long_key, 5),
        kNoWatermark);
  CHECK(Rows(Flush(*t.store, kMax)) == Rs{{0, "", 3}, {0, binary, 4}, {0, long_key, 5}});
}

TEMPLATE_TEST_CASE("disjoint key-group ranges can be applied concurrently", "[unit]", MemoryStore,
                   RocksStore) {
  TestType t;
  constexpr int kThreads = 4, kBatches = 40;
  std::vector<std::thread> threads;
  std::vector<std::vector<Row>> emitted(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const KeyGroupRange range{static_cast<uint32_t>(4 * i), static_cast<uint32_t>(4 * i + 4)};
      for (int n = 0; n < kBatches; ++n) {
        Batch b;
        b.Add(range.begin, 0, "k" + std::to_string(i), 1).Add(range.begin + 3, 0, "j", 2);
        auto r = t.store->ApplyBatch(range, b.entries, kNoWatermark, kWindow, kHaving);
        if (!r.ok()) return;
      }
      auto r = t.store->ApplyBatch(range, {}, kMax, kWindow, kHaving);
      if (r.ok()) emitted[static_cast<size_t>(i)] = Rows(*r);
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < kThreads; ++i) {
    CHECK(emitted[static_cast<size_t>(i)] ==
          Rs{{0, "j", 2 * kBatches}, {0, "k" + std::to_string(i), kBatches}});
  }
}

TEMPLATE_TEST_CASE("applying a batch records the range's version", "[unit]", MemoryStore,
                   RocksStore) {
  TestType t;
  const KeyGroupRange low{0, 8}, high{8, 16};
  CHECK(*t.store->Version(low) == -1);
  REQUIRE(t.store->ApplyBatch(low, {}, kNoWatermark, kWindow, kHaving, 0).ok());
  REQUIRE(t.store->ApplyBatch(low, {}, kNoWatermark, kWindow, kHaving, 1).ok());
  CHECK(*t.store->Version(low) == 1);
  CHECK(*t.store->Version(high) == -1);
  // Version -1: not tracked, the recorded one stays.
  REQUIRE(t.store->ApplyBatch(low, {}, kNoWatermark, kWindow, kHaving).ok());
  CHECK(*t.store->Version(low) == 1);
}

TEMPLATE_TEST_CASE("resetting a range replaces its state and version only", "[unit]", MemoryStore,
                   RocksStore) {
  TestType t;
  const KeyGroupRange low{0, 8}, high{8, 16};
  Apply(*t.store, Batch().Add(1, 0, "old", 5).Add(2, 10'000, "old2", 5), kNoWatermark, low);
  Apply(*t.store, Batch().Add(9, 0, "other", 7), kNoWatermark, high);
  REQUIRE(t.store->Reset(low, {{3, 0, "new", 3}, {1, -10'000, "neg", 4}}, 41).ok());
  CHECK(*t.store->Version(low) == 41);
  auto dump = t.store->Dump(low);
  REQUIRE(dump.ok());
  REQUIRE(dump->size() == 2);
  // Sorted by key group, then window.
  CHECK((*dump)[0].key_group == 1);
  CHECK((*dump)[0].window_start_ms == -10'000);
  CHECK((*dump)[0].key == "neg");
  CHECK((*dump)[0].count == 4);
  CHECK((*dump)[1].key == "new");
  CHECK(Rows(Flush(*t.store, kMax, low)) == Rs{{-10'000, "neg", 4}, {0, "new", 3}});
  CHECK(Rows(Flush(*t.store, kMax, high)) == Rs{{0, "other", 7}});
  // Reset to nothing empties the range.
  Apply(*t.store, Batch().Add(4, 0, "x", 3), kNoWatermark, low);
  REQUIRE(t.store->Reset(low, {}, 50).ok());
  CHECK(t.store->Dump(low)->empty());
}

TEST_CASE("RocksDB window state survives reopening the store on the same directory", "[unit]") {
  RocksStore t;
  Apply(*t.store, Batch().Add(3, 0, "u", 2).Add(3, 10'000, "u", 4).Add(12, 0, "w", 9),
        kNoWatermark);
  t.Reopen();
  Apply(*t.store, Batch().Add(3, 0, "u", 1), kNoWatermark);
  CHECK(Rows(Flush(*t.store, 10'000)) == Rs{{0, "u", 3}, {0, "w", 9}});
  // The deletion of the closed windows is durable too.
  t.Reopen();
  auto a = Flush(*t.store, kMax);
  CHECK(Rows(a) == Rs{{10'000, "u", 4}});
  CHECK(a.windows_closed == 1);
}

TEST_CASE("state keys order by key group, then signed window start, then key", "[unit]") {
  CHECK(EncodeStateKey(0, kMax, "zzz") < EncodeStateKey(1, kMin, ""));
  CHECK(EncodeStateKey(5, -1, "a") < EncodeStateKey(5, 0, "a"));
  CHECK(EncodeStateKey(5, kMin, "a") < EncodeStateKey(5, -1, "a"));
  CHECK(EncodeStateKey(5, 0, "a") < EncodeStateKey(5, 0, "b"));
  CHECK(EncodeStateKey(5, 0, "") < EncodeStateKey(5, 0, "a"));
  CHECK(EncodeStateKey(7, 0, "key").size() == 12 + 3);
}

TEST_CASE("a state directory that cannot be created is an IOError naming it", "[unit]") {
  TempDir dir("spate-state-unit");
  std::string file = dir.Join("file");
  { std::ofstream(file) << "x"; }
  auto s = OpenRocksDbStateStore(file + "/state", 64 << 20);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == StatusCode::kIOError);
  CHECK_THAT(s.status().message(), Catch::Contains(file));
}

}  // namespace
}  // namespace spate::worker
