// The checkpoint dir's offset log and commit log as files (`<dir>/offsets/<12-digit batch>`,
// `<dir>/commits/<12-digit batch>`), and what a job resumes from.
#pragma once

#include <google/protobuf/message.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "proto/spate.pb.h"

namespace spate::master {

/// `<checkpoint_dir>/<log>/<12-digit batch>`.
std::string BatchLogPath(const std::string& checkpoint_dir, std::string_view log, int64_t batch);

/// Writes `m` to `path` durably, checksummed (common/record_file.h).
Status WriteProtoRecord(const std::string& path, const google::protobuf::Message& m);
/// Reads a record written by WriteProtoRecord (or, before record files had a header, a bare
/// protobuf) into `m`. NotFound when absent, Corruption when torn, corrupt or not a `m`.
Status ReadProtoRecord(const std::string& path, google::protobuf::Message* m);

/// What a job resumes from: the newest commit record that reads back whole and the plans after
/// it, to be replayed in order before anything new is planned.
struct RecoveredBatchLog {
  std::optional<proto::BatchCommit> commit;  ///< none: nothing committed (yet, or readably)
  std::vector<proto::BatchPlan> replay;      ///< batches commit+1, commit+2, ... as planned
  std::vector<std::string> skipped;          ///< torn or corrupt records passed over, why
};

/// Reads the offset and commit logs of `checkpoint_dir` for a resume. A torn, empty or corrupt
/// newest commit record (a crash while it was written, a disk that lost it) never rewinds or
/// skips the job: recovery falls back to the previous commit record and that batch is replayed
/// from its plan (so the commit is written again). Plans after the commit are replayed as long
/// as they read back whole and follow each other; a torn plan means that batch never started
/// (tasks start only once their plan is durable), so it is planned again. Corruption when no
/// commit record before a torn one can be read (the log cannot say where to go on from).
Result<RecoveredBatchLog> RecoverBatchLog(const std::string& checkpoint_dir);

/// Deletes the offset- and commit-log records of batches below `batch` (the logs would otherwise
/// grow by two files a batch for ever). Recovery needs only the newest records.
Status PruneBatchLog(const std::string& checkpoint_dir, int64_t batch);

}  // namespace spate::master
