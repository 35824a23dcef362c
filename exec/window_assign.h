// Window assignment by event time: which windows a record falls in.
#pragma once

#include <cstdint>

#include "common/window.h"
#include "proto/plan.pb.h"

namespace spate::exec {

/// Calls fn(start, end) for each window of `spec` that holds event time `ts`, newest first:
/// one for TUMBLE (epoch-aligned, plus the offset), size / slide for HOP, [ts, ts + gap) for
/// SESSION (stage 2 merges sessions), and [INT64_MIN, INT64_MAX) for WINDOW_NONE.
template <typename Fn>
void AssignWindows(const proto::WindowSpec& spec, int64_t ts, Fn&& fn) {
  switch (spec.kind()) {
    case proto::WINDOW_TUMBLE: {
      const int64_t s = WindowStart(ts - spec.offset_ms(), spec.size_ms()) + spec.offset_ms();
      fn(s, WindowEnd(s, spec.size_ms()));
      return;
    }
    case proto::WINDOW_HOP: {
      int64_t s = WindowStart(ts - spec.offset_ms(), spec.slide_ms()) + spec.offset_ms();
      // Every start s with s <= ts < s + size, stepping back by the slide.
      for (; s > ts - spec.size_ms(); s -= spec.slide_ms()) fn(s, WindowEnd(s, spec.size_ms()));
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
