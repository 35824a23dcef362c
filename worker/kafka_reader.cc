#include "worker/kafka_reader.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <vector>

#include "common/kafka_props.h"

namespace spate::worker {
namespace {

// One librdkafka consumer for all of an executor's partitions of one topic, read through
// librdkafka's per-partition queues (the simple consumer API): a partition, once started, keeps
// fetching between batches, so the next batch's task finds its records already queued, and no
// partition waits for another's. Tasks on different partitions run concurrently; one partition
// serves one task at a time.
class KafkaPartitionStreams : public PartitionReader {
 public:
  KafkaPartitionStreams(rd_kafka_t* rk, std::string topic, std::string bootstrap,
                        int64_t stall_timeout_ms, bool skip_lost)
      : rk_(rk),
        topic_name_(std::move(topic)),
        bootstrap_(std::move(bootstrap)),
        stall_timeout_ms_(stall_timeout_ms),
        skip_lost_(skip_lost) {
    rkt_ = rd_kafka_topic_new(rk_, topic_name_.c_str(), nullptr);
  }

  ~KafkaPartitionStreams() override {
    for (auto& [p, s] : partitions_) Stop(p, s.get());
    if (rkt_) rd_kafka_topic_destroy(rkt_);
    rd_kafka_destroy(rk_);
  }

  using PartitionReader::ReadRange;
  Status ReadRange(const std::string& topic, int32_t partition, int64_t start, int64_t end,
                   const RecordFn& fn, int64_t* offsets_lost) override {
    if (start >= end) return Status::OK();
    if (topic != topic_name_ || rkt_ == nullptr) {
      return Status::Internal("reader of topic " + topic_name_ + " asked for topic " + topic);
    }
    Stream* s = StreamOf(partition);
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->started && s->next != start) Stop(partition, s);  // a replay, or a new owner
    if (!s->started) SPATE_RETURN_IF_ERROR(Start(partition, s, start));
    Status result = Consume(partition, s, end, fn);
    // Offsets no longer in Kafka: skipped from where the partition now starts, when allowed.
    for (int skips = 0; result.code() == StatusCode::kOutOfRange && skip_lost_ && skips < 16;
         ++skips) {
      int64_t low = 0, high = 0;
      const rd_kafka_resp_err_t err =
          rd_kafka_query_watermark_offsets(rk_, topic_name_.c_str(), partition, &low, &high, 5000);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        result =
            Status::Unavailable("offsets of " + Where(partition) + ": " + rd_kafka_err2str(err));
        break;
      }
      if (low <= s->next) break;  // not deleted after all: the error stands
      const int64_t resume = std::min(low, end);
      spdlog::warn("offsets {}..{} of {} were deleted before they were read: skipped", s->next,
                   resume, Where(partition));
      if (offsets_lost) *offsets_lost += resume - s->next;
      Stop(partition, s);
      if (resume >= end) {
        s->next = end;
        result = Status::OK();
        break;
      }
      result = Start(partition, s, resume);
      if (!result.ok()) break;
      result = Consume(partition, s, end, fn);
    }
    if (!result.ok()) Stop(partition, s);  // start afresh next time
    return result;
  }

 private:
  struct Stream {
    std::mutex mu;
    bool started = false;
    int64_t next = 0;  // the offset the next task is expected to start at
    // Messages taken from librdkafka's queue past the end of the range a task read (after gaps
    // in the offsets): the next range starts with them.
    std::deque<rd_kafka_message_t*> ahead;
  };

  Stream* StreamOf(int32_t partition) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& s = partitions_[partition];
    if (!s) s = std::make_unique<Stream>();
    return s.get();
  }

  // Starts fetching the partition at `offset`: the next range must start there.
  Status Start(int32_t partition, Stream* s, int64_t offset) {
    if (rd_kafka_consume_start(rkt_, partition, offset) == -1) {
      return Status::Unavailable("start reading " + Where(partition) + " at offset " +
                                 std::to_string(offset) + ": " +
                                 rd_kafka_err2str(rd_kafka_last_error()));
    }
    s->started = true;
    s->next = offset;
    return Status::OK();
  }

  void Stop(int32_t partition, Stream* s) {
    for (auto* m : s->ahead) rd_kafka_message_destroy(m);
    s->ahead.clear();
    if (s->started) rd_kafka_consume_stop(rkt_, partition);
    s->started = false;
  }

  std::string Where(int32_t partition) const {
    return "partition " + std::to_string(partition) + " of topic " + topic_name_ + " on " +
           bootstrap_;
  }

  // Takes one message of the range ending at `end`: passes a record in it to `fn`; sets *keep
  // for a record past `end` (the next range starts with it). Fails on errors that make the
  // range unreadable.
  Status Take(int32_t partition, Stream* s, rd_kafka_message_t* m, int64_t end, const RecordFn& fn,
              bool* keep) {
    *keep = false;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (m->offset >= end) {
        *keep = true;  // belongs to the next range
        s->next = end;
      } else if (m->offset >= s->next) {
        fn(m->offset, std::string_view(static_cast<const char*>(m->payload), m->len));
        s->next = m->offset + 1;
      }
      return Status::OK();
    }
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      // Offsets of transaction markers are never delivered: reaching the end of the partition
      // past the planned end means the range is complete.
      if (m->offset >= end) s->next = end;
      return Status::OK();
    }
    if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
        m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
      return Status::NotFound(Where(partition) + " does not exist");
    }
    if (m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE ||
        m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
      return Status::OutOfRange(
          "planned offsets " + std::to_string(s->next) + ".." + std::to_string(end) + " of " +
          Where(partition) +
          " are no longer in Kafka (deleted by retention before the job read them): those "
          "records are lost; --conf spate.source.fail-on-data-loss=false skips them");
    }
    return Status::OK();  // transient (e.g. a broker connection error): librdkafka retries
  }

  Status Consume(int32_t partition, Stream* s, int64_t end, const RecordFn& fn) {
    // Records taken ahead by the previous range come first.
    while (!s->ahead.empty() && s->next < end) {
      rd_kafka_message_t* m = s->ahead.front();
      bool keep = false;
      Status st = Take(partition, s, m, end, fn, &keep);
      if (keep) break;
      s->ahead.pop_front();
      rd_kafka_message_destroy(m);
      if (!st.ok()) return st;
    }
    constexpr size_t kBatch = 4096;
    std::vector<rd_kafka_message_t*> msgs(kBatch);
    auto last_progress = std::chrono::steady_clock::now();
    while (s->next < end) {
      // No more than the range needs, so that without offset gaps nothing is taken ahead.
      const size_t want =
          static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(kBatch), end - s->next));
      // librdkafka's batch call waits its whole timeout unless the batch fills, so take what
      // is queued without waiting, and block (briefly, for one message) only when nothing is.
      ssize_t n = rd_kafka_consume_batch(rkt_, partition, 0, msgs.data(), want);
      if (n == 0) n = rd_kafka_consume_batch(rkt_, partition, 100, msgs.data(), 1);
      if (n < 0) {
        return Status::Unavailable("consume " + Where(partition) + ": " +
                                   rd_kafka_err2str(rd_kafka_last_error()));
      }
      Status failure;
      for (ssize_t i = 0; i < n; ++i) {
        rd_kafka_message_t* m = msgs[static_cast<size_t>(i)];
        bool keep = false;
        if (failure.ok()) failure = Take(partition, s, m, end, fn, &keep);
        if (keep) {
          s->ahead.push_back(m);
        } else {
          rd_kafka_message_destroy(m);
        }
      }
      if (!failure.ok()) return failure;
      auto now = std::chrono::steady_clock::now();
      if (n > 0) {
        last_progress = now;
      } else if (now - last_progress > std::chrono::milliseconds(stall_timeout_ms_)) {
        return Status::Unavailable("no data from " + Where(partition) + " for " +
                                   std::to_string(stall_timeout_ms_ / 1000) + "s at offset " +
                                   std::to_string(s->next) + " (planned end " +
                                   std::to_string(end) + "); is the broker up?");
      }
    }
    return Status::OK();
  }

  rd_kafka_t* rk_;
  rd_kafka_topic_t* rkt_ = nullptr;
  std::string topic_name_;
  std::string bootstrap_;
  int64_t stall_timeout_ms_;
  bool skip_lost_;
  std::mutex mu_;
  std::map<int32_t, std::unique_ptr<Stream>> partitions_;
};

}  // namespace

Result<std::shared_ptr<PartitionReader>> MakeKafkaReader(
    const std::string& bootstrap, const std::string& topic,
    const std::map<std::string, std::string>& overrides, int64_t stall_timeout_ms, bool skip_lost) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::map<std::string, std::string> settings = {
      {"bootstrap.servers", bootstrap}, {"group.id", "spate-executor"},
      {"enable.auto.commit", "false"},  {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"}, {"auto.offset.reset", "error"},
      {"fetch.wait.max.ms", "20"},      {"client.id", "spate-executor"},
  };
  // The worker's own --conf spate.kafka.* (e.g. its SASL settings), then the job's.
  for (const auto& [k, v] : DaemonKafkaProperties()) settings[k] = v;
  for (const auto& [k, v] : overrides) settings[k] = v;
  for (const auto& [k, v] : settings) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status::InvalidArgument("Kafka setting " + k + "=" + RedactedValue(k, v) + ": " +
                                     errstr);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return Status::Internal(std::string("cannot create Kafka consumer: ") + errstr);
  }
  auto reader =
      std::make_shared<KafkaPartitionStreams>(rk, topic, bootstrap, stall_timeout_ms, skip_lost);
  return std::shared_ptr<PartitionReader>(std::move(reader));
}

}  // namespace spate::worker
