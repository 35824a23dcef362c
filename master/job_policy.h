// What a job may ask of the daemons: the Kafka client properties it may set, the directories it
// may write, the size of its spec; and the secrets in a job that are never shown (page, API,
// --status) or written to its checkpoint.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/spate.pb.h"

namespace spate::master {

/// Refuses a job whose --conf spate.kafka.* or SQL 'properties.*' set a librdkafka property
/// that jobs may not set (CheckJobKafkaProperty); the message names the key.
Status CheckJobKafkaProperties(const proto::JobSpec& spec);

/// The largest job spec the master accepts (its SQL script included).
inline constexpr size_t kMaxJobSpecBytes = 1 << 20;

/// Refuses a spec larger than kMaxJobSpecBytes, naming its size and the limit.
Status CheckJobSpecSize(const proto::JobSpec& spec);

/// Refuses a job whose --checkpoint-dir or file: sink directory is not inside one of `roots`
/// (the master's --job-path-roots): such a path must be absolute and, with its symbolic links
/// resolved as far as it exists, lie under a root. No roots: every path is allowed.
Status CheckJobPaths(const proto::JobSpec& spec, const std::vector<std::string>& roots);

/// The spec with every secret of its conf, its SQL and its plan's properties (sasl.password,
/// ssl.key.pem, ...) replaced by "[redacted]": what the checkpoint's metadata file keeps.
proto::JobSpec RedactSpecSecrets(proto::JobSpec spec);

/// The job with every secret of its spec (sasl.password, ssl.key.pem, ... in its conf, its SQL
/// and its plan's properties) replaced by "[redacted]": what GetJob, ListJobs and the page show.
proto::JobStatus RedactJobSecrets(proto::JobStatus job);

}  // namespace spate::master
