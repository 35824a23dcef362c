// Window assignment by event time: which windows a record falls in.
#pragma once

#include <cstdint>

#include "common/window.h"
#include "proto/plan.pb.h"

namespace spate::exec {

/// The start of the window of `step` (> 0) shifted by `offset` (0 <= offset < step, as the
/// planner normalizes it) that holds `ts`: WindowStart's floor division, clamped to INT64_MIN
/// where the true start lies below it (event times within one step of INT64_MIN).
inline int64_t ShiftedWindowStart(int64_t ts, int64_t step, int64_t offset) {
  if (offset == 0) return WindowStart(ts, step);
  int64_t shifted = 0;
  if (!__builtin_sub_overflow(ts, offset, &shifted)) {
    const int64_t s = WindowStart(shifted, step);
    if (s != INT64_MIN) return s + offset;  // s + offset <= ts
  }
  // Near INT64_MIN: exactly, in 128 bits.
  const __int128 x = static_cast<__int128>(ts) - offset;
  __int128 r = x % step;
  if (r < 0) r += step;
  const __int128 start = x - r + offset;
  return start < INT64_MIN ? INT64_MIN : static_cast<int64_t>(start);
}

/// Calls fn(start, end) for each window of `spec` that holds event time `ts`, newest first:
/// one for TUMBLE (epoch-aligned, plus the offset), size / slide for HOP, [ts, ts + gap) for
/// SESSION (stage 2 merges sessions), and [INT64_MIN, INT64_MAX) for WINDOW_NONE.
template <typename Fn>
void AssignWindows(const proto::WindowSpec& spec, int64_t ts, Fn&& fn) {
  switch (spec.kind()) {
    case proto::WINDOW_TUMBLE: {
      const int64_t s = ShiftedWindowStart(ts, spec.size_ms(), spec.offset_ms());
      fn(s, WindowEnd(s, spec.size_ms()));
      return;
    }
    case proto::WINDOW_HOP: {
      int64_t s = ShiftedWindowStart(ts, spec.slide_ms(), spec.offset_ms());
      // Every start s with s <= ts < s + size, stepping back by the slide; compared in 128
      // bits, and older windows that would start below INT64_MIN left out, so that event
      // times near INT64_MIN overflow nothing.
      const __int128 oldest = static_cast<__int128>(ts) - spec.size_ms();
      while (s > oldest) {
        fn(s, WindowEnd(s, spec.size_ms()));
        if (__builtin_sub_overflow(s, spec.slide_ms(), &s)) break;
      }
      return;
    }
    case proto::WINDOW_SESSION:
      fn(ts, WindowEnd(ts, spec.gap_ms()));
      return;
    default:
      fn(INT64_MIN, INT64_MAX);
      return;
  }
}

/// The end of the newest window `ts` falls in (a record is late when even that one has closed).
inline int64_t LastWindowEnd(const proto::WindowSpec& spec, int64_t ts) {
  int64_t last = INT64_MIN;
  AssignWindows(spec, ts, [&](int64_t, int64_t end) {
    if (end > last) last = end;
  });
  return last;
}

}  // namespace spate::exec
