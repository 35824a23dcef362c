#include "master/planner.h"

#include <algorithm>

namespace spate::master {

std::vector<proto::PartitionRange> PlanRanges(const std::map<int32_t, int64_t>& next_start,
                                              const std::map<int32_t, int64_t>& available,
                                              int64_t max_offsets) {
  std::map<int32_t, int64_t> lag;
  __int128 total = 0;  // the sum of many int64 lags need not fit in int64
  for (const auto& [p, end] : available) {
    auto it = next_start.find(p);
    int64_t start = it == next_start.end() ? 0 : it->second;
    if (end > start) {
      lag[p] = end - start;
      total += end - start;
    }
  }
  std::vector<proto::PartitionRange> out;
  for (const auto& [p, l] : lag) {
    int64_t take = l;
    if (max_offsets > 0 && total > max_offsets) {
      // Proportional share, exact in 128 bits (l * max_offsets overflows int64); <= max_offsets.
      auto share = static_cast<int64_t>(static_cast<__int128>(l) * max_offsets / total);
      take = std::clamp<int64_t>(share, 1, l);
    }
    proto::PartitionRange r;
    r.set_partition(p);
    r.set_start_offset(next_start.count(p) ? next_start.at(p) : 0);
    r.set_end_offset(r.start_offset() + take);
    out.push_back(r);
  }
  return out;
}

void UpdateEventTimes(std::map<int32_t, proto::PartitionEventTime>* times, int32_t partition,
                      bool has_event_time, int64_t max_event_time_ms, int64_t now_ms) {
  proto::PartitionEventTime& t = (*times)[partition];
  t.set_partition(partition);
  if (!t.has_event_time()) t.set_last_advance_ms(now_ms);
  if (!has_event_time) return;
  if (!t.has_event_time() || max_event_time_ms > t.max_event_time_ms()) {
    t.set_has_event_time(true);
    t.set_max_event_time_ms(max_event_time_ms);
    t.set_last_advance_ms(now_ms);
  }
}

int64_t NextWatermark(const std::map<int32_t, proto::PartitionEventTime>& times, int64_t now_ms,
                      int64_t idle_timeout_ms, int64_t delay_ms, int64_t previous) {
  bool any = false;
  int64_t min_max = INT64_MAX;
  for (const auto& [p, t] : times) {
    if (!t.has_event_time()) continue;
    if (idle_timeout_ms > 0 && now_ms - t.last_advance_ms() > idle_timeout_ms) continue;
    any = true;
    min_max = std::min(min_max, t.max_event_time_ms());
  }
  if (!any) return previous;
  int64_t wm = min_max < INT64_MIN + delay_ms ? INT64_MIN : min_max - delay_ms;
  return std::max(previous, wm);
}

}  // namespace spate::master
