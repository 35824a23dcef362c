// Where a job's results go. The executors that hold a batch's rows write them (stage 2 tasks;
// stage 1 tasks for a stateless query), each task its own part of the batch, before the master
// enters the batch in the commit log; a replayed batch rewrites the same parts with the same
// rows. The console sink is the exception: its rows travel to the master, which keeps them for
// attached clients and the page.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/spate.pb.h"

namespace spate::worker {

/// Column names of a job's result rows ("user_id", "crash_count").
struct RowSchema {
  std::string key_column = "user_id";
  std::string count_column = "count";
  /// SQL jobs: the output columns, in order (rows then carry their JSON: ResultRow.json).
  std::vector<std::string> columns;
};

/// One result row as a JSON line (no newline): a SQL job's row as it carries it, or
/// {"window_start":"2026-01-11 14:42:50","window_end":"2026-01-11
/// 14:43:00","user_id":"u","crash_count":5}
std::string RowToJson(const proto::ResultRow& row, const RowSchema& schema);

/// The exercise's console table for one batch ("Batch: N" block).
std::string FormatConsoleBatch(int64_t batch_id, const std::vector<proto::ResultRow>& rows,
                               const RowSchema& schema);

class Sink {
 public:
  virtual ~Sink() = default;
  /// Writes part `part` (a task's partition) of batch `batch_id`; idempotent for the same
  /// batch and part.
  virtual Status WriteBatch(int64_t batch_id, int32_t part,
                            const std::vector<proto::ResultRow>& rows) = 0;
  virtual std::string Describe() const = 0;
};

/// Where and how a sink writes.
struct SinkOptions {
  /// "console", "file:DIR" or "kafka:TOPIC".
  std::string spec;
  RowSchema schema;
  /// The Kafka sink's brokers, and librdkafka properties for its producer (a SQL sink table's
  /// 'properties.*'; Spate's own transactional settings win).
  std::string bootstrap;
  std::map<std::string, std::string> properties;
  /// Names the job's output across restarts (its checkpoint dir): with the part, it keys the
  /// Kafka sink's transactions.
  std::string sink_id;
};

/// A job's sink as its spec says: the spec string, the brokers and properties (a SQL sink
/// table's own, else the job's bootstrap), the output columns of a SQL job, and the sink id (the
/// checkpoint dir, else the job id). A compiled job's schema names are left to the caller.
SinkOptions SinkOptionsOf(const proto::JobSpec& spec, const std::string& job_id);

/// The librdkafka properties of a job's source clients: the SQL source table's 'properties.*',
/// then the job's --conf spate.kafka.* over them. The master's admin and offset clients use
/// them, as the executors do.
std::map<std::string, std::string> SourceKafkaProperties(const proto::JobSpec& spec);

/// "console" (rows are kept for attached clients: nothing to write here), "file:DIR" (one
/// batch-<batch>-<part>.jsonl per part with rows, made visible by rename), "kafka:TOPIC" (one
/// transaction per batch and part). InvalidArgument for anything else.
Result<std::unique_ptr<Sink>> MakeSink(const SinkOptions& options, int32_t part);

/// The transactional.id of part `part` of a Kafka sink: stable across restarts, hosts and
/// compilers (XXH3 of the sink id, topic and part).
std::string KafkaSinkTransactionalId(const std::string& sink_id, const std::string& topic,
                                     int32_t part);

/// Checks a sink spec without opening it (for submit-time validation).
Status ValidateSinkSpec(const std::string& spec);

}  // namespace spate::worker
