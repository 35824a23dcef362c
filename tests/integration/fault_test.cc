// Fault injection against real processes and the real broker at Bootstrap(): kill -9 of workers
// (their work dirs deleted) at several moments, kill -9 and restart of the master, a broker
// outage, a resubmission with more shuffle partitions, and the Kafka sink across a master
// crash. Every run's output must equal the independent oracle's rows exactly, with no
// duplicates, and the checkpoint's commit log must show every record committed exactly once.
// The tests print the recovery times they measure (Catch2 WARN lines).
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/cluster_fixture.h"

namespace spate::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// One data set for the whole binary (producing it and running the oracle cost ~15 s here):
// 1.2 M records over 4 partitions and 100 s of event time, so the jobs below run ~60 batches
// of --max-offsets-per-trigger 20000 records with state in ~10 windows.
constexpr int64_t kRecords = 1'200'000;
constexpr int kPartitions = 4;
constexpr int kMaxOffsetsPerTrigger = 20'000;
// The streaming trigger: batches of ~20-40 ms every 200 ms, so there is time to aim a kill.
constexpr int64_t kTriggerMs = 200;
const std::string kStreaming = "processing-time=" + std::to_string(kTriggerMs) + "ms";

struct DataSet {
  std::string topic;
  OracleResult expected;
};

const DataSet& Data() {
  // A Cluster that never starts daemons: it owns the topic (deleted at exit) and runs the oracle.
  static Cluster holder;
  static std::optional<DataSet> data;
  if (!data) {
    DataSet d;
    d.topic = holder.CreateTopic("fault-logs", kPartitions);
    holder.Produce(d.topic, {"--seed", "9109", "--start-ms", std::to_string(kStartMs), "--count",
                             std::to_string(kRecords), "--event-rate", "12000", "--users", "2000"});
    d.expected = holder.Oracle(d.topic);
    INFO("oracle summary: " << d.expected.summary.dump());
    REQUIRE(d.expected.summary.value("records", int64_t{0}) == kRecords);
    REQUIRE(d.expected.summary.value("rows", 0) > 100);
    REQUIRE(d.expected.summary.value("rows_at_threshold", 0) > 0);
    REQUIRE(d.expected.summary.value("rows_at_threshold_plus_one", 0) > 0);
    REQUIRE(d.expected.summary.value("windows", 0) >= 8);
    data = std::move(d);
  }
  return *data;
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// spate-submit options for a crash-detector job over the data set (file sink by default).
std::vector<std::string> JobArgs(const std::string& sink, const std::string& checkpoint,
                                 const std::string& trigger, int shuffle_partitions = 4,
                                 int max_offsets_per_trigger = kMaxOffsetsPerTrigger,
                                 const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {
      "--num-executors", "2", "--executor-cores", "1", "--conf",
      "spate.sql.shuffle.partitions=" + std::to_string(shuffle_partitions),
      // Every record of the offset and commit logs kept: RequireCommitLogExact reads them all.
      "--conf", "spate.checkpoint.retained-batches=1000000", "--topic", Data().topic,
      "--starting-offsets", "earliest", "--sink",
      sink.rfind("kafka:", 0) == 0 ? sink : "file:" + sink, "--checkpoint-dir", checkpoint,
      "--trigger", trigger, "--max-offsets-per-trigger", std::to_string(max_offsets_per_trigger)};
  args = Concat(args, extra);
  args.push_back("crash-detector");
  return args;
}

int64_t MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t).count();
}

int64_t EpochMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void RequireOracleRows(const std::vector<std::string>& actual, const Cluster& cluster) {
  const auto& expected = Data().expected.rows;
  std::string diff = RowDiff(expected, actual);
  if (!diff.empty()) FAIL(diff << "\n" << cluster.Logs(60));
  REQUIRE(Duplicates(actual).empty());
}

proto::JobStatus JobStatusOf(Cluster& cluster, const std::string& job) {
  return cluster.GetJob(job, 0).status();
}

// Polls until the job committed at least `batches` batches.
bool WaitBatches(Cluster& cluster, const std::string& job, int64_t batches, milliseconds timeout) {
  return WaitFor([&] { return JobStatusOf(cluster, job).batches_committed() >= batches; }, timeout,
                 milliseconds(10));
}

// Waits until the commit log holds every record, then `--stop --drain` (the end of the input is
// the end of event time: every window is emitted) and waits for FINISHED.
void DrainWhenAllCommitted(Cluster& cluster, const std::string& job,
                           const std::string& checkpoint) {
  bool all = WaitFor([&] { return CommittedRecords(checkpoint) == kRecords; }, seconds(120),
                     milliseconds(100));
  INFO(cluster.StatusText(job) << cluster.Logs(40));
  REQUIRE(all);
  CommandResult stop =
      cluster.RunSubmit({"--master", cluster.master_url(), "--stop", job, "--drain"});
  INFO(stop.stdout_text << stop.stderr_text);
  REQUIRE(stop.exit_code == 0);
  REQUIRE(cluster.WaitForState(job, proto::FINISHED, seconds(60)));
}

// Index of the worker that runs `e` (by the port in its address).
int WorkerOf(Cluster& cluster, const proto::ExecutorAssignment& e, int workers) {
  for (int i = 0; i < workers; ++i) {
    if (e.address() == "127.0.0.1:" + std::to_string(cluster.worker_port(i))) return i;
  }
  return -1;
}

// An attached spate-submit (it follows the job until the job ends) and its job id.
struct Attached {
  ChildProcess submit;
  std::string job;
};

Attached StartAttached(Cluster& cluster, const std::vector<std::string>& args) {
  StartOptions so;
  so.log_dir = cluster.dir().MakeSubdir("logs");
  so.name = "submit";
  auto submit = ChildProcess::Start(Concat({BinDir() + "/spate-submit", "--master",
                                            cluster.master_url(), "--bootstrap", Bootstrap()},
                                           args),
                                    so);
  INFO(submit.status().ToString());
  REQUIRE(submit.ok());
  std::string job;
  bool submitted = WaitFor(
      [&] {
        job = JobIdFromSubmitStderr(submit->Stderr());
        return !job.empty() || !submit->Running();
      },
      seconds(20), milliseconds(10));
  INFO(submit->LogTail(20));
  REQUIRE(submitted);
  REQUIRE(!job.empty());
  return Attached{std::move(*submit), job};
}

// Waits for an attached spate-submit to exit 0 and for the job to be FINISHED.
void RequireAttachedFinished(Cluster& cluster, Attached& attached) {
  auto code = attached.submit.Wait(seconds(120));
  INFO("spate-submit:\n" << attached.submit.LogTail(30) << cluster.Logs(40));
  REQUIRE(code.ok());
  REQUIRE(*code == 0);
  REQUIRE(JobStatusOf(cluster, attached.job).state() == proto::FINISHED);
}

// Runs `scripts/kafka.sh stop|start` for the broker at Bootstrap(), and starts it again when
// it goes out of scope while stopped (a failed test must not leave the suite without a broker).
class BrokerControl {
 public:
  BrokerControl() {
    const std::string bootstrap = Bootstrap();
    const std::string prefix = "127.0.0.1:";
    if (bootstrap.rfind(prefix, 0) == 0 && bootstrap.find(',') == std::string::npos) {
      port_ = bootstrap.substr(prefix.size());
    }
    if (!port_.empty()) managed_ = Run("status").exit_code == 0;
  }
  ~BrokerControl() {
    if (stopped_) {
      CommandResult r = Run("start");
      if (r.exit_code != 0) {
        std::fprintf(stderr, "fault_test: restarting the broker failed: %s%s\n",
                     r.stdout_text.c_str(), r.stderr_text.c_str());
      }
    }
  }
  BrokerControl(const BrokerControl&) = delete;
  BrokerControl& operator=(const BrokerControl&) = delete;

  /// Whether scripts/kafka.sh runs the broker at Bootstrap() (else the test cannot stop it).
  bool managed() const { return managed_; }

  CommandResult Stop() {
    stopped_ = true;
    return Run("stop");
  }
  CommandResult Start() {
    CommandResult r = Run("start");
    if (r.exit_code == 0) stopped_ = false;
    return r;
  }

 private:
  CommandResult Run(const std::string& verb) {
    auto r = RunCommand({SourceDir() + "/scripts/kafka.sh", verb}, seconds(120),
                        {{"SPATE_KAFKA_PORT", port_}});
    if (!r.ok()) return CommandResult{-1, "", r.status().ToString()};
    return *r;
  }

  std::string port_;
  bool managed_ = false;
  bool stopped_ = false;
};

// -------------------------------------------------------------------------------------------

TEST_CASE(
    "worker kill -9 at three moments of a streaming job (aimed at reading, shuffling, committing) "
    "with its work dir deleted restores state from the checkpoint, gives new workers work and "
    "keeps the oracle rows",
    "[fault]") {
  const DataSet& data = Data();
  Cluster cluster;
  // One core per worker: each worker holds one executor, so a lost executor's share can only go
  // to the survivor, or to a worker that joins later.
  ClusterOptions options;
  options.cores_per_worker = 1;
  options.worker_timeout = "2s";
  cluster.Start(options);
  const std::string sink = cluster.SinkDir("out");
  const std::string checkpoint = cluster.SinkDir("checkpoint");
  const auto started = Clock::now();
  const std::string job = cluster.SubmitDetached(JobArgs(sink, checkpoint, kStreaming));

  // Stage boundaries cannot be seen from outside, so each kill is aimed by the clock: the next
  // batch is triggered kTriggerMs after the last one started, and the last batch's stage
  // timings say roughly when the next one reads (stage 1: Kafka, parse, shuffle write), runs
  // its state tasks (stage 2: shuffle read, merge, checkpoint) and commits. On a loaded machine
  // the aim drifts; any moment must give the same rows.
  enum class Aim { kReading, kShuffling, kCommitting };
  struct Moment {
    int64_t after_batch;
    Aim aim;
    const char* name;
  };
  const std::vector<Moment> moments = {{3, Aim::kReading, "reading (stage 1)"},
                                       {15, Aim::kShuffling, "shuffling (end of stage 1)"},
                                       {40, Aim::kCommitting, "committing (end of stage 2)"}};
  int workers = options.workers;
  for (const Moment& m : moments) {
    REQUIRE(WaitBatches(cluster, job, m.after_batch, seconds(60)));
    proto::GetJobReply reply = cluster.GetJob(job, 1);
    const proto::JobStatus& st = reply.status();
    REQUIRE(st.state() == proto::RUNNING);
    REQUIRE(st.executors_size() == 2);
    const int victim = WorkerOf(cluster, st.executors(0), workers);
    REQUIRE(victim >= 0);
    const proto::BatchProgress& last = st.last_progress();
    int64_t offset = last.planning_ms() + 2;
    if (m.aim == Aim::kShuffling) offset += last.stage1_ms() * 3 / 4;
    if (m.aim == Aim::kCommitting) offset += last.stage1_ms() + last.stage2_ms() * 3 / 4;
    int64_t at = last.timestamp_ms() + kTriggerMs + offset;
    while (at < EpochMs() + 2) at += kTriggerMs;  // too late for that batch: aim at the next
    std::this_thread::sleep_for(milliseconds(at - EpochMs()));
    const int64_t recoveries_before = JobStatusOf(cluster, job).recoveries();
    const auto killed_at = Clock::now();
    cluster.KillWorker(victim, /*delete_work_dir=*/true);

    // Recovered: the batch that failed committed after a replay.
    bool recovered =
        WaitFor([&] { return JobStatusOf(cluster, job).recoveries() > recoveries_before; },
                seconds(60), milliseconds(10));
    const int64_t recovery_ms = MsSince(killed_at);
    INFO("--status:\n" << cluster.StatusText(job) << cluster.Logs(40));
    REQUIRE(recovered);
    const proto::JobStatus after = JobStatusOf(cluster, job);
    WARN("worker-" << victim << " killed after batch " << m.after_batch << ", aimed at " << m.name
                   << ": the replayed batch committed " << recovery_ms
                   << " ms after the kill (master: " << after.last_recovery_ms()
                   << " ms from the first failed attempt; worker timeout 2 s)");
    CHECK(Contains(cluster.MasterLog(), "lost: moving its partitions"));

    // A new worker is given work: the job is back to two executors on two live workers.
    const int added = cluster.AddWorker();
    workers = added + 1;
    bool back_to_two = WaitFor(
        [&] {
          auto s = JobStatusOf(cluster, job);
          if (s.executors_size() != 2) return false;
          bool on_new = false;
          for (const auto& e : s.executors()) {
            const int w = WorkerOf(cluster, e, workers);
            if (w < 0 || !cluster.WorkerRunning(w)) return false;
            on_new = on_new || w == added;
          }
          return on_new;
        },
        seconds(30), milliseconds(50));
    const std::string status = cluster.StatusText(job);
    INFO("--status:\n" << status << cluster.Logs(40));
    REQUIRE(back_to_two);
    const auto execs = ParseExecutorLines(status);
    REQUIRE(execs.size() == 2);
    CHECK(execs[0].worker_id != execs[1].worker_id);
  }

  DrainWhenAllCommitted(cluster, job, checkpoint);
  const std::string status = cluster.StatusText(job);
  INFO("--status:\n" << status);
  RequireOracleRows(ReadSinkDir(sink), cluster);
  const proto::JobStatus st = JobStatusOf(cluster, job);
  CHECK(st.recoveries() >= 3);
  CHECK(st.replayed_batches() >= 3);
  // The new owners of the lost key groups restored their state from the checkpoint (a rebuild
  // from the topic would have read records twice, and input rows would exceed the topic).
  CHECK(st.restored_state_rows() > 0);
  CHECK(StatusNumber(status, "input rows:") == kRecords);
  CHECK(StatusNumber(status, "emitted:") == static_cast<int64_t>(data.expected.rows.size()));
  CHECK(ParseExecutorLines(status).size() == 2);
  RequireCommitLogExact(checkpoint, kRecords, kPartitions);
  WARN("worker-loss streaming run: " << st.batches_committed() << " batches, "
                                     << st.restored_state_rows() << " state rows restored, "
                                     << MsSince(started) << " ms from submit to FINISHED");
}

TEST_CASE(
    "after a worker loss squeezed a streaming job onto the survivor, a worker that joins gets "
    "one of its executors back and the rows stay exact",
    "[fault]") {
  Data();
  Cluster cluster;
  // Two cores per worker: the survivor can take the lost executor, so the job is at full
  // strength on one worker when another joins; it spreads out again, as at submission.
  ClusterOptions options;
  options.worker_timeout = "2s";
  cluster.Start(options);
  const std::string sink = cluster.SinkDir("out");
  const std::string checkpoint = cluster.SinkDir("checkpoint");
  const std::string job = cluster.SubmitDetached(JobArgs(sink, checkpoint, kStreaming));
  REQUIRE(WaitBatches(cluster, job, 5, seconds(60)));
  proto::JobStatus st = JobStatusOf(cluster, job);
  REQUIRE(st.executors_size() == 2);
  const int victim = WorkerOf(cluster, st.executors(1), options.workers);
  REQUIRE(victim >= 0);
  cluster.KillWorker(victim, /*delete_work_dir=*/true);
  int workers = options.workers;
  auto on_workers = [&] {
    std::set<int> ws;
    const proto::JobStatus now = JobStatusOf(cluster, job);
    for (const auto& e : now.executors()) ws.insert(WorkerOf(cluster, e, workers));
    return ws;
  };
  bool squeezed = WaitFor(
      [&] {
        auto s = JobStatusOf(cluster, job);
        return s.executors_size() == 2 && on_workers().size() == 1 && s.recoveries() >= 1;
      },
      seconds(60), milliseconds(50));
  INFO("--status:\n" << cluster.StatusText(job) << cluster.Logs(40));
  REQUIRE(squeezed);

  const int added = cluster.AddWorker();
  workers = added + 1;
  const auto joined_at = Clock::now();
  bool spread = WaitFor([&] { return on_workers().count(added) == 1 && on_workers().size() == 2; },
                        seconds(60), milliseconds(50));
  INFO("--status:\n" << cluster.StatusText(job) << cluster.Logs(40));
  REQUIRE(spread);
  WARN("worker-" << added << " joined: it held one of the job's executors " << MsSince(joined_at)
                 << " ms later");
  CHECK(Contains(cluster.MasterLog(), "spreading out"));
  // It does real work: batches after the move read partitions and key groups there.
  REQUIRE(
      WaitBatches(cluster, job, JobStatusOf(cluster, job).batches_committed() + 3, seconds(60)));

  DrainWhenAllCommitted(cluster, job, checkpoint);
  RequireOracleRows(ReadSinkDir(sink), cluster);
  const std::string status = cluster.StatusText(job);
  INFO("--status:\n" << status);
  CHECK(StatusNumber(status, "input rows:") == kRecords);
  CHECK(JobStatusOf(cluster, job).restored_state_rows() > 0);
  RequireCommitLogExact(checkpoint, kRecords, kPartitions);
}

TEST_CASE(
    "worker kill -9 in the middle of back-to-back available-now batches leaves the survivor all "
    "the work and the attached client the oracle rows",
    "[fault]") {
  Data();
  Cluster cluster;
  ClusterOptions options;
  options.cores_per_worker = 1;
  options.worker_timeout = "2s";
  cluster.Start(options);
  const std::string sink = cluster.SinkDir("out");
  const std::string checkpoint = cluster.SinkDir("checkpoint");
  // available-now runs batches back to back (no trigger interval), so a kill lands inside one.
  Attached attached = StartAttached(
      cluster, JobArgs(sink, checkpoint, "available-now", 4, kMaxOffsetsPerTrigger / 2));
  const std::string& job = attached.job;
  REQUIRE(WaitBatches(cluster, job, 10, seconds(60)));
  proto::JobStatus st = JobStatusOf(cluster, job);
  REQUIRE(st.state() == proto::RUNNING);
  REQUIRE(st.executors_size() == 2);
  const int victim = WorkerOf(cluster, st.executors(1), options.workers);
  REQUIRE(victim >= 0);
  const int64_t batches_before = st.batches_committed();
  const auto killed_at = Clock::now();
  cluster.KillWorker(victim, /*delete_work_dir=*/true);
  bool recovered = WaitFor([&] { return JobStatusOf(cluster, job).recoveries() >= 1; }, seconds(60),
                           milliseconds(10));
  const int64_t recovery_ms = MsSince(killed_at);
  INFO(cluster.StatusText(job) << cluster.Logs(40));
  REQUIRE(recovered);

  RequireAttachedFinished(cluster, attached);
  RequireOracleRows(ReadSinkDir(sink), cluster);
  const std::string status = cluster.StatusText(job);
  INFO("--status:\n" << status);
  st = JobStatusOf(cluster, job);
  WARN("worker-" << victim << " killed mid-batch after batch " << batches_before
                 << " (available-now): the replayed batch committed " << recovery_ms
                 << " ms after the kill (master: " << st.last_recovery_ms()
                 << " ms from the first failed attempt), " << st.restored_state_rows()
                 << " state rows restored");
  CHECK(st.recoveries() >= 1);
  CHECK(st.restored_state_rows() > 0);
  CHECK(StatusNumber(status, "input rows:") == kRecords);
  // With one-core workers the survivor can hold only one executor: the job ended on it.
  const auto execs = ParseExecutorLines(status);
  REQUIRE(execs.size() == 1);
  CHECK(execs[0].kafka_partitions.size() == static_cast<size_t>(kPartitions));
  RequireCommitLogExact(checkpoint, kRecords, kPartitions);
}

TEST_CASE(
    "master kill -9 and restart on the same state dir resumes the streaming job from its commit "
    "log with the oracle rows",
    "[fault]") {
  Data();
  Cluster cluster;
  ClusterOptions options;
  options.worker_timeout = "2s";
  cluster.Start(options);
  const std::string sink = cluster.SinkDir("out");
  const std::string checkpoint = cluster.SinkDir("checkpoint");
  const std::string job = cluster.SubmitDetached(JobArgs(sink, checkpoint, kStreaming));
  REQUIRE(WaitBatches(cluster, job, 10, seconds(60)));
  // Halfway through stage 1 of a batch, roughly (aimed as in the worker test).
  const proto::BatchProgress last = cluster.GetJob(job, 1).status().last_progress();
  int64_t at = last.timestamp_ms() + kTriggerMs + last.planning_ms() + last.stage1_ms() / 2;
  while (at < EpochMs() + 2) at += kTriggerMs;
  std::this_thread::sleep_for(milliseconds(at - EpochMs()));

  const auto killed_at = Clock::now();
  cluster.KillMaster();
  const int64_t committed_at_kill = static_cast<int64_t>(ReadCommitLog(checkpoint).size());
  cluster.RestartMaster();
  const int64_t restart_ms = MsSince(killed_at);
  const auto restarted_at = Clock::now();
  bool resumed = WaitFor(
      [&] {
        auto st = JobStatusOf(cluster, job);
        return st.state() == proto::RUNNING && st.batches_committed() > committed_at_kill;
      },
      seconds(60), milliseconds(10));
  const int64_t recovery_ms = MsSince(killed_at);
  const int64_t after_restart_ms = MsSince(restarted_at);
  INFO(cluster.StatusText(job) << cluster.Logs(40));
  REQUIRE(resumed);
  WARN("master killed after " << committed_at_kill << " committed batches, restarted " << restart_ms
                              << " ms later: the next batch committed " << recovery_ms
                              << " ms after the kill (" << after_restart_ms
                              << " ms after the restart)");
  CHECK(Contains(cluster.MasterLog(), "resumes after a master restart"));
  CHECK(Contains(cluster.MasterLog(), "resuming from " + checkpoint));

  DrainWhenAllCommitted(cluster, job, checkpoint);
  const std::string status = cluster.StatusText(job);
  INFO("--status:\n" << status);
  RequireOracleRows(ReadSinkDir(sink), cluster);
  CHECK(ParseExecutorLines(status).size() == 2);
  // The executors are launched anew on the same workers: a range whose local state is at the
  // last committed batch is used as it is, one that is not (the killed batch had reached its
  // state tasks) is restored from the checkpoint; either way the rows above are exact.
  WARN("after the master restart: " << (Contains(cluster.MasterLog(), "planned batch(es) from")
                                            ? "the planned batch was replayed"
                                            : "no batch was planned at the kill")
                                    << ", " << JobStatusOf(cluster, job).restored_state_rows()
                                    << " state rows restored from the checkpoint");
  RequireCommitLogExact(checkpoint, kRecords, kPartitions);
}

TEST_CASE(
    "a master restarted after its newest commit record was torn replays that batch from its plan "
    "and keeps the oracle rows",
    "[fault]") {
  Data();
  Cluster cluster;
  ClusterOptions options;
  options.worker_timeout = "2s";
  cluster.Start(options);
  const std::string sink = cluster.SinkDir("out");
  const std::string checkpoint = cluster.SinkDir("checkpoint");
  const std::string job = cluster.SubmitDetached(JobArgs(sink, checkpoint, kStreaming));
  REQUIRE(WaitBatches(cluster, job, 10, seconds(60)));
  cluster.KillMaster();
  // The machine lost the newest commit record's contents (a crash as it was written): the file
  // is there, empty.
  const auto commits = ReadCommitLog(checkpoint);
  REQUIRE(commits.size() >= 10);
  const int64_t newest = commits.rbegin()->first;
  char name[32];
  std::snprintf(name, sizeof(name), "/commits/%012lld", static_cast<long long>(newest));
  std::filesystem::resize_file(checkpoint + name, 0);
  cluster.RestartMaster();
  // Never rewound: the job goes on from the batch before the torn one, which it replays.
  CHECK(JobStatusOf(cluster, job).batches_committed() >= newest);
  bool resumed = WaitFor(
      [&] {
        auto st = JobStatusOf(cluster, job);
        return st.state() == proto::RUNNING && st.batches_committed() > newest + 1;
      },
      seconds(60), milliseconds(50));
  INFO(cluster.StatusText(job) << cluster.Logs(40));
  REQUIRE(resumed);
  CHECK(Contains(cluster.MasterLog(),
                 "resuming from " + checkpoint + " after batch " + std::to_string(newest - 1)));
  CHECK(Contains(cluster.MasterLog(), "is empty"));

  DrainWhenAllCommitted(cluster, job, checkpoint);
  RequireOracleRows(ReadSinkDir(sink), cluster);
  RequireCommitLogExact(checkpoint, kRecords, kPartitions);
}

TEST_CASE(
    "broker stopped for 5 s under an available-now job shows RECOVERING, then the job resumes and "
    "ends with the oracle rows",
    "[fault]") {
  Data();
  BrokerControl broker;
  if (!broker.managed()) {
    WARN("skipped: the broker at " << Bootstrap()
                                   << " is not run by scripts/kafka.sh, so it cannot be stopped");
    return;
  }
  Cluster cluster;
  ClusterOptions options;
  options.worker_timeout = "2s";
  cluster.Start(options);
  const std::string sink = cluster.SinkDir("out");
  const std::string checkpoint = cluster.SinkDir("checkpoint");
  // Small batches back to back: the broker goes away in the middle of the run.
  constexpr int kSmallBatch = kMaxOffsetsPerTrigger / 4;
  Attached attached =
      StartAttached(cluster, JobArgs(sink, checkpoint, "available-now", 4, kSmallBatch,
                                     {"--conf", "spate.source.stall-timeout=5s"}));
  const std::string& job = attached.job;
  REQUIRE(WaitBatches(cluster, job, 10, seconds(60)));

  const int64_t committed_before_stop = JobStatusOf(cluster, job).batches_committed();
  const auto stopped_at = Clock::now();
  CommandResult stop = broker.Stop();
  const int64_t stop_ms = MsSince(stopped_at);
  INFO(stop.stdout_text << stop.stderr_text);
  REQUIRE(stop.exit_code == 0);
  const int64_t committed_at_stop = JobStatusOf(cluster, job).batches_committed();
  // The broker went away in the middle of the run, not after its end.
  REQUIRE(committed_at_stop < kRecords / kSmallBatch);
  // Down for at least 5 s, and until the job says so (a stalled read gives up after the stall
  // timeout, 5 s).
  bool recovering = false;
  std::string seen;
  const auto down_until = Clock::now() + seconds(5);
  WaitFor(
      [&] {
        std::string status = cluster.StatusText(job);
        if (status.rfind("RECOVERING\n", 0) == 0) {
          recovering = true;
          seen = status;
        }
        return recovering && Clock::now() >= down_until;
      },
      seconds(30), milliseconds(250));
  INFO("--status while the broker was down:\n" << (seen.empty() ? cluster.StatusText(job) : seen));
  CHECK(recovering);
  CHECK(Contains(seen, "broker"));
  const int64_t down_ms = MsSince(stopped_at);
  const auto start_began = Clock::now();
  CommandResult start = broker.Start();
  INFO(start.stdout_text << start.stderr_text);
  REQUIRE(start.exit_code == 0);
  const int64_t broker_start_ms = MsSince(start_began);
  const auto broker_up = Clock::now();
  proto::JobStatus resumed_status;
  bool resumed = WaitFor(
      [&] {
        resumed_status = JobStatusOf(cluster, job);
        return resumed_status.batches_committed() > committed_at_stop;
      },
      seconds(90), milliseconds(20));
  INFO(cluster.StatusText(job) << cluster.Logs(40));
  REQUIRE(resumed);
  WARN("broker stopped after batch "
       << committed_before_stop << " (kafka.sh stop took " << stop_ms << " ms, batch "
       << committed_at_stop << " by then) for " << down_ms << " ms (its start took "
       << broker_start_ms << " ms): the job committed again " << MsSince(broker_up)
       << " ms after the broker answered, " << MsSince(stopped_at) << " ms after the stop (master: "
       << resumed_status.last_recovery_ms() << " ms from the first failed attempt)");

  RequireAttachedFinished(cluster, attached);
  const std::string status = cluster.StatusText(job);
  INFO("--status:\n" << status);
  RequireOracleRows(ReadSinkDir(sink), cluster);
  CHECK(StatusNumber(status, "input rows:") == kRecords);
  CHECK(JobStatusOf(cluster, job).recoveries() >= 1);
  RequireCommitLogExact(checkpoint, kRecords, kPartitions);
}

TEST_CASE(
    "a stopped job resubmitted with the same checkpoint dir and 8 instead of 2 shuffle partitions "
    "resumes after its last batch with the oracle rows",
    "[fault]") {
  const DataSet& data = Data();
  Cluster cluster;
  cluster.Start();
  const std::string sink = cluster.SinkDir("out");
  const std::string checkpoint = cluster.SinkDir("checkpoint");
  const std::string first = cluster.SubmitDetached(JobArgs(sink, checkpoint, kStreaming, 2));
  REQUIRE(WaitBatches(cluster, first, 20, seconds(60)));
  CommandResult stop = cluster.RunSubmit({"--master", cluster.master_url(), "--stop", first});
  INFO(stop.stdout_text << stop.stderr_text);
  REQUIRE(stop.exit_code == 0);
  REQUIRE(cluster.WaitForState(first, proto::FINISHED, seconds(30)));
  const proto::JobStatus st1 = JobStatusOf(cluster, first);
  const int64_t committed_first = st1.batches_committed();
  REQUIRE(st1.total_input_rows() < kRecords);
  REQUIRE(static_cast<int64_t>(ReadCommitLog(checkpoint).size()) == committed_first);

  CommandResult run = cluster.Submit(JobArgs(sink, checkpoint, "available-now", 8), seconds(180));
  INFO("spate-submit stderr:\n" << run.stderr_text << cluster.Logs(40));
  REQUIRE(run.exit_code == 0);
  const std::string second = JobIdFromSubmitStderr(run.stderr_text);
  REQUIRE(!second.empty());
  const std::string status = cluster.StatusText(second);
  INFO("--status of the resubmitted job:\n" << status);
  REQUIRE(status.rfind("FINISHED\n", 0) == 0);
  RequireOracleRows(ReadSinkDir(sink), cluster);
  const proto::JobStatus st2 = JobStatusOf(cluster, second);
  // It started after the first run's last batch: the two runs read the topic once together.
  CHECK(st1.total_input_rows() + st2.total_input_rows() == kRecords);
  CHECK(st2.batches_committed() > committed_first);
  CHECK(st2.restored_state_rows() > 0);
  CHECK(st1.total_rows_emitted() + st2.total_rows_emitted() ==
        static_cast<int64_t>(data.expected.rows.size()));
  // Eight shuffle partitions now, over the same key groups, each owned once.
  int ranges = 0;
  std::vector<int> owner(128, 0);
  for (const auto& e : ParseExecutorLines(status)) {
    for (auto [begin, end] : e.key_groups) {
      ++ranges;
      for (int g = begin; g < end && g < 128; ++g) ++owner[static_cast<size_t>(g)];
    }
  }
  CHECK(ranges == 8);
  CHECK(std::all_of(owner.begin(), owner.end(), [](int n) { return n == 1; }));
  RequireCommitLogExact(checkpoint, kRecords, kPartitions);
  WARN("resubmission: the first run stopped after "
       << committed_first << " batches (" << st1.total_input_rows()
       << " rows, 2 shuffle partitions), the second restored " << st2.restored_state_rows()
       << " state rows into 8 shuffle partitions");
}

TEST_CASE(
    "kafka sink across a master kill -9 and restart gives a read_committed consumer every oracle "
    "row once",
    "[fault]") {
  Data();
  Cluster cluster;
  ClusterOptions options;
  options.worker_timeout = "2s";
  cluster.Start(options);
  const std::string out = cluster.CreateTopic("fault-ksink", 2);
  const std::string checkpoint = cluster.SinkDir("checkpoint");
  Attached attached = StartAttached(
      cluster, JobArgs("kafka:" + out, checkpoint, "available-now", 4, kMaxOffsetsPerTrigger / 2));
  const std::string& job = attached.job;
  REQUIRE(WaitBatches(cluster, job, 20, seconds(60)));
  const auto killed_at = Clock::now();
  cluster.KillMaster();
  const int64_t committed_at_kill = static_cast<int64_t>(ReadCommitLog(checkpoint).size());
  cluster.RestartMaster();
  bool resumed = WaitFor(
      [&] {
        auto st = JobStatusOf(cluster, job);
        return st.batches_committed() > committed_at_kill || st.state() == proto::FINISHED;
      },
      seconds(60), milliseconds(10));
  const int64_t recovery_ms = MsSince(killed_at);
  INFO(cluster.StatusText(job) << cluster.Logs(40));
  REQUIRE(resumed);
  WARN("master killed after " << committed_at_kill
                              << " committed batches (kafka sink, available-now): the next batch "
                                 "committed "
                              << recovery_ms << " ms after the kill");

  RequireAttachedFinished(cluster, attached);
  auto read = RunCommand({"kcat", "-C", "-b", Bootstrap(), "-t", out, "-X",
                          "isolation.level=read_committed", "-e", "-q", "-f", "%s\\n"},
                         seconds(60));
  INFO((read.ok() ? read->stderr_text : read.status().ToString()));
  REQUIRE(read.ok());
  REQUIRE(read->exit_code == 0);
  std::vector<std::string> rows;
  std::istringstream lines(read->stdout_text);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) rows.push_back(line);
  std::sort(rows.begin(), rows.end());
  RequireOracleRows(rows, cluster);
  RequireCommitLogExact(checkpoint, kRecords, kPartitions);
}

TEST_CASE(
    "jobs that lost every executor can be killed while they wait, and the master shuts down "
    "cleanly with them",
    "[fault]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("fault-no-executor", 2);
  cluster.Produce(topic, {"--seed", "77", "--start-ms", std::to_string(kStartMs), "--count", "2000",
                          "--event-rate", "1000", "--users", "20"});
  ClusterOptions options;
  options.workers = 1;
  options.cores_per_worker = 2;
  options.worker_timeout = "2s";
  cluster.Start(options);
  auto submit = [&](const std::string& name) {
    return cluster.SubmitDetached({"--num-executors", "1", "--executor-cores", "1", "--topic",
                                   topic, "--starting-offsets", "earliest", "--sink",
                                   "file:" + cluster.SinkDir(name), "--trigger",
                                   "processing-time=200ms", "crash-detector"});
  };
  const std::string killed = submit("out-killed");
  const std::string kept = submit("out-kept");
  for (const auto& job : {killed, kept}) {
    REQUIRE(WaitFor([&] { return cluster.GetJob(job, 0).status().batches_committed() > 0; },
                    seconds(60), milliseconds(100)));
  }
  // The only worker goes: both jobs lose every executor and wait for the cluster.
  cluster.KillWorker(0);
  auto waiting = [&](const std::string& job) {
    const auto st = cluster.GetJob(job, 0).status();
    return st.state() == proto::RECOVERING && Contains(st.message(), "waiting for resources");
  };
  for (const auto& job : {killed, kept}) {
    const bool waits = WaitFor([&] { return waiting(job); }, seconds(30), milliseconds(100));
    // What the job and the cluster were doing when it did not wait (read after the wait).
    INFO("job " << job << ": " << cluster.GetJob(job, 0).status().ShortDebugString());
    INFO(cluster.Logs());
    REQUIRE(waits);
  }

  CommandResult kill = cluster.RunSubmit({"--master", cluster.master_url(), "--kill", killed});
  INFO("--kill: " << kill.stdout_text << kill.stderr_text << "\n" << cluster.Logs());
  REQUIRE(kill.exit_code == 0);
  CHECK(cluster.WaitForState(killed, proto::KILLED, seconds(10)));
  REQUIRE(cluster.MasterRunning());
  CHECK(waiting(kept));

  // Shutting down abandons the other job where it waits; the next master resumes it.
  const int exit_code = cluster.StopMaster();
  INFO(cluster.MasterLog());
  CHECK(exit_code == 0);
  cluster.RestartMaster();
  CHECK(cluster.GetJob(killed, 0).status().state() == proto::KILLED);
  CHECK(cluster.WaitForState(kept, proto::RECOVERING, seconds(10)));
}

}  // namespace
}  // namespace spate::testing
