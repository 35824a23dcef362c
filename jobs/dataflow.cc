#include "jobs/dataflow.h"

#include <algorithm>
#include <cctype>

#include "common/text.h"

namespace spate::jobs {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string_view FieldValue(const LogRecordView& r, RecordField f) {
  switch (f) {
    case kFieldStatus:
      return r.status;
    case kFieldSeverity:
      return r.severity;
    case kFieldSourceIp:
      return r.source_ip;
    case kFieldUserId:
      return r.user_id;
    case kFieldContent:
      return r.content;
    default:
      return {};
  }
}

}  // namespace

std::string_view FieldName(RecordField field) {
  switch (field) {
    case kFieldTimestamp:
      return "timestamp";
    case kFieldStatus:
      return "status";
    case kFieldSeverity:
      return "severity";
    case kFieldSourceIp:
      return "source_ip";
    case kFieldUserId:
      return "user_id";
    case kFieldContent:
      return "content";
    default:
      return "?";
  }
}

Predicate Predicate::EqualsAny(RecordField field, std::vector<std::string> values) {
  Predicate p;
  p.kind = Kind::kEqualsAny;
  p.field = field;
  for (auto& v : values) p.values.push_back(Lower(std::move(v)));
  return p;
}

Predicate Predicate::Contains(RecordField field, std::string needle) {
  Predicate p;
  p.kind = Kind::kContains;
  p.field = field;
  p.values.push_back(Lower(std::move(needle)));
  return p;
}

bool Predicate::Matches(const LogRecordView& record) const {
  std::string_view v = FieldValue(record, field);
  if (kind == Kind::kContains) return ContainsIgnoreCase(v, values.front());
  return std::any_of(values.begin(), values.end(),
                     [&](const std::string& want) { return EqualsIgnoreCase(v, want); });
}

Pipeline Pipeline::FromKafka() {
  Pipeline p;
  p.plan_.required_fields = kFieldTimestamp;
  return p;
}

Pipeline& Pipeline::Filter(Predicate p) {
  plan_.required_fields |= p.field;
  // The longest contains-needle is the cheapest raw-byte pre-filter: a record whose bytes
  // lack it cannot match, so it need not be parsed.
  if (p.kind == Predicate::Kind::kContains && p.values.front().size() > plan_.prefilter.size()) {
    plan_.prefilter = p.values.front();
  }
  plan_.filters.push_back(std::move(p));
  return *this;
}

Pipeline& Pipeline::Project(uint32_t fields) {
  projected_ = fields | kFieldTimestamp;
  return *this;
}

Pipeline& Pipeline::KeyBy(RecordField field, std::string column_name) {
  plan_.key_field = field;
  plan_.key_column = std::move(column_name);
  plan_.required_fields |= field;
  has_key_ = true;
  return *this;
}

Pipeline& Pipeline::TumblingWindow(int64_t size_ms, int64_t watermark_delay_ms) {
  plan_.window_ms = size_ms;
  plan_.watermark_delay_ms = watermark_delay_ms;
  has_window_ = true;
  return *this;
}

Pipeline& Pipeline::Count(std::string column_name) {
  plan_.count_column = std::move(column_name);
  has_count_ = true;
  return *this;
}

Pipeline& Pipeline::HavingMoreThan(int64_t threshold) {
  plan_.having_more_than = threshold;
  return *this;
}

Result<CompiledPlan> Pipeline::Compile() const {
  if (!has_key_) return Status::InvalidArgument("pipeline has no key (KeyBy)");
  if (!has_window_) return Status::InvalidArgument("pipeline has no window (TumblingWindow)");
  if (!has_count_) return Status::InvalidArgument("pipeline has no aggregate (Count)");
  if (plan_.window_ms <= 0) return Status::InvalidArgument("window must be positive");
  if (plan_.watermark_delay_ms < 0) return Status::InvalidArgument("watermark must be >= 0");
  if ((projected_ & plan_.key_field) == 0) {
    return Status::InvalidArgument("key field " + std::string(FieldName(plan_.key_field)) +
                                   " is projected away");
  }
  CompiledPlan plan = plan_;
  std::string d = "kafka";
  for (const auto& f : plan.filters) {
    d += " -> filter(" + std::string(FieldName(f.field)) +
         (f.kind == Predicate::Kind::kContains ? " contains " : " in ");
    for (size_t i = 0; i < f.values.size(); ++i) d += (i ? "," : "") + f.values[i];
    d += ")";
  }
  d += " -> key by " + plan.key_column + " -> tumbling window " + std::to_string(plan.window_ms) +
       "ms (watermark " + std::to_string(plan.watermark_delay_ms) + "ms) -> count as " +
       plan.count_column + " -> having " + plan.count_column + " > " +
       std::to_string(plan.having_more_than);
  plan.description = d;
  return plan;
}

}  // namespace spate::jobs
