// Helpers shared by the SQL front end's tests.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <string_view>

#include "sql/sql.h"

namespace spate::sql::testing {

/// The crash detector as the course job runs it.
inline constexpr std::string_view kCrashDetector = R"(CREATE TABLE logs (
  `timestamp` BIGINT, severity STRING, user_id STRING, content STRING,
  rt AS TO_TIMESTAMP_LTZ(`timestamp`, 3),
  WATERMARK FOR rt AS rt - INTERVAL '10' SECOND
) WITH ('connector' = 'kafka', 'topic' = 'logs', 'properties.bootstrap.servers' = '127.0.0.1:19092',
        'scan.startup.mode' = 'earliest-offset', 'format' = 'json');
CREATE TABLE crashes (window_start TIMESTAMP(3), window_end TIMESTAMP(3), user_id STRING, crash_count BIGINT)
  WITH ('connector' = 'filesystem', 'path' = '/tmp/out', 'format' = 'json');
INSERT INTO crashes
SELECT window_start, window_end, user_id, COUNT(*) AS crash_count
FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(rt), INTERVAL '10' SECOND))
WHERE LOWER(content) LIKE '%crash%' AND UPPER(severity) IN ('HIGH', 'CRITICAL')
GROUP BY window_start, window_end, user_id
HAVING COUNT(*) > 2;
)";

/// A source table most tests read: logs with a watermark, and a nested ROW column.
inline constexpr std::string_view kLogsTable = R"(CREATE TABLE logs (
  `timestamp` BIGINT, severity STRING, user_id STRING, content STRING, source_ip STRING,
  latency_ms INT, bytes BIGINT, score DOUBLE, ok BOOLEAN,
  http ROW<status INT, method STRING, req ROW<path STRING, size BIGINT>>,
  rt AS TO_TIMESTAMP_LTZ(`timestamp`, 3),
  WATERMARK FOR rt AS rt - INTERVAL '5' SECOND
) WITH ('connector' = 'kafka', 'topic' = 'logs', 'properties.bootstrap.servers' = 'k:9092');
)";

/// Plans `script`, failing the test with the error when it does not plan.
inline proto::QueryPlan MustPlan(std::string_view script) {
  auto plan = PlanScript(script);
  INFO(std::string(script));
  if (!plan.ok()) FAIL("planning failed: " << plan.status().ToString());
  return std::move(plan).value();
}

/// kLogsTable followed by `query`.
inline proto::QueryPlan MustPlanOverLogs(std::string_view query) {
  return MustPlan(std::string(kLogsTable) + std::string(query));
}

/// The error message planning `script` gives ("" when it plans).
inline std::string PlanError(std::string_view script) {
  auto plan = PlanScript(script);
  if (plan.ok()) return "";
  CHECK(plan.status().code() == StatusCode::kInvalidArgument);
  return plan.status().message();
}

/// The error message of kLogsTable followed by `query`.
inline std::string ErrorOverLogs(std::string_view query) {
  return PlanError(std::string(kLogsTable) + std::string(query));
}

}  // namespace spate::sql::testing
