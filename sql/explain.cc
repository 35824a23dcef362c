// ExplainPlan and DescribePlan: the plan as people read it.
#include <string>

#include "common/text.h"
#include "sql/sql.h"
#include "sql/types.h"

namespace spate::sql {
namespace {

std::string FormatMs(int64_t ms) {
  if (ms != 0 && ms % 86400000 == 0) return std::to_string(ms / 86400000) + " d";
  if (ms != 0 && ms % 3600000 == 0) return std::to_string(ms / 3600000) + " h";
  if (ms != 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + " min";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

std::string WindowText(const proto::WindowSpec& w) {
  std::string out;
  switch (w.kind()) {
    case proto::WINDOW_TUMBLE:
      out = "TUMBLE " + FormatMs(w.size_ms());
      break;
    case proto::WINDOW_HOP:
      out = "HOP " + FormatMs(w.size_ms()) + " every " + FormatMs(w.slide_ms());
      break;
    case proto::WINDOW_SESSION:
      out = "SESSION gap " + FormatMs(w.gap_ms());
      break;
    default:
      return "";
  }
  if (w.offset_ms() != 0) out += " offset " + FormatMs(w.offset_ms());
  return out;
}

// The name of source-row column `i`.
std::string SourceName(const proto::QueryPlan& plan, int i) {
  const int decoded = plan.source().columns_size();
  if (i >= 0 && i < decoded) return plan.source().columns(i).name();
  if (i >= decoded && i - decoded < plan.computed_names_size())
    return plan.computed_names(i - decoded);
  return "?";
}

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

}  // namespace

std::string DescribePlan(const proto::QueryPlan& plan) {
  std::vector<std::string> parts;
  if (plan.aggregate()) {
    if (plan.window().kind() != proto::WINDOW_NONE) parts.push_back(WindowText(plan.window()));
    if (plan.group_keys_size() > 0) {
      std::vector<std::string> keys;
      for (const auto& k : plan.group_keys()) keys.push_back(k.text());
      parts.push_back("GROUP BY " + Join(keys, ", "));
    }
    for (const auto& a : plan.aggregates()) parts.push_back(a.text());
    if (plan.has_having()) parts.push_back("HAVING " + plan.having().text());
    if (plan.aggregates_size() == 0 && plan.group_keys_size() > 0 && !plan.has_having()) {
      parts.push_back("DISTINCT");
    }
  } else {
    std::vector<std::string> cols;
    for (const auto& o : plan.outputs()) cols.push_back(o.name());
    std::string s = "SELECT " + Join(cols, ", ");
    if (plan.filters_size() > 0) {
      std::vector<std::string> f;
      for (const auto& e : plan.filters()) f.push_back(e.text());
      s += " WHERE " + Join(f, " AND ");
    }
    parts.push_back(s);
  }
  std::string out = Join(parts, ", ");
  if (out.size() > 240) out = std::string(Utf8Prefix(out, 237)) + "...";
  return out;
}

std::string ExplainPlan(const proto::QueryPlan& plan) {
  std::string out;
  auto line = [&](int indent, const std::string& text) {
    out += std::string(indent * 2, ' ') + text + "\n";
  };
  const proto::SourcePlan& src = plan.source();
  line(0, "Source: " + src.connector() + " table " + src.table() + ", topic '" + src.topic() +
              "' at " + src.bootstrap() + " (" + src.startup_mode() +
              (src.bounded() ? ", bounded at the latest offsets" : "") + ", " + src.format() + ")");
  for (const auto& [k, v] : src.properties()) line(1, "property " + k + " = " + v);
  line(1, "decoded columns:");
  for (int i = 0; i < src.columns_size(); ++i) {
    const auto& c = src.columns(i);
    std::string path;
    if (c.path_size() > 1) {
      std::vector<std::string> p(c.path().begin(), c.path().end());
      path = "  (path " + Join(p, " > ") + ")";
    }
    line(2, "#" + std::to_string(i) + " " + c.name() + " " + TypeName(c.type()) + path);
  }
  if (!plan.prefilter().empty()) {
    line(1, "prefilter: records whose raw bytes lack '" + plan.prefilter() +
                "' (any ASCII case) are skipped before parsing");
  }
  line(0, plan.aggregate() ? "Stage 1 (per Kafka partition: decode, filter, pre-aggregate)"
                           : "Stage 1 (per Kafka partition: decode, filter, project)");
  if (plan.computed_size() > 0) {
    line(1, "computed columns:");
    for (int i = 0; i < plan.computed_size(); ++i) {
      const auto& e = plan.computed(i);
      line(2, "#" + std::to_string(src.columns_size() + i) + " " + plan.computed_names(i) + " " +
                  TypeName(e.type()) + " = " + e.text());
    }
  }
  if (plan.event_time_column() >= 0) {
    const std::string t = SourceName(plan, plan.event_time_column());
    line(1, "event time: #" + std::to_string(plan.event_time_column()) + " " + t +
                ", watermark = max(" + t + ") - " + FormatMs(plan.watermark_delay_ms()));
  }
  if (plan.filters_size() > 0) {
    line(1, "filters (all must be TRUE):");
    for (const auto& f : plan.filters()) line(2, f.text());
  }
  if (plan.aggregate()) {
    if (plan.window().kind() != proto::WINDOW_NONE) {
      line(1, "window assignment: " + WindowText(plan.window()) + " on #" +
                  std::to_string(plan.window().time_column()) + " " +
                  SourceName(plan, plan.window().time_column()));
    }
    std::vector<std::string> keys;
    for (int i = 0; i < plan.group_keys_size(); ++i) {
      const std::string& name = plan.group_key_names(i);
      const std::string& text = plan.group_keys(i).text();
      keys.push_back((name == text ? name : name + " = " + text) + " " +
                     TypeName(plan.group_keys(i).type()));
    }
    line(1, "group keys: " + (keys.empty() ? std::string("none (one group)") : Join(keys, ", ")));
    std::vector<std::string> aggs;
    for (const auto& a : plan.aggregates()) aggs.push_back(a.text());
    line(1, "partial aggregates: " + (aggs.empty() ? std::string("none") : Join(aggs, ", ")));
    std::vector<std::string> names(plan.group_key_names().begin(), plan.group_key_names().end());
    line(0, "Shuffle: " + (names.empty() ? std::string("all rows to one task (no keys)")
                                         : "hash of (" + Join(names, ", ") + ")"));
    line(0, "Stage 2 (per key group: merge, emit)");
    if (plan.window().kind() == proto::WINDOW_NONE) {
      line(1, "window: none: one result per group when the input ends");
    } else {
      line(1, "window: " + WindowText(plan.window()) +
                  ", emitted when the watermark passes window_end");
    }
    line(1, "final aggregates:");
    const int k = plan.group_keys_size();
    for (int i = 0; i < plan.aggregates_size(); ++i) {
      const auto& a = plan.aggregates(i);
      line(2, "#" + std::to_string(k + i) + " " + a.text() + " " + TypeName(a.type()));
    }
    std::vector<std::string> row;
    for (int i = 0; i < k; ++i)
      row.push_back("#" + std::to_string(i) + " " + plan.group_key_names(i));
    for (int i = 0; i < plan.aggregates_size(); ++i) {
      row.push_back("#" + std::to_string(k + i) + " " + plan.aggregates(i).text());
    }
    row.push_back("#" + std::to_string(k + plan.aggregates_size()) + " window_start");
    row.push_back("#" + std::to_string(k + plan.aggregates_size() + 1) + " window_end");
    line(1, "aggregate row: " + Join(row, ", "));
    if (plan.has_having()) line(1, "having: " + plan.having().text());
  }
  line(1, "outputs:");
  for (const auto& o : plan.outputs()) {
    line(2, o.name() + " " + TypeName(o.expr().type()) + " = " + o.expr().text());
  }
  const proto::SinkPlan& sink = plan.sink();
  std::string where;
  if (sink.connector() == "filesystem") where = ", path '" + sink.path() + "'";
  if (sink.connector() == "kafka") where = ", topic '" + sink.topic() + "' at " + sink.bootstrap();
  line(0, "Sink: " + sink.connector() +
              (sink.table().empty() ? std::string(" (bare SELECT)") : " table " + sink.table()) +
              where + " (" + sink.format() + ")");
  return out;
}

}  // namespace spate::sql
