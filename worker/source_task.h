// Stage 1 of a batch, without the transport: records in, per-shuffle-partition encoded blocks out.
// Raw-byte pre-filter -> parse (simdjson) -> filters -> late check -> pre-aggregate per
// (window, key) -> route by key group.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/log_record.h"
#include "jobs/dataflow.h"
#include "proto/spate.pb.h"

namespace spate::worker {

/// What stage 1 saw in its records.
struct SourceStats {
  int64_t records = 0;
  int64_t bytes = 0;
  int64_t matched = 0;                           ///< passed the job's filters (late ones included)
  int64_t late = 0;                              ///< matched, but their window had closed: dropped
  int64_t malformed = 0;                         ///< could not be evaluated (see by_reason)
  std::array<int64_t, 7> malformed_by_reason{};  ///< indexed by MalformedReason
  bool has_event_time = false;
  int64_t min_event_time_ms = 0;
  int64_t max_event_time_ms = 0;
};

/// Runs the job's stage-1 plan over message values. Not thread-safe: one per task.
class Stage1Aggregator {
 public:
  /// `prefilter`: skip records whose raw bytes cannot match (no needle and no JSON escape).
  Stage1Aggregator(const jobs::CompiledPlan& plan, int64_t watermark_ms, uint32_t key_groups,
                   uint32_t shuffle_partitions, bool prefilter = true);

  /// Processes one Kafka message value (`offset` -1 when unknown).
  void Add(std::string_view value, int64_t offset = -1);

  /// Encodes the pre-aggregated entries, one buffer per shuffle partition, and counts them in
  /// `entries` (same index). Leaves the aggregator empty.
  std::vector<std::string> Finish(std::vector<int64_t>* entries);

  /// Records whose event time is later than `limit_ms` are malformed (future_event_time);
  /// 0: no bound (the default). See SourceTaskRequest.event_time_limit_ms.
  void set_event_time_limit(int64_t limit_ms) { event_time_limit_ms_ = limit_ms; }

  const SourceStats& stats() const { return stats_; }
  /// The first kMaxSamples malformed and the first kMaxSamples late records, for inspection.
  std::vector<proto::RecordSample>& samples() { return samples_; }
  static constexpr int kMaxSamples = 3;
  static constexpr size_t kMaxSampleBytes = 512;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  const jobs::CompiledPlan& plan_;
  int64_t watermark_ms_;
  uint32_t key_groups_;
  uint32_t shuffle_partitions_;
  bool prefilter_;
  RecordParser parser_;
  SourceStats stats_;
  std::string scratch_;  // window start (8 bytes) + key: the aggregation key
  std::unordered_map<std::string, int64_t, Hash, std::equal_to<>> counts_;
  std::vector<proto::RecordSample> samples_;
  int malformed_samples_ = 0;
  int late_samples_ = 0;
  int64_t event_time_limit_ms_ = 0;
  void Malformed(MalformedReason reason, std::string_view value, int64_t offset);
  void Sample(const char* kind, std::string_view reason, std::string_view value, int64_t offset,
              int64_t event_time_ms);
};

}  // namespace spate::worker
