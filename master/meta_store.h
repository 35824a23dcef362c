// The master's durable state in RocksDB (--state-dir): jobs, offset log, commit log.
#pragma once

#include <google/protobuf/message.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "master/job_store.h"
#include "proto/spate.pb.h"

namespace rocksdb {
class DB;
class Env;
}  // namespace rocksdb

namespace spate::master {

/// Thread-safe (RocksDB is). Every write is synced: a batch is in the offset log before any
/// task reads it, and in the commit log only once it is done.
class MetaStore : public JobStore {
 public:
  /// `env` (not owned, outlives the store): RocksDB's environment, for tests that inject
  /// failures; null is the default one.
  static Result<std::unique_ptr<MetaStore>> Open(const std::string& dir,
                                                 rocksdb::Env* env = nullptr);
  ~MetaStore() override;

  Status PutJob(const proto::JobStatus& job) override;
  Result<StoredJobs> LoadJobs() override;

  /// Offset log: the plan of batch `plan.batch_id()` of `job_id`.
  Status WritePlan(const std::string& job_id, const proto::BatchPlan& plan) override;
  Result<std::optional<proto::BatchPlan>> ReadPlan(const std::string& job_id, int64_t batch_id);
  /// Commit log.
  Status WriteCommit(const std::string& job_id, const proto::BatchCommit& commit) override;
  /// The latest committed batch of the job, if any.
  Result<std::optional<proto::BatchCommit>> LatestCommit(const std::string& job_id);
  /// The batch ids in the offset log of `job_id`, ascending (for tests and the API).
  Result<std::vector<int64_t>> PlannedBatches(const std::string& job_id);
  /// Deletes the offset- and commit-log records of `job_id`'s batches below `batch`.
  Status ForgetBatchesBefore(const std::string& job_id, int64_t batch) override;

 private:
  explicit MetaStore(std::unique_ptr<rocksdb::DB> db);
  Status Put(const std::string& key, const google::protobuf::Message& m);

  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace spate::master
