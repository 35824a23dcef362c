#include "master/job_policy.h"

#include <filesystem>

#include "common/kafka_props.h"

namespace spate::master {

Status CheckJobKafkaProperties(const proto::JobSpec& spec) {
  for (const auto& [name, value] : KafkaPropertiesOfConf(spec.conf())) {
    SPATE_RETURN_IF_ERROR(CheckJobKafkaProperty(name).WithContext("--conf spate.kafka." + name));
  }
  if (!spec.has_plan()) return Status::OK();
  for (const auto* props : {&spec.plan().source().properties(), &spec.plan().sink().properties()}) {
    for (const auto& [name, value] : *props) {
      SPATE_RETURN_IF_ERROR(CheckJobKafkaProperty(name).WithContext("'properties." + name + "'"));
    }
  }
  return Status::OK();
}

Status CheckJobSpecSize(const proto::JobSpec& spec) {
  const size_t size = spec.ByteSizeLong();
  if (size > kMaxJobSpecBytes) {
    return Status::InvalidArgument("the job spec is " + std::to_string(size) +
                                   " bytes; the master accepts at most " +
                                   std::to_string(kMaxJobSpecBytes) + " (a SQL script included)");
  }
  return Status::OK();
}

namespace {

// `path` inside `root`: every component of root is a prefix component of path.
bool Inside(const std::filesystem::path& path, const std::filesystem::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

Status CheckPath(const std::string& what, const std::string& path,
                 const std::vector<std::string>& roots) {
  namespace fs = std::filesystem;
  std::string allowed;
  for (const auto& r : roots) allowed += (allowed.empty() ? "" : ", ") + r;
  if (!fs::path(path).is_absolute()) {
    return Status::InvalidArgument(what + " '" + path + "' must be an absolute path inside " +
                                   allowed);
  }
  // Symbolic links are followed as far as the path exists, so a link inside a root that points
  // out of it does not let a job out.
  std::error_code ec;
  fs::path resolved = fs::weakly_canonical(fs::path(path), ec);
  if (ec) resolved = fs::path(path).lexically_normal();
  for (const auto& r : roots) {
    fs::path root = fs::weakly_canonical(fs::path(r), ec);
    if (ec) root = fs::path(r).lexically_normal();
    if (Inside(resolved, root)) return Status::OK();
  }
  return Status::InvalidArgument(what + " '" + path + "' is outside the directories this master " +
                                 "lets jobs write (" + allowed + ", its --job-path-roots)");
}

}  // namespace

Status CheckJobPaths(const proto::JobSpec& spec, const std::vector<std::string>& roots) {
  if (roots.empty()) return Status::OK();
  if (!spec.checkpoint_dir().empty()) {
    SPATE_RETURN_IF_ERROR(CheckPath("--checkpoint-dir", spec.checkpoint_dir(), roots));
  }
  if (spec.sink().rfind("file:", 0) == 0) {
    SPATE_RETURN_IF_ERROR(CheckPath("file sink", spec.sink().substr(5), roots));
  }
  return Status::OK();
}

proto::JobSpec RedactSpecSecrets(proto::JobSpec spec_value) {
  proto::JobSpec* spec = &spec_value;
  for (auto& [k, v] : *spec->mutable_conf()) v = RedactedValue(k, v);
  if (!spec->sql().empty()) spec->set_sql(RedactSqlSecrets(spec->sql()));
  if (spec->has_plan()) {
    for (auto* props : {spec->mutable_plan()->mutable_source()->mutable_properties(),
                        spec->mutable_plan()->mutable_sink()->mutable_properties()}) {
      for (auto& [k, v] : *props) v = RedactedValue(k, v);
    }
  }
  return spec_value;
}

proto::JobStatus RedactJobSecrets(proto::JobStatus job) {
  *job.mutable_spec() = RedactSpecSecrets(std::move(*job.mutable_spec()));
  return job;
}

}  // namespace spate::master
