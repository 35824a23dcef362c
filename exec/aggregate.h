// Aggregate accumulators with a byte layout, after DuckDB's aggregate functions
// (state_size / initialize / update / combine / finalize).
//
// Each group has an in-memory *state* (state_size() bytes, placement-initialized) that stage 1
// updates record by record (the map-side combine), and a *serialized* form (bytes) that crosses
// the shuffle, sits in RocksDB and in checkpoints, and merges with another serialized form
// without being decoded by anyone but this class. COUNT and SUM are 8 bytes (+ a NULL flag);
// AVG is a sum and a count; MIN and MAX keep a value; COUNT DISTINCT a set of encoded values;
// APPROX_COUNT_DISTINCT the registers of a HyperLogLog.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "exec/value.h"
#include "proto/plan.pb.h"

namespace spate::exec {

/// The accumulators of a query's aggregates, all together (one state holds them all).
/// Immutable after Make; thread-safe for concurrent use on distinct states.
class AggregateSet {
 public:
  /// `aggregates` in plan order; each one's argument is compiled here.
  static Result<std::unique_ptr<AggregateSet>> Make(
      const google::protobuf::RepeatedPtrField<proto::AggregateCall>& aggregates);
  virtual ~AggregateSet() = default;

  /// Bytes of one in-memory state (aligned to 8).
  virtual size_t state_size() const = 0;
  /// Makes an empty state at `state` (state_size() bytes, 8-aligned).
  virtual void Init(char* state) const = 0;
  /// Adds one record: evaluates each aggregate's argument over `source_row`.
  virtual void Update(char* state, const Value* source_row, Arena* arena) const = 0;
  /// The distinct arguments of the aggregates (SUM(x) and MAX(x) share x): EvalArgs writes
  /// arg_count() values.
  virtual size_t arg_count() const = 0;
  /// Evaluates each distinct argument once over `source_row` into args[0 .. arg_count() - 1]
  /// (strings live in `arena` or view the row), for UpdateArgs on one or more states: a record
  /// in several windows (HOP) evaluates its arguments once.
  virtual void EvalArgs(const Value* source_row, Arena* arena, Value* args) const = 0;
  /// Adds one record whose arguments EvalArgs evaluated. Update(s, row, a) is EvalArgs then this.
  virtual void UpdateArgs(char* state, const Value* args) const = 0;
  /// Appends the serialized form of `state` to `out`.
  virtual void Serialize(const char* state, std::string* out) const = 0;
  /// Frees what Init and Update allocated (distinct sets).
  virtual void Destroy(char* state) const = 0;

  /// Serialized forms: `*into` becomes the merge of itself and `other` (an empty `*into` is the
  /// empty state). Corruption when either is not a serialized form of this set.
  virtual Status Merge(std::string* into, std::string_view other) const = 0;
  /// One value per aggregate (plan order) from a serialized form, into out[0 .. n-1]; strings
  /// live in `arena` or view `bytes`.
  virtual Status Finalize(std::string_view bytes, Value* out, Arena* arena) const = 0;
  /// The number of aggregates.
  virtual size_t size() const = 0;
};

}  // namespace spate::exec
