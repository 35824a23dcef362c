// Window state of stage 2: counts per (key group, window start, key), stored by key group so a
// contiguous range of key groups can move between executors without rehashing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/key_group.h"
#include "common/status.h"
#include "worker/checkpoint.h"
#include "worker/shuffle_codec.h"

namespace spate::worker {

/// A window that closed: its count passed the job's `having` test.
struct EmittedRow {
  int64_t window_start_ms = 0;
  std::string key;
  int64_t count = 0;
};

/// What one ApplyBatch did.
struct ApplyResult {
  std::vector<EmittedRow> rows;  ///< closed windows with count > having, sorted
  int64_t rows_merged = 0;       ///< entries merged into state
  int64_t windows_closed = 0;    ///< (window, key) states dropped, emitted or not
  int64_t state_rows = 0;        ///< (window, key) states left open in the range
  int64_t state_bytes = 0;       ///< approximate bytes of those
};

/// Window state of one executor. Thread-safe: stage-2 tasks of different key-group ranges may
/// call ApplyBatch concurrently (their keys are disjoint).
class WindowStateStore {
 public:
  virtual ~WindowStateStore() = default;

  /// Atomically: drops every window of `range` whose end (start + window_ms) <= watermark_ms,
  /// returning those whose count is greater than `having_more_than`, and adds `entries` (all
  /// inside `range`). Entries never fall into a closed window (stage 1 drops records whose
  /// window closed), so the two parts commute; an entry of a closed window is added, not emitted.
  /// `version` (the batch id; -1: not tracked) is recorded for the range in the same write.
  virtual Result<ApplyResult> ApplyBatch(KeyGroupRange range,
                                         const std::vector<ShuffleEntry>& entries,
                                         int64_t watermark_ms, int64_t window_ms,
                                         int64_t having_more_than, int64_t version = -1) = 0;

  /// The batch the range's state is at (-1: none recorded, e.g. a new store or another
  /// range split).
  virtual Result<int64_t> Version(KeyGroupRange range) = 0;
  /// Replaces the range's state with `entries` at `version` (a restore), atomically.
  virtual Status Reset(KeyGroupRange range, const std::vector<OwnedEntry>& entries,
                       int64_t version) = 0;
  /// The range's open state, sorted by (key group, window, key) (for snapshots).
  virtual Result<std::vector<OwnedEntry>> Dump(KeyGroupRange range) = 0;
};

/// RocksDB-backed state under `dir`; `cache_bytes` bounds the block cache and write buffers
/// (from --executor-memory).
Result<std::unique_ptr<WindowStateStore>> OpenRocksDbStateStore(const std::string& dir,
                                                                int64_t cache_bytes);

/// In-memory state with the same semantics, for unit tests.
std::unique_ptr<WindowStateStore> MakeMemoryStateStore();

/// The state key: big-endian key group (4 bytes), order-preserving window start (8 bytes), key.
std::string EncodeStateKey(uint32_t key_group, int64_t window_start_ms, std::string_view key);

}  // namespace spate::worker
