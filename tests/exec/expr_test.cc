#include "exec/expr.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "tests/exec/plan_builders.h"

namespace spate::exec {
namespace {

using namespace spate::exec::testing;  // NOLINT
using proto::TYPE_BIGINT;
using proto::TYPE_BOOLEAN;
using proto::TYPE_DOUBLE;
using proto::TYPE_INT;
using proto::TYPE_STRING;
using proto::TYPE_TIMESTAMP;
using proto::TYPE_TIMESTAMP_LTZ;

Value EvalOn(const proto::Expr& e, const std::vector<Value>& row = {}) {
  auto c = CompiledExpr::Compile(e);
  INFO(e.text());
  if (!c.ok()) FAIL(c.status().ToString());
  // Strings may view the expression's literals: keep every compiled expression alive.
  thread_local std::vector<std::unique_ptr<CompiledExpr>> keep;
  thread_local Arena arena;
  keep.push_back(std::move(c).value());
  return keep.back()->Eval(row.data(), &arena);
}

bool IsNull(const Value& v) { return v.is_null(); }
bool IsBool(const Value& v, bool b) { return v.kind == ValueKind::kBool && v.b == b; }
bool IsInt(const Value& v, int64_t i) { return v.kind == ValueKind::kInt && v.i == i; }
bool IsDouble(const Value& v, double d) { return v.kind == ValueKind::kDouble && v.d == d; }
bool IsString(const Value& v, std::string_view s) {
  return v.kind == ValueKind::kString && v.s == s;
}

proto::Expr B(int v) {  // a boolean literal, or NULL for v < 0
  return v < 0 ? Null(TYPE_BOOLEAN) : Bool(v != 0);
}

TEST_CASE("AND, OR, NOT follow three-valued logic", "[unit]") {
  // Truth tables over {FALSE, TRUE, NULL}: -1 is NULL.
  const int vals[] = {0, 1, -1};
  for (int a : vals) {
    for (int b : vals) {
      INFO(a << " " << b);
      const Value and_v = EvalOn(Call("AND", TYPE_BOOLEAN, {B(a), B(b)}));
      const Value or_v = EvalOn(Call("OR", TYPE_BOOLEAN, {B(a), B(b)}));
      if (a == 0 || b == 0) {
        CHECK(IsBool(and_v, false));
      } else if (a < 0 || b < 0) {
        CHECK(IsNull(and_v));
      } else {
        CHECK(IsBool(and_v, true));
      }
      if (a == 1 || b == 1) {
        CHECK(IsBool(or_v, true));
      } else if (a < 0 || b < 0) {
        CHECK(IsNull(or_v));
      } else {
        CHECK(IsBool(or_v, false));
      }
    }
    const Value not_v = EvalOn(Call("NOT", TYPE_BOOLEAN, {B(a)}));
    if (a < 0) {
      CHECK(IsNull(not_v));
    } else {
      CHECK(IsBool(not_v, a == 0));
    }
    // IS_* never return NULL.
    CHECK(IsBool(EvalOn(Call("IS_TRUE", TYPE_BOOLEAN, {B(a)})), a == 1));
    CHECK(IsBool(EvalOn(Call("IS_FALSE", TYPE_BOOLEAN, {B(a)})), a == 0));
    CHECK(IsBool(EvalOn(Call("IS_NOT_TRUE", TYPE_BOOLEAN, {B(a)})), a != 1));
    CHECK(IsBool(EvalOn(Call("IS_NOT_FALSE", TYPE_BOOLEAN, {B(a)})), a != 0));
    CHECK(IsBool(EvalOn(Call("IS_NULL", TYPE_BOOLEAN, {B(a)})), a < 0));
    CHECK(IsBool(EvalOn(Call("IS_NOT_NULL", TYPE_BOOLEAN, {B(a)})), a >= 0));
  }
  // Over columns (not folded), three operands.
  const std::vector<Value> row = {Value::Bool(true), Value::Null(), Value::Bool(false)};
  CHECK(IsBool(EvalOn(Call("AND", TYPE_BOOLEAN,
                           {Col(0, TYPE_BOOLEAN), Col(1, TYPE_BOOLEAN), Col(2, TYPE_BOOLEAN)}),
                      row),
               false));
  CHECK(
      IsNull(EvalOn(Call("AND", TYPE_BOOLEAN, {Col(0, TYPE_BOOLEAN), Col(1, TYPE_BOOLEAN)}), row)));
  CHECK(IsBool(EvalOn(Call("OR", TYPE_BOOLEAN, {Col(1, TYPE_BOOLEAN), Col(0, TYPE_BOOLEAN)}), row),
               true));
  CHECK(
      IsNull(EvalOn(Call("OR", TYPE_BOOLEAN, {Col(1, TYPE_BOOLEAN), Col(2, TYPE_BOOLEAN)}), row)));
  CHECK(IsTrue(Value::Bool(true)));
  CHECK(!IsTrue(Value::Null()));
}

TEST_CASE("comparisons across INT, BIGINT, DOUBLE, strings, booleans, timestamps", "[unit]") {
  auto cmp = [](const char* fn, proto::Expr a, proto::Expr b) {
    return EvalOn(Call(fn, TYPE_BOOLEAN, {std::move(a), std::move(b)}));
  };
  CHECK(IsBool(cmp("=", Int(3, TYPE_INT), Dbl(3.0)), true));
  CHECK(IsBool(cmp("<", Int(3), Dbl(3.5)), true));
  CHECK(IsBool(cmp(">", Dbl(-0.5), Int(-1)), true));
  CHECK(IsBool(cmp("<>", Int(1), Int(2)), true));
  CHECK(IsBool(cmp("<=", Int(2), Int(2)), true));
  CHECK(IsBool(cmp(">=", Int(1), Int(2)), false));
  // An int64 beyond double precision compares exactly.
  CHECK(IsBool(cmp("=", Int(9007199254740993), Dbl(9007199254740992.0)), false));
  CHECK(IsBool(cmp(">", Int(9007199254740993), Dbl(9007199254740992.0)), true));
  CHECK(IsBool(cmp("<", Int(INT64_MAX), Dbl(9.3e18)), true));
  CHECK(IsBool(cmp("<", Str("abc"), Str("abd")), true));
  CHECK(IsBool(cmp("<", Str("ab"), Str("abc")), true));
  CHECK(IsBool(cmp("=", Str("é"), Str("é")), true));
  CHECK(IsBool(cmp("<", Str("z"), Str("é")), true));  // code point order
  CHECK(IsBool(cmp("<", Bool(false), Bool(true)), true));
  CHECK(IsNull(cmp("=", Int(1), Null(TYPE_BIGINT))));
  CHECK(IsNull(cmp("<", Null(TYPE_STRING), Str("a"))));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(IsBool(cmp("=", Dbl(nan), Dbl(nan)), false));
  CHECK(IsBool(cmp("<>", Dbl(nan), Int(1)), true));
  CHECK(IsBool(cmp("<", Dbl(nan), Int(1)), false));
  // Over columns: the column-vs-integer fast path and the general one.
  const std::vector<Value> row = {Value::Int(503), Value::Null(), Value::Double(2.5)};
  CHECK(IsBool(EvalOn(Call(">=", TYPE_BOOLEAN, {Col(0, TYPE_INT), Int(500)}), row), true));
  CHECK(IsBool(EvalOn(Call("<", TYPE_BOOLEAN, {Col(0, TYPE_INT), Int(500)}), row), false));
  CHECK(IsNull(EvalOn(Call("=", TYPE_BOOLEAN, {Col(1, TYPE_INT), Int(500)}), row)));
  CHECK(IsBool(EvalOn(Call(">", TYPE_BOOLEAN, {Col(2, TYPE_DOUBLE), Int(2)}), row), true));
  CHECK(IsBool(EvalOn(Call("=", TYPE_BOOLEAN, {Col(0, TYPE_INT), Col(0, TYPE_INT)}), row), true));
  // Timestamps are ints.
  CHECK(IsBool(cmp("<", Int(1000, TYPE_TIMESTAMP), Int(2000, TYPE_TIMESTAMP)), true));
}

TEST_CASE("arithmetic: integers, doubles, division by zero, overflow, timestamps", "[unit]") {
  auto ar = [](const char* fn, proto::TypeKind t, proto::Expr a, proto::Expr b) {
    return EvalOn(Call(fn, t, {std::move(a), std::move(b)}));
  };
  CHECK(IsInt(ar("+", TYPE_BIGINT, Int(2), Int(3)), 5));
  CHECK(IsInt(ar("-", TYPE_BIGINT, Int(2), Int(3)), -1));
  CHECK(IsInt(ar("*", TYPE_BIGINT, Int(4), Int(3)), 12));
  CHECK(IsInt(ar("/", TYPE_BIGINT, Int(7), Int(2)), 3));
  CHECK(IsInt(ar("/", TYPE_BIGINT, Int(-7), Int(2)), -3));
  CHECK(IsInt(ar("%", TYPE_BIGINT, Int(-7), Int(2)), -1));
  CHECK(IsInt(ar("MOD", TYPE_BIGINT, Int(7), Int(-3)), 1));
  CHECK(IsNull(ar("/", TYPE_BIGINT, Int(7), Int(0))));
  CHECK(IsNull(ar("%", TYPE_BIGINT, Int(7), Int(0))));
  CHECK(IsNull(ar("/", TYPE_DOUBLE, Dbl(7), Dbl(0))));
  CHECK(IsNull(ar("MOD", TYPE_DOUBLE, Dbl(7), Int(0))));
  CHECK(IsDouble(ar("/", TYPE_DOUBLE, Int(7), Dbl(2)), 3.5));
  CHECK(IsDouble(ar("+", TYPE_DOUBLE, Int(1), Dbl(0.5)), 1.5));
  CHECK(IsDouble(ar("%", TYPE_DOUBLE, Dbl(7.5), Int(2)), 1.5));
  CHECK(IsInt(ar("/", TYPE_BIGINT, Int(INT64_MIN), Int(-1)), INT64_MIN));
  CHECK(IsInt(ar("+", TYPE_BIGINT, Int(INT64_MAX), Int(1)), INT64_MIN));
  CHECK(IsInt(ar("+", TYPE_INT, Int(2147483647, TYPE_INT), Int(1, TYPE_INT)), -2147483648));
  CHECK(IsNull(ar("+", TYPE_BIGINT, Int(1), Null(TYPE_BIGINT))));
  CHECK(IsInt(ar("+", TYPE_TIMESTAMP, Int(1000, TYPE_TIMESTAMP), Int(500)), 1500));
  CHECK(IsInt(ar("-", TYPE_TIMESTAMP_LTZ, Int(1000, TYPE_TIMESTAMP_LTZ), Int(500)), 500));
  CHECK(IsInt(EvalOn(Call("NEG", TYPE_BIGINT, {Int(5)})), -5));
  CHECK(IsDouble(EvalOn(Call("NEG", TYPE_DOUBLE, {Dbl(2.5)})), -2.5));
  CHECK(IsNull(EvalOn(Call("NEG", TYPE_DOUBLE, {Null(TYPE_DOUBLE)}))));
  const std::vector<Value> row = {Value::Int(10), Value::Int(0)};
  CHECK(IsNull(EvalOn(Call("/", TYPE_BIGINT, {Col(0, TYPE_BIGINT), Col(1, TYPE_BIGINT)}), row)));
}

TEST_CASE("IN and NOT IN with literal sets and expressions, NULL rules", "[unit]") {
  auto in = [](const char* fn, proto::Expr x, std::vector<proto::Expr> list) {
    std::vector<proto::Expr> args{std::move(x)};
    for (auto& e : list) args.push_back(std::move(e));
    return Call(fn, TYPE_BOOLEAN, std::move(args));
  };
  const std::vector<Value> row = {Value::String("High"), Value::Int(3), Value::Null(),
                                  Value::Double(3.0), Value::String("Low")};
  CHECK(IsBool(EvalOn(in("IN", Col(0, TYPE_STRING), {Str("High"), Str("Critical")}), row), true));
  CHECK(IsBool(EvalOn(in("IN", Col(4, TYPE_STRING), {Str("High"), Str("Critical")}), row), false));
  CHECK(
      IsBool(EvalOn(in("NOT_IN", Col(4, TYPE_STRING), {Str("High"), Str("Critical")}), row), true));
  CHECK(IsBool(EvalOn(in("IN", Col(1, TYPE_INT), {Int(1), Int(3)}), row), true));
  CHECK(IsBool(EvalOn(in("IN", Col(3, TYPE_DOUBLE), {Int(1), Int(3)}), row), true));
  CHECK(IsBool(EvalOn(in("IN", Col(1, TYPE_INT), {Dbl(3.0), Dbl(4.5)}), row), true));
  CHECK(IsNull(EvalOn(in("IN", Col(2, TYPE_INT), {Int(1), Int(3)}), row)));
  // A miss with NULL in the list is NULL; a hit is TRUE.
  CHECK(IsNull(EvalOn(in("IN", Col(1, TYPE_INT), {Int(1), Null(TYPE_INT)}), row)));
  CHECK(IsBool(EvalOn(in("IN", Col(1, TYPE_INT), {Int(3), Null(TYPE_INT)}), row), true));
  CHECK(IsNull(EvalOn(in("NOT_IN", Col(1, TYPE_INT), {Int(1), Null(TYPE_INT)}), row)));
  CHECK(IsBool(EvalOn(in("NOT_IN", Col(1, TYPE_INT), {Int(3), Null(TYPE_INT)}), row), false));
  // Non-literal lists.
  CHECK(IsBool(EvalOn(in("IN", Col(1, TYPE_INT), {Col(3, TYPE_DOUBLE)}), row), true));
  CHECK(IsNull(EvalOn(in("IN", Col(1, TYPE_INT), {Col(2, TYPE_INT), Int(7)}), row)));
  // A big literal list.
  std::vector<proto::Expr> many;
  for (int k = 0; k < 100; ++k) many.push_back(Str("user_" + std::to_string(k)));
  const std::vector<Value> u = {Value::String("user_42")};
  CHECK(IsBool(EvalOn(in("IN", Col(0, TYPE_STRING), many), u), true));
}

TEST_CASE("BETWEEN is inclusive with NULL rules", "[unit]") {
  auto between = [](const char* fn, proto::Expr x, proto::Expr lo, proto::Expr hi) {
    return EvalOn(Call(fn, TYPE_BOOLEAN, {std::move(x), std::move(lo), std::move(hi)}));
  };
  CHECK(IsBool(between("BETWEEN", Int(5), Int(1), Int(5)), true));
  CHECK(IsBool(between("BETWEEN", Int(1), Int(1), Int(5)), true));
  CHECK(IsBool(between("BETWEEN", Int(6), Int(1), Int(5)), false));
  CHECK(IsBool(between("NOT_BETWEEN", Int(6), Int(1), Int(5)), true));
  CHECK(IsBool(between("BETWEEN", Dbl(2.5), Int(1), Int(5)), true));
  CHECK(IsBool(between("BETWEEN", Str("b"), Str("a"), Str("c")), true));
  CHECK(IsNull(between("BETWEEN", Null(TYPE_BIGINT), Int(1), Int(5))));
  CHECK(IsNull(between("BETWEEN", Int(3), Null(TYPE_BIGINT), Int(5))));
  CHECK(IsBool(between("BETWEEN", Int(9), Null(TYPE_BIGINT), Int(5)), false));
  CHECK(IsNull(between("NOT_BETWEEN", Int(3), Null(TYPE_BIGINT), Int(5))));
}

Value Like(const char* fn, std::string s, std::string pattern, const char* escape = nullptr) {
  std::vector<proto::Expr> args{Col(0, TYPE_STRING), Str(std::move(pattern))};
  if (escape != nullptr) args.push_back(Str(escape));
  const std::vector<Value> row = {Value::String(s)};
  return EvalOn(Call(fn, TYPE_BOOLEAN, std::move(args)), row);
}

TEST_CASE("LIKE and ILIKE: wildcards, escapes, code points, shapes", "[unit]") {
  struct Case {
    const char* s;
    const char* p;
    bool like;
  } cases[] = {
      {"abc", "abc", true},
      {"abc", "ab", false},
      {"abc", "a%", true},
      {"abc", "%c", true},
      {"abc", "%b%", true},
      {"abc", "%d%", false},
      {"abc", "%", true},
      {"", "%", true},
      {"", "", true},
      {"a", "", false},
      {"abc", "a_c", true},
      {"abc", "a__c", false},
      {"abc", "___", true},
      {"abc", "__", false},
      {"aXbXc", "a%b%c", true},
      {"abcbc", "a%bc", true},
      {"abcbd", "a%bc", false},
      {"mississippi", "%iss%ipp%", true},
      {"mississippi", "m%iss%ppi", true},
      {"mississippi", "m%ss%s%s%", true},
      {"mississippi", "m%ss%s%s%x", false},
      {"héllo", "h_llo", true},
      {"héllo", "h__llo", false},
      {"日本語", "___", true},
      {"日本語", "_本%", true},
      {"a%b", "a\\%b", true},
      {"aXb", "a\\%b", false},
      {"a_b", "a\\_b", true},
      {"aXb", "a\\_b", false},
      {"a\\b", "a\\\\b", true},
      {"abc", "ABC", false},
      {"abcabc", "%abc", true},
      {"xabcab", "%abc", false},
      {"abab", "%ab%ab", true},
      {"aaa", "%aa", true},
      {"ab", "%_b", true},
      {"b", "%_b", false},
  };
  for (const Case& c : cases) {
    INFO(c.s << " LIKE " << c.p);
    CHECK(IsBool(Like("LIKE", c.s, c.p), c.like));
    CHECK(IsBool(Like("NOT_LIKE", c.s, c.p), !c.like));
  }
  CHECK(IsBool(Like("ILIKE", "Application CRASH", "%crash%"), true));
  CHECK(IsBool(Like("ILIKE", "Application CRASH", "%CRASH%"), true));
  CHECK(IsBool(Like("ILIKE", "Crash here", "crash%"), true));
  CHECK(IsBool(Like("ILIKE", "HeLLo", "h_llo"), true));
  CHECK(IsBool(Like("NOT_ILIKE", "HeLLo", "h_llo"), false));
  // Non-ASCII letters have case too (Unicode simple case mapping, as DuckDB's).
  CHECK(IsBool(Like("ILIKE", "ÉCOLE", "école"), true));
  CHECK(IsBool(Like("ILIKE", "école", "%COLE"), true));
  CHECK(IsBool(Like("ILIKE", "ΣΟΦΙΑ", "σοφ_α"), true));
  CHECK(IsBool(Like("ILIKE",
                    "\xe2\x84\xaa"
                    "elvin",
                    "kelvin"),
               true));                                       // U+212A lower-cases to k
  CHECK(IsBool(Like("ILIKE", "Straße", "STRASSE"), false));  // simple mapping: no ß -> SS
  // A custom escape character.
  CHECK(IsBool(Like("LIKE", "50%", "50!%", "!"), true));
  CHECK(IsBool(Like("LIKE", "505", "50!%", "!"), false));
  CHECK(IsBool(Like("LIKE", "a\\b", "a\\b", "!"), true));
  // NULL on either side.
  const std::vector<Value> row = {Value::Null()};
  CHECK(IsNull(EvalOn(Call("LIKE", TYPE_BOOLEAN, {Col(0, TYPE_STRING), Str("%")}), row)));
  CHECK(IsNull(EvalOn(Call("LIKE", TYPE_BOOLEAN, {Str("a"), Null(TYPE_STRING)}))));
  // A pattern computed per record.
  const std::vector<Value> dyn = {Value::String("hello"), Value::String("h%o"),
                                  Value::String("x%")};
  CHECK(IsBool(EvalOn(Call("LIKE", TYPE_BOOLEAN, {Col(0, TYPE_STRING), Col(1, TYPE_STRING)}), dyn),
               true));
  CHECK(IsBool(EvalOn(Call("LIKE", TYPE_BOOLEAN, {Col(0, TYPE_STRING), Col(2, TYPE_STRING)}), dyn),
               false));
  // LOWER(x) LIKE '%crash%' (rewritten to ILIKE) and LOWER(x) LIKE '%CRASH%' (never true).
  const std::vector<Value> content = {Value::String("Kernel CRASH dump")};
  CHECK(IsBool(EvalOn(Call("LIKE", TYPE_BOOLEAN,
                           {Call("LOWER", TYPE_STRING, {Col(0, TYPE_STRING)}), Str("%crash%")}),
                      content),
               true));
  CHECK(IsBool(EvalOn(Call("LIKE", TYPE_BOOLEAN,
                           {Call("LOWER", TYPE_STRING, {Col(0, TYPE_STRING)}), Str("%CRASH%")}),
                      content),
               false));
  CHECK(IsBool(EvalOn(Call("LIKE", TYPE_BOOLEAN,
                           {Call("UPPER", TYPE_STRING, {Col(0, TYPE_STRING)}), Str("%CRASH D%")}),
                      content),
               true));
  // A pattern with a non-ASCII upper-case letter never matches lower-cased text: not rewritten.
  const std::vector<Value> ecole = {Value::String("ÉCOLE")};
  CHECK(IsBool(EvalOn(Call("LIKE", TYPE_BOOLEAN,
                           {Call("LOWER", TYPE_STRING, {Col(0, TYPE_STRING)}), Str("%É%")}),
                      ecole),
               false));
  CHECK(IsBool(EvalOn(Call("LIKE", TYPE_BOOLEAN,
                           {Call("LOWER", TYPE_STRING, {Col(0, TYPE_STRING)}), Str("%é%")}),
                      ecole),
               true));
}

TEST_CASE("REGEXP: RE2 partial match, literal and computed patterns", "[unit]") {
  const std::vector<Value> row = {Value::String("user_1836"), Value::String("^user_\\d+$"),
                                  Value::String("(")};
  CHECK(IsBool(EvalOn(Call("REGEXP", TYPE_BOOLEAN, {Col(0, TYPE_STRING), Str("\\d{4}")}), row),
               true));
  CHECK(
      IsBool(EvalOn(Call("REGEXP", TYPE_BOOLEAN, {Col(0, TYPE_STRING), Str("^\\d")}), row), false));
  CHECK(IsBool(
      EvalOn(Call("REGEXP", TYPE_BOOLEAN, {Col(0, TYPE_STRING), Col(1, TYPE_STRING)}), row), true));
  CHECK(IsNull(
      EvalOn(Call("REGEXP", TYPE_BOOLEAN, {Col(0, TYPE_STRING), Col(2, TYPE_STRING)}), row)));
  CHECK(IsNull(EvalOn(Call("REGEXP", TYPE_BOOLEAN, {Null(TYPE_STRING), Str("a")}))));
  auto bad = CompiledExpr::Compile(Call("REGEXP", TYPE_BOOLEAN, {Col(0, TYPE_STRING), Str("(")}));
  REQUIRE(!bad.ok());
  CHECK(bad.status().message().find("REGEXP($0, '(')") != std::string::npos);
}

proto::Expr CastTo(proto::Expr e, proto::TypeKind to) { return Call("CAST", to, {std::move(e)}); }

TEST_CASE("CAST between scalar types, bad input NULL", "[unit]") {
  // To STRING.
  CHECK(IsString(EvalOn(CastTo(Int(42), TYPE_STRING)), "42"));
  CHECK(IsString(EvalOn(CastTo(Dbl(3.0), TYPE_STRING)), "3.0"));
  CHECK(IsString(EvalOn(CastTo(Dbl(0.1), TYPE_STRING)), "0.1"));
  CHECK(IsString(EvalOn(CastTo(Dbl(1e20), TYPE_STRING)), "1.0E20"));
  CHECK(IsString(EvalOn(CastTo(Dbl(1.5e-7), TYPE_STRING)), "1.5E-7"));
  CHECK(IsString(EvalOn(CastTo(Bool(true), TYPE_STRING)), "TRUE"));
  CHECK(IsString(EvalOn(CastTo(Bool(false), TYPE_STRING)), "FALSE"));
  proto::Expr ts = Int(1768142570120, TYPE_TIMESTAMP);
  ts.mutable_type()->set_precision(3);
  CHECK(IsString(EvalOn(CastTo(ts, TYPE_STRING)), "2026-01-11 14:42:50.120"));
  proto::Expr ts0 = Int(1768142570000, TYPE_TIMESTAMP_LTZ);
  ts0.mutable_type()->set_precision(3);
  CHECK(IsString(EvalOn(CastTo(ts0, TYPE_STRING)), "2026-01-11 14:42:50.000"));
  CHECK(IsString(EvalOn(CastTo(Int(1768142570120, TYPE_TIMESTAMP), TYPE_STRING)),
                 "2026-01-11 14:42:50.12"));
  // To numbers.
  CHECK(IsInt(EvalOn(CastTo(Str(" 42 "), TYPE_INT)), 42));
  CHECK(IsInt(EvalOn(CastTo(Str("-1.9"), TYPE_BIGINT)), -1));
  CHECK(IsNull(EvalOn(CastTo(Str("4x"), TYPE_INT))));
  CHECK(IsNull(EvalOn(CastTo(Str(""), TYPE_INT))));
  CHECK(IsNull(EvalOn(CastTo(Str("3000000000"), TYPE_INT))));
  CHECK(IsInt(EvalOn(CastTo(Str("3000000000"), TYPE_BIGINT)), 3000000000));
  CHECK(IsNull(EvalOn(CastTo(Str("99999999999999999999"), TYPE_BIGINT))));
  CHECK(IsNull(EvalOn(CastTo(Int(3000000000), TYPE_INT))));
  CHECK(IsInt(EvalOn(CastTo(Dbl(-2.7), TYPE_BIGINT)), -2));
  CHECK(IsNull(EvalOn(CastTo(Dbl(1e30), TYPE_BIGINT))));
  CHECK(IsNull(EvalOn(CastTo(Dbl(std::nan("")), TYPE_BIGINT))));
  CHECK(IsInt(EvalOn(CastTo(Bool(true), TYPE_INT)), 1));
  CHECK(IsInt(EvalOn(CastTo(Int(1768142570123, TYPE_TIMESTAMP_LTZ), TYPE_BIGINT)), 1768142570));
  CHECK(IsDouble(EvalOn(CastTo(Str("2.5e3"), TYPE_DOUBLE)), 2500.0));
  CHECK(IsDouble(EvalOn(CastTo(Int(7), TYPE_DOUBLE)), 7.0));
  CHECK(IsNull(EvalOn(CastTo(Str("abc"), TYPE_DOUBLE))));
  CHECK(IsDouble(EvalOn(CastTo(Bool(false), TYPE_DOUBLE)), 0.0));
  CHECK(IsDouble(EvalOn(CastTo(Int(1500, TYPE_TIMESTAMP), TYPE_DOUBLE)), 1.5));
  // To BOOLEAN.
  CHECK(IsBool(EvalOn(CastTo(Str("TRUE"), TYPE_BOOLEAN)), true));
  CHECK(IsBool(EvalOn(CastTo(Str(" no "), TYPE_BOOLEAN)), false));
  CHECK(IsNull(EvalOn(CastTo(Str("maybe"), TYPE_BOOLEAN))));
  CHECK(IsBool(EvalOn(CastTo(Int(0), TYPE_BOOLEAN)), false));
  CHECK(IsBool(EvalOn(CastTo(Dbl(0.5), TYPE_BOOLEAN)), true));
  CHECK(IsNull(EvalOn(CastTo(Int(5, TYPE_TIMESTAMP), TYPE_BOOLEAN))));
  // To timestamps.
  CHECK(IsInt(EvalOn(CastTo(Str("2026-01-11 14:42:50.123"), TYPE_TIMESTAMP)), 1768142570123));
  CHECK(IsInt(EvalOn(CastTo(Str("2026-01-11T14:42:50Z"), TYPE_TIMESTAMP_LTZ)), 1768142570000));
  CHECK(IsInt(EvalOn(CastTo(Str("2026-01-11"), TYPE_TIMESTAMP)), 1768089600000));
  CHECK(IsNull(EvalOn(CastTo(Str("2026-13-11"), TYPE_TIMESTAMP))));
  CHECK(IsInt(EvalOn(CastTo(Int(1768142570), TYPE_TIMESTAMP_LTZ)), 1768142570000));
  CHECK(IsInt(EvalOn(CastTo(Int(5, TYPE_TIMESTAMP), TYPE_TIMESTAMP_LTZ)), 5));
  CHECK(IsNull(EvalOn(CastTo(Bool(true), TYPE_TIMESTAMP))));
  // NULL stays NULL; identity casts.
  CHECK(IsNull(EvalOn(CastTo(Null(TYPE_STRING), TYPE_BIGINT))));
  CHECK(IsString(EvalOn(CastTo(Str("x"), TYPE_STRING)), "x"));
  CHECK(IsInt(EvalOn(CastTo(Int(5), TYPE_BIGINT)), 5));
  const std::vector<Value> row = {Value::String("17")};
  CHECK(IsInt(EvalOn(CastTo(Col(0, TYPE_STRING), TYPE_INT), row), 17));
}

TEST_CASE("CASE, COALESCE, IF, NULLIF", "[unit]") {
  const std::vector<Value> row = {Value::Int(503), Value::Null(), Value::String("x")};
  const proto::Expr c =
      Call("CASE", TYPE_STRING,
           {Call(">=", TYPE_BOOLEAN, {Col(0, TYPE_INT), Int(500)}), Str("5xx"),
            Call(">=", TYPE_BOOLEAN, {Col(0, TYPE_INT), Int(400)}), Str("4xx"), Str("ok")});
  CHECK(IsString(EvalOn(c, row), "5xx"));
  const std::vector<Value> row2 = {Value::Int(404)};
  CHECK(IsString(EvalOn(c, row2), "4xx"));
  const std::vector<Value> row3 = {Value::Int(200)};
  CHECK(IsString(EvalOn(c, row3), "ok"));
  const std::vector<Value> row4 = {Value::Null()};
  CHECK(IsString(EvalOn(c, row4), "ok"));  // a NULL condition is not TRUE
  CHECK(IsNull(EvalOn(
      Call("CASE", TYPE_STRING,
           {Call("=", TYPE_BOOLEAN, {Col(0, TYPE_INT), Int(1)}), Str("a"), Null(TYPE_STRING)}),
      row)));
  CHECK(IsString(
      EvalOn(Call("COALESCE", TYPE_STRING, {Col(1, TYPE_STRING), Col(2, TYPE_STRING), Str("d")}),
             row),
      "x"));
  CHECK(IsNull(EvalOn(Call("COALESCE", TYPE_STRING, {Col(1, TYPE_STRING)}), row)));
  CHECK(IsInt(EvalOn(Call("IF", TYPE_BIGINT, {Bool(true), Int(1), Int(2)})), 1));
  CHECK(IsInt(EvalOn(Call("IF", TYPE_BIGINT, {Null(TYPE_BOOLEAN), Int(1), Int(2)})), 2));
  CHECK(IsNull(EvalOn(Call("NULLIF", TYPE_BIGINT, {Int(3), Int(3)}))));
  CHECK(IsInt(EvalOn(Call("NULLIF", TYPE_BIGINT, {Int(3), Int(4)})), 3));
  CHECK(IsInt(EvalOn(Call("NULLIF", TYPE_BIGINT, {Int(3), Null(TYPE_BIGINT)})), 3));
  CHECK(!CompiledExpr::Compile(Call("CASE", TYPE_STRING, {Bool(true), Str("a")})).ok());
}

TEST_CASE("string functions: LOWER, UPPER, CHAR_LENGTH, SUBSTRING, CONCAT, TRIM", "[unit]") {
  const std::vector<Value> row = {Value::String("Héllo World"), Value::Null(),
                                  Value::String("  pad  "), Value::String("already lower")};
  CHECK(IsString(EvalOn(Call("LOWER", TYPE_STRING, {Col(0, TYPE_STRING)}), row), "héllo world"));
  CHECK(IsString(EvalOn(Call("UPPER", TYPE_STRING, {Col(0, TYPE_STRING)}), row), "HÉLLO WORLD"));
  // Unicode simple case mapping: lengths in bytes may change (U+0130 -> 'i', U+0250 -> U+2C6F).
  CHECK(
      IsString(EvalOn(Call("UPPER", TYPE_STRING, {Str("straße ǆ σοφία ɐ")})), "STRAßE Ǆ ΣΟΦΊΑ Ɐ"));
  CHECK(IsString(EvalOn(Call("LOWER", TYPE_STRING, {Str("İSTANBUL ÉTÉ ΣΑΣ \xe2\x84\xaa")})),
                 "istanbul été σασ k"));
  CHECK(IsString(EvalOn(Call("UPPER", TYPE_STRING, {Str("caf\xc3 x")})),
                 "CAF\xc3 X"));  // not UTF-8: kept
  const Value same = EvalOn(Call("LOWER", TYPE_STRING, {Col(3, TYPE_STRING)}), row);
  CHECK(same.s.data() == row[3].s.data());  // nothing to change: no copy
  CHECK(IsNull(EvalOn(Call("LOWER", TYPE_STRING, {Col(1, TYPE_STRING)}), row)));
  CHECK(IsInt(EvalOn(Call("CHAR_LENGTH", TYPE_INT, {Col(0, TYPE_STRING)}), row), 11));
  CHECK(IsInt(EvalOn(Call("CHAR_LENGTH", TYPE_INT, {Str("日本語")})), 3));
  CHECK(IsNull(EvalOn(Call("CHAR_LENGTH", TYPE_INT, {Col(1, TYPE_STRING)}), row)));
  auto sub = [&](int64_t start, int64_t len = INT64_MIN) {
    std::vector<proto::Expr> args{Col(0, TYPE_STRING), Int(start, TYPE_INT)};
    if (len != INT64_MIN) args.push_back(Int(len, TYPE_INT));
    return EvalOn(Call("SUBSTRING", TYPE_STRING, std::move(args)), row);
  };
  CHECK(IsString(sub(1, 5), "Héllo"));
  CHECK(IsString(sub(2, 3), "éll"));
  CHECK(IsString(sub(7), "World"));
  CHECK(IsString(sub(0, 2), "Hé"));
  CHECK(IsString(sub(-5), "World"));
  CHECK(IsString(sub(-5, 2), "Wo"));
  CHECK(IsString(sub(-50, 2), ""));
  CHECK(IsString(sub(12), ""));
  CHECK(IsString(sub(3, 0), ""));
  CHECK(IsString(sub(10, 100), "ld"));
  CHECK(IsNull(sub(1, -1)));
  CHECK(IsNull(EvalOn(Call("SUBSTRING", TYPE_STRING, {Col(0, TYPE_STRING), Null(TYPE_INT)}), row)));
  CHECK(
      IsString(EvalOn(Call("CONCAT", TYPE_STRING, {Str("a"), Col(2, TYPE_STRING), Str("b")}), row),
               "a  pad  b"));
  CHECK(IsNull(EvalOn(Call("CONCAT", TYPE_STRING, {Str("a"), Col(1, TYPE_STRING)}), row)));
  CHECK(IsString(EvalOn(Call("||", TYPE_STRING, {Col(3, TYPE_STRING), Str("!")}), row),
                 "already lower!"));
  CHECK(IsString(EvalOn(Call("CONCAT", TYPE_STRING, {Str("n="), Int(5)})), "n=5"));
  CHECK(IsString(EvalOn(Call("TRIM", TYPE_STRING, {Col(2, TYPE_STRING)}), row), "pad"));
  CHECK(IsString(EvalOn(Call("TRIM", TYPE_STRING, {Str("   ")})), ""));
}

TEST_CASE("numeric functions: ABS, FLOOR, CEIL, ROUND, MOD", "[unit]") {
  CHECK(IsInt(EvalOn(Call("ABS", TYPE_BIGINT, {Int(-5)})), 5));
  CHECK(IsDouble(EvalOn(Call("ABS", TYPE_DOUBLE, {Dbl(-2.5)})), 2.5));
  CHECK(IsNull(EvalOn(Call("ABS", TYPE_DOUBLE, {Null(TYPE_DOUBLE)}))));
  CHECK(IsDouble(EvalOn(Call("FLOOR", TYPE_DOUBLE, {Dbl(-2.5)})), -3.0));
  CHECK(IsDouble(EvalOn(Call("CEIL", TYPE_DOUBLE, {Dbl(-2.5)})), -2.0));
  CHECK(IsInt(EvalOn(Call("FLOOR", TYPE_BIGINT, {Int(7)})), 7));
  CHECK(IsInt(EvalOn(Call("CEIL", TYPE_BIGINT, {Dbl(2.1)})), 3));
  CHECK(IsDouble(EvalOn(Call("ROUND", TYPE_DOUBLE, {Dbl(2.5)})), 3.0));
  CHECK(IsDouble(EvalOn(Call("ROUND", TYPE_DOUBLE, {Dbl(-2.5)})), -3.0));
  CHECK(IsDouble(EvalOn(Call("ROUND", TYPE_DOUBLE, {Dbl(0.125), Int(2, TYPE_INT)})), 0.13));
  CHECK(IsDouble(EvalOn(Call("ROUND", TYPE_DOUBLE, {Dbl(1.005), Int(2, TYPE_INT)})), 1.01));
  CHECK(IsDouble(EvalOn(Call("ROUND", TYPE_DOUBLE, {Dbl(3.14159), Int(3, TYPE_INT)})), 3.142));
  CHECK(IsDouble(EvalOn(Call("ROUND", TYPE_DOUBLE, {Dbl(1234.5), Int(-2, TYPE_INT)})), 1200.0));
  CHECK(IsDouble(EvalOn(Call("ROUND", TYPE_DOUBLE, {Dbl(9.99), Int(1, TYPE_INT)})), 10.0));
  CHECK(IsDouble(EvalOn(Call("ROUND", TYPE_DOUBLE, {Dbl(0.4)})), 0.0));
  CHECK(IsDouble(EvalOn(Call("ROUND", TYPE_DOUBLE, {Dbl(1.5), Int(5, TYPE_INT)})), 1.5));
  CHECK(IsInt(EvalOn(Call("ROUND", TYPE_BIGINT, {Int(1250), Int(-2, TYPE_INT)})), 1300));
  CHECK(IsInt(EvalOn(Call("ROUND", TYPE_BIGINT, {Int(-1250), Int(-2, TYPE_INT)})), -1300));
  CHECK(IsInt(EvalOn(Call("ROUND", TYPE_BIGINT, {Int(1249), Int(-2, TYPE_INT)})), 1200));
  CHECK(IsInt(EvalOn(Call("ROUND", TYPE_BIGINT, {Int(17)})), 17));
  CHECK(IsInt(EvalOn(Call("MOD", TYPE_BIGINT, {Int(17), Int(5)})), 2));
  CHECK(IsNull(EvalOn(Call("MOD", TYPE_BIGINT, {Int(17), Int(0)}))));
}

TEST_CASE("TO_TIMESTAMP_LTZ and TO_TIMESTAMP", "[unit]") {
  const std::vector<Value> row = {Value::Int(1768142570), Value::Int(1768142570123),
                                  Value::String("2026-01-11 14:42:50.123"), Value::String("bad")};
  CHECK(IsInt(
      EvalOn(Call("TO_TIMESTAMP_LTZ", TYPE_TIMESTAMP_LTZ, {Col(0, TYPE_BIGINT), Int(0, TYPE_INT)}),
             row),
      1768142570000));
  CHECK(IsInt(
      EvalOn(Call("TO_TIMESTAMP_LTZ", TYPE_TIMESTAMP_LTZ, {Col(1, TYPE_BIGINT), Int(3, TYPE_INT)}),
             row),
      1768142570123));
  CHECK(IsInt(EvalOn(Call("TO_TIMESTAMP_LTZ", TYPE_TIMESTAMP_LTZ, {Dbl(1.5), Int(0, TYPE_INT)})),
              1500));
  CHECK(IsNull(
      EvalOn(Call("TO_TIMESTAMP_LTZ", TYPE_TIMESTAMP_LTZ, {Int(INT64_MAX), Int(0, TYPE_INT)}))));
  CHECK(IsNull(
      EvalOn(Call("TO_TIMESTAMP_LTZ", TYPE_TIMESTAMP_LTZ, {Null(TYPE_BIGINT), Int(3, TYPE_INT)}))));
  CHECK(!CompiledExpr::Compile(
             Call("TO_TIMESTAMP_LTZ", TYPE_TIMESTAMP_LTZ, {Col(0, TYPE_BIGINT), Int(6, TYPE_INT)}))
             .ok());
  CHECK(IsInt(EvalOn(Call("TO_TIMESTAMP", TYPE_TIMESTAMP, {Col(2, TYPE_STRING)}), row),
              1768142570123));
  CHECK(IsInt(EvalOn(Call("TO_TIMESTAMP", TYPE_TIMESTAMP, {Str("2026-01-11T15:42:50.123+01:00")})),
              1768142570123));
  CHECK(IsNull(EvalOn(Call("TO_TIMESTAMP", TYPE_TIMESTAMP, {Col(3, TYPE_STRING)}), row)));
}

TEST_CASE("compile errors name the expression", "[unit]") {
  auto r = CompiledExpr::Compile(Call("FROB", TYPE_BIGINT, {Int(1)}));
  REQUIRE(!r.ok());
  CHECK(r.status().message().find("FROB(1)") != std::string::npos);
  CHECK(r.status().message().find("unknown function") != std::string::npos);
  auto n = CompiledExpr::Compile(Call("NOT", TYPE_BOOLEAN, {Bool(true), Bool(false)}));
  REQUIRE(!n.ok());
  CHECK(n.status().message().find("NOT takes 1 arguments, not 2") != std::string::npos);
  CHECK(!CompiledExpr::Compile(proto::Expr()).ok());
}

TEST_CASE("a compiled expression may be shared by threads", "[unit]") {
  auto c = CompiledExpr::Compile(
      Call("AND", TYPE_BOOLEAN,
           {Call("LIKE", TYPE_BOOLEAN,
                 {Call("LOWER", TYPE_STRING, {Col(0, TYPE_STRING)}), Str("%crash%")}),
            Call("REGEXP", TYPE_BOOLEAN, {Col(0, TYPE_STRING), Col(1, TYPE_STRING)})}));
  REQUIRE(c.ok());
  std::vector<std::thread> threads;
  std::atomic<int> hits{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Arena arena;
      const std::string pattern = "mod" + std::to_string(t % 2);
      for (int k = 0; k < 2000; ++k) {
        const std::string s = "A CRASH in mod" + std::to_string(k % 3);
        const Value row[2] = {Value::String(s), Value::String(pattern)};
        hits += IsTrue((*c)->Eval(row, &arena));
        arena.Reset();
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(hits.load() == 4 * 667);
}

}  // namespace
}  // namespace spate::exec
