#include "worker/source_task.h"

#include <cstring>

#include "common/key_group.h"
#include "common/text.h"
#include "common/window.h"
#include "worker/shuffle_codec.h"

namespace spate::worker {

Stage1Aggregator::Stage1Aggregator(const jobs::CompiledPlan& plan, int64_t watermark_ms,
                                   uint32_t key_groups, uint32_t shuffle_partitions, bool prefilter)
    : plan_(plan),
      watermark_ms_(watermark_ms),
      key_groups_(key_groups),
      shuffle_partitions_(shuffle_partitions),
      prefilter_(prefilter && !plan.prefilter.empty()) {}

void Stage1Aggregator::Sample(const char* kind, std::string_view reason, std::string_view value,
                              int64_t offset, int64_t event_time_ms) {
  proto::RecordSample& s = samples_.emplace_back();
  s.set_kind(kind);
  s.set_reason(std::string(reason));
  s.set_offset(offset);
  s.set_truncated(value.size() > kMaxSampleBytes);
  s.set_value(std::string(value.substr(0, kMaxSampleBytes)));
  if (event_time_ms != INT64_MIN) {
    s.set_event_time_ms(event_time_ms);
    s.set_watermark_ms(watermark_ms_);
  }
}

void Stage1Aggregator::Malformed(MalformedReason reason, std::string_view value, int64_t offset) {
  ++stats_.malformed;
  ++stats_.malformed_by_reason[static_cast<size_t>(reason)];
  if (malformed_samples_ < kMaxSamples) {
    ++malformed_samples_;
    Sample("malformed", MalformedReasonName(reason), value, offset, INT64_MIN);
  }
}

void Stage1Aggregator::Add(std::string_view value, int64_t offset) {
  ++stats_.records;
  stats_.bytes += static_cast<int64_t>(value.size());
  // A record can only match if its bytes hold the needle, or an escape that could spell it.
  if (prefilter_ && !RawJsonMayContainIgnoreCase(value, plan_.prefilter)) {
    return;
  }
  LogRecordView rec;
  ParseOutcome outcome = parser_.Parse(value, plan_.required_fields, &rec);
  if (!outcome.ok()) {
    Malformed(outcome.reason, value, offset);
    return;
  }
  for (const auto& f : plan_.filters) {
    if (!f.Matches(rec)) return;
  }
  const int64_t ts = rec.timestamp_ms;
  if (event_time_limit_ms_ != 0 && ts > event_time_limit_ms_) {
    // Far ahead of the wall clock: it would hold the watermark at its time for good.
    Malformed(MalformedReason::kFutureEventTime, value, offset);
    return;
  }
  ++stats_.matched;
  if (!stats_.has_event_time) {
    stats_.has_event_time = true;
    stats_.min_event_time_ms = stats_.max_event_time_ms = ts;
  } else {
    if (ts < stats_.min_event_time_ms) stats_.min_event_time_ms = ts;
    if (ts > stats_.max_event_time_ms) stats_.max_event_time_ms = ts;
  }
  const int64_t ws = WindowStart(ts, plan_.window_ms);
  if (WindowEnd(ws, plan_.window_ms) <= watermark_ms_) {
    ++stats_.late;
    if (late_samples_ < kMaxSamples) {
      ++late_samples_;
      Sample("late", "", value, offset, ts);
    }
    return;
  }
  std::string_view key = plan_.key_field == kFieldUserId     ? rec.user_id
                         : plan_.key_field == kFieldSourceIp ? rec.source_ip
                         : plan_.key_field == kFieldSeverity ? rec.severity
                         : plan_.key_field == kFieldStatus   ? rec.status
                                                             : rec.content;
  scratch_.resize(8);
  std::memcpy(scratch_.data(), &ws, 8);
  scratch_.append(key);
  auto it = counts_.find(std::string_view(scratch_));
  if (it != counts_.end()) {
    ++it->second;
  } else {
    counts_.emplace(scratch_, 1);
  }
}

std::vector<std::string> Stage1Aggregator::Finish(std::vector<int64_t>* entries) {
  std::vector<std::string> out(shuffle_partitions_);
  entries->assign(shuffle_partitions_, 0);
  for (const auto& [k, count] : counts_) {
    ShuffleEntry e;
    std::memcpy(&e.window_start_ms, k.data(), 8);
    e.key = std::string_view(k).substr(8);
    e.key_group = KeyGroupOf(e.key, key_groups_);
    e.count = count;
    uint32_t p = PartitionOfKeyGroup(e.key_group, shuffle_partitions_, key_groups_);
    AppendEntry(e, &out[p]);
    ++(*entries)[p];
  }
  counts_.clear();
  return out;
}

}  // namespace spate::worker
