// A small dataflow API: a job is a pipeline over log records, compiled into a plan that
// executors run. source -> filter* -> map (project) -> key by -> tumbling window -> count
// -> having -> sink. The plan is declarative (no per-record callbacks), so the executor's
// stage-1 loop can run it over raw Kafka bytes with a pre-filter.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/log_record.h"
#include "common/status.h"

namespace spate::jobs {

/// A filter on one string field, ASCII case-insensitive.
struct Predicate {
  enum class Kind { kEqualsAny, kContains };
  Kind kind = Kind::kEqualsAny;
  RecordField field = kFieldSeverity;
  std::vector<std::string> values;  ///< lower-cased at construction

  /// field equals one of `values` (case-insensitive).
  static Predicate EqualsAny(RecordField field, std::vector<std::string> values);
  /// field contains `needle` (case-insensitive).
  static Predicate Contains(RecordField field, std::string needle);
  bool Matches(const LogRecordView& record) const;
};

/// What an executor runs for stage 1 and stage 2. Immutable, cheap to copy.
struct CompiledPlan {
  std::vector<Predicate> filters;
  uint32_t required_fields = 0;  ///< fields the parser must extract
  std::string prefilter;         ///< lower-case needle every matching record contains ("" = none)
  RecordField key_field = kFieldUserId;
  std::string key_column = "user_id";
  std::string count_column = "count";
  int64_t window_ms = 10'000;
  int64_t watermark_delay_ms = 10'000;
  int64_t having_more_than = 0;  ///< emit a row when count > this
  std::string description;       ///< one line, for status pages
};

/// Builder for a CompiledPlan. Methods return *this for chaining; Compile() validates.
class Pipeline {
 public:
  /// Starts a pipeline whose source is the job's Kafka topic (set by spate-submit).
  static Pipeline FromKafka();
  Pipeline& Filter(Predicate p);
  /// Map: keeps only the named fields of each record (plus the event time).
  Pipeline& Project(uint32_t fields);
  Pipeline& KeyBy(RecordField field, std::string column_name);
  Pipeline& TumblingWindow(int64_t size_ms, int64_t watermark_delay_ms);
  Pipeline& Count(std::string column_name);
  /// Keep rows whose count is strictly greater than `threshold`.
  Pipeline& HavingMoreThan(int64_t threshold);

  /// Validates the pipeline (window > 0, a key, a count) and returns the plan.
  Result<CompiledPlan> Compile() const;

 private:
  CompiledPlan plan_;
  bool has_key_ = false;
  bool has_window_ = false;
  bool has_count_ = false;
  uint32_t projected_ = kAllFields;
};

/// Name of a field as it appears in JSON ("user_id").
std::string_view FieldName(RecordField field);

}  // namespace spate::jobs
