#include "exec/aggregate.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/exec/plan_builders.h"

namespace spate::exec {
namespace {

using namespace spate::exec::testing;  // NOLINT
using proto::TYPE_BIGINT;
using proto::TYPE_DOUBLE;
using proto::TYPE_STRING;

struct State {
  const AggregateSet* set;
  std::vector<uint64_t> mem;  // 8-aligned
  explicit State(const AggregateSet* s) : set(s), mem(s->state_size() / 8 + 1) {
    set->Init(data());
  }
  ~State() { set->Destroy(data()); }
  char* data() { return reinterpret_cast<char*>(mem.data()); }
  std::string Bytes() {
    std::string out;
    set->Serialize(data(), &out);
    return out;
  }
};

std::unique_ptr<AggregateSet> MakeSet(std::vector<proto::AggregateCall> calls) {
  google::protobuf::RepeatedPtrField<proto::AggregateCall> field;
  for (auto& c : calls) *field.Add() = std::move(c);
  auto r = AggregateSet::Make(field);
  REQUIRE(r.ok());
  return std::move(r).value();
}

// Strings in the result view `bytes`: it must outlive them.
std::vector<Value> Finalize(const AggregateSet& set, const std::string& bytes) {
  std::vector<Value> out(set.size());
  Arena arena;
  const Status s = set.Finalize(bytes, out.data(), &arena);
  REQUIRE(s.ok());
  return out;
}

// Rows of (int, double, string, int-with-nulls).
std::vector<std::vector<Value>> MakeRows(size_t n, uint64_t seed, std::vector<std::string>* store) {
  std::mt19937_64 rng(seed);
  store->clear();
  store->reserve(n);
  std::vector<std::vector<Value>> rows;
  for (size_t k = 0; k < n; ++k) {
    store->push_back("s" + std::to_string(rng() % 50) +
                     std::string(rng() % 3 == 0 ? 20 : 0, 'x'));  // some beyond the inline 16
    const int64_t i = static_cast<int64_t>(rng() % 1000) - 500;
    rows.push_back({Value::Int(i), Value::Double(static_cast<double>(i) / 4),
                    Value::String(store->back()),
                    rng() % 4 == 0 ? Value::Null() : Value::Int(i * 3)});
  }
  return rows;
}

std::vector<proto::AggregateCall> AllCalls() {
  const proto::Expr i = Col(0, TYPE_BIGINT), d = Col(1, TYPE_DOUBLE), s = Col(2, TYPE_STRING),
                    n = Col(3, TYPE_BIGINT);
  const proto::Expr plus = Call("+", TYPE_BIGINT, {Col(0, TYPE_BIGINT), Int(1)});
  return {Agg(proto::AGG_COUNT_STAR, TYPE_BIGINT, nullptr, "COUNT(*)"),
          Agg(proto::AGG_COUNT, TYPE_BIGINT, &n, "COUNT(n)"),
          Agg(proto::AGG_SUM, TYPE_BIGINT, &i, "SUM(i)"),
          Agg(proto::AGG_SUM, TYPE_DOUBLE, &d, "SUM(d)"),
          Agg(proto::AGG_MIN, TYPE_BIGINT, &i, "MIN(i)"),
          Agg(proto::AGG_MAX, TYPE_DOUBLE, &d, "MAX(d)"),
          Agg(proto::AGG_MIN, TYPE_STRING, &s, "MIN(s)"),
          Agg(proto::AGG_MAX, TYPE_STRING, &s, "MAX(s)"),
          Agg(proto::AGG_AVG, TYPE_BIGINT, &n, "AVG(n)"),
          Agg(proto::AGG_AVG, TYPE_DOUBLE, &d, "AVG(d)"),
          Agg(proto::AGG_COUNT_DISTINCT, TYPE_BIGINT, &s, "COUNT(DISTINCT s)"),
          Agg(proto::AGG_APPROX_COUNT_DISTINCT, TYPE_BIGINT, &s, "APPROX_COUNT_DISTINCT(s)"),
          Agg(proto::AGG_SUM, TYPE_BIGINT, &plus, "SUM(i + 1)")};
}

TEST_CASE("aggregates with the same argument evaluate it once and update like Update", "[unit]") {
  // AllCalls' arguments: n (COUNT, AVG), i (SUM, MIN), d (SUM, MAX, AVG), s (MIN, MAX, the two
  // distinct counts) and i + 1: five distinct ones.
  auto set = MakeSet(AllCalls());
  CHECK(set->arg_count() == 5);
  std::vector<std::string> store;
  const auto rows = MakeRows(500, 7, &store);
  State by_update(set.get()), once_a(set.get()), once_b(set.get());
  Arena arena;
  std::vector<Value> args(set->arg_count());
  for (const auto& r : rows) {
    set->Update(by_update.data(), r.data(), &arena);
    set->EvalArgs(r.data(), &arena, args.data());
    set->UpdateArgs(once_a.data(), args.data());  // one evaluation, two states (a HOP record)
    set->UpdateArgs(once_b.data(), args.data());
    arena.Reset();
  }
  CHECK(once_a.Bytes() == by_update.Bytes());
  CHECK(once_b.Bytes() == by_update.Bytes());
}

TEST_CASE("aggregates over one pass give the expected values", "[unit]") {
  auto set = MakeSet(AllCalls());
  REQUIRE(set->size() == 13);
  CHECK(set->state_size() % 8 == 0);
  std::vector<std::string> store;
  const auto rows = MakeRows(1000, 1, &store);
  State st(set.get());
  Arena arena;
  int64_t count_n = 0, sum_i = 0, sum_n = 0, min_i = INT64_MAX;
  double sum_d = 0, max_d = -1e300;
  std::string min_s, max_s;
  std::set<std::string> distinct;
  for (const auto& r : rows) {
    set->Update(st.data(), r.data(), &arena);
    arena.Reset();
    sum_i += r[0].i;
    sum_d += r[1].d;
    min_i = std::min(min_i, r[0].i);
    max_d = std::max(max_d, r[1].d);
    const std::string s(r[2].s);
    if (min_s.empty() || s < min_s) min_s = s;
    if (s > max_s) max_s = s;
    distinct.insert(s);
    if (!r[3].is_null()) {
      ++count_n;
      sum_n += r[3].i;
    }
  }
  const std::string bytes = st.Bytes();
  const auto v = Finalize(*set, bytes);
  CHECK(v[0].i == 1000);
  CHECK(v[1].i == count_n);
  CHECK(v[2].i == sum_i);
  CHECK(v[3].d == Approx(sum_d));
  CHECK(v[4].i == min_i);
  CHECK(v[5].d == max_d);
  CHECK(v[6].s == min_s);
  CHECK(v[7].s == max_s);
  CHECK(v[8].kind == ValueKind::kInt);
  CHECK(v[8].i == sum_n / count_n);
  CHECK(v[9].d == Approx(sum_d / 1000));
  CHECK(v[10].i == static_cast<int64_t>(distinct.size()));
  CHECK(v[11].i == static_cast<int64_t>(distinct.size()));  // small: exact
  CHECK(v[12].i == sum_i + 1000);
}

TEST_CASE("aggregates with no input: COUNT 0, others NULL", "[unit]") {
  auto set = MakeSet(AllCalls());
  State st(set.get());
  for (const std::string& bytes : {st.Bytes(), std::string()}) {
    const auto v = Finalize(*set, bytes);
    CHECK(v[0].i == 0);
    CHECK(v[1].i == 0);
    for (int k : {2, 3, 4, 5, 6, 7, 8, 9}) CHECK(v[k].is_null());
    CHECK(v[10].i == 0);
    CHECK(v[11].i == 0);
  }
  // Only NULL inputs: SUM is NULL, COUNT 0, COUNT(*) counts them.
  const proto::Expr n = Col(0, TYPE_BIGINT);
  auto s2 = MakeSet({Agg(proto::AGG_SUM, TYPE_BIGINT, &n, "SUM(n)"),
                     Agg(proto::AGG_COUNT, TYPE_BIGINT, &n, "COUNT(n)"),
                     Agg(proto::AGG_COUNT_STAR, TYPE_BIGINT, nullptr, "COUNT(*)")});
  State st2(s2.get());
  Arena arena;
  const Value row[1] = {Value::Null()};
  for (int k = 0; k < 3; ++k) s2->Update(st2.data(), row, &arena);
  const std::string bytes2 = st2.Bytes();
  const auto v = Finalize(*s2, bytes2);
  CHECK(v[0].is_null());
  CHECK(v[1].i == 0);
  CHECK(v[2].i == 3);
}

TEST_CASE("merging random splits equals one pass, in any order", "[unit]") {
  auto set = MakeSet(AllCalls());
  std::vector<std::string> store;
  const auto rows = MakeRows(3000, 2, &store);
  Arena arena;
  State whole(set.get());
  for (const auto& r : rows) set->Update(whole.data(), r.data(), &arena);
  const std::string whole_bytes = whole.Bytes();
  const auto expected = Finalize(*set, whole_bytes);
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 10; ++trial) {
    const size_t parts = 1 + rng() % 7;
    std::vector<std::unique_ptr<State>> states;
    for (size_t p = 0; p < parts; ++p) states.push_back(std::make_unique<State>(set.get()));
    for (const auto& r : rows) set->Update(states[rng() % parts]->data(), r.data(), &arena);
    std::vector<std::string> bytes;
    for (auto& s : states) bytes.push_back(s->Bytes());
    std::shuffle(bytes.begin(), bytes.end(), rng);
    // Merge as a random tree: pairs until one is left.
    while (bytes.size() > 1) {
      const size_t a = rng() % bytes.size();
      size_t b = rng() % (bytes.size() - 1);
      if (b >= a) ++b;
      REQUIRE(set->Merge(&bytes[a], bytes[b]).ok());
      bytes.erase(bytes.begin() + static_cast<long>(b));
    }
    std::string merged;  // an empty `into` is the empty state
    REQUIRE(set->Merge(&merged, bytes[0]).ok());
    const auto got = Finalize(*set, merged);
    for (size_t k = 0; k < expected.size(); ++k) {
      INFO("aggregate " << k << " trial " << trial);
      CHECK(got[k].kind == expected[k].kind);
      if (expected[k].kind == ValueKind::kDouble) {
        CHECK(got[k].d == Approx(expected[k].d));
      } else {
        CHECK(got[k].i == expected[k].i);
        CHECK(got[k].s == expected[k].s);
      }
    }
  }
}

TEST_CASE("merge rejects bytes that are not a serialized state", "[unit]") {
  auto set = MakeSet(AllCalls());
  State st(set.get());
  std::string good = st.Bytes();
  std::string into = good;
  CHECK(set->Merge(&into, "garbage").code() == StatusCode::kCorruption);
  CHECK(set->Merge(&into, good + "x").code() == StatusCode::kCorruption);
  CHECK(set->Merge(&into, good.substr(0, good.size() - 1)).code() == StatusCode::kCorruption);
  std::vector<Value> out(set->size());
  Arena arena;
  CHECK(set->Finalize("xyz", out.data(), &arena).code() == StatusCode::kCorruption);
  // Random corruption never crashes.
  std::mt19937_64 rng(4);
  std::vector<std::string> store;
  const auto rows = MakeRows(100, 5, &store);
  for (const auto& r : rows) set->Update(st.data(), r.data(), &arena);
  good = st.Bytes();
  for (int k = 0; k < 2000; ++k) {
    std::string bad = good;
    bad[rng() % bad.size()] = static_cast<char>(rng());
    if (rng() % 2) bad.resize(rng() % bad.size());
    std::string x = good;
    (void)set->Merge(&x, bad);
    (void)set->Finalize(bad, out.data(), &arena);
  }
}

TEST_CASE("AVG result types and MIN/MAX kinds", "[unit]") {
  const proto::Expr i = Col(0, proto::TYPE_INT);
  const proto::Expr b = Col(1, proto::TYPE_BOOLEAN);
  const proto::Expr t = Col(2, proto::TYPE_TIMESTAMP);
  auto set = MakeSet({Agg(proto::AGG_AVG, proto::TYPE_INT, &i, "AVG(i)"),
                      Agg(proto::AGG_AVG, TYPE_DOUBLE, &i, "AVG(CAST(i AS DOUBLE))"),
                      Agg(proto::AGG_MIN, proto::TYPE_BOOLEAN, &b, "MIN(b)"),
                      Agg(proto::AGG_MAX, proto::TYPE_BOOLEAN, &b, "MAX(b)"),
                      Agg(proto::AGG_MAX, proto::TYPE_TIMESTAMP, &t, "MAX(t)")});
  State st(set.get());
  Arena arena;
  const std::vector<std::vector<Value>> rows = {
      {Value::Int(1), Value::Bool(true), Value::Int(1000)},
      {Value::Int(2), Value::Bool(false), Value::Int(3000)},
      {Value::Int(-8), Value::Null(), Value::Int(2000)}};
  for (const auto& r : rows) set->Update(st.data(), r.data(), &arena);
  const std::string bytes = st.Bytes();
  const auto v = Finalize(*set, bytes);
  CHECK(v[0].kind == ValueKind::kInt);
  CHECK(v[0].i == -1);  // -5 / 3 truncates toward zero
  CHECK(v[1].d == Approx(-5.0 / 3));
  CHECK(v[2].kind == ValueKind::kBool);
  CHECK(!v[2].b);
  CHECK(v[3].b);
  CHECK(v[4].i == 3000);
}

TEST_CASE("MIN/MAX strings are owned by the state", "[unit]") {
  const proto::Expr s = Col(0, TYPE_STRING);
  auto set = MakeSet({Agg(proto::AGG_MIN, TYPE_STRING, &s, "MIN(s)"),
                      Agg(proto::AGG_MAX, TYPE_STRING, &s, "MAX(s)")});
  State st(set.get());
  Arena arena;
  std::string buf;
  for (const char* text : {"middle", "a much longer string than sixteen bytes", "zz", "b"}) {
    buf = text;  // overwritten after each update: the state must have copied it
    const Value row[1] = {Value::String(buf)};
    set->Update(st.data(), row, &arena);
    buf.assign(buf.size(), '#');
  }
  const std::string bytes = st.Bytes();
  const auto v = Finalize(*set, bytes);
  CHECK(v[0].s == "a much longer string than sixteen bytes");
  CHECK(v[1].s == "zz");
}

TEST_CASE("APPROX_COUNT_DISTINCT stays within its error bound from 1e2 to 1e6", "[unit]") {
  const proto::Expr x = Col(0, TYPE_BIGINT);
  auto set = MakeSet({Agg(proto::AGG_APPROX_COUNT_DISTINCT, TYPE_BIGINT, &x, "APPROX(x)"),
                      Agg(proto::AGG_COUNT_DISTINCT, TYPE_BIGINT, &x, "COUNT(DISTINCT x)")});
  Arena arena;
  for (int64_t n : {100, 1000, 10000, 100000, 1000000}) {
    // Two halves (overlapping by 10%) merged, each value seen twice.
    State a(set.get()), b(set.get());
    for (int64_t k = 0; k < n; ++k) {
      const Value row[1] = {Value::Int(k * 7919 + 13)};
      State& st = k < n * 55 / 100 ? a : b;
      set->Update(st.data(), row, &arena);
      set->Update(st.data(), row, &arena);
      if (k >= n * 45 / 100 && k < n * 55 / 100) set->Update(b.data(), row, &arena);
    }
    std::string bytes = a.Bytes();
    REQUIRE(set->Merge(&bytes, b.Bytes()).ok());
    const auto v = Finalize(*set, bytes);
    const double err = std::fabs(static_cast<double>(v[0].i) - n) / static_cast<double>(n);
    INFO("n=" << n << " estimate=" << v[0].i << " error=" << err);
    CHECK(v[1].i == n);
    if (n <= 1000) {
      CHECK(v[0].i == n);  // the sparse form is exact
    } else {
      CHECK(err < 0.03);  // 0.81% standard error: 3% is beyond 3 sigma
    }
  }
}

TEST_CASE("COUNT(DISTINCT) tells values of different kinds apart and ignores NULL", "[unit]") {
  const proto::Expr x = Col(0, TYPE_STRING);
  auto set = MakeSet({Agg(proto::AGG_COUNT_DISTINCT, TYPE_BIGINT, &x, "COUNT(DISTINCT x)"),
                      Agg(proto::AGG_APPROX_COUNT_DISTINCT, TYPE_BIGINT, &x, "APPROX(x)")});
  State st(set.get());
  Arena arena;
  for (Value v : {Value::String("1"), Value::Int(1), Value::Double(1.5), Value::String("1"),
                  Value::Null(), Value::Bool(true), Value::Double(-0.0), Value::Double(0.0)}) {
    set->Update(st.data(), &v, &arena);
  }
  const std::string bytes = st.Bytes();
  const auto v = Finalize(*set, bytes);
  CHECK(v[0].i == 5);
  CHECK(v[1].i == 5);
}

TEST_CASE("aggregate plans it cannot run are rejected", "[unit]") {
  CHECK(!AggregateSet::Make({}).ok() == false);  // no aggregates is fine
  google::protobuf::RepeatedPtrField<proto::AggregateCall> f;
  *f.Add() = Agg(proto::AGG_SUM, TYPE_BIGINT, nullptr, "SUM()");
  CHECK(!AggregateSet::Make(f).ok());
  f.Clear();
  const proto::Expr bad = Call("NOPE", TYPE_BIGINT, {});
  *f.Add() = Agg(proto::AGG_SUM, TYPE_BIGINT, &bad, "SUM(NOPE())");
  CHECK(!AggregateSet::Make(f).ok());
}

}  // namespace
}  // namespace spate::exec
