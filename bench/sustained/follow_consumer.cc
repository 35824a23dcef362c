// spate-follow-consumer: the bare consumer of bench/sustained.sh. It follows a topic live (as a
// streaming job does, not up to a high watermark fixed at start) with bare librdkafka consumers,
// doing nothing per record but counting it and measuring its lag, until SIGTERM/SIGINT or
// --duration. bench/sustained.sh runs it beside spate-loadgen at a fixed rate to find the highest
// rate at which the load generator plus a bare consumer keep up: the ceiling of the sustained runs.
//
// Threads and settings are those of spate-bare-consumer (bench/bare_consumer.cc): partitions split
// round-robin among --threads consumers, one librdkafka handle each, drained with
// rd_kafka_consume_batch_queue; librdkafka's defaults otherwise (-X overrides).
//
// Lag of a record: the wall clock when the consumer holds it minus its Kafka timestamp (the
// producer's CreateTime, i.e. when spate-loadgen handed it to librdkafka).
//
// stdout, one line every --report-ms (default 100), flushed at once:
//   EPOCH_MS RECORDS MAX_LAG_MS
// (records consumed so far; the largest lag of the records consumed since the previous line,
// -1 when none), then, at exit:
//   summary: records=N bytes=B seconds=S records_per_s=R threads=T partitions=P errors=E
//            cpu_s=C lag_p50_ms=X lag_p99_ms=Y lag_max_ms=Z
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
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
#include "common/logging.h"
#include "common/status.h"

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};
extern "C" void OnStop(int) { g_stop.store(true); }

int64_t WallMs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Lag histogram: 1 ms buckets up to 60 s, the last bucket holds everything above.
constexpr int kLagBuckets = 60001;

struct Shared {
  std::atomic<int64_t> records{0};
  std::atomic<int64_t> interval_max_lag{-1};  // reset by the reporter
};

struct ThreadResult {
  int64_t records = 0;
  int64_t bytes = 0;
  int64_t errors = 0;
  std::vector<int64_t> lag;  // histogram
  spate::Status status;
};

void AtomicMax(std::atomic<int64_t>* a, int64_t v) {
  int64_t cur = a->load(std::memory_order_relaxed);
  while (v > cur && !a->compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

void Follow(const std::string& bootstrap, const std::string& topic,
            const std::map<std::string, std::string>& conf, const std::vector<int32_t>& partitions,
            int64_t start_offset, int batch_size, Clock::time_point deadline, Shared* shared,
            ThreadResult* out) {
  out->lag.assign(kLagBuckets, 0);
  if (partitions.empty()) return;
  auto client = spate::MakeKafkaClient(RD_KAFKA_CONSUMER, bootstrap, conf);
  if (!client.ok()) {
    out->status = client.status();
    g_stop.store(true);
    return;
  }
  rd_kafka_t* rk = client->get();
  spate::KafkaPartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (int32_t p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = start_offset;
  }
  if (rd_kafka_resp_err_t err = rd_kafka_assign(rk, list.get())) {
    out->status = spate::KafkaErrorToStatus(err, "assign partitions of " + topic);
    g_stop.store(true);
    return;
  }
  spate::KafkaQueuePtr queue(rd_kafka_queue_get_consumer(rk));
  std::vector<rd_kafka_message_t*> msgs(static_cast<size_t>(batch_size));
  int64_t records = 0, bytes = 0, errors = 0;
  while (!g_stop.load(std::memory_order_relaxed) && Clock::now() < deadline) {
    ssize_t n = rd_kafka_consume_batch_queue(queue.get(), 0, msgs.data(), msgs.size());
    if (n == 0) n = rd_kafka_consume_batch_queue(queue.get(), 100, msgs.data(), 1);
    if (n < 0) {
      out->status = spate::KafkaErrorToStatus(rd_kafka_last_error(), "consume " + topic);
      g_stop.store(true);
      break;
    }
    if (n == 0) continue;
    const int64_t now_ms = WallMs();
    int64_t max_lag = -1, got = 0;
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = msgs[static_cast<size_t>(i)];
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        bytes += static_cast<int64_t>(m->len);
        ++got;
        rd_kafka_timestamp_type_t type;
        const int64_t ts = rd_kafka_message_timestamp(m, &type);
        if (ts > 0) {
          const int64_t lag = std::max<int64_t>(0, now_ms - ts);
          ++out->lag[static_cast<size_t>(std::min<int64_t>(lag, kLagBuckets - 1))];
          max_lag = std::max(max_lag, lag);
        }
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        ++errors;
        if (errors == 1) {
          std::fprintf(stderr, "spate-follow-consumer: partition %d: %s\n",
                       static_cast<int>(m->partition), rd_kafka_message_errstr(m));
        }
      }
      rd_kafka_message_destroy(m);
    }
    records += got;
    shared->records.fetch_add(got, std::memory_order_relaxed);
    AtomicMax(&shared->interval_max_lag, max_lag);
  }
  out->records = records;
  out->bytes = bytes;
  out->errors = errors;
  rd_kafka_assign(rk, nullptr);
  queue.reset();
  rd_kafka_consumer_close(rk);
}

int64_t Percentile(const std::vector<int64_t>& hist, int64_t total, double q) {
  if (total == 0) return -1;
  const auto rank = static_cast<int64_t>(q * static_cast<double>(total - 1));
  int64_t seen = 0;
  for (size_t i = 0; i < hist.size(); ++i) {
    seen += hist[i];
    if (seen > rank) return static_cast<int64_t>(i);
  }
  return static_cast<int64_t>(hist.size()) - 1;
}

int Run(int argc, char** argv) {
  CLI::App app(
      "spate-follow-consumer: follows a Kafka topic live with bare librdkafka consumers, counting\n"
      "records and their lag, until SIGTERM/SIGINT or --duration",
      "spate-follow-consumer");
  std::string bootstrap = spate::EnvOr("SPATE_BOOTSTRAP", "127.0.0.1:19092");
  std::string topic;
  std::string from = "beginning";
  std::string duration = "0";
  int threads = 2;
  int batch_size = 10000;
  int report_ms = 100;
  std::vector<std::string> overrides;
  app.add_option("--bootstrap", bootstrap, "Kafka bootstrap servers (env SPATE_BOOTSTRAP)")
      ->capture_default_str();
  app.add_option("--topic", topic, "topic to follow")->required();
  app.add_option("--from", from, "beginning or end: where each partition starts")
      ->capture_default_str()
      ->check(CLI::IsMember({"beginning", "end"}));
  app.add_option("--duration", duration, "stop after this long (e.g. 30s; 0 = until a signal)")
      ->capture_default_str();
  app.add_option("--threads", threads, "consumers, one per thread; partitions split among them")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_option("--report-ms", report_ms, "period of the progress lines on stdout")
      ->capture_default_str()
      ->check(CLI::Range(10, 60000));
  app.add_option("-X", overrides, "librdkafka property key=value (repeatable), over the defaults");
  app.add_option("--batch", batch_size, "messages per rd_kafka_consume_batch_queue call")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  auto duration_ms = spate::ParseDurationMs(duration);
  if (!duration_ms.ok() || *duration_ms < 0) {
    std::fprintf(stderr, "spate-follow-consumer: bad --duration '%s'\n", duration.c_str());
    return 2;
  }
  if (spate::Status s = spate::InitLogging("follow-consumer", "warn"); !s.ok()) {
    std::fprintf(stderr, "spate-follow-consumer: %s\n", s.message().c_str());
    return 2;
  }
  std::map<std::string, std::string> conf = {
      {"enable.auto.commit", "false"},       {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},     {"client.id", "spate-follow-consumer"},
      {"group.id", "spate-follow-consumer"},
  };
  if (!spate::bench::ApplyOverrides(overrides, "spate-follow-consumer", &conf)) return 2;

  int partition_count = 0;
  {
    auto admin = spate::MakeKafkaClient(RD_KAFKA_PRODUCER, bootstrap);
    if (!admin.ok()) {
      std::fprintf(stderr, "spate-follow-consumer: %s\n", admin.status().message().c_str());
      return 1;
    }
    auto n = spate::PartitionCount(admin->get(), topic, 10000);
    if (!n.ok()) {
      std::fprintf(stderr, "spate-follow-consumer: %s\n", n.status().message().c_str());
      return 1;
    }
    partition_count = *n;
  }
  std::vector<std::vector<int32_t>> work(static_cast<size_t>(threads));
  for (int32_t p = 0; p < partition_count; ++p)
    work[static_cast<size_t>(p) % work.size()].push_back(p);

  struct sigaction sa {};
  sa.sa_handler = OnStop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  const int64_t start_offset = from == "end" ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
  const auto start = Clock::now();
  const auto deadline =
      *duration_ms > 0 ? start + std::chrono::milliseconds(*duration_ms) : Clock::time_point::max();
  const double cpu_start = spate::bench::CpuSeconds();
  Shared shared;
  std::vector<ThreadResult> results(work.size());
  std::vector<std::thread> pool;
  for (size_t t = 0; t < work.size(); ++t) {
    pool.emplace_back(Follow, std::cref(bootstrap), std::cref(topic), std::cref(conf),
                      std::cref(work[t]), start_offset, batch_size, deadline, &shared, &results[t]);
  }
  auto next = start;
  while (!g_stop.load() && Clock::now() < deadline) {
    next += std::chrono::milliseconds(report_ms);
    std::this_thread::sleep_until(std::min(next, deadline));
    std::printf("%lld %lld %lld\n", static_cast<long long>(WallMs()),
                static_cast<long long>(shared.records.load()),
                static_cast<long long>(shared.interval_max_lag.exchange(-1)));
    std::fflush(stdout);
  }
  g_stop.store(true);
  for (auto& th : pool) th.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = spate::bench::CpuSeconds() - cpu_start;

  int rc = 0;
  int64_t records = 0, bytes = 0, errors = 0;
  std::vector<int64_t> lag(kLagBuckets, 0);
  for (size_t t = 0; t < results.size(); ++t) {
    const ThreadResult& r = results[t];
    records += r.records;
    bytes += r.bytes;
    errors += r.errors;
    for (size_t i = 0; i < r.lag.size(); ++i) lag[i] += r.lag[i];
    if (!r.status.ok()) {
      std::fprintf(stderr, "spate-follow-consumer: thread %zu: %s\n", t,
                   r.status.message().c_str());
      rc = 1;
    }
  }
  int64_t with_ts = 0;
  for (int64_t c : lag) with_ts += c;
  std::printf(
      "summary: records=%lld bytes=%lld seconds=%.3f records_per_s=%.0f threads=%d partitions=%d "
      "errors=%lld cpu_s=%.3f lag_p50_ms=%lld lag_p99_ms=%lld lag_max_ms=%lld\n",
      static_cast<long long>(records), static_cast<long long>(bytes), seconds,
      seconds > 0 ? static_cast<double>(records) / seconds : 0.0, threads, partition_count,
      static_cast<long long>(errors), cpu, static_cast<long long>(Percentile(lag, with_ts, 0.5)),
      static_cast<long long>(Percentile(lag, with_ts, 0.99)),
      static_cast<long long>(Percentile(lag, with_ts, 1.0)));
  std::fflush(stdout);
  return rc;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
