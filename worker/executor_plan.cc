// The executor's tasks for SQL jobs: the plan's stage 1 (exec::Stage1) and stage 2
// (PlanStateStore + exec::Finalizer), with the same shuffle, inbox and checkpoint protocol as
// the compiled jobs' tasks in executor.cc.
#include <spdlog/spdlog.h>

#include <chrono>

#include "exec/partial.h"
#include "worker/executor.h"

namespace spate::worker {
namespace {

int64_t MsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

}  // namespace

Result<proto::SourceTaskReply> Executor::RunPlanSourceTask(const proto::SourceTaskRequest& request,
                                                           const CancelledFn& cancelled) {
  CoreSlot slot(this);
  const int concurrent = slot.concurrent;
  auto started = std::chrono::steady_clock::now();
  const uint32_t shuffle_partitions = static_cast<uint32_t>(request.targets_size());
  SPATE_ASSIGN_OR_RETURN(auto stage1, exec::Stage1::Make(query_, request.watermark_ms(),
                                                         static_cast<uint32_t>(spec_.key_groups()),
                                                         shuffle_partitions, prefilter_));
  stage1->set_event_time_limit(request.event_time_limit_ms());
  SPATE_ASSIGN_OR_RETURN(auto reader, TakeReader());
  const auto& r = request.range();
  exec::Stage1* s1 = stage1.get();
  int64_t lost = 0;
  Status read = reader->ReadRange(
      spec_.topic(), r.partition(), r.start_offset(), r.end_offset(),
      [s1](int64_t offset, std::string_view v) { s1->Add(v, offset); }, &lost);
  if (!read.ok()) return read;  // the reader may be in a bad state: drop it
  ReturnReader(std::move(reader));

  proto::SourceTaskReply reply;
  reply.set_offsets_lost(lost);
  const exec::Stage1Stats& s = stage1->stats();
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
  for (auto& sample : stage1->samples()) {
    sample.set_partition(r.partition());
    sample.set_batch_id(request.batch_id());
    *reply.add_samples() = std::move(sample);
  }
  reply.set_concurrent_tasks(concurrent);
  reply.set_has_event_time(s.has_event_time);
  reply.set_min_event_time_ms(s.min_event_time_ms);
  reply.set_max_event_time_ms(s.max_event_time_ms);
  if (!stage1->rows().empty()) {
    // A stateless query's rows: this task's part of the batch is its Kafka partition's.
    std::vector<proto::ResultRow> rows;
    rows.reserve(stage1->rows().size());
    for (auto& json : stage1->rows()) {
      auto& row = rows.emplace_back();
      row.set_window_start_ms(INT64_MIN);
      row.set_window_end_ms(INT64_MIN);
      row.set_json(std::move(json));
    }
    bool written = false;
    SPATE_RETURN_IF_ERROR(
        WriteSink(request.batch_id(), r.partition(), &rows, reply.mutable_sink(), &written));
    if (!written) reply.clear_sink();
    for (auto& row : rows) reply.add_rows(std::move(*row.mutable_json()));
  }
  if (query_->aggregating()) {
    std::vector<int64_t> entries;
    std::vector<std::string> data = stage1->Finish(&entries);
    if (cancelled && cancelled()) return Status::Cancelled("source task cancelled by the master");
    SPATE_RETURN_IF_ERROR(PushBlocks(request, std::move(data), entries, cancelled, &reply));
  }
  reply.set_duration_ms(MsSince(started));
  return reply;
}

Result<proto::StateTaskReply> Executor::RunPlanStateTask(const proto::StateTaskRequest& request,
                                                         const CancelledFn& cancelled) {
  CoreSlot slot(this);
  const int concurrent = slot.concurrent;
  auto started = std::chrono::steady_clock::now();
  if (!plan_state_) return Status::InvalidArgument("a stateless query has no state tasks");
  SPATE_ASSIGN_OR_RETURN(auto slots, TakeBlocks(request, cancelled));

  std::vector<exec::PartialEntry> entries;
  int64_t bytes_read = 0;
  KeyGroupRange range{request.key_groups().begin(), request.key_groups().end()};
  for (const auto& want : request.expected()) {
    auto it = slots.find(want.map_partition());
    if (it == slots.end() || it->second.attempt != want.attempt()) continue;
    for (const auto& [seq, data] : it->second.blocks) {
      bytes_read += static_cast<int64_t>(data.size());
      exec::PartialDecoder decoder(data);
      exec::PartialEntry e;
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
  SPATE_ASSIGN_OR_RETURN(int64_t local_version, plan_state_->Version(range));
  if (local_version != request.committed_batch()) {
    if (!checkpoint_ && request.committed_batch() >= 0) {
      return Status::FailedPrecondition("state of key groups " + std::to_string(range.begin) + "-" +
                                        std::to_string(range.end - 1) +
                                        " must be restored but the job has no checkpoint dir");
    }
    auto restore_started = std::chrono::steady_clock::now();
    std::vector<exec::OwnedPartial> restored;
    if (checkpoint_) {
      SPATE_ASSIGN_OR_RETURN(restored, LoadPlanState(*checkpoint_, range, request.committed_batch(),
                                                     request.committed_watermark_ms(), *query_));
    }
    SPATE_RETURN_IF_ERROR(plan_state_->Reset(range, restored, request.committed_batch()));
    reply.set_restored(true);
    reply.set_restored_rows(static_cast<int64_t>(restored.size()));
    reply.set_restore_ms(MsSince(restore_started));
    spdlog::info("executor {}: restored key groups {}-{} at batch {} from the checkpoint: {} rows",
                 executor_id(), range.begin, range.end - 1, request.committed_batch(),
                 restored.size());
  }
  exec::Finalizer finalizer(query_);
  SPATE_ASSIGN_OR_RETURN(PlanApplyResult applied,
                         plan_state_->ApplyBatch(range, entries, request.watermark_ms(),
                                                 request.batch_id(), &finalizer));
  if (checkpoint_) {
    if (request.batch_id() % snapshot_interval_ == 0) {
      SPATE_ASSIGN_OR_RETURN(auto state, plan_state_->Dump(range));
      SPATE_RETURN_IF_ERROR(WritePlanSnapshot(checkpoint_.get(), request.batch_id(),
                                              request.attempt(), range, state));
    } else {
      SPATE_RETURN_IF_ERROR(
          WritePlanDelta(checkpoint_.get(), request.batch_id(), request.attempt(), range, entries));
    }
  }
  std::vector<proto::ResultRow> rows;
  rows.reserve(applied.rows.size());
  for (auto& row : applied.rows) {
    auto& r = rows.emplace_back();
    r.set_window_start_ms(row.window_start_ms);
    r.set_window_end_ms(row.window_end_ms);
    r.set_json(std::move(row.json));
    r.set_key(std::move(row.key));
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
  reply.set_duration_ms(MsSince(started));
  return reply;
}

}  // namespace spate::worker
