// What a job may ask of the daemons' Kafka clients, and the secrets in a job that are never
// shown (page, API, --status) or written to its checkpoint.
#pragma once

#include "common/status.h"
#include "proto/spate.pb.h"

namespace spate::master {

/// Refuses a job whose --conf spate.kafka.* or SQL 'properties.*' set a librdkafka property
/// that jobs may not set (CheckJobKafkaProperty); the message names the key.
Status CheckJobKafkaProperties(const proto::JobSpec& spec);

/// The spec with every secret of its conf, its SQL and its plan's properties (sasl.password,
/// ssl.key.pem, ...) replaced by "[redacted]": what the checkpoint's metadata file keeps.
proto::JobSpec RedactSpecSecrets(proto::JobSpec spec);

/// The job with every secret of its spec (sasl.password, ssl.key.pem, ... in its conf, its SQL
/// and its plan's properties) replaced by "[redacted]": what GetJob, ListJobs and the page show.
proto::JobStatus RedactJobSecrets(proto::JobStatus job);

}  // namespace spate::master
