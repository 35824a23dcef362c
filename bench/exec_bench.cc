// spate-exec-bench: single-core throughput of the SQL operators (exec/) on course-like records
// generated in memory, next to the log-record parser's full parse in the same run.
//
//   spate-exec-bench [--records N] [--seconds S] [--seed X] [--sql FILE]... [--sql-only]
//
// --sql FILE (repeatable): also stage 1 of that SQL script (planned as spate-submit plans it;
// ${...} placeholders need not be filled) over the same records, Stage1::Add per record and one
// Finish per pass: e.g. bench/sql/severity-stats.sql. --sql-only: only those and the bare parse.
//
// Rates are records per second of this thread's CPU time (as spate-parser-bench). "ratio" is
// the mode's time per record over the bare parse's ("parse, all fields").
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/log_record.h"
#include "exec/aggregate.h"
#include "exec/decoder.h"
#include "exec/expr.h"
#include "exec/query.h"
#include "exec/row_codec.h"
#include "sql/sql.h"

namespace spate {
namespace {

struct Corpus {
  std::string bytes;  // every record back to back, like a Kafka fetch buffer
  std::vector<std::string_view> records;
};

// The records of spate-parser-bench (same generator, same seed: same bytes).
Corpus MakeCorpus(size_t n, uint64_t seed) {
  static const char* const kPlain[] = {
      "User login successful from web portal", "Disk usage at 85 percent on data",
      "Connection timeout to payment service", "Cache miss ratio above threshold",
      "Scheduled backup completed in 42 s",    "Invalid password attempt for account",
      "Request served in 120 ms by node 3",    "Configuration reloaded, no changes",
      "Memory pressure on worker pool",
  };
  static const char* const kCrash[] = {
      "Application crash detected in module auth",
      "CRASH: null pointer in payment handler",
      "Service Crash reported by health check",
      "Kernel crash dump written to disk",
  };
  static const char* const kStatus[] = {"INFO", "WARN", "ERROR", "DEBUG"};
  static const char* const kSeverity[] = {"Low", "Medium", "High", "Critical"};
  std::mt19937_64 rng(seed);
  Corpus c;
  std::vector<size_t> offsets;
  int64_t ts = 1768142570123;
  char buf[512];
  for (size_t i = 0; i < n; ++i) {
    ts += static_cast<int64_t>(rng() % 5);
    const bool crash = rng() % 10 == 0;
    const char* content = crash ? kCrash[rng() % 4] : kPlain[rng() % 9];
    const int len = std::snprintf(
        buf, sizeof buf,
        R"({"timestamp": %lld, "status": "%s", "severity": "%s", "source_ip": "192.168.%u.%u", )"
        R"("user_id": "user_%u", "content": "%s"})",
        static_cast<long long>(ts), kStatus[rng() % 4], kSeverity[rng() % 4],
        static_cast<unsigned>(rng() % 256), static_cast<unsigned>(rng() % 256),
        static_cast<unsigned>(rng() % 5000), content);
    offsets.push_back(c.bytes.size());
    c.bytes.append(buf, static_cast<size_t>(len));
  }
  offsets.push_back(c.bytes.size());
  for (size_t i = 0; i < n; ++i) {
    c.records.emplace_back(c.bytes.data() + offsets[i], offsets[i + 1] - offsets[i]);
  }
  return c;
}

struct Row {
  const char* name;
  double records_per_s;
  double ns_per_record;
  uint64_t count;
};

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

template <typename Pass>
Row Measure(const char* name, const Corpus& c, double seconds, Pass pass) {
  (void)pass();  // warm-up: buffers sized, caches filled, groups created
  size_t records = 0;
  uint64_t count = 0;
  const double start = ThreadCpuSeconds();
  double elapsed = 0;
  do {
    count = pass();
    records += c.records.size();
    elapsed = ThreadCpuSeconds() - start;
  } while (elapsed < seconds);
  return Row{name, static_cast<double>(records) / elapsed,
             elapsed * 1e9 / static_cast<double>(records), count};
}

proto::DataType Type(proto::TypeKind kind) {
  proto::DataType t;
  t.set_kind(kind);
  if (kind == proto::TYPE_TIMESTAMP_LTZ) t.set_precision(3);
  return t;
}

proto::Expr Col(int index, proto::TypeKind kind) {
  proto::Expr e;
  *e.mutable_type() = Type(kind);
  e.set_column(index);
  return e;
}

proto::Expr Call(const std::string& fn, proto::TypeKind kind, std::vector<proto::Expr> args) {
  proto::Expr e;
  *e.mutable_type() = Type(kind);
  e.mutable_call()->set_fn(fn);
  for (auto& a : args) *e.mutable_call()->add_args() = std::move(a);
  return e;
}

proto::Expr Str(const std::string& s) {
  proto::Expr e;
  *e.mutable_type() = Type(proto::TYPE_STRING);
  e.mutable_literal()->set_string_value(s);
  return e;
}

void AddColumn(proto::SourcePlan* s, const char* name, proto::TypeKind kind) {
  proto::SourceColumn* c = s->add_columns();
  c->set_name(name);
  c->add_path(name);
  *c->mutable_type() = Type(kind);
}

proto::AggregateCall Agg(proto::AggregateKind kind, proto::TypeKind type, int column,
                         proto::TypeKind arg_type) {
  proto::AggregateCall a;
  a.set_kind(kind);
  *a.mutable_type() = Type(type);
  if (column >= 0) *a.mutable_arg() = Col(column, arg_type);
  return a;
}

// A group-by hash map as stage 1 keeps one: encoded key -> the group's state.
class GroupMap {
 public:
  explicit GroupMap(const exec::AggregateSet* set) : set_(set) {}
  ~GroupMap() {
    for (auto& [key, state] : groups_) set_->Destroy(state);
  }
  char* Find(const std::string& key) {
    auto it = groups_.find(key);
    if (it != groups_.end()) return it->second;
    storage_.emplace_back(set_->state_size() / 8 + 1);
    char* state = reinterpret_cast<char*>(storage_.back().data());
    set_->Init(state);
    groups_.emplace(key, state);
    return state;
  }
  size_t size() const { return groups_.size(); }

 private:
  const exec::AggregateSet* set_;
  std::unordered_map<std::string, char*> groups_;
  std::vector<std::vector<uint64_t>> storage_;
};

int Run(int argc, char** argv) {
  size_t n = 500'000;
  double seconds = 1.0;
  uint64_t seed = 7;
  std::vector<std::string> sql_files;
  bool sql_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--records" && i + 1 < argc) {
      n = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::strtod(argv[++i], nullptr);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--sql" && i + 1 < argc) {
      sql_files.emplace_back(argv[++i]);
    } else if (arg == "--sql-only") {
      sql_only = true;
    } else {
      std::fprintf(
          stderr, "usage: %s [--records N] [--seconds S] [--seed X] [--sql FILE]... [--sql-only]\n",
          argv[0]);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  if (n == 0) n = 1;
  const Corpus c = MakeCorpus(n, seed);
  std::printf(
      "spate-exec-bench: %zu records, %.1f bytes/record on average, one core (thread CPU "
      "time)\n\n",
      n, static_cast<double>(c.bytes.size()) / static_cast<double>(n));

  // Four columns: timestamp, severity, user_id, content (the crash detector's).
  proto::SourcePlan four;
  AddColumn(&four, "timestamp", proto::TYPE_TIMESTAMP_LTZ);
  AddColumn(&four, "severity", proto::TYPE_STRING);
  AddColumn(&four, "user_id", proto::TYPE_STRING);
  AddColumn(&four, "content", proto::TYPE_STRING);
  proto::SourcePlan six = four;
  AddColumn(&six, "status", proto::TYPE_STRING);
  AddColumn(&six, "source_ip", proto::TYPE_STRING);
  auto decoder4 = exec::RowDecoder::Make(four);
  auto decoder6 = exec::RowDecoder::Make(six);
  auto filter = exec::CompiledExpr::Compile(
      Call("LIKE", proto::TYPE_BOOLEAN,
           {Call("LOWER", proto::TYPE_STRING, {Col(3, proto::TYPE_STRING)}), Str("%crash%")}));
  google::protobuf::RepeatedPtrField<proto::AggregateCall> calls;
  *calls.Add() = Agg(proto::AGG_COUNT_STAR, proto::TYPE_BIGINT, -1, proto::TYPE_NULL);
  *calls.Add() = Agg(proto::AGG_SUM, proto::TYPE_BIGINT, 0, proto::TYPE_TIMESTAMP_LTZ);
  *calls.Add() = Agg(proto::AGG_MIN, proto::TYPE_STRING, 2, proto::TYPE_STRING);
  *calls.Add() = Agg(proto::AGG_MAX, proto::TYPE_TIMESTAMP_LTZ, 0, proto::TYPE_TIMESTAMP_LTZ);
  *calls.Add() = Agg(proto::AGG_AVG, proto::TYPE_BIGINT, 0, proto::TYPE_TIMESTAMP_LTZ);
  auto aggs = exec::AggregateSet::Make(calls);
  if (!decoder4.ok() || !decoder6.ok() || !filter.ok() || !aggs.ok()) {
    std::fprintf(stderr, "setup failed\n");
    return 1;
  }
  exec::RowDecoder& d4 = **decoder4;
  exec::RowDecoder& d6 = **decoder6;
  const exec::CompiledExpr& where = **filter;
  const exec::AggregateSet& set = **aggs;

  RecordParser parser;
  LogRecordView view;
  constexpr uint32_t kCrashFields = kFieldTimestamp | kFieldSeverity | kFieldUserId | kFieldContent;
  exec::Value row[6];
  exec::Arena arena;
  std::string key;
  std::vector<Row> rows;

  rows.push_back(Measure("parse, all fields (RecordParser)", c, seconds, [&] {
    uint64_t ok = 0;
    for (std::string_view r : c.records) ok += parser.Parse(r, kAllFields, &view).ok();
    return ok;
  }));
  GroupMap by_severity(&set);
  GroupMap by_user(&set);
  if (!sql_only) {
    rows.push_back(Measure("parse, 4 fields (RecordParser)", c, seconds, [&] {
      uint64_t ok = 0;
      for (std::string_view r : c.records) ok += parser.Parse(r, kCrashFields, &view).ok();
      return ok;
    }));
    rows.push_back(Measure("decode 6 columns", c, seconds, [&] {
      uint64_t ok = 0;
      for (std::string_view r : c.records) ok += d6.Decode(r, row).ok();
      return ok;
    }));
    rows.push_back(Measure("decode 4 columns", c, seconds, [&] {
      uint64_t ok = 0;
      for (std::string_view r : c.records) ok += d4.Decode(r, row).ok();
      return ok;
    }));
    rows.push_back(Measure("decode 4 + LOWER(content) LIKE '%crash%'", c, seconds, [&] {
      uint64_t hits = 0;
      for (std::string_view r : c.records) {
        if (!d4.Decode(r, row).ok()) continue;
        hits += exec::IsTrue(where.Eval(row, &arena));
        arena.Reset();
      }
      return hits;
    }));
    rows.push_back(Measure("decode 4 + GROUP BY severity, 5 aggregates", c, seconds, [&] {
      uint64_t ok = 0;
      for (std::string_view r : c.records) {
        if (!d4.Decode(r, row).ok()) continue;
        key.clear();
        exec::EncodeKey(&row[1], 1, &key);
        set.Update(by_severity.Find(key), row, &arena);
        arena.Reset();
        ++ok;
      }
      return ok;
    }));
    rows.push_back(Measure("decode 4 + GROUP BY user_id (5000 groups)", c, seconds, [&] {
      uint64_t ok = 0;
      for (std::string_view r : c.records) {
        if (!d4.Decode(r, row).ok()) continue;
        key.clear();
        exec::EncodeKey(&row[2], 1, &key);
        set.Update(by_user.Find(key), row, &arena);
        arena.Reset();
        ++ok;
      }
      return ok;
    }));
  }

  // Stage 1 of whole SQL scripts: decode, computed columns, WHERE, windows, keys, aggregates.
  std::vector<std::string> names;
  names.reserve(sql_files.size());
  for (const std::string& file : sql_files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", file.c_str());
      return 1;
    }
    sql::PlanOptions po;
    po.default_bootstrap = "127.0.0.1:9092";
    auto plan = sql::PlanScript(text.str(), po);
    if (!plan.ok()) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), plan.status().message().c_str());
      return 1;
    }
    auto query = exec::CompiledQuery::Make(*plan);
    if (!query.ok()) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), query.status().message().c_str());
      return 1;
    }
    const size_t slash = file.find_last_of('/');
    names.push_back("stage 1: " + file.substr(slash == std::string::npos ? 0 : slash + 1));
    std::shared_ptr<const exec::CompiledQuery> q = *query;
    rows.push_back(Measure(names.back().c_str(), c, seconds, [&] {
      auto s1 = exec::Stage1::Make(q, INT64_MIN, 1024, 2, /*prefilter=*/true);
      if (!s1.ok()) return uint64_t{0};
      for (std::string_view r : c.records) (*s1)->Add(r);
      std::vector<int64_t> entries;
      (*s1)->Finish(&entries);
      return static_cast<uint64_t>((*s1)->stats().matched);
    }));
  }

  const double base = rows[0].ns_per_record;
  std::printf("%-50s %12s %10s %7s %10s\n", "mode", "records/s", "ns/record", "ratio", "count");
  for (const Row& r : rows) {
    std::printf("%-50s %12.0f %10.1f %7.2f %10llu\n", r.name, r.records_per_s, r.ns_per_record,
                r.ns_per_record / base, static_cast<unsigned long long>(r.count));
  }
  if (sql_only) return 0;
  std::printf("\ngroups: %zu by severity, %zu by user_id\n", by_severity.size(), by_user.size());
  // The decoder and the parser must agree on every record, and the filter count must be the
  // crash records (about one in ten).
  if (rows[2].count != rows[0].count || rows[3].count != rows[1].count) {
    std::fprintf(stderr, "MISMATCH: decoder accepted a different number of records\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace spate

int main(int argc, char** argv) { return spate::Run(argc, argv); }
