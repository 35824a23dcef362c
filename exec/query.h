// A plan compiled for execution: expressions, aggregates and the output row's shape, shared by
// the tasks of one executor; and the two stages' operators that run it.
//
// Stage 1 (one task per Kafka partition range): raw bytes -> pre-filter -> RowDecoder ->
// computed columns -> WHERE -> event time and late check -> window assignment -> group key ->
// AggregateSet::Update (map-side combine) -> Finish: partial aggregates per shuffle partition.
// A stateless query instead evaluates its outputs per record into JSON rows.
// Stage 2 (worker/plan_state.h) merges partials into state; when a window closes, Finalizer turns
// its state into the output row: aggregate row -> HAVING -> outputs -> JSON.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/log_record.h"
#include "common/status.h"
#include "exec/aggregate.h"
#include "exec/decoder.h"
#include "exec/expr.h"
#include "exec/value.h"
#include "proto/plan.pb.h"
#include "proto/spate.pb.h"

namespace spate::exec {

/// Immutable after Make; thread-safe (tasks share it; each has its own decoder and arena).
class CompiledQuery {
 public:
  static Result<std::shared_ptr<const CompiledQuery>> Make(const proto::QueryPlan& plan);

  const proto::QueryPlan& plan() const { return plan_; }
  const proto::WindowSpec& window() const { return plan_.window(); }
  /// Columns of the source row: decoded + computed.
  size_t source_width() const { return decoded_ + computed_.size(); }
  size_t decoded_width() const { return decoded_; }
  /// Columns of the aggregate row: keys + aggregates + window_start + window_end.
  size_t aggregate_width() const {
    return keys_.size() + (aggregates_ ? aggregates_->size() : 0) + 2;
  }
  bool aggregating() const { return plan_.aggregate(); }
  bool session() const { return plan_.window().kind() == proto::WINDOW_SESSION; }
  /// The exclusive end of the window that starts at `start` (sessions: of a one-record session).
  int64_t EndOf(int64_t start) const;
  /// Whether a window that ends at `end` has closed under `watermark_ms`.
  static bool Closed(int64_t end, int64_t watermark_ms) { return end <= watermark_ms; }

  const std::vector<std::unique_ptr<CompiledExpr>>& computed() const { return computed_; }
  const std::vector<std::unique_ptr<CompiledExpr>>& filters() const { return filters_; }
  const std::vector<std::unique_ptr<CompiledExpr>>& keys() const { return keys_; }
  const std::vector<std::unique_ptr<CompiledExpr>>& outputs() const { return outputs_; }
  const CompiledExpr* having() const { return having_.get(); }
  const AggregateSet* aggregates() const { return aggregates_.get(); }
  const std::vector<std::string>& output_names() const { return output_names_; }
  const std::vector<proto::DataType>& output_types() const { return output_types_; }

 private:
  CompiledQuery() = default;
  proto::QueryPlan plan_;
  size_t decoded_ = 0;
  std::vector<std::unique_ptr<CompiledExpr>> computed_, filters_, keys_, outputs_;
  std::unique_ptr<CompiledExpr> having_;
  std::unique_ptr<AggregateSet> aggregates_;
  std::vector<std::string> output_names_;
  std::vector<proto::DataType> output_types_;
};

/// What stage 1 saw in its records.
struct Stage1Stats {
  int64_t records = 0;
  int64_t bytes = 0;
  int64_t matched = 0;  ///< passed WHERE (late ones included)
  int64_t late = 0;     ///< matched, but every window they fall in had closed: dropped
  int64_t malformed = 0;
  std::array<int64_t, 8> malformed_by_reason{};  ///< indexed by MalformedReason
  bool has_event_time = false;
  int64_t min_event_time_ms = 0;
  int64_t max_event_time_ms = 0;
};

/// Stage 1 of one task. Not thread-safe.
class Stage1 {
 public:
  static Result<std::unique_ptr<Stage1>> Make(std::shared_ptr<const CompiledQuery> query,
                                              int64_t watermark_ms, uint32_t key_groups,
                                              uint32_t shuffle_partitions, bool prefilter);
  ~Stage1();

  /// Records whose event time is later than `limit_ms` are malformed (future_event_time);
  /// 0: no bound (the default).
  void set_event_time_limit(int64_t limit_ms) { event_time_limit_ms_ = limit_ms; }

  /// Processes one Kafka message value (`offset` -1 when unknown).
  void Add(std::string_view value, int64_t offset = -1);

  /// Aggregating queries: the partial aggregates (exec/partial.h) per shuffle partition, their
  /// counts in `entries` (same index). Stateless queries: nothing (see rows()).
  std::vector<std::string> Finish(std::vector<int64_t>* entries);

  /// Stateless queries: the output rows so far, as JSON objects.
  std::vector<std::string>& rows() { return rows_; }
  const Stage1Stats& stats() const { return stats_; }
  /// The first kMaxSamples malformed and the first kMaxSamples late records.
  std::vector<proto::RecordSample>& samples() { return samples_; }
  static constexpr int kMaxSamples = 3;
  static constexpr size_t kMaxSampleBytes = 512;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const;
  };
  Stage1(std::shared_ptr<const CompiledQuery> query, std::unique_ptr<RowDecoder> decoder,
         int64_t watermark_ms, uint32_t key_groups, uint32_t shuffle_partitions, bool prefilter);
  // Group (window or pane start, 8 bytes + encoded key) -> its aggregate state.
  using GroupMap = absl::flat_hash_map<std::string, char*, Hash, std::equal_to<>>;
  char* NewState();
  // The state in `groups` of the group scratch_ names, made on first use.
  char* GroupState(GroupMap* groups);
  std::string_view ColumnName(size_t column) const;
  void Sample(const char* kind, std::string_view reason, std::string_view value, int64_t offset,
              int64_t event_time_ms);
  void Malformed(MalformedReason reason, std::string_view field, std::string_view value,
                 int64_t offset);

  std::shared_ptr<const CompiledQuery> query_;
  std::unique_ptr<RowDecoder> decoder_;
  const AggregateSet* aggs_;
  int64_t watermark_ms_;
  uint32_t key_groups_;
  uint32_t shuffle_partitions_;
  bool prefilter_;
  Stage1Stats stats_;
  std::vector<Value> row_;
  std::vector<Value> keys_;
  std::vector<Value> outputs_;   // a stateless query's output row
  std::vector<Value> agg_args_;  // the aggregates' distinct arguments for the current record
  Arena arena_;
  std::string scratch_;  // window start (8 bytes) + encoded group key
  GroupMap groups_;      // by window start
  GroupMap panes_;       // HOP: by pane start (Finish merges each into its windows)
  bool panes_possible_;
  int64_t event_time_limit_ms_ = 0;
  std::vector<std::unique_ptr<char[]>> state_blocks_;
  size_t state_used_ = 0;  // bytes used in the newest block
  std::vector<std::string> rows_;
  std::vector<proto::RecordSample> samples_;
  int malformed_samples_ = 0;
  int late_samples_ = 0;
};

/// Turns closed windows' states into output rows. Not thread-safe: one per task.
class Finalizer {
 public:
  explicit Finalizer(std::shared_ptr<const CompiledQuery> query);
  /// Appends the JSON row of the window [start, end) of group `key` with serialized `state` to
  /// `*json` and returns true, or returns false when HAVING rejects it. With `key_text`, sets it
  /// to the group key's values as text, ","-separated (a Kafka sink's message key).
  Result<bool> Finish(std::string_view key, int64_t start, int64_t end, std::string_view state,
                      std::string* json, std::string* key_text = nullptr);

 private:
  std::shared_ptr<const CompiledQuery> query_;
  std::vector<Value> row_;
  std::vector<Value> out_;
  Arena arena_;
};

}  // namespace spate::exec
