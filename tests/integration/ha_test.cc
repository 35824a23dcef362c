// Standby masters against a real ZooKeeper, real processes and the real broker at Bootstrap():
// three masters elect a leader; two workers and an attached spate-submit take the list of
// masters. While the crash detector streams, the leader is killed (kill -9), then the next
// leader is paused (SIGSTOP) past its ZooKeeper session timeout and resumed (a zombie that must
// not commit), then a standby is killed, then the leader is stopped (SIGTERM). After each, a
// leader runs the job; at the end the rows equal the independent oracle's, each once, with
// every batch committed exactly once. A task and a commit sent under a deposed epoch are
// refused by the workers and by ZooKeeper; a job without a checkpoint dir is refused. The
// takeover times are printed (Catch2 WARN lines).
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/rpc.h"
#include "master/zk_client.h"
#include "proto/spate.grpc.pb.h"
#include "tests/integration/cluster_fixture.h"
#include "tests/support/zookeeper.h"

namespace spate::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// 400 k records over 4 partitions and ~35 s of event time; --max-offsets-per-trigger 4000 and a
// 200 ms trigger make the job stream for the whole test (~100 batches), faults included.
constexpr int64_t kRecords = 400'000;
constexpr int kPartitions = 4;
constexpr int kMaxOffsetsPerTrigger = 4'000;
// The masters' default ZooKeeper session timeout: how long a dead leader holds its place.
constexpr int64_t kSessionTimeoutMs = 4'000;

int64_t EpochMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One spate-master with --ha, its ports fixed for its restarts.
struct Master {
  int port = -1;
  int ui_port = -1;
  std::string state_dir;
  std::optional<ChildProcess> process;
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

class HaCluster {
 public:
  HaCluster(Cluster* data, int masters) : data_(data), zk_(data->dir()) {
    for (int i = 0; i < masters; ++i) {
      Master m;
      m.port = FreeTcpPort();
      m.ui_port = FreeTcpPort();
      m.state_dir = data_->dir().MakeSubdir("master-" + std::to_string(i));
      masters_.push_back(std::move(m));
    }
  }
  ~HaCluster() {
    for (auto& w : workers_) (void)w.Stop(seconds(5));
    for (auto& m : masters_)
      if (m.process) (void)m.process->Stop(seconds(5));
  }

  std::string url() const {
    std::string out = "spate://";
    for (size_t i = 0; i < masters_.size(); ++i) {
      out += (i ? "," : "") + masters_[i].address();
    }
    return out;
  }

  void StartMaster(int i) {
    Master& m = masters_.at(static_cast<size_t>(i));
    StartOptions so;
    so.log_dir = data_->dir().MakeSubdir("logs");
    so.name = "master-" + std::to_string(i);
    auto p = ChildProcess::Start(
        {BinDir() + "/spate-master", "--host", "127.0.0.1", "--port", std::to_string(m.port),
         "--ui-port", std::to_string(m.ui_port), "--state-dir", m.state_dir, "--worker-timeout",
         "2s", "--ha", zk_.url()},
        so);
    INFO(p.status().ToString());
    REQUIRE(p.ok());
    m.process.emplace(std::move(*p));
  }

  void StartWorker() {
    StartOptions so;
    so.log_dir = data_->dir().MakeSubdir("logs");
    const int i = static_cast<int>(workers_.size());
    so.name = "worker-" + std::to_string(i);
    auto p = ChildProcess::Start(
        {BinDir() + "/spate-worker", "--master", url(), "--host", "127.0.0.1", "--port",
         std::to_string(FreeTcpPort()), "--cores", "2", "--memory", "2G", "--work-dir",
         data_->dir().MakeSubdir("worker-" + std::to_string(i))},
        so);
    INFO(p.status().ToString());
    REQUIRE(p.ok());
    workers_.push_back(std::move(*p));
  }

  Master& master(int i) { return masters_.at(static_cast<size_t>(i)); }
  std::string zk_hosts() const { return zk_.hosts(); }
  int size() const { return static_cast<int>(masters_.size()); }

  /// /api/v1/cluster of master i (the leader's has "ha": {"role": "leader", ...}; a standby's
  /// is {"role": "standby", "leader": ...}); null when it does not answer.
  nlohmann::json ClusterJson(int i) {
    auto body = HttpGet("127.0.0.1", master(i).ui_port, "/api/v1/cluster", seconds(2));
    if (!body.ok()) return nullptr;
    return nlohmann::json::parse(*body, nullptr, false);
  }
  /// The index of the master whose page says it leads, and its epoch; -1 when none does.
  std::pair<int, int64_t> Leader() {
    for (int i = 0; i < size(); ++i) {
      if (!master(i).process || !master(i).process->Running()) continue;
      nlohmann::json j = ClusterJson(i);
      if (j.is_object() && j.contains("ha") && j["ha"].is_object() &&
          j["ha"].value("role", "") == "leader") {
        return {i, j["ha"].value("epoch", int64_t{0})};
      }
    }
    return {-1, 0};
  }

  /// GetJob on whichever master answers (standbys answer UNAVAILABLE).
  std::optional<proto::GetJobReply> GetJob(const std::string& job) {
    for (const auto& m : masters_) {
      if (!m.process) continue;
      auto stub = proto::Master::NewStub(MakeChannel(m.address()));
      proto::GetJobRequest req;
      req.set_job_id(job);
      req.set_results_after_batch(INT64_MAX);
      proto::GetJobReply reply;
      auto ctx = MakeContext(seconds(2));
      if (stub->GetJob(ctx.get(), req, &reply).ok()) return reply;
    }
    return std::nullopt;
  }

  std::string Logs(size_t lines = 30) const {
    std::string out;
    for (const auto& m : masters_)
      if (m.process) out += m.process->LogTail(lines);
    for (const auto& w : workers_) out += w.LogTail(lines);
    return out;
  }

 private:
  Cluster* data_;
  ZooKeeper zk_;
  std::vector<Master> masters_;
  std::vector<ChildProcess> workers_;
};

// The first batch committed under `epoch`, and when (commit record's clock); nullopt if none.
std::optional<proto::BatchCommit> FirstCommitOf(const std::string& checkpoint, int64_t epoch) {
  for (const auto& [id, c] : ReadCommitLog(checkpoint)) {
    if (c.epoch() == epoch) return c;
  }
  return std::nullopt;
}

// Waits until master `i` leads with an epoch above `above`; returns that epoch (0: timed out).
int64_t WaitForLeader(HaCluster& ha, int i, int64_t above, milliseconds timeout) {
  int64_t epoch = 0;
  WaitFor(
      [&] {
        auto [leader, e] = ha.Leader();
        if (leader == i && e > above) epoch = e;
        return epoch > 0;
      },
      timeout, milliseconds(50));
  return epoch;
}

// Waits until some master other than `not_this` leads with an epoch above `above`.
std::pair<int, int64_t> WaitForNewLeader(HaCluster& ha, int not_this, int64_t above,
                                         milliseconds timeout) {
  std::pair<int, int64_t> out{-1, 0};
  WaitFor(
      [&] {
        auto l = ha.Leader();
        if (l.first >= 0 && l.first != not_this && l.second > above) out = l;
        return out.first >= 0;
      },
      timeout, milliseconds(20));
  return out;
}

TEST_CASE(
    "standby masters through ZooKeeper: a killed leader, a paused (zombie) leader and a killed "
    "standby leave the crash detector's rows exact, each once, and no job lost",
    "[fault]") {
  Cluster data;
  const std::string topic = data.CreateTopic("ha-logs", kPartitions);
  data.Produce(topic, {"--seed", "7707", "--start-ms", std::to_string(kStartMs), "--count",
                       std::to_string(kRecords), "--event-rate", "12000", "--users", "1500"});
  const OracleResult expected = data.Oracle(topic);
  INFO("oracle summary: " << expected.summary.dump());
  REQUIRE(expected.summary.value("records", int64_t{0}) == kRecords);
  REQUIRE(expected.summary.value("rows", 0) > 50);
  REQUIRE(expected.summary.value("rows_at_threshold", 0) > 0);
  REQUIRE(expected.summary.value("rows_at_threshold_plus_one", 0) > 0);

  HaCluster ha(&data, 3);
  // Master 0 first, so it leads (the lowest election node); then the two standbys.
  ha.StartMaster(0);
  const int64_t epoch1 = WaitForLeader(ha, 0, 0, seconds(30));
  INFO(ha.Logs());
  REQUIRE(epoch1 > 0);
  ha.StartMaster(1);
  ha.StartMaster(2);
  // A standby's page and API say where the leader is.
  // (Until it has joined the election, a standby's page says that no leader is known yet.)
  auto knows_leader = [&](int i) {
    nlohmann::json j = ha.ClusterJson(i);
    return j.is_object() && !j.value("leader", "").empty();
  };
  REQUIRE(WaitFor([&] { return knows_leader(1) && knows_leader(2); }, seconds(20)));
  nlohmann::json standby = ha.ClusterJson(1);
  CHECK(standby.value("role", "") == "standby");
  CHECK(standby.value("leader", "") == ha.master(0).address());
  auto page = HttpGet("127.0.0.1", ha.master(1).ui_port, "/", seconds(2));
  REQUIRE(page.ok());
  CHECK(Contains(*page, "standby; the leader is"));
  CHECK(Contains(*page, "href=\"http://127.0.0.1:" + std::to_string(ha.master(0).ui_port)));
  auto standby_metrics = HttpGet("127.0.0.1", ha.master(2).ui_port, "/metrics", seconds(2));
  REQUIRE(standby_metrics.ok());
  CHECK(Contains(*standby_metrics, "spate_master_leader 0"));

  ha.StartWorker();
  ha.StartWorker();

  // A job's state must outlive any master: without a checkpoint dir it is refused.
  CommandResult no_checkpoint = data.RunSubmit(
      {"--master", ha.url(), "--bootstrap", Bootstrap(), "--detach", "--topic", topic, "--trigger",
       "available-now", "--sink", "file:" + data.SinkDir("refused"), "crash-detector"},
      seconds(30));
  INFO(no_checkpoint.stderr_text);
  CHECK(no_checkpoint.exit_code != 0);
  CHECK(Contains(no_checkpoint.stderr_text, "needs --checkpoint-dir"));

  // An attached spate-submit, given every master, submits the job and follows it to its end.
  const std::string sink = data.SinkDir("out");
  const std::string checkpoint = data.SinkDir("checkpoint");
  StartOptions so;
  so.log_dir = data.dir().MakeSubdir("logs");
  so.name = "submit";
  auto submit = ChildProcess::Start(
      {BinDir() + "/spate-submit", "--master", ha.url(), "--bootstrap", Bootstrap(),
       "--num-executors", "2", "--executor-cores", "1", "--conf", "spate.sql.shuffle.partitions=4",
       // every log record kept: the test reads them all
       "--conf", "spate.checkpoint.retained-batches=1000000", "--topic", topic,
       "--starting-offsets", "earliest", "--sink", "file:" + sink, "--checkpoint-dir", checkpoint,
       "--trigger", "processing-time=200ms", "--max-offsets-per-trigger",
       std::to_string(kMaxOffsetsPerTrigger), "crash-detector"},
      so);
  REQUIRE(submit.ok());
  std::string job;
  REQUIRE(WaitFor(
      [&] {
        job = JobIdFromSubmitStderr(submit->Stderr());
        return !job.empty() || !submit->Running();
      },
      seconds(30)));
  INFO(submit->LogTail(20) << ha.Logs());
  REQUIRE(!job.empty());
  REQUIRE(WaitFor([&] { return ReadCommitLog(checkpoint).size() >= 8; }, seconds(60)));
  CHECK(FirstCommitOf(checkpoint, epoch1).has_value());

  // 1. kill -9 of the leader: a standby takes over and the job goes on.
  const int64_t killed_at = EpochMs();
  REQUIRE(ha.master(0).process->Kill9().ok());
  auto [leader2, epoch2] = WaitForNewLeader(ha, 0, epoch1, seconds(30));
  REQUIRE(leader2 >= 0);
  ha.StartMaster(0);  // as a supervisor would: it joins again, as a standby
  std::optional<proto::BatchCommit> first2;
  REQUIRE(WaitFor([&] { return (first2 = FirstCommitOf(checkpoint, epoch2)).has_value(); },
                  seconds(30), milliseconds(20)));
  const int64_t takeover1 = first2->committed_at_ms() - killed_at;
  // The leader notes the takeover right after that commit.
  std::optional<proto::GetJobReply> status2;
  WaitFor(
      [&] {
        status2 = ha.GetJob(job);
        return status2 && status2->status().takeover_ms() > 0;
      },
      seconds(10));
  REQUIRE(status2.has_value());
  WARN("kill -9 of the leader: master "
       << leader2 << " took over with epoch " << epoch2 << "; the next batch ("
       << first2->batch_id() << ") committed " << takeover1
       << " ms after the kill; the leader measured " << status2->status().takeover_ms() << " ms");
  CHECK(takeover1 < kSessionTimeoutMs + 6'000);
  CHECK(status2->status().epoch() == epoch2);
  CHECK(status2->status().takeover_ms() >= takeover1);
  CHECK(status2->status().takeover_ms() < takeover1 + 2'000);
  auto metrics = HttpGet("127.0.0.1", ha.master(leader2).ui_port, "/metrics", seconds(2));
  REQUIRE(metrics.ok());
  CHECK(Contains(*metrics, "spate_master_takeover_seconds "));
  CHECK(Contains(*metrics, "spate_job_takeover_seconds{job=\"" + job + "\"}"));
  CommandResult status_text = data.RunSubmit({"--master", ha.url(), "--status", job}, seconds(30));
  INFO(status_text.stdout_text << status_text.stderr_text);
  REQUIRE(status_text.exit_code == 0);
  CHECK(Contains(status_text.stdout_text,
                 "leader:     epoch " + std::to_string(epoch2) + "; taken over in "));

  // 2. SIGSTOP of the new leader past its session timeout: another master takes over; the
  // paused one, resumed, must not commit (ZooKeeper refuses its epoch) and steps down.
  REQUIRE(WaitFor(
      [&] {
        return static_cast<int64_t>(ReadCommitLog(checkpoint).size()) >= first2->batch_id() + 5;
      },
      seconds(30)));
  const int zombie = leader2;
  const int64_t paused_at = EpochMs();
  REQUIRE(ha.master(zombie).process->Signal(SIGSTOP).ok());
  auto [leader3, epoch3] = WaitForNewLeader(ha, zombie, epoch2, seconds(30));
  INFO(ha.Logs());
  REQUIRE(leader3 >= 0);
  std::optional<proto::BatchCommit> first3;
  REQUIRE(WaitFor([&] { return (first3 = FirstCommitOf(checkpoint, epoch3)).has_value(); },
                  seconds(30), milliseconds(20)));
  WARN("SIGSTOP of the leader: master " << leader3 << " took over with epoch " << epoch3
                                        << "; the next batch (" << first3->batch_id()
                                        << ") committed " << first3->committed_at_ms() - paused_at
                                        << " ms after the pause");
  REQUIRE(ha.master(zombie).process->Signal(SIGCONT).ok());
  auto code = ha.master(zombie).process->Wait(seconds(20));
  INFO(ha.master(zombie).process->LogTail(40));
  REQUIRE(code.ok());
  CHECK(*code == 3);
  CHECK(Contains(ha.master(zombie).process->Stderr() + ha.master(zombie).process->Stdout(),
                 "leadership lost"));
  // Whatever the zombie did after it resumed, it committed nothing: the batches of its epoch
  // all come before the new leader's first.
  int64_t last2 = -1;
  for (const auto& [id, c] : ReadCommitLog(checkpoint))
    if (c.epoch() == epoch2) last2 = std::max(last2, id);
  CHECK(last2 < first3->batch_id());
  ha.StartMaster(zombie);

  // What a deposed leader would send, sent now under epoch 2: the workers refuse its task, and
  // ZooKeeper refuses its commit and keeps the new leader's.
  auto status3 = ha.GetJob(job);
  REQUIRE(status3.has_value());
  REQUIRE(status3->status().executors_size() > 0);
  const proto::ExecutorAssignment& executor = status3->status().executors(0);
  auto worker = proto::Worker::NewStub(MakeChannel(executor.address()));
  proto::SourceTaskRequest task;
  task.set_job_id(job);
  task.set_executor_id(executor.executor_id());
  task.set_batch_id(first3->batch_id() + 1000);
  task.mutable_range()->set_partition(0);
  task.set_epoch(epoch2);
  proto::SourceTaskReply task_reply;
  auto task_ctx = MakeContext(seconds(5));
  grpc::Status refused = worker->RunSourceTask(task_ctx.get(), task, &task_reply);
  CHECK(refused.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(Contains(refused.error_message(), "deposed master (epoch " + std::to_string(epoch2)));
  auto zk = master::ZkClient::Connect(ha.zk_hosts(), 4000, 10'000, nullptr);
  REQUIRE(zk.ok());
  const std::string commit_node = "/spate/jobs/" + job + "/commit";
  proto::BatchCommit stale;
  stale.set_batch_id(first3->batch_id() + 1000);
  stale.set_epoch(epoch2);
  Status fenced = (*zk)->SetFenced("/spate/epoch", static_cast<int32_t>(epoch2), commit_node,
                                   stale.SerializeAsString());
  CHECK(fenced.code() == StatusCode::kFailedPrecondition);
  auto kept = (*zk)->Get(commit_node);
  REQUIRE(kept.ok());
  proto::BatchCommit newest;
  REQUIRE(newest.ParseFromString(kept->data));
  CHECK(newest.epoch() == epoch3);
  CHECK(newest.batch_id() < stale.batch_id());

  // 3. kill -9 of a standby: nothing changes.
  const int standby_index = leader3 == 0 ? 1 : 0;
  REQUIRE(WaitFor([&] { return ha.ClusterJson(standby_index).is_object(); }, seconds(20)));
  const size_t before = ReadCommitLog(checkpoint).size();
  REQUIRE(ha.master(standby_index).process->Kill9().ok());
  REQUIRE(WaitFor([&] { return ReadCommitLog(checkpoint).size() >= before + 5; }, seconds(30)));
  CHECK(ha.Leader() == std::make_pair(leader3, epoch3));
  // Its election node lasts until its session expires; the standby after it waits for that.
  std::this_thread::sleep_for(milliseconds(kSessionTimeoutMs + 1'000));

  // 4. A graceful stop of the leader (SIGTERM) ends its session at once: the last standby
  // takes over without waiting for the session timeout.
  const int64_t stopped_at = EpochMs();
  auto stop_code = ha.master(leader3).process->Stop(seconds(20));
  REQUIRE(stop_code.ok());
  CHECK(*stop_code == 0);
  auto [leader4, epoch4] = WaitForNewLeader(ha, leader3, epoch3, seconds(30));
  INFO(ha.Logs());
  REQUIRE(leader4 >= 0);
  std::optional<proto::BatchCommit> first4;
  REQUIRE(WaitFor([&] { return (first4 = FirstCommitOf(checkpoint, epoch4)).has_value(); },
                  seconds(30), milliseconds(20)));
  const int64_t takeover4 = first4->committed_at_ms() - stopped_at;
  WARN("SIGTERM of the leader: master " << leader4 << " took over with epoch " << epoch4
                                        << "; the next batch (" << first4->batch_id()
                                        << ") committed " << takeover4 << " ms after the signal");
  CHECK(takeover4 < kSessionTimeoutMs + 2'000);

  // The end: every record committed, then --stop --drain through the list of masters.
  bool all = WaitFor([&] { return CommittedRecords(checkpoint) == kRecords; }, seconds(120),
                     milliseconds(100));
  INFO(ha.Logs(40));
  REQUIRE(all);
  CommandResult stop = data.RunSubmit({"--master", ha.url(), "--stop", job, "--drain"});
  INFO(stop.stdout_text << stop.stderr_text);
  REQUIRE(stop.exit_code == 0);
  auto exit_code = submit->Wait(seconds(60));
  INFO("spate-submit:\n" << submit->LogTail(30) << ha.Logs(40));
  REQUIRE(exit_code.ok());
  CHECK(*exit_code == 0);
  auto final_status = ha.GetJob(job);
  REQUIRE(final_status.has_value());
  CHECK(final_status->status().state() == proto::FINISHED);

  const std::vector<std::string> rows = ReadSinkDir(sink);
  std::string diff = RowDiff(expected.rows, rows);
  if (!diff.empty()) FAIL(diff << "\n" << ha.Logs(60));
  REQUIRE(Duplicates(rows).empty());
  RequireCommitLogExact(checkpoint, kRecords, kPartitions);
}

}  // namespace
}  // namespace spate::testing
