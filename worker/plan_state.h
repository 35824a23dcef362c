// Stage-2 state of SQL jobs: partial aggregates per (key group, window, group key) in RocksDB,
// merged batch by batch, finalized into output rows as windows close, and checkpointed through
// the same files and commit fencing as StateCheckpoint (worker/checkpoint.h).
//
// Layout: key = key group (4 bytes, big-endian) | window start (8 bytes, order-preserving) |
// encoded group key; value = window end (8 bytes) | the aggregates' serialized state. Tumbling and
// sliding windows and windowless groups merge with a RocksDB merge operator (no read before the
// write); session windows read the range's sessions, merge the ones a new partial overlaps, and
// write the result.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/key_group.h"
#include "common/status.h"
#include "exec/partial.h"
#include "exec/query.h"
#include "worker/checkpoint.h"

namespace spate::worker {

/// A window that closed and passed HAVING: its output row.
struct PlanRow {
  int64_t window_start_ms = 0;
  int64_t window_end_ms = 0;
  std::string json;
  std::string key;  ///< the group key's values as text ("user_1"; "a,b" for two keys)
};

struct PlanApplyResult {
  std::vector<PlanRow> rows;   ///< sorted by (window start, row)
  int64_t rows_merged = 0;     ///< partials merged into state
  int64_t windows_closed = 0;  ///< states dropped, emitted or not
  int64_t state_rows = 0;      ///< states left open in the range
  int64_t state_bytes = 0;
};

/// One executor's state for one query. Thread-safe for distinct key-group ranges.
class PlanStateStore {
 public:
  /// RocksDB under `dir`; `cache_bytes` bounds its block cache and write buffers.
  static Result<std::unique_ptr<PlanStateStore>> Open(
      const std::string& dir, int64_t cache_bytes,
      std::shared_ptr<const exec::CompiledQuery> query);
  virtual ~PlanStateStore() = default;

  /// Atomically: merges `entries` (all inside `range`) into the state, then drops every window
  /// of `range` whose end <= watermark_ms, finalizing each with `finalizer` into rows, and
  /// records `version` for the range (-1: not tracked).
  virtual Result<PlanApplyResult> ApplyBatch(KeyGroupRange range,
                                             const std::vector<exec::PartialEntry>& entries,
                                             int64_t watermark_ms, int64_t version,
                                             exec::Finalizer* finalizer) = 0;
  virtual Result<int64_t> Version(KeyGroupRange range) = 0;
  /// Replaces the range's state with `entries` at `version`.
  virtual Status Reset(KeyGroupRange range, const std::vector<exec::OwnedPartial>& entries,
                       int64_t version) = 0;
  /// The range's open state, sorted by (key group, window start, key).
  virtual Result<std::vector<exec::OwnedPartial>> Dump(KeyGroupRange range) = 0;
};

/// Writes the partials batch `batch` merged into `range` (a delta) to the checkpoint.
Status WritePlanDelta(StateCheckpoint* checkpoint, int64_t batch, int32_t attempt,
                      KeyGroupRange range, const std::vector<exec::PartialEntry>& entries);
/// Writes the range's whole open state as of `batch` (a snapshot).
Status WritePlanSnapshot(StateCheckpoint* checkpoint, int64_t batch, int32_t attempt,
                         KeyGroupRange range, const std::vector<exec::OwnedPartial>& state);
/// The state of `range` as of batch `version` (-1: empty): the newest snapshot plus the deltas
/// after it, merged as ApplyBatch merges, minus the windows closed by `watermark_ms`.
Result<std::vector<exec::OwnedPartial>> LoadPlanState(const StateCheckpoint& checkpoint,
                                                      KeyGroupRange range, int64_t version,
                                                      int64_t watermark_ms,
                                                      const exec::CompiledQuery& query);

}  // namespace spate::worker
