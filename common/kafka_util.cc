#include "common/kafka_util.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "common/config.h"
#include "common/kafka_props.h"

namespace spate {
namespace {

using Clock = std::chrono::steady_clock;

// Poll interval while waiting for a created or deleted topic to show in the metadata.
constexpr int kMetadataPollMs = 50;
// Slack on top of a librdkafka request timeout before we stop waiting for its reply event.
constexpr int kReplySlackMs = 1000;

/// A fixed point in time that several librdkafka calls share, so a sequence of calls is
/// bounded by one timeout rather than one timeout each.
class Deadline {
 public:
  explicit Deadline(int timeout_ms)
      : end_(Clock::now() + std::chrono::milliseconds(std::max(timeout_ms, 0))) {}
  int RemainingMs() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end_ - Clock::now());
    return static_cast<int>(std::max<int64_t>(left.count(), 0));
  }
  bool Expired() const { return Clock::now() >= end_; }

 private:
  Clock::time_point end_;
};

std::string Within(int timeout_ms) { return "within " + FormatDurationMs(timeout_ms); }

bool IsUnreachable(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
      return true;
    default:
      return false;
  }
}

Status Unreachable(const std::string& bootstrap, int timeout_ms, rd_kafka_resp_err_t err) {
  return Status::Unavailable("cannot reach Kafka at " + bootstrap + " " + Within(timeout_ms) +
                             " (" + rd_kafka_err2str(err) + ")");
}

Status TopicMissing(const std::string& topic, const std::string& bootstrap) {
  return Status::NotFound("topic " + topic + " does not exist on " + bootstrap);
}

void LogToSpdlog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  // librdkafka reports every failed connection at error level and recovers by itself, so its
  // errors are our warnings; syslog levels: 0-3 error and worse, 4 warning, 5 notice, 6 info.
  spdlog::level::level_enum to = level <= 4 ? spdlog::level::warn : spdlog::level::debug;
  spdlog::log(to, "rdkafka {} {}: {}", rk ? rd_kafka_name(rk) : "-", fac, buf);
}

/// Metadata of one topic. The topic's entry is checked: unknown -> NotFound.
struct TopicMetadata {
  KafkaMetadataPtr all;
  const rd_kafka_metadata_topic_t* topic = nullptr;
};

Result<TopicMetadata> FetchTopicMetadata(rd_kafka_t* rk, const std::string& topic,
                                         const std::string& bootstrap, int timeout_ms,
                                         const Deadline& deadline) {
  SPATE_RETURN_IF_ERROR(ValidateTopicName(topic));
  KafkaTopicPtr handle(rd_kafka_topic_new(rk, topic.c_str(), nullptr));
  if (!handle) {
    return KafkaErrorToStatus(rd_kafka_last_error(), "cannot open topic " + topic);
  }
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, handle.get(), &raw, deadline.RemainingMs());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (IsUnreachable(err)) return Unreachable(bootstrap, timeout_ms, err);
    return KafkaErrorToStatus(err, "metadata of topic " + topic + " on " + bootstrap);
  }
  TopicMetadata md{KafkaMetadataPtr(raw), nullptr};
  for (int i = 0; i < raw->topic_cnt; ++i) {
    if (topic == raw->topics[i].topic) md.topic = &raw->topics[i];
  }
  if (md.topic == nullptr) return TopicMissing(topic, bootstrap);
  switch (md.topic->err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return md;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      return TopicMissing(topic, bootstrap);
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
      return Status::Unavailable("topic " + topic + " on " + bootstrap +
                                 " has no partition leader yet");
    default:
      return KafkaErrorToStatus(md.topic->err, "metadata of topic " + topic + " on " + bootstrap);
  }
}

/// Asks for one special offset (RD_KAFKA_OFFSET_BEGINNING or _END) of every partition in one
/// ListOffsets request per leader; offsets_for_times passes these through as the
/// broker's EARLIEST / LATEST timestamps.
Result<std::vector<int64_t>> ListOffsets(rd_kafka_t* rk, const std::string& topic,
                                         const std::vector<int32_t>& partitions, int64_t which,
                                         const std::string& bootstrap, int timeout_ms,
                                         const Deadline& deadline) {
  KafkaPartitionListPtr list(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (int32_t p : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = which;
  }
  rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, list.get(), deadline.RemainingMs());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (IsUnreachable(err)) return Unreachable(bootstrap, timeout_ms, err);
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
      return TopicMissing(topic, bootstrap);
    }
    return KafkaErrorToStatus(err, "offsets of topic " + topic + " on " + bootstrap);
  }
  std::vector<int64_t> offsets(partitions.size());
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& e = list->elems[i];
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (IsUnreachable(e.err)) return Unreachable(bootstrap, timeout_ms, e.err);
      return KafkaErrorToStatus(e.err, "offsets of partition " + std::to_string(e.partition) +
                                           " of topic " + topic + " on " + bootstrap);
    }
    auto at = std::find(partitions.begin(), partitions.end(), e.partition);
    if (at != partitions.end()) offsets[at - partitions.begin()] = e.offset;
  }
  return offsets;
}

/// One metadata request and the two offset requests: the topic as it is now. A broker that
/// has just taken over a partition may still answer "not leader": callers retry (Unavailable).
Result<TopicInfo> DescribeOnce(rd_kafka_t* rk, const std::string& topic,
                               const std::string& bootstrap, int timeout_ms,
                               const Deadline& deadline) {
  SPATE_ASSIGN_OR_RETURN(TopicMetadata md,
                         FetchTopicMetadata(rk, topic, bootstrap, timeout_ms, deadline));
  const rd_kafka_metadata_topic_t& t = *md.topic;
  TopicInfo info;
  info.name = topic;
  info.partition_count = t.partition_cnt;
  info.partitions.reserve(t.partition_cnt);
  for (int i = 0; i < t.partition_cnt; ++i) {
    const rd_kafka_metadata_partition_t& p = t.partitions[i];
    PartitionInfo pi;
    pi.partition = p.id;
    pi.leader = p.leader;
    pi.replicas = p.replica_cnt;
    pi.in_sync_replicas = p.isr_cnt;
    info.partitions.push_back(pi);
  }
  std::sort(
      info.partitions.begin(), info.partitions.end(),
      [](const PartitionInfo& x, const PartitionInfo& y) { return x.partition < y.partition; });
  if (!info.partitions.empty()) info.replication_factor = info.partitions[0].replicas;
  if (info.partitions.empty()) return info;

  std::vector<int32_t> ids;
  ids.reserve(info.partitions.size());
  for (const PartitionInfo& p : info.partitions) ids.push_back(p.partition);
  SPATE_ASSIGN_OR_RETURN(
      std::vector<int64_t> low,
      ListOffsets(rk, topic, ids, RD_KAFKA_OFFSET_BEGINNING, bootstrap, timeout_ms, deadline));
  SPATE_ASSIGN_OR_RETURN(std::vector<int64_t> high, ListOffsets(rk, topic, ids, RD_KAFKA_OFFSET_END,
                                                                bootstrap, timeout_ms, deadline));
  for (size_t i = 0; i < ids.size(); ++i) {
    info.partitions[i].low = low[i];
    info.partitions[i].high = high[i];
  }
  return info;
}

/// Calls `attempt` until it succeeds, fails with a non-retryable Status, or the deadline
/// passes; waits 20 ms, 40 ms, ... up to 200 ms between tries. Leader moves and a broker
/// that is coming back are short-lived, so a caller with a deadline should not see them.
template <typename F>
auto RetryWithin(const Deadline& deadline, F attempt) -> decltype(attempt()) {
  int backoff_ms = 20;
  while (true) {
    auto result = attempt();
    if (result.ok() || !result.status().IsRetryable() || deadline.Expired()) return result;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min(backoff_ms, deadline.RemainingMs())));
    backoff_ms = std::min(backoff_ms * 2, 200);
  }
}

KafkaAdminOptionsPtr MakeAdminOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op, int timeout_ms) {
  KafkaAdminOptionsPtr options(rd_kafka_AdminOptions_new(rk, op));
  char errstr[256];
  // Both calls only fail for out-of-range values; our timeouts are positive ints.
  (void)rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, errstr,
                                                  sizeof(errstr));
  (void)rd_kafka_AdminOptions_set_operation_timeout(options.get(), timeout_ms, errstr,
                                                    sizeof(errstr));
  return options;
}

/// Waits for an admin call's result event; a missing or failed event becomes a Status.
Result<KafkaEventPtr> AwaitAdminResult(rd_kafka_queue_t* queue, const std::string& what,
                                       const std::string& bootstrap, int timeout_ms) {
  KafkaEventPtr event(rd_kafka_queue_poll(queue, timeout_ms + kReplySlackMs));
  if (!event) return Unreachable(bootstrap, timeout_ms, RD_KAFKA_RESP_ERR__TIMED_OUT);
  rd_kafka_resp_err_t err = rd_kafka_event_error(event.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (IsUnreachable(err)) {
      return Status::Unavailable("cannot reach Kafka at " + bootstrap + " " + Within(timeout_ms) +
                                 " (" + rd_kafka_event_error_string(event.get()) + ")");
    }
    return KafkaErrorToStatus(
        err, what + " on " + bootstrap + ": " + rd_kafka_event_error_string(event.get()));
  }
  return event;
}

}  // namespace

Status KafkaErrorToStatus(rd_kafka_resp_err_t err, std::string_view context) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::OK();
  std::string message = std::string(context) + ": " + rd_kafka_err2str(err);
  if (IsUnreachable(err)) return Status::Unavailable(std::move(message));
  switch (err) {
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR__STATE:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
      return Status::Unavailable(std::move(message));
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return Status::NotFound(std::move(message));
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
      return Status::AlreadyExists(std::move(message));
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICA_ASSIGNMENT:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return Status::InvalidArgument(std::move(message));
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
      return Status::FailedPrecondition(std::move(message));
    case RD_KAFKA_RESP_ERR__FENCED:
    case RD_KAFKA_RESP_ERR_PRODUCER_FENCED:
    case RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH:
      return Status::Aborted(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

std::string KafkaBootstrapOf(rd_kafka_t* rk) {
  char buf[1024];
  size_t size = sizeof(buf);
  if (rk == nullptr ||
      rd_kafka_conf_get(rd_kafka_conf(rk), "bootstrap.servers", buf, &size) != RD_KAFKA_CONF_OK) {
    return "";
  }
  return buf;
}

Status ValidateTopicName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("topic name is empty");
  if (name.size() > 249) {
    return Status::InvalidArgument(
        "topic name is longer than 249 characters: " + std::string(name.substr(0, 40)) + "...");
  }
  if (name == "." || name == "..") {
    return Status::InvalidArgument("topic name cannot be \"" + std::string(name) + "\"");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument("topic name \"" + std::string(name) +
                                     "\" has a character other than a-z A-Z 0-9 . _ -");
    }
  }
  return Status::OK();
}

Result<KafkaClientPtr> MakeKafkaClient(rd_kafka_type_t type, const std::string& bootstrap,
                                       const std::map<std::string, std::string>& conf) {
  if (bootstrap.empty()) return Status::InvalidArgument("Kafka bootstrap address is empty");
  KafkaConfPtr c(rd_kafka_conf_new());
  char errstr[512];
  auto set = [&](const std::string& key, const std::string& value) -> Status {
    if (rd_kafka_conf_set(c.get(), key.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
      return Status::InvalidArgument("Kafka setting " + key + "=" + RedactedValue(key, value) +
                                     ": " + errstr);
    }
    return Status::OK();
  };
  SPATE_RETURN_IF_ERROR(set("bootstrap.servers", bootstrap));
  // An idle broker connection closed by the broker is normal, not worth a warning.
  SPATE_RETURN_IF_ERROR(set("log.connection.close", "false"));
  for (const auto& [key, value] : DaemonKafkaProperties()) SPATE_RETURN_IF_ERROR(set(key, value));
  for (const auto& [key, value] : conf) SPATE_RETURN_IF_ERROR(set(key, value));
  rd_kafka_conf_set_log_cb(c.get(), &LogToSpdlog);

  rd_kafka_t* rk = rd_kafka_new(type, c.get(), errstr, sizeof(errstr));
  if (rk == nullptr) {
    return Status::InvalidArgument("cannot create a Kafka client for " + bootstrap + ": " + errstr);
  }
  c.release();  // rd_kafka_new owns the configuration once it succeeds.
  return KafkaClientPtr(rk);
}

Result<std::vector<PartitionOffsets>> QueryOffsets(rd_kafka_t* rk, const std::string& topic,
                                                   int timeout_ms) {
  Deadline deadline(timeout_ms);
  std::string bootstrap = KafkaBootstrapOf(rk);
  SPATE_ASSIGN_OR_RETURN(TopicInfo info, RetryWithin(deadline, [&] {
                           return DescribeOnce(rk, topic, bootstrap, timeout_ms, deadline);
                         }));
  std::vector<PartitionOffsets> out;
  out.reserve(info.partitions.size());
  for (const PartitionInfo& p : info.partitions) out.push_back({p.partition, p.low, p.high});
  return out;
}

Result<int> PartitionCount(rd_kafka_t* rk, const std::string& topic, int timeout_ms) {
  Deadline deadline(timeout_ms);
  std::string bootstrap = KafkaBootstrapOf(rk);
  SPATE_ASSIGN_OR_RETURN(TopicMetadata md, RetryWithin(deadline, [&] {
                           return FetchTopicMetadata(rk, topic, bootstrap, timeout_ms, deadline);
                         }));
  return md.topic->partition_cnt;
}

Result<KafkaAdmin> KafkaAdmin::Make(const std::string& bootstrap, int timeout_ms,
                                    const std::map<std::string, std::string>& conf) {
  if (timeout_ms <= 0) {
    return Status::InvalidArgument("Kafka timeout must be positive, got " +
                                   std::to_string(timeout_ms) + " ms");
  }
  SPATE_ASSIGN_OR_RETURN(KafkaClientPtr client,
                         MakeKafkaClient(RD_KAFKA_PRODUCER, bootstrap, conf));
  // Fail early, with the address in the message, if nothing answers there.
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(client.get(), 0, nullptr, &raw, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (IsUnreachable(err)) return Unreachable(bootstrap, timeout_ms, err);
    return KafkaErrorToStatus(err, "metadata from " + bootstrap);
  }
  rd_kafka_metadata_destroy(raw);
  return KafkaAdmin(std::move(client), bootstrap, timeout_ms);
}

Status KafkaAdmin::CreateTopic(const std::string& name, int partitions, int replication,
                               const std::map<std::string, std::string>& configs) {
  SPATE_RETURN_IF_ERROR(ValidateTopicName(name));
  if (partitions < 1) {
    return Status::InvalidArgument("a topic needs at least 1 partition, got " +
                                   std::to_string(partitions));
  }
  if (replication < 1) {
    return Status::InvalidArgument("replication factor must be at least 1, got " +
                                   std::to_string(replication));
  }
  Deadline deadline(timeout_ms_);
  char errstr[512];
  KafkaNewTopicPtr topic(
      rd_kafka_NewTopic_new(name.c_str(), partitions, replication, errstr, sizeof(errstr)));
  if (!topic) return Status::InvalidArgument("cannot create topic " + name + ": " + errstr);
  for (const auto& [key, value] : configs) {
    rd_kafka_resp_err_t err = rd_kafka_NewTopic_set_config(topic.get(), key.c_str(), value.c_str());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaErrorToStatus(err, "topic config " + key + "=" + value);
    }
  }
  KafkaQueuePtr queue(rd_kafka_queue_new(client_.get()));
  KafkaAdminOptionsPtr options =
      MakeAdminOptions(client_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms_);
  rd_kafka_NewTopic_t* topics[] = {topic.get()};
  rd_kafka_CreateTopics(client_.get(), topics, 1, options.get(), queue.get());
  SPATE_ASSIGN_OR_RETURN(
      KafkaEventPtr event,
      AwaitAdminResult(queue.get(), "cannot create topic " + name, bootstrap_, timeout_ms_));

  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      return Status::AlreadyExists("topic " + name + " already exists on " + bootstrap_);
    }
    if (IsUnreachable(err)) return Unreachable(bootstrap_, timeout_ms_, err);
    const char* detail = rd_kafka_topic_result_error_string(results[i]);
    Status st = KafkaErrorToStatus(err, "");
    return Status(st.code(), "cannot create topic " + name + " on " + bootstrap_ + ": " +
                                 (detail && *detail ? detail : rd_kafka_err2str(err)));
  }

  // The controller has the topic; wait until its leaders answer offset requests, so a producer
  // or describe that follows does not see "unknown topic" or "not leader".
  while (true) {
    auto info = DescribeOnce(client_.get(), name, bootstrap_, timeout_ms_, deadline);
    if (info.ok() && info->partition_count == partitions) {
      bool all_led = true;
      for (const PartitionInfo& p : info->partitions) all_led = all_led && p.leader >= 0;
      if (all_led) return Status::OK();
    }
    if (deadline.Expired()) {
      return Status::DeadlineExceeded("topic " + name + " was created on " + bootstrap_ +
                                      " but its partitions were not ready " + Within(timeout_ms_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kMetadataPollMs));
  }
}

Status KafkaAdmin::DeleteTopic(const std::string& name) {
  SPATE_RETURN_IF_ERROR(ValidateTopicName(name));
  Deadline deadline(timeout_ms_);
  KafkaDeleteTopicPtr topic(rd_kafka_DeleteTopic_new(name.c_str()));
  KafkaQueuePtr queue(rd_kafka_queue_new(client_.get()));
  KafkaAdminOptionsPtr options =
      MakeAdminOptions(client_.get(), RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout_ms_);
  rd_kafka_DeleteTopic_t* topics[] = {topic.get()};
  rd_kafka_DeleteTopics(client_.get(), topics, 1, options.get(), queue.get());
  SPATE_ASSIGN_OR_RETURN(
      KafkaEventPtr event,
      AwaitAdminResult(queue.get(), "cannot delete topic " + name, bootstrap_, timeout_ms_));

  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      return TopicMissing(name, bootstrap_);
    }
    if (IsUnreachable(err)) return Unreachable(bootstrap_, timeout_ms_, err);
    const char* detail = rd_kafka_topic_result_error_string(results[i]);
    Status st = KafkaErrorToStatus(err, "");
    return Status(st.code(), "cannot delete topic " + name + " on " + bootstrap_ + ": " +
                                 (detail && *detail ? detail : rd_kafka_err2str(err)));
  }

  // Wait until the metadata no longer lists it, so "describe" right after reports NotFound.
  while (true) {
    auto md = FetchTopicMetadata(client_.get(), name, bootstrap_, timeout_ms_, deadline);
    if (!md.ok() && md.status().code() == StatusCode::kNotFound) return Status::OK();
    if (deadline.Expired()) {
      return Status::DeadlineExceeded("topic " + name + " was deleted on " + bootstrap_ +
                                      " but was still listed " + Within(timeout_ms_) + " later");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kMetadataPollMs));
  }
}

Result<std::vector<std::string>> KafkaAdmin::ListTopics(bool include_internal) {
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(client_.get(), 1, nullptr, &raw, timeout_ms_);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (IsUnreachable(err)) return Unreachable(bootstrap_, timeout_ms_, err);
    return KafkaErrorToStatus(err, "cannot list topics on " + bootstrap_);
  }
  KafkaMetadataPtr md(raw);
  std::vector<std::string> names;
  for (int i = 0; i < raw->topic_cnt; ++i) {
    std::string name = raw->topics[i].topic;
    if (raw->topics[i].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) continue;
    if (!include_internal && name.rfind("__", 0) == 0) continue;
    names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

Status KafkaAdmin::AddPartitions(const std::string& name, int total) {
  SPATE_RETURN_IF_ERROR(ValidateTopicName(name));
  char errstr[256];
  KafkaNewPartitionsPtr grow(
      rd_kafka_NewPartitions_new(name.c_str(), static_cast<size_t>(total), errstr, sizeof(errstr)));
  if (!grow) return Status::InvalidArgument("add partitions to " + name + ": " + errstr);
  KafkaQueuePtr queue(rd_kafka_queue_new(client_.get()));
  KafkaAdminOptionsPtr options =
      MakeAdminOptions(client_.get(), RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, timeout_ms_);
  rd_kafka_NewPartitions_t* list[] = {grow.get()};
  rd_kafka_CreatePartitions(client_.get(), list, 1, options.get(), queue.get());
  const std::string what = "cannot add partitions to topic " + name;
  SPATE_ASSIGN_OR_RETURN(KafkaEventPtr event,
                         AwaitAdminResult(queue.get(), what, bootstrap_, timeout_ms_));
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreatePartitions_result_topics(
      rd_kafka_event_CreatePartitions_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) return TopicMissing(name, bootstrap_);
    const char* detail = rd_kafka_topic_result_error_string(results[i]);
    return KafkaErrorToStatus(
        err, what + " on " + bootstrap_ + (detail ? ": " : "") + (detail ? detail : ""));
  }
  return Status::OK();
}

Status KafkaAdmin::DeleteRecordsBefore(const std::string& name, int32_t partition, int64_t offset) {
  SPATE_RETURN_IF_ERROR(ValidateTopicName(name));
  KafkaPartitionListPtr before(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(before.get(), name.c_str(), partition)->offset = offset;
  KafkaDeleteRecordsPtr del(rd_kafka_DeleteRecords_new(before.get()));
  KafkaQueuePtr queue(rd_kafka_queue_new(client_.get()));
  KafkaAdminOptionsPtr options =
      MakeAdminOptions(client_.get(), RD_KAFKA_ADMIN_OP_DELETERECORDS, timeout_ms_);
  rd_kafka_DeleteRecords_t* list[] = {del.get()};
  rd_kafka_DeleteRecords(client_.get(), list, 1, options.get(), queue.get());
  const std::string what = "cannot delete records of topic " + name;
  SPATE_ASSIGN_OR_RETURN(KafkaEventPtr event,
                         AwaitAdminResult(queue.get(), what, bootstrap_, timeout_ms_));
  const rd_kafka_topic_partition_list_t* done =
      rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(event.get()));
  if (done == nullptr) return Status::Internal(what + ": no result");
  for (int i = 0; i < done->cnt; ++i) {
    const rd_kafka_resp_err_t err = done->elems[i].err;
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) return TopicMissing(name, bootstrap_);
    SPATE_RETURN_IF_ERROR(KafkaErrorToStatus(err, what + " on " + bootstrap_));
  }
  return Status::OK();
}

Result<TopicInfo> KafkaAdmin::DescribeTopic(const std::string& name) {
  Deadline deadline(timeout_ms_);
  return RetryWithin(deadline, [&] {
    return DescribeOnce(client_.get(), name, bootstrap_, timeout_ms_, deadline);
  });
}

}  // namespace spate
