#include "jobs/registry.h"

#include <CLI/CLI.hpp>

#include "common/config.h"

namespace spate::jobs {
namespace {

// Both jobs are the same pipeline with other defaults: records whose severity is in a list and
// whose content holds a keyword, counted per key per tumbling event-time window, kept when the
// count passes a threshold.
struct KeywordCountJob {
  const char* name;
  const char* help;
  const char* keyword;
  const char* severities;
  int64_t threshold;
  RecordField key_field;
  const char* key_column;
  const char* count_column;
};

constexpr KeywordCountJob kJobs[] = {
    {"crash-detector",
     "crash-detector: users with more than THRESHOLD records of the given severities mentioning "
     "KEYWORD per event-time window (the exercise's Activity 3)",
     "crash", "High,Critical", 2, kFieldUserId, "user_id", "crash_count"},
    {"logs-processor",
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

Result<CompiledPlan> Build(const KeywordCountJob& job, const std::vector<std::string>& args) {
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
  SPATE_ASSIGN_OR_RETURN(int64_t window_ms, FlagDurationMs("--window", window));
  SPATE_ASSIGN_OR_RETURN(int64_t watermark_ms, FlagDurationMs("--watermark", watermark));
  if (window_ms <= 0) return Status::InvalidArgument("--window must be positive");
  if (keyword.empty()) return Status::InvalidArgument("--keyword must not be empty");
  auto sev = SplitList(severities);
  if (sev.empty()) return Status::InvalidArgument("--severities must name at least one");
  if (threshold < 0) return Status::InvalidArgument("--threshold must be >= 0");
  return Pipeline::FromKafka()
      .Filter(Predicate::EqualsAny(kFieldSeverity, sev))
      .Filter(Predicate::Contains(kFieldContent, keyword))
      .Project(kFieldTimestamp | job.key_field)
      .KeyBy(job.key_field, job.key_column)
      .TumblingWindow(window_ms, watermark_ms)
      .Count(job.count_column)
      .HavingMoreThan(threshold)
      .Compile();
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

}  // namespace spate::jobs
