#include "exec/query.h"

#include <algorithm>
#include <cstring>

#include "common/key_group.h"
#include "common/text.h"
#include "common/window.h"
#include "exec/partial.h"
#include "exec/row_codec.h"
#include "exec/window_assign.h"

namespace spate::exec {
namespace {

constexpr size_t kStateBlockBytes = 64 << 10;

Result<std::unique_ptr<CompiledExpr>> CompileNamed(const proto::Expr& e, const char* what) {
  auto c = CompiledExpr::Compile(e);
  if (!c.ok()) return c.status().WithContext(what);
  return c;
}

Status CompileAll(const google::protobuf::RepeatedPtrField<proto::Expr>& in, const char* what,
                  std::vector<std::unique_ptr<CompiledExpr>>* out) {
  for (const auto& e : in) {
    SPATE_ASSIGN_OR_RETURN(auto c, CompileNamed(e, what));
    out->push_back(std::move(c));
  }
  return Status::OK();
}

}  // namespace

Result<std::shared_ptr<const CompiledQuery>> CompiledQuery::Make(const proto::QueryPlan& plan) {
  std::shared_ptr<CompiledQuery> q(new CompiledQuery());
  q->plan_ = plan;
  q->decoded_ = static_cast<size_t>(plan.source().columns_size());
  SPATE_RETURN_IF_ERROR(CompileAll(plan.computed(), "computed column", &q->computed_));
  SPATE_RETURN_IF_ERROR(CompileAll(plan.filters(), "WHERE", &q->filters_));
  SPATE_RETURN_IF_ERROR(CompileAll(plan.group_keys(), "GROUP BY", &q->keys_));
  for (const auto& o : plan.outputs()) {
    SPATE_ASSIGN_OR_RETURN(auto c, CompileNamed(o.expr(), "SELECT"));
    q->outputs_.push_back(std::move(c));
    q->output_names_.push_back(o.name());
    q->output_types_.push_back(o.expr().type());
  }
  if (plan.has_having()) {
    SPATE_ASSIGN_OR_RETURN(q->having_, CompileNamed(plan.having(), "HAVING"));
  }
  if (plan.aggregate()) {
    SPATE_ASSIGN_OR_RETURN(q->aggregates_, AggregateSet::Make(plan.aggregates()));
    const auto& w = plan.window();
    if ((w.kind() == proto::WINDOW_TUMBLE && w.size_ms() <= 0) ||
        (w.kind() == proto::WINDOW_HOP && (w.size_ms() <= 0 || w.slide_ms() <= 0)) ||
        (w.kind() == proto::WINDOW_SESSION && w.gap_ms() <= 0)) {
      return Status::InvalidArgument("plan: window size, slide and gap must be positive");
    }
    if (w.kind() != proto::WINDOW_NONE &&
        (w.time_column() < 0 || static_cast<size_t>(w.time_column()) >= q->source_width())) {
      return Status::InvalidArgument("plan: window time column out of range");
    }
  }
  if (plan.event_time_column() >= 0 &&
      static_cast<size_t>(plan.event_time_column()) >= q->source_width()) {
    return Status::InvalidArgument("plan: event time column out of range");
  }
  return std::shared_ptr<const CompiledQuery>(std::move(q));
}

int64_t CompiledQuery::EndOf(int64_t start) const {
  const auto& w = plan_.window();
  switch (w.kind()) {
    case proto::WINDOW_TUMBLE:
    case proto::WINDOW_HOP:
      return WindowEnd(start, w.size_ms());
    case proto::WINDOW_SESSION:
      return WindowEnd(start, w.gap_ms());
    default:
      return INT64_MAX;
  }
}

size_t Stage1::Hash::operator()(std::string_view s) const { return KeyHash(s); }

Result<std::unique_ptr<Stage1>> Stage1::Make(std::shared_ptr<const CompiledQuery> query,
                                             int64_t watermark_ms, uint32_t key_groups,
                                             uint32_t shuffle_partitions, bool prefilter) {
  SPATE_ASSIGN_OR_RETURN(auto decoder, RowDecoder::Make(query->plan().source()));
  if (query->aggregating() && (shuffle_partitions == 0 || key_groups == 0)) {
    return Status::InvalidArgument("stage 1 of an aggregating query needs shuffle targets");
  }
  return std::unique_ptr<Stage1>(new Stage1(std::move(query), std::move(decoder), watermark_ms,
                                            key_groups, shuffle_partitions, prefilter));
}

Stage1::Stage1(std::shared_ptr<const CompiledQuery> query, std::unique_ptr<RowDecoder> decoder,
               int64_t watermark_ms, uint32_t key_groups, uint32_t shuffle_partitions,
               bool prefilter)
    : query_(std::move(query)),
      decoder_(std::move(decoder)),
      aggs_(query_->aggregates()),
      watermark_ms_(watermark_ms),
      key_groups_(key_groups),
      shuffle_partitions_(shuffle_partitions),
      prefilter_(prefilter && !query_->plan().prefilter().empty()),
      row_(query_->source_width()),
      keys_(query_->keys().size()),
      outputs_(query_->aggregating() ? 0 : query_->outputs().size()),
      agg_args_(aggs_ ? aggs_->arg_count() : 0),
      panes_possible_(query_->window().kind() == proto::WINDOW_HOP &&
                      query_->window().slide_ms() > 0 &&
                      query_->window().size_ms() % query_->window().slide_ms() == 0) {}

Stage1::~Stage1() {
  if (aggs_) {
    for (auto& [k, state] : groups_) aggs_->Destroy(state);
    for (auto& [k, state] : panes_) aggs_->Destroy(state);
  }
}

char* Stage1::NewState() {
  const size_t size = (aggs_->state_size() + 7) & ~size_t{7};
  if (state_blocks_.empty() || state_used_ + size > kStateBlockBytes) {
    state_blocks_.emplace_back(new char[std::max(kStateBlockBytes, size)]);
    state_used_ = 0;
  }
  char* p = state_blocks_.back().get() + state_used_;
  state_used_ += size;
  aggs_->Init(p);
  return p;
}

void Stage1::Sample(const char* kind, std::string_view reason, std::string_view value,
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

void Stage1::Malformed(MalformedReason reason, std::string_view field, std::string_view value,
                       int64_t offset) {
  ++stats_.malformed;
  ++stats_.malformed_by_reason[static_cast<size_t>(reason) % stats_.malformed_by_reason.size()];
  if (malformed_samples_ < kMaxSamples) {
    ++malformed_samples_;
    std::string why(MalformedReasonName(reason));
    if (!field.empty()) why += " (" + std::string(field) + ")";
    Sample("malformed", why, value, offset, INT64_MIN);
  }
}

std::string_view Stage1::ColumnName(size_t column) const {
  const auto& p = query_->plan();
  const size_t decoded = query_->decoded_width();
  if (column < decoded) return p.source().columns(static_cast<int>(column)).name();
  if (column - decoded < static_cast<size_t>(p.computed_names_size()))
    return p.computed_names(static_cast<int>(column - decoded));
  return "event time";
}

void Stage1::Add(std::string_view value, int64_t offset) {
  ++stats_.records;
  stats_.bytes += static_cast<int64_t>(value.size());
  // A record can only pass WHERE if its bytes hold the needle, or an escape that could spell it.
  if (prefilter_ && !RawJsonMayContainIgnoreCase(value, query_->plan().prefilter())) return;
  DecodeOutcome outcome = decoder_->Decode(value, row_.data());
  if (!outcome.ok()) {
    Malformed(outcome.reason, outcome.field, value, offset);
    return;
  }
  arena_.Reset();
  const size_t decoded = query_->decoded_width();
  const auto& computed = query_->computed();
  for (size_t i = 0; i < computed.size(); ++i) {
    row_[decoded + i] = computed[i]->Eval(row_.data(), &arena_);
  }
  for (const auto& f : query_->filters()) {
    if (!IsTrue(f->Eval(row_.data(), &arena_))) return;
  }
  ++stats_.matched;
  const int et = query_->plan().event_time_column();
  int64_t ts = 0;
  if (et >= 0) {
    const Value& t = row_[static_cast<size_t>(et)];
    if (t.kind != ValueKind::kInt) {
      --stats_.matched;
      Malformed(MalformedReason::kMissingField, ColumnName(static_cast<size_t>(et)), value, offset);
      return;
    }
    ts = t.i;
    if (event_time_limit_ms_ != 0 && ts > event_time_limit_ms_) {
      // Far ahead of the wall clock: it would hold the watermark at its time for good.
      --stats_.matched;
      Malformed(MalformedReason::kFutureEventTime, ColumnName(static_cast<size_t>(et)), value,
                offset);
      return;
    }
    if (!stats_.has_event_time) {
      stats_.has_event_time = true;
      stats_.min_event_time_ms = stats_.max_event_time_ms = ts;
    } else {
      stats_.min_event_time_ms = std::min(stats_.min_event_time_ms, ts);
      stats_.max_event_time_ms = std::max(stats_.max_event_time_ms, ts);
    }
  }
  if (!query_->aggregating()) {
    std::vector<Value>& out = outputs_;
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = query_->outputs()[i]->Eval(row_.data(), &arena_);
    std::string& json = rows_.emplace_back();
    AppendJsonRow(query_->output_names().data(), query_->output_types().data(), out.data(),
                  out.size(), &json);
    return;
  }
  const auto& w = query_->window();
  int64_t wts = 0;
  int64_t pane = 0;  // HOP: the start of the slide-long pane that holds the record
  if (w.kind() != proto::WINDOW_NONE) {
    const Value& t = row_[static_cast<size_t>(w.time_column())];
    if (t.kind != ValueKind::kInt) {
      --stats_.matched;
      Malformed(MalformedReason::kMissingField, ColumnName(static_cast<size_t>(w.time_column())),
                value, offset);
      return;
    }
    wts = t.i;
    // Sessions: a record older than the watermark is late (it could otherwise reach into a
    // session already emitted). Tumbling and sliding windows: late when its newest window closed
    // (for HOP the one that starts with the record's pane: the size is a multiple of the slide).
    bool late;
    if (w.kind() == proto::WINDOW_SESSION) {
      late = wts < watermark_ms_;
    } else if (w.kind() == proto::WINDOW_HOP) {
      pane = ShiftedWindowStart(wts, w.slide_ms(), w.offset_ms());
      late = CompiledQuery::Closed(query_->EndOf(pane), watermark_ms_);
      // Panes need the size to be a multiple of the slide (the planner makes it so) and a start
      // that is not clamped at INT64_MIN (see ShiftedWindowStart).
      if (!panes_possible_ || static_cast<__int128>(pane) - w.slide_ms() <
                                  static_cast<__int128>(INT64_MIN) + w.size_ms()) {
        pane = INT64_MIN;
      }
    } else {
      late = CompiledQuery::Closed(LastWindowEnd(w, wts), watermark_ms_);
    }
    if (late) {
      ++stats_.late;
      if (late_samples_ < kMaxSamples) {
        ++late_samples_;
        Sample("late", "", value, offset, wts);
      }
      return;
    }
  }
  for (size_t i = 0; i < keys_.size(); ++i)
    keys_[i] = query_->keys()[i]->Eval(row_.data(), &arena_);
  scratch_.resize(8);
  EncodeKey(keys_.data(), keys_.size(), &scratch_);
  if (w.kind() == proto::WINDOW_HOP && pane != INT64_MIN) {
    // One state per (pane, key), as Flink slices sliding windows: Finish merges each pane into
    // the size / slide windows that hold it, so a record costs one update, not one a window.
    aggs_->EvalArgs(row_.data(), &arena_, agg_args_.data());
    std::memcpy(scratch_.data(), &pane, 8);
    aggs_->UpdateArgs(GroupState(&panes_), agg_args_.data());
    return;
  }
  // The aggregates' arguments are evaluated once per record, not once per window it falls in.
  bool have_args = false;
  AssignWindows(w, wts, [&](int64_t start, int64_t) {
    if (CompiledQuery::Closed(query_->EndOf(start), watermark_ms_)) return;  // an older HOP pane
    if (!have_args) {
      aggs_->EvalArgs(row_.data(), &arena_, agg_args_.data());
      have_args = true;
    }
    std::memcpy(scratch_.data(), &start, 8);
    aggs_->UpdateArgs(GroupState(&groups_), agg_args_.data());
  });
}

char* Stage1::GroupState(GroupMap* groups) {
  auto it = groups->find(std::string_view(scratch_));
  return it != groups->end() ? it->second : groups->emplace(scratch_, NewState()).first->second;
}

std::vector<std::string> Stage1::Finish(std::vector<int64_t>* entries) {
  std::vector<std::string> out(query_->aggregating() ? shuffle_partitions_ : 0);
  entries->assign(out.size(), 0);
  if (!query_->aggregating()) return out;
  struct Item {
    std::string_view key;
    int64_t start, end;
    std::string state;
  };
  std::vector<Item> items;
  items.reserve(groups_.size());
  // (window start, key) -> its item's index, once there are panes.
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> index;
  for (const auto& [k, state] : groups_) {
    Item& it = items.emplace_back();
    std::memcpy(&it.start, k.data(), 8);
    it.end = query_->EndOf(it.start);
    it.key = std::string_view(k).substr(8);
    aggs_->Serialize(state, &it.state);
    if (!panes_.empty()) index.emplace(k, items.size() - 1);
  }
  // Each (pane, key) into every window that holds the pane and has not closed (the windows of a
  // pane are those of its first millisecond), merged per (window, key).
  std::string pane_state, window_key;
  for (const auto& pane_group : panes_) {
    const std::string& k = pane_group.first;  // a plain reference: lambdas capture it
    const char* state = pane_group.second;
    int64_t pane;
    std::memcpy(&pane, k.data(), 8);
    pane_state.clear();
    aggs_->Serialize(state, &pane_state);
    AssignWindows(query_->window(), pane, [&](int64_t start, int64_t) {
      if (CompiledQuery::Closed(query_->EndOf(start), watermark_ms_)) return;
      window_key.assign(k);
      std::memcpy(window_key.data(), &start, 8);
      const auto [slot, fresh] = index.emplace(window_key, items.size());
      if (!fresh) {
        (void)aggs_->Merge(&items[slot->second].state, pane_state);
        return;
      }
      Item& it = items.emplace_back();
      it.start = start;
      it.end = query_->EndOf(start);
      it.key = std::string_view(k).substr(8);
      it.state = pane_state;
    });
  }
  if (query_->session()) {
    // Sessions of one key that overlap or touch merge into one (as Flink's TimeWindow.intersects):
    // sort by (key, start), then sweep.
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      return a.key != b.key ? a.key < b.key : a.start < b.start;
    });
    std::vector<Item> merged;
    for (auto& it : items) {
      if (!merged.empty() && merged.back().key == it.key && it.start <= merged.back().end) {
        Item& m = merged.back();
        m.end = std::max(m.end, it.end);
        (void)aggs_->Merge(&m.state, it.state);
      } else {
        merged.push_back(std::move(it));
      }
    }
    items = std::move(merged);
  }
  for (const auto& it : items) {
    PartialEntry e{KeyGroupOf(it.key, key_groups_), it.start, it.end, it.key, it.state};
    const uint32_t p = PartitionOfKeyGroup(e.key_group, shuffle_partitions_, key_groups_);
    AppendPartial(e, &out[p]);
    ++(*entries)[p];
  }
  for (auto& [k, state] : groups_) aggs_->Destroy(state);
  for (auto& [k, state] : panes_) aggs_->Destroy(state);
  groups_.clear();
  panes_.clear();
  state_blocks_.clear();
  state_used_ = 0;
  return out;
}

Finalizer::Finalizer(std::shared_ptr<const CompiledQuery> query)
    : query_(std::move(query)), row_(query_->aggregate_width()), out_(query_->outputs().size()) {}

Result<bool> Finalizer::Finish(std::string_view key, int64_t start, int64_t end,
                               std::string_view state, std::string* json, std::string* key_text) {
  arena_.Reset();
  const size_t nkeys = query_->keys().size();
  const size_t naggs = query_->aggregates()->size();
  SPATE_RETURN_IF_ERROR(DecodeKey(key, row_.data(), nkeys));
  SPATE_RETURN_IF_ERROR(query_->aggregates()->Finalize(state, row_.data() + nkeys, &arena_));
  row_[nkeys + naggs] = Value::Int(start);
  row_[nkeys + naggs + 1] = Value::Int(end);
  if (query_->having() && !IsTrue(query_->having()->Eval(row_.data(), &arena_))) return false;
  for (size_t i = 0; i < out_.size(); ++i)
    out_[i] = query_->outputs()[i]->Eval(row_.data(), &arena_);
  AppendJsonRow(query_->output_names().data(), query_->output_types().data(), out_.data(),
                out_.size(), json);
  if (key_text) {
    key_text->clear();
    for (size_t i = 0; i < nkeys; ++i) {
      if (i > 0) key_text->push_back(',');
      key_text->append(FormatValue(row_[i], query_->plan().group_keys(static_cast<int>(i)).type()));
    }
  }
  return true;
}

}  // namespace spate::exec
