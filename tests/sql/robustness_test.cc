// Scripts that fuzz/sql_parser_fuzz found mishandled: each is answered with a positioned error,
// or with a plan that serializes and parses back.
#include <catch2/catch.hpp>
#include <string>

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

}  // namespace
}  // namespace spate::sql
