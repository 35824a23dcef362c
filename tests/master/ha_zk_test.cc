// Leader election, epochs and fenced writes against a real ZooKeeper server (master/ha.h).
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "master/ha.h"
#include "master/zk_client.h"
#include "tests/support/zookeeper.h"

namespace spate::master {
namespace {

using spate::testing::TempDir;
using spate::testing::ZooKeeper;
using std::chrono::milliseconds;
using std::chrono::seconds;

HaOptions Options(const ZooKeeper& zk, const std::string& address) {
  HaOptions o;
  o.url = zk.url();
  o.session_timeout_ms = 2000;
  o.address = address;
  o.ui_address = address + "0";
  return o;
}

std::unique_ptr<LeaderElection> MustJoin(const HaOptions& o) {
  auto e = LeaderElection::Join(o, [](std::string) {});
  INFO(e.status().ToString());
  REQUIRE(e.ok());
  return std::move(*e);
}

TEST_CASE("a zookeeper:// URL gives the servers and the root", "[unit]") {
  auto u = ParseZkUrl("zookeeper://zk1:2181,zk2:2181/spate/prod");
  REQUIRE(u.ok());
  CHECK(u->hosts == "zk1:2181,zk2:2181");
  CHECK(u->root == "/spate/prod");
  CHECK(ParseZkUrl("zookeeper://zk1:2181")->root == "/spate");
  for (const char* bad :
       {"zk1:2181/spate", "zookeeper:///spate", "zookeeper://zk1/spate",
        "zookeeper://zk1:2181,/spate", "zookeeper://zk1:21x81/spate", "zookeeper://zk1:2181/"}) {
    INFO(bad);
    CHECK(ParseZkUrl(bad).status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE(
    "the first master to join leads; a standby leads with a higher epoch once the leader's "
    "session ends, and sees where the leader is meanwhile",
    "[integration]") {
  TempDir dir("spate-ha-zk");
  ZooKeeper zk(dir);
  auto a = MustJoin(Options(zk, "127.0.0.1:7001"));
  REQUIRE(a->WaitForLeadership([] { return false; }).ok());
  CHECK(a->leading());
  const int64_t epoch_a = a->epoch();
  CHECK(epoch_a >= 1);

  auto b = MustJoin(Options(zk, "127.0.0.1:7002"));
  auto leader = b->Leader();
  REQUIRE(leader.ok());
  CHECK(!leader->self);
  CHECK(leader->address == "127.0.0.1:7001");
  CHECK(leader->ui_address == "127.0.0.1:70010");
  CHECK(leader->epoch == epoch_a);

  auto b_leads =
      std::async(std::launch::async, [&] { return b->WaitForLeadership([] { return false; }); });
  CHECK(b_leads.wait_for(milliseconds(1500)) == std::future_status::timeout);
  CHECK(!b->leading());
  a.reset();  // closes A's session: its election node goes at once
  REQUIRE(b_leads.wait_for(seconds(10)) == std::future_status::ready);
  REQUIRE(b_leads.get().ok());
  CHECK(b->leading());
  CHECK(b->epoch() > epoch_a);
  // A stopped a moment ago: B took over from it.
  CHECK(b->previous_alive_ms() > 0);
  leader = b->Leader();
  REQUIRE(leader.ok());
  CHECK(leader->self);
  CHECK(leader->address == "127.0.0.1:7002");
}

TEST_CASE(
    "a leader's job store writes are refused, and nothing is written, once a newer epoch exists",
    "[integration]") {
  TempDir dir("spate-ha-zk");
  ZooKeeper zk(dir);
  auto a = MustJoin(Options(zk, "127.0.0.1:7001"));
  REQUIRE(a->WaitForLeadership([] { return false; }).ok());
  auto store = a->MakeJobStore();
  CHECK(store->epoch() == a->epoch());

  proto::JobStatus job;
  job.set_job_id("job-1");
  job.set_state(proto::RUNNING);
  REQUIRE(store->PutJob(job).ok());
  proto::BatchCommit commit;
  commit.set_batch_id(7);
  commit.set_epoch(a->epoch());
  REQUIRE(store->WriteCommit("job-1", commit).ok());
  auto point = store->LoadResumePoint("job-1");
  REQUIRE(point.ok());
  REQUIRE(point->has_value());
  REQUIRE((*point)->commit.has_value());
  CHECK((*point)->commit->batch_id() == 7);
  CHECK(!(*point)->plan.has_value());

  // Another master raises the epoch (as its election does) while A still runs: A is deposed.
  auto other = ZkClient::Connect(zk.hosts(), 2000, 10'000, nullptr);
  REQUIRE(other.ok());
  auto epoch = (*other)->Get("/spate/epoch");
  REQUIRE(epoch.ok());
  REQUIRE((*other)->Set("/spate/epoch", "x", epoch->version).ok());

  commit.set_batch_id(8);
  Status fenced = store->WriteCommit("job-1", commit);
  CHECK(fenced.code() == StatusCode::kFailedPrecondition);
  job.set_state(proto::FINISHED);
  CHECK(store->PutJob(job).code() == StatusCode::kFailedPrecondition);
  proto::BatchPlan plan;
  plan.set_batch_id(8);
  CHECK(store->WritePlan("job-1", plan).code() == StatusCode::kFailedPrecondition);

  point = store->LoadResumePoint("job-1");
  REQUIRE(point.ok());
  CHECK((*point)->commit->batch_id() == 7);
  CHECK(!(*point)->plan.has_value());
  auto jobs = store->LoadJobs();
  REQUIRE(jobs.ok());
  REQUIRE(jobs->jobs.size() == 1);
  CHECK(jobs->jobs[0].state() == proto::RUNNING);
}

TEST_CASE("a leader that finds a newer epoch on its liveness stamp is told it lost leadership",
          "[integration]") {
  TempDir dir("spate-ha-zk");
  ZooKeeper zk(dir);
  std::promise<std::string> lost;
  std::atomic<bool> told{false};
  auto e = LeaderElection::Join(Options(zk, "127.0.0.1:7001"), [&](std::string why) {
    if (!told.exchange(true)) lost.set_value(why);
  });
  REQUIRE(e.ok());
  REQUIRE((*e)->WaitForLeadership([] { return false; }).ok());
  auto other = ZkClient::Connect(zk.hosts(), 2000, 10'000, nullptr);
  REQUIRE(other.ok());
  auto epoch = (*other)->Get("/spate/epoch");
  REQUIRE(epoch.ok());
  REQUIRE((*other)->Set("/spate/epoch", "x", epoch->version).ok());
  auto f = lost.get_future();
  REQUIRE(f.wait_for(seconds(5)) == std::future_status::ready);
  CHECK(f.get().find("a newer leader was elected") != std::string::npos);
}

TEST_CASE(
    "a leader that reaches no ZooKeeper server for longer than its session timeout is told it "
    "lost leadership",
    "[integration]") {
  TempDir dir("spate-ha-zk");
  ZooKeeper zk(dir);
  std::promise<std::string> lost;
  std::atomic<bool> told{false};
  auto e = LeaderElection::Join(Options(zk, "127.0.0.1:7001"), [&](std::string why) {
    if (!told.exchange(true)) lost.set_value(why);
  });
  REQUIRE(e.ok());
  REQUIRE((*e)->WaitForLeadership([] { return false; }).ok());
  auto f = lost.get_future();
  zk.Stop();
  const auto stopped = std::chrono::steady_clock::now();
  REQUIRE(f.wait_for(seconds(10)) == std::future_status::ready);
  const auto took =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - stopped);
  INFO(took.count() << " ms");
  CHECK(f.get().find("no ZooKeeper server reachable") != std::string::npos);
  // Not before the session could have expired, and soon after.
  CHECK(took >= milliseconds(1500));
  CHECK(took < milliseconds(5000));
}

}  // namespace
}  // namespace spate::master
