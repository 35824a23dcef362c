// The master's job records: a write that fails never shows a job as ended that a restart would
// resume, and one unreadable record never hides the others.
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "jobs/registry.h"
#include "master/batch_log.h"
#include "master/job_runner.h"
#include "master/master.h"
#include "master/meta_store.h"
#include "tests/support/process.h"

namespace spate::master {
namespace {

using spate::testing::TempDir;
using spate::testing::WaitFor;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A file system whose writes fail while `fail` is set (a full or failing disk under RocksDB).
class FailingFs : public rocksdb::FileSystemWrapper {
 public:
  FailingFs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FailingFs"; }
  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* out,
                                    rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> file;
    auto s = target()->NewWritableFile(f, options, &file, dbg);
    if (s.ok()) out->reset(new File(std::move(file), &fail));
    return s;
  }
  std::atomic<bool> fail{false};

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile> f, std::atomic<bool>* fail)
        : FSWritableFileOwnerWrapper(std::move(f)), fail_(fail) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (*fail_) return rocksdb::IOStatus::IOError("injected write failure");
      return FSWritableFileOwnerWrapper::Append(data, options, dbg);
    }

   private:
    std::atomic<bool>* fail_;
  };
};

jobs::CompiledPlan CrashPlan() {
  auto plan = jobs::BuildJob("crash-detector", {});
  REQUIRE(plan.ok());
  return *plan;
}

// A job that fails at once, before it needs Kafka or workers: its checkpoint dir belongs to a
// job on another topic.
proto::JobSpec FailingSpec(const TempDir& dir) {
  proto::JobSpec other;
  other.set_topic("other-topic");
  REQUIRE(WriteProtoRecord(dir.Join("checkpoint/metadata"), other).ok());
  proto::JobSpec spec;
  spec.set_job_name("crash-detector");
  spec.set_topic("logs");
  spec.set_bootstrap("127.0.0.1:1");
  spec.set_checkpoint_dir(dir.Join("checkpoint"));
  return spec;
}

proto::JobState StoredState(MetaStore* meta, const std::string& job_id) {
  auto stored = meta->LoadJobs();
  REQUIRE(stored.ok());
  for (const auto& j : stored->jobs)
    if (j.job_id() == job_id) return j.state();
  return proto::JOB_STATE_UNSPECIFIED;
}

TEST_CASE("a job's end is saved before it is shown", "[unit]") {
  TempDir dir("spate-job-store");
  auto meta = MetaStore::Open(dir.Join("meta"));
  REQUIRE(meta.ok());
  WorkerRegistry registry([] { return int64_t{0}; }, 5000);
  WorkerClients clients;
  JobRunner runner("job-a", FailingSpec(dir), CrashPlan(),
                   MasterContext{&registry, meta->get(), &clients});
  runner.Start();
  REQUIRE(WaitFor([&] { return runner.Done(); }, seconds(10)));
  CHECK(runner.Status().state() == proto::FAILED);
  CHECK(StoredState(meta->get(), "job-a") == proto::FAILED);
}

TEST_CASE("a job whose end cannot be saved is not shown as ended", "[unit]") {
  TempDir dir("spate-job-store");
  auto fs = std::make_shared<FailingFs>();
  auto env = rocksdb::NewCompositeEnv(fs);
  auto meta = MetaStore::Open(dir.Join("meta"), env.get());
  REQUIRE(meta.ok());
  WorkerRegistry registry([] { return int64_t{0}; }, 5000);
  WorkerClients clients;
  {
    JobRunner runner("job-a", FailingSpec(dir), CrashPlan(),
                     MasterContext{&registry, meta->get(), &clients});
    REQUIRE((*meta)->PutJob(runner.Status()).ok());  // as submission saves it: WAITING
    fs->fail = true;
    runner.Start();
    // It cannot save FAILED: a restarted master would resume it, so it is not shown as over,
    // and the message says why.
    REQUIRE(WaitFor(
        [&] { return runner.Status().message().find("could not be saved") != std::string::npos; },
        seconds(10)));
    const auto shown = runner.Status();
    INFO(shown.message());
    CHECK_FALSE(runner.Done());
    CHECK(shown.state() == proto::WAITING);
    CHECK(shown.message().find("other-topic") != std::string::npos);
    CHECK(shown.message().find("injected write failure") != std::string::npos);
  }  // the master shuts down: the runner gives up saving
  fs->fail = false;
  meta->reset();
  auto reopened = MetaStore::Open(dir.Join("meta"));
  REQUIRE(reopened.ok());
  CHECK(StoredState(reopened->get(), "job-a") == proto::WAITING);
}

TEST_CASE("an unreadable job record is reported as FAILED and the other jobs load", "[unit]") {
  TempDir dir("spate-job-store");
  {
    auto meta = MetaStore::Open(dir.Join("meta"));
    REQUIRE(meta.ok());
    proto::JobStatus done;
    done.set_job_id("job-done");
    done.set_state(proto::FINISHED);
    REQUIRE((*meta)->PutJob(done).ok());
    proto::JobStatus killed;
    killed.set_job_id("job-zkilled");
    killed.set_state(proto::KILLED);
    REQUIRE((*meta)->PutJob(killed).ok());
  }
  {
    // Bytes that are no JobStatus, between the two good records.
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(rocksdb::Options(), dir.Join("meta"), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    REQUIRE(db->Put(rocksdb::WriteOptions(), "jobs/job-garbled", "\xff\xff\xff\xff garbage").ok());
  }
  auto meta = MetaStore::Open(dir.Join("meta"));
  REQUIRE(meta.ok());
  MasterOptions options;
  options.state_dir = dir.path();
  MasterHandler handler(options, std::move(*meta), [] { return int64_t{0}; });
  proto::ListJobsReply list;
  REQUIRE(handler.HandleListJobs(proto::ListJobsRequest(), &list).ok());
  CHECK(list.jobs_size() == 3);
  proto::GetJobRequest get;
  proto::GetJobReply reply;
  get.set_job_id("job-garbled");
  REQUIRE(handler.HandleGetJob(get, &reply).ok());
  CHECK(reply.status().state() == proto::FAILED);
  CHECK_THAT(reply.status().message(), Catch::Contains("cannot be read"));
  get.set_job_id("job-done");
  REQUIRE(handler.HandleGetJob(get, &reply).ok());
  CHECK(reply.status().state() == proto::FINISHED);
  get.set_job_id("job-zkilled");
  REQUIRE(handler.HandleGetJob(get, &reply).ok());
  CHECK(reply.status().state() == proto::KILLED);
}

}  // namespace
}  // namespace spate::master
