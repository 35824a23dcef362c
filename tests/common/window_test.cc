#include "common/window.h"

#include <catch2/catch.hpp>
#include <limits>

#include "common/time_format.h"

namespace spate {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// The functions are constexpr: the basic contract is checked at compile time too.
static_assert(WindowStart(0, 10'000) == 0);
static_assert(WindowStart(-1, 10'000) == -10'000);
static_assert(WindowEnd(kMax - 3, 10) == kMax);

TEST_CASE("window start is floor division: boundaries belong to the window they open", "[unit]") {
  CHECK(WindowStart(1768142570123, 10'000) == 1768142570000);
  CHECK(WindowStart(1768142570000, 10'000) == 1768142570000);
  CHECK(WindowStart(1768142569999, 10'000) == 1768142560000);
  CHECK(WindowStart(0, 10'000) == 0);
  CHECK(WindowStart(9'999, 10'000) == 0);
  CHECK(WindowStart(10'000, 10'000) == 10'000);
}

TEST_CASE("window start of negative timestamps rounds toward minus infinity", "[unit]") {
  CHECK(WindowStart(-1, 10'000) == -10'000);
  CHECK(WindowStart(-1'000, 10'000) == -10'000);
  CHECK(WindowStart(-10'000, 10'000) == -10'000);
  CHECK(WindowStart(-10'001, 10'000) == -20'000);
  CHECK(WindowEnd(WindowStart(-1, 10'000), 10'000) == 0);
}

TEST_CASE("window of size 1 ms is the timestamp itself", "[unit]") {
  for (int64_t ts : {kMin, int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{1768142570123}, kMax}) {
    CHECK(WindowStart(ts, 1) == ts);
  }
  CHECK(WindowEnd(5, 1) == 6);
  CHECK(WindowEnd(kMax, 1) == kMax);
}

TEST_CASE("window arithmetic at the ends of int64 neither overflows nor leaves the window",
          "[unit]") {
  // INT64_MAX = ...807: its 10-ms window starts at ...800 and its end saturates.
  CHECK(WindowStart(kMax, 10) == kMax - 7);
  CHECK(WindowEnd(kMax - 7, 10) == kMax);
  CHECK(WindowStart(kMax, kMax) == kMax);
  CHECK(WindowStart(kMax - 1, kMax) == 0);
  // INT64_MIN is a multiple of 8: exact.
  CHECK(WindowStart(kMin, 8) == kMin);
  CHECK(WindowEnd(kMin, 8) == kMin + 8);
  // INT64_MIN = -...808: the true 10-ms start (-...810) is not representable, so it clamps.
  CHECK(WindowStart(kMin, 10) == kMin);
  CHECK(WindowStart(kMin + 7, 10) == kMin);
  CHECK(WindowStart(kMin + 8, 10) == kMin + 8);
  CHECK(WindowStart(kMin, kMax) == kMin);
  // Large sizes: every timestamp lands in a window that holds it.
  for (int64_t size : {int64_t{1}, int64_t{7}, int64_t{1000}, int64_t{10'000}, kMax / 3, kMax}) {
    for (int64_t ts : {kMin + size, kMin / 2, int64_t{-1}, int64_t{0}, kMax / 2, kMax}) {
      const int64_t start = WindowStart(ts, size);
      CHECK(start <= ts);
      // The end saturates: the last window holds INT64_MAX itself.
      CHECK((ts < WindowEnd(start, size) || WindowEnd(start, size) == kMax));
      CHECK(start % size == 0);
    }
  }
}

TEST_CASE("windows tile the time line without gaps or overlap", "[unit]") {
  const int64_t size = 7;
  for (int64_t ts = -50; ts <= 50; ++ts) {
    const int64_t start = WindowStart(ts, size);
    CHECK(start <= ts);
    CHECK(ts < WindowEnd(start, size));
    CHECK(WindowStart(start, size) == start);
    CHECK(WindowStart(WindowEnd(start, size), size) == start + size);
  }
}

TEST_CASE("window bounds format as UTC seconds like the exercise prints", "[unit]") {
  CHECK(FormatUtcSeconds(1768142570123) == "2026-01-11 14:42:50");
  CHECK(FormatUtcSeconds(1768142580000) == "2026-01-11 14:43:00");
  CHECK(FormatUtcSeconds(0) == "1970-01-01 00:00:00");
  CHECK(FormatUtcSeconds(951782400000) == "2000-02-29 00:00:00");  // leap day
  CHECK(FormatUtcSeconds(253402300799999) == "9999-12-31 23:59:59");
}

TEST_CASE("formatting before 1970 floors to the second before", "[unit]") {
  CHECK(FormatUtcSeconds(-1) == "1969-12-31 23:59:59");
  CHECK(FormatUtcSeconds(-1000) == "1969-12-31 23:59:59");
  CHECK(FormatUtcSeconds(-1001) == "1969-12-31 23:59:58");
  CHECK(FormatUtcSeconds(-10'000) == "1969-12-31 23:59:50");
  CHECK(FormatUtcSeconds(-86'400'000) == "1969-12-31 00:00:00");
  CHECK(FormatUtcSeconds(-2208988800000) == "1900-01-01 00:00:00");
  CHECK(FormatUtcSeconds(-62135596800000) == "0001-01-01 00:00:00");
  CHECK(FormatUtcSeconds(-62167219200000) == "0000-01-01 00:00:00");
  CHECK(FormatUtcSeconds(-62167219200001) == "-0001-12-31 23:59:59");
}

TEST_CASE("formatting the int64 extremes does not overflow", "[unit]") {
  // +292278994-08-17 07:12:55.807 and -292275055-05-16 16:47:04.192 (proleptic Gregorian).
  CHECK(FormatUtcSeconds(kMax) == "292278994-08-17 07:12:55");
  CHECK(FormatUtcSeconds(kMin) == "-292275055-05-16 16:47:04");
  char buf[kUtcSecondsMaxLen];
  CHECK(FormatUtcSecondsTo(kMin, buf) < kUtcSecondsMaxLen);
}

TEST_CASE("civil date conversion round-trips across four centuries", "[unit]") {
  int64_t days = DaysFromCivil(1600, 1, 1);
  for (int64_t y = 1600; y < 2401; ++y) {
    for (int m = 1; m <= 12; ++m) {
      for (int d = 1; d <= DaysInMonth(y, m); ++d) {
        REQUIRE(DaysFromCivil(y, m, d) == days);
        const CivilDate c = CivilFromDays(days);
        REQUIRE((c.year == y && c.month == m && c.day == d));
        ++days;
      }
    }
  }
  CHECK(DaysFromCivil(1970, 1, 1) == 0);
}

}  // namespace
}  // namespace spate
