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

/// Reads planned offset ranges. One reader serves one task at a time (not thread-safe);
/// executors keep a pool, one per core, reused across batches.
class PartitionReader {
 public:
  virtual ~PartitionReader() = default;
  /// Calls `fn` with each message value of [start, end) of `topic`/`partition`, in offset
  /// order. Fails (Unavailable) when no progress is made for the reader's stall timeout.
  virtual Status ReadRange(const std::string& topic, int32_t partition, int64_t start, int64_t end,
                           const std::function<void(std::string_view)>& fn) = 0;
};

/// A librdkafka consumer (manual assignment, no group commits). `overrides` are librdkafka
/// properties from the job's --conf spate.kafka.* settings.
Result<std::unique_ptr<PartitionReader>> MakeKafkaReader(
    const std::string& bootstrap, const std::map<std::string, std::string>& overrides,
    int64_t stall_timeout_ms);

}  // namespace spate::worker
