// spate-submit: submits a job to a Spate master (spark-submit's flags), attaches to it, or
// asks about jobs (--status, --list, --kill, --stop). `--master local[N]` runs a master and a
// worker with N cores inside this process.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "proto/spate.pb.h"

namespace spate::client {

/// Applies one `--conf key=value` to a job spec. Known keys: spate.sql.shuffle.partitions
/// (spark.sql.shuffle.partitions is accepted too), spate.key-groups, spate.source.idle-timeout,
/// spate.source.prefilter, spate.source.stall-timeout, spate.task.timeout,
/// spate.checkpoint.snapshot-interval, spate.event-time.max-future, spate.job.engine,
/// spate.kafka.<librdkafka property>. Anything else is InvalidArgument.
Status ApplyConf(const std::string& key_value, proto::JobSpec* spec);

/// Parses "local", "local[4]", "local[*]" into a core count; NotFound if `master` is not local.
Result<int> ParseLocalMaster(const std::string& master);

/// The `--status` text: first line the state (RUNNING, ...), then the progress.
std::string FormatStatus(const proto::GetJobReply& reply);

/// `spate-submit` entry point.
int RunSubmit(int argc, char** argv);

}  // namespace spate::client
