// The jobs the cluster can run, by name. A job turns its own arguments into a CompiledPlan.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "jobs/dataflow.h"

namespace spate::jobs {

struct JobInfo {
  std::string name;
  std::string summary;
};

/// Every job Spate knows, for --help and error messages.
const std::vector<JobInfo>& ListJobs();

/// Builds the plan of job `name` from its arguments (e.g. {"--window", "10s"}).
/// Unknown job or bad arguments: InvalidArgument with a message naming the problem.
/// `--help` among the arguments: InvalidArgument whose message is the job's usage.
Result<CompiledPlan> BuildJob(const std::string& name, const std::vector<std::string>& args);

/// Where a shipped job reads and writes: spate-submit's cluster flags.
struct JobSources {
  std::string bootstrap;
  std::string topic;
  std::string starting_offsets = "latest";  ///< "earliest" | "latest"
  std::string sink = "console";             ///< "console" | "file:DIR" | "kafka:TOPIC"
};

/// The SQL script of shipped job `name` (jobs/<name>.sql) with its fields filled from the job's
/// arguments (as BuildJob takes them) and `sources`. Errors as BuildJob's.
Result<std::string> RenderJobSql(const std::string& name, const std::vector<std::string>& args,
                                 const JobSources& sources);

}  // namespace spate::jobs
