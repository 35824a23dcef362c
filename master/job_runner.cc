#include "master/job_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

#include "common/config.h"
#include "common/kafka_util.h"
#include "common/rpc.h"
#include "master/planner.h"

namespace spate::master {
namespace {

constexpr auto kControlTimeout = std::chrono::seconds(10);
constexpr size_t kKeptResultBatches = 1000;
constexpr size_t kKeptProgress = 1000;
constexpr int kBatchAttempts = 3;

int64_t ConfDurationMs(const proto::JobSpec& spec, const std::string& key, int64_t fallback) {
  auto it = spec.conf().find(key);
  if (it == spec.conf().end()) return fallback;
  auto v = ParseDurationMs(it->second);
  return v.ok() ? *v : fallback;
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
                     MasterContext ctx)
    : job_id_(std::move(job_id)), spec_(std::move(spec)), plan_(std::move(plan)), ctx_(ctx) {
  status_.set_job_id(job_id_);
  *status_.mutable_spec() = spec_;
  status_.set_state(proto::WAITING);
  status_.set_message("submitted");
  status_.set_submitted_at_ms(NowMs());
  status_.set_key_column(plan_.key_column);
  status_.set_count_column(plan_.count_column);
  status_.set_window_ms(plan_.window_ms);
}

JobRunner::~JobRunner() {
  Kill();
  if (thread_.joinable()) thread_.join();
}

void JobRunner::Start() {
  thread_ = std::thread([this] { Run(); });
}

void JobRunner::Kill() {
  kill_ = true;
  wake_cv_.notify_all();
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
  if (ctx_.meta) (void)ctx_.meta->PutJob(copy);
}

bool JobRunner::Interruptible(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(wake_mu_);
  wake_cv_.wait_for(lock, wait, [this] { return kill_.load() || stop_.load(); });
  return !kill_;
}

void JobRunner::Run() {
  spate::Status s = Admit();
  if (s.ok()) s = RunBatches();
  ReleaseExecutors();
  if (kill_) {
    SetState(proto::KILLED, "killed");
  } else if (!s.ok()) {
    SetState(proto::FAILED, s.ToString());
  } else {
    SetState(proto::FINISHED, "finished after " + std::to_string(next_batch_) + " batch(es)");
  }
}

spate::Status JobRunner::Admit() {
  // Topic layout first: it decides how many stage-1 tasks there are.
  SPATE_ASSIGN_OR_RETURN(auto kafka, MakeKafkaClient(RD_KAFKA_PRODUCER, spec_.bootstrap()));
  SPATE_ASSIGN_OR_RETURN(int partitions, PartitionCount(kafka.get(), spec_.topic(), 10'000));
  SPATE_ASSIGN_OR_RETURN(
      sink_, MakeSink(spec_.sink(), {plan_.key_column, plan_.count_column}, spec_.bootstrap()));
  const int n = spec_.num_executors();
  while (!kill_) {
    auto placement = PlaceExecutors(ctx_.registry->Snapshot(), n, spec_.executor_cores(),
                                    spec_.executor_memory_bytes());
    if (!placement.ok()) {
      SetState(proto::WAITING, "waiting for resources: " + placement.status().message());
      Interruptible(std::chrono::milliseconds(500));
      if (stop_) return Status::Aborted("stopped while waiting for resources");
      continue;
    }
    std::vector<proto::ExecutorAssignment> execs;
    spate::Status reserved;
    for (int i = 0; i < n && reserved.ok(); ++i) {
      const std::string& wid = (*placement)[static_cast<size_t>(i)];
      reserved = ctx_.registry->Reserve(wid, spec_.executor_cores(), spec_.executor_memory_bytes());
      if (!reserved.ok()) break;
      proto::ExecutorAssignment a;
      a.set_executor_id("exec-" + std::to_string(i));
      a.set_worker_id(wid);
      for (const auto& w : ctx_.registry->Snapshot())
        if (w.id == wid) a.set_address(w.address());
      a.set_cores(spec_.executor_cores());
      a.set_memory_bytes(spec_.executor_memory_bytes());
      execs.push_back(std::move(a));
    }
    AssignWork(&execs, partitions, spec_.shuffle_partitions(), spec_.key_groups());
    executors_ = execs;
    spate::Status launched = reserved;
    for (const auto& a : executors_) {
      if (!launched.ok()) break;
      proto::LaunchExecutorRequest req;
      req.set_job_id(job_id_);
      *req.mutable_spec() = spec_;
      *req.mutable_executor() = a;
      proto::LaunchExecutorReply reply;
      auto ctx = MakeContext(kControlTimeout);
      launched =
          FromGrpcStatus(ctx_.clients->For(a.address())->LaunchExecutor(ctx.get(), req, &reply),
                         "LaunchExecutor on " + a.worker_id());
    }
    if (launched.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      status_.clear_executors();
      for (const auto& a : executors_) *status_.add_executors() = a;
      return spate::Status::OK();
    }
    spdlog::warn("job {}: launching executors failed: {}", job_id_, launched.ToString());
    if (launched.code() == StatusCode::kInvalidArgument) return launched;
    ReleaseExecutors();
    Interruptible(std::chrono::milliseconds(1000));
  }
  return spate::Status::OK();
}

void JobRunner::ReleaseExecutors() {
  for (const auto& a : executors_) {
    proto::StopExecutorRequest req;
    req.set_job_id(job_id_);
    req.set_executor_id(a.executor_id());
    proto::StopExecutorReply reply;
    auto ctx = MakeContext(std::chrono::seconds(2));
    (void)ctx_.clients->For(a.address())->StopExecutor(ctx.get(), req, &reply);
    ctx_.registry->Release(a.worker_id(), a.cores(), a.memory_bytes());
  }
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
  SPATE_ASSIGN_OR_RETURN(auto kafka, MakeKafkaClient(RD_KAFKA_PRODUCER, spec_.bootstrap()));

  // Where to start: the commit log of this job, else the starting offsets.
  SPATE_ASSIGN_OR_RETURN(auto offsets, QueryOffsets(kafka.get(), spec_.topic(), 10'000));
  for (const auto& o : offsets) {
    next_start_[o.partition] = spec_.starting_offsets() == "latest" ? o.high : o.low;
  }
  std::map<int32_t, int64_t> target;
  if (available_now) {
    for (const auto& o : offsets) target[o.partition] = o.high;
  }
  SetState(proto::RUNNING, available_now ? "catching up (available-now)" : "streaming");

  bool final_done = false;
  while (!kill_ && !final_done) {
    if (!available_now && last_batch_start_ms_ > 0) {
      int64_t wait = last_batch_start_ms_ + interval_ms - NowMs();
      if (wait > 0 && !Interruptible(std::chrono::milliseconds(wait))) break;
    }
    if (kill_) break;
    const int64_t trigger_ms = NowMs();
    auto planning_started = std::chrono::steady_clock::now();
    std::map<int32_t, int64_t> available = target;
    if (!available_now) {
      auto latest = QueryOffsets(kafka.get(), spec_.topic(), 5'000);
      if (!latest.ok()) {
        SetState(proto::RUNNING, "paused: " + latest.status().message());
        last_batch_start_ms_ = trigger_ms;
        continue;
      }
      for (const auto& o : *latest) available[o.partition] = o.high;
    }
    proto::BatchPlan plan;
    plan.set_batch_id(next_batch_);
    plan.set_planned_at_ms(trigger_ms);
    auto ranges = PlanRanges(next_start_, available, spec_.max_offsets_per_trigger());
    const bool stopping = stop_.load();
    if (ranges.empty() && (available_now || (stopping && drain_))) {
      plan.set_final(true);  // end of input is the end of event time: emit every window
      plan.set_watermark_ms(kEndOfTime);
    } else if (stopping && !drain_) {
      break;
    } else {
      plan.set_watermark_ms(watermark_);
      if (ranges.empty()) {
        // No data: run an empty batch only when the watermark moved (windows may close).
        int64_t next =
            NextWatermark(event_times_, trigger_ms, idle_ms, plan_.watermark_delay_ms, watermark_);
        if (next == watermark_) {
          last_batch_start_ms_ = trigger_ms;
          continue;
        }
        watermark_ = next;
        plan.set_watermark_ms(watermark_);
      }
    }
    for (auto& r : ranges) *plan.add_ranges() = r;
    SPATE_RETURN_IF_ERROR(ctx_.meta->WritePlan(job_id_, plan));
    const int64_t gap_ms = last_batch_start_ms_ > 0 ? trigger_ms - last_batch_start_ms_ : 0;
    last_batch_start_ms_ = trigger_ms;
    const int64_t planning_ms = Since(planning_started);
    spate::Status s;
    for (int attempt = 0; attempt < kBatchAttempts && !kill_; ++attempt) {
      s = RunBatch(plan, attempt, gap_ms, planning_ms);
      if (s.ok() || !s.IsRetryable()) break;
      spdlog::warn("job {}: batch {} attempt {} failed: {}", job_id_, plan.batch_id(), attempt,
                   s.ToString());
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!lost_workers_.empty()) break;
      }
      Interruptible(std::chrono::milliseconds(500 * (attempt + 1)));
    }
    if (kill_) break;
    if (!s.ok()) return s.WithContext("batch " + std::to_string(plan.batch_id()));
    final_done = plan.final();
  }
  return spate::Status::OK();
}

struct JobRunner::StageOneResult {
  proto::PartitionRange range;
  std::string executor_id;
  spate::Result<proto::SourceTaskReply> reply = spate::Status::Internal("not run");
};

spate::Status JobRunner::RunBatch(const proto::BatchPlan& plan, int attempt, int64_t trigger_gap_ms,
                                  int64_t planning_ms) {
  const auto batch_started = std::chrono::steady_clock::now();
  const int64_t task_timeout_ms = ConfDurationMs(spec_, "spate.task.timeout", 600'000);
  const int S = spec_.shuffle_partitions();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& w : lost_workers_) {
      for (const auto& e : executors_) {
        if (e.worker_id() == w) {
          return spate::Status::Unavailable("worker " + w + " running " + e.executor_id() +
                                            " was lost");
        }
      }
    }
  }

  // Stage 1: one task per Kafka partition with data, on the executor that owns it.
  std::vector<proto::ShuffleTarget> targets(static_cast<size_t>(S));
  for (int s = 0; s < S; ++s) {
    const auto* owner = OwnerOfShufflePartition(s);
    targets[static_cast<size_t>(s)].set_shuffle_partition(s);
    targets[static_cast<size_t>(s)].set_executor_id(owner->executor_id());
    targets[static_cast<size_t>(s)].set_address(owner->address());
  }
  std::vector<std::future<StageOneResult>> stage1;
  for (const auto& range : plan.ranges()) {
    const auto* owner = OwnerOfKafkaPartition(range.partition());
    if (!owner)
      return spate::Status::Internal("no executor owns partition " +
                                     std::to_string(range.partition()));
    proto::SourceTaskRequest req;
    req.set_job_id(job_id_);
    req.set_executor_id(owner->executor_id());
    req.set_batch_id(plan.batch_id());
    *req.mutable_range() = range;
    req.set_watermark_ms(plan.watermark_ms());
    for (const auto& t : targets) *req.add_targets() = t;
    req.set_attempt(attempt);
    auto* stub = ctx_.clients->For(owner->address());
    std::string exec_id = owner->executor_id();
    std::string addr = owner->address();
    stage1.push_back(std::async(std::launch::async, [=]() {
      StageOneResult r;
      r.range = range;
      r.executor_id = exec_id;
      proto::SourceTaskReply reply;
      auto ctx = MakeContext(std::chrono::milliseconds(task_timeout_ms));
      spate::Status st = FromGrpcStatus(
          stub->RunSourceTask(ctx.get(), req, &reply),
          "RunSourceTask(partition " + std::to_string(range.partition()) + ") on " + addr);
      if (st.ok()) {
        r.reply = std::move(reply);
      } else {
        r.reply = st;
      }
      return r;
    }));
  }
  std::vector<StageOneResult> s1;
  spate::Status failed;
  for (auto& f : stage1) {
    s1.push_back(f.get());
    if (!s1.back().reply.ok() && failed.ok()) failed = s1.back().reply.status();
  }
  if (!failed.ok()) return failed;
  const int64_t stage1_ms = Since(batch_started);

  // Stage 2: one task per shuffle partition, expecting exactly the blocks stage 1 sent.
  const auto stage2_started = std::chrono::steady_clock::now();
  std::vector<std::future<spate::Result<proto::StateTaskReply>>> stage2;
  std::vector<std::string> stage2_exec;
  for (int s = 0; s < S; ++s) {
    const auto* owner = OwnerOfShufflePartition(s);
    proto::StateTaskRequest req;
    req.set_job_id(job_id_);
    req.set_executor_id(owner->executor_id());
    req.set_batch_id(plan.batch_id());
    req.set_shuffle_partition(s);
    for (int i = 0; i < owner->shuffle_partitions_size(); ++i) {
      if (owner->shuffle_partitions(i) == s) *req.mutable_key_groups() = owner->key_groups(i);
    }
    req.set_watermark_ms(plan.watermark_ms());
    for (const auto& r : s1) {
      auto* e = req.add_expected();
      e->set_map_partition(r.range.partition());
      e->set_blocks(r.reply->blocks_per_shuffle_partition_size() > s
                        ? r.reply->blocks_per_shuffle_partition(s)
                        : 0);
      e->set_attempt(attempt);
    }
    auto* stub = ctx_.clients->For(owner->address());
    std::string addr = owner->address();
    stage2_exec.push_back(owner->executor_id());
    stage2.push_back(std::async(std::launch::async, [=]() -> spate::Result<proto::StateTaskReply> {
      proto::StateTaskReply reply;
      auto ctx = MakeContext(std::chrono::milliseconds(task_timeout_ms));
      SPATE_RETURN_IF_ERROR(
          FromGrpcStatus(stub->RunStateTask(ctx.get(), req, &reply),
                         "RunStateTask(shuffle partition " + std::to_string(s) + ") on " + addr));
      return reply;
    }));
  }
  std::vector<proto::StateTaskReply> s2;
  for (auto& f : stage2) {
    auto r = f.get();
    if (!r.ok() && failed.ok()) failed = r.status();
    if (r.ok()) s2.push_back(std::move(*r));
  }
  if (!failed.ok()) return failed;
  const int64_t stage2_ms = Since(stage2_started);

  // Sink, then commit: a batch in the commit log has its output written.
  const auto commit_started = std::chrono::steady_clock::now();
  std::vector<proto::ResultRow> rows;
  for (const auto& r : s2)
    for (const auto& row : r.rows()) rows.push_back(row);
  std::sort(rows.begin(), rows.end(), [](const proto::ResultRow& a, const proto::ResultRow& b) {
    if (a.window_start_ms() != b.window_start_ms())
      return a.window_start_ms() < b.window_start_ms();
    if (a.count() != b.count()) return a.count() > b.count();
    return a.key() < b.key();
  });
  SPATE_RETURN_IF_ERROR(
      sink_->WriteBatch(plan.batch_id(), rows).WithContext("sink " + sink_->Describe()));

  const int64_t now = NowMs();
  for (const auto& r : s1) {
    UpdateEventTimes(&event_times_, r.range.partition(), r.reply->has_event_time(),
                     r.reply->max_event_time_ms(), now);
  }
  int64_t next_wm = plan.final() ? plan.watermark_ms()
                                 : NextWatermark(event_times_, now, spec_.idle_timeout_ms(),
                                                 plan_.watermark_delay_ms, watermark_);
  proto::BatchCommit commit;
  commit.set_batch_id(plan.batch_id());
  *commit.mutable_ranges() = plan.ranges();
  for (const auto& [p, t] : event_times_) *commit.add_event_times() = t;
  commit.set_next_watermark_ms(next_wm);
  commit.set_committed_at_ms(now);
  SPATE_RETURN_IF_ERROR(ctx_.meta->WriteCommit(job_id_, commit));
  for (const auto& r : plan.ranges()) next_start_[r.partition()] = r.end_offset();
  watermark_ = next_wm;
  ++next_batch_;
  const int64_t commit_ms = Since(commit_started);

  // Progress, after Spark's StreamingQueryProgress.
  proto::BatchProgress p;
  p.set_batch_id(plan.batch_id());
  p.set_timestamp_ms(plan.planned_at_ms());
  std::map<std::string, proto::ExecutorBatchStats> per_exec;
  for (const auto& e : executors_) per_exec[e.executor_id()].set_executor_id(e.executor_id());
  bool has_et = false;
  int64_t min_et = 0, max_et = 0;
  for (const auto& r : s1) {
    const auto& rep = *r.reply;
    p.set_num_input_rows(p.num_input_rows() + rep.records_read());
    p.set_rows_dropped_by_watermark(p.rows_dropped_by_watermark() + rep.rows_late());
    p.set_malformed_rows(p.malformed_rows() + rep.malformed());
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
    ex.set_tasks(ex.tasks() + 1);
    ex.set_task_time_ms(ex.task_time_ms() + rep.duration_ms());
  }
  for (size_t i = 0; i < s2.size(); ++i) {
    auto& ex = per_exec[stage2_exec[i]];
    ex.set_shuffle_bytes_read(ex.shuffle_bytes_read() + s2[i].shuffle_bytes_read());
    ex.set_tasks(ex.tasks() + 1);
    ex.set_task_time_ms(ex.task_time_ms() + s2[i].duration_ms());
    p.set_state_rows(p.state_rows() + s2[i].state_rows());
    p.set_state_bytes(p.state_bytes() + s2[i].state_bytes());
  }
  for (auto& [id, ex] : per_exec) *p.add_executors() = ex;
  p.set_has_event_time(has_et);
  p.set_min_event_time_ms(min_et);
  p.set_max_event_time_ms(max_et);
  p.set_watermark_ms(plan.watermark_ms());
  p.set_rows_emitted(static_cast<int64_t>(rows.size()));
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
    status_.set_total_rows_emitted(status_.total_rows_emitted() + p.rows_emitted());
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

}  // namespace spate::master
