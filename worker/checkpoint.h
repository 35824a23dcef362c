// State checkpoints in the job's --checkpoint-dir, a path that outlives any worker.
//
// Incremental, after Spark's changelog checkpointing: when a stage-2 task applies batch N to a
// key-group range it writes the batch's merged entries (a *delta*, proportional to the batch,
// not to the state); every few batches it writes the range's whole open state (a *snapshot*)
// instead. State is restored per key group: the newest snapshot at or before the wanted version
// plus the deltas after it, then the windows the version's watermark had closed are dropped
// (closings follow from the watermark, so deltas need not record them). Files are named by
// batch, attempt and key-group range, so a range can be restored by any executor, under any
// number of shuffle partitions. A task the master gave up on (a worker cut off by the network
// still writes to shared storage) may leave files of its attempt behind: restore takes, per
// batch, only the files of the attempt the job's commit log says committed.
#pragma once

#include <cstdint>
#include <map>
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
  /// `commits_dir` holds the job's commit log (BatchCommit files named by 12-digit batch id);
  /// empty, or a batch without a commit file there: every attempt's files are taken.
  explicit StateCheckpoint(std::string dir, std::string commits_dir = "")
      : dir_(std::move(dir)), commits_dir_(std::move(commits_dir)) {}

  /// Writes the entries attempt `attempt` of batch `batch` merged into `range` (durable when it
  /// returns).
  Status WriteDelta(int64_t batch, int32_t attempt, KeyGroupRange range,
                    const std::vector<ShuffleEntry>& entries);
  /// Writes the whole open state of `range` as of `batch`, then deletes the files of the range
  /// older than the previous committed snapshot (every version a replay may need is kept).
  Status WriteSnapshot(int64_t batch, int32_t attempt, KeyGroupRange range,
                       const std::vector<OwnedEntry>& state);
  /// The state of `range` as of batch `version` (-1: empty): snapshot + deltas, summed, minus
  /// the windows whose end <= `watermark_ms` (closed by then). Sorted by (key group, window, key).
  /// Every key group of a committed version has a snapshot at or before it (batch 0 writes one
  /// for every range, and WriteSnapshot keeps the previous one): when the dir is missing, or a
  /// key group has none, the checkpoint is not all there (not mounted on this worker, files
  /// lost) and Load fails with FailedPrecondition instead of returning empty state.
  Result<std::vector<OwnedEntry>> Load(KeyGroupRange range, int64_t version, int64_t watermark_ms,
                                       int64_t window_ms) const;
  /// Deletes files of batches after `version` (left by a batch that never committed).
  Status DiscardAfter(int64_t version);

  /// A file's contents, whatever its entries' format (SQL jobs keep partial aggregates).
  struct File {
    bool snapshot = false;
    int64_t batch = 0;
    int32_t attempt = 0;
    KeyGroupRange range;
    std::string payload;
  };
  /// Writes a delta or a snapshot payload (durable when it returns); a snapshot then deletes the
  /// range's files older than its previous committed snapshot, as WriteSnapshot does.
  Status WritePayload(bool snapshot, int64_t batch, int32_t attempt, KeyGroupRange range,
                      const std::string& payload);
  /// The committed files `range` at `version` is made of, sorted by batch (snapshots first
  /// within a batch), and per key group of `range` the batch of its newest snapshot (-1: none):
  /// key group g takes the snapshot of batch snapshot_of[g - range.begin] and the deltas after.
  Status ReadFiles(KeyGroupRange range, int64_t version, std::vector<File>* files,
                   std::vector<int64_t>* snapshot_of) const;

  const std::string& dir() const { return dir_; }

 private:
  Status WriteFile(const std::string& name, const std::string& payload);
  /// Whether files of `attempt` of `batch` hold committed state.
  bool Committed(int64_t batch, int32_t attempt, std::map<int64_t, int32_t>* cache) const;
  std::string dir_;
  std::string commits_dir_;
};

}  // namespace spate::worker
