// One running job on the master: admission, executor launch, and the micro-batch loop
// (plan -> offset log -> stage 1 -> shuffle -> stage 2 -> sink -> commit log).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "jobs/dataflow.h"
#include "master/cluster.h"
#include "master/meta_store.h"
#include "proto/spate.grpc.pb.h"
#include "worker/sink.h"

namespace spate::master {

/// Stubs to workers by address, shared by every job. Thread-safe.
class WorkerClients {
 public:
  proto::Worker::Stub* For(const std::string& address);

 private:
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<proto::Worker::Stub>> stubs_;
};

class LeaderElection;

/// What a job runner needs from the master; owned by the master, outlives every runner.
struct MasterContext {
  WorkerRegistry* registry = nullptr;
  JobStore* meta = nullptr;
  WorkerClients* clients = nullptr;
  /// With standby masters: this leader's election (takeover figures); null otherwise.
  LeaderElection* election = nullptr;
};

/// Drives one job on its own thread. Public methods are thread-safe.
class JobRunner {
 public:
  /// `resumed`: the job was running under a previous master (or an earlier submission with
  /// the same checkpoint dir): it continues from its checkpoint's commit log.
  JobRunner(std::string job_id, proto::JobSpec spec, jobs::CompiledPlan plan, MasterContext ctx,
            bool resumed = false);
  ~JobRunner();

  void Start();
  /// Ends the job at once (KILLED); the running batch is abandoned, never committed.
  void Kill();
  /// Ends the runner without ending the job (the master shuts down): its state stays RUNNING in
  /// the master's store, so the next master on the same state dir resumes it.
  void Abandon();
  /// Ends the job after the running batch commits (FINISHED); with `drain`, first emits every
  /// open window as if event time had ended.
  void Stop(bool drain);
  /// Tells the runner that a worker was declared lost.
  void OnWorkerLost(const std::string& worker_id);

  proto::JobStatus Status() const;
  /// Status, result batches after `request.results_after_batch()`, recent progress.
  void Fill(const proto::GetJobRequest& request, proto::GetJobReply* reply) const;
  bool Done() const;
  /// The job's checkpoint dir, as submitted (fixed for the job's life).
  const std::string& checkpoint_dir() const { return checkpoint_dir_; }

 private:
  void Run();
  spate::Status LoadCheckpoint();
  spate::Status Admit();
  /// Places and launches `count` more executors; false (and nothing changed) when the cluster
  /// cannot host them now.
  /// Places and launches `count` executors (on `only_worker` when given).
  spate::Result<bool> AddExecutors(int count, const std::string& only_worker = "");
  /// Spreads the job out again, as placement does at submission: when a worker holds two or
  /// more of its executors while a live worker with room holds none (a lost worker came back,
  /// one joined), moves one executor there; its key groups are restored from the checkpoint.
  /// Only with a checkpoint dir. Returns whether it moved one.
  bool SpreadOut();
  /// When the job began recovering from lost executors found between batches.
  std::optional<std::chrono::steady_clock::time_point> recovering_since_;
  /// Drops executors whose worker was declared lost; returns the lost workers' ids.
  std::vector<std::string> DropLostExecutors();
  /// Before a batch (attempt): replaces lost executors, and brings the job back to its
  /// requested executors when the cluster can host them. Blocks (RECOVERING) only while the
  /// job has no executor at all.
  spate::Status EnsureExecutors(int64_t batch_id);
  void Reassign();
  spate::Status RunBatches();
  spate::Status RunBatch(const proto::BatchPlan& plan, int attempt, int64_t trigger_gap_ms,
                         int64_t planning_ms);
  spate::Status WritePlan(const proto::BatchPlan& plan);
  /// The leader epoch (0: one master) and the attempt number tasks carry under it.
  int64_t epoch() const { return ctx_.meta ? ctx_.meta->epoch() : 0; }
  int32_t WireAttempt(int attempt) const;
  /// The first commit of a job taken over from a deposed leader: the takeover figure.
  void NoteTakeover();
  spate::Status WriteCommit(const proto::BatchCommit& commit);
  bool AnyExecutorLost();
  void ReleaseExecutors();
  /// Asks the executor's worker to stop it (best effort) and releases its resources.
  void StopExecutor(const proto::ExecutorAssignment& a);
  /// Sets and saves a state the job goes on from (a failed save is logged: a restart resumes
  /// the job either way).
  void SetState(proto::JobState state, const std::string& message);
  /// Ends the job as `state` (FINISHED, FAILED, KILLED) once that is saved; until then (or
  /// until the master shuts down) it keeps its state, says why in its message, and retries.
  void End(proto::JobState state, const std::string& message);
  bool Interruptible(std::chrono::milliseconds wait);
  // Waits before retry `attempt` (0, 1, ...): 200 ms more each time, at most 2 s; a kill ends it.
  void Backoff(int attempt);
  const proto::ExecutorAssignment* OwnerOfKafkaPartition(int32_t p) const;
  const proto::ExecutorAssignment* OwnerOfShufflePartition(int32_t s) const;

  const std::string job_id_;
  proto::JobSpec spec_;  // key groups may be taken from the checkpoint before the job starts
  const std::string checkpoint_dir_;  // spec_.checkpoint_dir(), readable from other threads
  const jobs::CompiledPlan plan_;
  MasterContext ctx_;

  // Loop state, touched only by the runner thread.
  std::vector<proto::ExecutorAssignment> executors_;
  int kafka_partitions_ = 0;
  int next_executor_ = 0;
  bool resumed_ = false;
  bool taken_over_ = false;       // resumed from a previous leader; until its first commit here
  bool finished_before_ = false;  // the checkpoint's last batch was final
  std::deque<proto::BatchPlan> pending_;     // planned, never committed: replay these first
  int64_t committed_watermark_ = INT64_MIN;  // the watermark the last committed batch ran under
  std::map<int32_t, int64_t> next_start_;
  std::map<int32_t, proto::PartitionEventTime> event_times_;
  int64_t watermark_ = INT64_MIN;
  /// When each watermark value was reached (increasing in both), for result latency.
  std::deque<std::pair<int64_t, int64_t>> watermark_reached_;
  void NoteWatermark(int64_t watermark_ms, int64_t at_ms);
  /// Milliseconds from the watermark passing window_end_ms to now_ms, or -1 if unknown.
  int64_t ResultLatency(int64_t window_end_ms, int64_t now_ms) const;
  int64_t next_batch_ = 0;
  int64_t last_batch_start_ms_ = 0;

  std::atomic<bool> kill_{false};
  std::atomic<bool> abandon_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> drain_{false};
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;

  mutable std::mutex mu_;  // guards what other threads read
  proto::JobStatus status_;
  std::deque<proto::ResultBatch> results_;
  std::deque<proto::BatchProgress> history_;
  std::set<std::string> lost_workers_;

  std::thread thread_;
};

/// Parses "processing-time=1s" / "available-now"; interval 0 for available-now.
Result<int64_t> ParseTriggerIntervalMs(const std::string& trigger);

}  // namespace spate::master
