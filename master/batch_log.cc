#include "master/batch_log.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include "common/record_file.h"

namespace spate::master {
namespace {

namespace fs = std::filesystem;

// Batch ids with a record in `<dir>/<log>`, newest first (files being written have a '.').
std::vector<int64_t> LoggedBatches(const std::string& dir, std::string_view log) {
  std::vector<int64_t> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / log, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    out.push_back(std::stoll(name));
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

// A log record is whole when it parses and names the batch its file is named after (which a
// bare protobuf written before record files had a checksum must at least do).
template <typename M>
Result<M> ReadBatchRecord(const std::string& dir, std::string_view log, int64_t batch) {
  M m;
  const std::string path = BatchLogPath(dir, log, batch);
  SPATE_RETURN_IF_ERROR(ReadProtoRecord(path, &m));
  if (m.batch_id() != batch) {
    return Status::Corruption(path + " holds batch " + std::to_string(m.batch_id()));
  }
  return m;
}

}  // namespace

std::string BatchLogPath(const std::string& checkpoint_dir, std::string_view log, int64_t batch) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%012" PRId64, batch);
  return checkpoint_dir + "/" + std::string(log) + "/" + buf;
}

Status WriteProtoRecord(const std::string& path, const google::protobuf::Message& m) {
  return WriteRecordFile(path, m.SerializeAsString());
}

Status ReadProtoRecord(const std::string& path, google::protobuf::Message* m) {
  SPATE_ASSIGN_OR_RETURN(RecordFileContents file, ReadRecordFile(path));
  if (!m->ParseFromString(file.payload)) {
    return Status::Corruption("cannot parse " + path + (file.legacy ? " (no record header)" : ""));
  }
  return Status::OK();
}

Result<RecoveredBatchLog> RecoverBatchLog(const std::string& checkpoint_dir) {
  RecoveredBatchLog out;
  const std::vector<int64_t> commits = LoggedBatches(checkpoint_dir, "commits");
  int64_t expected = commits.empty() ? -1 : commits.front();
  for (int64_t batch : commits) {
    // Commit records are never deleted: one missing below a torn one is not a fallback.
    if (batch != expected) {
      return Status::Corruption("commit log of " + checkpoint_dir + " has no record of batch " +
                                std::to_string(expected) + " to fall back to (" +
                                out.skipped.back() + ")");
    }
    auto commit = ReadBatchRecord<proto::BatchCommit>(checkpoint_dir, "commits", batch);
    if (commit.ok()) {
      out.commit = std::move(*commit);
      break;
    }
    if (commit.status().code() != StatusCode::kCorruption) return commit.status();
    out.skipped.push_back(commit.status().message());
    expected = batch - 1;
  }
  if (!out.commit && expected > 0) {
    return Status::Corruption("commit log of " + checkpoint_dir + " has no record of batch " +
                              std::to_string(expected) + " to fall back to (" + out.skipped.back() +
                              ")");
  }
  for (int64_t batch = out.commit ? out.commit->batch_id() + 1 : 0;; ++batch) {
    auto plan = ReadBatchRecord<proto::BatchPlan>(checkpoint_dir, "offsets", batch);
    if (plan.ok()) {
      out.replay.push_back(std::move(*plan));
      continue;
    }
    if (plan.status().code() == StatusCode::kCorruption) {
      out.skipped.push_back(plan.status().message() + " (the batch never started)");
    } else if (plan.status().code() != StatusCode::kNotFound) {
      return plan.status();
    }
    break;
  }
  return out;
}

Status PruneBatchLog(const std::string& checkpoint_dir, int64_t batch) {
  for (std::string_view log : {"offsets", "commits"}) {
    for (int64_t old : LoggedBatches(checkpoint_dir, log)) {
      if (old >= batch) continue;
      std::error_code ec;
      fs::remove(BatchLogPath(checkpoint_dir, log, old), ec);
      if (ec) {
        return Status::IOError("cannot remove " + BatchLogPath(checkpoint_dir, log, old) + ": " +
                               ec.message());
      }
    }
  }
  return Status::OK();
}

}  // namespace spate::master
