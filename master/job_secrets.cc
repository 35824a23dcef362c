#include "master/job_secrets.h"

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
