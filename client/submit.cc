#include "client/submit.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "common/config.h"
#include "common/kafka_props.h"
#include "common/logging.h"
#include "common/rpc.h"
#include "common/text.h"
#include "common/window.h"
#include "jobs/registry.h"
#include "master/master.h"
#include "proto/spate.grpc.pb.h"
#include "sql/sql.h"
#include "worker/sink.h"
#include "worker/worker.h"

namespace spate::client {
namespace {

constexpr auto kRpcTimeout = std::chrono::seconds(10);
std::atomic<int> g_interrupts{0};
void OnSignal(int) { ++g_interrupts; }

Result<int64_t> ParsePositive(const std::string& key, const std::string& value) {
  int64_t v = 0;
  try {
    size_t used = 0;
    v = std::stoll(value, &used);
    if (used != value.size()) throw std::invalid_argument(value);
  } catch (...) {
    return Status::InvalidArgument(key + " must be a number, not '" + value + "'");
  }
  if (v <= 0) return Status::InvalidArgument(key + " must be positive");
  return v;
}

Result<std::string> ReadFileToString(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::NotFound("cannot read " + path + ": " + std::strerror(errno));
  std::string out;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

std::string Rate(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f", v);
  return buf;
}

std::string EventTime(int64_t ms) {
  if (ms == INT64_MIN) return "none";
  if (ms == INT64_MAX) return "end of time";
  return FormatUtcSeconds(ms);
}

std::string ProgressLine(const proto::BatchProgress& p) {
  return "batch " + std::to_string(p.batch_id()) + ": " + std::to_string(p.num_input_rows()) +
         " rows in " + std::to_string(p.total_ms()) + " ms (" +
         Rate(p.processed_rows_per_second()) + " rows/s processed, " +
         Rate(p.input_rows_per_second()) + " rows/s input), " + std::to_string(p.rows_matched()) +
         " matched, " + std::to_string(p.rows_dropped_by_watermark()) + " late, " +
         std::to_string(p.malformed_rows()) + " malformed, " + std::to_string(p.rows_emitted()) +
         " rows out, watermark " + EventTime(p.watermark_ms());
}

// Calls the leading master; with standby masters (a list), a call that finds its master down
// or standing by asks the others which one leads and goes there.
class MasterClient {
 public:
  explicit MasterClient(std::vector<std::string> addresses) : link_(std::move(addresses)) {}

  template <typename Req, typename Rep, typename Fn>
  Status Call(const char* what, Fn fn, const Req& req, Rep* rep) {
    grpc::Status s;
    std::string address;
    for (int tries = 0; tries < 3; ++tries) {
      address = link_.address();
      auto ctx = MakeContext(kRpcTimeout);
      s = (link_.stub()->*fn)(ctx.get(), req, rep);
      if (!Away(s) || !link_.Failover()) break;
    }
    if (Away(s)) {
      return Status::Unavailable("cannot reach the master at " + address + " (" +
                                 s.error_message() + ")");
    }
    return FromGrpcStatus(s, what);
  }

  Result<proto::GetJobReply> GetJob(const std::string& id, int64_t after, int history = 1) {
    proto::GetJobRequest req;
    req.set_job_id(id);
    req.set_results_after_batch(after);
    req.set_progress_history(history);
    proto::GetJobReply rep;
    SPATE_RETURN_IF_ERROR(Call("GetJob", &proto::Master::Stub::GetJob, req, &rep));
    return rep;
  }

 private:
  // The master is down, unreachable, standing by, or shutting down (its server cancels the
  // calls in flight; this client never cancels its own).
  static bool Away(const grpc::Status& s) {
    return s.error_code() == grpc::StatusCode::UNAVAILABLE ||
           s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
           s.error_code() == grpc::StatusCode::CANCELLED;
  }

  worker::MasterLink link_;
};

bool Terminal(proto::JobState s) {
  return s == proto::FINISHED || s == proto::FAILED || s == proto::KILLED;
}

// Follows a job until it ends: console tables on stdout, progress on stderr.
int Attach(MasterClient& master, const std::string& job_id, bool print_tables, bool quiet) {
  int64_t printed = -1;
  int64_t last_progress = -1;
  int handled_interrupts = 0;
  std::string last_message;
  int64_t last_contact = NowMs();
  bool warned = false;
  constexpr int64_t kMasterGoneMs = 120'000;
  while (true) {
    auto reply = master.GetJob(job_id, printed, /*history=*/100);
    if (!reply.ok()) {
      // A master that restarts resumes its jobs: keep following for a while.
      if (reply.status().code() == StatusCode::kUnavailable && g_interrupts == 0 &&
          NowMs() - last_contact < kMasterGoneMs) {
        if (!warned)
          std::fprintf(stderr, "spate-submit: %s; waiting for it\n",
                       reply.status().message().c_str());
        warned = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        continue;
      }
      std::fprintf(stderr, "spate-submit: %s\n", reply.status().message().c_str());
      return 1;
    }
    last_contact = NowMs();
    warned = false;
    const auto& st = reply->status();
    worker::RowSchema schema{st.key_column(), st.count_column(), {}};
    for (const auto& o : st.spec().plan().outputs()) schema.columns.push_back(o.name());
    for (const auto& b : reply->results()) {
      if (print_tables) {
        std::vector<proto::ResultRow> rows(b.rows().begin(), b.rows().end());
        std::fputs(worker::FormatConsoleBatch(b.batch_id(), rows, schema).c_str(), stdout);
        std::fflush(stdout);
      }
      printed = std::max(printed, b.batch_id());
    }
    // Every batch committed since the last poll, not only the newest (up to 100 a poll).
    for (const auto& p : reply->history()) {
      if (quiet || p.batch_id() <= last_progress) continue;
      last_progress = p.batch_id();
      std::fprintf(stderr, "%s\n", ProgressLine(p).c_str());
    }
    if (!quiet && st.message() != last_message) {
      last_message = st.message();
      std::fprintf(stderr, "job %s: %s: %s\n", job_id.c_str(),
                   proto::JobState_Name(st.state()).c_str(), st.message().c_str());
    }
    if (Terminal(st.state())) return st.state() == proto::FINISHED ? 0 : 1;
    int interrupts = g_interrupts.load();
    if (interrupts > handled_interrupts) {
      handled_interrupts = interrupts;
      proto::StopJobReply rep;
      proto::KillJobReply krep;
      if (interrupts == 1) {
        std::fprintf(stderr, "stopping job %s after its running batch (Ctrl-C again to kill)\n",
                     job_id.c_str());
        proto::StopJobRequest req;
        req.set_job_id(job_id);
        (void)master.Call("StopJob", &proto::Master::Stub::StopJob, req, &rep);
      } else {
        proto::KillJobRequest req;
        req.set_job_id(job_id);
        (void)master.Call("KillJob", &proto::Master::Stub::KillJob, req, &krep);
        return 130;
      }
    }
    // Short: the end of an available-now job is seen within 50 ms (200 ms added 0.1 s on
    // average to a 2 s catch-up of 10 M records).
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string JobList(const proto::ListJobsReply& reply) {
  std::string out =
      "JOB                         STATE       NAME            BATCHES   INPUT ROWS\n";
  for (const auto& j : reply.jobs()) {
    char line[256];
    std::snprintf(line, sizeof(line), "%-27s %-11s %-15s %-9lld %lld\n", j.job_id().c_str(),
                  proto::JobState_Name(j.state()).c_str(), j.spec().job_name().c_str(),
                  static_cast<long long>(j.batches_committed()),
                  static_cast<long long>(j.total_input_rows()));
    out += line;
  }
  return out;
}

}  // namespace

Status ApplyConf(const std::string& key_value, proto::JobSpec* spec) {
  size_t eq = key_value.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::InvalidArgument("--conf expects key=value, got '" + key_value + "'");
  }
  std::string key = key_value.substr(0, eq);
  std::string value = key_value.substr(eq + 1);
  (*spec->mutable_conf())[key] = value;
  if (key == "spate.sql.shuffle.partitions" || key == "spark.sql.shuffle.partitions") {
    SPATE_ASSIGN_OR_RETURN(int64_t n, ParsePositive(key, value));
    spec->set_shuffle_partitions(static_cast<int32_t>(n));
  } else if (key == "spate.key-groups") {
    SPATE_ASSIGN_OR_RETURN(int64_t n, ParsePositive(key, value));
    if (n > 32768) return Status::InvalidArgument("spate.key-groups must be at most 32768");
    spec->set_key_groups(static_cast<int32_t>(n));
  } else if (key == "spate.source.idle-timeout") {
    SPATE_ASSIGN_OR_RETURN(int64_t ms, ParseDurationMs(value));
    spec->set_idle_timeout_ms(ms);
  } else if (key == "spate.source.stall-timeout" || key == "spate.task.timeout") {
    auto ms = ParseDurationMs(value);
    if (!ms.ok()) return ms.status().WithContext(key);
    if (*ms <= 0) {
      return Status::InvalidArgument(key + " must be a positive duration, not '" + value + "'");
    }
  } else if (key == "spate.event-time.max-future") {
    auto ms = ParseDurationMs(value);
    if (!ms.ok()) return ms.status().WithContext(key);
    if (*ms < 0) return Status::InvalidArgument(key + " must not be negative, not '" + value + "'");
  } else if (key == "spate.job.engine") {
    if (value != "sql" && value != "compiled") {
      return Status::InvalidArgument("spate.job.engine must be sql or compiled, not '" + value +
                                     "'");
    }
  } else if (key == "spate.checkpoint.snapshot-interval" ||
             key == "spate.checkpoint.retained-batches") {
    SPATE_RETURN_IF_ERROR(ParsePositive(key, value).status());
  } else if (key == "spate.source.prefilter" || key == "spate.source.fail-on-data-loss") {
    if (value != "true" && value != "false") {
      return Status::InvalidArgument(key + " must be true or false");
    }
  } else if (key.rfind("spate.kafka.", 0) == 0) {
    SPATE_RETURN_IF_ERROR(CheckJobKafkaProperty(key.substr(std::string("spate.kafka.").size())));
  } else {
    return Status::InvalidArgument(
        "unknown --conf key '" + key +
        "' (known: spate.sql.shuffle.partitions, spate.key-groups, spate.job.engine, "
        "spate.source.idle-timeout, "
        "spate.source.prefilter, spate.source.stall-timeout, spate.task.timeout, "
        "spate.checkpoint.snapshot-interval, spate.event-time.max-future, "
        "spate.source.fail-on-data-loss, spate.checkpoint.retained-batches, "
        "spate.kafka.<librdkafka property>)");
  }
  return Status::OK();
}

Result<int> ParseLocalMaster(const std::string& master) {
  if (master == "local") return 1;
  if (master.rfind("local[", 0) != 0 || master.back() != ']') {
    return Status::NotFound("not a local master");
  }
  std::string n = master.substr(6, master.size() - 7);
  if (n == "*") return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  SPATE_ASSIGN_OR_RETURN(int64_t cores, ParsePositive("local[N]", n));
  return static_cast<int>(cores);
}

std::string FormatStatus(const proto::GetJobReply& reply) {
  const auto& st = reply.status();
  std::string out = proto::JobState_Name(st.state()) + "\n";
  out += "job:        " + st.job_id() + " (" + st.spec().job_name() + ")\n";
  out += "message:    " + st.message() + "\n";
  out += "batches:    " + std::to_string(st.batches_committed()) + " committed\n";
  out += "input rows: " + std::to_string(st.total_input_rows()) + "\n";
  out += "late rows:  " + std::to_string(st.total_rows_dropped_by_watermark()) +
         " dropped behind the watermark\n";
  out += "malformed:  " + std::to_string(st.total_malformed_rows()) + "\n";
  if (st.total_offsets_lost() > 0) {
    out += "lost:       " + std::to_string(st.total_offsets_lost()) +
           " offsets deleted from Kafka before they were read (skipped)\n";
  }
  out += "emitted:    " + std::to_string(st.total_rows_emitted()) + " rows\n";
  out += "recovery:   " + std::to_string(st.recoveries()) + " recoveries, " +
         std::to_string(st.replayed_batches()) + " failed attempts replayed, " +
         std::to_string(st.restored_state_rows()) +
         " state rows restored from the checkpoint, last took " +
         std::to_string(st.last_recovery_ms()) + " ms\n";
  out += "checkpoint: " + st.spec().checkpoint_dir() + "\n";
  if (st.epoch() > 0) {
    out += "leader:     epoch " + std::to_string(st.epoch()) +
           (st.takeover_ms() > 0 ? "; taken over in " + std::to_string(st.takeover_ms()) +
                                       " ms (from the previous leader's last sign of life to "
                                       "this job's first batch committed under this one)"
                                 : "") +
           "\n";
  }
  // The newest few malformed and late records, so a user can see what went wrong.
  const int n = st.recent_samples_size();
  for (int i = std::max(0, n - 3); i < n; ++i) {
    const auto& s = st.recent_samples(i);
    std::string what = s.kind() == "late"
                           ? "late (event time " + std::to_string(s.event_time_ms()) +
                                 " ms, watermark " + std::to_string(s.watermark_ms()) + " ms)"
                           : "malformed (" + s.reason() + ")";
    // Raw bytes from the record: escaped, so the terminal gets one line of plain text.
    std::string value = EscapeForDisplay(std::string_view(s.value()).substr(0, 120));
    out += "bad record: " + what + " at partition " + std::to_string(s.partition()) + " offset " +
           std::to_string(s.offset()) + ": " + value +
           (s.value().size() > 120 || s.truncated() ? "..." : "") + "\n";
  }
  for (const auto& e : st.executors()) {
    std::string parts, ranges;
    for (int p : e.kafka_partitions()) parts += (parts.empty() ? "" : ",") + std::to_string(p);
    for (const auto& r : e.key_groups()) {
      ranges += (ranges.empty() ? "" : ",") + std::to_string(r.begin()) + "-" +
                std::to_string(r.end() - 1);
    }
    out += "executor:   " + e.executor_id() + " on " + e.worker_id() + " (" + e.address() + "), " +
           std::to_string(e.cores()) + " cores, kafka partitions [" + parts + "], key groups [" +
           ranges + "]\n";
  }
  for (const auto& t : st.executor_totals()) {
    out += "shuffle:    " + t.executor_id() + " read " + std::to_string(t.records_read()) +
           " records, wrote " + std::to_string(t.shuffle_bytes_written()) + " shuffle bytes (" +
           std::to_string(t.shuffle_bytes_remote()) + " to other workers), read " +
           std::to_string(t.shuffle_bytes_read()) + " shuffle bytes, " + std::to_string(t.tasks()) +
           " tasks, at most " + std::to_string(t.max_concurrent_tasks()) + " at once\n";
  }
  if (st.has_last_progress() && st.batches_committed() > 0) {
    out += "last:       " + ProgressLine(st.last_progress()) + "\n";
  }
  return out;
}

int RunSubmit(int argc, char** argv) {
  CLI::App app(
      "spate-submit: submit a job to a Spate cluster, or ask about jobs\n\n"
      "  spate-submit [options] JOB [job arguments]   (jobs: crash-detector, logs-processor;\n"
      "                                                 JOB --help lists a job's arguments)\n"
      "  spate-submit [options] --sql-file FILE | --sql 'TEXT' [--explain]   (a SQL job)\n"
      "  spate-submit --master URL --status JOB | --list | --kill JOB | --stop JOB [--drain]",
      "spate-submit");
  std::string master = "spate://127.0.0.1:7077";
  proto::JobSpec spec;
  int num_executors = 0, executor_cores = 0;
  std::string executor_memory = "1G";
  std::vector<std::string> confs;
  std::string bootstrap = EnvOr("KAFKA_BROKER", "127.0.0.1:19092");
  std::string topic = EnvOr("KAFKA_TOPIC", "logs");
  std::string starting_offsets = "latest";
  int64_t max_offsets = 0;
  std::string trigger = "processing-time=1s";
  std::string checkpoint_dir, sink = "console", name;
  bool detach = false, list = false, drain = false, quiet = false, explain = false;
  std::string sql_text, sql_file;
  std::string status_job, kill_job, stop_job, log_level = "warn";
  app.add_option("--master", master,
                 "spate://HOST:PORT (standby masters: spate://HOST:PORT,HOST:PORT,...), or "
                 "local[N] to run in this process")
      ->capture_default_str();
  app.add_option("--num-executors", num_executors, "executors to start")
      ->check(CLI::Range(1, 1024));
  app.add_option("--executor-cores", executor_cores, "concurrent tasks per executor")
      ->check(CLI::Range(1, 1024));
  app.add_option("--executor-memory", executor_memory, "memory per executor (state cache, shuffle)")
      ->capture_default_str();
  // One key=value per --conf (repeatable): a vector option would also swallow the job name.
  app.add_option("--conf", confs, "key=value (e.g. spate.sql.shuffle.partitions=4)")
      ->allow_extra_args(false);
  app.add_option("--bootstrap", bootstrap, "Kafka bootstrap servers (env KAFKA_BROKER)")
      ->capture_default_str();
  app.add_option("--topic", topic, "input topic (env KAFKA_TOPIC)")->capture_default_str();
  app.add_option("--starting-offsets", starting_offsets, "earliest or latest")
      ->capture_default_str();
  app.add_option("--max-offsets-per-trigger", max_offsets, "bound on records per batch (0: none)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--trigger", trigger, "processing-time=<duration> or available-now")
      ->capture_default_str();
  app.add_option("--checkpoint-dir", checkpoint_dir, "where job state is checkpointed");
  app.add_option("--sink", sink, "console, file:DIR or kafka:TOPIC")->capture_default_str();
  app.add_option("--name", name, "a name for the job");
  app.add_option("--sql", sql_text, "the job as a SQL script (Flink's dialect)");
  app.add_option("--sql-file", sql_file, "the job as a SQL script in a file");
  app.add_flag("--explain", explain, "print the plan of the SQL job and exit");
  app.add_flag("--detach", detach, "print the job id and return at once");
  app.add_flag("--quiet", quiet, "no progress lines on stderr when attached");
  app.add_option("--status", status_job, "print a job's state and progress");
  app.add_flag("--list", list, "list the master's jobs");
  app.add_option("--kill", kill_job, "kill a job");
  app.add_option("--stop", stop_job, "stop a job after its running batch");
  app.add_flag("--drain", drain, "with --stop: emit every open window first");
  app.add_option("--log-level", log_level, "log level of an in-process (local) cluster")
      ->capture_default_str();
  SecurityFlags security;
  AddSecurityFlags(&app, &security);
  app.prefix_command();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::vector<std::string> rest = app.remaining();
  if (Status s = InitLogging("submit", log_level); !s.ok()) {
    std::fprintf(stderr, "spate-submit: %s\n", s.message().c_str());
    return 2;
  }
  auto fail = [](const Status& s, int code) {
    std::fprintf(stderr, "spate-submit: %s\n", s.message().c_str());
    return code;
  };
  {
    auto transport_security = LoadTransportSecurity(security, /*server=*/false);
    if (!transport_security.ok()) return fail(transport_security.status(), 2);
    if (transport_security->tls() && ParseLocalMaster(master).ok()) {
      return fail(Status::InvalidArgument("--tls-* need a spate://HOST:PORT master, not " + master),
                  2);
    }
    SetTransportSecurity(std::move(*transport_security));
  }

  // A shipped job (crash-detector ...) runs its SQL template (jobs/*.sql) with the job's flags
  // filled in; spate.job.engine=compiled runs its compiled pipeline (a benchmark baseline).
  bool templated = false;
  const bool given_sql = !sql_text.empty() || !sql_file.empty();
  bool compiled = false;
  for (const auto& c : confs) {
    if (c == "spate.job.engine=compiled") compiled = true;
    if (c == "spate.job.engine=sql") compiled = false;
  }
  if (!given_sql && !rest.empty()) {
    const std::vector<std::string> job_args(rest.begin() + 1, rest.end());
    auto plan = jobs::BuildJob(rest.front(), job_args);
    if (!plan.ok()) {
      bool help = plan.status().message().find("Usage:") != std::string::npos ||
                  plan.status().message().find("Options:") != std::string::npos;
      std::fprintf(help ? stdout : stderr, "%s%s\n",
                   help ? "" : "spate-submit: ", plan.status().message().c_str());
      return help ? 0 : 2;
    }
    if (!compiled) {
      auto text =
          jobs::RenderJobSql(rest.front(), job_args, {bootstrap, topic, starting_offsets, sink});
      if (!text.ok()) return fail(text.status(), 2);
      sql_text = std::move(*text);
      templated = true;
    }
  }
  // A SQL job is planned here first, so a bad script fails before anything starts.
  const bool is_sql = !sql_text.empty() || !sql_file.empty();
  proto::QueryPlan sql_plan;
  if (is_sql) {
    if (!sql_text.empty() && !sql_file.empty()) {
      return fail(Status::InvalidArgument("give --sql or --sql-file, not both"), 2);
    }
    if (!templated && !rest.empty()) {
      return fail(Status::InvalidArgument("a SQL job takes no job name or arguments (got '" +
                                          rest.front() + "')"),
                  2);
    }
    std::string where = templated ? rest.front() : "--sql";
    if (!sql_file.empty()) {
      auto text = ReadFileToString(sql_file);
      if (!text.ok()) return fail(text.status().WithContext("--sql-file"), 2);
      sql_text = std::move(*text);
      where = sql_file;
    }
    sql::PlanOptions po;
    po.default_bootstrap = bootstrap;
    auto planned = sql::PlanScript(sql_text, po);
    if (!planned.ok()) return fail(planned.status().WithContext(where), 2);
    sql_plan = std::move(*planned);
    if (explain) {
      std::fputs(sql::ExplainPlan(sql_plan).c_str(), stdout);
      return 0;
    }
  } else if (explain) {
    return fail(Status::InvalidArgument("--explain needs --sql-file or --sql"), 2);
  }

  // An in-process cluster for local[N].
  std::unique_ptr<master::MasterServer> local_master;
  std::unique_ptr<worker::WorkerServer> local_worker;
  std::string local_dir;
  auto local = ParseLocalMaster(master);
  std::string address;
  if (local.ok()) {
    if (!status_job.empty() || list || !kill_job.empty() || !stop_job.empty()) {
      return fail(Status::InvalidArgument("--status, --list, --kill and --stop need a "
                                          "spate://HOST:PORT master"),
                  2);
    }
    local_dir =
        (std::filesystem::temp_directory_path() / ("spate-local-" + std::to_string(::getpid())))
            .string();
    master::MasterOptions mo;
    mo.port = 0;
    mo.state_dir = local_dir + "/master";
    auto m = master::MasterServer::Start(mo);
    if (!m.ok()) return fail(m.status(), 1);
    local_master = std::move(*m);
    worker::WorkerOptions wo;
    wo.master = local_master->address();
    wo.cores = *local;
    wo.memory_bytes = ParseBytes(executor_memory).ValueOr(int64_t{1} << 30) * 2;
    wo.port = 0;
    wo.work_dir = local_dir + "/worker";
    auto w = worker::WorkerServer::Start(wo);
    if (!w.ok()) return fail(w.status(), 1);
    local_worker = std::move(*w);
    address = local_master->address();
    num_executors = 1;
    executor_cores = *local;
  }
  std::vector<std::string> masters = {address};
  if (!local.ok()) {
    auto urls = worker::ParseMasterUrls(master);
    if (!urls.ok()) return fail(urls.status(), 2);
    masters = std::move(*urls);
  }
  MasterClient client(std::move(masters));
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      if (!dir.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
    }
  } cleanup{local_dir};

  if (!status_job.empty()) {
    auto reply = client.GetJob(status_job, INT64_MAX);
    if (!reply.ok()) return fail(reply.status(), 1);
    std::fputs(FormatStatus(*reply).c_str(), stdout);
    return 0;
  }
  if (list) {
    proto::ListJobsReply reply;
    Status s =
        client.Call("ListJobs", &proto::Master::Stub::ListJobs, proto::ListJobsRequest(), &reply);
    if (!s.ok()) return fail(s, 1);
    std::fputs(JobList(reply).c_str(), stdout);
    return 0;
  }
  if (!kill_job.empty()) {
    proto::KillJobRequest req;
    req.set_job_id(kill_job);
    proto::KillJobReply reply;
    Status s = client.Call("KillJob", &proto::Master::Stub::KillJob, req, &reply);
    if (!s.ok()) return fail(s, 1);
    std::printf("killed %s\n", kill_job.c_str());
    return 0;
  }
  if (!stop_job.empty()) {
    proto::StopJobRequest req;
    req.set_job_id(stop_job);
    req.set_drain(drain);
    proto::StopJobReply reply;
    Status s = client.Call("StopJob", &proto::Master::Stub::StopJob, req, &reply);
    if (!s.ok()) return fail(s, 1);
    std::printf("stopping %s%s\n", stop_job.c_str(), drain ? " (draining)" : "");
    return 0;
  }

  if (rest.empty() && !is_sql) {
    return fail(Status::InvalidArgument("no job given (jobs: crash-detector, logs-processor; "
                                        "or --sql-file; see --help)"),
                2);
  }
  if (is_sql) spec.set_sql(sql_text);
  if (is_sql && !templated) {
    spec.set_job_name("sql");
  } else {
    spec.set_job_name(rest.front());
    for (size_t i = 1; i < rest.size(); ++i) spec.add_job_args(rest[i]);
  }
  spec.set_num_executors(num_executors > 0 ? num_executors : 1);
  spec.set_executor_cores(executor_cores > 0 ? executor_cores : 1);
  auto mem = ParseBytes(executor_memory);
  if (!mem.ok()) return fail(mem.status().WithContext("--executor-memory"), 2);
  spec.set_executor_memory_bytes(*mem);
  for (const auto& c : confs) {
    if (Status s = ApplyConf(c, &spec); !s.ok()) return fail(s, 2);
  }
  spec.set_bootstrap(bootstrap);
  spec.set_topic(topic);
  spec.set_starting_offsets(starting_offsets);
  spec.set_max_offsets_per_trigger(max_offsets);
  // A SQL job's tables name its source and sink; --trigger available-now still bounds it.
  spec.set_trigger(!is_sql || templated || app.count("--trigger") > 0 ? trigger : "");
  spec.set_checkpoint_dir(checkpoint_dir);
  spec.set_sink(sink);
  if (is_sql) {
    spec.set_topic(sql_plan.source().topic());
    spec.set_sink(sql_plan.sink().connector() == "print" ? "console" : "");
  }
  spec.set_app_name(!name.empty()          ? name
                    : is_sql && !templated ? sql::DescribePlan(sql_plan)
                                           : spec.job_name());

  proto::SubmitJobRequest req;
  *req.mutable_spec() = spec;
  proto::SubmitJobReply reply;
  Status s = client.Call("submit", &proto::Master::Stub::SubmitJob, req, &reply);
  if (!s.ok()) {
    return fail(s, s.code() == StatusCode::kInvalidArgument ? 2 : 1);
  }
  if (detach) {
    std::printf("%s\n", reply.job_id().c_str());
    return 0;
  }
  if (!quiet) std::fprintf(stderr, "submitted %s\n", reply.job_id().c_str());
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  return Attach(client, reply.job_id(), spec.sink() == "console", quiet);
}

}  // namespace spate::client
