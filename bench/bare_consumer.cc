// spate-bare-consumer: the ceiling for catching up a Kafka backlog on this machine. Reads a whole
// topic (every partition, from its low offset to the high watermark queried at start) with bare
// librdkafka consumers, one per thread, doing nothing per record but adding up payload lengths,
// and reports records/s and MB/s. bench/catchup.sh compares Spate's end-to-end catch-up with it.
//
// Threads: partitions are split round-robin among --threads consumers; each consumer has its own
// librdkafka handle (its own broker connection and fetcher thread) and drains its consumer queue
// with rd_kafka_consume_batch_queue. The clock starts before the consumers are created and stops
// when the last thread has read its last offset, so connection set-up is included, as it is in an
// engine's catch-up.
//
// --parse adds the engine's per-record parse: every value goes through the same simdjson parser as
// Spate's source tasks (common/log_record.h, RecordParser::Parse with the crash detector's fields:
// timestamp, severity, user_id, content), one parser per thread: "consume + parse", the ceiling of
// an engine that parses everything. --prefilter WORD first drops the values whose raw bytes cannot
// contain WORD (RawJsonMayContainIgnoreCase, common/text.h, as the engine's stage 1 does) and
// parses only the rest: "consume + pre-filter + parse candidates".
//
// The last stdout line is machine-readable:
//   summary: records=N bytes=B seconds=S records_per_s=R mb_per_s=M threads=T partitions=P
//            errors=E cpu_s=C mode=bare|parse|prefilter parsed=K malformed=X
// (cpu_s: user + system CPU of the whole process over the run, librdkafka's threads included;
// parsed: values that went through the parser; malformed: those it rejected).
#include <librdkafka/rdkafka.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bench/consumer_common.h"
#include "common/config.h"
#include "common/kafka_util.h"
#include "common/log_record.h"
#include "common/logging.h"
#include "common/status.h"
#include "common/text.h"

namespace {

using Clock = std::chrono::steady_clock;

// Defaults chosen by measurement on the 2-core machine (bench/README.md). librdkafka's own
// defaults apply to everything not listed; -X overrides any of them.
const std::map<std::string, std::string>& TunedDefaults() {
  static const std::map<std::string, std::string> kDefaults = {
      {"enable.auto.commit", "false"},      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"},     {"auto.offset.reset", "earliest"},
      {"client.id", "spate-bare-consumer"},
  };
  return kDefaults;
}

struct Assignment {
  std::vector<spate::PartitionOffsets> partitions;
  int64_t expected = 0;  // offsets to read: sum of high - low
};

// What is done per record besides counting it.
struct PerRecord {
  bool parse = false;     // run the engine's parser on the value
  std::string prefilter;  // lowercase; non-empty: parse only values that may contain it
};

// The fields the crash detector asks the parser for (jobs/registry: filters on severity and
// content, key user_id, event time timestamp).
constexpr uint32_t kCrashDetectorFields =
    spate::kFieldTimestamp | spate::kFieldSeverity | spate::kFieldUserId | spate::kFieldContent;

struct ThreadResult {
  int64_t records = 0;
  int64_t bytes = 0;
  int64_t errors = 0;
  int64_t parsed = 0;
  int64_t malformed = 0;
  int64_t checksum = 0;  // sum of parsed timestamps, so that the parse cannot be left out
  double seconds = 0;    // from the start of the run to this thread's last record
  spate::Status status;
};

// Reads `work` to its high watermarks. Per record: add the payload length, count it, free it.
void ConsumeAll(const std::string& bootstrap, const std::string& topic,
                const std::map<std::string, std::string>& conf, const Assignment& work,
                const PerRecord& per_record, int batch_size, int64_t timeout_ms,
                Clock::time_point start, ThreadResult* out) {
  if (work.expected == 0) return;
  auto client = spate::MakeKafkaClient(RD_KAFKA_CONSUMER, bootstrap, conf);
  if (!client.ok()) {
    out->status = client.status();
    return;
  }
  rd_kafka_t* rk = client->get();
  spate::KafkaPartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(work.partitions.size())));
  int unfinished = 0;
  for (const auto& p : work.partitions) {
    if (p.high <= p.low) continue;
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p.partition)->offset = p.low;
    ++unfinished;
  }
  if (rd_kafka_resp_err_t err = rd_kafka_assign(rk, list.get())) {
    out->status = spate::KafkaErrorToStatus(err, "assign partitions of " + topic);
    return;
  }
  // Partition id -> high watermark, for the end-of-partition events (a handful of entries).
  std::map<int32_t, int64_t> high;
  for (const auto& p : work.partitions) high[p.partition] = p.high;

  spate::KafkaQueuePtr queue(rd_kafka_queue_get_consumer(rk));
  std::vector<rd_kafka_message_t*> msgs(static_cast<size_t>(batch_size));
  int64_t records = 0, bytes = 0, errors = 0, parsed = 0, malformed = 0, checksum = 0;
  spate::RecordParser parser;
  spate::LogRecordView rec;
  auto last_data = Clock::now();
  while (records < work.expected && unfinished > 0) {
    // The batch call waits its whole timeout unless the batch fills: take what is queued without
    // waiting, and block (briefly, for one message) only when nothing is.
    ssize_t n = rd_kafka_consume_batch_queue(queue.get(), 0, msgs.data(), msgs.size());
    if (n == 0) n = rd_kafka_consume_batch_queue(queue.get(), 100, msgs.data(), 1);
    if (n < 0) {
      out->status = spate::KafkaErrorToStatus(rd_kafka_last_error(), "consume " + topic);
      break;
    }
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = msgs[static_cast<size_t>(i)];
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        bytes += static_cast<int64_t>(m->len);
        ++records;
        if (per_record.parse) {
          std::string_view value(static_cast<const char*>(m->payload), m->len);
          if (per_record.prefilter.empty() ||
              spate::RawJsonMayContainIgnoreCase(value, per_record.prefilter)) {
            ++parsed;
            if (parser.Parse(value, kCrashDetectorFields, &rec).ok()) {
              checksum += rec.timestamp_ms;
            } else {
              ++malformed;
            }
          }
        }
      } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        // Offsets without records (transaction markers) end a partition with an EOF only.
        auto it = high.find(m->partition);
        if (it != high.end() && m->offset >= it->second) {
          high.erase(it);
          --unfinished;
        }
      } else {
        ++errors;
        if (errors == 1) {
          std::fprintf(stderr, "spate-bare-consumer: partition %d: %s\n",
                       static_cast<int>(m->partition), rd_kafka_message_errstr(m));
        }
      }
      rd_kafka_message_destroy(m);
    }
    auto now = Clock::now();
    if (n > 0) {
      last_data = now;
    } else if (now - last_data > std::chrono::milliseconds(timeout_ms)) {
      out->status = spate::Status::Unavailable(
          "no records for " + std::to_string(timeout_ms / 1000) + " s after " +
          std::to_string(records) + " of " + std::to_string(work.expected));
      break;
    }
  }
  out->seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out->records = records;
  out->bytes = bytes;
  out->errors = errors;
  out->parsed = parsed;
  out->malformed = malformed;
  out->checksum = checksum;
  rd_kafka_assign(rk, nullptr);
  queue.reset();
  rd_kafka_consumer_close(rk);
}

int Run(int argc, char** argv) {
  CLI::App app(
      "spate-bare-consumer: reads a whole Kafka topic with bare librdkafka consumers, as fast as\n"
      "they go, and reports records/s and MB/s (the ceiling for a catch-up)",
      "spate-bare-consumer");
  std::string bootstrap = spate::EnvOr("SPATE_BOOTSTRAP", "127.0.0.1:19092");
  std::string topic;
  int threads = 2;
  int batch_size = 10000;
  int timeout_s = 30;
  std::vector<std::string> overrides;
  PerRecord per_record;
  app.add_option("--bootstrap", bootstrap, "Kafka bootstrap servers (env SPATE_BOOTSTRAP)")
      ->capture_default_str();
  app.add_option("--topic", topic, "topic to read from the beginning")->required();
  app.add_option("--threads", threads, "consumers, one per thread; partitions split among them")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("-X", overrides, "librdkafka property key=value (repeatable), over the defaults");
  app.add_option("--batch", batch_size, "messages per rd_kafka_consume_batch_queue call")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--timeout", timeout_s, "give up after this many seconds without a record")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  app.add_flag("--parse", per_record.parse,
               "parse every value with the engine's parser (common/log_record.h)");
  app.add_option("--prefilter", per_record.prefilter,
                 "with --parse: parse only values whose raw bytes may contain this word "
                 "(case-insensitive), as the engine's stage 1 does");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (spate::Status s = spate::InitLogging("bare-consumer", "warn"); !s.ok()) {
    std::fprintf(stderr, "spate-bare-consumer: %s\n", s.message().c_str());
    return 2;
  }

  for (char& c : per_record.prefilter) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  if (!per_record.prefilter.empty()) per_record.parse = true;
  const char* mode = !per_record.parse              ? "bare"
                     : per_record.prefilter.empty() ? "parse"
                                                    : "prefilter";

  std::map<std::string, std::string> conf = TunedDefaults();
  conf["group.id"] = "spate-bare-consumer";
  if (!spate::bench::ApplyOverrides(overrides, "spate-bare-consumer", &conf)) return 2;

  std::vector<spate::PartitionOffsets> offsets;
  {
    auto admin = spate::MakeKafkaClient(RD_KAFKA_PRODUCER, bootstrap);
    if (!admin.ok()) {
      std::fprintf(stderr, "spate-bare-consumer: %s\n", admin.status().message().c_str());
      return 1;
    }
    auto q = spate::QueryOffsets(admin->get(), topic, 10000);
    if (!q.ok()) {
      std::fprintf(stderr, "spate-bare-consumer: %s\n", q.status().message().c_str());
      return 1;
    }
    offsets = std::move(*q);
  }
  std::vector<Assignment> work(static_cast<size_t>(threads));
  int64_t expected = 0;
  for (size_t i = 0; i < offsets.size(); ++i) {
    Assignment& a = work[i % work.size()];
    a.partitions.push_back(offsets[i]);
    a.expected += offsets[i].high - offsets[i].low;
    expected += offsets[i].high - offsets[i].low;
  }

  std::vector<ThreadResult> results(work.size());
  const double cpu_start = spate::bench::CpuSeconds();
  const auto start = Clock::now();
  {
    std::vector<std::thread> pool;
    for (size_t t = 0; t < work.size(); ++t) {
      pool.emplace_back(ConsumeAll, std::cref(bootstrap), std::cref(topic), std::cref(conf),
                        std::cref(work[t]), std::cref(per_record), batch_size,
                        int64_t{timeout_s} * 1000, start, &results[t]);
    }
    for (auto& th : pool) th.join();
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = spate::bench::CpuSeconds() - cpu_start;

  int64_t records = 0, bytes = 0, errors = 0, parsed = 0, malformed = 0, checksum = 0;
  double seconds = 0;  // until the last record, not counting the consumers' close
  int rc = 0;
  for (size_t t = 0; t < results.size(); ++t) {
    const ThreadResult& r = results[t];
    records += r.records;
    bytes += r.bytes;
    errors += r.errors;
    parsed += r.parsed;
    malformed += r.malformed;
    checksum += r.checksum;
    seconds = std::max(seconds, r.seconds);
    if (!r.status.ok()) {
      std::fprintf(stderr, "spate-bare-consumer: thread %zu: %s\n", t, r.status.message().c_str());
      rc = 1;
    }
    std::fprintf(stderr, "thread %zu: %zu partitions, %lld records in %.3f s\n", t,
                 work[t].partitions.size(), static_cast<long long>(r.records), r.seconds);
  }
  if (records != expected) {
    // Transaction markers take offsets without records; say so rather than fail.
    std::fprintf(stderr, "spate-bare-consumer: read %lld records for %lld offsets\n",
                 static_cast<long long>(records), static_cast<long long>(expected));
  }
  if (seconds <= 0) seconds = wall;
  std::string settings;
  for (const auto& kv : overrides) settings += " -X " + kv;
  std::printf(
      "bare consumer (%s): %lld records (%.1f MB) from %zu partitions in %.3f s with %d "
      "threads%s; %lld parsed, %lld malformed (timestamp sum %lld)\n",
      mode, static_cast<long long>(records), static_cast<double>(bytes) / 1e6, offsets.size(),
      seconds, threads, settings.c_str(), static_cast<long long>(parsed),
      static_cast<long long>(malformed), static_cast<long long>(checksum));
  std::printf(
      "summary: records=%lld bytes=%lld seconds=%.3f records_per_s=%.0f mb_per_s=%.2f threads=%d "
      "partitions=%zu errors=%lld cpu_s=%.3f mode=%s parsed=%lld malformed=%lld\n",
      static_cast<long long>(records), static_cast<long long>(bytes), seconds,
      static_cast<double>(records) / seconds, static_cast<double>(bytes) / 1e6 / seconds, threads,
      offsets.size(), static_cast<long long>(errors), cpu, mode, static_cast<long long>(parsed),
      static_cast<long long>(malformed));
  return rc;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
