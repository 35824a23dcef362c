#include "tests/integration/cluster_fixture.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "common/record_file.h"
#include "common/rpc.h"
#include "proto/spate.grpc.pb.h"

namespace spate::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Bin(std::string_view name) { return BinDir() + "/" + std::string(name); }

std::string UniqueName(std::string_view prefix) {
  static std::atomic<int> counter{0};
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::string(prefix) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<milliseconds>(now).count()) + "-" +
         std::to_string(counter++);
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::string Describe(const Result<CommandResult>& r) {
  if (!r.ok()) return r.status().ToString();
  return "exit " + std::to_string(r->exit_code) + "\n--- stdout:\n" +
         r->stdout_text.substr(0, 4000) + "\n--- stderr:\n" + r->stderr_text.substr(0, 4000);
}

// Runs a short command and requires that it ran to completion with exit 0.
CommandResult MustRun(const std::vector<std::string>& argv, milliseconds timeout) {
  auto r = RunCommand(argv, timeout);
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  INFO(cmd << "\n" << Describe(r));
  REQUIRE(r.ok());
  REQUIRE(r->exit_code == 0);
  return *r;
}

std::vector<std::string> WithArgs(std::vector<std::string> argv,
                                  const std::vector<std::string>& extra) {
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

// What spate-submit would load from the client args' --auth-secret-file and --tls-* flags.
TransportSecurity ClientSecurity(const ClusterOptions& options) {
  SecurityFlags flags;
  const auto& a = options.client_args;
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    if (a[i] == "--auth-secret-file") flags.auth_secret_file = a[i + 1];
    if (a[i] == "--tls-cert") flags.tls_cert = a[i + 1];
    if (a[i] == "--tls-key") flags.tls_key = a[i + 1];
    if (a[i] == "--tls-ca") flags.tls_ca = a[i + 1];
  }
  auto security = LoadTransportSecurity(flags, /*server=*/false);
  INFO(security.status().ToString());
  REQUIRE(security.ok());
  return *security;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Cluster

Cluster::Cluster() : dir_("spate-it") {}

Cluster::~Cluster() {
  // Workers first (they would otherwise retry the master), then the master. Stop() ends with
  // SIGKILL to the whole process group if SIGTERM was not enough.
  for (auto& w : workers_) (void)w.Stop(seconds(5));
  if (master_) (void)master_->Stop(seconds(5));
  for (const auto& t : topics_) {
    (void)RunCommand({Bin("spate-topics"), "--bootstrap", Bootstrap(), "delete", t, "--if-exists"},
                     seconds(30));
  }
}

std::string Cluster::SinkDir(std::string_view name) const { return dir_.Join(name); }

std::string Cluster::CreateTopic(std::string_view prefix, int partitions) {
  std::string name = UniqueName(prefix);
  MustRun({Bin("spate-topics"), "--bootstrap", Bootstrap(), "create", name, "--partitions",
           std::to_string(partitions)},
          seconds(30));
  topics_.push_back(name);
  return name;
}

void Cluster::Produce(const std::string& topic, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {
      Bin("spate-loadgen"), "--bootstrap", Bootstrap(), "--topic", topic, "--rate", "0", "--quiet"};
  argv.insert(argv.end(), args.begin(), args.end());
  MustRun(argv, seconds(60));
}

void Cluster::ProduceLines(const std::string& topic, const std::vector<std::string>& lines) {
  std::string path = dir_.Join(UniqueName("lines") + ".txt");
  {
    std::ofstream out(path);
    for (const auto& l : lines) out << l << "\n";
  }
  MustRun({"kcat", "-P", "-b", Bootstrap(), "-t", topic, "-l", path}, seconds(30));
}

std::vector<std::string> Cluster::ReadTopic(const std::string& topic) {
  auto r = MustRun({"kcat", "-C", "-b", Bootstrap(), "-t", topic, "-e", "-q", "-f", "%s\\n"},
                   seconds(60));
  return SplitLines(r.stdout_text);
}

OracleResult Cluster::Oracle(const std::string& topic, const std::vector<std::string>& extra) {
  std::string out_path = dir_.Join(UniqueName("oracle") + ".jsonl");
  std::vector<std::string> argv = {"python3",     SourceDir() + "/tests/oracle/crash_oracle.py",
                                   "--bootstrap", Bootstrap(),
                                   "--topic",     topic,
                                   "--output",    out_path,
                                   "--summary"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto r = MustRun(argv, seconds(120));
  OracleResult result;
  std::ifstream in(out_path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) result.rows.push_back(line);
  }
  std::sort(result.rows.begin(), result.rows.end());
  result.summary = nlohmann::json::parse(r.stdout_text, nullptr, /*allow_exceptions=*/false);
  INFO("oracle summary: " << r.stdout_text);
  REQUIRE(result.summary.is_object());
  return result;
}

void Cluster::Start(const ClusterOptions& options) {
  REQUIRE(!master_);
  options_ = options;
  master_port_ = FreeTcpPort();
  ui_port_ = FreeTcpPort();
  REQUIRE(master_port_ > 0);
  REQUIRE(ui_port_ > 0);
  master_state_dir_ = dir_.MakeSubdir("master-state");
  StartMaster();
  for (int i = 0; i < options.workers; ++i) StartWorker();
  bool registered = WaitFor(
      [&] {
        for (auto& w : workers_) {
          if (!w.Running()) return true;  // reported below
          if (!Contains(w.Stderr() + w.Stdout(), "registered with master")) return false;
        }
        return master_->Running();
      },
      seconds(20), milliseconds(50));
  bool all_running = master_->Running();
  for (auto& w : workers_) all_running = all_running && w.Running();
  INFO(Logs());
  REQUIRE(all_running);
  REQUIRE(registered);
}

void Cluster::StartMaster() {
  StartOptions so;
  so.log_dir = dir_.MakeSubdir("logs");
  so.name = "master";
  auto m = ChildProcess::Start(
      WithArgs({Bin("spate-master"), "--host", "127.0.0.1", "--port", std::to_string(master_port_),
                "--ui-port", std::to_string(ui_port_), "--state-dir", master_state_dir_,
                "--worker-timeout", options_.worker_timeout},
               options_.master_args),
      so);
  INFO(m.status().ToString());
  REQUIRE(m.ok());
  master_.emplace(std::move(*m));
}

void Cluster::StartWorker() {
  const int index = static_cast<int>(workers_.size());
  int port = FreeTcpPort();
  REQUIRE(port > 0);
  StartOptions so;
  so.log_dir = dir_.MakeSubdir("logs");
  so.name = "worker-" + std::to_string(index);
  std::string work_dir = dir_.MakeSubdir("worker-" + std::to_string(index));
  auto w = ChildProcess::Start(
      WithArgs({Bin("spate-worker"), "--master", master_url(), "--host", "127.0.0.1", "--port",
                std::to_string(port), "--cores", std::to_string(options_.cores_per_worker),
                "--memory", options_.memory_per_worker, "--work-dir", work_dir},
               options_.worker_args),
      so);
  INFO(w.status().ToString());
  REQUIRE(w.ok());
  workers_.push_back(std::move(*w));
  worker_ports_.push_back(port);
  worker_dirs_.push_back(work_dir);
}

void Cluster::KillMaster() {
  REQUIRE(master_);
  Status s = master_->Kill9();
  INFO(s.ToString());
  REQUIRE(s.ok());
}

int Cluster::StopMaster(milliseconds timeout) {
  REQUIRE(master_);
  auto code = master_->Stop(timeout);
  INFO(code.status().ToString());
  REQUIRE(code.ok());
  return *code;
}

bool Cluster::MasterRunning() { return master_ && master_->Running(); }

void Cluster::RestartMaster() {
  REQUIRE(master_);
  REQUIRE(!master_->Running());
  // Keep the killed master's log files (the new process gets "master-2", ...).
  master_.reset();
  StartMaster();
  bool listening =
      WaitFor([&] { return !master_->Running() || Contains(MasterLog(), "master listening on"); },
              seconds(20), milliseconds(20));
  INFO(Logs());
  REQUIRE(master_->Running());
  REQUIRE(listening);
}

std::string Cluster::MasterLog() const {
  return master_ ? master_->Stdout() + master_->Stderr() : "";
}

int Cluster::AddWorker() {
  REQUIRE(master_);
  StartWorker();
  ChildProcess& w = workers_.back();
  bool registered = WaitFor(
      [&] { return !w.Running() || Contains(w.Stderr() + w.Stdout(), "registered with master"); },
      seconds(20), milliseconds(20));
  INFO(Logs());
  REQUIRE(w.Running());
  REQUIRE(registered);
  return static_cast<int>(workers_.size()) - 1;
}

void Cluster::KillWorker(int index, bool delete_work_dir) {
  REQUIRE(index >= 0);
  REQUIRE(index < static_cast<int>(workers_.size()));
  Status s = workers_[static_cast<size_t>(index)].Kill9();
  INFO(s.ToString());
  REQUIRE(s.ok());
  if (delete_work_dir) {
    std::error_code ec;
    std::filesystem::remove_all(worker_dirs_[static_cast<size_t>(index)], ec);
    INFO(ec.message());
    REQUIRE(!ec);
  }
}

int Cluster::worker_port(int index) const { return worker_ports_.at(static_cast<size_t>(index)); }

bool Cluster::WorkerRunning(int index) { return workers_.at(static_cast<size_t>(index)).Running(); }

std::string Cluster::master_url() const {
  return "spate://127.0.0.1:" + std::to_string(master_port_);
}

CommandResult Cluster::RunSubmit(const std::vector<std::string>& args, milliseconds timeout) {
  std::vector<std::string> argv = {Bin("spate-submit")};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunCommand(argv, timeout);
  INFO(Describe(r) << "\n" << Logs());
  REQUIRE(r.ok());  // a DeadlineExceeded here means spate-submit hung
  return *r;
}

CommandResult Cluster::Submit(const std::vector<std::string>& args, milliseconds timeout) {
  std::vector<std::string> argv =
      WithArgs({"--master", master_url(), "--bootstrap", Bootstrap()}, options_.client_args);
  argv.insert(argv.end(), args.begin(), args.end());
  return RunSubmit(argv, timeout);
}

std::string Cluster::SubmitDetached(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"--detach"};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = Submit(argv, seconds(30));
  INFO("exit " << r.exit_code << "\n" << r.stdout_text << r.stderr_text);
  REQUIRE(r.exit_code == 0);
  auto lines = SplitLines(r.stdout_text);
  REQUIRE(lines.size() == 1);
  REQUIRE(lines[0].rfind("job-", 0) == 0);
  return lines[0];
}

std::string Cluster::StatusText(const std::string& job_id) {
  CommandResult r = RunSubmit(
      WithArgs({"--master", master_url(), "--status", job_id}, options_.client_args), seconds(30));
  INFO("exit " << r.exit_code << "\n" << r.stdout_text << r.stderr_text);
  REQUIRE(r.exit_code == 0);
  return r.stdout_text;
}

proto::GetJobReply Cluster::GetJob(const std::string& job_id, int history) {
  auto stub = proto::Master::NewStub(
      MakeChannel("127.0.0.1:" + std::to_string(master_port_), ClientSecurity(options_)));
  proto::GetJobRequest req;
  req.set_job_id(job_id);
  req.set_results_after_batch(INT64_MAX);
  req.set_progress_history(history);
  proto::GetJobReply reply;
  auto ctx = MakeContext(seconds(10));
  Status s = FromGrpcStatus(stub->GetJob(ctx.get(), req, &reply), "GetJob " + job_id);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return reply;
}

bool Cluster::WaitForState(const std::string& job_id, proto::JobState state, milliseconds timeout) {
  return WaitFor([&] { return GetJob(job_id, 0).status().state() == state; }, timeout,
                 milliseconds(100));
}

std::string Cluster::Logs(size_t lines) const {
  std::string out;
  if (master_) out += master_->LogTail(lines);
  for (const auto& w : workers_) out += w.LogTail(lines);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helpers

std::vector<std::string> ReadSinkDir(const std::string& dir) {
  std::vector<std::string> rows;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || name[0] == '_') continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) rows.push_back(line);
    }
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::string JobIdFromSubmitStderr(const std::string& stderr_text) {
  std::smatch m;
  static const std::regex kSubmitted("submitted (job-[0-9]+-[0-9]+)");
  if (std::regex_search(stderr_text, m, kSubmitted)) return m[1].str();
  return "";
}

std::string RowDiff(const std::vector<std::string>& expected,
                    const std::vector<std::string>& actual) {
  if (expected == actual) return "";
  std::vector<std::string> missing, unexpected;
  std::set_difference(expected.begin(), expected.end(), actual.begin(), actual.end(),
                      std::back_inserter(missing));
  std::set_difference(actual.begin(), actual.end(), expected.begin(), expected.end(),
                      std::back_inserter(unexpected));
  std::string out = "expected " + std::to_string(expected.size()) + " rows, got " +
                    std::to_string(actual.size()) + "; " + std::to_string(missing.size()) +
                    " missing, " + std::to_string(unexpected.size()) + " unexpected\n";
  for (size_t i = 0; i < missing.size() && i < 10; ++i) out += "  missing:    " + missing[i] + "\n";
  for (size_t i = 0; i < unexpected.size() && i < 10; ++i) {
    out += "  unexpected: " + unexpected[i] + "\n";
  }
  return out;
}

std::vector<std::string> Duplicates(const std::vector<std::string>& rows) {
  std::map<std::string, int> seen;
  for (const auto& r : rows) ++seen[r];
  std::vector<std::string> out;
  for (const auto& [r, n] : seen)
    if (n > 1) out.push_back(r);
  return out;
}

int64_t StatusNumber(const std::string& status_text, std::string_view label) {
  for (const auto& line : SplitLines(status_text)) {
    if (line.rfind(label, 0) != 0) continue;
    std::string rest = line.substr(label.size());
    size_t i = rest.find_first_not_of(' ');
    if (i == std::string::npos || !std::isdigit(static_cast<unsigned char>(rest[i]))) return -1;
    return std::stoll(rest.substr(i));
  }
  return -1;
}

std::vector<ExecutorLine> ParseExecutorLines(const std::string& status_text) {
  static const std::regex kLine(
      R"(^executor:\s+(\S+) on (\S+) \(([^)]*)\), (\d+) cores, kafka partitions \[([^\]]*)\], )"
      R"(key groups \[([^\]]*)\]$)");
  std::vector<ExecutorLine> out;
  for (const auto& line : SplitLines(status_text)) {
    std::smatch m;
    if (!std::regex_match(line, m, kLine)) continue;
    ExecutorLine e;
    e.executor_id = m[1].str();
    e.worker_id = m[2].str();
    e.address = m[3].str();
    e.cores = std::stoi(m[4].str());
    std::string parts = m[5].str();
    std::string ranges = m[6].str();
    std::istringstream ps(parts);
    for (std::string p; std::getline(ps, p, ',');) {
      if (!p.empty()) e.kafka_partitions.push_back(std::stoi(p));
    }
    std::istringstream rs(ranges);
    for (std::string r; std::getline(rs, r, ',');) {
      size_t dash = r.find('-');
      if (dash == std::string::npos) continue;
      e.key_groups.emplace_back(std::stoi(r.substr(0, dash)), std::stoi(r.substr(dash + 1)) + 1);
    }
    out.push_back(std::move(e));
  }
  return out;
}

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

namespace {

template <typename M>
std::map<int64_t, M> ReadBatchLog(const std::string& dir) {
  std::map<int64_t, M> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find('.') != std::string::npos) continue;  // being written
    auto file = ReadRecordFile(entry.path().string());
    INFO("reading " << entry.path().string() << ": " << file.status().ToString());
    REQUIRE(file.ok());
    REQUIRE_FALSE(file->legacy);
    M m;
    REQUIRE(m.ParseFromString(file->payload));
    out[std::stoll(name)] = std::move(m);
  }
  return out;
}

}  // namespace

std::map<int64_t, proto::BatchPlan> ReadOffsetLog(const std::string& checkpoint_dir) {
  return ReadBatchLog<proto::BatchPlan>(checkpoint_dir + "/offsets");
}

std::map<int64_t, proto::BatchCommit> ReadCommitLog(const std::string& checkpoint_dir) {
  return ReadBatchLog<proto::BatchCommit>(checkpoint_dir + "/commits");
}

int64_t CommittedRecords(const std::string& checkpoint_dir) {
  int64_t n = 0;
  for (const auto& [id, c] : ReadCommitLog(checkpoint_dir))
    for (const auto& r : c.ranges()) n += r.end_offset() - r.start_offset();
  return n;
}

void RequireCommitLogExact(const std::string& checkpoint_dir, int64_t records, int partitions) {
  const auto commits = ReadCommitLog(checkpoint_dir);
  const auto plans = ReadOffsetLog(checkpoint_dir);
  REQUIRE(!commits.empty());
  REQUIRE(commits.begin()->first == 0);
  REQUIRE(commits.rbegin()->first == static_cast<int64_t>(commits.size()) - 1);
  std::map<int32_t, int64_t> next;
  int64_t total = 0;
  int64_t epoch = 0;
  for (const auto& [id, c] : commits) {
    INFO("batch " << id << ": " << c.ShortDebugString());
    REQUIRE(c.batch_id() == id);
    REQUIRE(c.epoch() >= epoch);
    epoch = c.epoch();
    for (const auto& r : c.ranges()) {
      REQUIRE(r.start_offset() == next[r.partition()]);
      REQUIRE(r.end_offset() >= r.start_offset());
      next[r.partition()] = r.end_offset();
      total += r.end_offset() - r.start_offset();
    }
    auto plan = plans.find(id);
    REQUIRE(plan != plans.end());
    REQUIRE(plan->second.ranges_size() == c.ranges_size());
    for (int i = 0; i < c.ranges_size(); ++i) {
      REQUIRE(plan->second.ranges(i).SerializeAsString() == c.ranges(i).SerializeAsString());
    }
  }
  CHECK(total == records);
  CHECK(next.size() == static_cast<size_t>(partitions));
  CHECK(plans.size() == commits.size());
}

}  // namespace spate::testing
