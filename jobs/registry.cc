#include "jobs/registry.h"

#include <CLI/CLI.hpp>

#include "common/config.h"

namespace spate::jobs {
namespace {

// Shared by both jobs: the windowing and threshold flags.
struct WindowArgs {
  std::string window = "10s";
  std::string watermark = "10s";
  int64_t threshold = 2;
};

// A duration flag's value; the error names the flag ("--window: invalid duration 'abc' ...").
Result<int64_t> FlagDurationMs(const char* flag, const std::string& value) {
  auto ms = ParseDurationMs(value);
  if (!ms.ok()) return ms.status().WithContext(flag);
  return ms;
}

Result<CompiledPlan> ParseAndBuild(CLI::App& app, const std::vector<std::string>& args,
                                   const std::function<Result<CompiledPlan>()>& build) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return Status::InvalidArgument(app.help());
  } catch (const CLI::ParseError& e) {
    return Status::InvalidArgument(app.get_name() + ": " + e.what());
  }
  return build();
}

Result<CompiledPlan> BuildCrashDetector(const std::vector<std::string>& args) {
  CLI::App app(
      "crash-detector: users with more than THRESHOLD High/Critical records "
      "mentioning KEYWORD per event-time window",
      "crash-detector");
  WindowArgs w;
  std::string keyword = "crash";
  std::string severities = "High,Critical";
  app.add_option("--window", w.window, "tumbling window size")->capture_default_str();
  app.add_option("--watermark", w.watermark, "watermark delay (allowed lateness)")
      ->capture_default_str();
  app.add_option("--threshold", w.threshold, "emit users whose count is greater than this")
      ->capture_default_str();
  app.add_option("--keyword", keyword, "content must contain this (case-insensitive)")
      ->capture_default_str();
  app.add_option("--severities", severities, "comma-separated severities (case-insensitive)")
      ->capture_default_str();
  return ParseAndBuild(app, args, [&]() -> Result<CompiledPlan> {
    SPATE_ASSIGN_OR_RETURN(int64_t window_ms, FlagDurationMs("--window", w.window));
    SPATE_ASSIGN_OR_RETURN(int64_t watermark_ms, FlagDurationMs("--watermark", w.watermark));
    if (window_ms <= 0) return Status::InvalidArgument("--window must be positive");
    if (keyword.empty()) return Status::InvalidArgument("--keyword must not be empty");
    auto sev = SplitList(severities);
    if (sev.empty()) return Status::InvalidArgument("--severities must name at least one");
    if (w.threshold < 0) return Status::InvalidArgument("--threshold must be >= 0");
    return Pipeline::FromKafka()
        .Filter(Predicate::EqualsAny(kFieldSeverity, sev))
        .Filter(Predicate::Contains(kFieldContent, keyword))
        .Project(kFieldTimestamp | kFieldUserId)
        .KeyBy(kFieldUserId, "user_id")
        .TumblingWindow(window_ms, watermark_ms)
        .Count("crash_count")
        .HavingMoreThan(w.threshold)
        .Compile();
  });
}

Result<CompiledPlan> BuildLogsProcessor(const std::vector<std::string>& args) {
  CLI::App app(
      "logs-processor: High-severity records mentioning KEYWORD, counted per "
      "source_ip per event-time window (the exercise's baseline)",
      "logs-processor");
  WindowArgs w;
  w.threshold = 0;
  std::string keyword = "vulnerability";
  std::string severities = "High";
  app.add_option("--window", w.window, "tumbling window size")->capture_default_str();
  app.add_option("--watermark", w.watermark, "watermark delay")->capture_default_str();
  app.add_option("--threshold", w.threshold, "emit sources whose count is greater than this")
      ->capture_default_str();
  app.add_option("--keyword", keyword, "content must contain this")->capture_default_str();
  app.add_option("--severities", severities, "comma-separated severities")->capture_default_str();
  return ParseAndBuild(app, args, [&]() -> Result<CompiledPlan> {
    SPATE_ASSIGN_OR_RETURN(int64_t window_ms, FlagDurationMs("--window", w.window));
    SPATE_ASSIGN_OR_RETURN(int64_t watermark_ms, FlagDurationMs("--watermark", w.watermark));
    if (window_ms <= 0) return Status::InvalidArgument("--window must be positive");
    if (keyword.empty()) return Status::InvalidArgument("--keyword must not be empty");
    auto sev = SplitList(severities);
    if (sev.empty()) return Status::InvalidArgument("--severities must name at least one");
    return Pipeline::FromKafka()
        .Filter(Predicate::EqualsAny(kFieldSeverity, sev))
        .Filter(Predicate::Contains(kFieldContent, keyword))
        .Project(kFieldTimestamp | kFieldSourceIp)
        .KeyBy(kFieldSourceIp, "source_ip")
        .TumblingWindow(window_ms, watermark_ms)
        .Count("count")
        .HavingMoreThan(w.threshold)
        .Compile();
  });
}

}  // namespace

const std::vector<JobInfo>& ListJobs() {
  static const std::vector<JobInfo> kJobs = {
      {"crash-detector",
       "users with more than --threshold High/Critical 'crash' records per window"},
      {"logs-processor", "High-severity 'vulnerability' records counted per source_ip"},
  };
  return kJobs;
}

Result<CompiledPlan> BuildJob(const std::string& name, const std::vector<std::string>& args) {
  if (name == "crash-detector") return BuildCrashDetector(args);
  if (name == "logs-processor") return BuildLogsProcessor(args);
  std::string known;
  for (const auto& j : ListJobs()) known += (known.empty() ? "" : ", ") + j.name;
  return Status::InvalidArgument("unknown job '" + name + "' (known jobs: " + known + ")");
}

}  // namespace spate::jobs
