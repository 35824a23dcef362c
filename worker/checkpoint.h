// State checkpoints in the job's --checkpoint-dir, a path that outlives any worker.
//
// Incremental, after Spark's changelog checkpointing: when a stage-2 task applies batch N to a
// key-group range it writes the batch's merged entries (a *delta*, proportional to the batch,
// not to the state); every few batches it writes the range's whole open state (a *snapshot*)
// instead. State is restored per key group: the newest snapshot at or before the wanted version
// plus the deltas after it, then the windows the version's watermark had closed are dropped
// (closings follow from the watermark, so deltas need not record them). Files are named by
// batch and key-group range, so a range can be restored by any executor, under any number of
// shuffle partitions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/key_group.h"
#include "common/status.h"
#include "worker/shuffle_codec.h"

namespace spate::worker {

/// An entry that owns its key (restored state, snapshots).
struct OwnedEntry {
  uint32_t key_group = 0;
  int64_t window_start_ms = 0;
  std::string key;
  int64_t count = 0;
};

/// The state files of one job under `<checkpoint-dir>/state`. Thread-safe for distinct ranges.
class StateCheckpoint {
 public:
  explicit StateCheckpoint(std::string dir) : dir_(std::move(dir)) {}

  /// Writes the entries batch `batch` merged into `range` (durable when it returns).
  Status WriteDelta(int64_t batch, KeyGroupRange range, const std::vector<ShuffleEntry>& entries);
  /// Writes the whole open state of `range` as of `batch`, then deletes the files of the range
  /// older than the previous snapshot (every version a replay may need is kept).
  Status WriteSnapshot(int64_t batch, KeyGroupRange range, const std::vector<OwnedEntry>& state);
  /// The state of `range` as of batch `version` (-1: empty): snapshot + deltas, summed, minus
  /// the windows whose end <= `watermark_ms` (closed by then). Sorted by (key group, window, key).
  Result<std::vector<OwnedEntry>> Load(KeyGroupRange range, int64_t version, int64_t watermark_ms,
                                       int64_t window_ms) const;
  /// Deletes files of batches after `version` (left by a batch that never committed).
  Status DiscardAfter(int64_t version);

  const std::string& dir() const { return dir_; }

 private:
  Status WriteFile(const std::string& name, int64_t batch, KeyGroupRange range,
                   const std::string& payload);
  std::string dir_;
};

}  // namespace spate::worker
