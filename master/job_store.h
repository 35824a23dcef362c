// Where the master keeps what a restarted or newly elected master needs to resume its jobs:
// the jobs (spec, state) and the newest entries of each job's offset and commit logs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/spate.pb.h"

namespace spate::master {

/// The master's durable job metadata. Implementations: MetaStore (RocksDB under the master's
/// --state-dir, one master) and ZkJobStore (ZooKeeper, shared by standby masters, every write
/// fenced by the leader's epoch). Thread-safe.
class JobStore {
 public:
  virtual ~JobStore() = default;

  /// A job record that could not be read, and why.
  struct UnreadableJob {
    std::string job_id;  ///< from the record's key
    std::string reason;
  };
  struct StoredJobs {
    std::vector<proto::JobStatus> jobs;
    std::vector<UnreadableJob> unreadable;  ///< skipped; the others are in `jobs`
  };

  virtual Status PutJob(const proto::JobStatus& job) = 0;
  /// Every job record. One that does not parse is skipped and listed in `unreadable`; an error
  /// only when the store itself cannot be read.
  virtual Result<StoredJobs> LoadJobs() = 0;
  /// Offset log: the plan of batch `plan.batch_id()` of `job_id`, before any task reads it.
  virtual Status WritePlan(const std::string& job_id, const proto::BatchPlan& plan) = 0;
  /// Commit log: batch `commit.batch_id()` is done.
  virtual Status WriteCommit(const std::string& job_id, const proto::BatchCommit& commit) = 0;

  /// Where a job resumes from, when this store is the authority on it.
  struct ResumePoint {
    std::optional<proto::BatchCommit> commit;  ///< the newest commit
    std::optional<proto::BatchPlan> plan;      ///< the newest plan (replayed when after commit)
  };
  /// The job's newest plan and commit when this store decides where it resumes (with standby
  /// masters, a deposed leader may still write the checkpoint dir's copies late); nullopt when
  /// the checkpoint dir's own logs decide (one master).
  virtual Result<std::optional<ResumePoint>> LoadResumePoint(const std::string& job_id) {
    (void)job_id;
    return std::optional<ResumePoint>();
  }
  /// Deletes the offset- and commit-log entries of `job_id`'s batches below `batch`, where the
  /// store keeps more than the newest.
  virtual Status ForgetBatchesBefore(const std::string& job_id, int64_t batch) {
    (void)job_id;
    (void)batch;
    return Status::OK();
  }
  /// The leader epoch this store writes under: 0 without standby masters.
  virtual int64_t epoch() const { return 0; }
};

}  // namespace spate::master
