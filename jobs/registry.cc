#include "jobs/registry.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <map>

#include "common/config.h"
#include "common/kafka_util.h"
#include "jobs/templates.h"

namespace spate::jobs {
namespace {

// Both jobs are the same pipeline with other defaults: records whose severity is in a list and
// whose content holds a keyword, counted per key per tumbling event-time window, kept when the
// count passes a threshold.
struct KeywordCountJob {
  const char* name;
  std::string_view (*sql)();
  const char* help;
  const char* keyword;
  const char* severities;
  int64_t threshold;
  RecordField key_field;
  const char* key_column;
  const char* count_column;
};

constexpr KeywordCountJob kJobs[] = {
    {"crash-detector", CrashDetectorSql,
     "crash-detector: users with more than THRESHOLD records of the given severities mentioning "
     "KEYWORD per event-time window (the exercise's Activity 3)",
     "crash", "High,Critical", 2, kFieldUserId, "user_id", "crash_count"},
    {"logs-processor", LogsProcessorSql,
     "logs-processor: records of the given severities mentioning KEYWORD, counted per source_ip "
     "per event-time window (the exercise's baseline)",
     "vulnerability", "High", 0, kFieldSourceIp, "source_ip", "count"},
};

// A duration flag's value; the error names the flag ("--window: invalid duration 'abc' ...").
Result<int64_t> FlagDurationMs(const char* flag, const std::string& value) {
  auto ms = ParseDurationMs(value);
  if (!ms.ok()) return ms.status().WithContext(flag);
  return ms;
}

// A job's own flags, parsed and checked.
struct KeywordCountArgs {
  int64_t window_ms = 0;
  int64_t watermark_ms = 0;
  int64_t threshold = 0;
  std::string keyword;
  std::vector<std::string> severities;
};

Result<KeywordCountArgs> ParseArgs(const KeywordCountJob& job,
                                   const std::vector<std::string>& args) {
  CLI::App app(job.help, job.name);
  std::string window = "10s";
  std::string watermark = "10s";
  int64_t threshold = job.threshold;
  std::string keyword = job.keyword;
  std::string severities = job.severities;
  app.add_option("--window", window, "tumbling window size")->capture_default_str();
  app.add_option("--watermark", watermark, "watermark delay (allowed lateness)")
      ->capture_default_str();
  app.add_option("--threshold", threshold, "emit keys whose count is greater than this")
      ->capture_default_str();
  app.add_option("--keyword", keyword, "content must contain this (case-insensitive)")
      ->capture_default_str();
  app.add_option("--severities", severities, "comma-separated severities (case-insensitive)")
      ->capture_default_str();
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return Status::InvalidArgument(app.help());
  } catch (const CLI::ParseError& e) {
    return Status::InvalidArgument(app.get_name() + ": " + e.what());
  }
  KeywordCountArgs a;
  SPATE_ASSIGN_OR_RETURN(a.window_ms, FlagDurationMs("--window", window));
  SPATE_ASSIGN_OR_RETURN(a.watermark_ms, FlagDurationMs("--watermark", watermark));
  if (a.window_ms <= 0) return Status::InvalidArgument("--window must be positive");
  if (keyword.empty()) return Status::InvalidArgument("--keyword must not be empty");
  a.severities = SplitList(severities);
  if (a.severities.empty()) return Status::InvalidArgument("--severities must name at least one");
  if (threshold < 0) return Status::InvalidArgument("--threshold must be >= 0");
  a.threshold = threshold;
  a.keyword = keyword;
  return a;
}

Result<CompiledPlan> Build(const KeywordCountJob& job, const std::vector<std::string>& args) {
  SPATE_ASSIGN_OR_RETURN(KeywordCountArgs a, ParseArgs(job, args));
  return Pipeline::FromKafka()
      .Filter(Predicate::EqualsAny(kFieldSeverity, a.severities))
      .Filter(Predicate::Contains(kFieldContent, a.keyword))
      .Project(kFieldTimestamp | job.key_field)
      .KeyBy(job.key_field, job.key_column)
      .TumblingWindow(a.window_ms, a.watermark_ms)
      .Count(job.count_column)
      .HavingMoreThan(a.threshold)
      .Compile();
}

// A SQL string literal's body: quotes doubled.
std::string QuoteBody(std::string_view s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out;
}

// Seconds as an interval literal's body: "10", "0.5", "1.25".
std::string Seconds(int64_t ms) {
  std::string out = std::to_string(ms / 1000);
  if (int64_t frac = ms % 1000; frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), ".%03lld", static_cast<long long>(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out;
}

// For the template's comments: no line breaks (they would end the comment).
std::string OneLine(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

std::string Substitute(std::string text, const std::map<std::string, std::string>& fields) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("${", pos);
    if (open == std::string::npos) break;
    size_t close = text.find('}', open);
    if (close == std::string::npos) break;
    out.append(text, pos, open - pos);
    auto it = fields.find(text.substr(open + 2, close - open - 2));
    out += it != fields.end() ? it->second : text.substr(open, close - open + 1);
    pos = close + 1;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

Result<std::string> Render(const KeywordCountJob& job, std::string_view tmpl,
                           const std::vector<std::string>& args, const JobSources& src) {
  SPATE_ASSIGN_OR_RETURN(KeywordCountArgs a, ParseArgs(job, args));
  // LIKE's wildcards in the keyword match themselves: escape them.
  std::string like;
  bool escaped = false;
  for (char c : a.keyword) {
    if (c == '%' || c == '_' || c == '!') {
      like += '!';
      escaped = true;
    }
    like += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  like = QuoteBody(like);
  std::string in, list;
  for (const auto& sev : a.severities) {
    std::string up;
    for (char c : sev) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    in += (in.empty() ? "'" : ", '") + QuoteBody(up) + "'";
    list += (list.empty() ? "" : ",") + sev;
  }
  if (src.starting_offsets != "earliest" && src.starting_offsets != "latest") {
    return Status::InvalidArgument("--starting-offsets must be earliest or latest, not '" +
                                   src.starting_offsets + "'");
  }
  // Sources go into the template's table options: check them here, so that a bad one is an
  // error about the flag, not about a line of a template the user never wrote.
  if (Status topic = ValidateTopicName(src.topic); !topic.ok()) {
    return Status::InvalidArgument("invalid --topic '" + src.topic + "': " + topic.message());
  }
  std::string sink;
  if (src.sink.rfind("file:", 0) == 0) {
    if (src.sink.size() == 5) {
      return Status::InvalidArgument("invalid sink 'file:': it names no directory (file:DIR)");
    }
    sink = "'connector' = 'filesystem', 'path' = '" + QuoteBody(src.sink.substr(5)) +
           "', 'format' = 'json'";
  } else if (src.sink.rfind("kafka:", 0) == 0) {
    if (Status topic = ValidateTopicName(src.sink.substr(6)); !topic.ok()) {
      return Status::InvalidArgument("invalid sink '" + src.sink + "': " + topic.message());
    }
    sink = "'connector' = 'kafka', 'topic' = '" + QuoteBody(src.sink.substr(6)) +
           "', 'properties.bootstrap.servers' = '" + QuoteBody(src.bootstrap) +
           "', 'format' = 'json'";
  } else if (src.sink == "console" || src.sink.empty()) {
    sink = "'connector' = 'print'";
  } else {
    return Status::InvalidArgument("invalid sink '" + src.sink +
                                   "' (use console, file:DIR or kafka:TOPIC)");
  }
  std::map<std::string, std::string> fields = {
      {"threshold", std::to_string(a.threshold)},
      {"severity_list", OneLine(list)},
      {"keyword", OneLine(a.keyword)},
      {"keyword_like", like},
      {"severities_in", in},
      {"window", Seconds(a.window_ms) + " s"},
      {"window_s", Seconds(a.window_ms)},
      {"watermark_s", Seconds(a.watermark_ms)},
      {"topic", QuoteBody(src.topic)},
      {"bootstrap", QuoteBody(src.bootstrap)},
      {"startup_mode", src.starting_offsets == "earliest" ? "earliest-offset" : "latest-offset"},
      {"sink_options", sink},
  };
  std::string sql = Substitute(std::string(tmpl), fields);
  if (escaped) {
    // The needle carries escapes: say which character escapes them.
    const std::string needle = "LIKE '%" + like + "%'";
    if (auto at = sql.find(needle); at != std::string::npos) {
      sql.insert(at + needle.size(), " ESCAPE '!'");
    }
  }
  return sql;
}

}  // namespace

const std::vector<JobInfo>& ListJobs() {
  static const std::vector<JobInfo> kJobInfos = {
      {"crash-detector",
       "users with more than --threshold High/Critical 'crash' records per window"},
      {"logs-processor", "High-severity 'vulnerability' records counted per source_ip"},
  };
  return kJobInfos;
}

Result<CompiledPlan> BuildJob(const std::string& name, const std::vector<std::string>& args) {
  for (const auto& job : kJobs) {
    if (name == job.name) return Build(job, args);
  }
  std::string known;
  for (const auto& j : ListJobs()) known += (known.empty() ? "" : ", ") + j.name;
  return Status::InvalidArgument("unknown job '" + name + "' (known jobs: " + known + ")");
}

Result<std::string> RenderJobSql(const std::string& name, const std::vector<std::string>& args,
                                 const JobSources& sources) {
  for (const auto& job : kJobs) {
    if (name == job.name) return Render(job, job.sql(), args, sources);
  }
  return BuildJob(name, args).status();
}

}  // namespace spate::jobs
