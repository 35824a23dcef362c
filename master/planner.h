// The micro-batch planner: which offsets batch N reads, and the event-time watermark.
// Pure functions over plain data, so they are unit-tested without Kafka.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "proto/spate.pb.h"

namespace spate::master {

constexpr int64_t kNoWatermark = INT64_MIN;
constexpr int64_t kEndOfTime = INT64_MAX;

/// Plans the ranges of the next batch: for each partition, from `next_start` (where the
/// previous batch ended) to `available` (the latest offset, or the available-now target),
/// bounded in total by `max_offsets` (0: no bound). Like Spark's maxOffsetsPerTrigger the
/// bound is shared in proportion to each partition's lag, every lagging partition getting at
/// least one offset. Partitions with nothing to read get no range.
std::vector<proto::PartitionRange> PlanRanges(const std::map<int32_t, int64_t>& next_start,
                                              const std::map<int32_t, int64_t>& available,
                                              int64_t max_offsets);

/// Folds a batch's per-partition maximum event times into `times` (keyed by partition),
/// recording `now_ms` as the last advance of each partition whose maximum grew.
void UpdateEventTimes(std::map<int32_t, proto::PartitionEventTime>* times, int32_t partition,
                      bool has_event_time, int64_t max_event_time_ms, int64_t now_ms);

/// The watermark for the next batch: the minimum, over partitions that are not idle, of their
/// maximum event time, minus `delay_ms`; never lower than `previous`. A partition is idle when
/// its maximum has not advanced for `idle_timeout_ms` (0: never idle). When every partition is
/// idle, or none has event time yet, the watermark holds.
int64_t NextWatermark(const std::map<int32_t, proto::PartitionEventTime>& times, int64_t now_ms,
                      int64_t idle_timeout_ms, int64_t delay_ms, int64_t previous);

}  // namespace spate::master
