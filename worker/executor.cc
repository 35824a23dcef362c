#include "worker/executor.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

#include "common/config.h"
#include "common/rpc.h"
#include "exec/partial.h"
#include "jobs/registry.h"
#include "worker/shuffle_codec.h"
#include "worker/source_task.h"

namespace spate::worker {
namespace {

constexpr size_t kMaxBlockBytes = 4 << 20;
constexpr char kKafkaConfPrefix[] = "spate.kafka.";

std::string ConfOr(const proto::JobSpec& spec, const std::string& key, std::string fallback) {
  auto it = spec.conf().find(key);
  return it == spec.conf().end() ? std::move(fallback) : it->second;
}

// A task's handle on the executor's one Kafka reader, which serves concurrent tasks.
class SharedReader : public PartitionReader {
 public:
  explicit SharedReader(std::shared_ptr<PartitionReader> reader) : reader_(std::move(reader)) {}
  using PartitionReader::ReadRange;
  Status ReadRange(const std::string& topic, int32_t partition, int64_t start, int64_t end,
                   const RecordFn& fn, int64_t* offsets_lost) override {
    return reader_->ReadRange(topic, partition, start, end, fn, offsets_lost);
  }

 private:
  std::shared_ptr<PartitionReader> reader_;
};

}  // namespace

std::vector<std::string> SplitEncoded(std::string data, size_t max_bytes) {
  std::vector<std::string> out;
  if (data.size() <= max_bytes) {
    out.push_back(std::move(data));
    return out;
  }
  ShuffleDecoder decoder(data);
  ShuffleEntry e;
  std::string entry;
  out.emplace_back();
  while (decoder.Next(&e)) {
    entry.clear();
    AppendEntry(e, &entry);
    // A chunk never grows past max_bytes; only a lone entry larger than that exceeds it.
    if (!out.back().empty() && out.back().size() + entry.size() > max_bytes) out.emplace_back();
    out.back() += entry;
  }
  return out;
}

Result<std::unique_ptr<Executor>> Executor::Make(const proto::LaunchExecutorRequest& request,
                                                 const std::string& work_dir,
                                                 ShuffleTransport* transport,
                                                 ReaderFactory readers) {
  const auto& a = request.executor();
  std::string dir = work_dir + "/" + request.job_id() + "/" + a.executor_id() + "/state";
  int64_t memory = a.memory_bytes() > 0 ? a.memory_bytes() : int64_t{1} << 30;
  jobs::CompiledPlan plan;
  std::unique_ptr<WindowStateStore> state;
  std::shared_ptr<const exec::CompiledQuery> query;
  std::unique_ptr<PlanStateStore> plan_state;
  if (request.spec().has_plan()) {
    SPATE_ASSIGN_OR_RETURN(query, exec::CompiledQuery::Make(request.spec().plan()));
    if (query->aggregating()) {
      SPATE_ASSIGN_OR_RETURN(plan_state, PlanStateStore::Open(dir, memory / 4, query));
    }
  } else {
    std::vector<std::string> args(request.spec().job_args().begin(),
                                  request.spec().job_args().end());
    SPATE_ASSIGN_OR_RETURN(plan, jobs::BuildJob(request.spec().job_name(), args));
    SPATE_ASSIGN_OR_RETURN(state, OpenRocksDbStateStore(dir, memory / 4));
  }
  if (!readers) {
    std::map<std::string, std::string> overrides;
    // Every partition the executor reads keeps fetching between its tasks, up to these limits
    // (per partition): a sixteenth of the executor's memory shared by its partitions (64 MB of
    // 1 GB; a quarter held 190 MB of records per worker in a 10 M catch-up for no gain in
    // speed). librdkafka 2.0 pauses a partition whose queue holds queued.min.messages and may
    // resume it up to a second later when nothing else is fetching, so the byte limit is the
    // one that binds.
    // The executor's share of the topic's partitions (it learns which ones from its tasks).
    const int executors = std::max(1, request.spec().num_executors());
    const int partitions = std::max(
        {1, a.kafka_partitions_size(), (request.topic_partitions() + executors - 1) / executors});
    // At least 32 MB a partition: a 1 s batch at 1 M records/s brings ~25 MB to each of 8.
    const int64_t per_partition_kb =
        std::clamp<int64_t>(memory / 16 / partitions / 1024, 32 << 10, 2'097'151);
    overrides["queued.min.messages"] = "1000000";
    overrides["queued.max.messages.kbytes"] = std::to_string(per_partition_kb);
    // librdkafka 2.0 backs a partition whose queue is full off for fetch.error.backoff.ms
    // (500 ms by default) before it fetches again: with read-ahead bounded, that pause would
    // hold back every batch larger than the bound (a 1 s sustained batch read at 0.6 M/s).
    overrides["fetch.error.backoff.ms"] = "20";
    if (request.spec().has_plan()) {
      for (const auto& [k, v] : request.spec().plan().source().properties()) overrides[k] = v;
    }
    for (const auto& [k, v] : request.spec().conf()) {
      if (k.rfind(kKafkaConfPrefix, 0) == 0) overrides[k.substr(sizeof(kKafkaConfPrefix) - 1)] = v;
    }
    SPATE_ASSIGN_OR_RETURN(
        int64_t stall_ms,
        ParseDurationMs(ConfOr(request.spec(), "spate.source.stall-timeout", "30s")));
    SPATE_ASSIGN_OR_RETURN(
        std::shared_ptr<PartitionReader> shared,
        MakeKafkaReader(
            request.spec().bootstrap(), request.spec().topic(), overrides, stall_ms,
            ConfOr(request.spec(), "spate.source.fail-on-data-loss", "true") == "false"));
    readers = [shared]() -> Result<std::unique_ptr<PartitionReader>> {
      return std::unique_ptr<PartitionReader>(new SharedReader(shared));
    };
  }
  std::unique_ptr<Executor> executor(
      new Executor(request, std::move(plan), std::move(state), transport, std::move(readers)));
  executor->query_ = std::move(query);
  executor->plan_state_ = std::move(plan_state);
  return executor;
}

Executor::Executor(proto::LaunchExecutorRequest request, jobs::CompiledPlan plan,
                   std::unique_ptr<WindowStateStore> state, ShuffleTransport* transport,
                   ReaderFactory readers)
    : spec_(request.spec()),
      assignment_(request.executor()),
      plan_(std::move(plan)),
      state_(std::move(state)),
      transport_(transport),
      readers_(std::move(readers)),
      cores_(std::max(1, request.executor().cores())) {
  prefilter_ = ConfOr(spec_, "spate.source.prefilter", "true") != "false";
  sink_options_ = SinkOptionsOf(spec_, request.job_id());
  if (!spec_.has_plan()) {
    sink_options_.schema.key_column = plan_.key_column;
    sink_options_.schema.count_column = plan_.count_column;
  }
  if (!spec_.checkpoint_dir().empty()) {
    checkpoint_ = std::make_unique<StateCheckpoint>(spec_.checkpoint_dir() + "/state",
                                                    spec_.checkpoint_dir() + "/commits");
  }
  snapshot_interval_ = std::max<int64_t>(
      1, std::atoll(ConfOr(spec_, "spate.checkpoint.snapshot-interval", "10").c_str()));
  int64_t memory = assignment_.memory_bytes() > 0 ? assignment_.memory_bytes() : int64_t{1} << 30;
  inbox_limit_ = memory / 2;
}

Result<std::unique_ptr<PartitionReader>> Executor::TakeReader() {
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    if (!idle_readers_.empty()) {
      auto r = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return r;
    }
  }
  return readers_();
}

void Executor::ReturnReader(std::unique_ptr<PartitionReader> reader) {
  std::lock_guard<std::mutex> lock(readers_mu_);
  idle_readers_.push_back(std::move(reader));
}

Result<proto::SourceTaskReply> Executor::RunSourceTask(const proto::SourceTaskRequest& request,
                                                       const CancelledFn& cancelled) {
  if (query_) return RunPlanSourceTask(request, cancelled);
  CoreSlot slot(this);
  const int concurrent = slot.concurrent;
  auto started = std::chrono::steady_clock::now();

  const uint32_t shuffle_partitions = static_cast<uint32_t>(request.targets_size());
  if (shuffle_partitions == 0)
    return Status::InvalidArgument("source task without shuffle targets");
  Stage1Aggregator agg(plan_, request.watermark_ms(), static_cast<uint32_t>(spec_.key_groups()),
                       shuffle_partitions, prefilter_);
  agg.set_event_time_limit(request.event_time_limit_ms());
  SPATE_ASSIGN_OR_RETURN(auto reader, TakeReader());
  const auto& r = request.range();
  int64_t lost = 0;
  Status read = reader->ReadRange(
      spec_.topic(), r.partition(), r.start_offset(), r.end_offset(),
      [&agg](int64_t offset, std::string_view v) { agg.Add(v, offset); }, &lost);
  if (!read.ok()) return read;  // the reader may be in a bad state: drop it
  ReturnReader(std::move(reader));

  proto::SourceTaskReply reply;
  reply.set_offsets_lost(lost);
  const SourceStats& s = agg.stats();
  reply.set_records_read(s.records);
  reply.set_bytes_read(s.bytes);
  reply.set_rows_matched(s.matched);
  reply.set_rows_late(s.late);
  reply.set_malformed(s.malformed);
  for (size_t i = 1; i < s.malformed_by_reason.size(); ++i) {
    if (s.malformed_by_reason[i] > 0) {
      (*reply.mutable_malformed_by_reason())[std::string(
          MalformedReasonName(static_cast<MalformedReason>(i)))] = s.malformed_by_reason[i];
    }
  }
  for (auto& sample : agg.samples()) {
    sample.set_partition(r.partition());
    sample.set_batch_id(request.batch_id());
    *reply.add_samples() = std::move(sample);
  }
  reply.set_concurrent_tasks(concurrent);
  reply.set_has_event_time(s.has_event_time);
  reply.set_min_event_time_ms(s.min_event_time_ms);
  reply.set_max_event_time_ms(s.max_event_time_ms);
  std::vector<int64_t> entries;
  std::vector<std::string> data = agg.Finish(&entries);
  if (cancelled && cancelled()) return Status::Cancelled("source task cancelled by the master");
  SPATE_RETURN_IF_ERROR(PushBlocks(request, std::move(data), entries, cancelled, &reply));
  reply.set_duration_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count());
  return reply;
}

Status Executor::PushBlocks(const proto::SourceTaskRequest& request, std::vector<std::string> data,
                            const std::vector<int64_t>& entries, const CancelledFn& cancelled,
                            proto::SourceTaskReply* reply) {
  // Blocks split at entry boundaries: partial aggregates for SQL jobs, counts otherwise.
  auto split = [this](std::string d) {
    return query_ ? exec::SplitPartials(std::move(d), kMaxBlockBytes)
                  : SplitEncoded(std::move(d), kMaxBlockBytes);
  };
  for (size_t p = 0; p < data.size(); ++p) {
    int32_t blocks = 0;
    if (entries[p] > 0) {
      auto chunks = split(std::move(data[p]));
      const auto& target = request.targets(static_cast<int>(p));
      for (size_t i = 0; i < chunks.size(); ++i) {
        proto::ShuffleBlock block;
        block.set_job_id(request.job_id());
        block.set_batch_id(request.batch_id());
        block.set_shuffle_partition(static_cast<int32_t>(p));
        block.set_map_partition(request.range().partition());
        block.set_attempt(request.attempt());
        block.set_seq(static_cast<int32_t>(i));
        block.set_last(i + 1 == chunks.size());
        block.set_entries(i + 1 == chunks.size() ? entries[p] : 0);
        reply->set_shuffle_bytes_written(reply->shuffle_bytes_written() +
                                         static_cast<int64_t>(chunks[i].size()));
        if (target.address() != assignment_.address()) {
          reply->set_shuffle_bytes_remote(reply->shuffle_bytes_remote() +
                                          static_cast<int64_t>(chunks[i].size()));
        }
        block.set_data(std::move(chunks[i]));
        block.set_executor_id(target.executor_id());
        SPATE_RETURN_IF_ERROR(transport_->Push(target.address(), block, cancelled)
                                  .WithContext("shuffle to " + target.executor_id()));
        ++blocks;
      }
      reply->set_shuffle_records_written(reply->shuffle_records_written() + entries[p]);
    }
    reply->add_blocks_per_shuffle_partition(blocks);
  }
  return Status::OK();
}

Status Executor::AcceptShuffle(const proto::ShuffleBlock& block) {
  std::lock_guard<std::mutex> lock(inbox_mu_);
  const int64_t size = static_cast<int64_t>(block.data().size());
  if (inbox_bytes_ > 0 && inbox_bytes_ + size > inbox_limit_) {
    return Status::ResourceExhausted("shuffle inbox of " + executor_id() + " is full");
  }
  InboxSlot& slot = inbox_[{block.batch_id(), block.shuffle_partition()}][block.map_partition()];
  if (block.attempt() < slot.attempt) return Status::OK();  // a stale attempt: ignore
  if (block.attempt() > slot.attempt) {
    for (const auto& [seq, d] : slot.blocks) inbox_bytes_ -= static_cast<int64_t>(d.size());
    slot.blocks.clear();
    slot.attempt = block.attempt();
  }
  auto [it, inserted] = slot.blocks.emplace(block.seq(), block.data());
  if (inserted) inbox_bytes_ += size;
  inbox_cv_.notify_all();
  return Status::OK();
}

Result<std::map<int32_t, Executor::InboxSlot>> Executor::TakeBlocks(
    const proto::StateTaskRequest& request, const CancelledFn& cancelled) {
  const InboxKey key{request.batch_id(), request.shuffle_partition()};
  std::map<int32_t, InboxSlot> slots;
  {
    std::unique_lock<std::mutex> lock(inbox_mu_);
    auto complete = [&] {
      auto it = inbox_.find(key);
      for (const auto& want : request.expected()) {
        if (want.blocks() == 0) continue;
        if (it == inbox_.end()) return false;
        auto slot = it->second.find(want.map_partition());
        if (slot == it->second.end() || slot->second.attempt != want.attempt() ||
            static_cast<int32_t>(slot->second.blocks.size()) < want.blocks()) {
          return false;
        }
      }
      return true;
    };
    // Stage 1 replies only after its pushes were acknowledged, so the blocks are normally
    // here already; the wait only covers a reordering inside this process.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool ready = false;
    while (!(ready = complete()) && std::chrono::steady_clock::now() < give_up) {
      if (cancelled && cancelled()) return Status::Cancelled("state task cancelled by the master");
      inbox_cv_.wait_for(lock, std::chrono::milliseconds(100));
    }
    if (!ready) {
      return Status::FailedPrecondition(
          "shuffle blocks of batch " + std::to_string(request.batch_id()) + " partition " +
          std::to_string(request.shuffle_partition()) + " are missing on " + executor_id());
    }
    auto it = inbox_.find(key);
    if (it != inbox_.end()) {
      slots = std::move(it->second);
      inbox_.erase(it);
    }
    // Blocks of older batches for this partition belong to attempts that were abandoned.
    for (auto old = inbox_.begin(); old != inbox_.end();) {
      if (old->first.second == request.shuffle_partition() &&
          old->first.first < request.batch_id()) {
        for (const auto& [mp, slot] : old->second)
          for (const auto& [seq, d] : slot.blocks) inbox_bytes_ -= static_cast<int64_t>(d.size());
        old = inbox_.erase(old);
      } else {
        ++old;
      }
    }
    for (const auto& [mp, slot] : slots)
      for (const auto& [seq, d] : slot.blocks) inbox_bytes_ -= static_cast<int64_t>(d.size());
  }
  return slots;
}

Result<proto::StateTaskReply> Executor::RunStateTask(const proto::StateTaskRequest& request,
                                                     const CancelledFn& cancelled) {
  if (query_) return RunPlanStateTask(request, cancelled);
  CoreSlot slot(this);
  const int concurrent = slot.concurrent;
  auto started = std::chrono::steady_clock::now();
  SPATE_ASSIGN_OR_RETURN(auto slots, TakeBlocks(request, cancelled));

  std::vector<ShuffleEntry> entries;
  int64_t bytes_read = 0;
  KeyGroupRange range{request.key_groups().begin(), request.key_groups().end()};
  for (const auto& want : request.expected()) {
    auto slot = slots.find(want.map_partition());
    // Blocks of another attempt (one that wrote where the expected attempt did not) are stale.
    if (slot == slots.end() || slot->second.attempt != want.attempt()) continue;
    for (const auto& [seq, data] : slot->second.blocks) {
      bytes_read += static_cast<int64_t>(data.size());
      ShuffleDecoder decoder(data);
      ShuffleEntry e;
      while (decoder.Next(&e)) {
        if (!range.Contains(e.key_group)) {
          return Status::Internal("shuffle entry of key group " + std::to_string(e.key_group) +
                                  " routed to the wrong partition");
        }
        entries.push_back(e);
      }
      if (decoder.corrupt()) return Status::Corruption("corrupt shuffle block");
    }
  }
  proto::StateTaskReply reply;
  // The local state must be at the last committed batch before this one is applied: it is not
  // when this executor took the range over, or applied this batch before it was replayed.
  SPATE_ASSIGN_OR_RETURN(int64_t local_version, state_->Version(range));
  if (local_version != request.committed_batch()) {
    if (!checkpoint_ && request.committed_batch() >= 0) {
      return Status::FailedPrecondition("state of key groups " + std::to_string(range.begin) + "-" +
                                        std::to_string(range.end - 1) +
                                        " must be restored but the job has no checkpoint dir");
    }
    auto restore_started = std::chrono::steady_clock::now();
    std::vector<OwnedEntry> restored;
    if (checkpoint_) {
      SPATE_ASSIGN_OR_RETURN(restored,
                             checkpoint_->Load(range, request.committed_batch(),
                                               request.committed_watermark_ms(), plan_.window_ms));
    }
    SPATE_RETURN_IF_ERROR(state_->Reset(range, restored, request.committed_batch()));
    reply.set_restored(true);
    reply.set_restored_rows(static_cast<int64_t>(restored.size()));
    reply.set_restore_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - restore_started)
                             .count());
    spdlog::info("executor {}: restored key groups {}-{} at batch {} from the checkpoint: {} rows",
                 executor_id(), range.begin, range.end - 1, request.committed_batch(),
                 restored.size());
  }
  SPATE_ASSIGN_OR_RETURN(ApplyResult applied,
                         state_->ApplyBatch(range, entries, request.watermark_ms(), plan_.window_ms,
                                            plan_.having_more_than, request.batch_id()));
  if (checkpoint_) {
    if (request.batch_id() % snapshot_interval_ == 0) {
      SPATE_ASSIGN_OR_RETURN(auto state, state_->Dump(range));
      SPATE_RETURN_IF_ERROR(
          checkpoint_->WriteSnapshot(request.batch_id(), request.attempt(), range, state));
    } else {
      SPATE_RETURN_IF_ERROR(
          checkpoint_->WriteDelta(request.batch_id(), request.attempt(), range, entries));
    }
  }
  std::vector<proto::ResultRow> rows;
  rows.reserve(applied.rows.size());
  for (const auto& row : applied.rows) {
    auto& r = rows.emplace_back();
    r.set_window_start_ms(row.window_start_ms);
    r.set_window_end_ms(row.window_start_ms + plan_.window_ms);
    r.set_key(row.key);
    r.set_count(row.count);
  }
  bool written = false;
  SPATE_RETURN_IF_ERROR(WriteSink(request.batch_id(), request.shuffle_partition(), &rows,
                                  reply.mutable_sink(), &written));
  if (!written) reply.clear_sink();
  for (auto& r : rows) *reply.add_rows() = std::move(r);
  reply.set_concurrent_tasks(concurrent);
  reply.set_rows_merged(applied.rows_merged);
  reply.set_state_rows(applied.state_rows);
  reply.set_state_bytes(applied.state_bytes);
  reply.set_shuffle_bytes_read(bytes_read);
  reply.set_duration_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count());
  return reply;
}

Status Executor::WriteSink(int64_t batch_id, int32_t part, std::vector<proto::ResultRow>* rows,
                           proto::SinkWrite* out, bool* written) {
  *written = false;
  if (sink_options_.spec.empty() || sink_options_.spec == "console") return Status::OK();
  const auto started = std::chrono::steady_clock::now();
  SinkSlot* slot;
  {
    std::lock_guard<std::mutex> lock(sinks_mu_);
    auto& s = sinks_[part];
    if (!s) s = std::make_unique<SinkSlot>();
    slot = s.get();
  }
  std::lock_guard<std::mutex> lock(slot->mu);
  if (!slot->sink) {
    SPATE_ASSIGN_OR_RETURN(slot->sink, MakeSink(sink_options_, part));
  }
  Status s = slot->sink->WriteBatch(batch_id, part, *rows);
  if (!s.ok()) {
    slot->sink.reset();  // a Kafka producer in doubt is made anew (which fences the old one)
    return s.WithContext("sink " + sink_options_.spec);
  }
  int64_t min_end = INT64_MAX;
  for (const auto& r : *rows) {
    if (r.window_end_ms() != INT64_MIN) min_end = std::min(min_end, r.window_end_ms());
  }
  out->set_rows(static_cast<int64_t>(rows->size()));
  out->set_min_window_end_ms(min_end);
  out->set_write_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count());
  if (rows->size() > static_cast<size_t>(kSinkPreviewRows)) rows->resize(kSinkPreviewRows);
  *written = true;
  return Status::OK();
}

}  // namespace spate::worker
