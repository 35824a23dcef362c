// Unit tests of stage 1 without the transport: the shuffle codec, block splitting, and the
// Stage1Aggregator over hand-made JSON records with the crash-detector plan.
#include <catch2/catch.hpp>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/key_group.h"
#include "common/window.h"
#include "jobs/registry.h"
#include "worker/executor.h"
#include "worker/shuffle_codec.h"
#include "worker/source_task.h"

namespace spate::worker {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kNoWatermark = kMin;
constexpr int64_t kW = 1768142570000;  // 2026-01-11 14:42:50 UTC, a window start

// ---------------------------------------------------------------- codec

struct Owned {
  uint32_t key_group;
  int64_t window_start_ms;
  std::string key;
  int64_t count;
  bool operator==(const Owned&) const = default;
  bool operator<(const Owned& o) const {
    return std::tie(key_group, window_start_ms, key, count) <
           std::tie(o.key_group, o.window_start_ms, o.key, o.count);
  }
};

std::string Encode(const std::vector<Owned>& entries) {
  std::string out;
  for (const auto& e : entries) AppendEntry({e.key_group, e.window_start_ms, e.key, e.count}, &out);
  return out;
}

// Decodes `data`; `corrupt` says whether the decoder stopped on a corrupt buffer.
std::vector<Owned> Decode(std::string_view data, bool* corrupt = nullptr) {
  std::vector<Owned> out;
  ShuffleDecoder d(data);
  ShuffleEntry e;
  while (d.Next(&e)) out.push_back({e.key_group, e.window_start_ms, std::string(e.key), e.count});
  if (corrupt != nullptr) {
    *corrupt = d.corrupt();
  } else {
    CHECK_FALSE(d.corrupt());
  }
  return out;
}

TEST_CASE("shuffle entries round-trip through the codec, edge values included", "[unit]") {
  const std::vector<Owned> entries = {
      {0, 0, "user_1", 1},
      {127, kW, "user_1836", 5},
      {5, -10'000, "negative window", 3},
      {6, -1, "minus one", 1},
      {7, kMin, "int64 min", 2},
      {8, kMax, "int64 max", kMax},
      {9, 10'000, "", 4},
      {std::numeric_limits<uint32_t>::max(), 0, std::string(70'000, 'L'), 1},
      {1, 0, std::string("nul\0byte\xff", 9), -7},
      {2, 0, "neg count", kMin},
  };
  std::string data = Encode(entries);
  CHECK(Decode(data) == entries);
}

TEST_CASE("a course-like shuffle entry encodes compactly", "[unit]") {
  CHECK(Encode({{100, kW, "user_1836", 5}}).size() <= 20);
}

TEST_CASE("an empty shuffle buffer has no entries and is not corrupt", "[unit]") {
  bool corrupt = true;
  CHECK(Decode("", &corrupt).empty());
  CHECK_FALSE(corrupt);
}

TEST_CASE("a truncated shuffle buffer is detected as corrupt at every cut", "[unit]") {
  const std::vector<Owned> entries = {{3, -10'000, "first", 2}, {200, kW, "second_key", 300}};
  const std::string data = Encode(entries);
  const size_t first_size = Encode({entries[0]}).size();
  for (size_t cut = 1; cut < data.size(); ++cut) {
    if (cut == first_size) continue;  // an entry boundary: a shorter, valid buffer
    INFO("cut at " << cut << " of " << data.size());
    bool corrupt = false;
    auto got = Decode(std::string_view(data).substr(0, cut), &corrupt);
    CHECK(corrupt);
    CHECK(got.size() == (cut > first_size ? 1u : 0u));
  }
  bool corrupt = true;
  CHECK(Decode(std::string_view(data).substr(0, first_size), &corrupt).size() == 1);
  CHECK_FALSE(corrupt);
}

TEST_CASE("garbage in a shuffle buffer is detected as corrupt", "[unit]") {
  bool corrupt = false;
  // A varint that never ends.
  Decode(std::string(12, '\x80'), &corrupt);
  CHECK(corrupt);
  // A key length far beyond the buffer.
  corrupt = false;
  Decode(std::string("\x01\x02\xff\xff\xff\xff\x0f"
                     "abc",
                     10),
         &corrupt);
  CHECK(corrupt);
}

// ---------------------------------------------------------------- SplitEncoded

TEST_CASE("splitting a small shuffle buffer leaves it whole", "[unit]") {
  std::string data = Encode({{1, 0, "a", 1}, {2, 0, "b", 2}});
  auto chunks = SplitEncoded(data, data.size());
  REQUIRE(chunks.size() == 1);
  CHECK(chunks[0] == data);
}

TEST_CASE("splitting keeps every entry in order and cuts only at entry boundaries", "[unit]") {
  std::vector<Owned> entries;
  size_t largest = 0;
  for (int i = 0; i < 2000; ++i) {
    Owned e{static_cast<uint32_t>(i % 128), kW + (i % 7) * 10'000 - 50'000,
            "user_" + std::string(static_cast<size_t>(i % 37), 'x') + std::to_string(i), i + 1};
    largest = std::max(largest, Encode({e}).size());
    entries.push_back(e);
  }
  const std::string data = Encode(entries);
  for (size_t max_bytes : {size_t{64}, size_t{100}, size_t{1000}, size_t{4096}}) {
    INFO("max_bytes " << max_bytes);
    auto chunks = SplitEncoded(data, max_bytes);
    CHECK(chunks.size() >= data.size() / max_bytes);
    std::vector<Owned> all;
    for (const auto& c : chunks) {
      CHECK_FALSE(c.empty());
      CHECK(c.size() <= max_bytes);
      auto part = Decode(c);
      all.insert(all.end(), part.begin(), part.end());
    }
    CHECK(all == entries);
  }
}

TEST_CASE("an entry larger than the chunk size gets a chunk of its own", "[unit]") {
  const std::vector<Owned> entries = {
      {1, 0, "small", 1}, {2, 0, std::string(500, 'B'), 2}, {3, 0, "tail", 3}};
  auto chunks = SplitEncoded(Encode(entries), 100);
  std::vector<Owned> all;
  for (const auto& c : chunks) {
    auto part = Decode(c);
    CHECK(part.size() >= 1);
    if (c.size() > 100) CHECK(part.size() == 1);  // only a lone oversize entry exceeds the size
    all.insert(all.end(), part.begin(), part.end());
  }
  CHECK(all == entries);
}

// ---------------------------------------------------------------- Stage1Aggregator

// A record whose timestamp is the JSON text `ts_json` (a number or a quoted string).
std::string RecJson(std::string_view ts_json, std::string_view severity, std::string_view user,
                    std::string_view content) {
  return "{\"timestamp\": " + std::string(ts_json) + ", \"status\": \"ERROR\", \"severity\": \"" +
         std::string(severity) + "\", \"source_ip\": \"192.168.1.42\", \"user_id\": \"" +
         std::string(user) + "\", \"content\": \"" + std::string(content) + "\"}";
}

std::string Rec(int64_t ts, std::string_view severity, std::string_view user,
                std::string_view content) {
  return RecJson(std::to_string(ts), severity, user, content);
}

std::string Crash(int64_t ts, std::string_view user) {
  return Rec(ts, "High", user, "Application crash detected in module auth");
}

const jobs::CompiledPlan& CrashPlan() {
  static const jobs::CompiledPlan plan = [] {
    auto p = jobs::BuildJob("crash-detector", {});
    REQUIRE(p.ok());
    return *p;
  }();
  return plan;
}

// (window start, key) -> count, over every block; checks routing and entry counts on the way.
std::map<std::pair<int64_t, std::string>, int64_t> FinishAndCheck(Stage1Aggregator* agg,
                                                                  uint32_t key_groups,
                                                                  uint32_t partitions) {
  std::vector<int64_t> counts;
  auto blocks = agg->Finish(&counts);
  REQUIRE(blocks.size() == partitions);
  REQUIRE(counts.size() == partitions);
  std::map<std::pair<int64_t, std::string>, int64_t> out;
  for (uint32_t p = 0; p < partitions; ++p) {
    auto entries = Decode(blocks[p]);
    CHECK(static_cast<int64_t>(entries.size()) == counts[p]);
    for (const auto& e : entries) {
      INFO("key " << e.key << " in shuffle partition " << p);
      CHECK(e.key_group == KeyGroupOf(e.key, key_groups));
      CHECK(PartitionOfKeyGroup(e.key_group, partitions, key_groups) == p);
      CHECK(RangeOfPartition(p, partitions, key_groups).Contains(e.key_group));
      auto [it, inserted] = out.emplace(std::make_pair(e.window_start_ms, e.key), e.count);
      CHECK(inserted);  // pre-aggregated: one entry per (window, key)
    }
  }
  return out;
}

using Counts = std::map<std::pair<int64_t, std::string>, int64_t>;

TEST_CASE("stage 1 pre-aggregates matching records per window and user", "[unit]") {
  Stage1Aggregator agg(CrashPlan(), kNoWatermark, 16, 2);
  for (int i = 0; i < 3; ++i) agg.Add(Crash(kW + i, "user_a"));
  agg.Add(Crash(kW + 10'001, "user_a"));
  agg.Add(Crash(kW + 5, "user_b"));
  agg.Add(Rec(kW + 6, "Low", "user_b", "crash"));         // wrong severity
  agg.Add(Rec(kW + 7, "High", "user_b", "all is well"));  // no keyword
  CHECK(FinishAndCheck(&agg, 16, 2) ==
        Counts{{{kW, "user_a"}, 3}, {{kW + 10'000, "user_a"}, 1}, {{kW, "user_b"}, 1}});
  const SourceStats& s = agg.stats();
  CHECK(s.records == 7);
  CHECK(s.matched == 5);
  CHECK(s.late == 0);
  CHECK(s.malformed == 0);
  CHECK(s.has_event_time);
  CHECK(s.min_event_time_ms == kW);
  CHECK(s.max_event_time_ms == kW + 10'001);
  CHECK(s.bytes > 7 * 50);
}

TEST_CASE("stage 1 counts a record beyond the event-time limit as malformed, not as event time",
          "[unit]") {
  Stage1Aggregator agg(CrashPlan(), kNoWatermark, 16, 2);
  agg.set_event_time_limit(kW + 3'600'000);
  agg.Add(Crash(kW, "user_a"));
  agg.Add(Crash(kW + 3'600'000, "user_a"));  // at the limit: still counted
  agg.Add(Crash(4102444800000, "user_b"));   // 2100-01-01
  CHECK(FinishAndCheck(&agg, 16, 2) ==
        Counts{{{kW, "user_a"}, 1}, {{kW + 3'600'000, "user_a"}, 1}});
  const SourceStats& s = agg.stats();
  CHECK(s.matched == 2);
  CHECK(s.malformed == 1);
  CHECK(s.malformed_by_reason[static_cast<size_t>(MalformedReason::kFutureEventTime)] == 1);
  CHECK(s.max_event_time_ms == kW + 3'600'000);
  REQUIRE(agg.samples().size() == 1);
  CHECK(agg.samples()[0].reason() == "future_event_time");
}

TEST_CASE("finishing leaves the aggregator empty", "[unit]") {
  Stage1Aggregator agg(CrashPlan(), kNoWatermark, 16, 3);
  agg.Add(Crash(kW, "user_a"));
  CHECK(FinishAndCheck(&agg, 16, 3).size() == 1);
  std::vector<int64_t> counts;
  auto blocks = agg.Finish(&counts);
  REQUIRE(blocks.size() == 3);
  for (const auto& b : blocks) CHECK(b.empty());
  CHECK(counts == std::vector<int64_t>{0, 0, 0});
}

TEST_CASE("stage 1 routes every entry to the shuffle partition that owns its key group", "[unit]") {
  for (auto [key_groups, partitions] :
       {std::pair<uint32_t, uint32_t>{128, 5}, {16, 2}, {16, 16}, {7, 3}, {1, 1}}) {
    INFO(key_groups << " key groups, " << partitions << " partitions");
    Stage1Aggregator agg(CrashPlan(), kNoWatermark, key_groups, partitions);
    for (int u = 0; u < 300; ++u) agg.Add(Crash(kW + u, "user_" + std::to_string(u)));
    auto got = FinishAndCheck(&agg, key_groups, partitions);
    CHECK(got.size() == 300);
  }
}

TEST_CASE("late records are dropped and counted; window end equal to the watermark is late",
          "[unit]") {
  const int64_t watermark = kW + 10'000;  // the window [kW, kW+10s) has just closed
  Stage1Aggregator agg(CrashPlan(), watermark, 16, 2);
  agg.Add(Crash(kW + 9'999, "user_a"));        // window ends at the watermark: late
  agg.Add(Crash(kW - 1, "user_a"));            // older window: late
  agg.Add(Crash(kW + 10'000, "user_a"));       // first instant of the open window
  agg.Add(Crash(kW + 19'999, "user_b"));       // last instant of the open window
  agg.Add(Rec(kW, "Low", "user_a", "crash"));  // old but not matching: not late
  CHECK(FinishAndCheck(&agg, 16, 2) ==
        Counts{{{kW + 10'000, "user_a"}, 1}, {{kW + 10'000, "user_b"}, 1}});
  const SourceStats& s = agg.stats();
  CHECK(s.matched == 4);
  CHECK(s.late == 2);
  // Late records still count as event time seen.
  CHECK(s.min_event_time_ms == kW - 1);
  CHECK(s.max_event_time_ms == kW + 19'999);
}

TEST_CASE("the first malformed and late records are kept for inspection", "[unit]") {
  const int64_t watermark = kW + 10'000;
  Stage1Aggregator agg(CrashPlan(), watermark, 16, 2, /*prefilter=*/false);
  for (int i = 0; i < 5; ++i) agg.Add("{not json crash", 100 + i);
  for (int i = 0; i < 5; ++i) agg.Add(Crash(kW + i, "user_late"), 200 + i);
  agg.Add(Crash(kW + 10'000, "user_a"), 300);
  const auto& samples = agg.samples();
  REQUIRE(samples.size() == 2 * Stage1Aggregator::kMaxSamples);
  CHECK(samples[0].kind() == "malformed");
  CHECK(samples[0].reason() == "not_json");
  CHECK(samples[0].offset() == 100);
  CHECK(samples[0].value() == "{not json crash");
  CHECK(samples[2].offset() == 102);
  const auto& late = samples[Stage1Aggregator::kMaxSamples];
  CHECK(late.kind() == "late");
  CHECK(late.offset() == 200);
  CHECK(late.event_time_ms() == kW);
  CHECK(late.watermark_ms() == watermark);
  CHECK(agg.stats().malformed == 5);
  CHECK(agg.stats().late == 5);
  // A huge value is cut.
  Stage1Aggregator big(CrashPlan(), watermark, 16, 2, false);
  big.Add(std::string(10'000, 'x'), 1);
  REQUIRE(big.samples().size() == 1);
  CHECK(big.samples()[0].value().size() == Stage1Aggregator::kMaxSampleBytes);
  CHECK(big.samples()[0].truncated());
}

TEST_CASE("an end-of-time watermark makes every record late", "[unit]") {
  Stage1Aggregator agg(CrashPlan(), kMax, 16, 2);
  agg.Add(Crash(kW, "user_a"));
  agg.Add(Crash(kMax, "user_a"));  // its window's end saturates at INT64_MAX
  CHECK(FinishAndCheck(&agg, 16, 2).empty());
  CHECK(agg.stats().late == 2);
}

TEST_CASE("malformed records that reach the parser are counted by reason", "[unit]") {
  Stage1Aggregator agg(CrashPlan(), kNoWatermark, 16, 2);
  agg.Add("{\"timestamp\": 1, \"severity\": \"High\", \"content\": \"crash\"");  // cut short
  agg.Add("[\"crash\"]");
  agg.Add("\"crash\"");
  agg.Add("{\"timestamp\": 1, \"severity\": \"High\", \"content\": \"crash\"}");  // no user_id
  agg.Add("{\"timestamp\": 1, \"severity\": \"High\", \"user_id\": 5, \"content\": \"crash\"}");
  agg.Add(
      "{\"timestamp\": 1.5, \"severity\": \"High\", \"user_id\": \"u\", \"content\": \"crash\"}");
  agg.Add(
      "{\"timestamp\": \"2026-01-11T14:42:50\", \"severity\": \"High\", \"user_id\": \"u\", "
      "\"content\": \"crash\"}");  // no zone offset
  agg.Add(
      "{\"timestamp\": true, \"severity\": \"High\", \"user_id\": \"u\", \"content\": \"crash\"}");
  agg.Add(Crash(kW, "user_ok"));
  CHECK(FinishAndCheck(&agg, 16, 2) == Counts{{{kW, "user_ok"}, 1}});
  const SourceStats& s = agg.stats();
  CHECK(s.records == 9);
  CHECK(s.matched == 1);
  CHECK(s.malformed == 8);
  auto by = [&](MalformedReason r) { return s.malformed_by_reason[static_cast<size_t>(r)]; };
  CHECK(by(MalformedReason::kNotJson) == 1);
  CHECK(by(MalformedReason::kNotObject) == 2);
  CHECK(by(MalformedReason::kMissingField) == 1);
  CHECK(by(MalformedReason::kWrongType) == 2);
  CHECK(by(MalformedReason::kBadTimestamp) == 2);
  CHECK(by(MalformedReason::kNone) == 0);
}

TEST_CASE("a record whose raw bytes cannot hold the keyword is skipped unparsed", "[unit]") {
  // Documented pre-filter behaviour: such a record cannot match, so it is not parsed and a
  // malformed one is not counted as malformed.
  const std::vector<std::string> no_keyword = {"not json at all", "{\"timestamp\": \"x\"}", "[]",
                                               "{\"timestamp\": 1, \"severity\": \"High\"}"};
  Stage1Aggregator with(CrashPlan(), kNoWatermark, 16, 2);
  for (const auto& r : no_keyword) with.Add(r);
  CHECK(with.stats().records == 4);
  CHECK(with.stats().malformed == 0);

  // Without the pre-filter every record is parsed and the malformed ones are counted.
  Stage1Aggregator without(CrashPlan(), kNoWatermark, 16, 2, /*prefilter=*/false);
  for (const auto& r : no_keyword) without.Add(r);
  CHECK(without.stats().records == 4);
  CHECK(without.stats().malformed == 4);
  CHECK(without.stats().malformed_by_reason[static_cast<size_t>(MalformedReason::kNotJson)] == 1);
  CHECK(without.stats().malformed_by_reason[static_cast<size_t>(MalformedReason::kNotObject)] == 1);
  CHECK(without.stats().malformed_by_reason[static_cast<size_t>(MalformedReason::kMissingField)] ==
        1);
  CHECK(without.stats().malformed_by_reason[static_cast<size_t>(MalformedReason::kBadTimestamp)] ==
        1);

  // A record with an escape may hide the keyword: it reaches the parser.
  Stage1Aggregator escaped(CrashPlan(), kNoWatermark, 16, 2);
  escaped.Add("{\"content\": \"\\n\"");
  CHECK(escaped.stats().malformed == 1);
}

TEST_CASE("the keyword and severity match case-insensitively, escapes included", "[unit]") {
  Stage1Aggregator agg(CrashPlan(), kNoWatermark, 16, 2);
  agg.Add(Rec(kW, "High", "u_upper", "CRASH"));
  agg.Add(Rec(kW, "High", "u_title", "Crash in module"));
  agg.Add(Rec(kW, "High", "u_escaped", "cr\\u0061sh"));
  agg.Add(Rec(kW, "High", "u_escaped_upper", "\\u0043RAS\\u0048"));
  agg.Add(Rec(kW, "HIGH", "u_sev_upper", "crashed"));
  agg.Add(Rec(kW, "critical", "u_sev_lower", "a crash"));
  agg.Add(Rec(kW, "cRiTiCaL", "u_sev_mixed", "crash"));
  agg.Add(Rec(kW, "Hi\\u0067h", "u_sev_escaped", "crash"));
  // No match:
  agg.Add(Rec(kW, "Medium", "n_medium", "crash"));
  agg.Add(Rec(kW, "High ", "n_space", "crash"));
  agg.Add(Rec(kW, "High", "n_split", "cras h"));
  auto got = FinishAndCheck(&agg, 16, 2);
  std::set<std::string> users;
  for (const auto& [k, c] : got) users.insert(k.second);
  CHECK(users == std::set<std::string>{"u_upper", "u_title", "u_escaped", "u_escaped_upper",
                                       "u_sev_upper", "u_sev_lower", "u_sev_mixed",
                                       "u_sev_escaped"});
  CHECK(agg.stats().matched == 8);
  CHECK(agg.stats().malformed == 0);
}

TEST_CASE("records exactly at window edges fall into the window they open", "[unit]") {
  Stage1Aggregator agg(CrashPlan(), kNoWatermark, 16, 2);
  for (int64_t ts : {int64_t{0}, int64_t{9'999}, int64_t{10'000}, int64_t{-1}, int64_t{-10'000},
                     int64_t{-10'001}})
    agg.Add(Crash(ts, "u"));
  agg.Add(RecJson("\"2026-01-11T14:42:50Z\"", "High", "s", "crash"));
  agg.Add(RecJson("\"2026-01-11T14:42:49.999Z\"", "High", "s", "crash"));
  CHECK(FinishAndCheck(&agg, 16, 2) == Counts{{{0, "u"}, 2},
                                              {{10'000, "u"}, 1},
                                              {{-10'000, "u"}, 2},
                                              {{-20'000, "u"}, 1},
                                              {{kW, "s"}, 1},
                                              {{kW - 10'000, "s"}, 1}});
  CHECK(agg.stats().min_event_time_ms == -10'001);
}

TEST_CASE("records at the ends of the int64 range are windowed without overflow", "[unit]") {
  Stage1Aggregator agg(CrashPlan(), kNoWatermark, 16, 2);
  agg.Add(Crash(kMin, "u"));
  agg.Add(Crash(kMax, "u"));
  CHECK(FinishAndCheck(&agg, 16, 2) ==
        Counts{{{WindowStart(kMin, 10'000), "u"}, 1}, {{WindowStart(kMax, 10'000), "u"}, 1}});
}

TEST_CASE("nothing matching means no event time", "[unit]") {
  Stage1Aggregator agg(CrashPlan(), kNoWatermark, 16, 2);
  agg.Add(Rec(kW, "Low", "u", "crash"));
  agg.Add(Rec(kW, "High", "u", "fine"));
  CHECK_FALSE(agg.stats().has_event_time);
  CHECK(agg.stats().matched == 0);
}

}  // namespace
}  // namespace spate::worker
