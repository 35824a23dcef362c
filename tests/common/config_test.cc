#include "common/config.h"

#include <catch2/catch.hpp>

namespace spate {
namespace {

TEST_CASE("durations parse with units and reject garbage", "[unit]") {
  CHECK(ParseDurationMs("10s").value() == 10'000);
  CHECK(ParseDurationMs("500ms").value() == 500);
  CHECK(ParseDurationMs("2m").value() == 120'000);
  CHECK(ParseDurationMs("1h").value() == 3'600'000);
  CHECK(ParseDurationMs("7").value() == 7'000);
  CHECK_FALSE(ParseDurationMs("").ok());
  CHECK_FALSE(ParseDurationMs("-1s").ok());
  CHECK_FALSE(ParseDurationMs("10 parsecs").ok());
  CHECK_FALSE(ParseDurationMs("99999999999999999h").ok());
  CHECK(FormatDurationMs(10'000) == "10s");
  CHECK(FormatDurationMs(1'500) == "1500ms");
}

TEST_CASE("sizes parse with binary units", "[unit]") {
  CHECK(ParseBytes("4G").value() == 4LL << 30);
  CHECK(ParseBytes("512m").value() == 512LL << 20);
  CHECK(ParseBytes("100").value() == 100);
  CHECK_FALSE(ParseBytes("4X").ok());
  CHECK_FALSE(ParseBytes("G").ok());
}

TEST_CASE("lists and host:port parse", "[unit]") {
  CHECK(SplitList("High, Critical,,") == std::vector<std::string>{"High", "Critical"});
  auto hp = ParseHostPort("127.0.0.1:7077");
  REQUIRE(hp.ok());
  CHECK(hp->host == "127.0.0.1");
  CHECK(hp->port == 7077);
  CHECK_FALSE(ParseHostPort("nohost").ok());
  CHECK_FALSE(ParseHostPort("h:0").ok());
  CHECK_FALSE(ParseHostPort("h:70000").ok());
}

}  // namespace
}  // namespace spate
