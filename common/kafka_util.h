// Kafka helpers over librdkafka's C API: owning handles, client creation, topic administration
// and offset queries, with librdkafka errors translated into spate::Status at this edge.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace spate {

/// Frees any librdkafka object with the matching destroy function; lets std::unique_ptr own
/// librdkafka handles. Destroying a producer does not flush it: call rd_kafka_flush first.
struct KafkaDeleter {
  void operator()(rd_kafka_t* p) const { rd_kafka_destroy(p); }
  void operator()(rd_kafka_conf_t* p) const { rd_kafka_conf_destroy(p); }
  void operator()(rd_kafka_topic_conf_t* p) const { rd_kafka_topic_conf_destroy(p); }
  void operator()(rd_kafka_topic_t* p) const { rd_kafka_topic_destroy(p); }
  void operator()(rd_kafka_topic_partition_list_t* p) const {
    rd_kafka_topic_partition_list_destroy(p);
  }
  void operator()(rd_kafka_queue_t* p) const { rd_kafka_queue_destroy(p); }
  void operator()(rd_kafka_event_t* p) const { rd_kafka_event_destroy(p); }
  void operator()(rd_kafka_message_t* p) const { rd_kafka_message_destroy(p); }
  void operator()(rd_kafka_headers_t* p) const { rd_kafka_headers_destroy(p); }
  void operator()(rd_kafka_error_t* p) const { rd_kafka_error_destroy(p); }
  void operator()(rd_kafka_AdminOptions_t* p) const { rd_kafka_AdminOptions_destroy(p); }
  void operator()(rd_kafka_NewTopic_t* p) const { rd_kafka_NewTopic_destroy(p); }
  void operator()(rd_kafka_DeleteTopic_t* p) const { rd_kafka_DeleteTopic_destroy(p); }
  void operator()(rd_kafka_NewPartitions_t* p) const { rd_kafka_NewPartitions_destroy(p); }
  void operator()(rd_kafka_DeleteRecords_t* p) const { rd_kafka_DeleteRecords_destroy(p); }
  void operator()(const rd_kafka_metadata_t* p) const { rd_kafka_metadata_destroy(p); }
};

/// Owning pointers to librdkafka objects.
using KafkaClientPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using KafkaConfPtr = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using KafkaTopicConfPtr = std::unique_ptr<rd_kafka_topic_conf_t, KafkaDeleter>;
using KafkaTopicPtr = std::unique_ptr<rd_kafka_topic_t, KafkaDeleter>;
using KafkaPartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;
using KafkaQueuePtr = std::unique_ptr<rd_kafka_queue_t, KafkaDeleter>;
using KafkaEventPtr = std::unique_ptr<rd_kafka_event_t, KafkaDeleter>;
using KafkaMessagePtr = std::unique_ptr<rd_kafka_message_t, KafkaDeleter>;
using KafkaHeadersPtr = std::unique_ptr<rd_kafka_headers_t, KafkaDeleter>;
using KafkaErrorPtr = std::unique_ptr<rd_kafka_error_t, KafkaDeleter>;
using KafkaAdminOptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, KafkaDeleter>;
using KafkaNewTopicPtr = std::unique_ptr<rd_kafka_NewTopic_t, KafkaDeleter>;
using KafkaDeleteTopicPtr = std::unique_ptr<rd_kafka_DeleteTopic_t, KafkaDeleter>;
using KafkaNewPartitionsPtr = std::unique_ptr<rd_kafka_NewPartitions_t, KafkaDeleter>;
using KafkaDeleteRecordsPtr = std::unique_ptr<rd_kafka_DeleteRecords_t, KafkaDeleter>;
using KafkaMetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, KafkaDeleter>;

/// Translates a librdkafka error code into a Status whose message is "<context>: <librdkafka's
/// text>". Codes map to: unreachable broker, timeouts, leader moves -> Unavailable; unknown
/// topic or partition -> NotFound; topic exists -> AlreadyExists; bad partitions, replication,
/// config, topic name -> InvalidArgument; authorization -> FailedPrecondition; the rest ->
/// Internal. RD_KAFKA_RESP_ERR_NO_ERROR gives OK.
Status KafkaErrorToStatus(rd_kafka_resp_err_t err, std::string_view context);

/// The "bootstrap.servers" a client was made with ("" if it cannot be read). For messages.
std::string KafkaBootstrapOf(rd_kafka_t* rk);

/// Checks a topic name by Kafka's rules: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
Status ValidateTopicName(std::string_view name);

/// Creates a librdkafka client (RD_KAFKA_PRODUCER or RD_KAFKA_CONSUMER) for `bootstrap`
/// ("host:port[,host:port...]") with the given librdkafka properties applied on top of
/// Spate's defaults and the daemon's own (DaemonKafkaProperties). librdkafka's own log lines go to
/// spdlog's default logger (its errors and warnings as spdlog warnings, its info and debug as
/// debug). Does not contact the broker. Returns InvalidArgument for an empty bootstrap or a
/// property librdkafka rejects (the message names the property). The returned handle is
/// thread-safe, as librdkafka's is.
Result<KafkaClientPtr> MakeKafkaClient(rd_kafka_type_t type, const std::string& bootstrap,
                                       const std::map<std::string, std::string>& conf = {});

/// Offsets of one partition. `high` is the end offset that the client's isolation level may
/// read up to: with librdkafka's default (read_committed) it is the last stable offset, which
/// equals the high watermark when no transaction is open on the partition. `high - low` is the
/// number of offsets (records and transaction markers) currently stored.
struct PartitionOffsets {
  int32_t partition = 0;
  int64_t low = 0;   ///< first offset still in the log
  int64_t high = 0;  ///< one past the last readable offset
};

/// Low and high offsets of every partition of `topic`, sorted by partition. Costs one metadata
/// request and two ListOffsets requests per partition leader, whatever the partition count
/// (about 1.5 ms against a local broker). Retryable answers (a leader moving, a broker coming
/// back) are retried with a short backoff inside the timeout, so it never blocks longer than
/// about `timeout_ms`. After a transaction commits, `high` passes its commit marker a few
/// milliseconds later (the coordinator writes markers asynchronously). Errors: NotFound when the
/// topic does not exist; Unavailable when the broker cannot be reached (or does not answer) within
/// the timeout; InvalidArgument for a bad topic name. Thread-safe (librdkafka handles are).
Result<std::vector<PartitionOffsets>> QueryOffsets(rd_kafka_t* rk, const std::string& topic,
                                                   int timeout_ms);

/// Number of partitions of `topic` (one metadata request). Same errors as QueryOffsets.
Result<int> PartitionCount(rd_kafka_t* rk, const std::string& topic, int timeout_ms);

/// One partition as DescribeTopic reports it.
struct PartitionInfo {
  int32_t partition = 0;
  int32_t leader = -1;  ///< broker id, -1 when the partition has no leader
  int replicas = 0;
  int in_sync_replicas = 0;
  int64_t low = 0;   ///< see PartitionOffsets
  int64_t high = 0;  ///< see PartitionOffsets
};

/// A topic as DescribeTopic reports it.
struct TopicInfo {
  std::string name;
  int partition_count = 0;
  int replication_factor = 0;  ///< replicas of partition 0 (all partitions have the same)
  std::vector<PartitionInfo> partitions;  ///< sorted by partition id
};

/// Topic administration against one Kafka cluster: create, delete, list, describe. Every call
/// is bounded by the timeout given to Make and reports an unreachable broker as Unavailable
/// ("cannot reach Kafka at 127.0.0.1:19092 within 10s"). Create and delete return once the
/// brokers' metadata shows the change (so a describe right after sees it). Movable, not
/// copyable; thread-safe (each call uses its own librdkafka queue).
class KafkaAdmin {
 public:
  /// Connects to `bootstrap` and checks that it answers a metadata request within
  /// `timeout_ms`, with librdkafka properties `conf` (security.protocol, sasl.*, ssl.*).
  /// Errors: InvalidArgument (empty bootstrap, timeout <= 0, a bad property), Unavailable.
  static Result<KafkaAdmin> Make(const std::string& bootstrap, int timeout_ms,
                                 const std::map<std::string, std::string>& conf = {});

  /// Creates `name` with `partitions` partitions and `replication` replicas, and topic-level
  /// `configs` (e.g. {"retention.ms", "-1"}). Errors: AlreadyExists, InvalidArgument (name,
  /// partitions < 1, replication < 1 or above the broker count, unknown config), Unavailable,
  /// DeadlineExceeded (created, but its partitions got no leader within the timeout).
  Status CreateTopic(const std::string& name, int partitions, int replication = 1,
                     const std::map<std::string, std::string>& configs = {});

  /// Deletes `name`. Errors: NotFound, InvalidArgument (name), Unavailable, DeadlineExceeded
  /// (deleted, but still in the metadata when the timeout ran out).
  Status DeleteTopic(const std::string& name);

  /// Adds partitions to `name` until it has `total` (CreatePartitions). Errors: InvalidArgument
  /// (name, `total` not above the current count), NotFound, Unavailable.
  Status AddPartitions(const std::string& name, int total);

  /// Deletes the records of `name`'s `partition` below `offset`, as retention does
  /// (DeleteRecords, what kafka-delete-records.sh sends). Errors: InvalidArgument, NotFound,
  /// Unavailable.
  Status DeleteRecordsBefore(const std::string& name, int32_t partition, int64_t offset);

  /// Names of all topics, sorted; internal topics (names starting with "__") are left out
  /// unless `include_internal`.
  Result<std::vector<std::string>> ListTopics(bool include_internal = false);

  /// Partitions, leaders, replicas and offsets of `name`. Errors: NotFound, Unavailable.
  Result<TopicInfo> DescribeTopic(const std::string& name);

  const std::string& bootstrap() const { return bootstrap_; }
  int timeout_ms() const { return timeout_ms_; }
  /// The underlying client (a producer handle), e.g. for QueryOffsets. Owned by this object.
  rd_kafka_t* client() const { return client_.get(); }

 private:
  KafkaAdmin(KafkaClientPtr client, std::string bootstrap, int timeout_ms)
      : client_(std::move(client)), bootstrap_(std::move(bootstrap)), timeout_ms_(timeout_ms) {}

  KafkaClientPtr client_;
  std::string bootstrap_;
  int timeout_ms_;
};

}  // namespace spate
