// Event-time window arithmetic: tumbling windows aligned to the epoch.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

namespace spate {

/// Start of the tumbling, epoch-aligned window of size `size_ms` (> 0) holding `ts_ms`: floor
/// division, so -1 ms lies in [-size, 0). The window is [start, start + size): end exclusive.
/// Every int64 timestamp is valid. Only where the true start lies below INT64_MIN (ts within
/// `size_ms` of INT64_MIN and INT64_MIN not a multiple of the size) is the start clamped to
/// INT64_MIN; all timestamps of that window still share one start. Pure; thread-safe.
constexpr int64_t WindowStart(int64_t ts_ms, int64_t size_ms) {
  const int64_t r = ts_ms % size_ms;
  if (r >= 0) return ts_ms - r;
  const int64_t trunc = ts_ms - r;  // rounded toward zero: representable
  return trunc < std::numeric_limits<int64_t>::min() + size_ms ? std::numeric_limits<int64_t>::min()
                                                               : trunc - size_ms;
}

/// Exclusive end of the window that starts at `window_start`, saturating at INT64_MAX.
constexpr int64_t WindowEnd(int64_t window_start, int64_t size_ms) {
  int64_t end = 0;
  return __builtin_add_overflow(window_start, size_ms, &end) ? std::numeric_limits<int64_t>::max()
                                                             : end;
}

/// "2026-01-11 14:42:50": UTC, seconds precision (milliseconds floored), as the exercise prints
/// window bounds. Works for every int64 (before 1970 too); years outside 0..9999 print with as
/// many digits as they need and a leading '-' when negative.
std::string FormatUtcSeconds(int64_t epoch_ms);

/// Writes FormatUtcSeconds' text into `buf` (at least kUtcSecondsMaxLen bytes) and returns its
/// length: the allocation-free form for sinks that format many rows.
inline constexpr size_t kUtcSecondsMaxLen = 40;
size_t FormatUtcSecondsTo(int64_t epoch_ms, char* buf);

}  // namespace spate
