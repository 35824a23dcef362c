// Shared set-up of the cluster's integration tests: unique topics filled by spate-loadgen, a
// spate-master and spate-workers as real processes against the real broker at Bootstrap(),
// spate-submit runs, the independent oracle (tests/oracle/crash_oracle.py) and readers of the
// file and Kafka sinks. Test-only code; one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/spate.pb.h"
#include "tests/support/process.h"

namespace spate::testing {

/// 2026-01-11 14:42:50 UTC: the exercise's first window, used as every data set's --start-ms.
inline constexpr int64_t kStartMs = 1768142570000;

/// What the oracle expects from a topic.
struct OracleResult {
  /// Expected file-sink lines, sorted as strings (LC_ALL=C order).
  std::vector<std::string> rows;
  /// The --summary object (records, malformed, rows, windows, rows_at_threshold, ...).
  nlohmann::json summary;
};

/// How many workers Cluster::Start runs and what each offers.
struct ClusterOptions {
  int workers = 2;
  int cores_per_worker = 2;
  std::string memory_per_worker = "2G";
  std::string worker_timeout = "5s";
  /// Extra flags of spate-master, of every spate-worker, and of the fixture's own spate-submit
  /// runs (Submit, SubmitDetached, StatusText), e.g. {"--auth-secret-file", F}. GetJob speaks
  /// to the master with the --auth-secret-file and --tls-* files that client_args name.
  std::vector<std::string> master_args = {};
  std::vector<std::string> worker_args = {};
  std::vector<std::string> client_args = {};
};

/// One executor line of `spate-submit --status`.
struct ExecutorLine {
  std::string executor_id;
  std::string worker_id;
  std::string address;
  int cores = 0;
  std::vector<int> kafka_partitions;
  /// Key-group ranges as [begin, end) pairs.
  std::vector<std::pair<int, int>> key_groups;
};

/// A test's cluster, data and scratch space. The destructor stops every process it started
/// (SIGTERM, then SIGKILL to the process group; no process outlives the test) and deletes the
/// topics it created. Calls Catch2's REQUIRE on set-up failures, so use it inside a TEST_CASE.
class Cluster {
 public:
  Cluster();
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  /// The test's temporary directory (sinks, state, process logs live under it).
  const TempDir& dir() const { return dir_; }
  /// A fresh path under dir() for a file sink (not created: the sink creates it).
  std::string SinkDir(std::string_view name) const;

  // ------------------------------------------------------------------ topics and data

  /// Creates "<prefix>-<pid>-<ms>-<n>" with `partitions` partitions through spate-topics;
  /// deleted by the destructor.
  std::string CreateTopic(std::string_view prefix, int partitions);
  /// Runs `spate-loadgen --bootstrap B --topic T --rate 0 --quiet` plus `args` (e.g. --seed,
  /// --start-ms, --count) and requires exit 0.
  void Produce(const std::string& topic, const std::vector<std::string>& args);
  /// Produces each line as one record (kcat -P, default partitioner) and requires exit 0.
  void ProduceLines(const std::string& topic, const std::vector<std::string>& lines);
  /// Every value of `topic` (kcat -C -e), in no particular order.
  std::vector<std::string> ReadTopic(const std::string& topic);
  /// Runs the oracle on `topic` with `extra` options (e.g. --key-field source_ip) and --summary.
  OracleResult Oracle(const std::string& topic, const std::vector<std::string>& extra = {});

  // ------------------------------------------------------------------ the cluster

  /// Starts a master (free ports, --state-dir and logs under dir()) and the workers, and waits
  /// (bounded) until every worker logged that it registered with the master.
  void Start(const ClusterOptions& options = {});
  /// spate://127.0.0.1:PORT of the running master.
  std::string master_url() const;
  /// The port of the master's web page and JSON API (on 127.0.0.1).
  int ui_port() const { return ui_port_; }
  /// Runs spate-submit with exactly `args` (no --master added), killed after `timeout`.
  CommandResult RunSubmit(const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout = std::chrono::seconds(90));
  /// Runs `spate-submit --master <master_url()> --bootstrap <Bootstrap()> args...`.
  CommandResult Submit(const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout = std::chrono::seconds(90));
  /// Submit with --detach; requires exit 0 and returns the job id.
  std::string SubmitDetached(const std::vector<std::string>& args);
  /// `spate-submit --status JOB` output; requires exit 0.
  std::string StatusText(const std::string& job_id);
  /// The master's GetJob reply over gRPC (the same API spate-submit uses), with up to
  /// `history` recent batch progress objects (per-executor shuffle bytes live there).
  proto::GetJobReply GetJob(const std::string& job_id, int history = 1000);
  /// Polls GetJob until the job's state is `state`; false after `timeout`.
  bool WaitForState(const std::string& job_id, proto::JobState state,
                    std::chrono::milliseconds timeout);
  /// The last lines of the master's and workers' logs, for failure messages.
  std::string Logs(size_t lines = 30) const;

  // ------------------------------------------------------------------ faults (fault_test)

  /// kill -9 of the master's process group, as a machine loss would; its state dir stays.
  void KillMaster();
  /// Starts the master again with the same port, --state-dir and options (after KillMaster or
  /// a master that exited) and waits (bounded) until it listens.
  void RestartMaster();
  /// Graceful stop of the master (SIGTERM, SIGKILL after `timeout`); its exit code as
  /// ChildProcess::Stop returns it. Its state dir stays, for RestartMaster.
  int StopMaster(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Whether the master process is still running.
  bool MasterRunning();
  /// The master's log (stdout and stderr) so far; after a restart, the new process's log.
  std::string MasterLog() const;
  /// Starts one more worker like Start()'s and waits (bounded) until it registered; returns its
  /// index (workers are numbered in start order, killed ones included).
  int AddWorker();
  /// kill -9 of worker `index`'s process group; with `delete_work_dir` its --work-dir is
  /// removed too (the machine and its disk are gone).
  void KillWorker(int index, bool delete_work_dir = true);
  /// The port worker `index` listens on (executor addresses are 127.0.0.1:PORT).
  int worker_port(int index) const;
  /// Whether worker `index` is still running.
  bool WorkerRunning(int index);

 private:
  void StartMaster();
  void StartWorker();

  TempDir dir_;
  std::vector<std::string> topics_;
  ClusterOptions options_;
  int master_port_ = -1;
  int ui_port_ = -1;
  std::string master_state_dir_;
  std::optional<ChildProcess> master_;
  std::vector<ChildProcess> workers_;
  std::vector<int> worker_ports_;
  std::vector<std::string> worker_dirs_;
};

// -------------------------------------------------------------------- helpers

/// Rows of a file-sink directory: every line of every file whose name does not begin with '.'
/// or '_', sorted as strings.
std::vector<std::string> ReadSinkDir(const std::string& dir);
/// The job id from an attached spate-submit's stderr ("submitted job-..."), or "".
std::string JobIdFromSubmitStderr(const std::string& stderr_text);
/// A human-readable difference of two sorted row lists (empty when equal), for messages.
std::string RowDiff(const std::vector<std::string>& expected,
                    const std::vector<std::string>& actual);
/// Lines that occur more than once in `rows`.
std::vector<std::string> Duplicates(const std::vector<std::string>& rows);
/// The number after `label` in `--status` text ("late rows:" -> 7); -1 when absent.
int64_t StatusNumber(const std::string& status_text, std::string_view label);
/// The executor lines of `--status` text.
std::vector<ExecutorLine> ParseExecutorLines(const std::string& status_text);
/// `text` contains `part`.
bool Contains(const std::string& text, std::string_view part);
/// A checkpoint dir's offset log (`offsets/<12-digit batch>`), by batch id. Files being written
/// (names with a '.') are skipped; calls Catch2's REQUIRE on a file that does not parse.
std::map<int64_t, proto::BatchPlan> ReadOffsetLog(const std::string& checkpoint_dir);
/// A checkpoint dir's commit log (`commits/<12-digit batch>`), by batch id; as ReadOffsetLog.
std::map<int64_t, proto::BatchCommit> ReadCommitLog(const std::string& checkpoint_dir);
/// The records in the commit log's ranges.
int64_t CommittedRecords(const std::string& checkpoint_dir);
/// The checkpoint proves exactly-once input: batches 0..n-1 each committed once; per partition
/// the committed ranges follow each other from offset 0 with neither gap nor overlap and add up
/// to `records` over `partitions` partitions; every planned batch committed with exactly its
/// planned ranges (a replay read the plan again, never a new range), nothing is planned past the
/// last commit, and the leader epochs never go back (no batch committed by a leader follows one
/// of a newer leader). Needs every log record: run the job with a large
/// spate.checkpoint.retained-batches.
void RequireCommitLogExact(const std::string& checkpoint_dir, int64_t records, int partitions);

}  // namespace spate::testing
