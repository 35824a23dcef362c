#include "exec/window_assign.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <utility>
#include <vector>

namespace spate::exec {
namespace {

using Windows = std::vector<std::pair<int64_t, int64_t>>;

proto::WindowSpec Spec(proto::WindowKind kind, int64_t size, int64_t slide, int64_t offset) {
  proto::WindowSpec w;
  w.set_kind(kind);
  w.set_size_ms(size);
  w.set_slide_ms(slide);
  w.set_offset_ms(offset);
  return w;
}

Windows Assign(const proto::WindowSpec& w, int64_t ts) {
  Windows got;
  AssignWindows(w, ts, [&](int64_t s, int64_t e) { got.emplace_back(s, e); });
  return got;
}

TEST_CASE("window assignment with an offset matches the shifted epoch grid", "[unit]") {
  CHECK(Assign(Spec(proto::WINDOW_TUMBLE, 10, 10, 3), 12) == Windows{{3, 13}});
  CHECK(Assign(Spec(proto::WINDOW_TUMBLE, 10, 10, 3), 2) == Windows{{-7, 3}});
  CHECK(Assign(Spec(proto::WINDOW_HOP, 10, 5, 2), 12) == Windows{{12, 22}, {7, 17}});
  CHECK(Assign(Spec(proto::WINDOW_HOP, 10, 5, 2), 11) == Windows{{7, 17}, {2, 12}});
}

// Event times come from records (a BIGINT epoch-ms column may hold any int64): near INT64_MIN
// `ts - size` and `ts - offset` overflowed, so a HOP window record fell in no window and a
// TUMBLE one with an offset got a start far in the future.
TEST_CASE("window assignment at the ends of int64 puts the record in a window that holds it",
          "[unit]") {
  CHECK(Assign(Spec(proto::WINDOW_HOP, 10, 5, 0), INT64_MIN) ==
        Windows{{INT64_MIN, INT64_MIN + 10}});
  CHECK(Assign(Spec(proto::WINDOW_TUMBLE, 10, 10, 3), INT64_MIN) ==
        Windows{{INT64_MIN, INT64_MIN + 10}});
  // Older HOP windows that would start below INT64_MIN are left out.
  CHECK(Assign(Spec(proto::WINDOW_HOP, 10, 5, 3), INT64_MIN + 1) ==
        Windows{{INT64_MIN + 1, INT64_MIN + 11}});
  const std::vector<proto::WindowSpec> specs = {
      Spec(proto::WINDOW_TUMBLE, 10, 10, 0), Spec(proto::WINDOW_TUMBLE, 10, 10, 9),
      Spec(proto::WINDOW_TUMBLE, 7, 7, 6),   Spec(proto::WINDOW_HOP, 10, 5, 0),
      Spec(proto::WINDOW_HOP, 10, 3, 2),     Spec(proto::WINDOW_HOP, 7, 7, 5)};
  const std::vector<int64_t> times = {
      INT64_MIN, INT64_MIN + 1, INT64_MIN + 5, INT64_MIN + 9, INT64_MIN + 17, -1,
      0,         INT64_MAX - 9, INT64_MAX - 1, INT64_MAX};
  for (const auto& w : specs) {
    for (int64_t ts : times) {
      CAPTURE(w.kind(), w.size_ms(), w.slide_ms(), w.offset_ms(), ts);
      const Windows got = Assign(w, ts);
      REQUIRE_FALSE(got.empty());
      for (const auto& [s, e] : got) {
        CHECK(s <= ts);
        CHECK((ts < e || e == INT64_MAX));
      }
      CHECK(LastWindowEnd(w, ts) == got.front().second);
    }
  }
}

}  // namespace
}  // namespace spate::exec
