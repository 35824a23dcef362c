// Unit tests of the micro-batch planner: batch offset ranges and the event-time watermark.
#include "master/planner.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <map>
#include <vector>

namespace spate::master {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

std::map<int32_t, proto::PartitionRange> ByPartition(
    const std::vector<proto::PartitionRange>& ranges) {
  std::map<int32_t, proto::PartitionRange> out;
  for (const auto& r : ranges) {
    REQUIRE(out.count(r.partition()) == 0);  // one range per partition
    out[r.partition()] = r;
  }
  return out;
}

int64_t Length(const proto::PartitionRange& r) { return r.end_offset() - r.start_offset(); }

proto::PartitionEventTime EventTime(int32_t p, int64_t max_ms, int64_t last_advance_ms) {
  proto::PartitionEventTime t;
  t.set_partition(p);
  t.set_has_event_time(true);
  t.set_max_event_time_ms(max_ms);
  t.set_last_advance_ms(last_advance_ms);
  return t;
}

TEST_CASE("without a bound each partition reads from its next start to what is available",
          "[unit]") {
  auto ranges =
      ByPartition(PlanRanges({{0, 10}, {1, 0}, {2, 500}}, {{0, 110}, {1, 50}, {2, 900}}, 0));
  REQUIRE(ranges.size() == 3);
  CHECK(ranges[0].start_offset() == 10);
  CHECK(ranges[0].end_offset() == 110);
  CHECK(ranges[1].start_offset() == 0);
  CHECK(ranges[1].end_offset() == 50);
  CHECK(ranges[2].start_offset() == 500);
  CHECK(ranges[2].end_offset() == 900);
}

TEST_CASE("a partition never read before starts at offset 0", "[unit]") {
  auto ranges = ByPartition(PlanRanges({}, {{3, 7}}, 0));
  REQUIRE(ranges.size() == 1);
  CHECK(ranges[3].start_offset() == 0);
  CHECK(ranges[3].end_offset() == 7);
}

TEST_CASE("partitions with no lag get no range", "[unit]") {
  // Caught up, and (after a topic was recreated) an available offset behind the next start.
  auto ranges = PlanRanges({{0, 100}, {1, 100}, {2, 5}}, {{0, 100}, {1, 40}, {2, 6}}, 0);
  REQUIRE(ranges.size() == 1);
  CHECK(ranges[0].partition() == 2);
  CHECK(ranges[0].start_offset() == 5);
  CHECK(ranges[0].end_offset() == 6);
  CHECK(PlanRanges({{0, 100}}, {{0, 100}}, 10).empty());
  CHECK(PlanRanges({}, {}, 10).empty());
}

TEST_CASE("a bound is shared in proportion to each partition's lag", "[unit]") {
  auto ranges = ByPartition(PlanRanges({{0, 0}, {1, 1000}}, {{0, 300}, {1, 1100}}, 100));
  REQUIRE(ranges.size() == 2);
  CHECK(Length(ranges[0]) == 75);
  CHECK(Length(ranges[1]) == 25);
  CHECK(ranges[1].start_offset() == 1000);
  CHECK(ranges[1].end_offset() == 1025);
}

TEST_CASE("a bound larger than the total lag reads everything", "[unit]") {
  auto ranges = ByPartition(PlanRanges({{0, 0}, {1, 0}}, {{0, 30}, {1, 20}}, 1000));
  CHECK(Length(ranges[0]) == 30);
  CHECK(Length(ranges[1]) == 20);
  // Exactly the bound: no proration either.
  ranges = ByPartition(PlanRanges({{0, 0}, {1, 0}}, {{0, 30}, {1, 20}}, 50));
  CHECK(Length(ranges[0]) == 30);
  CHECK(Length(ranges[1]) == 20);
}

TEST_CASE("under a bound every lagging partition gets at least one offset", "[unit]") {
  auto ranges =
      ByPartition(PlanRanges({{0, 0}, {1, 0}, {2, 0}}, {{0, 100000}, {1, 1}, {2, 3}}, 10));
  REQUIRE(ranges.size() == 3);
  CHECK(Length(ranges[0]) >= 1);
  CHECK(Length(ranges[0]) <= 10);
  CHECK(Length(ranges[1]) == 1);
  CHECK(Length(ranges[2]) == 1);
}

TEST_CASE("a bound never makes a partition read past what is available", "[unit]") {
  auto ranges = PlanRanges({{0, 0}, {1, 0}, {2, 0}, {3, 0}}, {{0, 1}, {1, 1}, {2, 1}, {3, 1}}, 2);
  REQUIRE(ranges.size() == 4);
  for (const auto& r : ranges) CHECK(Length(r) == 1);
}

TEST_CASE("successive bounded batches start where the previous ended and cover everything",
          "[unit]") {
  const std::map<int32_t, int64_t> available = {{0, 1234}, {1, 77}, {2, 5000}, {3, 0}};
  std::map<int32_t, int64_t> next = {{0, 0}, {1, 0}, {2, 0}, {3, 0}};
  std::map<int32_t, int64_t> read;
  int batches = 0;
  while (true) {
    auto ranges = PlanRanges(next, available, 100);
    if (ranges.empty()) break;
    REQUIRE(++batches < 1000);
    for (const auto& r : ranges) {
      CHECK(r.start_offset() == next[r.partition()]);
      CHECK(r.end_offset() > r.start_offset());
      CHECK(r.end_offset() <= available.at(r.partition()));
      read[r.partition()] += Length(r);
      next[r.partition()] = r.end_offset();
    }
  }
  CHECK(read[0] == 1234);
  CHECK(read[1] == 77);
  CHECK(read[2] == 5000);
  CHECK(read[3] == 0);
  CHECK(next == std::map<int32_t, int64_t>{{0, 1234}, {1, 77}, {2, 5000}, {3, 0}});
  CHECK(batches >= (1234 + 77 + 5000) / 100);
}

TEST_CASE("huge offsets and lags do not overflow the plan", "[unit]") {
  SECTION("one partition near the int64 end") {
    auto ranges = ByPartition(PlanRanges({{0, kMax - 10}}, {{0, kMax}}, 4));
    REQUIRE(ranges.size() == 1);
    CHECK(ranges[0].start_offset() == kMax - 10);
    CHECK(ranges[0].end_offset() == kMax - 6);
  }
  SECTION("a lag of the whole int64 range under a huge bound") {
    auto ranges = ByPartition(PlanRanges({{0, 0}, {1, 0}}, {{0, kMax}, {1, 1000}}, kMax / 2));
    REQUIRE(ranges.size() == 2);
    CHECK(Length(ranges[0]) >= 1);
    CHECK(Length(ranges[0]) <= kMax / 2);
    CHECK(Length(ranges[1]) >= 1);
    CHECK(Length(ranges[1]) <= 1000);
  }
  SECTION("total lag beyond int64 still honours the bound") {
    // Three partitions of 4e18 each: their total lag does not fit in int64.
    const int64_t big = 4'000'000'000'000'000'000;
    auto ranges = PlanRanges({{0, 0}, {1, 0}, {2, 0}}, {{0, big}, {1, big}, {2, big}}, 3000);
    REQUIRE(ranges.size() == 3);
    int64_t total = 0;
    for (const auto& r : ranges) {
      CHECK(r.start_offset() == 0);
      CHECK(Length(r) >= 1);
      CHECK(Length(r) <= 1000);
      total += Length(r);
    }
    CHECK(total <= 3000);
    CHECK(total >= 2997);
  }
}

TEST_CASE("the watermark is the minimum maximum event time over partitions minus the delay",
          "[unit]") {
  std::map<int32_t, proto::PartitionEventTime> times = {{0, EventTime(0, 50'000, 1000)},
                                                        {1, EventTime(1, 30'000, 1000)},
                                                        {2, EventTime(2, 90'000, 1000)}};
  CHECK(NextWatermark(times, 1000, 0, 10'000, kNoWatermark) == 20'000);
  CHECK(NextWatermark(times, 1000, 0, 0, kNoWatermark) == 30'000);
}

TEST_CASE("idle partitions do not hold the watermark back", "[unit]") {
  // Partition 1 stopped advancing at t=1000; partition 0 advanced at t=20000.
  std::map<int32_t, proto::PartitionEventTime> times = {{0, EventTime(0, 50'000, 20'000)},
                                                        {1, EventTime(1, 30'000, 1'000)}};
  // At t=10000 partition 1 is silent for 9 s (< 10 s idle timeout): it still counts.
  CHECK(NextWatermark(times, 10'000, 10'000, 10'000, kNoWatermark) == 20'000);
  // Silent for exactly the timeout: not idle yet.
  CHECK(NextWatermark(times, 11'000, 10'000, 10'000, kNoWatermark) == 20'000);
  // Silent for longer than the timeout: idle, excluded.
  CHECK(NextWatermark(times, 11'001, 10'000, 10'000, kNoWatermark) == 40'000);
  // Idle timeout 0: never idle.
  CHECK(NextWatermark(times, 1'000'000, 0, 10'000, kNoWatermark) == 20'000);
}

TEST_CASE("when every partition is idle the watermark holds", "[unit]") {
  std::map<int32_t, proto::PartitionEventTime> times = {{0, EventTime(0, 50'000, 1'000)},
                                                        {1, EventTime(1, 30'000, 1'000)}};
  CHECK(NextWatermark(times, 100'000, 10'000, 10'000, 12'345) == 12'345);
  CHECK(NextWatermark(times, 100'000, 10'000, 10'000, kNoWatermark) == kNoWatermark);
}

TEST_CASE("the watermark never goes backward", "[unit]") {
  std::map<int32_t, proto::PartitionEventTime> times = {{0, EventTime(0, 30'000, 1'000)}};
  CHECK(NextWatermark(times, 1'000, 0, 10'000, 45'000) == 45'000);
  CHECK(NextWatermark(times, 1'000, 0, 10'000, 20'000) == 20'000);
  CHECK(NextWatermark(times, 1'000, 0, 10'000, 19'999) == 20'000);
  // A late-joining partition with older data cannot pull it back either.
  times[1] = EventTime(1, 5'000, 1'000);
  CHECK(NextWatermark(times, 1'000, 0, 10'000, 20'000) == 20'000);
}

TEST_CASE("partitions without event time are ignored by the watermark", "[unit]") {
  std::map<int32_t, proto::PartitionEventTime> times = {{0, EventTime(0, 50'000, 1'000)}};
  proto::PartitionEventTime empty;
  empty.set_partition(1);
  empty.set_last_advance_ms(1'000);
  times[1] = empty;
  CHECK(NextWatermark(times, 1'000, 0, 10'000, kNoWatermark) == 40'000);
  // None has event time: the watermark holds.
  std::map<int32_t, proto::PartitionEventTime> none = {{1, empty}};
  CHECK(NextWatermark(none, 1'000, 0, 10'000, 777) == 777);
  CHECK(NextWatermark({}, 1'000, 0, 10'000, kNoWatermark) == kNoWatermark);
}

TEST_CASE("a delay larger than an event time near INT64_MIN saturates instead of overflowing",
          "[unit]") {
  std::map<int32_t, proto::PartitionEventTime> times = {{0, EventTime(0, kMin + 5, 0)}};
  CHECK(NextWatermark(times, 0, 0, 10, kNoWatermark) == kMin);
  CHECK(NextWatermark(times, 0, 0, 5, kNoWatermark) == kMin);
  CHECK(NextWatermark(times, 0, 0, 4, kNoWatermark) == kMin + 1);
  times[0] = EventTime(0, kMin, 0);
  CHECK(NextWatermark(times, 0, 0, kMax, kNoWatermark) == kMin);
  times[0] = EventTime(0, kMax, 0);
  CHECK(NextWatermark(times, 0, 0, 0, kNoWatermark) == kMax);
  CHECK(NextWatermark(times, 0, 0, kMax, kNoWatermark) == 0);
}

TEST_CASE("event times record the last advance only when a partition's maximum grows", "[unit]") {
  std::map<int32_t, proto::PartitionEventTime> times;
  UpdateEventTimes(&times, 0, true, 5'000, 100);
  REQUIRE(times.count(0));
  CHECK(times[0].partition() == 0);
  CHECK(times[0].has_event_time());
  CHECK(times[0].max_event_time_ms() == 5'000);
  CHECK(times[0].last_advance_ms() == 100);

  // Older data: the maximum and its advance time stay.
  UpdateEventTimes(&times, 0, true, 4'000, 200);
  CHECK(times[0].max_event_time_ms() == 5'000);
  CHECK(times[0].last_advance_ms() == 100);
  // The same maximum is no advance.
  UpdateEventTimes(&times, 0, true, 5'000, 300);
  CHECK(times[0].max_event_time_ms() == 5'000);
  CHECK(times[0].last_advance_ms() == 100);
  // A batch without event time changes nothing.
  UpdateEventTimes(&times, 0, false, 0, 400);
  CHECK(times[0].has_event_time());
  CHECK(times[0].max_event_time_ms() == 5'000);
  CHECK(times[0].last_advance_ms() == 100);
  // Growth: recorded with the time it happened.
  UpdateEventTimes(&times, 0, true, 5'001, 500);
  CHECK(times[0].max_event_time_ms() == 5'001);
  CHECK(times[0].last_advance_ms() == 500);
}

TEST_CASE("a partition's first event time is recorded whatever its value", "[unit]") {
  std::map<int32_t, proto::PartitionEventTime> times;
  UpdateEventTimes(&times, 2, false, 0, 100);
  REQUIRE(times.count(2));
  CHECK_FALSE(times[2].has_event_time());
  UpdateEventTimes(&times, 2, true, kMin, 200);
  CHECK(times[2].has_event_time());
  CHECK(times[2].max_event_time_ms() == kMin);
  CHECK(times[2].last_advance_ms() == 200);
  // Other partitions are untouched.
  CHECK(times.size() == 1);
}

TEST_CASE("an idle partition becomes active again when its maximum grows", "[unit]") {
  std::map<int32_t, proto::PartitionEventTime> times;
  UpdateEventTimes(&times, 0, true, 50'000, 0);
  UpdateEventTimes(&times, 1, true, 30'000, 0);
  UpdateEventTimes(&times, 0, true, 60'000, 20'000);
  CHECK(NextWatermark(times, 20'000, 10'000, 10'000, kNoWatermark) == 50'000);
  UpdateEventTimes(&times, 1, true, 35'000, 21'000);
  CHECK(NextWatermark(times, 21'000, 10'000, 10'000, 50'000) == 50'000);  // never backward
  CHECK(NextWatermark(times, 21'000, 10'000, 10'000, kNoWatermark) == 25'000);
}

}  // namespace
}  // namespace spate::master
