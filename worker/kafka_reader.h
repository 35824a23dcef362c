// Reading an exact offset range of one Kafka partition: the source seam of stage 1.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace spate::worker {

/// Receives one message: its offset and value.
using RecordFn = std::function<void(int64_t offset, std::string_view value)>;

/// Reads planned offset ranges. Whether one reader serves several tasks at once is up to the
/// implementation: executors keep a pool of them, reused across batches.
class PartitionReader {
 public:
  virtual ~PartitionReader() = default;
  /// Calls `fn` with each message (offset, value) of [start, end) of `topic`/`partition`, in offset
  /// order. Fails (Unavailable) when no progress is made for the reader's stall timeout. Offsets
  /// of the range that Kafka no longer holds (deleted by retention) fail it with OutOfRange, or,
  /// for a reader made to skip them, are skipped and added to `*offsets_lost` (when not null).
  virtual Status ReadRange(const std::string& topic, int32_t partition, int64_t start, int64_t end,
                           const RecordFn& fn, int64_t* offsets_lost) = 0;
  Status ReadRange(const std::string& topic, int32_t partition, int64_t start, int64_t end,
                   const RecordFn& fn) {
    return ReadRange(topic, partition, start, end, fn, nullptr);
  }
};

/// One librdkafka consumer for every partition of `topic` an executor reads (no group, no
/// commits), safe for concurrent tasks on different partitions. A partition keeps fetching after
/// a range was read, so a range that starts where the last one ended is read from records
/// already fetched; any other start repositions it. `overrides` are librdkafka properties from
/// the job's --conf spate.kafka.* settings (queue limits apply per partition). `skip_lost`:
/// offsets deleted from Kafka before they were read are skipped and counted instead of failing
/// the read (spate.source.fail-on-data-loss=false).
Result<std::shared_ptr<PartitionReader>> MakeKafkaReader(
    const std::string& bootstrap, const std::string& topic,
    const std::map<std::string, std::string>& overrides, int64_t stall_timeout_ms,
    bool skip_lost = false);

}  // namespace spate::worker
