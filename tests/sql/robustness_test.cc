// Scripts that fuzz/sql_parser_fuzz found mishandled: each is answered with a positioned error,
// or with a plan that serializes and parses back.
#include <catch2/catch.hpp>
#include <string>

#include "common/text.h"
#include "tests/sql/test_util.h"

namespace spate::sql {
namespace {

using testing::ErrorOverLogs;
using testing::MustPlanOverLogs;
using testing::PlanError;

// A plan holds names and strings in proto strings, which protobuf refuses to parse unless they
// are UTF-8: an alias with a stray byte planned, then the plan did not come back from its bytes.
TEST_CASE("a script that is not UTF-8 is an error at the first bad byte", "[unit]") {
  CHECK(PlanError("SELECT\n  1 AS `n\xff`") ==
        "line 2, column 10: byte '\\xFF' is not UTF-8 (a script is UTF-8 text)");
  CHECK(ErrorOverLogs("SELECT user_id FROM logs WHERE content = 'caf\xc3'")
            .find("byte '\\xC3' is not UTF-8") != std::string::npos);
  // Overlong forms and surrogates are not UTF-8 either; comments are checked too.
  CHECK(PlanError("-- \xc0\xaf\nSELECT 1").rfind("line 1, column 4: ", 0) == 0);
  CHECK(PlanError("SELECT 'x\xed\xa0\x80'").rfind("line 1, column 10: ", 0) == 0);
  // Well-formed UTF-8 in names and strings plans, and the plan round-trips.
  const proto::QueryPlan plan =
      MustPlanOverLogs("SELECT user_id AS `usuário`, content FROM logs WHERE content = 'café ✓'");
  std::string bytes;
  REQUIRE(plan.SerializeToString(&bytes));
  proto::QueryPlan back;
  REQUIRE(back.ParseFromString(bytes));
  CHECK(back.outputs(0).name() == "usuário");
}

// DescribePlan cuts its line at 240 bytes and error messages quote 40 bytes of a token: both
// cut through a multi-byte character, and the plan's description no longer parsed back.
TEST_CASE("text cut short for descriptions and error messages stays UTF-8", "[unit]") {
  std::string run;
  for (int i = 0; i < 12; ++i) run += "é";
  for (int pad = 0; pad < 3; ++pad) {  // one of these cuts inside an é
    std::string names = "user_id AS `" + std::string(static_cast<size_t>(pad + 1), 'u') + "`";
    for (int i = 0; i < 20; ++i) names += ", content AS `" + run + std::to_string(i) + "`";
    const proto::QueryPlan plan = MustPlanOverLogs("SELECT " + names + " FROM logs");
    const std::string& d = plan.description();
    INFO(d);
    REQUIRE(d.size() > 200);
    CHECK(d.size() <= 240);
    CHECK(d.substr(d.size() - 3) == "...");
    CHECK(EscapeForDisplay(d) == d);  // nothing to escape: well-formed UTF-8
    std::string bytes;
    REQUIRE(plan.SerializeToString(&bytes));
    proto::QueryPlan back;
    REQUIRE(back.ParseFromString(bytes));
    CHECK(back.description() == d);
  }

  std::string accents;
  for (int i = 0; i < 30; ++i) accents += "é";
  for (const std::string lead : {"x", "xy"}) {  // the cut at 40 bytes falls inside an é once
    const std::string e = PlanError("SELECT 1 '" + lead + accents + "'");
    INFO(e);
    CHECK(e.find("string '" + lead) != std::string::npos);
    CHECK(EscapeForDisplay(e) == e);
  }
}

// The offset was normalized as ((offset % step) + step) % step, which overflows int64 when the
// step is beyond half its range.
TEST_CASE("a window offset is normalized into [0, step) even for huge windows", "[unit]") {
  const proto::QueryPlan tumble = MustPlanOverLogs(
      "SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(rt), "
      "INTERVAL '9000000000000000' SECOND, INTERVAL '8000000000000000' SECOND)) "
      "GROUP BY window_start, window_end");
  CHECK(tumble.window().size_ms() == 9'000'000'000'000'000'000);
  CHECK(tumble.window().offset_ms() == 8'000'000'000'000'000'000);
  const proto::QueryPlan negative = MustPlanOverLogs(
      "SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(rt), "
      "INTERVAL '10' SECOND, INTERVAL '-3' SECOND)) GROUP BY window_start, window_end");
  CHECK(negative.window().offset_ms() == 7000);
}

// The front end checked REGEXP literals only for brackets and parentheses; RE2 refused some of
// what passed ('[z-a]', a bad repetition) when the workers compiled the plan, after the job had
// been accepted.
TEST_CASE("a REGEXP literal that RE2 refuses is an error at planning, where it is", "[unit]") {
  const std::string e =
      ErrorOverLogs("SELECT user_id FROM logs WHERE REGEXP_LIKE(content, '[z-a]')");
  INFO(e);
  CHECK(e.rfind("line 8, column 53: bad regular expression: ", 0) == 0);
  CHECK(ErrorOverLogs("SELECT user_id FROM logs WHERE content REGEXP 'a**'")
            .find("bad regular expression") != std::string::npos);
  CHECK(ErrorOverLogs(std::string("SELECT user_id FROM logs WHERE content REGEXP '[a-") + '\0' +
                      "z]'")
            .find("bad regular expression") != std::string::npos);
  CHECK(ErrorOverLogs("SELECT user_id FROM logs WHERE content REGEXP 'x{2,1}'")
            .find("bad regular expression") != std::string::npos);
  // What RE2 takes still plans, and patterns computed per record are not checked here.
  MustPlanOverLogs("SELECT user_id FROM logs WHERE REGEXP_LIKE(content, '^[A-Z][a-z]+ (x|y)?$')");
  MustPlanOverLogs("SELECT user_id FROM logs WHERE REGEXP_LIKE(content, user_id)");
}

// HOP(1 s, 100000000 s) planned, and each record then updated 10^8 window states.
TEST_CASE("a sliding window may put a record in at most 10000 windows", "[unit]") {
  const std::string e = ErrorOverLogs(
      "SELECT window_start, COUNT(*) AS n FROM TABLE(HOP(TABLE logs, DESCRIPTOR(rt), "
      "INTERVAL '1' SECOND, INTERVAL '100000000' SECOND)) GROUP BY window_start, window_end");
  INFO(e);
  CHECK(e.find("puts each record in 100000000 windows (at most 10000)") != std::string::npos);
  CHECK(ErrorOverLogs("SELECT window.start, COUNT(*) AS n FROM logs "
                      "GROUP BY window(rt, '3 hours', '1 second')")
            .find("windows (at most 10000)") != std::string::npos);
  const proto::QueryPlan day = MustPlanOverLogs(
      "SELECT window_start, COUNT(*) AS n FROM TABLE(HOP(TABLE logs, DESCRIPTOR(rt), "
      "INTERVAL '10' SECOND, INTERVAL '1' DAY)) GROUP BY window_start, window_end");
  CHECK(day.window().size_ms() / day.window().slide_ms() == 8640);
}

TEST_CASE("Utf8Prefix never ends inside a character", "[unit]") {
  CHECK(Utf8Prefix("abc", 5) == "abc");
  CHECK(Utf8Prefix("abc", 2) == "ab");
  CHECK(Utf8Prefix("a\xc3\xa9"
                   "b",
                   2) == "a");
  CHECK(Utf8Prefix("a\xc3\xa9"
                   "b",
                   3) == "a\xc3\xa9");
  CHECK(Utf8Prefix("\xf0\x9f\x98\x80", 3).empty());
}

}  // namespace
}  // namespace spate::sql
