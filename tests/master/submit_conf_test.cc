// Unit tests of spate-submit's pure parts: --conf keys and local[N] masters.
#include <catch2/catch.hpp>
#include <thread>

#include "client/submit.h"

namespace spate::client {
namespace {

TEST_CASE("known --conf keys set the job spec's fields", "[unit]") {
  proto::JobSpec spec;
  REQUIRE(ApplyConf("spate.sql.shuffle.partitions=4", &spec).ok());
  CHECK(spec.shuffle_partitions() == 4);
  REQUIRE(ApplyConf("spark.sql.shuffle.partitions=6", &spec).ok());
  CHECK(spec.shuffle_partitions() == 6);
  REQUIRE(ApplyConf("spate.key-groups=256", &spec).ok());
  CHECK(spec.key_groups() == 256);
  REQUIRE(ApplyConf("spate.source.idle-timeout=5s", &spec).ok());
  CHECK(spec.idle_timeout_ms() == 5000);
  REQUIRE(ApplyConf("spate.source.prefilter=false", &spec).ok());
  REQUIRE(ApplyConf("spate.source.stall-timeout=2m", &spec).ok());
  REQUIRE(ApplyConf("spate.task.timeout=30s", &spec).ok());
  REQUIRE(ApplyConf("spate.kafka.fetch.max.bytes=1048576", &spec).ok());
  REQUIRE(ApplyConf("spate.job.engine=sql", &spec).ok());
  REQUIRE(ApplyConf("spate.job.engine=compiled", &spec).ok());
  // Every --conf is kept as given, for the executors.
  CHECK(spec.conf().at("spate.source.prefilter") == "false");
  CHECK(spec.conf().at("spate.kafka.fetch.max.bytes") == "1048576");
  CHECK(spec.conf().at("spate.source.stall-timeout") == "2m");
  // A value may itself contain '='.
  REQUIRE(ApplyConf("spate.kafka.sasl.oauthbearer.config=principal=admin", &spec).ok());
  CHECK(spec.conf().at("spate.kafka.sasl.oauthbearer.config") == "principal=admin");
}

TEST_CASE("unknown --conf keys are rejected with the list of known ones", "[unit]") {
  proto::JobSpec spec;
  Status s = ApplyConf("spate.sql.shufle.partitions=4", &spec);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK_THAT(s.message(), Catch::Contains("spate.sql.shufle.partitions"));
  CHECK_THAT(s.message(), Catch::Contains("spate.sql.shuffle.partitions"));
  CHECK_THAT(s.message(), Catch::Contains("spate.key-groups"));
  CHECK_THAT(s.message(), Catch::Contains("spate.kafka."));
  CHECK(ApplyConf("spark.executor.memory=1g", &spec).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("--conf without key=value is rejected", "[unit]") {
  proto::JobSpec spec;
  for (const char* bad : {"", "spate.key-groups", "=4"}) {
    INFO(bad);
    Status s = ApplyConf(bad, &spec);
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains("key=value"));
  }
}

TEST_CASE("--conf numbers and durations are checked", "[unit]") {
  proto::JobSpec spec;
  for (const char* bad :
       {"spate.sql.shuffle.partitions=abc", "spate.sql.shuffle.partitions=0",
        "spate.sql.shuffle.partitions=-2", "spate.sql.shuffle.partitions=4x",
        "spate.sql.shuffle.partitions=", "spate.key-groups=32769", "spate.key-groups=0",
        "spate.source.idle-timeout=soon", "spate.source.stall-timeout=-1s",
        "spate.task.timeout=10parsecs", "spate.source.prefilter=yes", "spate.task.timeout=0s",
        "spate.source.stall-timeout=0ms", "spate.job.engine=fast"}) {
    INFO(bad);
    Status s = ApplyConf(bad, &spec);
    CHECK(s.code() == StatusCode::kInvalidArgument);
  }
  Status s = ApplyConf("spate.sql.shuffle.partitions=abc", &spec);
  CHECK_THAT(s.message(), Catch::Contains("spate.sql.shuffle.partitions"));
  CHECK_THAT(s.message(), Catch::Contains("abc"));
  CHECK(spec.shuffle_partitions() == 0);  // a rejected value sets no field
  REQUIRE(ApplyConf("spate.key-groups=32768", &spec).ok());
  REQUIRE(ApplyConf("spate.job.engine=compiled", &spec).ok());
  CHECK(spec.key_groups() == 32768);
}

TEST_CASE("local masters give a core count and other masters are not local", "[unit]") {
  CHECK(*ParseLocalMaster("local") == 1);
  CHECK(*ParseLocalMaster("local[4]") == 4);
  CHECK(*ParseLocalMaster("local[1]") == 1);
  auto all = ParseLocalMaster("local[*]");
  REQUIRE(all.ok());
  CHECK(*all >= 1);
  CHECK(*all == static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));

  CHECK(ParseLocalMaster("local[0]").status().code() == StatusCode::kInvalidArgument);
  CHECK(ParseLocalMaster("local[-1]").status().code() == StatusCode::kInvalidArgument);
  CHECK(ParseLocalMaster("local[x]").status().code() == StatusCode::kInvalidArgument);
  CHECK(ParseLocalMaster("local[]").status().code() == StatusCode::kInvalidArgument);

  for (const char* remote : {"spark://127.0.0.1:7077", "spate://127.0.0.1:7077", "127.0.0.1:7077",
                             "", "localhost:7077", "local[4"}) {
    INFO(remote);
    CHECK(ParseLocalMaster(remote).status().code() == StatusCode::kNotFound);
  }
}

}  // namespace
}  // namespace spate::client

namespace spate::client {
namespace {

TEST_CASE("--status shows a bad record's bytes escaped, on one line", "[unit]") {
  proto::GetJobReply reply;
  reply.mutable_status()->set_state(proto::FINISHED);
  auto* sample = reply.mutable_status()->add_recent_samples();
  sample->set_kind("malformed");
  sample->set_reason("not_json");
  sample->set_offset(8);
  constexpr char kBad[] = "{\"content\":\"crash \xff\xfe broken\n\0\x1b[2J";
  sample->set_value(std::string(kBad, sizeof(kBad) - 1));
  const std::string text = FormatStatus(reply);
  CHECK_THAT(text, Catch::Contains("bad record: malformed (not_json) at partition 0 offset 8: "
                                   "{\"content\":\"crash \\xff\\xfe broken\\x0a\\x00\\x1b[2J\n"));
  for (unsigned char c : text) {
    CHECK((c == '\n' || (c >= 0x20 && c < 0x7f)));
  }
}

}  // namespace
}  // namespace spate::client
