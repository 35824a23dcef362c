// libFuzzer target: arbitrary text through the SQL front end, as spate-submit's --sql and the
// master's job submission give it. PlanScript must answer every input with a plan or with
// InvalidArgument "line L, column C: ..."; never crash, hang, leak or hit undefined behaviour.
// A plan it accepts must also be explainable and serializable, and must compile and run in
// exec (errors a user can make are found before anything runs): CompiledQuery::Make succeeds,
// and stage 1 and the finalizer process a few records made to the plan's source columns.
// An input that starts with a NUL byte is instead a shipped job's flags (see RunJob).
//
//   sql_parser_fuzz [corpus_dir] -dict=fuzz/sql.dict -max_len=8192
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "exec/partial.h"
#include "exec/query.h"
#include "jobs/registry.h"
#include "proto/plan.pb.h"
#include "sql/sql.h"

namespace {

using spate::proto::QueryPlan;

bool IsUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = spate::Utf8SequenceLength(s.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "sql_parser_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

// A JSON object with a value at each of the source's column paths, of the column's type;
// `variant` picks among a few values per type, so that records differ in keys and windows.
struct JsonNode {
  std::map<std::string, JsonNode> children;
  std::string leaf;  // the JSON text of a leaf; "" for an object
};

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string LeafFor(const spate::proto::DataType& type, int variant) {
  switch (type.kind()) {
    case spate::proto::TYPE_BOOLEAN:
      return variant % 2 == 0 ? "true" : "false";
    case spate::proto::TYPE_INT:
      return variant == 0 ? "7" : variant == 1 ? "-2147483648" : "0";
    case spate::proto::TYPE_BIGINT:
      return variant == 0 ? "7" : variant == 1 ? "-9223372036854775808" : "9223372036854775807";
    case spate::proto::TYPE_DOUBLE:
      return variant == 0 ? "1.5" : variant == 1 ? "-0.0" : "1e308";
    case spate::proto::TYPE_STRING:
      return variant == 0 ? "\"crash in auth\"" : variant == 1 ? "\"\"" : "\"High\\u00e9%_\"";
    case spate::proto::TYPE_TIMESTAMP:
    case spate::proto::TYPE_TIMESTAMP_LTZ:
      return variant == 0   ? "1768142570123"
             : variant == 1 ? "\"2026-01-11T14:42:59.999Z\""
                            : "-62135596800000";
    default:
      return "null";
  }
}

void AppendJson(const JsonNode& n, std::string* out) {
  if (n.children.empty()) {
    *out += n.leaf.empty() ? "{}" : n.leaf;
    return;
  }
  *out += '{';
  bool first = true;
  for (const auto& [key, child] : n.children) {
    if (!first) *out += ',';
    first = false;
    *out += JsonString(key);
    *out += ':';
    AppendJson(child, out);
  }
  *out += '}';
}

std::string RecordFor(const spate::proto::SourcePlan& source, int variant) {
  JsonNode root;
  for (const auto& column : source.columns()) {
    JsonNode* n = &root;
    for (const auto& part : column.path()) n = &n->children[part];
    if (n->children.empty()) n->leaf = LeafFor(column.type(), variant);
  }
  std::string out;
  AppendJson(root, &out);
  return out;
}

void RunPlan(const QueryPlan& plan) {
  auto query = spate::exec::CompiledQuery::Make(plan);
  if (!query.ok()) Fail("PlanScript accepted a plan that exec rejects", query.status().ToString());
  for (bool prefilter : {false, true}) {
    auto stage1 = spate::exec::Stage1::Make(*query, /*watermark_ms=*/0, /*key_groups=*/8,
                                            /*shuffle_partitions=*/2, prefilter);
    if (!stage1.ok()) Fail("Stage1::Make", stage1.status().ToString());
    for (int variant = 0; variant < 3; ++variant) {
      (*stage1)->Add(RecordFor(plan.source(), variant), variant);
    }
    (*stage1)->Add("{\"timestamp\": 1768142570123, \"status\": \"ERROR\", \"severity\": \"High\"}");
    (*stage1)->Add("not json");
    std::vector<int64_t> entries;
    const std::vector<std::string> partials = (*stage1)->Finish(&entries);
    if (!(*query)->aggregating()) continue;
    spate::exec::Finalizer finalizer(*query);
    for (const std::string& buffer : partials) {
      spate::exec::PartialDecoder decoder(buffer);
      spate::exec::PartialEntry e;
      while (decoder.Next(&e)) {
        std::string merged(e.state);
        if (!(*query)->aggregates()->Merge(&merged, e.state).ok()) Fail("Merge", "own state");
        std::string json;
        (void)finalizer.Finish(e.key, e.window_start_ms, e.window_end_ms, merged, &json);
      }
      if (decoder.corrupt()) Fail("PartialDecoder", "stage 1's own partials are corrupt");
    }
  }
}

// The shipped jobs' flags: "\0job\0sink\0arg\0arg..." renders jobs/<job>.sql as spate-submit
// does (RenderJobSql). Flags it accepts must make a script that plans: a bad flag is an error
// about that flag, never a SQL error in a template the user did not write.
void RunJob(std::string_view input) {
  std::vector<std::string> parts;
  for (size_t from = 1; from <= input.size();) {
    size_t end = input.find('\0', from);
    if (end == std::string_view::npos) end = input.size();
    parts.emplace_back(input.substr(from, end - from));
    from = end + 1;
  }
  if (parts.size() < 2) return;
  spate::jobs::JobSources sources;
  sources.bootstrap = "127.0.0.1:19092";
  sources.topic = "logs";
  sources.starting_offsets = "earliest";
  sources.sink = parts[1];
  const std::vector<std::string> args(parts.begin() + 2, parts.end());
  auto sql = spate::jobs::RenderJobSql(parts[0], args, sources);
  auto plan = sql.ok() ? spate::sql::PlanScript(*sql) : sql.status();
  if (std::getenv("SPATE_FUZZ_VERBOSE") != nullptr) {
    std::fprintf(stderr, "RenderJobSql + PlanScript: %s\n",
                 plan.ok() ? ("plan: " + spate::sql::DescribePlan(*plan)).c_str()
                           : plan.status().ToString().c_str());
  }
  if (!sql.ok()) return;
  if (!plan.ok()) {
    if (!IsUtf8(input)) return;  // bytes that no terminal passes as flags
    Fail("job flags that RenderJobSql accepts make a script that does not plan",
         plan.status().ToString());
  }
  RunPlan(*plan);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view script(reinterpret_cast<const char*>(data), size);
  if (size > 0 && data[0] == 0) {
    RunJob(script);
    return 0;
  }
  spate::sql::PlanOptions options;
  // The first byte's low bit: with or without a default broker (the option then required).
  if (size > 0 && (data[0] & 1)) options.default_bootstrap = "127.0.0.1:19092";
  auto plan = spate::sql::PlanScript(script, options);
  // SPATE_FUZZ_VERBOSE=1 (replaying one input): what PlanScript answered.
  static const bool verbose = std::getenv("SPATE_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "PlanScript: %s\n",
                 plan.ok() ? ("plan: " + spate::sql::DescribePlan(*plan)).c_str()
                           : plan.status().ToString().c_str());
  }
  if (!plan.ok()) {
    const spate::Status& s = plan.status();
    if (s.code() != spate::StatusCode::kInvalidArgument || s.message().rfind("line ", 0) != 0) {
      Fail("an error that is not InvalidArgument at a position", s.ToString());
    }
    // Errors reach terminals, logs and the master's JSON API.
    if (!IsUtf8(s.message())) Fail("an error message that is not UTF-8", s.ToString());
    return 0;
  }
  const std::string explained = spate::sql::ExplainPlan(*plan);
  const std::string described = spate::sql::DescribePlan(*plan);
  if (explained.empty()) Fail("ExplainPlan", "empty");
  if (!IsUtf8(explained) || !IsUtf8(described)) Fail("ExplainPlan or DescribePlan", "not UTF-8");
  // The plan travels to workers as bytes: it must come back the same.
  std::string bytes;
  if (!plan->SerializeToString(&bytes)) Fail("SerializeToString", described);
  QueryPlan back;
  if (!back.ParseFromString(bytes)) Fail("ParseFromString", described);
  RunPlan(back);
  return 0;
}
