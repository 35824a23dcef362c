#include "master/job_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>

#include "common/config.h"
#include "common/kafka_util.h"
#include "common/rpc.h"
#include "master/batch_log.h"
#include "master/ha.h"
#include "master/job_policy.h"
#include "master/planner.h"

namespace spate::master {
namespace {

constexpr auto kControlTimeout = std::chrono::seconds(10);
constexpr size_t kKeptResultBatches = 1000;
constexpr size_t kKeptProgress = 1000;
constexpr int kKeptSamples = 20;
namespace fs = std::filesystem;

// Runs one RPC per task in parallel; cancels every call still in flight once `cancel` says so
// (a worker was lost, the job was killed), so a dead peer costs no more than the detection.
template <typename Call>
void RunCalls(std::vector<Call>& calls, const std::function<bool()>& cancel) {
  std::vector<std::future<void>> futures;
  for (auto& c : calls) futures.push_back(std::async(std::launch::async, [&c] { c.Invoke(); }));
  bool cancelled = false;
  for (auto& f : futures) {
    while (f.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
      if (!cancelled && cancel()) {
        cancelled = true;
        for (auto& c : calls) c.ctx->TryCancel();
      }
    }
  }
}

// One task RPC: where it goes, what it asks, what came back.
template <typename Request, typename Reply,
          grpc::Status (proto::Worker::Stub::*Method)(grpc::ClientContext*, const Request&, Reply*)>
struct TaskCall {
  std::string executor_id;
  std::string address;
  std::string what;  // "RunSourceTask(partition 3)", for messages
  proto::Worker::Stub* stub = nullptr;
  Request request;
  Reply reply;
  spate::Status status;
  std::unique_ptr<grpc::ClientContext> ctx;
  void Invoke() {
    status = FromGrpcStatus((stub->*Method)(ctx.get(), request, &reply), what + " on " + address);
  }
};
using SourceCall =
    TaskCall<proto::SourceTaskRequest, proto::SourceTaskReply, &proto::Worker::Stub::RunSourceTask>;
using StateCall =
    TaskCall<proto::StateTaskRequest, proto::StateTaskReply, &proto::Worker::Stub::RunStateTask>;

// spate.event-time.max-future's default: an hour, as Kafka's log.message.timestamp.after.max.ms.
constexpr int64_t kDefaultMaxFutureMs = 3'600'000;

int64_t ConfDurationMs(const proto::JobSpec& spec, const std::string& key, int64_t fallback) {
  auto it = spec.conf().find(key);
  if (it == spec.conf().end()) return fallback;
  auto v = ParseDurationMs(it->second);
  return v.ok() ? *v : fallback;
}

int64_t ConfPositive(const proto::JobSpec& spec, const std::string& key, int64_t fallback) {
  auto it = spec.conf().find(key);
  if (it == spec.conf().end()) return fallback;
  const long long v = std::atoll(it->second.c_str());
  return v > 0 ? v : fallback;
}

// How many of the newest batches keep their offset- and commit-log records (Spark's
// spark.sql.streaming.minBatchesToRetain); never fewer than two snapshot intervals, so that a
// restore from the previous snapshot can still fence its state files by attempt.
int64_t RetainedBatches(const proto::JobSpec& spec) {
  const int64_t interval = ConfPositive(spec, "spate.checkpoint.snapshot-interval", 10);
  return std::max(ConfPositive(spec, "spate.checkpoint.retained-batches", 100), 2 * interval + 2);
}

int64_t Since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

}  // namespace

Result<int64_t> ParseTriggerIntervalMs(const std::string& trigger) {
  if (trigger == "available-now") return int64_t{0};
  constexpr std::string_view kPrefix = "processing-time=";
  if (trigger.rfind(kPrefix, 0) == 0) {
    SPATE_ASSIGN_OR_RETURN(int64_t ms, ParseDurationMs(trigger.substr(kPrefix.size())));
    if (ms <= 0) return Status::InvalidArgument("processing-time trigger must be positive");
    return ms;
  }
  return Status::InvalidArgument("invalid trigger '" + trigger +
                                 "' (use available-now or processing-time=<duration>, e.g. "
                                 "processing-time=1s)");
}

proto::Worker::Stub* WorkerClients::For(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& stub = stubs_[address];
  if (!stub) stub = proto::Worker::NewStub(MakeChannel(address));
  return stub.get();
}

JobRunner::JobRunner(std::string job_id, proto::JobSpec spec, jobs::CompiledPlan plan,
                     MasterContext ctx, bool resumed)
    : job_id_(std::move(job_id)),
      spec_(std::move(spec)),
      checkpoint_dir_(spec_.checkpoint_dir()),
      plan_(std::move(plan)),
      ctx_(ctx),
      resumed_(resumed) {
  status_.set_job_id(job_id_);
  *status_.mutable_spec() = spec_;
  status_.set_state(proto::WAITING);
  status_.set_message("submitted");
  status_.set_submitted_at_ms(NowMs());
  status_.set_key_column(plan_.key_column);
  status_.set_count_column(plan_.count_column);
  status_.set_window_ms(plan_.window_ms);
  status_.set_checkpoint_dir(spec_.checkpoint_dir());
  status_.set_epoch(epoch());
  taken_over_ = resumed && ctx_.election && ctx_.election->previous_alive_ms() > 0;
}

JobRunner::~JobRunner() {
  Abandon();
  if (thread_.joinable()) thread_.join();
}

void JobRunner::Start() {
  thread_ = std::thread([this] { Run(); });
}

void JobRunner::Kill() {
  kill_ = true;
  wake_cv_.notify_all();
}

void JobRunner::Abandon() {
  abandon_ = true;
  Kill();
}

void JobRunner::Stop(bool drain) {
  drain_ = drain;
  stop_ = true;
  wake_cv_.notify_all();
}

void JobRunner::OnWorkerLost(const std::string& worker_id) {
  std::lock_guard<std::mutex> lock(mu_);
  lost_workers_.insert(worker_id);
  wake_cv_.notify_all();
}

proto::JobStatus JobRunner::Status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void JobRunner::Backoff(int attempt) {
  Interruptible(std::chrono::milliseconds(std::min(200 * (attempt + 1), 2000)));
}

bool JobRunner::Done() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto s = status_.state();
  return s == proto::FINISHED || s == proto::FAILED || s == proto::KILLED;
}

void JobRunner::Fill(const proto::GetJobRequest& request, proto::GetJobReply* reply) const {
  std::lock_guard<std::mutex> lock(mu_);
  *reply->mutable_status() = status_;
  for (const auto& b : results_) {
    if (b.batch_id() > request.results_after_batch()) *reply->add_results() = b;
  }
  int n = std::min<int>(request.progress_history(), static_cast<int>(history_.size()));
  for (int i = static_cast<int>(history_.size()) - n; i < static_cast<int>(history_.size()); ++i) {
    *reply->add_history() = history_[i];
  }
}

void JobRunner::SetState(proto::JobState state, const std::string& message) {
  proto::JobStatus copy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (status_.state() == state && status_.message() == message) return;
    status_.set_state(state);
    status_.set_message(message);
    if (state == proto::FINISHED || state == proto::FAILED || state == proto::KILLED) {
      status_.set_finished_at_ms(NowMs());
    }
    copy = status_;
  }
  spdlog::info("job {}: {} {}", job_id_, proto::JobState_Name(state), message);
  if (!ctx_.meta) return;
  if (spate::Status s = ctx_.meta->PutJob(copy); !s.ok()) {
    spdlog::error("job {}: cannot save its state: {}", job_id_, s.ToString());
  }
}

void JobRunner::End(proto::JobState state, const std::string& message) {
  // Shown only once saved: a master restarted after a failed write resumes the job, so showing
  // it ended before would be a promise the master cannot keep. Saving is retried while the
  // master runs (a store can recover, e.g. from a full disk).
  for (int attempt = 0;; ++attempt) {
    proto::JobStatus copy = Status();
    copy.set_state(state);
    copy.set_message(message);
    copy.set_finished_at_ms(NowMs());
    spate::Status s = ctx_.meta ? ctx_.meta->PutJob(copy) : spate::Status::OK();
    if (s.ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        status_ = std::move(copy);
      }
      spdlog::info("job {}: {} {}", job_id_, proto::JobState_Name(state), message);
      return;
    }
    spdlog::error("job {}: ends as {} ({}), but that could not be saved: {}", job_id_,
                  proto::JobState_Name(state), message, s.ToString());
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.set_message("ends as " + proto::JobState_Name(state) + " (" + message +
                          "), but that could not be saved (" + s.ToString() +
                          "): a master restart would run it again; retrying");
    }
    std::unique_lock<std::mutex> lock(wake_mu_);
    if (wake_cv_.wait_for(lock,
                          std::chrono::milliseconds(std::min(500 << std::min(attempt, 4), 5000)),
                          [this] { return abandon_.load(); })) {
      return;  // the master shuts down; the next one resumes the job
    }
  }
}

bool JobRunner::Interruptible(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(wake_mu_);
  wake_cv_.wait_for(lock, wait, [this] { return kill_.load() || stop_.load(); });
  return !kill_;
}

void JobRunner::Run() {
  spate::Status s = LoadCheckpoint();
  if (s.ok() && finished_before_) {
    End(proto::FINISHED, "already finished: its checkpoint holds the final batch");
    return;
  }
  if (s.ok()) s = Admit();
  if (s.ok()) s = RunBatches();
  if (abandon_) return;  // the master is shutting down: the job resumes with the next one
  ReleaseExecutors();
  if (kill_) {
    End(proto::KILLED, "killed");
  } else if (!s.ok()) {
    End(proto::FAILED, s.ToString());
  } else {
    End(proto::FINISHED, "finished after " + std::to_string(next_batch_) + " batch(es)");
  }
}

spate::Status JobRunner::LoadCheckpoint() {
  const std::string& dir = spec_.checkpoint_dir();
  if (dir.empty()) return spate::Status::OK();
  // The key groups decide where every key's state lives: a job resumed from a checkpoint keeps
  // the ones it started with, whatever the new submission asks.
  proto::JobSpec meta;
  spate::Status read = ReadProtoRecord(dir + "/metadata", &meta);
  if (read.ok()) {
    if (meta.topic() != spec_.topic()) {
      return spate::Status::InvalidArgument("checkpoint dir " + dir +
                                            " belongs to a job on topic " + meta.topic() +
                                            ", not " + spec_.topic());
    }
    if (meta.key_groups() != spec_.key_groups()) {
      spdlog::info("job {}: keeps the checkpoint's {} key groups", job_id_, meta.key_groups());
      spec_.set_key_groups(meta.key_groups());
      std::lock_guard<std::mutex> lock(mu_);
      status_.mutable_spec()->set_key_groups(meta.key_groups());
    }
  } else if (read.code() == StatusCode::kNotFound) {
    // Its secrets stay with the master: the checkpoint may live on shared storage.
    SPATE_RETURN_IF_ERROR(WriteProtoRecord(dir + "/metadata", RedactSpecSecrets(spec_)));
  } else {
    return read;
  }
  SPATE_ASSIGN_OR_RETURN(RecoveredBatchLog log, RecoverBatchLog(dir));
  for (const auto& why : log.skipped) spdlog::warn("job {}: checkpoint: {}", job_id_, why);
  // With standby masters ZooKeeper holds the job's newest plan and commit, each written there
  // (fenced by the epoch) before its copy in the checkpoint dir: they decide where the job
  // goes on from, and the copies are written again (a leader may have died between the two).
  SPATE_ASSIGN_OR_RETURN(auto point, ctx_.meta->LoadResumePoint(job_id_));
  if (point) {
    if (point->commit && (!log.commit || point->commit->batch_id() >= log.commit->batch_id())) {
      log.commit = point->commit;
      SPATE_RETURN_IF_ERROR(
          WriteProtoRecord(BatchLogPath(dir, "commits", log.commit->batch_id()), *log.commit));
    }
    log.replay.clear();
    const int64_t after = log.commit ? log.commit->batch_id() : -1;
    if (point->plan && point->plan->batch_id() > after) {
      log.replay.push_back(*point->plan);
      SPATE_RETURN_IF_ERROR(
          WriteProtoRecord(BatchLogPath(dir, "offsets", point->plan->batch_id()), *point->plan));
    }
  }
  int64_t last = -1;
  if (log.commit) {
    const proto::BatchCommit* commit = &*log.commit;
    last = commit->batch_id();
    for (const auto& [p, o] : commit->next_offsets()) next_start_[p] = o;
    for (const auto& t : commit->event_times()) event_times_[t.partition()] = t;
    watermark_ = commit->next_watermark_ms();
    NoteWatermark(watermark_, NowMs());
    committed_watermark_ = commit->watermark_ms();
    next_batch_ = commit->batch_id() + 1;
    finished_before_ = commit->watermark_ms() == kEndOfTime;
    resumed_ = true;
    std::lock_guard<std::mutex> lock(mu_);
    status_.set_batches_committed(next_batch_);
  }
  pending_.assign(log.replay.begin(), log.replay.end());
  // State files of a batch that never committed may be split by other key-group ranges than
  // this run uses: drop them, the batch is replayed.
  std::error_code rm;
  for (const auto& entry : fs::directory_iterator(dir + "/state", rm)) {
    long long batch = -1;
    const std::string name = entry.path().filename().string();
    if ((std::sscanf(name.c_str(), "delta-%lld-", &batch) == 1 ||
         std::sscanf(name.c_str(), "snap-%lld-", &batch) == 1) &&
        batch > last) {
      fs::remove(entry.path(), rm);
    }
  }
  if (resumed_) {
    spdlog::info("job {}: resuming from {} after batch {}{}", job_id_, dir, last,
                 pending_.empty()
                     ? ""
                     : " (replaying " + std::to_string(pending_.size()) +
                           " planned batch(es) from " + std::to_string(next_batch_) + ")");
  }
  return spate::Status::OK();
}

spate::Status JobRunner::Admit() {
  // Topic layout first: it decides how many stage-1 tasks there are.
  SPATE_ASSIGN_OR_RETURN(auto kafka, MakeKafkaClient(RD_KAFKA_PRODUCER, spec_.bootstrap(),
                                                     worker::SourceKafkaProperties(spec_)));
  SPATE_ASSIGN_OR_RETURN(kafka_partitions_, PartitionCount(kafka.get(), spec_.topic(), 10'000));
  // The executors write the sink; a Kafka sink's topic is checked here, to fail at once.
  SPATE_RETURN_IF_ERROR(worker::ValidateSinkSpec(spec_.sink()));
  if (spec_.sink().rfind("kafka:", 0) == 0) {
    const worker::SinkOptions sink = worker::SinkOptionsOf(spec_, job_id_);
    SPATE_ASSIGN_OR_RETURN(auto client,
                           MakeKafkaClient(RD_KAFKA_PRODUCER, sink.bootstrap, sink.properties));
    SPATE_RETURN_IF_ERROR(
        PartitionCount(client.get(), spec_.sink().substr(6), 10'000).status().WithContext("sink"));
  }
  if (resumed_) SetState(proto::RECOVERING, "resuming: waiting for executors");
  while (!kill_) {
    SPATE_ASSIGN_OR_RETURN(bool placed, AddExecutors(spec_.num_executors()));
    if (placed) {
      Reassign();
      return spate::Status::OK();
    }
    Interruptible(std::chrono::milliseconds(500));
    if (stop_) return spate::Status::Aborted("stopped while waiting for resources");
  }
  return spate::Status::OK();
}

spate::Result<bool> JobRunner::AddExecutors(int count, const std::string& only_worker) {
  auto workers = ctx_.registry->Snapshot();
  if (!only_worker.empty()) {
    std::erase_if(workers, [&](const WorkerRecord& w) { return w.id != only_worker; });
  }
  auto placement =
      PlaceExecutors(workers, count, spec_.executor_cores(), spec_.executor_memory_bytes());
  if (!placement.ok()) {
    if (executors_.empty()) {
      SetState(resumed_ || next_batch_ > 0 ? proto::RECOVERING : proto::WAITING,
               "waiting for resources: " + placement.status().message());
    }
    return false;
  }
  std::vector<proto::ExecutorAssignment> added;
  spate::Status s;
  for (const std::string& wid : *placement) {
    s = ctx_.registry->Reserve(wid, spec_.executor_cores(), spec_.executor_memory_bytes());
    if (!s.ok()) break;
    proto::ExecutorAssignment a;
    // Under standby masters the ids carry the epoch: a deposed leader's executors, still
    // winding down on a worker, never share an id (or a state directory) with the new ones.
    a.set_executor_id((epoch() > 0 ? "e" + std::to_string(epoch()) + "-" : std::string()) +
                      "exec-" + std::to_string(next_executor_++));
    a.set_worker_id(wid);
    for (const auto& w : ctx_.registry->Snapshot())
      if (w.id == wid) a.set_address(w.address());
    a.set_cores(spec_.executor_cores());
    a.set_memory_bytes(spec_.executor_memory_bytes());
    added.push_back(a);
    proto::LaunchExecutorRequest req;
    req.set_job_id(job_id_);
    *req.mutable_spec() = spec_;
    *req.mutable_executor() = a;
    req.set_topic_partitions(kafka_partitions_);
    req.set_epoch(epoch());
    proto::LaunchExecutorReply reply;
    auto ctx = MakeContext(kControlTimeout);
    s = FromGrpcStatus(ctx_.clients->For(a.address())->LaunchExecutor(ctx.get(), req, &reply),
                       "LaunchExecutor on " + wid);
    if (!s.ok()) break;
  }
  if (!s.ok()) {
    spdlog::warn("job {}: launching executors failed: {}", job_id_, s.ToString());
    for (const auto& a : added) ctx_.registry->Release(a.worker_id(), a.cores(), a.memory_bytes());
    if (s.code() == StatusCode::kInvalidArgument) return s;
    return false;
  }
  for (auto& a : added) {
    spdlog::info("job {}: executor {} on {} ({})", job_id_, a.executor_id(), a.worker_id(),
                 a.address());
    executors_.push_back(std::move(a));
  }
  return true;
}

void JobRunner::Reassign() {
  AssignWork(&executors_, kafka_partitions_, spec_.shuffle_partitions(), spec_.key_groups());
  std::lock_guard<std::mutex> lock(mu_);
  status_.clear_executors();
  for (const auto& a : executors_) *status_.add_executors() = a;
}

bool JobRunner::AnyExecutorLost() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : executors_)
    if (lost_workers_.count(e.worker_id())) return true;
  return false;
}

std::vector<std::string> JobRunner::DropLostExecutors() {
  std::set<std::string> lost;
  {
    std::lock_guard<std::mutex> lock(mu_);
    lost.swap(lost_workers_);
  }
  std::vector<std::string> dropped;
  std::vector<proto::ExecutorAssignment> kept;
  for (auto& e : executors_) {
    if (lost.count(e.worker_id()) || !ctx_.registry->IsAlive(e.worker_id())) {
      dropped.push_back(e.worker_id());
    } else {
      kept.push_back(std::move(e));
    }
  }
  executors_ = std::move(kept);
  return dropped;
}

spate::Status JobRunner::EnsureExecutors(int64_t batch_id) {
  auto lost = DropLostExecutors();
  bool changed = !lost.empty();
  if (changed) {
    if (!recovering_since_) recovering_since_ = std::chrono::steady_clock::now();
    std::string who;
    for (const auto& w : lost) who += (who.empty() ? "" : ", ") + w;
    SetState(proto::RECOVERING, "worker " + who +
                                    " lost: moving its partitions and key groups "
                                    "to other executors and replaying batch " +
                                    std::to_string(batch_id));
  }
  const int missing = spec_.num_executors() - static_cast<int>(executors_.size());
  if (missing > 0) {
    SPATE_ASSIGN_OR_RETURN(bool added, AddExecutors(missing));
    changed = changed || added;
    // With no executor at all the job cannot run: wait for the cluster.
    while (!added && executors_.empty() && !kill_) {
      Interruptible(std::chrono::milliseconds(250));
      SPATE_ASSIGN_OR_RETURN(added, AddExecutors(1));
      changed = changed || added;
    }
    if (executors_.empty()) return spate::Status::OK();  // killed or abandoned while waiting
  }
  if (!changed) changed = SpreadOut();
  if (changed) Reassign();
  return spate::Status::OK();
}

bool JobRunner::SpreadOut() {
  if (spec_.checkpoint_dir().empty() ||
      static_cast<int>(executors_.size()) < spec_.num_executors()) {
    return false;
  }
  auto it = spec_.conf().find("spate.scheduler.spread-out");
  if (it != spec_.conf().end() && it->second == "false") return false;
  std::map<std::string, int> held;  // worker id -> this job's executors on it
  for (const auto& e : executors_) ++held[e.worker_id()];
  const proto::ExecutorAssignment* crowded = nullptr;
  for (const auto& e : executors_)
    if (held[e.worker_id()] >= 2) crowded = &e;  // the last one on a crowded worker
  if (!crowded) return false;
  std::string idle;
  for (const auto& w : ctx_.registry->Snapshot()) {
    if (w.alive && !held.count(w.id) && w.free_cores() >= spec_.executor_cores() &&
        w.free_memory() >= spec_.executor_memory_bytes()) {
      idle = w.id;
      break;
    }
  }
  if (idle.empty()) return false;
  // Launch first: if it fails, nothing moved.
  const proto::ExecutorAssignment moved = *crowded;
  auto added = AddExecutors(1, idle);
  if (!added.ok() || !*added) return false;
  StopExecutor(moved);
  std::erase_if(executors_, [&](const proto::ExecutorAssignment& e) {
    return e.executor_id() == moved.executor_id();
  });
  spdlog::info("job {}: spreading out: executor {} on {} replaced by {} on {}", job_id_,
               moved.executor_id(), moved.worker_id(), executors_.back().executor_id(), idle);
  SetState(proto::RUNNING, "spread out: executor " + moved.executor_id() + " moved from " +
                               moved.worker_id() + " to " + idle +
                               " (its key groups restored from the checkpoint)");
  return true;
}

int32_t JobRunner::WireAttempt(int attempt) const {
  // Attempts are numbered anew by every leader: the epoch in their number keeps a deposed
  // leader's state files and shuffle blocks apart from the new leader's (the shuffle inbox
  // keeps the highest attempt, restore only the committed one's files).
  constexpr int kAttemptsPerEpoch = 10'000;
  return static_cast<int32_t>(epoch() * kAttemptsPerEpoch +
                              std::min(attempt, kAttemptsPerEpoch - 1));
}

void JobRunner::NoteTakeover() {
  taken_over_ = false;
  const int64_t now = NowMs();
  const int64_t from = ctx_.election->previous_alive_ms();
  ctx_.election->NoteCommit(now);
  std::lock_guard<std::mutex> lock(mu_);
  status_.set_takeover_ms(now - from);
}

spate::Status JobRunner::WritePlan(const proto::BatchPlan& plan) {
  if (epoch() > 0) {
    // Standby masters: ZooKeeper first, fenced by the epoch (a deposed leader stops here), then
    // the checkpoint dir's copy, which a new leader rewrites from ZooKeeper when it resumes.
    SPATE_RETURN_IF_ERROR(ctx_.meta->WritePlan(job_id_, plan));
    return WriteProtoRecord(BatchLogPath(spec_.checkpoint_dir(), "offsets", plan.batch_id()), plan);
  }
  if (!spec_.checkpoint_dir().empty()) {
    SPATE_RETURN_IF_ERROR(
        WriteProtoRecord(BatchLogPath(spec_.checkpoint_dir(), "offsets", plan.batch_id()), plan));
  }
  return ctx_.meta->WritePlan(job_id_, plan);
}

spate::Status JobRunner::WriteCommit(const proto::BatchCommit& commit) {
  if (epoch() > 0) {
    SPATE_RETURN_IF_ERROR(ctx_.meta->WriteCommit(job_id_, commit));
    return WriteProtoRecord(BatchLogPath(spec_.checkpoint_dir(), "commits", commit.batch_id()),
                            commit);
  }
  if (!spec_.checkpoint_dir().empty()) {
    SPATE_RETURN_IF_ERROR(WriteProtoRecord(
        BatchLogPath(spec_.checkpoint_dir(), "commits", commit.batch_id()), commit));
  }
  return ctx_.meta->WriteCommit(job_id_, commit);
}

void JobRunner::StopExecutor(const proto::ExecutorAssignment& a) {
  proto::StopExecutorRequest req;
  req.set_job_id(job_id_);
  req.set_executor_id(a.executor_id());
  req.set_epoch(epoch());
  proto::StopExecutorReply reply;
  auto ctx = MakeContext(std::chrono::seconds(2));
  (void)ctx_.clients->For(a.address())->StopExecutor(ctx.get(), req, &reply);  // best effort
  ctx_.registry->Release(a.worker_id(), a.cores(), a.memory_bytes());
}

void JobRunner::ReleaseExecutors() {
  for (const auto& a : executors_) StopExecutor(a);
  executors_.clear();
}

const proto::ExecutorAssignment* JobRunner::OwnerOfKafkaPartition(int32_t p) const {
  for (const auto& e : executors_)
    for (int32_t k : e.kafka_partitions())
      if (k == p) return &e;
  return nullptr;
}

const proto::ExecutorAssignment* JobRunner::OwnerOfShufflePartition(int32_t s) const {
  for (const auto& e : executors_)
    for (int32_t k : e.shuffle_partitions())
      if (k == s) return &e;
  return nullptr;
}

spate::Status JobRunner::RunBatches() {
  if (kill_) return spate::Status::OK();
  SPATE_ASSIGN_OR_RETURN(const int64_t interval_ms, ParseTriggerIntervalMs(spec_.trigger()));
  const bool available_now = interval_ms == 0;
  const int64_t idle_ms = spec_.idle_timeout_ms();
  SPATE_ASSIGN_OR_RETURN(auto kafka, MakeKafkaClient(RD_KAFKA_PRODUCER, spec_.bootstrap(),
                                                     worker::SourceKafkaProperties(spec_)));

  // Where to start: the checkpoint's commit log, else the starting offsets.
  std::vector<PartitionOffsets> offsets;
  while (!kill_) {
    auto o = QueryOffsets(kafka.get(), spec_.topic(), 10'000);
    if (o.ok()) {
      offsets = std::move(*o);
      break;
    }
    if (!o.status().IsRetryable()) return o.status();
    SetState(proto::RECOVERING, "paused: " + o.status().message());
    Interruptible(std::chrono::milliseconds(1000));
  }
  for (const auto& o : offsets) {
    if (!next_start_.count(o.partition)) {
      next_start_[o.partition] = spec_.starting_offsets() == "latest" ? o.high : o.low;
    }
  }
  std::map<int32_t, int64_t> target;
  if (available_now) {
    for (const auto& o : offsets) target[o.partition] = o.high;
  }
  const std::string running_message = available_now ? "catching up (available-now)" : "streaming";
  if (!resumed_) SetState(proto::RUNNING, running_message);

  bool final_done = false;
  std::optional<std::chrono::steady_clock::time_point> outage_since;  // planning cannot reach Kafka
  while (!kill_ && !final_done) {
    if (!available_now && last_batch_start_ms_ > 0 && pending_.empty()) {
      int64_t wait = last_batch_start_ms_ + interval_ms - NowMs();
      if (wait > 0 && !Interruptible(std::chrono::milliseconds(wait))) break;
    }
    if (kill_) break;
    // A lost worker is acted on at once, with data to read or not: an idle job moves the lost
    // share to other executors, or waits for resources, instead of looking healthy.
    if (AnyExecutorLost()) SPATE_RETURN_IF_ERROR(EnsureExecutors(next_batch_));
    if (kill_) break;
    const int64_t trigger_ms = NowMs();
    auto planning_started = std::chrono::steady_clock::now();
    proto::BatchPlan plan;
    if (!pending_.empty()) {
      plan = pending_.front();  // planned before a failure: replay exactly that range
      pending_.pop_front();
    } else {
      std::map<int32_t, int64_t> available = target;
      if (!available_now) {
        auto latest = QueryOffsets(kafka.get(), spec_.topic(), 5'000);
        if (!latest.ok()) {
          if (!outage_since) outage_since = std::chrono::steady_clock::now();
          SetState(proto::RECOVERING, "paused: " + latest.status().message());
          last_batch_start_ms_ = trigger_ms;
          continue;
        }
        if (outage_since) {
          // Kafka answers again: the pause was a recovery like any other.
          const int64_t took = Since(*outage_since);
          outage_since.reset();
          {
            std::lock_guard<std::mutex> lock(mu_);
            status_.set_recoveries(status_.recoveries() + 1);
            status_.set_last_recovery_ms(took);
          }
          SetState(proto::RUNNING, running_message + "; Kafka reachable again after " +
                                       std::to_string(took) + " ms");
        }
        for (const auto& o : *latest) available[o.partition] = o.high;
      }
      plan.set_batch_id(next_batch_);
      plan.set_planned_at_ms(trigger_ms);
      plan.set_epoch(epoch());
      auto ranges = PlanRanges(next_start_, available, spec_.max_offsets_per_trigger());
      const bool stopping = stop_.load();
      if (ranges.empty() && (available_now || (stopping && drain_))) {
        plan.set_final(true);  // end of input is the end of event time: emit every window
        plan.set_watermark_ms(kEndOfTime);
        NoteWatermark(kEndOfTime, trigger_ms);
      } else if (stopping && !drain_) {
        break;
      } else {
        plan.set_watermark_ms(watermark_);
        if (ranges.empty()) {
          // No data: run an empty batch only when the watermark is past the one the last
          // batch ran under, so windows it passed close without waiting for new records.
          watermark_ = NextWatermark(event_times_, trigger_ms, idle_ms, plan_.watermark_delay_ms,
                                     watermark_);
          NoteWatermark(watermark_, trigger_ms);
          if (watermark_ == committed_watermark_) {
            last_batch_start_ms_ = trigger_ms;
            continue;
          }
          plan.set_watermark_ms(watermark_);
        }
      }
      for (auto& r : ranges) *plan.add_ranges() = r;
      // A disk that is full (or fails) pauses the job until the plan can be written.
      spate::Status written = WritePlan(plan);
      for (int tries = 0; !written.ok() && written.code() == StatusCode::kIOError && !kill_;
           ++tries) {
        if (!recovering_since_) recovering_since_ = std::chrono::steady_clock::now();
        SetState(proto::RECOVERING, "paused: " + written.message());
        Backoff(tries);
        written = WritePlan(plan);
      }
      if (kill_) break;
      SPATE_RETURN_IF_ERROR(written);
    }
    // Partitions added to the topic while the job runs are read from their first offset (as
    // Spark does), by executors given them now.
    int32_t partitions = kafka_partitions_;
    for (const auto& r : plan.ranges()) partitions = std::max(partitions, r.partition() + 1);
    if (partitions > kafka_partitions_) {
      spdlog::info("job {}: topic {} grew from {} to {} partitions", job_id_, spec_.topic(),
                   kafka_partitions_, partitions);
      kafka_partitions_ = partitions;
      Reassign();
    }
    const int64_t gap_ms = last_batch_start_ms_ > 0 ? trigger_ms - last_batch_start_ms_ : 0;
    last_batch_start_ms_ = trigger_ms;
    const int64_t planning_ms = Since(planning_started);

    // Run the batch until it commits: a lost worker's share moves to the others and the batch
    // is replayed from its planned offsets; an unreachable broker pauses the job.
    spate::Status s;
    std::optional<std::chrono::steady_clock::time_point> trouble_since;
    for (int attempt = 0; !kill_; ++attempt) {
      SPATE_RETURN_IF_ERROR(EnsureExecutors(plan.batch_id()));
      if (kill_) break;
      s = RunBatch(plan, WireAttempt(attempt), gap_ms, planning_ms);
      if (s.ok()) break;
      if (!trouble_since) trouble_since = std::chrono::steady_clock::now();
      {
        std::lock_guard<std::mutex> lock(mu_);
        status_.set_replayed_batches(status_.replayed_batches() + 1);
      }
      spdlog::warn("job {}: batch {} attempt {} failed: {}", job_id_, plan.batch_id(), attempt,
                   s.ToString());
      if (AnyExecutorLost()) continue;
      // OutOfRange (offsets deleted from Kafka before they were read) is never transient: the
      // job fails and says so, or skips them with spate.source.fail-on-data-loss=false. An I/O
      // error (a full disk) is retried: freed space lets the job go on.
      const bool transient = s.IsRetryable() || s.code() == StatusCode::kResourceExhausted ||
                             s.code() == StatusCode::kFailedPrecondition ||
                             s.code() == StatusCode::kCancelled || s.code() == StatusCode::kIOError;
      if (!transient) break;
      SetState(proto::RECOVERING, "retrying batch " + std::to_string(plan.batch_id()) +
                                      " (attempt " + std::to_string(attempt + 2) +
                                      "): " + s.message());
      Backoff(attempt);
    }
    if (kill_) break;
    if (!s.ok()) return s.WithContext("batch " + std::to_string(plan.batch_id()));
    if (taken_over_) NoteTakeover();
    // A loss found between batches (no failed attempt) is a recovery too.
    if (recovering_since_ && (!trouble_since || *recovering_since_ < *trouble_since)) {
      trouble_since = recovering_since_;
    }
    recovering_since_.reset();
    if (trouble_since) {
      std::lock_guard<std::mutex> lock(mu_);
      status_.set_recoveries(status_.recoveries() + 1);
      status_.set_last_recovery_ms(Since(*trouble_since));
    }
    if (trouble_since || resumed_) {
      std::string took = trouble_since ? " (" + std::to_string(Since(*trouble_since)) +
                                             " ms after the first failure)"
                                       : "";
      SetState(proto::RUNNING,
               running_message + "; recovered at batch " + std::to_string(plan.batch_id()) + took);
      resumed_ = false;
    }
    final_done = plan.final();
  }
  return spate::Status::OK();
}

spate::Status JobRunner::RunBatch(const proto::BatchPlan& plan, int attempt, int64_t trigger_gap_ms,
                                  int64_t planning_ms) {
  const auto batch_started = std::chrono::steady_clock::now();
  const int64_t task_timeout_ms = ConfDurationMs(spec_, "spate.task.timeout", 600'000);
  // Event times further ahead of the batch's planning time (kept in the offset log, so a replay
  // draws the same line) than spate.event-time.max-future are malformed: one such record would
  // otherwise move the watermark to its time and make every later record late.
  const int64_t max_future_ms =
      ConfDurationMs(spec_, "spate.event-time.max-future", kDefaultMaxFutureMs);
  int64_t event_time_limit_ms = 0;  // no bound
  if (max_future_ms > 0 && plan.planned_at_ms() > 0 &&
      __builtin_add_overflow(plan.planned_at_ms(), max_future_ms, &event_time_limit_ms)) {
    event_time_limit_ms = 0;
  }
  // A stateless SQL query runs in stage 1 alone: no shuffle, no stage 2.
  const bool stateless = spec_.has_plan() && !spec_.plan().aggregate();
  const int S = stateless ? 0 : spec_.shuffle_partitions();
  auto cancel = [this] { return kill_.load() || AnyExecutorLost(); };

  // Stage 1: one task per Kafka partition with data, on the executor that owns it.
  std::vector<proto::ShuffleTarget> targets(static_cast<size_t>(S));
  for (int s = 0; s < S; ++s) {
    const auto* owner = OwnerOfShufflePartition(s);
    if (!owner)
      return spate::Status::Internal("no executor owns shuffle partition " + std::to_string(s));
    targets[static_cast<size_t>(s)].set_shuffle_partition(s);
    targets[static_cast<size_t>(s)].set_executor_id(owner->executor_id());
    targets[static_cast<size_t>(s)].set_address(owner->address());
  }
  std::vector<SourceCall> s1(static_cast<size_t>(plan.ranges_size()));
  for (int i = 0; i < plan.ranges_size(); ++i) {
    const auto& range = plan.ranges(i);
    const auto* owner = OwnerOfKafkaPartition(range.partition());
    if (!owner) {
      return spate::Status::Internal("no executor owns partition " +
                                     std::to_string(range.partition()));
    }
    SourceCall& c = s1[static_cast<size_t>(i)];
    c.executor_id = owner->executor_id();
    c.address = owner->address();
    c.stub = ctx_.clients->For(owner->address());
    c.ctx = MakeContext(std::chrono::milliseconds(task_timeout_ms));
    c.what = "RunSourceTask(partition " + std::to_string(range.partition()) + ")";
    c.request.set_job_id(job_id_);
    c.request.set_executor_id(owner->executor_id());
    c.request.set_batch_id(plan.batch_id());
    *c.request.mutable_range() = range;
    c.request.set_watermark_ms(plan.watermark_ms());
    c.request.set_event_time_limit_ms(event_time_limit_ms);
    for (const auto& t : targets) *c.request.add_targets() = t;
    c.request.set_attempt(attempt);
    c.request.set_epoch(epoch());
  }
  RunCalls(s1, cancel);
  for (const auto& c : s1)
    if (!c.status.ok()) return c.status;
  const int64_t stage1_ms = Since(batch_started);

  // Stage 2: one task per shuffle partition, expecting exactly the blocks stage 1 sent.
  const auto stage2_started = std::chrono::steady_clock::now();
  std::vector<StateCall> s2(static_cast<size_t>(S));
  for (int s = 0; s < S; ++s) {
    const auto* owner = OwnerOfShufflePartition(s);
    StateCall& c = s2[static_cast<size_t>(s)];
    c.executor_id = owner->executor_id();
    c.address = owner->address();
    c.stub = ctx_.clients->For(owner->address());
    c.ctx = MakeContext(std::chrono::milliseconds(task_timeout_ms));
    c.what = "RunStateTask(shuffle partition " + std::to_string(s) + ")";
    auto& req = c.request;
    req.set_job_id(job_id_);
    req.set_executor_id(owner->executor_id());
    req.set_batch_id(plan.batch_id());
    req.set_shuffle_partition(s);
    for (int i = 0; i < owner->shuffle_partitions_size(); ++i) {
      if (owner->shuffle_partitions(i) == s) *req.mutable_key_groups() = owner->key_groups(i);
    }
    req.set_watermark_ms(plan.watermark_ms());
    req.set_committed_batch(plan.batch_id() - 1);
    req.set_attempt(attempt);
    req.set_epoch(epoch());
    req.set_committed_watermark_ms(committed_watermark_);
    for (const auto& r : s1) {
      auto* e = req.add_expected();
      e->set_map_partition(r.request.range().partition());
      e->set_blocks(r.reply.blocks_per_shuffle_partition_size() > s
                        ? r.reply.blocks_per_shuffle_partition(s)
                        : 0);
      e->set_attempt(attempt);
    }
  }
  RunCalls(s2, cancel);
  for (const auto& c : s2)
    if (!c.status.ok()) return c.status;
  const int64_t stage2_ms = Since(stage2_started);

  // The tasks wrote the sink (the console's rows came back here): commit. A batch in the
  // commit log has its output written.
  const auto commit_started = std::chrono::steady_clock::now();
  std::vector<proto::ResultRow> rows;  // every row for the console, else the tasks' previews
  int64_t restored_rows = 0;
  int64_t rows_emitted = 0;
  int64_t min_window_end = INT64_MAX;  // the oldest window emitted: the latency of the batch
  auto note_sink = [&](bool has_sink, const proto::SinkWrite& w, int64_t returned) {
    rows_emitted += has_sink ? w.rows() : returned;
    if (has_sink) min_window_end = std::min(min_window_end, w.min_window_end_ms());
  };
  for (const auto& c : s2) {
    for (const auto& row : c.reply.rows()) rows.push_back(row);
    restored_rows += c.reply.restored_rows();
    note_sink(c.reply.has_sink(), c.reply.sink(), c.reply.rows_size());
  }
  for (const auto& c : s1) {
    note_sink(c.reply.has_sink(), c.reply.sink(), c.reply.rows_size());
    for (const auto& json : c.reply.rows()) {
      auto& r = rows.emplace_back();
      r.set_json(json);
      r.set_window_start_ms(INT64_MIN);
      r.set_window_end_ms(INT64_MIN);
    }
  }
  if (!stateless) {
    std::sort(rows.begin(), rows.end(), [](const proto::ResultRow& a, const proto::ResultRow& b) {
      if (a.window_start_ms() != b.window_start_ms())
        return a.window_start_ms() < b.window_start_ms();
      if (a.count() != b.count()) return a.count() > b.count();
      if (a.key() != b.key()) return a.key() < b.key();
      return a.json() < b.json();
    });
  }
  const int64_t sunk_ms = NowMs();
  for (const auto& row : rows) {
    // A stateless query's rows have no window (INT64_MIN).
    if (row.window_end_ms() != INT64_MIN)
      min_window_end = std::min(min_window_end, row.window_end_ms());
  }
  const int64_t result_latency_ms =
      min_window_end == INT64_MAX ? -1 : ResultLatency(min_window_end, sunk_ms);

  const int64_t now = NowMs();
  auto event_times = event_times_;
  for (const auto& c : s1) {
    UpdateEventTimes(&event_times, c.request.range().partition(), c.reply.has_event_time(),
                     c.reply.max_event_time_ms(), now);
  }
  int64_t next_wm = plan.final() ? plan.watermark_ms()
                                 : NextWatermark(event_times, now, spec_.idle_timeout_ms(),
                                                 plan_.watermark_delay_ms, plan.watermark_ms());
  auto next_start = next_start_;
  for (const auto& r : plan.ranges()) next_start[r.partition()] = r.end_offset();
  proto::BatchCommit commit;
  commit.set_batch_id(plan.batch_id());
  *commit.mutable_ranges() = plan.ranges();
  for (const auto& [p, t] : event_times) *commit.add_event_times() = t;
  for (const auto& [p, o] : next_start) (*commit.mutable_next_offsets())[p] = o;
  commit.set_next_watermark_ms(next_wm);
  commit.set_watermark_ms(plan.watermark_ms());
  commit.set_committed_at_ms(now);
  commit.set_attempt(attempt);
  commit.set_epoch(epoch());
  SPATE_RETURN_IF_ERROR(WriteCommit(commit));
  // Old records go, ten batches at a time: the logs stay bounded over a long run.
  if (const int64_t before = plan.batch_id() + 1 - RetainedBatches(spec_);
      before > 0 && plan.batch_id() % 10 == 0) {
    spate::Status pruned = spec_.checkpoint_dir().empty()
                               ? spate::Status::OK()
                               : PruneBatchLog(spec_.checkpoint_dir(), before);
    if (pruned.ok()) pruned = ctx_.meta->ForgetBatchesBefore(job_id_, before);
    if (!pruned.ok()) spdlog::warn("job {}: {}", job_id_, pruned.ToString());
  }
  event_times_ = std::move(event_times);
  next_start_ = std::move(next_start);
  watermark_ = next_wm;
  NoteWatermark(next_wm, now);
  committed_watermark_ = plan.watermark_ms();
  next_batch_ = plan.batch_id() + 1;
  const int64_t commit_ms = Since(commit_started);
  if (restored_rows > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    status_.set_restored_state_rows(status_.restored_state_rows() + restored_rows);
  }
  if (restored_rows > 0) {
    spdlog::info("job {}: batch {} restored {} state rows from the checkpoint", job_id_,
                 plan.batch_id(), restored_rows);
  }

  // Progress, after Spark's StreamingQueryProgress.
  proto::BatchProgress p;
  p.set_batch_id(plan.batch_id());
  p.set_timestamp_ms(plan.planned_at_ms());
  std::map<std::string, proto::ExecutorBatchStats> per_exec;
  for (const auto& e : executors_) per_exec[e.executor_id()].set_executor_id(e.executor_id());
  bool has_et = false;
  int64_t min_et = 0, max_et = 0;
  for (const auto& r : s1) {
    const auto& rep = r.reply;
    p.set_num_input_rows(p.num_input_rows() + rep.records_read());
    p.set_rows_dropped_by_watermark(p.rows_dropped_by_watermark() + rep.rows_late());
    p.set_malformed_rows(p.malformed_rows() + rep.malformed());
    p.set_offsets_lost(p.offsets_lost() + rep.offsets_lost());
    p.set_rows_matched(p.rows_matched() + rep.rows_matched());
    p.set_shuffle_bytes(p.shuffle_bytes() + rep.shuffle_bytes_written());
    for (const auto& [reason, n] : rep.malformed_by_reason()) {
      (*p.mutable_malformed_by_reason())[reason] += n;
    }
    if (rep.has_event_time()) {
      min_et = has_et ? std::min(min_et, rep.min_event_time_ms()) : rep.min_event_time_ms();
      max_et = has_et ? std::max(max_et, rep.max_event_time_ms()) : rep.max_event_time_ms();
      has_et = true;
    }
    auto& ex = per_exec[r.executor_id];
    ex.set_records_read(ex.records_read() + rep.records_read());
    ex.set_bytes_read(ex.bytes_read() + rep.bytes_read());
    ex.set_shuffle_bytes_written(ex.shuffle_bytes_written() + rep.shuffle_bytes_written());
    ex.set_shuffle_records_written(ex.shuffle_records_written() + rep.shuffle_records_written());
    ex.set_shuffle_bytes_remote(ex.shuffle_bytes_remote() + rep.shuffle_bytes_remote());
    ex.set_max_concurrent_tasks(std::max(ex.max_concurrent_tasks(), rep.concurrent_tasks()));
    ex.set_tasks(ex.tasks() + 1);
    ex.set_task_time_ms(ex.task_time_ms() + rep.duration_ms());
  }
  for (const auto& c : s2) {
    auto& ex = per_exec[c.executor_id];
    ex.set_shuffle_bytes_read(ex.shuffle_bytes_read() + c.reply.shuffle_bytes_read());
    ex.set_max_concurrent_tasks(std::max(ex.max_concurrent_tasks(), c.reply.concurrent_tasks()));
    ex.set_tasks(ex.tasks() + 1);
    ex.set_task_time_ms(ex.task_time_ms() + c.reply.duration_ms());
    p.set_state_rows(p.state_rows() + c.reply.state_rows());
    p.set_state_bytes(p.state_bytes() + c.reply.state_bytes());
  }
  for (auto& [id, ex] : per_exec) *p.add_executors() = ex;
  p.set_has_event_time(has_et);
  p.set_min_event_time_ms(min_et);
  p.set_max_event_time_ms(max_et);
  p.set_watermark_ms(plan.watermark_ms());
  p.set_rows_emitted(rows_emitted);
  if (result_latency_ms >= 0) {
    p.set_has_result_latency(true);
    p.set_result_latency_ms(result_latency_ms);
  }
  p.set_stage1_ms(stage1_ms);
  p.set_stage2_ms(stage2_ms);
  p.set_commit_ms(commit_ms);
  p.set_planning_ms(planning_ms);
  p.set_total_ms(planning_ms + Since(batch_started));
  double secs = static_cast<double>(std::max<int64_t>(p.total_ms(), 1)) / 1000.0;
  p.set_processed_rows_per_second(static_cast<double>(p.num_input_rows()) / secs);
  if (trigger_gap_ms > 0) {
    p.set_input_rows_per_second(static_cast<double>(p.num_input_rows()) * 1000.0 /
                                static_cast<double>(trigger_gap_ms));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    *status_.mutable_last_progress() = p;
    status_.set_batches_committed(next_batch_);
    status_.set_total_input_rows(status_.total_input_rows() + p.num_input_rows());
    status_.set_total_rows_dropped_by_watermark(status_.total_rows_dropped_by_watermark() +
                                                p.rows_dropped_by_watermark());
    status_.set_total_malformed_rows(status_.total_malformed_rows() + p.malformed_rows());
    status_.set_total_offsets_lost(status_.total_offsets_lost() + p.offsets_lost());
    status_.set_total_rows_emitted(status_.total_rows_emitted() + p.rows_emitted());
    // Malformed and late records, for inspection: the newest kKeptSamples, newest last.
    for (const auto& r : s1) {
      for (const auto& sample : r.reply.samples()) *status_.add_recent_samples() = sample;
    }
    auto* samples = status_.mutable_recent_samples();
    if (samples->size() > kKeptSamples) {
      samples->DeleteSubrange(0, samples->size() - kKeptSamples);
    }
    for (const auto& ex : p.executors()) {
      proto::ExecutorBatchStats* total = nullptr;
      for (auto& t : *status_.mutable_executor_totals())
        if (t.executor_id() == ex.executor_id()) total = &t;
      if (!total) {
        total = status_.add_executor_totals();
        total->set_executor_id(ex.executor_id());
      }
      total->set_records_read(total->records_read() + ex.records_read());
      total->set_bytes_read(total->bytes_read() + ex.bytes_read());
      total->set_shuffle_bytes_written(total->shuffle_bytes_written() + ex.shuffle_bytes_written());
      total->set_shuffle_bytes_read(total->shuffle_bytes_read() + ex.shuffle_bytes_read());
      total->set_shuffle_bytes_remote(total->shuffle_bytes_remote() + ex.shuffle_bytes_remote());
      total->set_shuffle_records_written(total->shuffle_records_written() +
                                         ex.shuffle_records_written());
      total->set_tasks(total->tasks() + ex.tasks());
      total->set_max_concurrent_tasks(
          std::max(total->max_concurrent_tasks(), ex.max_concurrent_tasks()));
      total->set_task_time_ms(total->task_time_ms() + ex.task_time_ms());
    }
    history_.push_back(p);
    if (history_.size() > kKeptProgress) history_.pop_front();
    if (!rows.empty()) {
      proto::ResultBatch b;
      b.set_batch_id(plan.batch_id());
      for (auto& r : rows) *b.add_rows() = std::move(r);
      results_.push_back(std::move(b));
      if (results_.size() > kKeptResultBatches) results_.pop_front();
    }
  }
  spdlog::info(
      "job {}: batch {} committed: {} rows in {} ms ({} matched, {} late, {} malformed, "
      "{} emitted, watermark {})",
      job_id_, plan.batch_id(), p.num_input_rows(), p.total_ms(), p.rows_matched(),
      p.rows_dropped_by_watermark(), p.malformed_rows(), p.rows_emitted(), plan.watermark_ms());
  return spate::Status::OK();
}

void JobRunner::NoteWatermark(int64_t watermark_ms, int64_t at_ms) {
  if (!watermark_reached_.empty() && watermark_reached_.back().first >= watermark_ms) return;
  watermark_reached_.emplace_back(watermark_ms, at_ms);
  while (watermark_reached_.size() > 4096) watermark_reached_.pop_front();
}

int64_t JobRunner::ResultLatency(int64_t window_end_ms, int64_t now_ms) const {
  auto it = std::lower_bound(
      watermark_reached_.begin(), watermark_reached_.end(), window_end_ms,
      [](const std::pair<int64_t, int64_t>& e, int64_t end) { return e.first < end; });
  if (it == watermark_reached_.end()) return -1;
  return std::max<int64_t>(0, now_ms - it->second);
}

}  // namespace spate::master
