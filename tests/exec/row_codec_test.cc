#include "exec/row_codec.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/exec/plan_builders.h"

namespace spate::exec {
namespace {

using namespace spate::exec::testing;  // NOLINT

std::string Json(const Value& v, proto::TypeKind kind) {
  std::string out;
  AppendJsonValue(v, Type(kind), &out);
  return out;
}

TEST_CASE("group keys round-trip and equal tuples encode equally", "[unit]") {
  const std::string long_string(300, 'q');
  const std::vector<Value> values = {
      Value::Null(),         Value::Bool(false),     Value::Bool(true),
      Value::Int(0),         Value::Int(-1),         Value::Int(INT64_MIN),
      Value::Int(INT64_MAX), Value::Double(2.5),     Value::Double(-1e300),
      Value::String(""),     Value::String("héllo"), Value::String(long_string)};
  std::string key;
  EncodeKey(values.data(), values.size(), &key);
  std::vector<Value> back(values.size());
  REQUIRE(DecodeKey(key, back.data(), back.size()).ok());
  for (size_t k = 0; k < values.size(); ++k) {
    INFO(k);
    CHECK(back[k].kind == values[k].kind);
    CHECK(back[k].b == values[k].b);
    CHECK(back[k].i == values[k].i);
    CHECK(back[k].d == values[k].d);
    CHECK(back[k].s == values[k].s);
  }
  // -0.0 and 0.0, and every NaN, group together.
  auto enc = [](Value v) {
    std::string s;
    EncodeKey(&v, 1, &s);
    return s;
  };
  CHECK(enc(Value::Double(-0.0)) == enc(Value::Double(0.0)));
  CHECK(enc(Value::Double(std::nan("1"))) == enc(Value::Double(-std::nan("2"))));
  CHECK(enc(Value::Int(1)) != enc(Value::Double(1.0)));
  CHECK(enc(Value::String("1")) != enc(Value::Int(1)));
  // Tuples are unambiguous: ("a", "bc") differs from ("ab", "c").
  const Value t1[2] = {Value::String("a"), Value::String("bc")};
  const Value t2[2] = {Value::String("ab"), Value::String("c")};
  std::string k1, k2;
  EncodeKey(t1, 2, &k1);
  EncodeKey(t2, 2, &k2);
  CHECK(k1 != k2);
  // Random ints round-trip.
  std::mt19937_64 rng(9);
  for (int k = 0; k < 1000; ++k) {
    const Value v = Value::Int(static_cast<int64_t>(rng()) >> (rng() % 64));
    std::string s;
    EncodeKey(&v, 1, &s);
    Value out;
    REQUIRE(DecodeKey(s, &out, 1).ok());
    CHECK(out.i == v.i);
  }
}

TEST_CASE("malformed keys are Corruption, never a crash", "[unit]") {
  Value out[2];
  CHECK(DecodeKey("", out, 1).code() == StatusCode::kCorruption);
  CHECK(DecodeKey("\x09", out, 1).code() == StatusCode::kCorruption);
  CHECK(DecodeKey("\x05\x05"
                  "ab",
                  out, 1)
            .code() == StatusCode::kCorruption);
  CHECK(DecodeKey("\x04\x01", out, 1).code() == StatusCode::kCorruption);
  CHECK(DecodeKey("\x03\xff", out, 1).code() == StatusCode::kCorruption);
  CHECK(DecodeKey(std::string("\x00\x00", 2), out, 1).code() == StatusCode::kCorruption);
  CHECK(DecodeKey(std::string("\x00\x00", 2), out, 2).ok());
  std::mt19937_64 rng(10);
  for (int k = 0; k < 5000; ++k) {
    std::string s(rng() % 12, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 8);
    (void)DecodeKey(s, out, 2);
  }
}

TEST_CASE("JSON values as Flink's JSON format writes them", "[unit]") {
  CHECK(Json(Value::Null(), proto::TYPE_STRING) == "null");
  CHECK(Json(Value::Bool(true), proto::TYPE_BOOLEAN) == "true");
  CHECK(Json(Value::Int(-42), proto::TYPE_BIGINT) == "-42");
  CHECK(Json(Value::Int(INT64_MIN), proto::TYPE_BIGINT) == "-9223372036854775808");
  CHECK(Json(Value::Double(3.0), proto::TYPE_DOUBLE) == "3.0");
  CHECK(Json(Value::Double(-0.0), proto::TYPE_DOUBLE) == "-0.0");
  CHECK(Json(Value::Double(0.1), proto::TYPE_DOUBLE) == "0.1");
  CHECK(Json(Value::Double(2.5e-3), proto::TYPE_DOUBLE) == "0.0025");
  CHECK(Json(Value::Double(1234567.0), proto::TYPE_DOUBLE) == "1234567.0");
  CHECK(Json(Value::Double(12345678.0), proto::TYPE_DOUBLE) == "1.2345678E7");
  CHECK(Json(Value::Double(1e-4), proto::TYPE_DOUBLE) == "1.0E-4");
  CHECK(Json(Value::Double(1.0 / 3), proto::TYPE_DOUBLE) == "0.3333333333333333");
  CHECK(Json(Value::Double(5e-324), proto::TYPE_DOUBLE) == "4.9E-324");  // as Java
  CHECK(Json(Value::Double(1.7976931348623157e308), proto::TYPE_DOUBLE) ==
        "1.7976931348623157E308");
  CHECK(Json(Value::Double(std::nan("")), proto::TYPE_DOUBLE) == "\"NaN\"");
  CHECK(Json(Value::Double(-INFINITY), proto::TYPE_DOUBLE) == "\"-Infinity\"");
  CHECK(Json(Value::Int(7), proto::TYPE_DOUBLE) == "7.0");
  CHECK(Json(Value::String("a\"b\\c\n\t\x01/é"), proto::TYPE_STRING) ==
        "\"a\\\"b\\\\c\\n\\t\\u0001/é\"");
  CHECK(Json(Value::String("bad \xff\xc3 end"), proto::TYPE_STRING) ==
        "\"bad \xEF\xBF\xBD\xEF\xBF\xBD end\"");
  CHECK(Json(Value::String("\xed\xa0\x80"), proto::TYPE_STRING) ==
        "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // an encoded surrogate is not UTF-8
  CHECK(Json(Value::String("\xf0\x9f\x98\x80"), proto::TYPE_STRING) == "\"\xf0\x9f\x98\x80\"");
}

TEST_CASE("timestamps: the fraction only when not zero, trailing zeros dropped", "[unit]") {
  const int64_t t = 1768142570000;  // 2026-01-11 14:42:50
  CHECK(Json(Value::Int(t), proto::TYPE_TIMESTAMP) == "\"2026-01-11 14:42:50\"");
  CHECK(Json(Value::Int(t + 120), proto::TYPE_TIMESTAMP) == "\"2026-01-11 14:42:50.12\"");
  CHECK(Json(Value::Int(t + 123), proto::TYPE_TIMESTAMP) == "\"2026-01-11 14:42:50.123\"");
  CHECK(Json(Value::Int(t + 100), proto::TYPE_TIMESTAMP) == "\"2026-01-11 14:42:50.1\"");
  CHECK(Json(Value::Int(t + 5), proto::TYPE_TIMESTAMP) == "\"2026-01-11 14:42:50.005\"");
  CHECK(Json(Value::Int(t + 120), proto::TYPE_TIMESTAMP_LTZ) == "\"2026-01-11 14:42:50.12Z\"");
  CHECK(Json(Value::Int(0), proto::TYPE_TIMESTAMP_LTZ) == "\"1970-01-01 00:00:00Z\"");
  CHECK(Json(Value::Int(-1), proto::TYPE_TIMESTAMP) == "\"1969-12-31 23:59:59.999\"");
  CHECK(Json(Value::Int(951782400000), proto::TYPE_TIMESTAMP) == "\"2000-02-29 00:00:00\"");
  CHECK(FormatValue(Value::Int(t + 120), Type(proto::TYPE_TIMESTAMP)) == "2026-01-11 14:42:50.12");
}

TEST_CASE("JSON rows and console text", "[unit]") {
  const std::string names[] = {"user_id", "cnt", "avg", "window_start", "na\"me"};
  const proto::DataType types[] = {Type(proto::TYPE_STRING), Type(proto::TYPE_BIGINT),
                                   Type(proto::TYPE_DOUBLE), Type(proto::TYPE_TIMESTAMP),
                                   Type(proto::TYPE_STRING)};
  const Value values[] = {Value::String("user_1"), Value::Int(3), Value::Double(2.0),
                          Value::Int(1768142570000), Value::Null()};
  std::string out;
  AppendJsonRow(names, types, values, 5, &out);
  CHECK(out == R"({"user_id":"user_1","cnt":3,"avg":2.0,"window_start":"2026-01-11 14:42:50",)"
               R"("na\"me":null})");
  CHECK(FormatValue(Value::String("a\"b"), Type(proto::TYPE_STRING)) == "a\"b");
  CHECK(FormatValue(Value::Null(), Type(proto::TYPE_STRING)) == "NULL");
  CHECK(FormatValue(Value::Double(1.5), Type(proto::TYPE_DOUBLE)) == "1.5");
  CHECK(FormatValue(Value::Double(std::nan("")), Type(proto::TYPE_DOUBLE)) == "NaN");
  CHECK(FormatValue(Value::Bool(false), Type(proto::TYPE_BOOLEAN)) == "false");
  CHECK(FormatValue(Value::Int(9), Type(proto::TYPE_INT)) == "9");
}

TEST_CASE("shortest doubles read back exactly", "[unit]") {
  std::mt19937_64 rng(11);
  for (int k = 0; k < 20000; ++k) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, 8);
    if (!std::isfinite(d)) continue;
    const std::string s = Json(Value::Double(d), proto::TYPE_DOUBLE);
    INFO(s);
    CHECK(std::strtod(s.c_str(), nullptr) == d);
  }
}

}  // namespace
}  // namespace spate::exec
