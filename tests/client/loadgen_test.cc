#include "client/loadgen.h"

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace spate {
namespace {

constexpr int64_t kStart = 1768142570000;  // 2026-01-11 14:42:50 UTC, a window start

GeneratorOptions Synthetic(uint64_t seed) {
  GeneratorOptions o;
  o.seed = seed;
  o.partitions = 4;
  o.synthetic_time = true;
  o.start_ms = kStart;
  return o;
}

RecordGenerator MakeOrDie(const GeneratorOptions& o) {
  auto g = RecordGenerator::Make(o);
  REQUIRE(g.ok());
  return std::move(g).value();
}

std::vector<std::string> Values(RecordGenerator* g, uint64_t n) {
  std::vector<std::string> out;
  GeneratedRecord r;
  for (uint64_t i = 0; i < n; ++i) {
    g->Generate(i, &r);
    out.emplace_back(r.value);
  }
  return out;
}

// The record model as the jobs read it: an object with an integer timestamp and string
// status, severity, source_ip, user_id and content.
bool IsModelRecord(std::string_view value) {
  auto j = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return false;
  auto ts = j.find("timestamp");
  if (ts == j.end() || !ts->is_number_integer()) return false;
  for (const char* f : {"status", "severity", "source_ip", "user_id", "content"}) {
    auto it = j.find(f);
    if (it == j.end() || !it->is_string()) return false;
  }
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST_CASE("same seed gives the same bytes and a different seed different bytes", "[unit]") {
  auto a = MakeOrDie(Synthetic(7));
  auto b = MakeOrDie(Synthetic(7));
  auto c = MakeOrDie(Synthetic(8));
  auto va = Values(&a, 20000);
  auto vb = Values(&b, 20000);
  auto vc = Values(&c, 20000);
  CHECK(va == vb);
  size_t differ = 0;
  for (size_t i = 0; i < va.size(); ++i) differ += va[i] != vc[i];
  CHECK(differ > va.size() * 9 / 10);
}

TEST_CASE("record i is a pure function of seed, index and options", "[unit]") {
  auto g = MakeOrDie(Synthetic(42));
  auto seq = Values(&g, 5000);
  GeneratedRecord r;
  // Out of order, and through the caller-buffer path.
  std::vector<char> buf(g.max_value_size());
  for (uint64_t i : {4999u, 0u, 1234u, 17u, 4000u}) {
    g.Generate(i, &r);
    CHECK(std::string(r.value) == seq[i]);
    g.WriteRecord(i, /*wall_ms=*/0, buf.data(), &r);
    CHECK(std::string(r.value) == seq[i]);
    CHECK(r.index == i);
  }
}

TEST_CASE("well-formed records follow the model and look like the exercise's", "[unit]") {
  auto g = MakeOrDie(Synthetic(3));
  GeneratedRecord r;
  g.Generate(1, &r);
  auto j = nlohmann::json::parse(r.value);
  CHECK(r.value.substr(0, 14) == "{\"timestamp\": ");
  CHECK(j["timestamp"].get<int64_t>() == r.timestamp_ms);
  CHECK(j["user_id"].get<std::string>() == "user_" + std::to_string(r.user));

  std::set<std::string> severities, statuses, ips;
  std::map<std::string, int> content_words;
  uint64_t total_bytes = 0;
  const uint64_t n = 200000;
  for (uint64_t i = 0; i < n; ++i) {
    g.Generate(i, &r);
    total_bytes += r.value.size();
    REQUIRE(r.malformed == MalformedKind::kNone);
    auto rec = nlohmann::json::parse(r.value, nullptr, false);
    REQUIRE(IsModelRecord(r.value));
    severities.insert(rec["severity"].get<std::string>());
    statuses.insert(rec["status"].get<std::string>());
    ips.insert(rec["source_ip"].get<std::string>());
    int64_t user = std::stoll(rec["user_id"].get<std::string>().substr(5));
    CHECK(user >= 1000);
    CHECK(user < 2000);
    std::string content = rec["content"].get<std::string>();
    for (const char* w : {"crash", "Crash", "CRASH", "crashed", "Crashed", "crashes", "Cash"}) {
      if (content.find(w) != std::string::npos) ++content_words[w];
    }
    bool severe = rec["severity"] == "High" || rec["severity"] == "Critical";
    bool match = severe && Lower(content).find("crash") != std::string::npos;
    REQUIRE(match == r.crash_match);
  }
  CHECK(severities == std::set<std::string>{"Low", "Medium", "High", "Critical"});
  CHECK(statuses == std::set<std::string>{"INFO", "WARN", "ERROR"});
  CHECK(ips.size() > 500);
  for (const char* w : {"crash", "Crash", "CRASH", "crashed", "Crashed", "crashes", "Cash"}) {
    INFO(w);
    CHECK(content_words[w] > 0);
  }
  // The exercise's example record is 176 bytes; ours average about the same.
  double mean = static_cast<double>(total_bytes) / n;
  CHECK(mean > 150);
  CHECK(mean < 200);
}

TEST_CASE("malformed records are exactly the flagged ones and cover every kind", "[unit]") {
  GeneratorOptions o = Synthetic(11);
  o.malformed_fraction = 0.1;
  auto g = MakeOrDie(o);
  GeneratedRecord r;
  std::map<MalformedKind, uint64_t> kinds;
  const uint64_t n = 100000;
  for (uint64_t i = 0; i < n; ++i) {
    g.Generate(i, &r);
    ++kinds[r.malformed];
    INFO("record " << i << " (" << MalformedKindName(r.malformed) << "): " << r.value);
    REQUIRE(IsModelRecord(r.value) == (r.malformed == MalformedKind::kNone));
    REQUIRE(r.value.find('\n') == std::string_view::npos);
    if (r.malformed != MalformedKind::kNone) REQUIRE_FALSE(r.crash_match);
  }
  CHECK(kinds[MalformedKind::kNone] > n * 88 / 100);
  CHECK(kinds[MalformedKind::kNone] < n * 92 / 100);
  for (auto k : {MalformedKind::kNotJson, MalformedKind::kNotObject, MalformedKind::kMissingField,
                 MalformedKind::kWrongType, MalformedKind::kBadTimestamp}) {
    INFO(MalformedKindName(k));
    CHECK(kinds[k] > 1000);
  }
  // Turning malformed records on does not change the well-formed ones' neighbours.
  auto plain = MakeOrDie(Synthetic(11));
  GeneratedRecord p;
  for (uint64_t i = 0; i < 1000; ++i) {
    g.Generate(i, &r);
    std::string a(r.value);
    plain.Generate(i, &p);
    if (r.malformed == MalformedKind::kNone) CHECK(a == std::string(p.value));
  }
}

TEST_CASE("timestamps follow synthetic event time and disorder stays within its bound", "[unit]") {
  GeneratorOptions o = Synthetic(5);
  o.event_rate = 2500;
  auto in_order = MakeOrDie(o);
  GeneratedRecord r;
  for (uint64_t i = 0; i < 10000; ++i) {
    in_order.Generate(i, &r);
    REQUIRE(r.timestamp_ms == kStart + static_cast<int64_t>(i * 1000 / 2500));
    REQUIRE_FALSE(r.out_of_order);
  }
  o.disorder_ms = 700;
  o.disorder_fraction = 0.1;
  auto g = MakeOrDie(o);
  uint64_t moved = 0;
  int64_t max_back = 0;
  const uint64_t n = 100000;
  for (uint64_t i = 0; i < n; ++i) {
    g.Generate(i, &r);
    int64_t back = g.BaseTimestamp(i) - r.timestamp_ms;
    REQUIRE(back >= 0);
    REQUIRE(back <= 700);
    REQUIRE(r.out_of_order == (back > 0));
    moved += back > 0;
    max_back = std::max(max_back, back);
    auto j = nlohmann::json::parse(r.value);
    REQUIRE(j["timestamp"].get<int64_t>() == r.timestamp_ms);
  }
  CHECK(moved > n * 9 / 100);
  CHECK(moved < n * 11 / 100);
  CHECK(max_back > 650);
}

TEST_CASE("wall-clock mode writes the timestamp the caller passes", "[unit]") {
  GeneratorOptions o;
  o.seed = 9;
  auto g = MakeOrDie(o);
  std::vector<char> buf(g.max_value_size());
  GeneratedRecord r;
  g.WriteRecord(3, 1700000000123, buf.data(), &r);
  CHECK(r.timestamp_ms == 1700000000123);
  CHECK(nlohmann::json::parse(r.value)["timestamp"].get<int64_t>() == 1700000000123);
}

TEST_CASE("partition of record i is i modulo the partition count", "[unit]") {
  GeneratorOptions o = Synthetic(1);
  o.partitions = 8;
  auto g = MakeOrDie(o);
  GeneratedRecord r;
  std::vector<int> per(8);
  for (uint64_t i = 0; i < 8000; ++i) {
    g.Generate(i, &r);
    REQUIRE(r.partition == static_cast<int32_t>(i % 8));
    REQUIRE(g.PartitionOf(i) == r.partition);
    ++per[static_cast<size_t>(r.partition)];
  }
  CHECK(per == std::vector<int>(8, 1000));
  // The partition count does not change the values.
  auto one = MakeOrDie(Synthetic(1));
  GeneratedRecord a;
  for (uint64_t i = 0; i < 100; ++i) {
    g.Generate(i, &r);
    std::string v(r.value);
    one.Generate(i, &a);
    CHECK(v == std::string(a.value));
  }
}

TEST_CASE("default mix gives the crash detector rows above, at and just over the threshold",
          "[unit]") {
  // 1 M records at the default event rate: 100 s of event time, 10 windows of 10 s.
  auto g = MakeOrDie(Synthetic(7));
  GeneratedRecord r;
  std::map<std::pair<int64_t, int64_t>, int> counts;  // (window, user) -> matches
  int edge_start = 0, edge_end = 0;
  for (uint64_t i = 0; i < 1'000'000; ++i) {
    g.Generate(i, &r);
    if (!r.crash_match) continue;
    ++counts[{r.timestamp_ms / 10000, r.user}];
    edge_start += r.timestamp_ms % 10000 == 0;
    edge_end += r.timestamp_ms % 10000 == 9999;
  }
  std::map<int, int> histogram;
  std::map<int64_t, int> windows_above;  // user -> windows with more than 2
  for (const auto& [key, c] : counts) {
    ++histogram[c];
    if (c > 2) ++windows_above[key.second];
  }
  int rows_above = 0, most_windows = 0;
  for (const auto& [c, n] : histogram) rows_above += c > 2 ? n : 0;
  for (const auto& [u, w] : windows_above) most_windows = std::max(most_windows, w);
  INFO("rows above threshold " << rows_above << ", at 2: " << histogram[2]
                               << ", at 3: " << histogram[3]);
  CHECK(histogram[2] > 100);         // users stopping exactly at the threshold
  CHECK(histogram[3] > 50);          // users just over it
  CHECK(rows_above > 100);           // ~25 rows per window
  CHECK(rows_above < 1000);          // but not every user
  CHECK(most_windows >= 8);          // some users cross in (nearly) every window
  CHECK(windows_above.size() > 30);  // and many users cross at least once
  CHECK(edge_start >= 10);           // crash matches on every window's first millisecond
  CHECK(edge_end >= 10);             // and on its last
}

TEST_CASE("the additional term appears at exactly its rate and is escaped", "[unit]") {
  GeneratorOptions o = Synthetic(2);
  o.event_rate = 10000;
  o.term = "vulner\"ability";
  o.term_rate = 250;
  auto g = MakeOrDie(o);
  GeneratedRecord r;
  int with_term = 0;
  for (uint64_t i = 0; i < 40000; ++i) {  // 4 event-seconds
    g.Generate(i, &r);
    auto j = nlohmann::json::parse(r.value, nullptr, false);
    REQUIRE(IsModelRecord(r.value));
    bool has = j["content"].get<std::string>().find("vulner\"ability") != std::string::npos;
    REQUIRE(has == r.has_term);
    with_term += has;
  }
  CHECK(with_term == 1000);
}

TEST_CASE("zipf skews the user distribution, zero keeps it uniform", "[unit]") {
  auto share_of_top = [](double zipf) {
    GeneratorOptions o = Synthetic(4);
    o.zipf = zipf;
    auto g = MakeOrDie(o);
    GeneratedRecord r;
    std::map<int64_t, int> per_user;
    for (uint64_t i = 0; i < 200000; ++i) {
      g.Generate(i, &r);
      ++per_user[r.user];
    }
    return std::make_pair(per_user[1000] / 200000.0, per_user.size());
  };
  auto [uniform_top, uniform_users] = share_of_top(0);
  CHECK(uniform_top < 0.002);
  CHECK(uniform_users == 1000);
  auto [zipf_top, zipf_users] = share_of_top(1.0);
  CHECK(zipf_top > 0.12);  // 1 / H(1000) = 0.134
  CHECK(zipf_top < 0.15);
  CHECK(zipf_users > 900);
}

TEST_CASE("generator options out of range are rejected", "[unit]") {
  GeneratorOptions o;
  o.users = 0;
  CHECK_FALSE(RecordGenerator::Make(o).ok());
  o = {};
  o.malformed_fraction = 1.5;
  CHECK_FALSE(RecordGenerator::Make(o).ok());
  o = {};
  o.partitions = 0;
  CHECK_FALSE(RecordGenerator::Make(o).ok());
  o = {};
  o.term = "x";
  o.term_rate = o.event_rate + 1;
  CHECK_FALSE(RecordGenerator::Make(o).ok());
}

// --- command line ---

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

TEST_CASE("environment variables set the defaults and flags win over them", "[unit]") {
  auto env = Env({{"KAFKA_BROKER", "kafka:9092"},
                  {"KAFKA_TOPIC", "logs2"},
                  {"TARGET_RPS", "500"},
                  {"ADDITIONAL_TERM", "vulnerability"},
                  {"ADDITIONAL_TERM_RATE", "5"}});
  auto o = ParseLoadgenArgs({}, env);
  REQUIRE(o.ok());
  CHECK(o->bootstrap == "kafka:9092");
  CHECK(o->topic == "logs2");
  CHECK(o->rate == 500);
  CHECK(o->generator.term == "vulnerability");
  CHECK(o->generator.term_rate == 5);
  CHECK(o->generator.event_rate == 500);  // follows the rate
  CHECK_FALSE(o->seed_given);

  o = ParseLoadgenArgs({"--bootstrap", "127.0.0.1:1", "--topic=t", "--rate", "0", "--term", "boom",
                        "--term-rate", "7", "--seed", "7", "--start-ms", "-5000"},
                       env);
  REQUIRE(o.ok());
  CHECK(o->bootstrap == "127.0.0.1:1");
  CHECK(o->topic == "t");
  CHECK(o->rate == 0);
  CHECK(o->generator.term == "boom");
  CHECK(o->generator.term_rate == 7);
  CHECK(o->generator.event_rate == 10000);  // rate 0: the default event rate
  CHECK(o->generator.seed == 7);
  CHECK(o->generator.synthetic_time);
  CHECK(o->generator.start_ms == -5000);
}

TEST_CASE("all flags parse", "[unit]") {
  auto o = ParseLoadgenArgs({"--users",
                             "50",
                             "--zipf",
                             "1.1",
                             "--count",
                             "100",
                             "--duration",
                             "5s",
                             "--threads",
                             "3",
                             "--event-rate",
                             "2000",
                             "--disorder-ms",
                             "300",
                             "--disorder-fraction",
                             "0.2",
                             "--malformed-fraction",
                             "0.01",
                             "--linger-ms",
                             "5",
                             "--batch-size",
                             "512k",
                             "--compression",
                             "lz4",
                             "--message-timeout",
                             "10s",
                             "--connect-timeout",
                             "2s",
                             "-X",
                             "acks=all",
                             "--progress-interval",
                             "2s"},
                            Env({}));
  REQUIRE(o.ok());
  CHECK(o->generator.users == 50);
  CHECK(o->generator.zipf == 1.1);
  CHECK(o->count == 100);
  CHECK(o->duration_ms == 5000);
  CHECK(o->threads == 3);
  CHECK(o->generator.event_rate == 2000);
  CHECK(o->generator.disorder_ms == 300);
  CHECK(o->generator.disorder_fraction == 0.2);
  CHECK(o->generator.malformed_fraction == 0.01);
  CHECK(o->linger_ms == 5);
  CHECK(o->batch_bytes == 512 * 1024);
  CHECK(o->compression == "lz4");
  CHECK(o->message_timeout_ms == 10000);
  CHECK(o->connect_timeout_ms == 2000);
  CHECK(o->kafka_config == std::vector<std::pair<std::string, std::string>>{{"acks", "all"}});
  CHECK(o->progress_interval_ms == 2000);
  auto h = ParseLoadgenArgs({"--help"}, Env({}));
  REQUIRE(h.ok());
  CHECK(h->help);
  CHECK(LoadgenUsage().find("--term-rate") != std::string::npos);
}

TEST_CASE("bad arguments are rejected with a message naming the problem", "[unit]") {
  auto fails_with = [](std::vector<std::string> args, std::map<std::string, std::string> env,
                       const std::string& needle) {
    auto o = ParseLoadgenArgs(args, Env(env));
    INFO("args: " << (args.empty() ? std::string() : args[0]) << " expecting: " << needle);
    REQUIRE_FALSE(o.ok());
    CHECK(o.status().code() == StatusCode::kInvalidArgument);
    CHECK(o.status().message().find(needle) != std::string::npos);
  };
  fails_with({"--rate", "-5"}, {}, "--rate must not be negative");
  fails_with({}, {{"TARGET_RPS", "-1"}}, "TARGET_RPS must not be negative");
  fails_with({}, {{"TARGET_RPS", "fast"}}, "TARGET_RPS: not a number");
  fails_with({"--frobnicate"}, {}, "unknown option '--frobnicate'");
  fails_with({"--malformed-fraction", "1.5"}, {}, "--malformed-fraction must be in [0, 1]");
  fails_with({"--disorder-fraction", "-0.1"}, {}, "--disorder-fraction must be in [0, 1]");
  fails_with({"--users", "0"}, {}, "--users must be in");
  fails_with({"--count", "0"}, {}, "--count must be at least 1");
  fails_with({"--count"}, {}, "--count needs a value");
  fails_with({"--threads", "0"}, {}, "--threads must be in");
  fails_with({"--duration", "soon"}, {}, "--duration");
  fails_with({"--term-rate", "5"}, {}, "needs --term");
  fails_with({"--term", "x", "--term-rate", "20000", "--rate", "100"}, {}, "must not exceed");
  fails_with({"--compression", "brotli"}, {}, "--compression must be");
  fails_with({"--partitions", "4"}, {}, "only for --stdout");
  fails_with({"--stdout=yes"}, {}, "takes no value");
  fails_with({"-X", "novalue"}, {}, "KEY=VALUE");
}

}  // namespace
}  // namespace spate
