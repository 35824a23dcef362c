// The SQL engine's stages without the transport: scripts planned by sql/, records through
// exec::Stage1, partial aggregates through PlanStateStore and the checkpoint, rows out of the
// Finalizer. Every expected row is computed by hand from the records.
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "exec/partial.h"
#include "exec/query.h"
#include "exec/window_assign.h"
#include "sql/sql.h"
#include "tests/support/process.h"
#include "worker/plan_state.h"

namespace spate::worker {
namespace {

using exec::OwnedPartial;
using exec::PartialEntry;
using spate::testing::TempDir;

constexpr uint32_t kKeyGroups = 16;

std::shared_ptr<const exec::CompiledQuery> Compile(const std::string& select) {
  const std::string sql =
      "CREATE TABLE t (`timestamp` BIGINT, k STRING, v INT, rt AS TO_TIMESTAMP_LTZ(`timestamp`, 3),"
      " WATERMARK FOR rt AS rt - INTERVAL '1' SECOND) WITH ('connector' = 'kafka', 'topic' = 't',"
      " 'properties.bootstrap.servers' = 'x:1', 'format' = 'json');\n" +
      select;
  auto plan = sql::PlanScript(sql);
  INFO(plan.status().ToString());
  REQUIRE(plan.ok());
  auto q = exec::CompiledQuery::Make(*plan);
  INFO(q.status().ToString());
  REQUIRE(q.ok());
  return *q;
}

std::string Rec(int64_t ts, const std::string& k, int v) {
  return "{\"timestamp\": " + std::to_string(ts) + ", \"k\": \"" + k +
         "\", \"v\": " + std::to_string(v) + "}";
}

// Runs one stage-1 task over `records` and returns its partials, owned.
std::vector<OwnedPartial> RunStage1(std::shared_ptr<const exec::CompiledQuery> q,
                                    const std::vector<std::string>& records, int64_t watermark,
                                    exec::Stage1Stats* stats = nullptr) {
  auto s1 = exec::Stage1::Make(q, watermark, kKeyGroups, 1, true);
  REQUIRE(s1.ok());
  for (const auto& r : records) (*s1)->Add(r);
  if (stats) *stats = (*s1)->stats();
  std::vector<int64_t> entries;
  std::vector<std::string> out = (*s1)->Finish(&entries);
  REQUIRE(out.size() == 1);
  std::vector<OwnedPartial> parts;
  exec::PartialDecoder d(out[0]);
  PartialEntry e;
  while (d.Next(&e)) {
    parts.push_back({e.key_group, e.window_start_ms, e.window_end_ms, std::string(e.key),
                     std::string(e.state)});
  }
  REQUIRE(!d.corrupt());
  REQUIRE(static_cast<int64_t>(parts.size()) == entries[0]);
  return parts;
}

std::vector<PartialEntry> Views(const std::vector<OwnedPartial>& parts) {
  std::vector<PartialEntry> v;
  for (const auto& p : parts) v.push_back(p.view());
  return v;
}

std::multiset<std::string> Json(const PlanApplyResult& r) {
  std::multiset<std::string> out;
  for (const auto& row : r.rows) out.insert(row.json);
  return out;
}

TEST_CASE("partial entries round-trip and split at entry boundaries", "[unit]") {
  std::string buf;
  exec::AppendPartial({7, -10'000, 0, "key\0x", "\x01\x02"}, &buf);
  exec::AppendPartial({0, INT64_MIN, INT64_MAX, "", ""}, &buf);
  exec::PartialDecoder d(buf);
  PartialEntry e;
  REQUIRE(d.Next(&e));
  CHECK(e.key_group == 7);
  CHECK(e.window_start_ms == -10'000);
  CHECK(e.window_end_ms == 0);
  CHECK(e.key == "key");
  REQUIRE(d.Next(&e));
  CHECK(e.window_start_ms == INT64_MIN);
  CHECK(e.window_end_ms == INT64_MAX);
  CHECK(!d.Next(&e));
  CHECK(!d.corrupt());
  exec::PartialDecoder truncated(std::string_view(buf).substr(0, buf.size() - 1));
  REQUIRE(truncated.Next(&e));
  CHECK(!truncated.Next(&e));
  CHECK(truncated.corrupt());
  auto chunks = exec::SplitPartials(buf, 4);
  CHECK(chunks.size() == 2);
}

TEST_CASE("window assignment: tumble, hop (newest first), session, none", "[unit]") {
  proto::WindowSpec w;
  std::vector<std::pair<int64_t, int64_t>> got;
  auto collect = [&](int64_t s, int64_t e) { got.emplace_back(s, e); };
  w.set_kind(proto::WINDOW_TUMBLE);
  w.set_size_ms(10);
  exec::AssignWindows(w, -1, collect);
  CHECK(got == std::vector<std::pair<int64_t, int64_t>>{{-10, 0}});
  got.clear();
  w.set_kind(proto::WINDOW_HOP);
  w.set_size_ms(10);
  w.set_slide_ms(5);
  exec::AssignWindows(w, 12, collect);
  CHECK(got == std::vector<std::pair<int64_t, int64_t>>{{10, 20}, {5, 15}});
  CHECK(exec::LastWindowEnd(w, 12) == 20);
  got.clear();
  w.set_kind(proto::WINDOW_SESSION);
  w.set_gap_ms(3);
  exec::AssignWindows(w, 12, collect);
  CHECK(got == std::vector<std::pair<int64_t, int64_t>>{{12, 15}});
  got.clear();
  w.set_kind(proto::WINDOW_NONE);
  exec::AssignWindows(w, 12, collect);
  CHECK(got == std::vector<std::pair<int64_t, int64_t>>{{INT64_MIN, INT64_MAX}});
}

TEST_CASE("tumbling windows: partials of two tasks merge into state and close by watermark",
          "[unit]") {
  auto q = Compile(
      "SELECT window_start, k, COUNT(*) AS n, SUM(v) AS s, MAX(v) AS m FROM "
      "TABLE(TUMBLE(TABLE t, DESCRIPTOR(rt), INTERVAL '10' SECOND)) "
      "GROUP BY window_start, window_end, k HAVING COUNT(*) > 1");
  TempDir dir;
  auto store = PlanStateStore::Open(dir.path() + "/state", 16 << 20, q);
  REQUIRE(store.ok());
  exec::Finalizer fin(q);
  const KeyGroupRange all{0, kKeyGroups};
  // Batch 0: two partitions; window [0, 10 s) gets a: 3 records, b: 1 record.
  auto p0 = RunStage1(q, {Rec(1000, "a", 1), Rec(2000, "a", 5), Rec(12'000, "a", 7)}, INT64_MIN);
  auto p1 = RunStage1(q, {Rec(3000, "a", 2), Rec(4000, "b", 9)}, INT64_MIN);
  auto parts = p0;
  parts.insert(parts.end(), p1.begin(), p1.end());
  auto r0 = (*store)->ApplyBatch(all, Views(parts), INT64_MIN, 0, &fin);
  REQUIRE(r0.ok());
  CHECK(r0->rows.empty());
  CHECK(r0->state_rows == 3);  // (0, a), (0, b), (10 s, a)
  // Batch 1: watermark 10 s closes [0, 10 s): only a passes HAVING.
  auto r1 = (*store)->ApplyBatch(all, {}, 10'000, 1, &fin);
  REQUIRE(r1.ok());
  CHECK(Json(*r1) == std::multiset<std::string>{
                         R"({"window_start":"1970-01-01 00:00:00","k":"a","n":3,"s":8,"m":5})"});
  CHECK(r1->windows_closed == 2);
  CHECK(r1->state_rows == 1);
  auto v = (*store)->Version(all);
  REQUIRE(v.ok());
  CHECK(*v == 1);
}

TEST_CASE("a late record is dropped and counted; a HOP record lands in each open window",
          "[unit]") {
  auto q = Compile(
      "SELECT window_start, window_end, k, COUNT(*) AS n, AVG(v) AS a FROM "
      "TABLE(HOP(TABLE t, DESCRIPTOR(rt), INTERVAL '5' SECOND, INTERVAL '10' SECOND)) "
      "GROUP BY window_start, window_end, k");
  exec::Stage1Stats stats;
  // Watermark 10 s: ts 3 s falls in [-5, 5) and [0, 10): both closed -> late. ts 7 s falls in
  // [0, 10) (closed) and [5, 15): one partial.
  auto parts = RunStage1(q, {Rec(3000, "a", 1), Rec(7000, "a", 4)}, 10'000, &stats);
  CHECK(stats.late == 1);
  CHECK(stats.matched == 2);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].window_start_ms == 5000);
  CHECK(parts[0].window_end_ms == 15'000);
}

TEST_CASE("HOP records land in every open window, their aggregates merged across panes", "[unit]") {
  auto q = Compile(
      "SELECT window_start, k, COUNT(*) AS n, SUM(v) AS s, MIN(v) AS lo FROM "
      "TABLE(HOP(TABLE t, DESCRIPTOR(rt), INTERVAL '5' SECOND, INTERVAL '15' SECOND)) "
      "GROUP BY window_start, window_end, k");
  TempDir dir;
  auto store = PlanStateStore::Open(dir.path() + "/state", 16 << 20, q);
  REQUIRE(store.ok());
  exec::Finalizer fin(q);
  const KeyGroupRange all{0, kKeyGroups};
  // Panes [5, 10 s): a 6, a 8; [10, 15 s): a 12, b 13; [20, 25 s): a 21. Watermark 10 s: the
  // window [-5, 10) has closed, so the first pane goes into [0, 15) and [5, 20) only.
  auto parts = RunStage1(q,
                         {Rec(6000, "a", 3), Rec(8000, "a", 1), Rec(12'000, "a", 10),
                          Rec(13'000, "b", 2), Rec(21'000, "a", 7)},
                         10'000);
  // (a: [0,15) [5,20) [10,25) [15,30) [20,35)) + (b: [0,15) [5,20) [10,25)): one partial each.
  CHECK(parts.size() == 8);
  auto r0 = (*store)->ApplyBatch(all, Views(parts), 10'000, 0, &fin);
  REQUIRE(r0.ok());
  auto r1 = (*store)->ApplyBatch(all, {}, INT64_MAX - 1, 1, &fin);
  REQUIRE(r1.ok());
  CHECK(Json(*r1) == std::multiset<std::string>{
                         R"({"window_start":"1970-01-01 00:00:00","k":"a","n":3,"s":14,"lo":1})",
                         R"({"window_start":"1970-01-01 00:00:05","k":"a","n":3,"s":14,"lo":1})",
                         R"({"window_start":"1970-01-01 00:00:10","k":"a","n":2,"s":17,"lo":7})",
                         R"({"window_start":"1970-01-01 00:00:15","k":"a","n":1,"s":7,"lo":7})",
                         R"({"window_start":"1970-01-01 00:00:20","k":"a","n":1,"s":7,"lo":7})",
                         R"({"window_start":"1970-01-01 00:00:00","k":"b","n":1,"s":2,"lo":2})",
                         R"({"window_start":"1970-01-01 00:00:05","k":"b","n":1,"s":2,"lo":2})",
                         R"({"window_start":"1970-01-01 00:00:10","k":"b","n":1,"s":2,"lo":2})"});
}

TEST_CASE("session windows merge across tasks and batches, and restore from the checkpoint",
          "[unit]") {
  auto q = Compile(
      "SELECT window_start, window_end, k, COUNT(*) AS n, MIN(v) AS lo FROM "
      "TABLE(SESSION(TABLE t PARTITION BY k, DESCRIPTOR(rt), INTERVAL '3' SECOND)) "
      "GROUP BY window_start, window_end, k");
  TempDir dir;
  auto store = PlanStateStore::Open(dir.path() + "/state", 16 << 20, q);
  REQUIRE(store.ok());
  StateCheckpoint ckpt(dir.path() + "/ckpt/state");
  exec::Finalizer fin(q);
  const KeyGroupRange all{0, kKeyGroups};
  // Batch 0: task A sees a@1 s, a@2 s; task B sees a@4.5 s (joins: 2 + 3 > 4.5) and b@1 s.
  auto a = RunStage1(q, {Rec(1000, "a", 5), Rec(2000, "a", 3)}, INT64_MIN);
  REQUIRE(a.size() == 1);  // merged within the task: [1 s, 5 s)
  CHECK(a[0].window_end_ms == 5000);
  auto b = RunStage1(q, {Rec(4500, "a", 9), Rec(1000, "b", 1)}, INT64_MIN);
  auto parts = a;
  parts.insert(parts.end(), b.begin(), b.end());
  auto r0 = (*store)->ApplyBatch(all, Views(parts), INT64_MIN, 0, &fin);
  REQUIRE(r0.ok());
  auto snap0 = (*store)->Dump(all);
  REQUIRE(snap0.ok());
  REQUIRE(WritePlanSnapshot(&ckpt, 0, 0, all, *snap0).ok());
  CHECK(r0->state_rows == 2);  // a: [1 s, 7.5 s), b: [1 s, 4 s)
  // Batch 1 (watermark 5 s): b closes; a@7 s extends a's session to [1 s, 10 s).
  auto c = RunStage1(q, {Rec(7000, "a", 2)}, 5000);
  auto r1 = (*store)->ApplyBatch(all, Views(c), 5000, 1, &fin);
  REQUIRE(r1.ok());
  REQUIRE(WritePlanDelta(&ckpt, 1, 0, all, Views(c)).ok());
  CHECK(
      Json(*r1) ==
      std::multiset<std::string>{
          R"({"window_start":"1970-01-01 00:00:01","window_end":"1970-01-01 00:00:04","k":"b","n":1,"lo":1})"});
  // Restore as of batch 1 equals the live state.
  auto restored = LoadPlanState(ckpt, all, 1, 5000, *q);
  REQUIRE(restored.ok());
  auto live = (*store)->Dump(all);
  REQUIRE(live.ok());
  REQUIRE(restored->size() == live->size());
  for (size_t i = 0; i < live->size(); ++i) {
    CHECK((*restored)[i].key == (*live)[i].key);
    CHECK((*restored)[i].window_start_ms == (*live)[i].window_start_ms);
    CHECK((*restored)[i].window_end_ms == (*live)[i].window_end_ms);
    CHECK((*restored)[i].state == (*live)[i].state);
  }
  // The end of input closes a's session: 4 records, min 2.
  auto r2 = (*store)->ApplyBatch(all, {}, INT64_MAX, 2, &fin);
  REQUIRE(r2.ok());
  CHECK(
      Json(*r2) ==
      std::multiset<std::string>{
          R"({"window_start":"1970-01-01 00:00:01","window_end":"1970-01-01 00:00:10","k":"a","n":4,"lo":2})"});
}

TEST_CASE("tumbling state restores from snapshot plus deltas after a restart", "[unit]") {
  auto q = Compile(
      "SELECT window_start, k, COUNT(DISTINCT v) AS d, COUNT(*) AS n FROM "
      "TABLE(TUMBLE(TABLE t, DESCRIPTOR(rt), INTERVAL '10' SECOND)) "
      "GROUP BY window_start, window_end, k");
  TempDir dir;
  auto store = PlanStateStore::Open(dir.path() + "/state", 16 << 20, q);
  REQUIRE(store.ok());
  StateCheckpoint ckpt(dir.path() + "/ckpt/state");
  exec::Finalizer fin(q);
  const KeyGroupRange all{0, kKeyGroups};
  auto b0 = RunStage1(q, {Rec(1000, "a", 1), Rec(2000, "a", 1), Rec(3000, "a", 2)}, INT64_MIN);
  REQUIRE((*store)->ApplyBatch(all, Views(b0), INT64_MIN, 0, &fin).ok());
  auto snap = (*store)->Dump(all);
  REQUIRE(snap.ok());
  REQUIRE(WritePlanSnapshot(&ckpt, 0, 0, all, *snap).ok());
  auto b1 = RunStage1(q, {Rec(4000, "a", 3), Rec(15'000, "a", 1)}, INT64_MIN);
  REQUIRE((*store)->ApplyBatch(all, Views(b1), INT64_MIN, 1, &fin).ok());
  REQUIRE(WritePlanDelta(&ckpt, 1, 0, all, Views(b1)).ok());
  // A new executor restores batch 1 and closes [0, 10 s) with the next batch.
  TempDir other;
  auto store2 = PlanStateStore::Open(other.path() + "/state", 16 << 20, q);
  REQUIRE(store2.ok());
  auto restored = LoadPlanState(ckpt, all, 1, INT64_MIN, *q);
  REQUIRE(restored.ok());
  REQUIRE((*store2)->Reset(all, *restored, 1).ok());
  auto r = (*store2)->ApplyBatch(all, {}, 10'000, 2, &fin);
  REQUIRE(r.ok());
  CHECK(Json(*r) == std::multiset<std::string>{
                        R"({"window_start":"1970-01-01 00:00:00","k":"a","d":3,"n":4})"});
}

}  // namespace
}  // namespace spate::worker
