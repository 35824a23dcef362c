#include "master/web_ui.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

#include "common/rpc.h"
#include "common/security.h"
#include "common/text.h"
#include "common/window.h"
#include "master/master.h"

namespace spate::master {
namespace web_internal {
// Defined in the generated web_assets.cc (master/web/embed.cmake).
extern const WebAsset kWebAssets[];
extern const size_t kWebAssetCount;
}  // namespace web_internal

const WebAsset* FindWebAsset(std::string_view path) {
  if (path == "/") path = "/index.html";
  for (size_t i = 0; i < web_internal::kWebAssetCount; ++i) {
    if (web_internal::kWebAssets[i].path == path) return &web_internal::kWebAssets[i];
  }
  return nullptr;
}

std::vector<const WebAsset*> AllWebAssets() {
  std::vector<const WebAsset*> out;
  for (size_t i = 0; i < web_internal::kWebAssetCount; ++i)
    out.push_back(&web_internal::kWebAssets[i]);
  return out;
}

namespace web {
namespace {

// A SQL job's stages as the plan says them, a line each (the page's stage boxes show five).
void PlanOperations(const proto::QueryPlan& p, nlohmann::json* stage1, nlohmann::json* stage2) {
  auto cut = [](std::string t) {
    if (t.size() > 42) t = t.substr(0, 41) + "…";
    return t;
  };
  std::string cols;
  for (const auto& c : p.source().columns()) cols += (cols.empty() ? "" : ", ") + c.name();
  std::string where;
  for (const auto& f : p.filters()) where += (where.empty() ? "" : " AND ") + f.text();
  *stage1 = nlohmann::json::array();
  stage1->push_back(cut("decode " + cols));
  if (!p.prefilter().empty()) stage1->push_back(cut("pre-filter '" + p.prefilter() + "'"));
  if (!where.empty()) stage1->push_back(cut("WHERE " + where));
  *stage2 = nlohmann::json::array();
  if (!p.aggregate()) {
    stage1->push_back("project, write rows");
    stage2->push_back("none: a stateless query");
    return;
  }
  std::string keys, aggs;
  for (const auto& k : p.group_key_names()) keys += (keys.empty() ? "" : ", ") + k;
  for (const auto& a : p.aggregates()) aggs += (aggs.empty() ? "" : ", ") + a.text();
  const auto& w = p.window();
  const char* kind = w.kind() == proto::WINDOW_TUMBLE    ? "TUMBLE"
                     : w.kind() == proto::WINDOW_HOP     ? "HOP"
                     : w.kind() == proto::WINDOW_SESSION ? "SESSION"
                                                         : "no window";
  stage1->push_back(cut(std::string(kind) + ", partial " + aggs));
  stage1->push_back(cut("shuffle by " + (keys.empty() ? std::string("(one group)") : keys)));
  stage2->push_back("merge partials into state");
  stage2->push_back(cut("final " + aggs));
  if (p.has_having()) stage2->push_back(cut("HAVING " + p.having().text()));
  stage2->push_back("emit windows past the watermark");
}

using nlohmann::json;

constexpr int64_t kMaxSafeJsonInteger = int64_t{1} << 53;

bool IsActive(proto::JobState s) {
  return s == proto::WAITING || s == proto::RUNNING || s == proto::RECOVERING;
}

std::string StateName(proto::JobState s) {
  return s == proto::JOB_STATE_UNSPECIFIED ? "UNKNOWN" : proto::JobState_Name(s);
}

json ExecutorStatsJson(const proto::ExecutorBatchStats& e) {
  return {{"executorId", e.executor_id()},
          {"recordsRead", e.records_read()},
          {"bytesRead", e.bytes_read()},
          {"shuffleBytesWritten", e.shuffle_bytes_written()},
          {"shuffleRecordsWritten", e.shuffle_records_written()},
          {"shuffleBytesRead", e.shuffle_bytes_read()},
          {"shuffleBytesRemote", e.shuffle_bytes_remote()},
          {"tasks", e.tasks()},
          {"taskTimeMs", e.task_time_ms()}};
}

// Per-executor sums over the job's batches: the job's own (JobStatus.executor_totals) when it
// keeps them, else what this UI folded from the progress history.
std::map<std::string, proto::ExecutorBatchStats> ExecutorTotals(const proto::JobStatus& job,
                                                                const JobTotals& folded) {
  if (job.executor_totals_size() == 0) return folded.executors;
  std::map<std::string, proto::ExecutorBatchStats> out;
  for (const auto& e : job.executor_totals()) out[e.executor_id()] = e;
  return out;
}

json KeyGroupsJson(const proto::ExecutorAssignment& a) {
  json groups = json::array();
  for (const auto& r : a.key_groups()) groups.push_back({{"begin", r.begin()}, {"end", r.end()}});
  return groups;
}

json IntList(const google::protobuf::RepeatedField<int32_t>& v) {
  json out = json::array();
  for (int32_t x : v) out.push_back(x);
  return out;
}

int64_t KafkaPartitionCount(const proto::JobStatus& job) {
  int64_t n = 0;
  for (const auto& e : job.executors()) n += e.kafka_partitions_size();
  return n;
}

json ConfigJson(const proto::JobSpec& s) {
  json args = json::array();
  for (const auto& a : s.job_args()) args.push_back(a);
  json conf = json::object();
  for (const auto& [k, v] : s.conf()) conf[k] = v;
  return {{"jobName", s.job_name()},
          {"jobArgs", args},
          {"appName", s.app_name()},
          {"numExecutors", s.num_executors()},
          {"executorCores", s.executor_cores()},
          {"executorMemoryBytes", s.executor_memory_bytes()},
          {"shufflePartitions", s.shuffle_partitions()},
          {"keyGroups", s.key_groups()},
          {"bootstrap", s.bootstrap()},
          {"topic", s.topic()},
          {"startingOffsets", s.starting_offsets()},
          {"maxOffsetsPerTrigger", s.max_offsets_per_trigger()},
          {"trigger", s.trigger()},
          {"checkpointDir", s.checkpoint_dir()},
          {"sink", s.sink()},
          {"idleTimeoutMs", s.idle_timeout_ms()},
          {"conf", conf}};
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 9.0e15) {
    std::snprintf(buf, sizeof(buf), "%" PRId64, static_cast<int64_t>(v));
  } else {
    std::snprintf(buf, sizeof(buf), "%.10g", v);
  }
  return buf;
}

// Replaces every byte that is not part of a well-formed UTF-8 sequence with U+FFFD, so a
// label value never breaks a scraper.
std::string ValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    bool ok = len > 0 && i + len <= s.size() && !(len == 2 && c < 0xC2) && !(c > 0xF4);
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    }
    if (ok && len == 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);
    }
    if (ok && len == 4) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

using Labels = std::vector<std::pair<std::string, std::string>>;

// Metric families in the order they are first declared; samples grouped under their family as
// the text format requires.
class MetricsWriter {
 public:
  void Declare(const std::string& name, const std::string& type, const std::string& help) {
    if (index_.count(name)) return;
    index_[name] = families_.size();
    families_.push_back({name, type, help, {}});
  }
  void Add(const std::string& name, const Labels& labels, double value) {
    auto it = index_.find(name);
    if (it == index_.end()) return;
    std::string line = name;
    if (!labels.empty()) {
      line += '{';
      for (size_t i = 0; i < labels.size(); ++i) {
        if (i) line += ',';
        line += labels[i].first + "=\"" + PrometheusLabelValue(labels[i].second) + '"';
      }
      line += '}';
    }
    line += ' ' + FormatValue(value);
    families_[it->second].samples.push_back(std::move(line));
  }
  std::string Text() const {
    std::string out;
    for (const auto& f : families_) {
      out += "# HELP " + f.name + ' ' + f.help + '\n';
      out += "# TYPE " + f.name + ' ' + f.type + '\n';
      for (const auto& s : f.samples) out += s + '\n';
    }
    return out;
  }

 private:
  struct Family {
    std::string name, type, help;
    std::vector<std::string> samples;
  };
  std::vector<Family> families_;
  std::map<std::string, size_t> index_;
};

}  // namespace

void FoldProgress(const google::protobuf::RepeatedPtrField<proto::BatchProgress>& history,
                  JobTotals* totals) {
  int64_t last = totals->last_batch;
  for (const auto& p : history) {
    if (p.batch_id() <= totals->last_batch) continue;
    for (const auto& e : p.executors()) {
      auto& t = totals->executors[e.executor_id()];
      t.set_executor_id(e.executor_id());
      t.set_records_read(t.records_read() + e.records_read());
      t.set_bytes_read(t.bytes_read() + e.bytes_read());
      t.set_shuffle_bytes_written(t.shuffle_bytes_written() + e.shuffle_bytes_written());
      t.set_shuffle_bytes_read(t.shuffle_bytes_read() + e.shuffle_bytes_read());
      t.set_shuffle_records_written(t.shuffle_records_written() + e.shuffle_records_written());
      t.set_shuffle_bytes_remote(t.shuffle_bytes_remote() + e.shuffle_bytes_remote());
      t.set_tasks(t.tasks() + e.tasks());
      t.set_task_time_ms(t.task_time_ms() + e.task_time_ms());
    }
    for (const auto& [reason, n] : p.malformed_by_reason())
      totals->malformed_by_reason[reason] += n;
    totals->shuffle_bytes += p.shuffle_bytes();
    totals->rows_matched += p.rows_matched();
    last = std::max(last, p.batch_id());
  }
  totals->last_batch = last;
}

json InstantJson(int64_t ms) {
  if (ms <= -kMaxSafeJsonInteger || ms >= kMaxSafeJsonInteger) return nullptr;
  return ms;
}

std::string IsoTime(int64_t ms) {
  if (InstantJson(ms).is_null()) return "";
  int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  int64_t millis = ms - secs * 1000;
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buf;
}

json ProgressJson(const proto::BatchProgress& p) {
  json executors = json::array();
  for (const auto& e : p.executors()) executors.push_back(ExecutorStatsJson(e));
  json malformed = json::object();
  for (const auto& [reason, n] : p.malformed_by_reason()) malformed[reason] = n;
  return {
      {"batchId", p.batch_id()},
      {"timestamp", IsoTime(p.timestamp_ms())},
      {"timestampMs", p.timestamp_ms()},
      {"numInputRows", p.num_input_rows()},
      {"inputRowsPerSecond", p.input_rows_per_second()},
      {"processedRowsPerSecond", p.processed_rows_per_second()},
      {"durationMs",
       {{"planning", p.planning_ms()},
        {"stage1", p.stage1_ms()},
        {"stage2", p.stage2_ms()},
        {"commit", p.commit_ms()},
        {"total", p.total_ms()}}},
      {"eventTime",
       {{"min", p.has_event_time() ? InstantJson(p.min_event_time_ms()) : json(nullptr)},
        {"max", p.has_event_time() ? InstantJson(p.max_event_time_ms()) : json(nullptr)},
        {"watermark", InstantJson(p.watermark_ms())}}},
      {"stateRows", p.state_rows()},
      {"stateBytes", p.state_bytes()},
      {"rowsDroppedByWatermark", p.rows_dropped_by_watermark()},
      {"malformedRows", p.malformed_rows()},
      {"malformedByReason", malformed},
      {"rowsMatched", p.rows_matched()},
      {"rowsEmitted", p.rows_emitted()},
      {"resultLatencyMs", p.has_result_latency() ? json(p.result_latency_ms()) : json(nullptr)},
      {"shuffleBytes", p.shuffle_bytes()},
      {"executors", executors},
  };
}

json WorkerJson(const WorkerRecord& w, const std::vector<proto::JobStatus>& jobs, int64_t now_ms) {
  json holds = json::array();
  for (const auto& job : jobs) {
    if (!IsActive(job.state())) continue;
    for (const auto& e : job.executors()) {
      if (e.worker_id() != w.id) continue;
      holds.push_back({{"jobId", job.job_id()},
                       {"jobName", job.spec().job_name()},
                       {"executorId", e.executor_id()},
                       {"cores", e.cores()},
                       {"memoryBytes", e.memory_bytes()},
                       {"kafkaPartitions", IntList(e.kafka_partitions())},
                       {"shufflePartitions", IntList(e.shuffle_partitions())},
                       {"keyGroups", KeyGroupsJson(e)}});
    }
  }
  json reported = json::array();
  for (const auto& e : w.executors) reported.push_back(e);
  return {{"id", w.id},
          {"host", w.host},
          {"port", w.port},
          {"address", w.address()},
          {"state", w.alive ? "ALIVE" : "LOST"},
          {"alive", w.alive},
          {"cores", w.cores},
          {"coresUsed", w.cores_used},
          {"memoryBytes", w.memory_bytes},
          {"memoryUsedBytes", w.memory_used},
          {"registeredAt", IsoTime(w.registered_ms)},
          {"registeredAtMs", w.registered_ms},
          {"lastHeartbeat", IsoTime(w.last_heartbeat_ms)},
          {"lastHeartbeatMs", w.last_heartbeat_ms},
          {"heartbeatAgeMs", std::max<int64_t>(0, now_ms - w.last_heartbeat_ms)},
          {"reportedExecutors", reported},
          {"executors", holds}};
}

json JobSummaryJson(const proto::JobStatus& job, int64_t now_ms) {
  const auto& s = job.spec();
  const bool has_progress = job.batches_committed() > 0 || job.has_last_progress();
  const auto& lp = job.last_progress();
  const int64_t end = job.finished_at_ms() > 0 ? job.finished_at_ms() : now_ms;
  return {
      {"id", job.job_id()},
      {"name", s.job_name()},
      {"appName", s.app_name()},
      {"state", StateName(job.state())},
      {"active", IsActive(job.state())},
      {"message", job.message()},
      {"submittedAt", IsoTime(job.submitted_at_ms())},
      {"submittedAtMs", job.submitted_at_ms()},
      {"finishedAt", job.finished_at_ms() > 0 ? json(IsoTime(job.finished_at_ms())) : json()},
      {"finishedAtMs", job.finished_at_ms() > 0 ? json(job.finished_at_ms()) : json()},
      {"durationMs",
       job.submitted_at_ms() > 0 ? std::max<int64_t>(0, end - job.submitted_at_ms()) : 0},
      {"batchesCommitted", job.batches_committed()},
      {"numExecutors", s.num_executors()},
      {"executorCores", s.executor_cores()},
      {"executorMemoryBytes", s.executor_memory_bytes()},
      {"shufflePartitions", s.shuffle_partitions()},
      {"topic", s.topic()},
      {"trigger", s.trigger()},
      {"sink", s.sink()},
      {"inputRowsPerSecond", has_progress ? json(lp.input_rows_per_second()) : json()},
      {"processedRowsPerSecond", has_progress ? json(lp.processed_rows_per_second()) : json()},
      {"lastBatchDurationMs", has_progress ? json(lp.total_ms()) : json()},
      {"totals",
       {{"inputRows", job.total_input_rows()},
        {"rowsDroppedByWatermark", job.total_rows_dropped_by_watermark()},
        {"malformedRows", job.total_malformed_rows()},
        {"rowsEmitted", job.total_rows_emitted()}}},
      {"recovery",
       {{"recoveries", job.recoveries()},
        {"replayedBatches", job.replayed_batches()},
        {"restoredStateRows", job.restored_state_rows()},
        {"lastRecoveryMs", job.recoveries() > 0 ? json(job.last_recovery_ms()) : json()}}},
  };
}

json JobDetailJson(const proto::JobStatus& job, const JobTotals& totals, int64_t now_ms) {
  json j = JobSummaryJson(job, now_ms);
  j["config"] = ConfigJson(job.spec());
  j["keyColumn"] = job.key_column();
  j["countColumn"] = job.count_column();
  j["windowMs"] = job.window_ms();
  const bool has_progress = job.batches_committed() > 0 || job.has_last_progress();
  j["lastProgress"] = has_progress ? ProgressJson(job.last_progress()) : json();
  j["totals"]["rowsMatched"] = totals.rows_matched;
  j["totals"]["shuffleBytes"] = totals.shuffle_bytes;
  json malformed = json::object();
  for (const auto& [reason, n] : totals.malformed_by_reason) malformed[reason] = n;
  j["totals"]["malformedByReason"] = malformed;
  json samples = json::array();
  for (const auto& s : job.recent_samples()) {
    // The value is the record's raw bytes: shown escaped, so the JSON is always valid UTF-8.
    bool escaped = false;
    std::string value = EscapeForDisplay(s.value(), &escaped);
    json one = {{"kind", s.kind()},           {"batchId", s.batch_id()},
                {"partition", s.partition()}, {"offset", s.offset()},
                {"value", std::move(value)},  {"valueEscaped", escaped},
                {"truncated", s.truncated()}};
    if (s.kind() == "late") {
      one["eventTime"] = InstantJson(s.event_time_ms());
      one["watermark"] = InstantJson(s.watermark_ms());
    } else {
      one["reason"] = s.reason();
    }
    samples.push_back(std::move(one));
  }
  j["recentBadRecords"] = samples;

  const auto executor_totals = ExecutorTotals(job, totals);
  json executors = json::array();
  for (const auto& e : job.executors()) {
    proto::ExecutorBatchStats zero;
    zero.set_executor_id(e.executor_id());
    auto it = executor_totals.find(e.executor_id());
    int64_t key_groups = 0;
    for (const auto& r : e.key_groups()) key_groups += static_cast<int64_t>(r.end()) - r.begin();
    executors.push_back(
        {{"executorId", e.executor_id()},
         {"workerId", e.worker_id()},
         {"address", e.address()},
         {"cores", e.cores()},
         {"memoryBytes", e.memory_bytes()},
         {"kafkaPartitions", IntList(e.kafka_partitions())},
         {"shufflePartitions", IntList(e.shuffle_partitions())},
         {"keyGroups", KeyGroupsJson(e)},
         {"keyGroupCount", key_groups},
         {"totals", ExecutorStatsJson(it == executor_totals.end() ? zero : it->second)}});
  }
  j["executors"] = executors;

  const int64_t kafka_partitions = KafkaPartitionCount(job);
  const auto& s = job.spec();
  json filters = json::array();
  for (const auto& a : s.job_args()) filters.push_back(a);
  json stage1_ops = {"read offset range", "parse JSON", "filter", "pre-aggregate (window, key)",
                     "shuffle write"};
  json stage2_ops = {"shuffle read", "merge into window state", "emit windows past the watermark"};
  if (s.has_plan()) PlanOperations(s.plan(), &stage1_ops, &stage2_ops);
  const bool stateless = s.has_plan() && !s.plan().aggregate();
  j["dag"] = {
      {"source", {{"kind", "kafka"}, {"topic", s.topic()}, {"partitions", kafka_partitions}}},
      {"stages", json::array({{{"id", 1},
                               {"name", "Stage 1"},
                               {"tasks", kafka_partitions},
                               {"taskUnit", "Kafka partition"},
                               {"operations", stage1_ops}},
                              {{"id", 2},
                               {"name", "Stage 2"},
                               {"tasks", stateless ? 0 : s.shuffle_partitions()},
                               {"taskUnit", "shuffle partition"},
                               {"operations", stage2_ops}}})},
      {"shuffle",
       {{"key", job.key_column()},
        {"keyGroups", s.key_groups()},
        {"partitions", s.shuffle_partitions()}}},
      {"sink", {{"kind", s.sink().substr(0, s.sink().find(':'))}, {"spec", s.sink()}}},
  };
  return j;
}

json ResultsJson(const proto::JobStatus& job,
                 const google::protobuf::RepeatedPtrField<proto::ResultBatch>& results,
                 int max_batches, int max_rows) {
  json rows = json::array();
  int batches = 0;
  bool truncated = false;
  // A SQL job's rows carry their columns as JSON: the page shows them all, and `count` is the
  // last output column's when it is an integer.
  json columns = json::array();
  for (const auto& o : job.spec().plan().outputs()) columns.push_back(o.name());
  auto window_text = [](int64_t ms) {
    return ms == INT64_MIN || ms == INT64_MAX ? std::string() : FormatUtcSeconds(ms);
  };
  for (int i = results.size() - 1; i >= 0; --i) {
    const auto& b = results.Get(i);
    if (b.rows_size() == 0) continue;
    if (batches >= max_batches) break;
    ++batches;
    for (const auto& r : b.rows()) {
      if (static_cast<int>(rows.size()) >= max_rows) {
        truncated = true;
        break;
      }
      json row = {{"batchId", b.batch_id()},
                  {"windowStart", window_text(r.window_start_ms())},
                  {"windowEnd", window_text(r.window_end_ms())},
                  {"windowStartMs", r.window_start_ms()},
                  {"windowEndMs", r.window_end_ms()},
                  {"key", r.key()},
                  {"count", r.count()}};
      if (!r.json().empty()) {
        json values = json::parse(r.json(), nullptr, false);
        if (values.is_object()) {
          const std::string count_column = job.count_column();
          if (values.contains(count_column) && values[count_column].is_number_integer()) {
            row["count"] = values[count_column];
          }
          json cells = json::array();
          for (const auto& c : columns) {
            const std::string name = c.get<std::string>();
            cells.push_back(values.contains(name) ? values[name] : json());
          }
          row["values"] = std::move(cells);
        }
      }
      rows.push_back(std::move(row));
    }
    if (truncated) break;
  }
  return {{"jobId", job.job_id()},
          {"keyColumn", job.key_column()},
          {"countColumn", job.count_column()},
          {"windowMs", job.window_ms()},
          {"columns", columns},
          {"batches", batches},
          {"truncated", truncated},
          {"rows", rows}};
}

std::string PrometheusLabelValue(std::string_view value) {
  std::string valid = ValidUtf8(value);
  std::string out;
  out.reserve(valid.size());
  for (char c : valid) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string RenderMetrics(const std::vector<WorkerRecord>& workers,
                          const std::vector<proto::JobStatus>& jobs,
                          const std::map<std::string, JobTotals>& totals, int64_t now_ms) {
  MetricsWriter m;
  m.Declare("spate_workers", "gauge", "Registered workers by state.");
  m.Declare("spate_worker_alive", "gauge", "1 while the worker heartbeats, 0 once declared lost.");
  m.Declare("spate_worker_cores", "gauge", "Cores the worker offers.");
  m.Declare("spate_worker_cores_used", "gauge", "Cores reserved by executors on the worker.");
  m.Declare("spate_worker_memory_bytes", "gauge", "Memory the worker offers.");
  m.Declare("spate_worker_memory_used_bytes", "gauge", "Memory reserved by executors.");
  m.Declare("spate_worker_heartbeat_age_seconds", "gauge", "Time since the last heartbeat.");
  m.Declare("spate_worker_executors", "gauge", "Executors the worker reported running.");
  int alive = 0;
  for (const auto& w : workers) {
    alive += w.alive ? 1 : 0;
    Labels l{{"worker", w.id}};
    m.Add("spate_worker_alive", {{"worker", w.id}, {"address", w.address()}}, w.alive ? 1 : 0);
    m.Add("spate_worker_cores", l, w.cores);
    m.Add("spate_worker_cores_used", l, w.cores_used);
    m.Add("spate_worker_memory_bytes", l, static_cast<double>(w.memory_bytes));
    m.Add("spate_worker_memory_used_bytes", l, static_cast<double>(w.memory_used));
    m.Add("spate_worker_heartbeat_age_seconds", l,
          static_cast<double>(std::max<int64_t>(0, now_ms - w.last_heartbeat_ms)) / 1000.0);
    m.Add("spate_worker_executors", l, static_cast<double>(w.executors.size()));
  }
  m.Add("spate_workers", {{"state", "alive"}}, alive);
  m.Add("spate_workers", {{"state", "lost"}}, static_cast<double>(workers.size()) - alive);

  m.Declare("spate_job_info", "gauge", "1 for every job the master knows; state in a label.");
  m.Declare("spate_job_active", "gauge", "1 while the job waits, runs or recovers.");
  m.Declare("spate_job_batches_committed_total", "counter", "Micro-batches committed.");
  m.Declare("spate_job_input_rows_total", "counter", "Kafka records read by committed batches.");
  m.Declare("spate_job_rows_matched_total", "counter", "Rows that passed the job's filters.");
  m.Declare("spate_job_rows_dropped_by_watermark_total", "counter",
            "Rows older than the watermark, dropped and counted.");
  m.Declare("spate_job_malformed_rows_total", "counter", "Malformed records, counted, skipped.");
  m.Declare("spate_job_malformed_rows_by_reason_total", "counter", "Malformed records by reason.");
  m.Declare("spate_job_rows_emitted_total", "counter", "Result rows written to the sink.");
  m.Declare("spate_job_shuffle_bytes_total", "counter", "Bytes shuffled between stages.");
  m.Declare("spate_job_input_rows_per_second", "gauge", "Input rate of the last batch.");
  m.Declare("spate_job_processed_rows_per_second", "gauge", "Processing rate of the last batch.");
  m.Declare("spate_job_last_batch_id", "gauge", "Id of the last committed batch.");
  m.Declare("spate_job_last_batch_input_rows", "gauge", "Rows read by the last batch.");
  m.Declare("spate_job_last_batch_duration_ms", "gauge", "Duration of the last batch.");
  m.Declare("spate_job_last_batch_phase_ms", "gauge",
            "Time of the last batch per phase (stage1 includes the shuffle write).");
  m.Declare("spate_job_watermark_ms", "gauge", "Event-time watermark (epoch ms).");
  m.Declare("spate_job_watermark_lag_ms", "gauge", "Wall clock minus the watermark.");
  m.Declare("spate_job_last_result_latency_ms", "gauge",
            "Last batch that emitted rows: watermark past the window end to the row in the sink.");
  m.Declare("spate_job_max_event_time_ms", "gauge", "Largest event time in the last batch.");
  m.Declare("spate_job_state_rows", "gauge", "Rows in the window state after the last batch.");
  m.Declare("spate_job_state_bytes", "gauge", "Bytes of window state after the last batch.");
  m.Declare("spate_job_executors", "gauge", "Executors of the job.");
  m.Declare("spate_job_recoveries_total", "counter",
            "Batches that committed only after a failed attempt (e.g. a lost worker).");
  m.Declare("spate_job_replayed_batches_total", "counter",
            "Failed batch attempts, replayed from their plan.");
  m.Declare("spate_job_restored_state_rows_total", "counter",
            "State rows restored from the checkpoint.");
  m.Declare("spate_job_last_recovery_ms", "gauge",
            "From the first failure to the commit, last recovery.");
  m.Declare("spate_executor_cores", "gauge", "Cores of the executor.");
  m.Declare("spate_executor_memory_bytes", "gauge", "Memory of the executor.");
  m.Declare("spate_executor_kafka_partitions", "gauge", "Kafka partitions the executor reads.");
  m.Declare("spate_executor_key_groups", "gauge", "Key groups whose state the executor owns.");
  m.Declare("spate_executor_records_read_total", "counter", "Kafka records read (stage 1).");
  m.Declare("spate_executor_bytes_read_total", "counter", "Kafka bytes read (stage 1).");
  m.Declare("spate_executor_shuffle_bytes_written_total", "counter", "Shuffle bytes written.");
  m.Declare("spate_executor_shuffle_records_written_total", "counter", "Shuffle entries written.");
  m.Declare("spate_executor_shuffle_bytes_read_total", "counter", "Shuffle bytes read (stage 2).");
  m.Declare("spate_executor_shuffle_bytes_remote_total", "counter",
            "Shuffle bytes written to executors in other worker processes.");
  m.Declare("spate_executor_tasks_total", "counter", "Tasks run (both stages).");
  m.Declare("spate_executor_task_time_ms_total", "counter", "Time spent in tasks.");

  static const JobTotals kNoTotals;
  for (const auto& job : jobs) {
    const std::string& id = job.job_id();
    const Labels l{{"job", id}};
    const auto& s = job.spec();
    auto t = totals.find(id);
    const JobTotals& jt = t == totals.end() ? kNoTotals : t->second;
    m.Add("spate_job_info",
          {{"job", id},
           {"name", s.job_name()},
           {"state", StateName(job.state())},
           {"topic", s.topic()},
           {"trigger", s.trigger()},
           {"sink", s.sink()}},
          1);
    m.Add("spate_job_active", l, IsActive(job.state()) ? 1 : 0);
    m.Add("spate_job_batches_committed_total", l, static_cast<double>(job.batches_committed()));
    m.Add("spate_job_input_rows_total", l, static_cast<double>(job.total_input_rows()));
    m.Add("spate_job_rows_matched_total", l, static_cast<double>(jt.rows_matched));
    m.Add("spate_job_rows_dropped_by_watermark_total", l,
          static_cast<double>(job.total_rows_dropped_by_watermark()));
    m.Add("spate_job_malformed_rows_total", l, static_cast<double>(job.total_malformed_rows()));
    for (const auto& [reason, n] : jt.malformed_by_reason) {
      m.Add("spate_job_malformed_rows_by_reason_total", {{"job", id}, {"reason", reason}},
            static_cast<double>(n));
    }
    m.Add("spate_job_rows_emitted_total", l, static_cast<double>(job.total_rows_emitted()));
    m.Add("spate_job_shuffle_bytes_total", l, static_cast<double>(jt.shuffle_bytes));
    m.Add("spate_job_executors", l, job.executors_size());
    m.Add("spate_job_recoveries_total", l, static_cast<double>(job.recoveries()));
    m.Add("spate_job_replayed_batches_total", l, static_cast<double>(job.replayed_batches()));
    m.Add("spate_job_restored_state_rows_total", l, static_cast<double>(job.restored_state_rows()));
    if (job.recoveries() > 0) {
      m.Add("spate_job_last_recovery_ms", l, static_cast<double>(job.last_recovery_ms()));
    }
    if (job.batches_committed() > 0 || job.has_last_progress()) {
      const auto& p = job.last_progress();
      m.Add("spate_job_input_rows_per_second", l, p.input_rows_per_second());
      m.Add("spate_job_processed_rows_per_second", l, p.processed_rows_per_second());
      m.Add("spate_job_last_batch_id", l, static_cast<double>(p.batch_id()));
      m.Add("spate_job_last_batch_input_rows", l, static_cast<double>(p.num_input_rows()));
      m.Add("spate_job_last_batch_duration_ms", l, static_cast<double>(p.total_ms()));
      const std::pair<const char*, int64_t> phases[] = {{"planning", p.planning_ms()},
                                                        {"stage1", p.stage1_ms()},
                                                        {"stage2", p.stage2_ms()},
                                                        {"commit", p.commit_ms()}};
      for (const auto& [phase, ms] : phases) {
        m.Add("spate_job_last_batch_phase_ms", {{"job", id}, {"phase", phase}},
              static_cast<double>(ms));
      }
      if (!InstantJson(p.watermark_ms()).is_null()) {
        m.Add("spate_job_watermark_ms", l, static_cast<double>(p.watermark_ms()));
        m.Add("spate_job_watermark_lag_ms", l, static_cast<double>(now_ms - p.watermark_ms()));
      }
      if (p.has_event_time()) {
        m.Add("spate_job_max_event_time_ms", l, static_cast<double>(p.max_event_time_ms()));
      }
      if (p.has_result_latency()) {
        m.Add("spate_job_last_result_latency_ms", l, static_cast<double>(p.result_latency_ms()));
      }
      m.Add("spate_job_state_rows", l, static_cast<double>(p.state_rows()));
      m.Add("spate_job_state_bytes", l, static_cast<double>(p.state_bytes()));
    }
    std::set<std::string> seen;
    for (const auto& e : job.executors()) {
      seen.insert(e.executor_id());
      const Labels el{{"job", id}, {"executor", e.executor_id()}, {"worker", e.worker_id()}};
      int64_t key_groups = 0;
      for (const auto& r : e.key_groups()) key_groups += static_cast<int64_t>(r.end()) - r.begin();
      m.Add("spate_executor_cores", el, e.cores());
      m.Add("spate_executor_memory_bytes", el, static_cast<double>(e.memory_bytes()));
      m.Add("spate_executor_kafka_partitions", el, e.kafka_partitions_size());
      m.Add("spate_executor_key_groups", el, static_cast<double>(key_groups));
    }
    for (const auto& [exec, x] : ExecutorTotals(job, jt)) {
      std::string worker;
      for (const auto& e : job.executors())
        if (e.executor_id() == exec) worker = e.worker_id();
      const Labels el{{"job", id}, {"executor", exec}, {"worker", worker}};
      m.Add("spate_executor_records_read_total", el, static_cast<double>(x.records_read()));
      m.Add("spate_executor_bytes_read_total", el, static_cast<double>(x.bytes_read()));
      m.Add("spate_executor_shuffle_bytes_written_total", el,
            static_cast<double>(x.shuffle_bytes_written()));
      m.Add("spate_executor_shuffle_records_written_total", el,
            static_cast<double>(x.shuffle_records_written()));
      m.Add("spate_executor_shuffle_bytes_read_total", el,
            static_cast<double>(x.shuffle_bytes_read()));
      m.Add("spate_executor_shuffle_bytes_remote_total", el,
            static_cast<double>(x.shuffle_bytes_remote()));
      m.Add("spate_executor_tasks_total", el, static_cast<double>(x.tasks()));
      m.Add("spate_executor_task_time_ms_total", el, static_cast<double>(x.task_time_ms()));
    }
  }
  return m.Text();
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace web

namespace {

using nlohmann::json;

constexpr char kJson[] = "application/json; charset=utf-8";
// The page builds its DOM from data with textContent only; the policy makes sure nothing else
// (an injected <script> or inline handler) could run even if that ever regressed.
constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(web::Dump(body), kJson);
}

void SendError(httplib::Response& res, int status, const std::string& message) {
  SendJson(res, status, {{"error", message}, {"status", status}});
}

int IntParam(const httplib::Request& req, const char* name, int fallback, int lo, int hi) {
  if (!req.has_param(name)) return fallback;
  const std::string v = req.get_param_value(name);
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0') return fallback;
  return static_cast<int>(std::clamp<long>(n, lo, hi));
}

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

// Standard base64 (RFC 4648), as HTTP basic credentials are sent; stops at the first byte that
// is not part of the alphabet.
std::string DecodeBase64(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else {
      break;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

}  // namespace

WebUi::WebUi(MasterHandler* master, const WebUiOptions& options)
    : master_(master), options_(options) {}

WebUi::~WebUi() { Shutdown(); }

std::string WebUi::url() const {
  return std::string(options_.tls_cert_file.empty() ? "http" : "https") + "://" + options_.host +
         ":" + std::to_string(port_);
}

std::string WebUi::csrf_token() const {
  return options_.auth_secret.empty() ? "" : HmacSha256Hex(options_.auth_secret, "spate-ui-csrf");
}

bool WebUi::LoggedIn(const httplib::Request& req) const {
  if (options_.auth_secret.empty()) return true;
  const std::string auth = req.get_header_value("Authorization");
  std::string offered;
  if (auth.rfind("Bearer ", 0) == 0) {
    offered = auth.substr(7);
  } else if (auth.rfind("Basic ", 0) == 0) {
    std::string user_pass = DecodeBase64(auth.substr(6));
    size_t colon = user_pass.find(':');
    if (colon != std::string::npos) offered = user_pass.substr(colon + 1);
  }
  return !offered.empty() && ConstantTimeEquals(offered, options_.auth_secret);
}

std::string WebUi::ActionRefusal(const httplib::Request& req) const {
  // Another site's page in a logged-in browser: the browser names its origin, and it cannot read
  // the CSRF token (the same-origin policy keeps /api/v1 from it).
  const std::string origin = req.get_header_value("Origin");
  const std::string scheme = options_.tls_cert_file.empty() ? "http://" : "https://";
  if (!origin.empty() && origin != scheme + req.get_header_value("Host")) {
    return "cross-origin request refused (Origin " + origin + ")";
  }
  const std::string site = req.get_header_value("Sec-Fetch-Site");
  if (!site.empty() && site != "same-origin" && site != "none") {
    return "cross-site request refused (Sec-Fetch-Site " + site + ")";
  }
  if (options_.auth_secret.empty()) return "";
  if (!ConstantTimeEquals(req.get_header_value("X-Spate-CSRF"), csrf_token())) {
    return "missing or wrong X-Spate-CSRF token (GET /api/v1 gives it)";
  }
  return "";
}

Result<std::unique_ptr<WebUi>> WebUi::Start(MasterHandler* master, const WebUiOptions& options) {
  std::unique_ptr<WebUi> ui(new WebUi(master, options));
  ui->started_ms_ = NowMs();
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return Status::InvalidArgument("web UI: HTTPS needs both a certificate and a key");
  }
  if (!options.tls_cert_file.empty()) {
    auto https = std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(),
                                                      options.tls_key_file.c_str());
    if (!https->is_valid()) {
      return Status::InvalidArgument("web UI: cannot use certificate " + options.tls_cert_file +
                                     " with key " + options.tls_key_file);
    }
    ui->server_ = std::move(https);
  } else {
    ui->server_ = std::make_unique<httplib::Server>();
  }
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let two masters share
  // a port silently instead of moving to the next free one.
  ui->server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  ui->server_->set_keep_alive_max_count(100);
  ui->server_->set_read_timeout(5, 0);
  ui->server_->set_write_timeout(5, 0);
  ui->server_->set_payload_max_length(64 * 1024);
  ui->Routes();

  int bound = -1;
  if (options.port == 0) {
    bound = ui->server_->bind_to_any_port(options.host);
  } else {
    for (int i = 0; i <= std::max(0, options.port_retries) && options.port + i <= 65535; ++i) {
      if (ui->server_->bind_to_port(options.host, options.port + i)) {
        bound = options.port + i;
        break;
      }
      spdlog::warn("web UI: cannot bind {}:{} (in use?), trying the next port", options.host,
                   options.port + i);
    }
  }
  if (bound <= 0) {
    return Status::Unavailable("web UI: cannot listen on " + options.host + ":" +
                               std::to_string(options.port) + " (port in use?)");
  }
  ui->port_ = bound;
  ui->listener_ = std::thread([raw = ui.get()] { raw->server_->listen_after_bind(); });
  for (int i = 0; i < 500 && !ui->server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ui->poller_ = std::thread([raw = ui.get()] {
    std::unique_lock<std::mutex> lock(raw->poll_mu_);
    while (!raw->stopping_) {
      lock.unlock();
      raw->Refresh();
      lock.lock();
      raw->poll_cv_.wait_for(lock, std::chrono::milliseconds(raw->options_.poll_interval_ms),
                             [raw] { return raw->stopping_.load(); });
    }
  });
  spdlog::info("web UI on {}{}{}", ui->url(),
               options.kill_enabled ? " (killing jobs from the page is enabled)" : "",
               options.auth_secret.empty() ? "" : " (login with the cluster secret)");
  return ui;
}

void WebUi::Shutdown() {
  if (stopping_.exchange(true)) return;
  {
    std::lock_guard<std::mutex> lock(poll_mu_);
    poll_cv_.notify_all();
  }
  if (server_) server_->stop();
  if (listener_.joinable()) listener_.join();
  if (poller_.joinable()) poller_.join();
}

void WebUi::Refresh() {
  proto::ListJobsReply list;
  if (!master_->HandleListJobs(proto::ListJobsRequest(), &list).ok()) return;
  std::lock_guard<std::mutex> lock(totals_mu_);
  for (const auto& job : list.jobs()) {
    auto& t = totals_[job.job_id()];
    const int64_t missing = job.batches_committed() - 1 - t.last_batch;
    if (missing <= 0) continue;
    proto::GetJobRequest req;
    req.set_job_id(job.job_id());
    req.set_results_after_batch(INT64_MAX);  // no result rows: only the progress
    req.set_progress_history(static_cast<int32_t>(std::min<int64_t>(missing + 1, 100000)));
    proto::GetJobReply reply;
    if (master_->HandleGetJob(req, &reply).ok()) web::FoldProgress(reply.history(), &t);
    // A job of an earlier master run has no history to fold: do not ask again.
    if (job.state() != proto::WAITING && job.state() != proto::RUNNING &&
        job.state() != proto::RECOVERING) {
      t.last_batch = std::max(t.last_batch, job.batches_committed() - 1);
    }
  }
}

std::map<std::string, web::JobTotals> WebUi::TotalsCopy() {
  Refresh();
  std::lock_guard<std::mutex> lock(totals_mu_);
  return totals_;
}

web::JobTotals WebUi::TotalsOf(const std::string& job_id) {
  Refresh();
  std::lock_guard<std::mutex> lock(totals_mu_);
  auto it = totals_.find(job_id);
  return it == totals_.end() ? web::JobTotals{} : it->second;
}

void WebUi::Routes() {
  httplib::Server& s = *server_;

  s.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("Content-Security-Policy", kContentSecurityPolicy);
  });
  // With a secret, nothing is served before a login: not the jobs, not the metrics.
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (LoggedIn(req)) return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Basic realm=\"spate\", charset=\"UTF-8\"");
    SendError(res, 401,
              "login needed: Authorization: Bearer <cluster secret>, or HTTP basic with the "
              "cluster secret as password");
    return httplib::Server::HandlerResponse::Handled;
  });

  std::string dev_dir = options_.dev_dir;
  if (dev_dir.empty() && std::getenv("SPATE_WEB_DEV_DIR") != nullptr) {
    dev_dir = std::getenv("SPATE_WEB_DEV_DIR");
  }
  if (!dev_dir.empty()) spdlog::warn("web UI: serving the page from {}, not the binary", dev_dir);
  auto asset = [dev_dir](const httplib::Request& req, httplib::Response& res) {
    const WebAsset* a = FindWebAsset(req.path);
    if (a == nullptr) {
      res.status = 404;
      res.set_content("not found\n", "text/plain; charset=utf-8");
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    if (!dev_dir.empty()) {
      // Only names of embedded assets get here: no path from the request reaches the disk.
      std::string name(a->path.substr(a->path.rfind('/') + 1));
      std::ifstream in(dev_dir + "/" + name, std::ios::binary);
      std::stringstream body;
      body << in.rdbuf();
      if (in) return res.set_content(body.str(), std::string(a->content_type).c_str());
    }
    res.set_content(a->body.data(), a->body.size(), std::string(a->content_type).c_str());
  };
  s.Get("/", asset);
  s.Get("/index.html", asset);
  s.Get(R"(/static/[A-Za-z0-9_.-]+)", asset);
  s.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) {
    const WebAsset* a = FindWebAsset("/static/favicon.svg");
    if (a == nullptr) {
      res.status = 404;
      return;
    }
    res.set_content(a->body.data(), a->body.size(), std::string(a->content_type).c_str());
  });

  s.Get("/api/v1", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200,
             {{"endpoints",
               {"/api/v1/cluster", "/api/v1/workers", "/api/v1/jobs", "/api/v1/jobs/{id}",
                "/api/v1/jobs/{id}/progress?limit=N", "/api/v1/jobs/{id}/results?batches=N&limit=N",
                "/metrics"}},
              {"killEnabled", options_.kill_enabled},
              {"csrfToken", csrf_token()}});
  });

  s.Get("/api/v1/cluster", [this](const httplib::Request&, httplib::Response& res) {
    const int64_t now = NowMs();
    auto workers = master_->registry().Snapshot();
    proto::ListJobsReply list;
    (void)master_->HandleListJobs(proto::ListJobsRequest(), &list);
    int alive = 0, cores = 0, cores_used = 0, active = 0;
    int64_t memory = 0, memory_used = 0;
    for (const auto& w : workers) {
      if (!w.alive) continue;
      ++alive;
      cores += w.cores;
      cores_used += w.cores_used;
      memory += w.memory_bytes;
      memory_used += w.memory_used;
    }
    for (const auto& j : list.jobs()) {
      if (j.state() == proto::WAITING || j.state() == proto::RUNNING ||
          j.state() == proto::RECOVERING) {
        ++active;
      }
    }
    SendJson(res, 200,
             {{"masterAddress", options_.master_address},
              {"uiAddress", url()},
              {"startedAt", web::IsoTime(started_ms_)},
              {"startedAtMs", started_ms_},
              {"now", web::IsoTime(now)},
              {"nowMs", now},
              {"workersAlive", alive},
              {"workersLost", static_cast<int>(workers.size()) - alive},
              {"cores", cores},
              {"coresUsed", cores_used},
              {"memoryBytes", memory},
              {"memoryUsedBytes", memory_used},
              {"jobsActive", active},
              {"jobsCompleted", list.jobs_size() - active},
              {"killEnabled", options_.kill_enabled},
              {"ha", options_.ha_status ? options_.ha_status() : nlohmann::json(nullptr)}});
  });

  s.Get("/api/v1/workers", [this](const httplib::Request&, httplib::Response& res) {
    const int64_t now = NowMs();
    auto workers = master_->registry().Snapshot();
    proto::ListJobsReply list;
    (void)master_->HandleListJobs(proto::ListJobsRequest(), &list);
    std::vector<proto::JobStatus> jobs(list.jobs().begin(), list.jobs().end());
    json out = json::array();
    for (const auto& w : workers) out.push_back(web::WorkerJson(w, jobs, now));
    SendJson(res, 200, out);
  });

  s.Get("/api/v1/jobs", [this](const httplib::Request&, httplib::Response& res) {
    const int64_t now = NowMs();
    proto::ListJobsReply list;
    Status st = master_->HandleListJobs(proto::ListJobsRequest(), &list);
    if (!st.ok()) return SendError(res, HttpStatusOf(st), st.message());
    std::vector<proto::JobStatus> jobs(list.jobs().begin(), list.jobs().end());
    // Newest first, as Spark lists applications.
    std::stable_sort(jobs.begin(), jobs.end(), [](const auto& a, const auto& b) {
      return a.submitted_at_ms() > b.submitted_at_ms();
    });
    json out = json::array();
    for (const auto& j : jobs) out.push_back(web::JobSummaryJson(j, now));
    SendJson(res, 200, out);
  });

  s.Get(R"(/api/v1/jobs/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    proto::GetJobRequest get;
    get.set_job_id(req.matches[1]);
    get.set_results_after_batch(INT64_MAX);
    get.set_progress_history(0);
    proto::GetJobReply reply;
    Status st = master_->HandleGetJob(get, &reply);
    if (!st.ok()) return SendError(res, HttpStatusOf(st), st.message());
    json j = web::JobDetailJson(reply.status(), TotalsOf(get.job_id()), NowMs());
    j["killEnabled"] = options_.kill_enabled;
    j["csrfToken"] = csrf_token();
    SendJson(res, 200, j);
  });

  s.Get(R"(/api/v1/jobs/([^/]+)/progress)",
        [this](const httplib::Request& req, httplib::Response& res) {
          proto::GetJobRequest get;
          get.set_job_id(req.matches[1]);
          get.set_results_after_batch(INT64_MAX);
          get.set_progress_history(IntParam(req, "limit", 100000, 0, 100000));
          proto::GetJobReply reply;
          Status st = master_->HandleGetJob(get, &reply);
          if (!st.ok()) return SendError(res, HttpStatusOf(st), st.message());
          json out = json::array();
          for (const auto& p : reply.history()) out.push_back(web::ProgressJson(p));
          SendJson(res, 200, out);
        });

  s.Get(R"(/api/v1/jobs/([^/]+)/results)", [this](const httplib::Request& req,
                                                  httplib::Response& res) {
    const int max_batches = IntParam(req, "batches", 10, 1, 1000);
    const int max_rows = IntParam(req, "limit", 500, 1, 100000);
    proto::GetJobRequest get;
    get.set_job_id(req.matches[1]);
    get.set_results_after_batch(INT64_MAX);
    proto::GetJobReply head;
    Status st = master_->HandleGetJob(get, &head);
    if (!st.ok()) return SendError(res, HttpStatusOf(st), st.message());
    // Ask only for the recent batches first: a job keeps up to 1000 result batches.
    const int64_t last = head.status().batches_committed() - 1;
    proto::GetJobReply reply;
    get.set_results_after_batch(std::max<int64_t>(-1, last - 4 * max_batches));
    (void)master_->HandleGetJob(get, &reply);
    int with_rows = 0;
    for (const auto& b : reply.results()) with_rows += b.rows_size() > 0 ? 1 : 0;
    if (with_rows < max_batches && get.results_after_batch() > -1) {
      reply.Clear();
      get.set_results_after_batch(-1);
      (void)master_->HandleGetJob(get, &reply);
    }
    SendJson(res, 200, web::ResultsJson(reply.status(), reply.results(), max_batches, max_rows));
  });

  // Kill and stop change a job: POST only, with the action named in a custom header (which a
  // cross-origin page cannot send without a CORS preflight, never granted here), a same-origin
  // request, and with a secret the CSRF token too.
  for (const std::string action : {"kill", "stop"}) {
    s.Post("/api/v1/jobs/([^/]+)/" + action,
           [this, action](const httplib::Request& req, httplib::Response& res) {
             if (!options_.kill_enabled) {
               return SendError(res, 403,
                                "killing and stopping jobs from the web UI is disabled; start "
                                "spate-master with --ui-kill-enabled");
             }
             if (req.get_header_value("X-Spate-Action") != action) {
               return SendError(res, 400, "missing header X-Spate-Action: " + action);
             }
             if (std::string why = ActionRefusal(req); !why.empty())
               return SendError(res, 403, why);
             Status st;
             if (action == "kill") {
               proto::KillJobRequest kill;
               kill.set_job_id(req.matches[1]);
               proto::KillJobReply reply;
               st = master_->HandleKillJob(kill, &reply);
             } else {
               proto::StopJobRequest stop;
               stop.set_job_id(req.matches[1]);
               stop.set_drain(req.has_param("drain") && req.get_param_value("drain") == "true");
               proto::StopJobReply reply;
               st = master_->HandleStopJob(stop, &reply);
             }
             if (!st.ok()) return SendError(res, HttpStatusOf(st), st.message());
             spdlog::info("job {}: {} from the web UI ({})", std::string(req.matches[1]), action,
                          req.remote_addr);
             SendJson(res, 200,
                      {{"jobId", std::string(req.matches[1])},
                       {action == "kill" ? "killed" : "stopped", true}});
           });
    s.Get("/api/v1/jobs/([^/]+)/" + action,
          [action](const httplib::Request&, httplib::Response& res) {
            res.set_header("Allow", "POST");
            SendError(res, 405, action + " needs a POST (with X-Spate-Action: " + action + ")");
          });
  }

  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    auto totals = TotalsCopy();
    proto::ListJobsReply list;
    (void)master_->HandleListJobs(proto::ListJobsRequest(), &list);
    std::vector<proto::JobStatus> jobs(list.jobs().begin(), list.jobs().end());
    res.set_header("Cache-Control", "no-store");
    std::string text = web::RenderMetrics(master_->registry().Snapshot(), jobs, totals, NowMs());
    text +=
        "# HELP spate_auth_failures_total gRPC calls refused for a missing or wrong proof of the "
        "cluster secret.\n# TYPE spate_auth_failures_total counter\nspate_auth_failures_total " +
        std::to_string(AuthFailureCount()) + "\n";
    if (options_.ha_metrics) text += options_.ha_metrics();
    res.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
  });

  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (req.path.rfind("/api/", 0) == 0) {
      SendError(res, res.status, res.status == 404 ? "no such endpoint: " + req.path : "error");
    } else if (res.status == 404) {
      res.set_content("not found\n", "text/plain; charset=utf-8");
    }
  });
}

}  // namespace spate::master
