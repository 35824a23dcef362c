// Unit tests of the job registry and the dataflow API: defaults, arguments, plans.
#include "jobs/registry.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "jobs/dataflow.h"

namespace spate::jobs {
namespace {

const Predicate* FindFilter(const CompiledPlan& plan, RecordField field) {
  for (const auto& f : plan.filters)
    if (f.field == field) return &f;
  return nullptr;
}

LogRecordView Record(std::string_view severity, std::string_view content,
                     std::string_view user = "u1", std::string_view ip = "10.0.0.1") {
  LogRecordView r;
  r.timestamp_ms = 1768142570123;
  r.severity = severity;
  r.content = content;
  r.user_id = user;
  r.source_ip = ip;
  r.status = "ERROR";
  return r;
}

bool PlanMatches(const CompiledPlan& plan, const LogRecordView& r) {
  for (const auto& f : plan.filters)
    if (!f.Matches(r)) return false;
  return true;
}

TEST_CASE("crash-detector defaults are the exercise's", "[unit]") {
  auto plan = BuildJob("crash-detector", {});
  REQUIRE(plan.ok());
  CHECK(plan->window_ms == 10'000);
  CHECK(plan->watermark_delay_ms == 10'000);
  CHECK(plan->having_more_than == 2);
  CHECK(plan->prefilter == "crash");
  CHECK(plan->key_field == kFieldUserId);
  CHECK(plan->key_column == "user_id");
  CHECK(plan->count_column == "crash_count");
  const Predicate* sev = FindFilter(*plan, kFieldSeverity);
  REQUIRE(sev != nullptr);
  CHECK(sev->kind == Predicate::Kind::kEqualsAny);
  CHECK(sev->values == std::vector<std::string>{"high", "critical"});
  const Predicate* content = FindFilter(*plan, kFieldContent);
  REQUIRE(content != nullptr);
  CHECK(content->kind == Predicate::Kind::kContains);
  CHECK(content->values == std::vector<std::string>{"crash"});
  const uint32_t needed = kFieldTimestamp | kFieldSeverity | kFieldContent | kFieldUserId;
  CHECK((plan->required_fields & needed) == needed);
  CHECK_FALSE(plan->description.empty());
}

TEST_CASE("crash-detector matches keyword and severity case-insensitively", "[unit]") {
  auto plan = BuildJob("crash-detector", {});
  REQUIRE(plan.ok());
  CHECK(PlanMatches(*plan, Record("High", "Application crash detected")));
  CHECK(PlanMatches(*plan, Record("CRITICAL", "CRASH")));
  CHECK(PlanMatches(*plan, Record("high", "it Crashed")));
  CHECK_FALSE(PlanMatches(*plan, Record("Medium", "crash")));
  CHECK_FALSE(PlanMatches(*plan, Record("Highest", "crash")));
  CHECK_FALSE(PlanMatches(*plan, Record("High", "cra sh")));
  CHECK_FALSE(PlanMatches(*plan, Record("", "crash")));
}

TEST_CASE("crash-detector arguments override the defaults", "[unit]") {
  auto plan = BuildJob("crash-detector", {"--window", "1m", "--watermark", "0s", "--threshold", "5",
                                          "--keyword", "Error", "--severities", "low, Medium"});
  REQUIRE(plan.ok());
  CHECK(plan->window_ms == 60'000);
  CHECK(plan->watermark_delay_ms == 0);
  CHECK(plan->having_more_than == 5);
  CHECK(plan->prefilter == "error");
  const Predicate* sev = FindFilter(*plan, kFieldSeverity);
  REQUIRE(sev != nullptr);
  CHECK(sev->values == std::vector<std::string>{"low", "medium"});
  CHECK(BuildJob("crash-detector", {"--window=500ms"})->window_ms == 500);
  CHECK(BuildJob("crash-detector", {"--threshold", "0"})->having_more_than == 0);
}

TEST_CASE("an unknown job is rejected with the list of known jobs", "[unit]") {
  auto plan = BuildJob("crash-detectr", {});
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(plan.status().message(), Catch::Contains("crash-detectr"));
  CHECK_THAT(plan.status().message(), Catch::Contains("crash-detector"));
  CHECK_THAT(plan.status().message(), Catch::Contains("logs-processor"));
  CHECK(BuildJob("", {}).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("bad job arguments are rejected with a message naming the problem", "[unit]") {
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> mentions;
  };
  for (const auto& c : std::vector<Case>{
           {{"--window", "0"}, {"--window"}},
           {{"--window", "abc"}, {"--window", "abc"}},
           {{"--window", "-5s"}, {"--window"}},
           {{"--watermark", "later"}, {"--watermark", "later"}},
           {{"--severities", ""}, {"--severities"}},
           {{"--severities", " , ,"}, {"--severities"}},
           {{"--keyword", ""}, {"--keyword"}},
           {{"--threshold", "-1"}, {"--threshold"}},
           {{"--threshold", "two"}, {"--threshold"}},
           {{"--frobnicate", "1"}, {"--frobnicate"}},
           {{"extra"}, {"extra"}},
           {{"--window"}, {"--window"}},
       }) {
    std::string joined;
    for (const auto& a : c.args) joined += a + " ";
    INFO("args: " << joined);
    auto plan = BuildJob("crash-detector", c.args);
    REQUIRE_FALSE(plan.ok());
    CHECK(plan.status().code() == StatusCode::kInvalidArgument);
    for (const auto& m : c.mentions) CHECK_THAT(plan.status().message(), Catch::Contains(m));
  }
}

TEST_CASE("--help answers InvalidArgument carrying the job's usage", "[unit]") {
  auto plan = BuildJob("crash-detector", {"--help"});
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(plan.status().message(), Catch::Contains("--window"));
  CHECK_THAT(plan.status().message(), Catch::Contains("--severities"));
}

TEST_CASE("logs-processor counts High vulnerability records per source_ip", "[unit]") {
  auto plan = BuildJob("logs-processor", {});
  REQUIRE(plan.ok());
  CHECK(plan->key_field == kFieldSourceIp);
  CHECK(plan->key_column == "source_ip");
  CHECK(plan->count_column == "count");
  CHECK(plan->prefilter == "vulnerability");
  CHECK(plan->having_more_than == 0);
  CHECK(plan->window_ms == 10'000);
  CHECK(plan->watermark_delay_ms == 10'000);
  const Predicate* sev = FindFilter(*plan, kFieldSeverity);
  REQUIRE(sev != nullptr);
  CHECK(sev->values == std::vector<std::string>{"high"});
  const uint32_t needed = kFieldTimestamp | kFieldSeverity | kFieldContent | kFieldSourceIp;
  CHECK((plan->required_fields & needed) == needed);
  CHECK(PlanMatches(*plan, Record("HIGH", "SQL Vulnerability found")));
  CHECK_FALSE(PlanMatches(*plan, Record("Critical", "vulnerability")));
  CHECK(BuildJob("logs-processor", {"--window", "0"}).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(BuildJob("logs-processor", {"--user"}).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("every listed job builds with its defaults", "[unit]") {
  REQUIRE(ListJobs().size() >= 2);
  for (const auto& job : ListJobs()) {
    INFO(job.name);
    CHECK(BuildJob(job.name, {}).ok());
    CHECK_FALSE(job.summary.empty());
  }
}

TEST_CASE("a pipeline without key, window or count does not compile", "[unit]") {
  auto no_key = Pipeline::FromKafka().TumblingWindow(1000, 0).Count("c").Compile();
  CHECK(no_key.status().code() == StatusCode::kInvalidArgument);
  auto no_window = Pipeline::FromKafka().KeyBy(kFieldUserId, "user_id").Count("c").Compile();
  CHECK(no_window.status().code() == StatusCode::kInvalidArgument);
  auto no_count =
      Pipeline::FromKafka().KeyBy(kFieldUserId, "user_id").TumblingWindow(1000, 0).Compile();
  CHECK(no_count.status().code() == StatusCode::kInvalidArgument);
  auto projected_away = Pipeline::FromKafka()
                            .Project(kFieldSourceIp)
                            .KeyBy(kFieldUserId, "user_id")
                            .TumblingWindow(1000, 0)
                            .Count("c")
                            .Compile();
  CHECK(projected_away.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(projected_away.status().message(), Catch::Contains("user_id"));
  auto negative_watermark = Pipeline::FromKafka()
                                .KeyBy(kFieldUserId, "user_id")
                                .TumblingWindow(1000, -1)
                                .Count("c")
                                .Compile();
  CHECK(negative_watermark.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("the pre-filter is the longest contains-needle, lower-cased", "[unit]") {
  auto plan = Pipeline::FromKafka()
                  .Filter(Predicate::Contains(kFieldContent, "Err"))
                  .Filter(Predicate::Contains(kFieldStatus, "TIMEOUT"))
                  .KeyBy(kFieldUserId, "user_id")
                  .TumblingWindow(1000, 0)
                  .Count("c")
                  .Compile();
  REQUIRE(plan.ok());
  CHECK(plan->prefilter == "timeout");
  auto none = Pipeline::FromKafka()
                  .Filter(Predicate::EqualsAny(kFieldSeverity, {"High"}))
                  .KeyBy(kFieldUserId, "user_id")
                  .TumblingWindow(1000, 0)
                  .Count("c")
                  .Compile();
  REQUIRE(none.ok());
  CHECK(none->prefilter.empty());
}

// A topic that is not one Kafka topic name went into the template and failed as
// "line 30, column 36: 'topic' must name one topic", and "file:" as "'path' must not be empty"
// (found by fuzz/sql_parser_fuzz).
TEST_CASE("a shipped job's SQL names the bad --sink or --topic flag, not a template line",
          "[unit]") {
  const JobSources good{"127.0.0.1:19092", "logs", "earliest", "kafka:crashes"};
  auto sql = RenderJobSql("crash-detector", {}, good);
  REQUIRE(sql.ok());
  CHECK(sql->find("'topic' = 'crashes'") != std::string::npos);
  for (const std::string sink : {"kafka:a;b", "kafka:a b", "kafka:..", "file:"}) {
    JobSources bad = good;
    bad.sink = sink;
    auto r = RenderJobSql("crash-detector", {}, bad);
    REQUIRE_FALSE(r.ok());
    INFO(r.status().message());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message().rfind("invalid sink '" + sink + "': ", 0) == 0);
  }
  JobSources bad_topic = good;
  bad_topic.topic = "logs;other";
  auto r = RenderJobSql("logs-processor", {}, bad_topic);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().rfind("invalid --topic 'logs;other': ", 0) == 0);
}

}  // namespace
}  // namespace spate::jobs
