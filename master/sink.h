// Where a job's results go. The master writes each batch's rows when every task is done and
// before the batch enters the commit log, so a replayed batch rewrites the same output.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/spate.pb.h"

namespace spate::master {

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
  /// Writes batch `batch_id`'s rows; idempotent for the same batch id.
  virtual Status WriteBatch(int64_t batch_id, const std::vector<proto::ResultRow>& rows) = 0;
  virtual std::string Describe() const = 0;
};

/// "console" (rows are kept for attached clients: nothing to write here), "file:DIR",
/// "kafka:TOPIC" (produced to the job's bootstrap, one transaction per batch). `sink_id` names
/// the job's output across restarts (its checkpoint dir): it keys the Kafka transactions.
/// InvalidArgument for anything else.
Result<std::unique_ptr<Sink>> MakeSink(const std::string& spec, const RowSchema& schema,
                                       const std::string& bootstrap,
                                       const std::string& sink_id = "");

/// Checks a sink spec without opening it (for submit-time validation).
Status ValidateSinkSpec(const std::string& spec);

}  // namespace spate::master
