// Plans of whole scripts: the course jobs and each kind of query.
#include <catch2/catch.hpp>

#include "tests/sql/test_util.h"

namespace spate::sql {
namespace {

using testing::kCrashDetector;
using testing::MustPlan;
using testing::MustPlanOverLogs;

TEST_CASE("crash detector plans as the course job runs", "[unit]") {
  proto::QueryPlan plan = MustPlan(kCrashDetector);
  const auto& src = plan.source();
  CHECK(src.table() == "logs");
  CHECK(src.connector() == "kafka");
  CHECK(src.topic() == "logs");
  CHECK(src.bootstrap() == "127.0.0.1:19092");
  CHECK(src.properties().empty());
  CHECK(src.startup_mode() == "earliest-offset");
  CHECK_FALSE(src.bounded());
  CHECK(src.format() == "json");
  CHECK(src.ignore_parse_errors());
  CHECK_FALSE(src.fail_on_missing_field());
  REQUIRE(src.columns_size() == 4);
  CHECK(src.columns(0).name() == "timestamp");
  CHECK(src.columns(0).type().kind() == proto::TYPE_BIGINT);
  CHECK(src.columns(1).name() == "severity");
  CHECK(src.columns(2).name() == "user_id");
  CHECK(src.columns(3).name() == "content");
  CHECK(src.columns(3).path_size() == 1);
  CHECK(src.columns(3).path(0) == "content");

  REQUIRE(plan.computed_size() == 1);
  CHECK(plan.computed_names(0) == "rt");
  CHECK(plan.computed(0).call().fn() == "TO_TIMESTAMP_LTZ");
  CHECK(plan.computed(0).call().args(0).column() == 0);
  CHECK(plan.computed(0).type().kind() == proto::TYPE_TIMESTAMP_LTZ);
  CHECK(plan.computed(0).text() == "TO_TIMESTAMP_LTZ(`timestamp`, 3)");
  CHECK(plan.event_time_column() == 4);
  CHECK(plan.watermark_delay_ms() == 10000);

  REQUIRE(plan.filters_size() == 2);
  CHECK(plan.filters(0).text() == "LOWER(content) LIKE '%crash%'");
  CHECK(plan.filters(0).call().fn() == "LIKE");
  CHECK(plan.filters(0).call().args(0).call().fn() == "LOWER");
  CHECK(plan.filters(0).call().args(0).call().args(0).column() == 3);
  CHECK(plan.filters(1).text() == "UPPER(severity) IN ('HIGH', 'CRITICAL')");
  CHECK(plan.filters(1).call().fn() == "IN");
  CHECK(plan.filters(1).call().args_size() == 3);
  CHECK(plan.prefilter() == "crash");

  CHECK(plan.aggregate());
  CHECK(plan.window().kind() == proto::WINDOW_TUMBLE);
  CHECK(plan.window().time_column() == 4);
  CHECK(plan.window().size_ms() == 10000);
  CHECK(plan.window().offset_ms() == 0);
  REQUIRE(plan.group_keys_size() == 1);
  CHECK(plan.group_keys(0).column() == 2);
  CHECK(plan.group_key_names(0) == "user_id");
  REQUIRE(plan.aggregates_size() == 1);
  CHECK(plan.aggregates(0).kind() == proto::AGG_COUNT_STAR);
  CHECK_FALSE(plan.aggregates(0).has_arg());
  CHECK(plan.aggregates(0).type().kind() == proto::TYPE_BIGINT);
  CHECK(plan.aggregates(0).text() == "COUNT(*)");

  REQUIRE(plan.has_having());
  CHECK(plan.having().text() == "COUNT(*) > 2");
  CHECK(plan.having().call().fn() == ">");
  CHECK(plan.having().call().args(0).column() == 1);
  CHECK(plan.having().call().args(1).literal().int_value() == 2);

  REQUIRE(plan.outputs_size() == 4);
  CHECK(plan.outputs(0).name() == "window_start");
  CHECK(plan.outputs(0).expr().column() == 2);
  CHECK(plan.outputs(0).expr().type().kind() == proto::TYPE_TIMESTAMP);
  CHECK(plan.outputs(1).name() == "window_end");
  CHECK(plan.outputs(1).expr().column() == 3);
  CHECK(plan.outputs(2).name() == "user_id");
  CHECK(plan.outputs(2).expr().column() == 0);
  CHECK(plan.outputs(3).name() == "crash_count");
  CHECK(plan.outputs(3).expr().column() == 1);

  CHECK(plan.sink().table() == "crashes");
  CHECK(plan.sink().connector() == "filesystem");
  CHECK(plan.sink().path() == "/tmp/out");
  CHECK(plan.sink().format() == "json");
  CHECK(plan.description() == "TUMBLE 10 s, GROUP BY user_id, COUNT(*), HAVING COUNT(*) > 2");
}

}  // namespace
}  // namespace spate::sql
