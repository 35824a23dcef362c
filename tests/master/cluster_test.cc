// Unit tests of the master's cluster view: executor placement, work assignment, the worker
// registry (with an injected clock) and the MasterHandler's worker and job RPCs, called directly.
#include "master/cluster.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/key_group.h"
#include "master/master.h"
#include "master/meta_store.h"
#include "tests/support/process.h"

namespace spate::master {
namespace {

using spate::testing::TempDir;

constexpr int64_t kMB = int64_t{1} << 20;
constexpr int64_t kGB = int64_t{1} << 30;

WorkerRecord Worker(std::string id, int cores, int64_t memory, int cores_used = 0,
                    int64_t memory_used = 0, bool alive = true) {
  WorkerRecord w;
  w.id = std::move(id);
  w.host = "127.0.0.1";
  w.port = 7078;
  w.cores = cores;
  w.memory_bytes = memory;
  w.cores_used = cores_used;
  w.memory_used = memory_used;
  w.alive = alive;
  return w;
}

proto::WorkerInfo Info(std::string host, int port, int cores, int64_t memory, std::string id = "") {
  proto::WorkerInfo w;
  w.set_worker_id(std::move(id));
  w.set_host(std::move(host));
  w.set_port(port);
  w.set_cores(cores);
  w.set_memory_bytes(memory);
  return w;
}

std::map<std::string, int> CountPerWorker(const std::vector<std::string>& placed) {
  std::map<std::string, int> n;
  for (const auto& id : placed) ++n[id];
  return n;
}

// ---------------------------------------------------------------- PlaceExecutors

TEST_CASE("executors are spread over workers round-robin", "[unit]") {
  std::vector<WorkerRecord> workers = {Worker("w0", 4, 8 * kGB), Worker("w1", 4, 8 * kGB),
                                       Worker("w2", 4, 8 * kGB)};
  auto placed = PlaceExecutors(workers, 3, 1, kGB);
  REQUIRE(placed.ok());
  CHECK(*placed == std::vector<std::string>{"w0", "w1", "w2"});

  placed = PlaceExecutors(workers, 5, 1, kGB);
  REQUIRE(placed.ok());
  CHECK(*placed == std::vector<std::string>{"w0", "w1", "w2", "w0", "w1"});
}

TEST_CASE("placement does not change the workers it was given", "[unit]") {
  std::vector<WorkerRecord> workers = {Worker("w0", 2, 4 * kGB)};
  REQUIRE(PlaceExecutors(workers, 2, 1, kGB).ok());
  CHECK(workers[0].cores_used == 0);
  CHECK(workers[0].memory_used == 0);
}

TEST_CASE("placement never over-commits a worker's cores", "[unit]") {
  // w0 has 1 free core, w1 has 3.
  std::vector<WorkerRecord> workers = {Worker("w0", 2, 8 * kGB, 1, 0), Worker("w1", 3, 8 * kGB)};
  auto placed = PlaceExecutors(workers, 4, 1, kGB);
  REQUIRE(placed.ok());
  auto n = CountPerWorker(*placed);
  CHECK(n["w0"] == 1);
  CHECK(n["w1"] == 3);
  CHECK(PlaceExecutors(workers, 5, 1, kGB).status().code() == StatusCode::kResourceExhausted);
  // Two-core executors fit only on w1, once.
  placed = PlaceExecutors(workers, 1, 2, kGB);
  REQUIRE(placed.ok());
  CHECK(*placed == std::vector<std::string>{"w1"});
  CHECK(PlaceExecutors(workers, 2, 2, kGB).status().code() == StatusCode::kResourceExhausted);
}

TEST_CASE("placement never over-commits a worker's memory", "[unit]") {
  // Plenty of cores, memory for 2 executors of 1 GB on w0 and 1 on w1.
  std::vector<WorkerRecord> workers = {Worker("w0", 16, 3 * kGB, 0, kGB),
                                       Worker("w1", 16, 2 * kGB, 0, kGB)};
  auto placed = PlaceExecutors(workers, 3, 1, kGB);
  REQUIRE(placed.ok());
  auto n = CountPerWorker(*placed);
  CHECK(n["w0"] == 2);
  CHECK(n["w1"] == 1);
  auto too_many = PlaceExecutors(workers, 4, 1, kGB);
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.status().code() == StatusCode::kResourceExhausted);
}

TEST_CASE("placement skips dead workers", "[unit]") {
  std::vector<WorkerRecord> workers = {Worker("dead", 64, 64 * kGB, 0, 0, false),
                                       Worker("w1", 2, 4 * kGB)};
  auto placed = PlaceExecutors(workers, 2, 1, kGB);
  REQUIRE(placed.ok());
  CHECK(*placed == std::vector<std::string>{"w1", "w1"});
  CHECK(PlaceExecutors(workers, 3, 1, kGB).status().code() == StatusCode::kResourceExhausted);
}

TEST_CASE("placement failure says what is needed and what the cluster has", "[unit]") {
  std::vector<WorkerRecord> workers = {Worker("w0", 2, 4 * kGB, 1, kGB),
                                       Worker("dead", 64, 64 * kGB, 0, 0, false)};
  auto placed = PlaceExecutors(workers, 3, 2, 512 * kMB);
  REQUIRE_FALSE(placed.ok());
  CHECK(placed.status().code() == StatusCode::kResourceExhausted);
  const std::string& m = placed.status().message();
  CHECK_THAT(m, Catch::Contains("3 executor(s)"));
  CHECK_THAT(m, Catch::Contains("2 core(s)"));
  CHECK_THAT(m, Catch::Contains("512 MB"));
  CHECK_THAT(m, Catch::Contains("1 live worker(s)"));
  CHECK_THAT(m, Catch::Contains("1 free core(s)"));
  CHECK_THAT(m, Catch::Contains("3072 MB free"));

  auto none = PlaceExecutors({}, 1, 1, kGB);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == StatusCode::kResourceExhausted);
  CHECK_THAT(none.status().message(), Catch::Contains("0 live worker(s)"));
}

TEST_CASE("placement succeeds exactly when the workers have room, and never over-commits",
          "[unit]") {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<WorkerRecord> workers;
    int n = std::uniform_int_distribution<int>(0, 5)(rng);
    for (int i = 0; i < n; ++i) {
      int cores = std::uniform_int_distribution<int>(1, 8)(rng);
      int64_t mem = std::uniform_int_distribution<int64_t>(1, 16)(rng) * kGB;
      int used = std::uniform_int_distribution<int>(0, cores)(rng);
      int64_t mem_used = std::uniform_int_distribution<int64_t>(0, mem / kGB)(rng) * kGB;
      bool alive = std::uniform_int_distribution<int>(0, 4)(rng) != 0;
      workers.push_back(Worker("w" + std::to_string(i), cores, mem, used, mem_used, alive));
    }
    int count = std::uniform_int_distribution<int>(1, 10)(rng);
    int cores = std::uniform_int_distribution<int>(1, 3)(rng);
    int64_t mem = std::uniform_int_distribution<int64_t>(1, 4)(rng) * kGB;
    int capacity = 0;
    for (const auto& w : workers) {
      if (!w.alive) continue;
      capacity +=
          static_cast<int>(std::min<int64_t>(w.free_cores() / cores, w.free_memory() / mem));
    }
    auto placed = PlaceExecutors(workers, count, cores, mem);
    INFO("trial " << trial);
    CHECK(placed.ok() == (capacity >= count));
    if (!placed.ok()) continue;
    REQUIRE(placed->size() == static_cast<size_t>(count));
    auto per = CountPerWorker(*placed);
    for (const auto& w : workers) {
      if (!per.count(w.id)) continue;
      CHECK(w.alive);
      CHECK(per[w.id] * cores <= w.free_cores());
      CHECK(per[w.id] * mem <= w.free_memory());
    }
    // Spread out: no worker hosts two more executors than another that still had room.
    for (const auto& a : workers) {
      for (const auto& b : workers) {
        if (!a.alive || !b.alive || a.id == b.id) continue;
        int cap_b =
            static_cast<int>(std::min<int64_t>(b.free_cores() / cores, b.free_memory() / mem));
        if (per[b.id] < cap_b) CHECK(per[a.id] <= per[b.id] + 1);
      }
    }
  }
}

// ---------------------------------------------------------------- AssignWork

void CheckAssignment(const std::vector<proto::ExecutorAssignment>& execs, int kafka, int shuffle,
                     int key_groups) {
  std::map<int, int> kafka_owners, shuffle_owners;
  std::vector<int> kg_owners(static_cast<size_t>(key_groups), 0);
  for (const auto& e : execs) {
    for (int p : e.kafka_partitions()) ++kafka_owners[p];
    REQUIRE(e.key_groups_size() == e.shuffle_partitions_size());
    for (int i = 0; i < e.shuffle_partitions_size(); ++i) {
      int s = e.shuffle_partitions(i);
      ++shuffle_owners[s];
      const auto& r = e.key_groups(i);
      KeyGroupRange expect =
          RangeOfPartition(static_cast<uint32_t>(s), static_cast<uint32_t>(shuffle),
                           static_cast<uint32_t>(key_groups));
      CHECK(r.begin() == expect.begin);
      CHECK(r.end() == expect.end);
      CHECK(r.begin() < r.end());
      REQUIRE(r.end() <= static_cast<uint32_t>(key_groups));
      for (uint32_t kg = r.begin(); kg < r.end(); ++kg) ++kg_owners[kg];
      // The range is the one that routing sends its key groups to.
      for (uint32_t kg = r.begin(); kg < r.end(); ++kg) {
        CHECK(PartitionOfKeyGroup(kg, static_cast<uint32_t>(shuffle),
                                  static_cast<uint32_t>(key_groups)) == static_cast<uint32_t>(s));
      }
    }
  }
  CHECK(static_cast<int>(kafka_owners.size()) == kafka);
  for (int p = 0; p < kafka; ++p) CHECK(kafka_owners[p] == 1);
  CHECK(static_cast<int>(shuffle_owners.size()) == shuffle);
  for (int s = 0; s < shuffle; ++s) CHECK(shuffle_owners[s] == 1);
  for (int kg = 0; kg < key_groups; ++kg) {
    INFO("key group " << kg);
    CHECK(kg_owners[static_cast<size_t>(kg)] == 1);
  }
}

TEST_CASE(
    "every Kafka and shuffle partition goes to exactly one executor and key groups are "
    "covered once",
    "[unit]") {
  struct Case {
    int executors, kafka, shuffle, key_groups;
  };
  for (const Case& c : {Case{1, 1, 1, 1}, Case{2, 4, 4, 128}, Case{3, 8, 5, 64}, Case{4, 2, 3, 16},
                        Case{5, 16, 16, 16}, Case{2, 0, 2, 7}, Case{3, 7, 1, 32768}}) {
    INFO(c.executors << " executors, " << c.kafka << " kafka, " << c.shuffle << " shuffle, "
                     << c.key_groups << " key groups");
    std::vector<proto::ExecutorAssignment> execs(static_cast<size_t>(c.executors));
    for (int i = 0; i < c.executors; ++i) execs[i].set_executor_id("exec-" + std::to_string(i));
    AssignWork(&execs, c.kafka, c.shuffle, c.key_groups);
    CheckAssignment(execs, c.kafka, c.shuffle, c.key_groups);
  }
}

TEST_CASE("work is spread over executors: each gets partitions p with p mod n equal to its index",
          "[unit]") {
  std::vector<proto::ExecutorAssignment> execs(2);
  AssignWork(&execs, 4, 4, 128);
  CHECK(std::vector<int>(execs[0].kafka_partitions().begin(), execs[0].kafka_partitions().end()) ==
        std::vector<int>{0, 2});
  CHECK(std::vector<int>(execs[1].kafka_partitions().begin(), execs[1].kafka_partitions().end()) ==
        std::vector<int>{1, 3});
  CHECK(std::vector<int>(execs[0].shuffle_partitions().begin(),
                         execs[0].shuffle_partitions().end()) == std::vector<int>{0, 2});
  CHECK(execs[0].key_groups(0).begin() == 0);
  CHECK(execs[0].key_groups(0).end() == 32);
  CHECK(execs[1].key_groups(1).begin() == 96);
  CHECK(execs[1].key_groups(1).end() == 128);
}

TEST_CASE("reassigning work replaces the previous assignment", "[unit]") {
  std::vector<proto::ExecutorAssignment> execs(3);
  AssignWork(&execs, 6, 6, 60);
  // One executor is gone: the survivors take everything, with nothing left over from before.
  execs.pop_back();
  AssignWork(&execs, 6, 4, 60);
  CheckAssignment(execs, 6, 4, 60);
}

TEST_CASE("assigning work with no executor left assigns nothing", "[unit]") {
  // A job that lost every executor and is killed, or abandoned by a master shutting down,
  // while it waits for new ones.
  std::vector<proto::ExecutorAssignment> none;
  AssignWork(&none, 4, 4, 128);
  CHECK(none.empty());
}

// ---------------------------------------------------------------- WorkerRegistry

struct FakeClock {
  int64_t now = 1'000'000;
  std::function<int64_t()> fn() {
    return [this] { return now; };
  }
};

TEST_CASE("registration assigns distinct worker ids", "[unit]") {
  FakeClock clock;
  WorkerRegistry reg(clock.fn(), 5000);
  std::string a = reg.Register(Info("hosta", 7078, 2, 2 * kGB));
  std::string b = reg.Register(Info("hostb", 7079, 4, 4 * kGB));
  CHECK(a == "worker-0-hosta-7078");
  CHECK(b == "worker-1-hostb-7079");
  CHECK(reg.IsAlive(a));
  CHECK(reg.IsAlive(b));
  auto snap = reg.Snapshot();
  REQUIRE(snap.size() == 2);
  for (const auto& w : snap) {
    CHECK(w.alive);
    CHECK(w.registered_ms == clock.now);
    CHECK(w.last_heartbeat_ms == clock.now);
    CHECK(w.cores_used == 0);
    if (w.id == b) {
      CHECK(w.address() == "hostb:7079");
      CHECK(w.cores == 4);
      CHECK(w.memory_bytes == 4 * kGB);
    }
  }
}

TEST_CASE("heartbeats keep a worker alive", "[unit]") {
  FakeClock clock;
  WorkerRegistry reg(clock.fn(), 5000);
  std::string id = reg.Register(Info("h", 1, 2, kGB));
  for (int i = 0; i < 10; ++i) {
    clock.now += 4000;
    CHECK(reg.Heartbeat(id, {"exec-" + std::to_string(i)}));
    CHECK(reg.ExpireLost().empty());
  }
  CHECK(reg.IsAlive(id));
  auto snap = reg.Snapshot();
  REQUIRE(snap.size() == 1);
  CHECK(snap[0].last_heartbeat_ms == clock.now);
  CHECK(snap[0].executors == std::vector<std::string>{"exec-9"});
}

TEST_CASE("a worker silent for longer than the timeout is declared lost", "[unit]") {
  FakeClock clock;
  WorkerRegistry reg(clock.fn(), 5000);
  std::string quiet = reg.Register(Info("q", 1, 2, kGB));
  std::string chatty = reg.Register(Info("c", 1, 2, kGB));
  REQUIRE(reg.Reserve(quiet, 1, kGB).ok());
  clock.now += 3000;
  REQUIRE(reg.Heartbeat(chatty, {}));
  clock.now += 2000;  // quiet: silent for exactly the timeout
  CHECK(reg.ExpireLost().empty());
  clock.now += 1;
  CHECK(reg.ExpireLost() == std::vector<std::string>{quiet});
  CHECK_FALSE(reg.IsAlive(quiet));
  CHECK(reg.IsAlive(chatty));
  // A lost worker is reported once, and holds no reservations.
  CHECK(reg.ExpireLost().empty());
  for (const auto& w : reg.Snapshot()) {
    if (w.id == quiet) {
      CHECK_FALSE(w.alive);
      CHECK(w.cores_used == 0);
      CHECK(w.memory_used == 0);
    }
  }
}

TEST_CASE("a lost or unknown worker's heartbeat answers that it must register again", "[unit]") {
  FakeClock clock;
  WorkerRegistry reg(clock.fn(), 5000);
  std::string id = reg.Register(Info("h", 1, 2, kGB));
  clock.now += 5001;
  REQUIRE(reg.ExpireLost().size() == 1);
  CHECK_FALSE(reg.Heartbeat(id, {}));
  CHECK_FALSE(reg.IsAlive(id));  // a heartbeat does not revive it
  CHECK_FALSE(reg.Heartbeat("worker-99-nowhere-1", {}));
  CHECK_FALSE(reg.IsAlive("worker-99-nowhere-1"));
}

TEST_CASE("a lost worker re-registering with its id is revived with nothing reserved", "[unit]") {
  FakeClock clock;
  WorkerRegistry reg(clock.fn(), 5000);
  std::string id = reg.Register(Info("h", 7078, 4, 4 * kGB));
  REQUIRE(reg.Reserve(id, 3, 3 * kGB).ok());
  clock.now += 10'000;
  REQUIRE(reg.ExpireLost() == std::vector<std::string>{id});
  std::string again = reg.Register(Info("h", 7078, 4, 4 * kGB, id));
  CHECK(again == id);
  CHECK(reg.IsAlive(id));
  CHECK(reg.Heartbeat(id, {}));
  auto snap = reg.Snapshot();
  REQUIRE(snap.size() == 1);
  CHECK(snap[0].cores_used == 0);
  CHECK(snap[0].memory_used == 0);
  CHECK(snap[0].registered_ms == clock.now);
  // Its whole capacity is free again.
  CHECK(reg.Reserve(id, 4, 4 * kGB).ok());
  // The next new worker still gets a fresh id.
  CHECK(reg.Register(Info("other", 1, 1, kGB)) == "worker-1-other-1");
}

TEST_CASE("a worker registering with an id the master never issued keeps that id", "[unit]") {
  // After a master restart workers come back with the ids the previous master gave them.
  FakeClock clock;
  WorkerRegistry reg(clock.fn(), 5000);
  CHECK(reg.Register(Info("h", 1, 2, kGB, "worker-7-h-1")) == "worker-7-h-1");
  CHECK(reg.IsAlive("worker-7-h-1"));
}

TEST_CASE("reserve and release keep resource bookkeeping", "[unit]") {
  FakeClock clock;
  WorkerRegistry reg(clock.fn(), 5000);
  std::string id = reg.Register(Info("h", 1, 4, 4 * kGB));
  REQUIRE(reg.Reserve(id, 1, kGB).ok());
  REQUIRE(reg.Reserve(id, 2, 2 * kGB).ok());
  auto used = [&] {
    auto s = reg.Snapshot();
    return std::pair<int, int64_t>(s[0].cores_used, s[0].memory_used);
  };
  CHECK(used() == std::pair<int, int64_t>(3, 3 * kGB));

  Status no_cores = reg.Reserve(id, 2, 1);
  CHECK(no_cores.code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(no_cores.message(), Catch::Contains(id));
  CHECK(reg.Reserve(id, 1, 2 * kGB).code() == StatusCode::kFailedPrecondition);
  CHECK(used() == std::pair<int, int64_t>(3, 3 * kGB));  // a failed reserve changes nothing

  CHECK(reg.Reserve(id, 1, kGB).ok());  // exactly full
  CHECK(used() == std::pair<int, int64_t>(4, 4 * kGB));
  reg.Release(id, 2, 2 * kGB);
  CHECK(used() == std::pair<int, int64_t>(2, 2 * kGB));
  reg.Release(id, 10, 10 * kGB);  // never below zero
  CHECK(used() == std::pair<int, int64_t>(0, 0));

  CHECK(reg.Reserve("worker-42-x-1", 1, 1).code() == StatusCode::kFailedPrecondition);
  reg.Release("worker-42-x-1", 1, 1);  // unknown: no-op

  clock.now += 6000;
  REQUIRE(reg.ExpireLost().size() == 1);
  Status dead = reg.Reserve(id, 1, 1);
  CHECK(dead.code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(dead.message(), Catch::Contains("not alive"));
}

// ---------------------------------------------------------------- MasterHandler

struct MasterFixture {
  TempDir dir{"spate-master-unit"};
  FakeClock clock;
  MasterOptions options;
  std::unique_ptr<MasterHandler> handler;

  MasterFixture() {
    options.worker_timeout_ms = 3000;
    options.heartbeat_interval_ms = 250;
    options.state_dir = dir.path();
    auto meta = MetaStore::Open(dir.Join("meta"));
    REQUIRE(meta.ok());
    handler = std::make_unique<MasterHandler>(options, std::move(*meta), clock.fn());
  }

  std::string RegisterWorker(const std::string& host, int port, std::string id = "") {
    proto::RegisterWorkerRequest req;
    *req.mutable_worker() = Info(host, port, 2, 2 * kGB, std::move(id));
    proto::RegisterWorkerReply reply;
    Status s = handler->HandleRegisterWorker(req, &reply);
    REQUIRE(s.ok());
    CHECK(reply.heartbeat_interval_ms() == 250);
    return reply.worker_id();
  }

  bool MustReregister(const std::string& id) {
    proto::HeartbeatRequest req;
    req.set_worker_id(id);
    proto::HeartbeatReply reply;
    REQUIRE(handler->HandleHeartbeat(req, &reply).ok());
    return reply.reregister();
  }
};

TEST_CASE("master handler registers workers and acknowledges their heartbeats", "[unit]") {
  MasterFixture m;
  std::string id = m.RegisterWorker("10.0.0.1", 7078);
  CHECK_FALSE(id.empty());
  CHECK(m.handler->registry().IsAlive(id));
  m.clock.now += 2000;
  CHECK_FALSE(m.MustReregister(id));
  m.clock.now += 2000;
  m.handler->CheckLiveness();
  CHECK(m.handler->registry().IsAlive(id));
}

TEST_CASE("master handler rejects a registration without host, port, cores or memory", "[unit]") {
  MasterFixture m;
  for (auto info : {Info("", 7078, 2, kGB), Info("h", 0, 2, kGB), Info("h", 7078, 0, kGB),
                    Info("h", 7078, 2, 0)}) {
    proto::RegisterWorkerRequest req;
    *req.mutable_worker() = info;
    proto::RegisterWorkerReply reply;
    Status s = m.handler->HandleRegisterWorker(req, &reply);
    CHECK(s.code() == StatusCode::kInvalidArgument);
  }
  CHECK(m.handler->registry().Snapshot().empty());
}

TEST_CASE("master handler tells a silent worker to register again after liveness expires it",
          "[unit]") {
  MasterFixture m;
  std::string id = m.RegisterWorker("10.0.0.1", 7078);
  m.clock.now += 3001;
  m.handler->CheckLiveness();
  CHECK_FALSE(m.handler->registry().IsAlive(id));
  CHECK(m.MustReregister(id));
  CHECK(m.MustReregister("worker-unknown"));
  // Re-registering with its id brings it back.
  CHECK(m.RegisterWorker("10.0.0.1", 7078, id) == id);
  CHECK_FALSE(m.MustReregister(id));
}

TEST_CASE("master handler rejects bad job specs before touching Kafka", "[unit]") {
  MasterFixture m;
  auto submit = [&](proto::JobSpec spec) {
    proto::SubmitJobRequest req;
    *req.mutable_spec() = spec;
    proto::SubmitJobReply reply;
    return m.handler->HandleSubmitJob(req, &reply);
  };
  proto::JobSpec good;
  good.set_job_name("crash-detector");
  good.set_bootstrap("127.0.0.1:1");
  good.set_topic("logs");

  proto::JobSpec spec = good;
  spec.set_job_name("no-such-job");
  Status s = submit(spec);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("no-such-job"));

  spec = good;
  spec.add_job_args("--window");
  spec.add_job_args("0");
  CHECK(submit(spec).code() == StatusCode::kInvalidArgument);

  spec = good;
  spec.set_shuffle_partitions(200);
  spec.set_key_groups(128);
  s = submit(spec);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("spate.sql.shuffle.partitions"));

  spec = good;
  spec.clear_topic();
  s = submit(spec);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("--topic"));

  spec = good;
  spec.set_starting_offsets("yesterday");
  s = submit(spec);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("yesterday"));

  spec = good;
  spec.set_sink("s3://bucket");
  s = submit(spec);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("s3://bucket"));

  proto::ListJobsReply list;
  REQUIRE(m.handler->HandleListJobs(proto::ListJobsRequest(), &list).ok());
  CHECK(list.jobs_size() == 0);
}

TEST_CASE("master handler answers NotFound for jobs it does not know", "[unit]") {
  MasterFixture m;
  proto::GetJobRequest get;
  get.set_job_id("job-nope");
  proto::GetJobReply reply;
  CHECK(m.handler->HandleGetJob(get, &reply).code() == StatusCode::kNotFound);
  proto::KillJobRequest kill;
  kill.set_job_id("job-nope");
  proto::KillJobReply kill_reply;
  CHECK(m.handler->HandleKillJob(kill, &kill_reply).code() == StatusCode::kNotFound);
  proto::StopJobRequest stop;
  stop.set_job_id("job-nope");
  proto::StopJobReply stop_reply;
  CHECK(m.handler->HandleStopJob(stop, &stop_reply).code() == StatusCode::kNotFound);
}

TEST_CASE("a restarted master still reports the jobs of its previous run", "[unit]") {
  TempDir dir("spate-master-unit");
  {
    auto meta = MetaStore::Open(dir.Join("meta"));
    REQUIRE(meta.ok());
    // A running job whose spec cannot be run again (here: none at all).
    proto::JobStatus running;
    running.set_job_id("job-old-running");
    running.set_state(proto::RUNNING);
    REQUIRE((*meta)->PutJob(running).ok());
    proto::JobStatus done;
    done.set_job_id("job-old-done");
    done.set_state(proto::FINISHED);
    REQUIRE((*meta)->PutJob(done).ok());
  }
  auto meta = MetaStore::Open(dir.Join("meta"));
  REQUIRE(meta.ok());
  FakeClock clock;
  MasterHandler handler(MasterOptions(), std::move(*meta), clock.fn());
  proto::GetJobRequest get;
  get.set_job_id("job-old-running");
  proto::GetJobReply reply;
  REQUIRE(handler.HandleGetJob(get, &reply).ok());
  CHECK(reply.status().state() == proto::FAILED);
  CHECK_FALSE(reply.status().message().empty());
  get.set_job_id("job-old-done");
  REQUIRE(handler.HandleGetJob(get, &reply).ok());
  CHECK(reply.status().state() == proto::FINISHED);
  proto::ListJobsReply list;
  REQUIRE(handler.HandleListJobs(proto::ListJobsRequest(), &list).ok());
  CHECK(list.jobs_size() == 2);
}

TEST_CASE("the meta store forgets a job's batches below a batch, and only that job's", "[unit]") {
  TempDir dir("spate-master-unit");
  auto meta = MetaStore::Open(dir.Join("meta"));
  REQUIRE(meta.ok());
  for (const char* job : {"job-a", "job-b"}) {
    for (int64_t b = 0; b < 30; ++b) {
      proto::BatchPlan plan;
      plan.set_batch_id(b);
      REQUIRE((*meta)->WritePlan(job, plan).ok());
      proto::BatchCommit commit;
      commit.set_batch_id(b);
      REQUIRE((*meta)->WriteCommit(job, commit).ok());
    }
  }
  REQUIRE((*meta)->ForgetBatchesBefore("job-a", 20).ok());
  auto a = (*meta)->PlannedBatches("job-a");
  REQUIRE(a.ok());
  REQUIRE(a->size() == 10);
  CHECK(a->front() == 20);
  auto b = (*meta)->PlannedBatches("job-b");
  REQUIRE(b.ok());
  CHECK(b->size() == 30);
  auto latest = (*meta)->LatestCommit("job-a");
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->batch_id() == 29);
}

}  // namespace
}  // namespace spate::master
