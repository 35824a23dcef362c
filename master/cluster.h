// The master's view of the cluster: workers and their liveness, and where executors go.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/spate.pb.h"

namespace spate::master {

/// A registered worker as the master sees it.
struct WorkerRecord {
  std::string id;
  std::string host;
  int port = 0;
  int cores = 0;
  int64_t memory_bytes = 0;
  int cores_used = 0;
  int64_t memory_used = 0;
  int64_t registered_ms = 0;
  int64_t last_heartbeat_ms = 0;
  bool alive = true;
  std::vector<std::string> executors;  ///< executor ids the worker reported

  std::string address() const { return host + ":" + std::to_string(port); }
  int free_cores() const { return cores - cores_used; }
  int64_t free_memory() const { return memory_bytes - memory_used; }
};

/// Workers, liveness by heartbeat timeout, and resource bookkeeping. Thread-safe.
/// The clock is injected so tests control time.
class WorkerRegistry {
 public:
  WorkerRegistry(std::function<int64_t()> clock, int64_t timeout_ms);

  /// Registers (or re-registers) a worker; returns its id. A worker re-registering with the id
  /// it had keeps it; a new one gets "worker-<n>-<host>-<port>".
  std::string Register(const proto::WorkerInfo& info);
  /// Records a heartbeat. False when the worker is unknown or was declared lost: it must
  /// register again.
  bool Heartbeat(const std::string& id, const std::vector<std::string>& executors);
  /// Declares lost every live worker whose last heartbeat is older than the timeout;
  /// returns their ids.
  std::vector<std::string> ExpireLost();
  /// Reserves resources on a live worker. FailedPrecondition if it is gone or lacks them.
  Status Reserve(const std::string& id, int cores, int64_t memory);
  void Release(const std::string& id, int cores, int64_t memory);

  std::vector<WorkerRecord> Snapshot() const;
  bool IsAlive(const std::string& id) const;
  int64_t timeout_ms() const { return timeout_ms_; }

 private:
  std::function<int64_t()> clock_;
  int64_t timeout_ms_;
  mutable std::mutex mu_;
  std::map<std::string, WorkerRecord> workers_;
  int next_id_ = 0;
};

/// Chooses a worker for each of `count` executors of `cores` and `memory`, spreading them
/// over workers (Spark's spreadOut) and never over-committing a worker. ResourceExhausted with
/// a message saying what is missing when the live workers cannot host them all.
Result<std::vector<std::string>> PlaceExecutors(const std::vector<WorkerRecord>& workers, int count,
                                                int cores, int64_t memory);

/// Gives executor i the Kafka partitions p with p % n == i and the shuffle partitions s with
/// s % n == i, each shuffle partition with its key-group range. With no executor, does nothing.
void AssignWork(std::vector<proto::ExecutorAssignment>* executors, int kafka_partitions,
                int shuffle_partitions, int key_groups);

}  // namespace spate::master
