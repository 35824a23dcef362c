#include "master/meta_store.h"

#include <rocksdb/db.h>

#include <cinttypes>
#include <cstdio>
#include <filesystem>

namespace spate::master {
namespace {

std::string BatchKey(const std::string& job_id, const char* log, int64_t batch) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020" PRId64, batch);
  return "job/" + job_id + "/" + log + "/" + buf;
}

}  // namespace

MetaStore::MetaStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}
MetaStore::~MetaStore() = default;

Result<std::unique_ptr<MetaStore>> MetaStore::Open(const std::string& dir, rocksdb::Env* env) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create state dir " + dir + ": " + ec.message());
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_background_jobs = 1;
  if (env) options.env = env;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) {
    return Status::IOError("cannot open master state in " + dir + ": " + s.ToString() +
                           " (is another master using it?)");
  }
  return std::unique_ptr<MetaStore>(new MetaStore(std::unique_ptr<rocksdb::DB>(raw)));
}

Status MetaStore::Put(const std::string& key, const google::protobuf::Message& m) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  auto s = db_->Put(wo, key, m.SerializeAsString());
  if (!s.ok()) return Status::IOError("master state write " + key + ": " + s.ToString());
  return Status::OK();
}

Status MetaStore::PutJob(const proto::JobStatus& job) { return Put("jobs/" + job.job_id(), job); }

Result<MetaStore::StoredJobs> MetaStore::LoadJobs() {
  StoredJobs out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("jobs/"); it->Valid() && it->key().starts_with("jobs/"); it->Next()) {
    proto::JobStatus j;
    if (!j.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      out.unreadable.push_back(
          {it->key().ToString().substr(5), "record " + it->key().ToString() + " (" +
                                               std::to_string(it->value().size()) +
                                               " bytes) is not a job status"});
      continue;
    }
    out.jobs.push_back(std::move(j));
  }
  if (!it->status().ok()) return Status::IOError("master state read: " + it->status().ToString());
  return out;
}

Status MetaStore::WritePlan(const std::string& job_id, const proto::BatchPlan& plan) {
  return Put(BatchKey(job_id, "offsets", plan.batch_id()), plan);
}

Result<std::optional<proto::BatchPlan>> MetaStore::ReadPlan(const std::string& job_id,
                                                            int64_t batch_id) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), BatchKey(job_id, "offsets", batch_id), &value);
  if (s.IsNotFound()) return std::optional<proto::BatchPlan>();
  if (!s.ok()) return Status::IOError("offset log read: " + s.ToString());
  proto::BatchPlan plan;
  if (!plan.ParseFromString(value)) return Status::Corruption("bad offset log entry");
  return std::optional<proto::BatchPlan>(std::move(plan));
}

Status MetaStore::ForgetBatchesBefore(const std::string& job_id, int64_t batch) {
  if (batch <= 0) return Status::OK();
  rocksdb::WriteOptions wo;
  for (const char* log : {"offsets", "commits"}) {
    auto s = db_->DeleteRange(wo, db_->DefaultColumnFamily(), BatchKey(job_id, log, 0),
                              BatchKey(job_id, log, batch));
    if (!s.ok()) return Status::IOError("forget old batches of " + job_id + ": " + s.ToString());
  }
  return Status::OK();
}

Status MetaStore::WriteCommit(const std::string& job_id, const proto::BatchCommit& commit) {
  return Put(BatchKey(job_id, "commits", commit.batch_id()), commit);
}

Result<std::optional<proto::BatchCommit>> MetaStore::LatestCommit(const std::string& job_id) {
  std::string prefix = "job/" + job_id + "/commits/";
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(prefix + "~");
  if (!it->Valid() || !it->key().starts_with(prefix)) return std::optional<proto::BatchCommit>();
  proto::BatchCommit c;
  if (!c.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
    return Status::Corruption("bad commit log entry");
  }
  return std::optional<proto::BatchCommit>(std::move(c));
}

Result<std::vector<int64_t>> MetaStore::PlannedBatches(const std::string& job_id) {
  std::string prefix = "job/" + job_id + "/offsets/";
  std::vector<int64_t> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    out.push_back(std::stoll(it->key().ToString().substr(prefix.size())));
  }
  return out;
}

}  // namespace spate::master
