// The master's durable state in RocksDB (--state-dir): jobs, offset log, commit log.
#pragma once

#include <google/protobuf/message.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/spate.pb.h"

namespace rocksdb {
class DB;
class Env;
}  // namespace rocksdb

namespace spate::master {

/// Thread-safe (RocksDB is). Every write is synced: a batch is in the offset log before any
/// task reads it, and in the commit log only once it is done.
class MetaStore {
 public:
  /// `env` (not owned, outlives the store): RocksDB's environment, for tests that inject
  /// failures; null is the default one.
  static Result<std::unique_ptr<MetaStore>> Open(const std::string& dir,
                                                 rocksdb::Env* env = nullptr);
  ~MetaStore();

  Status PutJob(const proto::JobStatus& job);

  /// A job record that could not be read, and why.
  struct UnreadableJob {
    std::string job_id;  ///< from the record's key
    std::string reason;
  };
  struct StoredJobs {
    std::vector<proto::JobStatus> jobs;
    std::vector<UnreadableJob> unreadable;  ///< skipped; the others are in `jobs`
  };
  /// Every job record. One that does not parse is skipped and listed in `unreadable`; an error
  /// only when the store itself cannot be read.
  Result<StoredJobs> LoadJobs();

  /// Offset log: the plan of batch `plan.batch_id()` of `job_id`.
  Status WritePlan(const std::string& job_id, const proto::BatchPlan& plan);
  Result<std::optional<proto::BatchPlan>> ReadPlan(const std::string& job_id, int64_t batch_id);
  /// Commit log.
  Status WriteCommit(const std::string& job_id, const proto::BatchCommit& commit);
  /// The latest committed batch of the job, if any.
  Result<std::optional<proto::BatchCommit>> LatestCommit(const std::string& job_id);
  /// The batch ids in the offset log of `job_id`, ascending (for tests and the API).
  Result<std::vector<int64_t>> PlannedBatches(const std::string& job_id);
  /// Deletes the offset- and commit-log records of `job_id`'s batches below `batch`.
  Status ForgetBatchesBefore(const std::string& job_id, int64_t batch);

 private:
  explicit MetaStore(std::unique_ptr<rocksdb::DB> db);
  Status Put(const std::string& key, const google::protobuf::Message& m);

  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace spate::master
