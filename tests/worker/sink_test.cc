// Unit tests of result formatting and the file sink: JSON lines, the console table, atomic
// per-batch-and-part files, stable Kafka transactional ids.
#include "worker/sink.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace spate::worker {
namespace {

using spate::testing::TempDir;

constexpr int64_t kWindowStart = 1768142570000;  // 2026-01-11 14:42:50 UTC

proto::ResultRow Row(std::string key, int64_t count, int64_t start = kWindowStart,
                     int64_t size = 10'000) {
  proto::ResultRow r;
  r.set_window_start_ms(start);
  r.set_window_end_ms(start + size);
  r.set_key(std::move(key));
  r.set_count(count);
  return r;
}

RowSchema CrashSchema() { return RowSchema{"user_id", "crash_count", {}}; }

Result<std::unique_ptr<Sink>> Open(const std::string& spec, int32_t part = 0) {
  SinkOptions o;
  o.spec = spec;
  o.schema = CrashSchema();
  return MakeSink(o, part);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> ListDir(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    names.insert(e.path().filename().string());
  return names;
}

TEST_CASE("a result row is one JSON line in the documented format", "[unit]") {
  CHECK(RowToJson(Row("user_1836", 5), CrashSchema()) ==
        R"({"window_start":"2026-01-11 14:42:50","window_end":"2026-01-11 14:43:00",)"
        R"("user_id":"user_1836","crash_count":5})");
  CHECK(RowToJson(Row("192.168.1.42", 1), RowSchema{"source_ip", "count", {}}) ==
        R"({"window_start":"2026-01-11 14:42:50","window_end":"2026-01-11 14:43:00",)"
        R"("source_ip":"192.168.1.42","count":1})");
}

TEST_CASE("a result row's window bounds print in UTC, before 1970 too", "[unit]") {
  CHECK(RowToJson(Row("u", 3, -10'000), CrashSchema()) ==
        R"({"window_start":"1969-12-31 23:59:50","window_end":"1970-01-01 00:00:00",)"
        R"("user_id":"u","crash_count":3})");
}

TEST_CASE("a user id with quotes, backslashes, control characters and unicode is escaped",
          "[unit]") {
  std::string key = "a\"b\\c\nd\te\x01 \xc3\xa9\xe2\x82\xac\xf0\x9f\x92\xa5/";
  std::string json = RowToJson(Row(key, 7), CrashSchema());
  CHECK(json ==
        "{\"window_start\":\"2026-01-11 14:42:50\",\"window_end\":\"2026-01-11 14:43:00\","
        "\"user_id\":\"a\\\"b\\\\c\\nd\\te\\u0001 \xc3\xa9\xe2\x82\xac\xf0\x9f\x92\xa5/\","
        "\"crash_count\":7}");
  CHECK(json.find('\n') == std::string::npos);
  // An empty key is still a string.
  CHECK_THAT(RowToJson(Row("", 3), CrashSchema()), Catch::Contains(R"("user_id":"",)"));
}

TEST_CASE("the console table matches the exercise's layout", "[unit]") {
  std::vector<proto::ResultRow> rows = {
      Row("user_1836", 5), Row("user_1184", 3), Row("user_1946", 3), Row("user_1551", 3),
      Row("user_1841", 3), Row("user_1287", 3), Row("user_1028", 3), Row("user_1288", 3)};
  // Verbatim from the exercise's "Example of output".
  const std::string expected =
      "-------------------------------------------\n"
      "Batch: 12\n"
      "-------------------------------------------\n"
      "+------------------------------------------+---------+-----------+\n"
      "|Interval                                  |user_id  |crash_count|\n"
      "+------------------------------------------+---------+-----------+\n"
      "|{2026-01-11 14:42:50, 2026-01-11 14:43:00}|user_1836|5          |\n"
      "|{2026-01-11 14:42:50, 2026-01-11 14:43:00}|user_1184|3          |\n"
      "|{2026-01-11 14:42:50, 2026-01-11 14:43:00}|user_1946|3          |\n"
      "|{2026-01-11 14:42:50, 2026-01-11 14:43:00}|user_1551|3          |\n"
      "|{2026-01-11 14:42:50, 2026-01-11 14:43:00}|user_1841|3          |\n"
      "|{2026-01-11 14:42:50, 2026-01-11 14:43:00}|user_1287|3          |\n"
      "|{2026-01-11 14:42:50, 2026-01-11 14:43:00}|user_1028|3          |\n"
      "|{2026-01-11 14:42:50, 2026-01-11 14:43:00}|user_1288|3          |\n"
      "+------------------------------------------+---------+-----------+\n";
  CHECK(FormatConsoleBatch(12, rows, CrashSchema()) == expected);
}

TEST_CASE("console table columns widen to the longest cell", "[unit]") {
  std::vector<proto::ResultRow> rows = {Row("u", 12345678901234)};
  const std::string expected =
      "-------------------------------------------\n"
      "Batch: 0\n"
      "-------------------------------------------\n"
      "+------------------------------------------+-------+--------------+\n"
      "|Interval                                  |user_id|crash_count   |\n"
      "+------------------------------------------+-------+--------------+\n"
      "|{2026-01-11 14:42:50, 2026-01-11 14:43:00}|u      |12345678901234|\n"
      "+------------------------------------------+-------+--------------+\n";
  CHECK(FormatConsoleBatch(0, rows, CrashSchema()) == expected);
}

TEST_CASE("an empty batch prints the header only", "[unit]") {
  const std::string expected =
      "-------------------------------------------\n"
      "Batch: 3\n"
      "-------------------------------------------\n"
      "+--------+-------+-----------+\n"
      "|Interval|user_id|crash_count|\n"
      "+--------+-------+-----------+\n"
      "+--------+-------+-----------+\n";
  CHECK(FormatConsoleBatch(3, {}, CrashSchema()) == expected);
}

TEST_CASE("the file sink writes one batch-<12 digits>-<part>.jsonl per part and no temp file",
          "[unit]") {
  TempDir dir("spate-sink-unit");
  std::string out = dir.Join("out");
  auto sink = Open("file:" + out);
  REQUIRE(sink.ok());
  CHECK((*sink)->Describe() == "file:" + out);
  REQUIRE((*sink)->WriteBatch(7, 3, {Row("user_a", 3), Row("user_b", 4)}).ok());
  CHECK(ListDir(out) == std::set<std::string>{"batch-000000000007-00003.jsonl"});
  CHECK(ReadFile(out + "/batch-000000000007-00003.jsonl") ==
        RowToJson(Row("user_a", 3), CrashSchema()) + "\n" +
            RowToJson(Row("user_b", 4), CrashSchema()) + "\n");

  REQUIRE((*sink)->WriteBatch(123456789012, 0, {Row("user_c", 9)}).ok());
  CHECK(ListDir(out) ==
        std::set<std::string>{"batch-000000000007-00003.jsonl", "batch-123456789012-00000.jsonl"});
}

TEST_CASE("the file sink writes no file for an empty batch", "[unit]") {
  TempDir dir("spate-sink-unit");
  auto sink = Open("file:" + dir.Join("out"));
  REQUIRE(sink.ok());
  REQUIRE((*sink)->WriteBatch(0, 0, {}).ok());
  REQUIRE((*sink)->WriteBatch(1, 1, {}).ok());
  CHECK(ListDir(dir.Join("out")).empty());
}

TEST_CASE("rewriting a batch in the file sink replaces its file", "[unit]") {
  TempDir dir("spate-sink-unit");
  std::string out = dir.Join("out");
  auto sink = Open("file:" + out);
  REQUIRE(sink.ok());
  REQUIRE((*sink)->WriteBatch(5, 2, {Row("user_a", 3), Row("user_b", 4), Row("user_c", 5)}).ok());
  // A replay of batch 5 writes the same name; another part writes its own.
  REQUIRE((*sink)->WriteBatch(5, 2, {Row("user_z", 8)}).ok());
  CHECK(ListDir(out) == std::set<std::string>{"batch-000000000005-00002.jsonl"});
  CHECK(ReadFile(out + "/batch-000000000005-00002.jsonl") ==
        RowToJson(Row("user_z", 8), CrashSchema()) + "\n");
  REQUIRE((*sink)->WriteBatch(5, 0, {Row("user_y", 7)}).ok());
  CHECK(ListDir(out) ==
        std::set<std::string>{"batch-000000000005-00000.jsonl", "batch-000000000005-00002.jsonl"});
}

TEST_CASE("sink specs other than console, file:DIR and kafka:TOPIC are rejected", "[unit]") {
  CHECK(ValidateSinkSpec("console").ok());
  CHECK(ValidateSinkSpec("file:/tmp/x").ok());
  CHECK(ValidateSinkSpec("kafka:results").ok());
  for (const char* bad : {"", "file:", "kafka:", "hdfs:/x", "Console", "kafka:bad topic"}) {
    INFO(bad);
    CHECK(ValidateSinkSpec(bad).code() == StatusCode::kInvalidArgument);
  }
  auto sink = Open("parquet:/x");
  REQUIRE_FALSE(sink.ok());
  CHECK_THAT(sink.status().message(), Catch::Contains("parquet:/x"));
  auto console = Open("console");
  REQUIRE(console.ok());
  CHECK((*console)->WriteBatch(1, 0, {Row("u", 3)}).ok());
}

TEST_CASE("a Kafka sink's transactional ids are stable and differ per part and sink", "[unit]") {
  // Fixed values: a change of compiler or library must never change them (a restarted job
  // would not find its transactions and markers, and could write a batch twice).
  CHECK(KafkaSinkTransactionalId("/ckpt/job-1", "results", 0) ==
        KafkaSinkTransactionalId("/ckpt/job-1", "results", 0));
  CHECK(KafkaSinkTransactionalId("/ckpt/job-1", "results", 0).rfind("spate-", 0) == 0);
  CHECK(KafkaSinkTransactionalId("/ckpt/job-1", "results", 0).size() == 6 + 16);
  CHECK(KafkaSinkTransactionalId("/ckpt/job-1", "results", 0) !=
        KafkaSinkTransactionalId("/ckpt/job-1", "results", 1));
  CHECK(KafkaSinkTransactionalId("/ckpt/job-1", "results", 0) !=
        KafkaSinkTransactionalId("/ckpt/job-2", "results", 0));
  CHECK(KafkaSinkTransactionalId("/ckpt/job-1", "results", 0) == "spate-4a38a701e6756ddf");
}

}  // namespace
}  // namespace spate::worker
