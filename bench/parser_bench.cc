// spate-parser-bench: single-core throughput of the log-record parser and the raw-byte
// pre-filter on course-like records generated in memory.
//
//   spate-parser-bench [--records N] [--seconds S] [--seed X]
//
// Rates are records per second of this thread's CPU time, so other load on the machine does not
// lower them (it still costs cache). "count" is what each mode found: parsed records, or matches.
#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/log_record.h"
#include "common/text.h"

namespace spate {
namespace {

struct Corpus {
  std::string bytes;  // every record back to back, like a Kafka fetch buffer
  std::vector<std::string_view> records;
  std::string padded_bytes;  // the same records, each followed by kPadding bytes
  std::vector<std::string_view> padded_records;
};

Corpus MakeCorpus(size_t n, uint64_t seed) {
  // The load generator's mix: about one record in ten mentions a crash (in varied case), and
  // about half of those are High or Critical.
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
  std::vector<size_t> padded_offsets;
  for (size_t i = 0; i < n; ++i) {
    padded_offsets.push_back(c.padded_bytes.size());
    c.padded_bytes.append(c.bytes, offsets[i], offsets[i + 1] - offsets[i]);
    c.padded_bytes.append(RecordParser::kPadding, ' ');
  }
  for (size_t i = 0; i < n; ++i) {
    const size_t len = offsets[i + 1] - offsets[i];
    c.records.emplace_back(c.bytes.data() + offsets[i], len);
    c.padded_records.emplace_back(c.padded_bytes.data() + padded_offsets[i], len);
  }
  return c;
}

struct Row {
  const char* name;
  double records_per_s;
  double mb_per_s;
  double ns_per_record;
  uint64_t hits;
};

// CPU time of this thread: the figures stay per-core throughput on a busy shared machine.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Runs `pass` (one sweep over the corpus, returning a count) until `seconds` of CPU time.
template <typename Pass>
Row Measure(const char* name, const Corpus& c, double seconds, Pass pass) {
  (void)pass();  // warm-up: buffers sized, caches filled
  size_t records = 0;
  uint64_t hits = 0;
  const double start = ThreadCpuSeconds();
  double elapsed = 0;
  do {
    hits = pass();
    records += c.records.size();
    elapsed = ThreadCpuSeconds() - start;
  } while (elapsed < seconds);
  const double passes = static_cast<double>(records) / static_cast<double>(c.records.size());
  Row row;
  row.name = name;
  row.records_per_s = static_cast<double>(records) / elapsed;
  row.mb_per_s = static_cast<double>(c.bytes.size()) * passes / elapsed / 1e6;
  row.ns_per_record = elapsed * 1e9 / static_cast<double>(records);
  row.hits = hits;
  return row;
}

bool IsHighOrCritical(std::string_view severity) {
  return EqualsIgnoreCase(severity, "high") || EqualsIgnoreCase(severity, "critical");
}

int Run(int argc, char** argv) {
  size_t n = 500'000;
  double seconds = 1.0;
  uint64_t seed = 7;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--records" && i + 1 < argc) {
      n = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::strtod(argv[++i], nullptr);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--records N] [--seconds S] [--seed X]\n", argv[0]);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  if (n == 0) n = 1;
  const Corpus c = MakeCorpus(n, seed);
  std::printf(
      "spate-parser-bench: %zu records, %.1f bytes/record on average, one core (thread CPU "
      "time)\n\n",
      n, static_cast<double>(c.bytes.size()) / static_cast<double>(n));

  RecordParser parser;
  LogRecordView view;
  constexpr uint32_t kCrashFields = kFieldTimestamp | kFieldSeverity | kFieldUserId | kFieldContent;
  std::vector<Row> rows;

  rows.push_back(Measure("parse, all fields", c, seconds, [&] {
    uint64_t ok = 0;
    for (std::string_view r : c.records) ok += parser.Parse(r, kAllFields, &view).ok();
    return ok;
  }));
  rows.push_back(Measure("parse, all fields, pre-padded (no copy)", c, seconds, [&] {
    uint64_t ok = 0;
    for (std::string_view r : c.padded_records) ok += parser.ParsePadded(r, kAllFields, &view).ok();
    return ok;
  }));
  rows.push_back(Measure("parse, crash-detector fields", c, seconds, [&] {
    uint64_t ok = 0;
    for (std::string_view r : c.records) ok += parser.Parse(r, kCrashFields, &view).ok();
    return ok;
  }));
  rows.push_back(Measure("parse + filter (severity, keyword)", c, seconds, [&] {
    uint64_t hits = 0;
    for (std::string_view r : c.records) {
      if (!parser.Parse(r, kCrashFields, &view).ok()) continue;
      hits += IsHighOrCritical(view.severity) && ContainsIgnoreCase(view.content, "crash");
    }
    return hits;
  }));
  rows.push_back(Measure("pre-filter only: ContainsIgnoreCase", c, seconds, [&] {
    uint64_t hits = 0;
    for (std::string_view r : c.records) hits += ContainsIgnoreCase(r, "crash");
    return hits;
  }));
  rows.push_back(Measure("pre-filter only: RawJsonMayContain", c, seconds, [&] {
    uint64_t hits = 0;
    for (std::string_view r : c.records) hits += RawJsonMayContainIgnoreCase(r, "crash");
    return hits;
  }));
  rows.push_back(Measure("pre-filter + parse candidates + filter", c, seconds, [&] {
    uint64_t hits = 0;
    for (std::string_view r : c.records) {
      if (!RawJsonMayContainIgnoreCase(r, "crash")) continue;
      if (!parser.Parse(r, kCrashFields, &view).ok()) continue;
      hits += IsHighOrCritical(view.severity) && ContainsIgnoreCase(view.content, "crash");
    }
    return hits;
  }));

  std::printf("%-42s %12s %10s %10s %10s\n", "mode", "records/s", "MB/s", "ns/record", "count");
  for (const Row& r : rows) {
    std::printf("%-42s %12.0f %10.1f %10.1f %10llu\n", r.name, r.records_per_s, r.mb_per_s,
                r.ns_per_record, static_cast<unsigned long long>(r.hits));
  }
  // The two filter paths must agree, or the pre-filter is wrong.
  if (rows[3].hits != rows[6].hits) {
    std::fprintf(stderr, "MISMATCH: parse+filter found %llu, pre-filter path %llu\n",
                 static_cast<unsigned long long>(rows[3].hits),
                 static_cast<unsigned long long>(rows[6].hits));
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace spate

int main(int argc, char** argv) { return spate::Run(argc, argv); }
