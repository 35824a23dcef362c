#include "common/log_record.h"

#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "common/text.h"

namespace spate {
namespace {

constexpr std::string_view kRecord =
    R"({"timestamp": 1768142570123, "status": "ERROR", "severity": "High", )"
    R"("source_ip": "192.168.1.42", "user_id": "user_1836", )"
    R"("content": "Application crash detected in module auth"})";

constexpr uint32_t kCrashFields = kFieldTimestamp | kFieldSeverity | kFieldUserId | kFieldContent;

// A page followed by an unreadable one, to put records where Parse must copy them (padding would
// cross into the guard page) or may read them in place (at the page start).
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
  std::string_view PlaceAtStart(std::string_view json) {
    if (!json.empty()) std::memcpy(base, json.data(), json.size());
    std::memset(base + json.size(), 'x', size - json.size());  // garbage after the record
    return {base, json.size()};
  }
};

// Checks the outcome of `json` through every path: copied, read in place, ParsePadded.
void CheckOutcome(std::string_view json, uint32_t required, MalformedReason reason,
                  std::string_view field = "") {
  static GuardedPage page;
  INFO("json: " << json);
  REQUIRE(json.size() + RecordParser::kPadding < page.size);
  RecordParser parser;
  LogRecordView view;
  const ParseOutcome outcomes[] = {
      parser.Parse(json, required, &view),
      parser.Parse(page.PlaceAtEnd(json), required, &view),
      parser.Parse(page.PlaceAtStart(json), required, &view),
      parser.ParsePadded(page.PlaceAtStart(json), required, &view),
  };
  for (const ParseOutcome& o : outcomes) {
    CHECK(MalformedReasonName(o.reason) == MalformedReasonName(reason));
    CHECK(o.field == field);
    CHECK(o.ok() == (reason == MalformedReason::kNone));
  }
}

bool PointsInto(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

TEST_CASE("a course record parses with every field, strings viewing the input", "[unit]") {
  RecordParser parser;
  LogRecordView r;
  const ParseOutcome o = parser.Parse(kRecord, kAllFields, &r);
  REQUIRE(o.ok());
  CHECK(o.field.empty());
  CHECK(r.timestamp_ms == 1768142570123);
  CHECK(r.status == "ERROR");
  CHECK(r.severity == "High");
  CHECK(r.source_ip == "192.168.1.42");
  CHECK(r.user_id == "user_1836");
  CHECK(r.content == "Application crash detected in module auth");
  for (std::string_view s : {r.status, r.severity, r.source_ip, r.user_id, r.content}) {
    CHECK(PointsInto(s, kRecord));  // zero copy
  }
}

TEST_CASE("only required fields are extracted and checked", "[unit]") {
  RecordParser parser;
  LogRecordView r;
  REQUIRE(parser.Parse(kRecord, kCrashFields, &r).ok());
  CHECK(r.timestamp_ms == 1768142570123);
  CHECK(r.severity == "High");
  CHECK(r.user_id == "user_1836");
  CHECK(r.content == "Application crash detected in module auth");
  CHECK(r.status.empty());
  CHECK(r.source_ip.empty());

  // Absent or ill-typed fields that are not required do not matter.
  const std::string_view partial =
      R"({"timestamp": 5, "status": 404, "severity": "Low", "user_id": "u", "content": ""})";
  REQUIRE(parser.Parse(partial, kCrashFields, &r).ok());
  CHECK(r.timestamp_ms == 5);
  CHECK(r.content.empty());
  CHECK(parser.Parse(partial, kCrashFields | kFieldStatus, &r).field == "status");
  CHECK(parser.Parse(partial, kCrashFields | kFieldSourceIp, &r).field == "source_ip");

  // Nothing required: any object is a record.
  CHECK(parser.Parse("{}", 0, &r).ok());
  CHECK(parser.Parse(R"({"timestamp": "not a time"})", 0, &r).ok());
  CHECK(parser.Parse(R"({"timestamp": "not a time"})", kFieldUserId, &r).reason ==
        MalformedReason::kMissingField);
  // Bits beyond the six fields are ignored.
  CHECK(parser.Parse(kRecord, 0xFFFFFFFFu, &r).ok());
}

TEST_CASE("unknown fields of any type are ignored", "[unit]") {
  RecordParser parser;
  LogRecordView r;
  const std::string json =
      R"({"host": "web-1", "n": -1.5e3, "ok": true, "no": false, "nil": null, )"
      R"("tags": ["a", {"b": [1, 2, {}]}, []], "meta": {"x": {"y": "z\n"}}, )"
      R"("user_id": "user_7", "timestamp": 42, "Severity": 3, "extra": {}})";
  const ParseOutcome o = parser.Parse(json, kFieldUserId | kFieldTimestamp, &r);
  REQUIRE(o.ok());
  CHECK(r.user_id == "user_7");
  CHECK(r.timestamp_ms == 42);
  // Keys are case-sensitive: "Severity" is not "severity".
  CHECK(parser.Parse(json, kFieldSeverity, &r).reason == MalformedReason::kMissingField);
}

TEST_CASE("whitespace around and inside the object is accepted", "[unit]") {
  RecordParser parser;
  LogRecordView r;
  const std::string_view json = " \t\r\n{ \"user_id\" :\n\"u1\" ,\t\"timestamp\"\r:\n-7 } \n ";
  REQUIRE(parser.Parse(json, kFieldUserId | kFieldTimestamp, &r).ok());
  CHECK(r.user_id == "u1");
  CHECK(r.timestamp_ms == -7);
}

TEST_CASE("text that is not JSON is malformed as not_json", "[unit]") {
  const uint32_t all = kAllFields;
  for (std::string_view bad : {
           std::string_view(""),
           std::string_view("   "),
           std::string_view("{"),
           std::string_view("}"),
           std::string_view("nope"),
           std::string_view("{\"timestamp\": 1"),
           std::string_view("{\"timestamp\": 1,}"),
           std::string_view("{\"timestamp\" 1}"),
           std::string_view("{\"timestamp\": 1 \"status\": \"x\"}"),
           std::string_view("{timestamp: 1}"),
           std::string_view("{'timestamp': 1}"),
           std::string_view("{\"a\": tru}"),
           std::string_view("{\"a\": nul}"),
           std::string_view("{\"a\": True}"),
           std::string_view("{\"a\": 01}"),
           std::string_view("{\"a\": 1.}"),
           std::string_view("{\"a\": .5}"),
           std::string_view("{\"a\": -}"),
           std::string_view("{\"a\": 1e}"),
           std::string_view("{\"a\": +1}"),
           std::string_view("{\"a\": 0x10}"),
           std::string_view("{\"a\": NaN}"),
           std::string_view("{\"a\": [1, 2,]}"),
           std::string_view("{\"a\": [1, 2, }}"),
           std::string_view("{\"a\": [1 2]}"),
           std::string_view("{\"a\": {\"b\"}}"),
           std::string_view("{\"a\": \"\\x\"}"),
           std::string_view("{\"a\": \"\\u12\"}"),
           std::string_view("{\"a\": \"\\ud800\"}"),
           std::string_view("{\"\\q\": 1}"),
           std::string_view("{\"a\": \"unterminated}"),
           std::string_view("{\"a\": 1}}"),
           std::string_view("{\"a\": 1} {\"b\": 2}"),
           std::string_view("{\"a\": 1} x"),
           std::string_view("{\"a\": 1} 2"),
           std::string_view("{\"a\": 1}]"),
           std::string_view("{\"timestamp\": 1.}"),
           std::string_view("{\"timestamp\": -}"),
           std::string_view("{\"timestamp\": 01}"),
           std::string_view("{\"timestamp\": tru}"),
           std::string_view("{\"status\": \"a\\x\"}"),
           std::string_view("{\"status\": [1,]}"),
           std::string_view(R"({"a": [1, "b": 2]})"),
           std::string_view(R"({"a": "b": "c"})"),
           std::string_view(R"({"user_id": "u": 5})"),
           std::string_view(R"({"timestamp": 1: 2})"),
           std::string_view(R"({"a": ["x", "b": "c"}], "t": 1})"),
           std::string_view(R"({"a": {"b": 1]})"),
           std::string_view(R"({"a": [1}]})"),
           std::string_view("[1, 2"),
           std::string_view("\"abc"),
           std::string_view("1 2"),
           std::string_view("tru"),
       }) {
    CheckOutcome(bad, all, MalformedReason::kNotJson);
  }
  // Bytes JSON forbids: invalid UTF-8 and raw control characters inside strings.
  CheckOutcome(std::string("{\"content\": \"caf\xC3\"}"), all, MalformedReason::kNotJson);
  CheckOutcome(std::string("{\"content\": \"\xFF\"}"), all, MalformedReason::kNotJson);
  CheckOutcome(std::string("{\"content\": \"a\x01z\"}"), all, MalformedReason::kNotJson);
  CheckOutcome(std::string("{\"content\": \"tab\there\"}"), all, MalformedReason::kNotJson);
  CheckOutcome(std::string("{\"a\": 1}\0", 9), all, MalformedReason::kNotJson);
}

TEST_CASE("valid JSON that is not an object is malformed as not_object", "[unit]") {
  for (std::string_view v : {"[]", "[1, {\"timestamp\": 1}]", "\"a string\"", "42", "-1.5e3",
                             "true", "false", "null", "  [ ]  ", "\"caf\\u00e9\""}) {
    CheckOutcome(v, kAllFields, MalformedReason::kNotObject);
  }
}

TEST_CASE("a missing required field is reported by name", "[unit]") {
  const std::string_view names[] = {"timestamp", "status",  "severity",
                                    "source_ip", "user_id", "content"};
  for (int i = 0; i < 6; ++i) {
    const uint32_t bit = 1u << i;
    // The full record without field i.
    std::string json = "{";
    const std::string values[] = {"1", "\"s\"", "\"High\"", "\"1.2.3.4\"", "\"u\"", "\"c\""};
    for (int j = 0; j < 6; ++j) {
      if (j == i) continue;
      if (json.size() > 1) json += ", ";
      json.append("\"").append(names[j]).append("\": ").append(values[j]);
    }
    json += "}";
    CheckOutcome(json, kAllFields, MalformedReason::kMissingField, names[i]);
    CheckOutcome(json, kAllFields & ~bit, MalformedReason::kNone);
    CHECK(RecordFieldName(bit) == names[i]);
  }
  // Several missing: the first in bit order.
  CheckOutcome(R"({"content": "x"})", kAllFields, MalformedReason::kMissingField, "timestamp");
  CheckOutcome(R"({"content": "x"})", kFieldUserId | kFieldSeverity, MalformedReason::kMissingField,
               "severity");
  CheckOutcome("{}", kFieldContent, MalformedReason::kMissingField, "content");
}

TEST_CASE("a required field of the wrong JSON type is reported by name", "[unit]") {
  CheckOutcome(R"({"timestamp": 1, "status": 500})", kFieldStatus, MalformedReason::kWrongType,
               "status");
  CheckOutcome(R"({"severity": null})", kFieldSeverity, MalformedReason::kWrongType, "severity");
  CheckOutcome(R"({"source_ip": [192, 168, 1, 1]})", kFieldSourceIp, MalformedReason::kWrongType,
               "source_ip");
  CheckOutcome(R"({"user_id": 1836})", kFieldUserId, MalformedReason::kWrongType, "user_id");
  CheckOutcome(R"({"content": {"text": "crash"}})", kFieldContent, MalformedReason::kWrongType,
               "content");
  CheckOutcome(R"({"content": false})", kFieldContent, MalformedReason::kWrongType, "content");
  for (std::string_view ts : {"true", "false", "null", "[1768142570123]", "{\"ms\": 1}"}) {
    CheckOutcome("{\"timestamp\": " + std::string(ts) + "}", kFieldTimestamp,
                 MalformedReason::kWrongType, "timestamp");
  }
}

TEST_CASE("the first problem wins, but broken JSON beats everything", "[unit]") {
  // Two field problems: the first in document order.
  CheckOutcome(R"({"user_id": 1, "timestamp": 1.5})", kAllFields, MalformedReason::kWrongType,
               "user_id");
  CheckOutcome(R"({"timestamp": 1.5, "user_id": 1})", kAllFields, MalformedReason::kBadTimestamp,
               "timestamp");
  // A field problem beats a missing field.
  CheckOutcome(R"({"content": 7})", kAllFields, MalformedReason::kWrongType, "content");
  // Invalid JSON anywhere beats a field problem found earlier.
  CheckOutcome(R"({"user_id": 1, "x": tru})", kAllFields, MalformedReason::kNotJson);
  CheckOutcome(R"({"user_id": 1} {})", kAllFields, MalformedReason::kNotJson);
}

TEST_CASE("numeric timestamps must be int64 integer literals", "[unit]") {
  RecordParser parser;
  LogRecordView r;
  const auto ts = [&](std::string_view literal) -> Result<int64_t> {
    const std::string json = "{\"timestamp\": " + std::string(literal) + "}";
    const ParseOutcome o = parser.Parse(json, kFieldTimestamp, &r);
    if (!o.ok()) return Status::InvalidArgument(std::string(MalformedReasonName(o.reason)));
    return r.timestamp_ms;
  };
  CHECK(ts("0").value() == 0);
  CHECK(ts("-0").value() == 0);
  CHECK(ts("-1").value() == -1);
  CHECK(ts("1768142570123").value() == 1768142570123);
  CHECK(ts("9223372036854775807").value() == std::numeric_limits<int64_t>::max());
  CHECK(ts("-9223372036854775808").value() == std::numeric_limits<int64_t>::min());
  CHECK(ts("12345678").value() == 12345678);
  CHECK(ts("-87654321").value() == -87654321);
  CHECK(ts("123456789012345678").value() == 123456789012345678);
  CHECK(ts("1234567890123456789").value() == 1234567890123456789);
  CHECK(ts("9").value() == 9);
  for (std::string_view invalid :
       {"00", "-01", "0123456789", "1234567a", "12345678-", "--1", "1-2", "12345678.", "1.2.3"}) {
    INFO(invalid);
    CHECK(ts(invalid).status().message() == "not_json");
  }
  for (std::string_view bad :
       {"1.5", "1.0", "1e3", "1E3", "1e30", "-0.0", "9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "99999999999999999999999999999", "1e400"}) {
    INFO(bad);
    CHECK(ts(bad).status().message() == "bad_timestamp");
  }
}

TEST_CASE("string timestamps are RFC 3339 instants with a zone offset", "[unit]") {
  RecordParser parser;
  LogRecordView r;
  const auto ts = [&](std::string_view text) -> Result<int64_t> {
    const std::string json = "{\"timestamp\": \"" + std::string(text) + "\"}";
    const ParseOutcome o = parser.Parse(json, kFieldTimestamp, &r);
    if (!o.ok()) return Status::InvalidArgument(std::string(MalformedReasonName(o.reason)));
    return r.timestamp_ms;
  };
  CHECK(ts("2026-01-11T14:42:50.123Z").value() == 1768142570123);
  CHECK(ts("2026-01-11T20:12:50.123+05:30").value() == 1768142570123);
  CHECK(ts("2026-01-11T06:42:50.123-08:00").value() == 1768142570123);
  CHECK(ts("1969-12-31T23:59:59.999Z").value() == -1);
  CHECK(ts("2026-01-11T14:42:50").status().message() == "bad_timestamp");  // no offset
  CHECK(ts("yesterday").status().message() == "bad_timestamp");
  CHECK(ts("").status().message() == "bad_timestamp");
  // Escaped text is decoded before it is read.
  CHECK(ts("2026-01-11T14:42:50.123\\u005a").value() == 1768142570123);
}

TEST_CASE("ParseTimestampString reads offsets, fractions and both separators", "[unit]") {
  const int64_t t = 1768142570000;  // 2026-01-11 14:42:50 UTC
  CHECK(ParseTimestampString("2026-01-11T14:42:50Z").value() == t);
  CHECK(ParseTimestampString("2026-01-11T14:42:50z").value() == t);
  CHECK(ParseTimestampString("2026-01-11t14:42:50Z").value() == t);
  CHECK(ParseTimestampString("2026-01-11 14:42:50Z").value() == t);
  CHECK(ParseTimestampString("2026-01-11T14:42:50+00:00").value() == t);
  CHECK(ParseTimestampString("2026-01-11T14:42:50-00:00").value() == t);
  CHECK(ParseTimestampString("2026-01-11T16:42:50+02:00").value() == t);
  CHECK(ParseTimestampString("2026-01-11T20:12:50+05:30").value() == t);
  CHECK(ParseTimestampString("2026-01-11T06:42:50-08:00").value() == t);
  CHECK(ParseTimestampString("2026-01-12T00:27:50+09:45").value() == t);
  CHECK(ParseTimestampString("2026-01-11T20:12:50+0530").value() == t);
  CHECK(ParseTimestampString("2026-01-11T16:42:50+02").value() == t);
  // Offsets that cross the date line.
  CHECK(ParseTimestampString("2026-01-10T23:42:50-15:00").value() == t);
  // Fractions of 1 to 9 digits, truncated to milliseconds; ',' as ISO 8601 allows.
  CHECK(ParseTimestampString("2026-01-11T14:42:50.1Z").value() == t + 100);
  CHECK(ParseTimestampString("2026-01-11T14:42:50.12Z").value() == t + 120);
  CHECK(ParseTimestampString("2026-01-11T14:42:50.123Z").value() == t + 123);
  CHECK(ParseTimestampString("2026-01-11T14:42:50.1234Z").value() == t + 123);
  CHECK(ParseTimestampString("2026-01-11T14:42:50.12345Z").value() == t + 123);
  CHECK(ParseTimestampString("2026-01-11T14:42:50.123456Z").value() == t + 123);
  CHECK(ParseTimestampString("2026-01-11T14:42:50.1234567Z").value() == t + 123);
  CHECK(ParseTimestampString("2026-01-11T14:42:50.12345678Z").value() == t + 123);
  CHECK(ParseTimestampString("2026-01-11T14:42:50.999999999+01:00").value() == t - 3'600'000 + 999);
  CHECK(ParseTimestampString("2026-01-11T14:42:50,5Z").value() == t + 500);
  // Before 1970 (fractions still add: floor semantics), the epoch, far dates.
  CHECK(ParseTimestampString("1970-01-01T00:00:00Z").value() == 0);
  CHECK(ParseTimestampString("1970-01-01T00:00:00+01:00").value() == -3'600'000);
  CHECK(ParseTimestampString("1969-12-31T23:59:59.5Z").value() == -500);
  CHECK(ParseTimestampString("1900-01-01T00:00:00Z").value() == -2208988800000);
  CHECK(ParseTimestampString("0000-01-01T00:00:00Z").value() == -62167219200000);
  CHECK(ParseTimestampString("9999-12-31T23:59:59.999Z").value() == 253402300799999);
  // Leap years.
  CHECK(ParseTimestampString("2024-02-29T12:00:00Z").value() == 1709208000000);
  CHECK(ParseTimestampString("2000-02-29T00:00:00Z").value() == 951782400000);
  CHECK(ParseTimestampString("1600-02-29T00:00:00Z").ok());
  CHECK_FALSE(ParseTimestampString("2023-02-29T00:00:00Z").ok());
  CHECK_FALSE(ParseTimestampString("1900-02-29T00:00:00Z").ok());
  CHECK_FALSE(ParseTimestampString("2100-02-29T00:00:00Z").ok());
  // A leap second reads as the next second.
  CHECK(ParseTimestampString("2016-12-31T23:59:60Z").value() ==
        ParseTimestampString("2017-01-01T00:00:00Z").value());
}

TEST_CASE("ParseTimestampString rejects out-of-range fields and missing offsets", "[unit]") {
  for (std::string_view bad : {
           "2026-01-11T14:42:50",
           "2026-01-11T14:42:50.123",
           "2026-01-11 14:42:50",
           "2026-13-11T14:42:50Z",
           "2026-00-11T14:42:50Z",
           "2026-01-32T14:42:50Z",
           "2026-01-00T14:42:50Z",
           "2026-04-31T14:42:50Z",
           "2026-01-11T24:00:00Z",
           "2026-01-11T14:60:50Z",
           "2026-01-11T14:42:61Z",
           "2026-01-11T14:42:50+24:00",
           "2026-01-11T14:42:50+05:60",
           "2026-01-11T14:42:50+5:30",
           "2026-01-11T14:42:50+05:3",
           "2026-01-11T14:42:50.Z",
           "2026-01-11T14:42:50.1234567890Z",
           "2026-01-11T14:42Z",
           "2026-01-11",
           "2026-1-11T14:42:50Z",
           "26-01-11T14:42:50Z",
           "2026/01/11T14:42:50Z",
           "2026-01-11X14:42:50Z",
           "2026-01-11T14:42:50ZZ",
           "2026-01-11T14:42:50Z ",
           " 2026-01-11T14:42:50Z",
           "2026-01-11T14:42:50 Z",
           "2026-01-11T14:42:50UTC",
           "+2026-01-11T14:42:50Z",
           "-001-01-01T00:00:00Z",
           "1768142570123",
           "",
       }) {
    INFO(bad);
    const Result<int64_t> r = ParseTimestampString(bad);
    CHECK_FALSE(r.ok());
    if (!r.ok()) CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("escapes and unicode decode correctly", "[unit]") {
  RecordParser parser;
  LogRecordView r;
  const std::string json =
      R"({"timestamp": 1, "content": "say \"hi\" \\ back\/slash\n\ttab \u00e9t\u00E9 )"
      R"(\ud83d\ude00 \u0000end", "user_id": "us\u0065r_1", "severity": "Crit\u0069cal", )"
      "\"status\": \"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"}";
  REQUIRE(parser.Parse(json, kAllFields & ~kFieldSourceIp, &r).ok());
  constexpr char kContent[] =
      "say \"hi\" \\ back/slash\n\ttab \xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80 \0end";
  CHECK(r.content == std::string_view(kContent, sizeof(kContent) - 1));
  CHECK(r.user_id == "user_1");
  CHECK(r.severity == "Critical");
  // Raw UTF-8 needs no decoding: still zero copy.
  CHECK(r.status == "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  CHECK(PointsInto(r.status, json));
  CHECK_FALSE(PointsInto(r.content, json));  // decoded into the parser's scratch
}

TEST_CASE("escaped keys are matched after decoding", "[unit]") {
  RecordParser parser;
  LogRecordView r;
  REQUIRE(parser
              .Parse(R"({"time\u0073tamp": 9, "user\u005fid": "u"})",
                     kFieldTimestamp | kFieldUserId, &r)
              .ok());
  CHECK(r.timestamp_ms == 9);
  CHECK(r.user_id == "u");
  // A key that only starts like a field name is another field.
  CHECK(parser.Parse(R"({"timestamps": 9, "user_idx": "u"})", kFieldTimestamp, &r).reason ==
        MalformedReason::kMissingField);
  CHECK(parser.Parse(R"({"timestam": 9})", kFieldTimestamp, &r).reason ==
        MalformedReason::kMissingField);
}

TEST_CASE("duplicate keys: the first occurrence wins", "[unit]") {
  RecordParser parser;
  LogRecordView r;
  REQUIRE(parser
              .Parse(R"({"user_id": "first", "timestamp": 1, "user_id": "second", "timestamp": 2})",
                     kFieldUserId | kFieldTimestamp, &r)
              .ok());
  CHECK(r.user_id == "first");
  CHECK(r.timestamp_ms == 1);
  // A later duplicate of the wrong type is ignored...
  CHECK(parser.Parse(R"({"user_id": "first", "user_id": 2})", kFieldUserId, &r).ok());
  CHECK(r.user_id == "first");
  // ...but a wrong first occurrence is not repaired by a later one.
  CHECK(parser.Parse(R"({"user_id": 2, "user_id": "second"})", kFieldUserId, &r).reason ==
        MalformedReason::kWrongType);
  // Later duplicates must still be valid JSON.
  CHECK(parser.Parse(R"({"user_id": "a", "user_id": "\x"})", kFieldUserId, &r).reason ==
        MalformedReason::kNotJson);
}

TEST_CASE("a 1 MB record parses, plain or escaped", "[unit]") {
  RecordParser parser;
  LogRecordView r;
  std::string text;
  while (text.size() < (1u << 20)) text += "Application crash detected in module auth; ";
  std::string json = R"({"timestamp": 1768142570123, "user_id": "user_1", "content": ")" + text +
                     R"(", "severity": "High"})";
  REQUIRE(parser.Parse(json, kCrashFields, &r).ok());
  CHECK(r.content == text);
  CHECK(PointsInto(r.content, json));

  std::string escaped_text, expected;
  while (expected.size() < (1u << 20)) {
    escaped_text += "line \\\"q\\\" \\u00e9\\n";
    expected += "line \"q\" \xC3\xA9\n";
  }
  json =
      R"({"timestamp": 1, "user_id": "u", "severity": "Low", "content": ")" + escaped_text + "\"}";
  REQUIRE(parser.Parse(json, kCrashFields, &r).ok());
  CHECK(r.content == expected);

  // The parser is reused for small records after a big one.
  REQUIRE(parser.Parse(kRecord, kAllFields, &r).ok());
  CHECK(r.user_id == "user_1836");
}

TEST_CASE("views into the input outlive the next parse; scratch views do not need to", "[unit]") {
  RecordParser parser;
  LogRecordView a, b;
  const std::string first = R"({"user_id": "alice", "timestamp": 1})";
  const std::string second = R"({"user_id": "bob", "timestamp": 2})";
  REQUIRE(parser.Parse(first, kFieldUserId, &a).ok());
  REQUIRE(parser.Parse(second, kFieldUserId, &b).ok());
  CHECK(a.user_id == "alice");  // points into `first`
  CHECK(b.user_id == "bob");
  // Malformed records in between do not disturb the parser.
  CHECK_FALSE(parser.Parse("{", kFieldUserId, &b).ok());
  CHECK_FALSE(parser.Parse("[1]", kFieldUserId, &b).ok());
  REQUIRE(parser.Parse(second, kFieldUserId, &b).ok());
  CHECK(b.user_id == "bob");
}

TEST_CASE("ParsePadded parses in place like Parse", "[unit]") {
  RecordParser parser;
  LogRecordView a, b;
  std::string buf(kRecord);
  buf.append(RecordParser::kPadding, '\0');
  const std::string_view json(buf.data(), kRecord.size());
  REQUIRE(parser.ParsePadded(json, kAllFields, &a).ok());
  CHECK(a.content.data() >= buf.data());
  CHECK(a.content == "Application crash detected in module auth");
  REQUIRE(parser.Parse(kRecord, kAllFields, &b).ok());
  CHECK(a.timestamp_ms == b.timestamp_ms);
  CHECK(a.user_id == b.user_id);
  // Garbage in the padding does not matter.
  std::string dirty(kRecord.substr(0, kRecord.size() - 1));  // drop the final '}'
  dirty += "}\"]}{tru 1e";
  dirty.append(RecordParser::kPadding, 'x');
  CHECK(parser.ParsePadded(std::string_view(dirty.data(), kRecord.size()), kAllFields, &a).ok());
  CHECK(a.user_id == "user_1836");
}

TEST_CASE("a record that ends right before an unreadable page parses without touching it",
          "[unit]") {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* mem = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(mem != MAP_FAILED);
  char* base = static_cast<char*>(mem);
  REQUIRE(mprotect(base + page, page, PROT_NONE) == 0);  // any read past the record faults
  RecordParser parser;
  LogRecordView r;
  // The record at the very end of the page (copied), then at offsets that let the parser read
  // in place (the padding stays within the page), then escaped and broken ones at the edge.
  for (size_t gap : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{200}}) {
    char* at = base + page - gap - kRecord.size();
    std::memcpy(at, kRecord.data(), kRecord.size());
    INFO("gap " << gap);
    REQUIRE(parser.Parse(std::string_view(at, kRecord.size()), kAllFields, &r).ok());
    CHECK(r.content == "Application crash detected in module auth");
    CHECK(PointsInto(r.user_id, std::string_view(at, kRecord.size())));
  }
  const std::string_view edge_cases[] = {R"({"user_id": "a\"b", "timestamp": 1})",
                                         R"({"user_id": "a", "timestamp": 12345678})",
                                         R"({"user_id": "a", "timestamp": 1)", R"({"user_id)"};
  for (std::string_view json : edge_cases) {
    char* at = base + page - json.size();
    std::memcpy(at, json.data(), json.size());
    (void)parser.Parse(std::string_view(at, json.size()), kFieldUserId | kFieldTimestamp, &r);
  }
  CHECK(parser.Parse(std::string_view(base + page - 2, 2), 0, &r).reason ==
        MalformedReason::kNotJson);  // the page's last two bytes, "id": no fault
  munmap(mem, 2 * page);
}

TEST_CASE("nesting in ignored fields is bounded", "[unit]") {
  RecordParser parser;
  LogRecordView r;
  const auto nested = [](int depth) {
    return "{\"deep\": " + std::string(depth, '[') + std::string(depth, ']') +
           ", \"user_id\": \"u\"}";
  };
  CHECK(parser.Parse(nested(1000), kFieldUserId, &r).ok());
  CHECK(parser.Parse(nested(RecordParser::kMaxDepth + 10), kFieldUserId, &r).reason ==
        MalformedReason::kNotJson);
}

TEST_CASE("malformed reasons have stable metric names", "[unit]") {
  CHECK(MalformedReasonName(MalformedReason::kNone) == "none");
  CHECK(MalformedReasonName(MalformedReason::kNotJson) == "not_json");
  CHECK(MalformedReasonName(MalformedReason::kNotObject) == "not_object");
  CHECK(MalformedReasonName(MalformedReason::kMissingField) == "missing_field");
  CHECK(MalformedReasonName(MalformedReason::kWrongType) == "wrong_type");
  CHECK(MalformedReasonName(MalformedReason::kBadTimestamp) == "bad_timestamp");
  CHECK(RecordFieldName(0).empty());
  CHECK(RecordFieldName(3).empty());
  CHECK(RecordFieldName(64).empty());
}

TEST_CASE("validity agrees with an independent JSON parser on mutated records", "[unit]") {
  // nlohmann::json is a separate, strict RFC 8259 implementation: with nothing required, a
  // record is not_json exactly when it rejects the text, and ok exactly when the value is an
  // object.
  std::mt19937 rng(1234);
  const std::string alphabet = "{}[]\":,\\ u0123456789abcdefABCDEFeE.-+tfnrlsx/\t\n";
  const std::string seeds[] = {
      std::string(kRecord),
      R"({"a": [1, -2.5e+3, true, false, null, {"b": "c\u00e9\n"}], "timestamp": "x"})",
      R"([{"k": 0}, "s", 1E-2])",
  };
  RecordParser parser;
  LogRecordView view;
  int disagreements = 0;
  for (int iter = 0; iter < 30000; ++iter) {
    std::string json = seeds[iter % 3];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !json.empty(); ++e) {
      const size_t at = rng() % json.size();
      const char c =
          (rng() % 8 == 0) ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          json[at] = c;
          break;
        case 1:
          json.insert(json.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          json.erase(at, 1);
          break;
      }
    }
    // nlohmann stops reading at a NUL byte, so "{}\0x" would look valid to it.
    if (json.find('\0') != std::string::npos) continue;
    const ParseOutcome o = parser.Parse(json, 0, &view);
    bool valid = false, object = false;
    try {
      object = nlohmann::json::parse(json).is_object();
      valid = true;
    } catch (const nlohmann::json::out_of_range&) {
      continue;  // "1e999": valid grammar that nlohmann cannot hold in a double; we accept it
    } catch (const nlohmann::json::exception&) {
      valid = false;
    }
    const bool agree = valid ? (o.reason != MalformedReason::kNotJson && o.ok() == object)
                             : o.reason == MalformedReason::kNotJson;
    if (!agree && ++disagreements <= 10) {
      FAIL_CHECK("disagreement on " << json << ": nlohmann valid=" << valid << ", ours "
                                    << MalformedReasonName(o.reason));
    }
  }
  CHECK(disagreements == 0);
}

// ---- text.h ----

bool NaiveContains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    bool match = true;
    for (size_t j = 0; j < needle.size() && match; ++j) {
      match = AsciiToLower(hay[i + j]) == needle[j];
    }
    if (match) return true;
  }
  return false;
}

TEST_CASE("ContainsIgnoreCase finds the needle in any case at any offset", "[unit]") {
  CHECK(ContainsIgnoreCase("Application crash detected", "crash"));
  CHECK(ContainsIgnoreCase("Application CRASH detected", "crash"));
  CHECK(ContainsIgnoreCase("CrAsH", "crash"));
  CHECK(ContainsIgnoreCase("crash", "crash"));
  CHECK_FALSE(ContainsIgnoreCase("cras", "crash"));
  CHECK_FALSE(ContainsIgnoreCase("Application cr ash detected in module auth", "crash"));
  CHECK(ContainsIgnoreCase("anything", ""));
  CHECK(ContainsIgnoreCase("", ""));
  CHECK_FALSE(ContainsIgnoreCase("", "c"));
  CHECK(ContainsIgnoreCase("xyzC", "c"));
  // Only letters fold: '@' (0x40) is not '`' (0x60), '[' is not '{'.
  CHECK_FALSE(ContainsIgnoreCase("a@b", "a`b"));
  CHECK_FALSE(ContainsIgnoreCase("[x]", "{x}"));
  CHECK(ContainsIgnoreCase("user_1836", "_18"));
  CHECK(ContainsIgnoreCase("caf\xC3\xA9 CRASH", "\xC3\xA9 crash"));
  // Every offset and every length around the SIMD block sizes.
  for (size_t len = 0; len < 80; ++len) {
    for (size_t at = 0; at + 5 <= len; ++at) {
      std::string hay(len, 'x');
      hay.replace(at, 5, "CRaSh");
      INFO(len << " " << at);
      REQUIRE(ContainsIgnoreCase(hay, "crash"));
      hay[at + 4] = 'x';
      REQUIRE_FALSE(ContainsIgnoreCase(hay, "crash"));
    }
  }
}

TEST_CASE("ContainsIgnoreCase agrees with a naive search on random text", "[unit]") {
  std::mt19937 rng(42);
  const std::string alphabet = "cCrRaAsShH x\\";
  for (int iter = 0; iter < 20000; ++iter) {
    std::string hay(rng() % 100, ' ');
    for (char& c : hay) c = alphabet[rng() % alphabet.size()];
    for (std::string_view needle : {"crash", "c", "sh", "ash c", "crashcrashcrashcrash"}) {
      INFO(hay << " / " << needle);
      const bool expected = NaiveContains(hay, needle);
      REQUIRE(ContainsIgnoreCase(hay, needle) == expected);
      REQUIRE(RawJsonMayContainIgnoreCase(hay, needle) ==
              (expected || hay.find('\\') != std::string::npos));
    }
  }
}

TEST_CASE("the raw JSON pre-filter never misses an escaped needle", "[unit]") {
  CHECK(RawJsonMayContainIgnoreCase(kRecord, "crash"));
  CHECK_FALSE(RawJsonMayContainIgnoreCase(kRecord, "vulnerability"));
  const std::string_view escaped = R"({"content": "app cr\u0061sh"})";
  CHECK_FALSE(ContainsIgnoreCase(escaped, "crash"));
  CHECK(RawJsonMayContainIgnoreCase(escaped, "crash"));
  CHECK(EqualsIgnoreCase("HIGH", "high"));
  CHECK(EqualsIgnoreCase("Critical", "critical"));
  CHECK_FALSE(EqualsIgnoreCase("High ", "high"));
}

}  // namespace
}  // namespace spate
