// An executor: the part of a job that runs on one worker, with its own cores (concurrent tasks),
// memory budget (state cache, shuffle inbox), Kafka readers and RocksDB window state.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <semaphore>
#include <string>
#include <vector>

#include "common/status.h"
#include "exec/query.h"
#include "jobs/dataflow.h"
#include "proto/spate.pb.h"
#include "worker/checkpoint.h"
#include "worker/kafka_reader.h"
#include "worker/plan_state.h"
#include "worker/sink.h"
#include "worker/state_store.h"

namespace spate::worker {

/// Tells a running task that its caller gave up on it (the master cancelled the attempt, e.g.
/// because a worker was lost): the task stops at the next check and frees its core.
using CancelledFn = std::function<bool()>;

/// Delivers shuffle blocks to the executor that owns a shuffle partition. Thread-safe.
class ShuffleTransport {
 public:
  virtual ~ShuffleTransport() = default;
  /// Pushes `block` to the worker at `address`; retries while the receiver applies back-pressure,
  /// until it is accepted, fails for good or `cancelled` (may be empty) says to stop.
  virtual Status Push(const std::string& address, const proto::ShuffleBlock& block,
                      const CancelledFn& cancelled) = 0;
};

/// Makes readers for an executor's Kafka partitions; a seam so tests can feed records.
using ReaderFactory = std::function<Result<std::unique_ptr<PartitionReader>>()>;

/// Runs one job's tasks on this worker. Thread-safe: tasks run concurrently on gRPC threads,
/// at most `cores` at a time.
class Executor {
 public:
  static Result<std::unique_ptr<Executor>> Make(const proto::LaunchExecutorRequest& request,
                                                const std::string& work_dir,
                                                ShuffleTransport* transport,
                                                ReaderFactory readers = nullptr);

  /// Stage 1 for one Kafka partition's planned range; pushes its shuffle blocks before replying.
  Result<proto::SourceTaskReply> RunSourceTask(const proto::SourceTaskRequest& request,
                                               const CancelledFn& cancelled = {});
  /// Stage 2 for one shuffle partition: merges the batch's blocks into state, emits windows.
  Result<proto::StateTaskReply> RunStateTask(const proto::StateTaskRequest& request,
                                             const CancelledFn& cancelled = {});
  /// Receives a shuffle block (from any worker). ResourceExhausted when the inbox is full.
  Status AcceptShuffle(const proto::ShuffleBlock& block);

  const std::string& executor_id() const { return assignment_.executor_id(); }
  const jobs::CompiledPlan& plan() const { return plan_; }

 private:
  struct InboxSlot {
    int32_t attempt = -1;
    std::map<int32_t, std::string> blocks;  // by seq
  };
  using InboxKey = std::pair<int64_t, int32_t>;  // (batch, shuffle partition)

  // Holds one of the executor's cores for a task's lifetime; `concurrent` counts the tasks
  // holding one, this one included.
  struct CoreSlot {
    explicit CoreSlot(Executor* e) : executor(e) {
      e->cores_.acquire();
      concurrent = ++e->running_;
    }
    ~CoreSlot() {
      --executor->running_;
      executor->cores_.release();
    }
    CoreSlot(const CoreSlot&) = delete;
    CoreSlot& operator=(const CoreSlot&) = delete;
    Executor* executor;
    int concurrent = 0;
  };

  Executor(proto::LaunchExecutorRequest request, jobs::CompiledPlan plan,
           std::unique_ptr<WindowStateStore> state, ShuffleTransport* transport,
           ReaderFactory readers);
  // SQL jobs (the spec carries a plan): worker/executor_plan.cc.
  Result<proto::SourceTaskReply> RunPlanSourceTask(const proto::SourceTaskRequest& request,
                                                   const CancelledFn& cancelled);
  Result<proto::StateTaskReply> RunPlanStateTask(const proto::StateTaskRequest& request,
                                                 const CancelledFn& cancelled);
  // Waits for exactly the blocks a state task expects and takes them out of the inbox, with
  // the blocks of older batches of its partition (abandoned attempts').
  Result<std::map<int32_t, InboxSlot>> TakeBlocks(const proto::StateTaskRequest& request,
                                                  const CancelledFn& cancelled);
  Result<std::unique_ptr<PartitionReader>> TakeReader();
  void ReturnReader(std::unique_ptr<PartitionReader> reader);
  Status PushBlocks(const proto::SourceTaskRequest& request, std::vector<std::string> data,
                    const std::vector<int64_t>& entries, const CancelledFn& cancelled,
                    proto::SourceTaskReply* reply);

  // Writes a task's rows (part `part` of the batch) to the job's sink, unless the sink is the
  // console: then the rows stay for the master. Leaves a preview of kSinkPreviewRows in `rows`.
  // False in *written for the console.
  Status WriteSink(int64_t batch_id, int32_t part, std::vector<proto::ResultRow>* rows,
                   proto::SinkWrite* out, bool* written);

  proto::JobSpec spec_;
  proto::ExecutorAssignment assignment_;
  jobs::CompiledPlan plan_;
  std::unique_ptr<WindowStateStore> state_;
  std::shared_ptr<const exec::CompiledQuery> query_;  // SQL jobs; null for compiled jobs
  std::unique_ptr<PlanStateStore> plan_state_;        // SQL jobs that aggregate
  ShuffleTransport* transport_;
  ReaderFactory readers_;
  bool prefilter_ = true;
  std::unique_ptr<StateCheckpoint> checkpoint_;  // null: the job has no checkpoint dir
  int64_t snapshot_interval_ = 10;
  std::counting_semaphore<1024> cores_;
  std::atomic<int> running_{0};  // tasks holding a core

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<PartitionReader>> idle_readers_;

  std::mutex inbox_mu_;
  std::condition_variable inbox_cv_;
  std::map<InboxKey, std::map<int32_t, InboxSlot>> inbox_;  // -> map partition -> slot
  int64_t inbox_bytes_ = 0;
  int64_t inbox_limit_ = 0;

  // The job's sink, one per part (a Kafka sink's transactions are per part); a part's writes
  // are serialized by its own mutex.
  struct SinkSlot {
    std::mutex mu;
    std::unique_ptr<Sink> sink;
  };
  SinkOptions sink_options_;
  std::mutex sinks_mu_;
  std::map<int32_t, std::unique_ptr<SinkSlot>> sinks_;
};

/// Rows a task that wrote its own sink still returns to the master, for the page.
inline constexpr int kSinkPreviewRows = 20;

/// Splits an encoded buffer into chunks of at most `max_bytes` at entry boundaries.
std::vector<std::string> SplitEncoded(std::string data, size_t max_bytes);

}  // namespace spate::worker
