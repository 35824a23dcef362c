#include "exec/decoder.h"

#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tests/exec/plan_builders.h"

namespace spate::exec {
namespace {

using namespace spate::exec::testing;  // NOLINT

constexpr std::string_view kRecord =
    R"({"timestamp": 1768142570123, "status": "ERROR", "severity": "High", )"
    R"("source_ip": "192.168.1.42", "user_id": "user_1836", )"
    R"("content": "Application crash detected in module auth", )"
    R"("http": {"status": 503, "path": "/pay", "tls": {"version": "1.3"}}, "latency": 12.5, )"
    R"("ok": false})";

std::unique_ptr<RowDecoder> MakeDecoder(proto::SourcePlan plan) {
  auto d = RowDecoder::Make(plan);
  REQUIRE(d.ok());
  return std::move(d).value();
}

// A page followed by an unreadable one: a record at its end must be copied before parsing.
struct GuardedPage {
  size_t size = 0;
  char* base = nullptr;
  GuardedPage() {
    size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* mem = mmap(nullptr, 2 * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) std::abort();
    base = static_cast<char*>(mem);
    if (mprotect(base + size, size, PROT_NONE) != 0) std::abort();
  }
  ~GuardedPage() { munmap(base, 2 * size); }
  std::string_view PlaceAtEnd(std::string_view json) {
    char* at = base + size - json.size();
    if (!json.empty()) std::memcpy(at, json.data(), json.size());
    return {at, json.size()};
  }
};

proto::SourcePlan WideSource(bool fail_on_missing = false) {
  return Source({Column("timestamp", {"timestamp"}, proto::TYPE_TIMESTAMP_LTZ),
                 Column("severity", {"severity"}, proto::TYPE_STRING),
                 Column("http.status", {"http", "status"}, proto::TYPE_INT),
                 Column("http.tls.version", {"http", "tls", "version"}, proto::TYPE_STRING),
                 Column("latency", {"latency"}, proto::TYPE_DOUBLE),
                 Column("ok", {"ok"}, proto::TYPE_BOOLEAN),
                 Column("content", {"content"}, proto::TYPE_STRING)},
                fail_on_missing);
}

// The outcome of `json` both read in place and copied (at the end of a guarded page).
void CheckOutcome(const proto::SourcePlan& plan, std::string_view json, MalformedReason reason,
                  std::string_view field = "") {
  static GuardedPage page;
  INFO("json: " << json);
  auto d = MakeDecoder(plan);
  std::vector<Value> row(d->columns());
  const std::string copy(json);
  const DecodeOutcome outcomes[] = {d->Decode(copy, row.data()),
                                    d->Decode(page.PlaceAtEnd(json), row.data())};
  for (const DecodeOutcome& o : outcomes) {
    CHECK(MalformedReasonName(o.reason) == MalformedReasonName(reason));
    CHECK(o.field == field);
  }
}

bool PointsInto(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

TEST_CASE("decoder extracts top-level and nested columns in one pass", "[unit]") {
  auto d = MakeDecoder(WideSource());
  REQUIRE(d->columns() == 7);
  std::vector<Value> row(7);
  const DecodeOutcome o = d->Decode(kRecord, row.data());
  REQUIRE(o.ok());
  CHECK(row[0].kind == ValueKind::kInt);
  CHECK(row[0].i == 1768142570123);
  CHECK(row[1].s == "High");
  CHECK(row[2].i == 503);
  CHECK(row[3].s == "1.3");
  CHECK(row[4].kind == ValueKind::kDouble);
  CHECK(row[4].d == 12.5);
  CHECK(row[5].kind == ValueKind::kBool);
  CHECK(!row[5].b);
  CHECK(row[6].s == "Application crash detected in module auth");
  // No escapes: strings view the input.
  CHECK(PointsInto(row[1].s, kRecord));
  CHECK(PointsInto(row[6].s, kRecord));
}

TEST_CASE("decoder: missing columns and null are NULL, or missing_field when asked", "[unit]") {
  auto d = MakeDecoder(WideSource());
  std::vector<Value> row(7);
  REQUIRE(d->Decode(R"({"severity": null, "http": null})", row.data()).ok());
  for (const Value& v : row) CHECK(v.is_null());
  REQUIRE(d->Decode(R"({"http": {"tls": null}})", row.data()).ok());
  for (const Value& v : row) CHECK(v.is_null());

  const auto strict = WideSource(true);
  CheckOutcome(strict, R"({"timestamp": 1, "severity": "x"})", MalformedReason::kMissingField,
               "http.status");
  // A JSON null is present (NULL), an absent key is missing.
  CheckOutcome(strict,
               R"({"timestamp": null, "severity": null, "http": {"status": null, "tls": )"
               R"({"version": null}}, "latency": null, "ok": null, "content": null})",
               MalformedReason::kNone);
  // A path through a null object is missing.
  CheckOutcome(strict,
               R"({"timestamp": 1, "severity": null, "http": null, "latency": 1, "ok": true, )"
               R"("content": ""})",
               MalformedReason::kMissingField, "http.status");
}

TEST_CASE("decoder: a NOT NULL column takes no null and must be present", "[unit]") {
  auto severity = Column("severity", {"severity"}, proto::TYPE_STRING);
  severity.mutable_type()->set_not_null(true);
  const auto plan = Source({Column("ok", {"ok"}, proto::TYPE_BOOLEAN), severity,
                            Column("content", {"content"}, proto::TYPE_STRING)});
  CheckOutcome(plan, R"({"severity": "High"})", MalformedReason::kNone);
  CheckOutcome(plan, R"({"ok": true, "severity": null, "content": "x"})",
               MalformedReason::kWrongType, "severity");
  CheckOutcome(plan, R"({"ok": true, "content": null})", MalformedReason::kMissingField,
               "severity");
  // The first problem in document order wins; invalid JSON after it still wins over both.
  CheckOutcome(plan, R"({"severity": null, "ok": 1})", MalformedReason::kWrongType, "severity");
  CheckOutcome(plan, R"({"severity": null, "ok": tru})", MalformedReason::kNotJson);
}

TEST_CASE("decoder: escapes, unicode and surrogate pairs are decoded", "[unit]") {
  auto d = MakeDecoder(Source({Column("content", {"content"}, proto::TYPE_STRING),
                               Column("user", {"user"}, proto::TYPE_STRING)}));
  std::vector<Value> row(2);
  const std::string json =
      R"({"content": "a\"b\\c\n\u00e9\ud83d\ude00", "user": "plain", "other": "x\ty"})";
  REQUIRE(d->Decode(json, row.data()).ok());
  CHECK(row[0].s == "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(row[1].s == "plain");
  CHECK(PointsInto(row[1].s, json));  // unescaped strings stay zero copy in an escaped record
  // Raw UTF-8 passes through.
  REQUIRE(d->Decode("{\"content\": \"caf\xc3\xa9\"}", row.data()).ok());
  CHECK(row[0].s == "caf\xc3\xa9");
  CHECK(row[1].is_null());
}

TEST_CASE("decoder: keys are compared unescaped; the first duplicate wins", "[unit]") {
  auto d = MakeDecoder(WideSource());
  std::vector<Value> row(7);
  REQUIRE(d->Decode(R"({"sev\u0065rity": "Low", "severity": "High", "http": {"st\u0061tus": 1},)"
                    R"( "http": {"status": 2}})",
                    row.data())
              .ok());
  CHECK(row[1].s == "Low");
  CHECK(row[2].i == 1);
  // Duplicates after the first are still validated.
  CheckOutcome(WideSource(), R"({"severity": "a", "severity": [1,}, "x": 1})",
               MalformedReason::kNotJson);
  // The first occurrence wins even when it has the wrong type.
  CheckOutcome(WideSource(), R"({"severity": 1, "severity": "a"})", MalformedReason::kWrongType,
               "severity");
  // Keys longer than 8 bytes and keys that share a prefix.
  auto d2 = MakeDecoder(Source({Column("a", {"abcdefghijk"}, proto::TYPE_BIGINT),
                                Column("b", {"abcdefghijx"}, proto::TYPE_BIGINT),
                                Column("c", {"abcdefgh"}, proto::TYPE_BIGINT),
                                Column("d", {"abcdefghi"}, proto::TYPE_BIGINT)}));
  std::vector<Value> r2(4);
  REQUIRE(d2->Decode(R"({"abcdefghijx": 2, "abcdefgh": 3, "abcdefghijk": 1, "abcdefghi": 4,)"
                     R"( "abcdefghijkl": 9, "abcdefg": 9})",
                     r2.data())
              .ok());
  CHECK(r2[0].i == 1);
  CHECK(r2[1].i == 2);
  CHECK(r2[2].i == 3);
  CHECK(r2[3].i == 4);
}

TEST_CASE("decoder: each malformed reason with the column at fault", "[unit]") {
  const auto plan = WideSource();
  CheckOutcome(plan, "", MalformedReason::kNotJson);
  CheckOutcome(plan, "{", MalformedReason::kNotJson);
  CheckOutcome(plan, R"({"severity": "a"} x)", MalformedReason::kNotJson);
  CheckOutcome(plan, R"({"severity": "a"}{})", MalformedReason::kNotJson);
  CheckOutcome(plan, R"({"severity": "a", "x": 01})", MalformedReason::kNotJson);
  CheckOutcome(plan, R"({"severity": "a", "x": "bad \x"})", MalformedReason::kNotJson);
  CheckOutcome(plan, R"({"severity": "\ud800"})", MalformedReason::kNotJson);
  CheckOutcome(plan, R"({"http": {"status": 1,}})", MalformedReason::kNotJson);
  CheckOutcome(plan, R"({"x": [1, "a": 2]})", MalformedReason::kNotJson);
  CheckOutcome(plan, R"({"ok": tru})", MalformedReason::kNotJson);
  CheckOutcome(plan, "{\"severity\": \"\xff\"}", MalformedReason::kNotJson);
  CheckOutcome(plan, "[1, 2]", MalformedReason::kNotObject);
  CheckOutcome(plan, "\"text\"", MalformedReason::kNotObject);
  CheckOutcome(plan, "null", MalformedReason::kNotObject);
  CheckOutcome(plan, "42", MalformedReason::kNotObject);

  CheckOutcome(plan, R"({"severity": 5})", MalformedReason::kWrongType, "severity");
  CheckOutcome(plan, R"({"http": {"status": "503"}})", MalformedReason::kWrongType, "http.status");
  CheckOutcome(plan, R"({"http": {"status": 5.0}})", MalformedReason::kWrongType, "http.status");
  CheckOutcome(plan, R"({"http": {"status": 3000000000}})", MalformedReason::kWrongType,
               "http.status");
  CheckOutcome(plan, R"({"http": 7})", MalformedReason::kWrongType, "http.status");
  CheckOutcome(plan, R"({"http": {"tls": "x"}})", MalformedReason::kWrongType, "http.tls.version");
  CheckOutcome(plan, R"({"latency": "fast"})", MalformedReason::kWrongType, "latency");
  CheckOutcome(plan, R"({"ok": 1})", MalformedReason::kWrongType, "ok");
  CheckOutcome(plan, R"({"content": {"a": 1}})", MalformedReason::kWrongType, "content");
  CheckOutcome(plan, R"({"timestamp": true})", MalformedReason::kWrongType, "timestamp");
  CheckOutcome(plan, R"({"timestamp": 1.5})", MalformedReason::kBadTimestamp, "timestamp");
  CheckOutcome(plan, R"({"timestamp": 1e3})", MalformedReason::kBadTimestamp, "timestamp");
  CheckOutcome(plan, R"({"timestamp": 99999999999999999999})", MalformedReason::kBadTimestamp,
               "timestamp");
  CheckOutcome(plan, R"({"timestamp": "yesterday"})", MalformedReason::kBadTimestamp, "timestamp");
  // The first problem in document order; invalid JSON anywhere wins over it.
  CheckOutcome(plan, R"({"ok": 1, "severity": 2})", MalformedReason::kWrongType, "ok");
  CheckOutcome(plan, R"({"ok": 1, "severity": 2, "x": [})", MalformedReason::kNotJson);
  CheckOutcome(plan, R"({"ok": 1, "severity": [1, 2})", MalformedReason::kNotJson);
  // Wrong type beats missing.
  CheckOutcome(WideSource(true), R"({"ok": 1})", MalformedReason::kWrongType, "ok");
}

TEST_CASE("decoder: timestamp forms", "[unit]") {
  for (proto::TypeKind kind : {proto::TYPE_TIMESTAMP, proto::TYPE_TIMESTAMP_LTZ}) {
    auto d = MakeDecoder(Source({Column("ts", {"ts"}, kind)}));
    Value v;
    auto read = [&](std::string_view json) {
      const DecodeOutcome o = d->Decode(json, &v);
      INFO(json);
      REQUIRE(o.ok());
      return v.i;
    };
    const int64_t base = 1768142570123;  // 2026-01-11T14:42:50.123Z
    CHECK(read(R"({"ts": 1768142570123})") == base);
    CHECK(read(R"({"ts": -5})") == -5);
    CHECK(read(R"({"ts": "2026-01-11T14:42:50.123Z"})") == base);
    CHECK(read(R"({"ts": "2026-01-11T16:42:50.123+02:00"})") == base);
    CHECK(read(R"({"ts": "2026-01-11T14:42:50.123456789Z"})") == base);
    if (kind == proto::TYPE_TIMESTAMP_LTZ) {
      // An instant: a text without an offset does not say which one.
      CheckOutcome(Source({Column("ts", {"ts"}, kind)}), R"({"ts": "2026-01-11 14:42:50.123"})",
                   MalformedReason::kBadTimestamp, "ts");
      continue;
    }
    CHECK(read(R"({"ts": "2026-01-11 14:42:50.123"})") == base);
    CHECK(read(R"({"ts": "2026-01-11T14:42:50.123"})") == base);
    CHECK(read(R"({"ts": "2026-01-11 14:42:50"})") == base - 123);
    CHECK(read(R"({"ts": "2026-01-11 14:42:50.1"})") == base - 23);
    CHECK(read(R"({"ts": "2026-01-11 14:42:50.123456789"})") == base);
    CHECK(read(R"({"ts": "2026-01-11 14:42:50.12\u0033"})") == base);
    CheckOutcome(Source({Column("ts", {"ts"}, kind)}), R"({"ts": "2026-02-30 00:00:00"})",
                 MalformedReason::kBadTimestamp, "ts");
    CheckOutcome(Source({Column("ts", {"ts"}, kind)}), R"({"ts": "2026-01-11"})",
                 MalformedReason::kBadTimestamp, "ts");
    CheckOutcome(Source({Column("ts", {"ts"}, kind)}), R"({"ts": "2026-01-11 25:00:00"})",
                 MalformedReason::kBadTimestamp, "ts");
  }
}

TEST_CASE("decoder: numbers for DOUBLE, BIGINT and INT", "[unit]") {
  auto d = MakeDecoder(
      Source({Column("d", {"d"}, proto::TYPE_DOUBLE), Column("b", {"b"}, proto::TYPE_BIGINT),
              Column("i", {"i"}, proto::TYPE_INT)}));
  std::vector<Value> row(3);
  REQUIRE(d->Decode(R"({"d": 1e3, "b": -9223372036854775808, "i": -2147483648})", row.data()).ok());
  CHECK(row[0].d == 1000.0);
  CHECK(row[1].i == INT64_MIN);
  CHECK(row[2].i == INT32_MIN);
  REQUIRE(d->Decode(R"({"d": 7, "b": 9223372036854775807, "i": 2147483647})", row.data()).ok());
  CHECK(row[0].kind == ValueKind::kDouble);
  CHECK(row[0].d == 7.0);
  CHECK(row[1].i == INT64_MAX);
  REQUIRE(d->Decode(R"({"d": 1e400})", row.data()).ok());
  CHECK(std::isinf(row[0].d));
  REQUIRE(d->Decode(R"({"d": -1e-400})", row.data()).ok());
  CHECK(row[0].d == 0.0);
  REQUIRE(d->Decode(R"({"d": 123456789012345678901234567890})", row.data()).ok());
  CHECK(row[0].d == 123456789012345678901234567890.0);
  REQUIRE(d->Decode(R"({"d": 0.1})", row.data()).ok());
  CHECK(row[0].d == 0.1);
  CheckOutcome(Source({Column("b", {"b"}, proto::TYPE_BIGINT)}), R"({"b": 9223372036854775808})",
               MalformedReason::kWrongType, "b");
  CheckOutcome(Source({Column("b", {"b"}, proto::TYPE_BIGINT)}), R"({"b": -})",
               MalformedReason::kNotJson);
}

TEST_CASE("decoder: plans it cannot run are rejected", "[unit]") {
  CHECK(!RowDecoder::Make(Source({Column("r", {"r"}, proto::TYPE_ROW)})).ok());
  CHECK(!RowDecoder::Make(Source({Column("e", {}, proto::TYPE_STRING)})).ok());
  CHECK(!RowDecoder::Make(Source({Column("a", {"a"}, proto::TYPE_STRING),
                                  Column("a.b", {"a", "b"}, proto::TYPE_STRING)}))
             .ok());
  // The same path twice: both columns get the value.
  auto d = MakeDecoder(
      Source({Column("a", {"a"}, proto::TYPE_STRING), Column("a2", {"a"}, proto::TYPE_STRING)}));
  std::vector<Value> row(2);
  REQUIRE(d->Decode(R"({"a": "x"})", row.data()).ok());
  CHECK(row[0].s == "x");
  CHECK(row[1].s == "x");
}

TEST_CASE("decoder: deep nesting is validated up to the limit", "[unit]") {
  const auto plan = WideSource();
  std::string deep;
  for (int k = 0; k < 1100; ++k) deep += "[";
  for (int k = 0; k < 1100; ++k) deep += "]";
  CheckOutcome(plan, R"({"x": )" + deep + "}", MalformedReason::kNotJson);
  std::string ok;
  for (int k = 0; k < 100; ++k) ok += "{\"a\":";
  ok += "1";
  for (int k = 0; k < 100; ++k) ok += "}";
  CheckOutcome(plan, R"({"x": )" + ok + R"(, "severity": "s"})", MalformedReason::kNone);
}

TEST_CASE("decoder: a long record and reuse across records", "[unit]") {
  auto d = MakeDecoder(WideSource());
  std::vector<Value> row(7);
  std::string big = R"({"content": ")" + std::string(100000, 'x') + R"(", "severity": "Low"})";
  REQUIRE(d->Decode(big, row.data()).ok());
  CHECK(row[6].s.size() == 100000);
  CHECK(row[1].s == "Low");
  REQUIRE(d->Decode(kRecord, row.data()).ok());
  CHECK(row[1].s == "High");
}

}  // namespace
}  // namespace spate::exec
