#include "worker/kafka_reader.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <vector>

namespace spate::worker {
namespace {

class KafkaReader : public PartitionReader {
 public:
  KafkaReader(rd_kafka_t* rk, std::string bootstrap, int64_t stall_timeout_ms)
      : rk_(rk), bootstrap_(std::move(bootstrap)), stall_timeout_ms_(stall_timeout_ms) {
    queue_ = rd_kafka_queue_get_consumer(rk_);
  }
  ~KafkaReader() override {
    if (queue_) rd_kafka_queue_destroy(queue_);
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
  }

  Status ReadRange(const std::string& topic, int32_t partition, int64_t start, int64_t end,
                   const std::function<void(std::string_view)>& fn) override {
    if (start >= end) return Status::OK();
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset = start;
    rd_kafka_resp_err_t err = rd_kafka_assign(rk_, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err)
      return Status::Unavailable("assign " + Where(topic, partition) + ": " +
                                 rd_kafka_err2str(err));

    Status result = Consume(topic, partition, start, end, fn);
    rd_kafka_assign(rk_, nullptr);
    return result;
  }

 private:
  std::string Where(const std::string& topic, int32_t partition) const {
    return "partition " + std::to_string(partition) + " of topic " + topic + " on " + bootstrap_;
  }

  Status Consume(const std::string& topic, int32_t partition, int64_t start, int64_t end,
                 const std::function<void(std::string_view)>& fn) {
    constexpr size_t kBatch = 4096;
    std::vector<rd_kafka_message_t*> msgs(kBatch);
    int64_t next = start;
    auto last_progress = std::chrono::steady_clock::now();
    while (next < end) {
      // librdkafka's batch call waits its whole timeout unless the batch fills, so take what
      // is queued without waiting, and block (briefly, for one message) only when nothing is.
      ssize_t n = rd_kafka_consume_batch_queue(queue_, 0, msgs.data(), kBatch);
      if (n == 0) n = rd_kafka_consume_batch_queue(queue_, 100, msgs.data(), 1);
      if (n < 0) return Status::Unavailable("consume " + Where(topic, partition));
      Status failure;
      for (ssize_t i = 0; i < n; ++i) {
        rd_kafka_message_t* m = msgs[i];
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          if (m->partition == partition && m->offset >= next && m->offset < end) {
            fn(std::string_view(static_cast<const char*>(m->payload), m->len));
            next = m->offset + 1;
          } else if (m->partition == partition && m->offset >= end) {
            next = end;
          }
        } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          // Offsets of transaction markers are never delivered: reaching the end of the
          // partition past the planned end means the range is complete.
          if (m->partition == partition && m->offset >= end) next = end;
        } else if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                   m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                   m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
          failure = Status::NotFound(Where(topic, partition) + " does not exist");
        } else if (m->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE ||
                   m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET) {
          failure = Status::FailedPrecondition(
              "planned offsets " + std::to_string(next) + ".." + std::to_string(end) + " of " +
              Where(topic, partition) + " are no longer in Kafka (retention?)");
        }
        rd_kafka_message_destroy(m);
      }
      if (!failure.ok()) return failure;
      auto now = std::chrono::steady_clock::now();
      if (n > 0) {
        last_progress = now;
      } else if (now - last_progress > std::chrono::milliseconds(stall_timeout_ms_)) {
        return Status::Unavailable("no data from " + Where(topic, partition) + " for " +
                                   std::to_string(stall_timeout_ms_ / 1000) + "s at offset " +
                                   std::to_string(next) + " (planned end " + std::to_string(end) +
                                   "); is the broker up?");
      }
    }
    return Status::OK();
  }

  rd_kafka_t* rk_;
  rd_kafka_queue_t* queue_ = nullptr;
  std::string bootstrap_;
  int64_t stall_timeout_ms_;
};

}  // namespace

Result<std::unique_ptr<PartitionReader>> MakeKafkaReader(
    const std::string& bootstrap, const std::map<std::string, std::string>& overrides,
    int64_t stall_timeout_ms) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::map<std::string, std::string> settings = {
      {"bootstrap.servers", bootstrap}, {"group.id", "spate-executor"},
      {"enable.auto.commit", "false"},  {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "true"}, {"auto.offset.reset", "error"},
      {"fetch.wait.max.ms", "20"},      {"client.id", "spate-executor"},
  };
  for (const auto& [k, v] : overrides) settings[k] = v;
  for (const auto& [k, v] : settings) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Status::InvalidArgument("Kafka setting " + k + "=" + v + ": " + errstr);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return Status::Internal(std::string("cannot create Kafka consumer: ") + errstr);
  }
  return std::unique_ptr<PartitionReader>(new KafkaReader(rk, bootstrap, stall_timeout_ms));
}

}  // namespace spate::worker
