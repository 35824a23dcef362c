#include "master/master.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <ctime>

#include "common/config.h"
#include "common/daemon.h"
#include "common/kafka_props.h"
#include "common/kafka_util.h"
#include "common/logging.h"
#include "common/rpc.h"
#include "jobs/registry.h"
#include "sql/sql.h"
#include "worker/sink.h"

namespace spate::master {
namespace {

class MasterGrpcService final : public proto::Master::Service {
 public:
  explicit MasterGrpcService(MasterHandler* h) : h_(h) {}
  SPATE_GRPC_METHOD(RegisterWorker, proto::RegisterWorkerRequest, proto::RegisterWorkerReply)
  SPATE_GRPC_METHOD(Heartbeat, proto::HeartbeatRequest, proto::HeartbeatReply)
  SPATE_GRPC_METHOD(SubmitJob, proto::SubmitJobRequest, proto::SubmitJobReply)
  SPATE_GRPC_METHOD(GetJob, proto::GetJobRequest, proto::GetJobReply)
  SPATE_GRPC_METHOD(ListJobs, proto::ListJobsRequest, proto::ListJobsReply)
  SPATE_GRPC_METHOD(KillJob, proto::KillJobRequest, proto::KillJobReply)
  SPATE_GRPC_METHOD(StopJob, proto::StopJobRequest, proto::StopJobReply)

 private:
  MasterHandler* h_;
};

std::string JobIdStamp(int64_t now_ms, int n) {
  std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "job-%04d%02d%02d%02d%02d%02d-%04d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, n);
  return buf;
}

}  // namespace

Status PlanSqlJob(proto::JobSpec* spec) {
  sql::PlanOptions options;
  options.default_bootstrap = spec->bootstrap();
  SPATE_ASSIGN_OR_RETURN(proto::QueryPlan plan, sql::PlanScript(spec->sql(), options));
  const auto& src = plan.source();
  // The script's tables say where to read and write; flags fill only what it leaves open.
  spec->set_topic(src.topic());
  spec->set_bootstrap(src.bootstrap());
  spec->set_starting_offsets(src.startup_mode() == "latest-offset" ? "latest" : "earliest");
  if (src.bounded()) spec->set_trigger("available-now");
  const auto& sink = plan.sink();
  if (sink.connector() == "filesystem") {
    spec->set_sink("file:" + sink.path());
  } else if (sink.connector() == "kafka") {
    spec->set_sink("kafka:" + sink.topic());
  } else {
    spec->set_sink("console");
  }
  if (spec->job_name().empty()) spec->set_job_name("sql");
  *spec->mutable_plan() = std::move(plan);
  return Status::OK();
}

Result<jobs::CompiledPlan> JobPlanOf(const proto::JobSpec& spec) {
  if (!spec.has_plan()) {
    std::vector<std::string> args(spec.job_args().begin(), spec.job_args().end());
    return jobs::BuildJob(spec.job_name(), args);
  }
  // What the job runner needs of a SQL job's plan: the watermark delay and names for pages.
  const auto& p = spec.plan();
  jobs::CompiledPlan plan;
  plan.watermark_delay_ms = p.watermark_delay_ms();
  const auto& w = p.window();
  plan.window_ms = w.kind() == proto::WINDOW_SESSION ? w.gap_ms() : w.size_ms();
  std::string keys;
  for (const auto& k : p.group_key_names()) keys += (keys.empty() ? "" : ",") + k;
  plan.key_column = keys;
  // The last output column names what is counted (crash_count), as the shipped jobs have it.
  plan.count_column =
      p.aggregate() && p.outputs_size() > 0 ? p.outputs(p.outputs_size() - 1).name() : "";
  plan.prefilter = p.prefilter();
  plan.description = p.description().empty() ? sql::DescribePlan(p) : p.description();
  return plan;
}

Status ValidateJobSpec(proto::JobSpec* spec) {
  if (!spec->sql().empty()) {
    SPATE_RETURN_IF_ERROR(PlanSqlJob(spec));
  } else {
    std::vector<std::string> args(spec->job_args().begin(), spec->job_args().end());
    SPATE_RETURN_IF_ERROR(jobs::BuildJob(spec->job_name(), args).status());
  }
  if (spec->num_executors() <= 0) spec->set_num_executors(1);
  if (spec->executor_cores() <= 0) spec->set_executor_cores(1);
  if (spec->executor_memory_bytes() <= 0) spec->set_executor_memory_bytes(int64_t{1} << 30);
  if (spec->shuffle_partitions() <= 0) spec->set_shuffle_partitions(spec->num_executors());
  if (spec->key_groups() <= 0) spec->set_key_groups(128);
  if (spec->shuffle_partitions() > spec->key_groups()) {
    return Status::InvalidArgument(
        "spate.sql.shuffle.partitions (" + std::to_string(spec->shuffle_partitions()) +
        ") must not exceed spate.key-groups (" + std::to_string(spec->key_groups()) + ")");
  }
  if (spec->topic().empty()) return Status::InvalidArgument("no --topic given");
  if (spec->bootstrap().empty()) return Status::InvalidArgument("no --bootstrap given");
  if (spec->starting_offsets().empty()) spec->set_starting_offsets("latest");
  if (spec->starting_offsets() != "earliest" && spec->starting_offsets() != "latest") {
    return Status::InvalidArgument("--starting-offsets must be earliest or latest, not '" +
                                   spec->starting_offsets() + "'");
  }
  if (spec->trigger().empty()) spec->set_trigger("processing-time=1s");
  SPATE_RETURN_IF_ERROR(ParseTriggerIntervalMs(spec->trigger()).status());
  if (spec->sink().empty()) spec->set_sink("console");
  SPATE_RETURN_IF_ERROR(worker::ValidateSinkSpec(spec->sink()));
  if (spec->max_offsets_per_trigger() < 0) {
    return Status::InvalidArgument("--max-offsets-per-trigger must be >= 0");
  }
  if (spec->idle_timeout_ms() <= 0) spec->set_idle_timeout_ms(30'000);
  for (const char* key : {"spate.task.timeout", "spate.source.stall-timeout"}) {
    auto it = spec->conf().find(key);
    if (it == spec->conf().end()) continue;
    auto ms = ParseDurationMs(it->second);
    if (!ms.ok()) return ms.status().WithContext(key);
    if (*ms <= 0) {
      return Status::InvalidArgument(std::string(key) + " must be a positive duration, not '" +
                                     it->second + "'");
    }
  }
  SPATE_RETURN_IF_ERROR(CheckJobKafkaProperties(*spec));
  SPATE_ASSIGN_OR_RETURN(auto kafka, MakeKafkaClient(RD_KAFKA_PRODUCER, spec->bootstrap(),
                                                     worker::SourceKafkaProperties(*spec)));
  SPATE_RETURN_IF_ERROR(PartitionCount(kafka.get(), spec->topic(), 5'000).status());
  return Status::OK();
}

MasterHandler::MasterHandler(const MasterOptions& options, std::unique_ptr<MetaStore> meta,
                             std::function<int64_t()> clock)
    : options_(options),
      meta_(std::move(meta)),
      registry_(std::move(clock), options.worker_timeout_ms) {
  auto jobs = meta_->LoadJobs();
  if (!jobs.ok()) {
    spdlog::error("cannot load jobs from {}: {}", options.state_dir, jobs.status().ToString());
    return;
  }
  // One unreadable record costs that job only: it is listed as FAILED (never resumed, since
  // its spec is unknown) and the other jobs load and resume.
  for (const auto& bad : jobs->unreadable) {
    ++next_job_;
    spdlog::error("job {}: not resumed: its record in {} cannot be read: {}", bad.job_id,
                  options.state_dir, bad.reason);
    proto::JobStatus j;
    j.set_job_id(bad.job_id);
    j.set_state(proto::FAILED);
    j.set_message("not resumed: its record in the master's state dir cannot be read (" +
                  bad.reason + ")");
    past_jobs_[bad.job_id] = std::move(j);
  }
  for (auto& j : jobs->jobs) {
    ++next_job_;
    const bool ended =
        j.state() == proto::FINISHED || j.state() == proto::KILLED || j.state() == proto::FAILED;
    if (ended) {
      past_jobs_[j.job_id()] = j;
      continue;
    }
    // A job the previous master was running resumes from its checkpoint's commit log once
    // workers have registered again.
    auto plan = JobPlanOf(j.spec());
    if (!plan.ok()) {
      j.set_state(proto::FAILED);
      j.set_message("cannot resume: " + plan.status().message());
      if (Status saved = meta_->PutJob(j); !saved.ok()) {
        spdlog::error("job {}: cannot save its state: {}", j.job_id(), saved.ToString());
      }
      past_jobs_[j.job_id()] = j;
      continue;
    }
    auto runner = std::make_shared<JobRunner>(j.job_id(), j.spec(), *plan,
                                              MasterContext{&registry_, meta_.get(), &clients_},
                                              /*resumed=*/true);
    jobs_[j.job_id()] = runner;
    spdlog::info("job {} resumes after a master restart", j.job_id());
    runner->Start();
  }
}

MasterHandler::~MasterHandler() {
  std::map<std::string, std::shared_ptr<JobRunner>> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs.swap(jobs_);
  }
  for (auto& [id, j] : jobs) j->Abandon();  // they resume when a master restarts
  jobs.clear();                             // joins the runner threads
}

Status MasterHandler::HandleRegisterWorker(const proto::RegisterWorkerRequest& request,
                                           proto::RegisterWorkerReply* reply) {
  const auto& w = request.worker();
  if (w.cores() <= 0 || w.memory_bytes() <= 0 || w.port() <= 0 || w.host().empty()) {
    return Status::InvalidArgument("worker registration needs host, port, cores and memory");
  }
  std::string id = registry_.Register(w);
  reply->set_worker_id(id);
  reply->set_heartbeat_interval_ms(options_.heartbeat_interval_ms);
  spdlog::info("worker {} registered: {}:{} with {} cores, {} MB", id, w.host(), w.port(),
               w.cores(), w.memory_bytes() >> 20);
  return Status::OK();
}

Status MasterHandler::HandleHeartbeat(const proto::HeartbeatRequest& request,
                                      proto::HeartbeatReply* reply) {
  std::vector<std::string> execs(request.executor_ids().begin(), request.executor_ids().end());
  reply->set_reregister(!registry_.Heartbeat(request.worker_id(), execs));
  return Status::OK();
}

Status MasterHandler::HandleSubmitJob(const proto::SubmitJobRequest& request,
                                      proto::SubmitJobReply* reply) {
  proto::JobSpec spec = request.spec();
  SPATE_RETURN_IF_ERROR(CheckJobSpecSize(spec));
  SPATE_RETURN_IF_ERROR(ValidateJobSpec(&spec));
  SPATE_RETURN_IF_ERROR(CheckJobPaths(spec, options_.job_path_roots));
  SPATE_ASSIGN_OR_RETURN(auto plan, JobPlanOf(spec));
  std::shared_ptr<JobRunner> runner;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::string id = JobIdStamp(NowMs(), next_job_++);
    // Without a checkpoint dir the job's state is checkpointed under the master's state dir,
    // which serves workers on the same machine; clusters across machines pass a shared path.
    if (spec.checkpoint_dir().empty()) {
      spec.set_checkpoint_dir(options_.state_dir + "/checkpoints/" + id);
    }
    runner = std::make_shared<JobRunner>(id, spec, plan,
                                         MasterContext{&registry_, meta_.get(), &clients_});
    jobs_[id] = runner;
    reply->set_job_id(id);
  }
  // A job that is not saved would be lost by a master restart: refuse it instead.
  if (Status saved = meta_->PutJob(runner->Status()); !saved.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.erase(reply->job_id());
    return saved.WithContext("cannot save job " + reply->job_id());
  }
  spdlog::info("job {} submitted: {} ({})", reply->job_id(), spec.job_name(), plan.description);
  runner->Start();
  return Status::OK();
}

Result<std::shared_ptr<JobRunner>> MasterHandler::FindJob(const std::string& job_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return Status::NotFound("no job " + job_id + " on this master");
  return it->second;
}

Status MasterHandler::HandleGetJob(const proto::GetJobRequest& request, proto::GetJobReply* reply) {
  auto job = FindJob(request.job_id());
  if (job.ok()) {
    (*job)->Fill(request, reply);
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    auto past = past_jobs_.find(request.job_id());
    if (past == past_jobs_.end()) return job.status();
    *reply->mutable_status() = past->second;
  }
  *reply->mutable_status() = RedactJobSecrets(std::move(*reply->mutable_status()));
  return Status::OK();
}

Status MasterHandler::HandleListJobs(const proto::ListJobsRequest&, proto::ListJobsReply* reply) {
  std::vector<std::shared_ptr<JobRunner>> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, j] : past_jobs_) *reply->add_jobs() = j;
    for (const auto& [id, j] : jobs_) jobs.push_back(j);
  }
  for (const auto& j : jobs) *reply->add_jobs() = j->Status();
  for (auto& j : *reply->mutable_jobs()) j = RedactJobSecrets(std::move(j));
  return Status::OK();
}

Status MasterHandler::HandleKillJob(const proto::KillJobRequest& request, proto::KillJobReply*) {
  SPATE_ASSIGN_OR_RETURN(auto job, FindJob(request.job_id()));
  job->Kill();
  return Status::OK();
}

Status MasterHandler::HandleStopJob(const proto::StopJobRequest& request, proto::StopJobReply*) {
  SPATE_ASSIGN_OR_RETURN(auto job, FindJob(request.job_id()));
  job->Stop(request.drain());
  return Status::OK();
}

void MasterHandler::CheckLiveness() {
  auto lost = registry_.ExpireLost();
  if (lost.empty()) return;
  std::vector<std::shared_ptr<JobRunner>> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, j] : jobs_) jobs.push_back(j);
  }
  for (const auto& w : lost) {
    spdlog::warn("worker {} lost: no heartbeat for {} ms", w, options_.worker_timeout_ms);
    for (const auto& j : jobs) j->OnWorkerLost(w);
  }
}

Result<std::unique_ptr<MasterServer>> MasterServer::Start(const MasterOptions& options) {
  SPATE_ASSIGN_OR_RETURN(auto meta, MetaStore::Open(options.state_dir));
  std::unique_ptr<MasterServer> m(new MasterServer());
  m->handler_ = std::make_unique<MasterHandler>(options, std::move(meta), NowMs);
  m->service_ = std::make_unique<MasterGrpcService>(m->handler_.get());
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(options.host + ":" + std::to_string(options.port),
                           MakeServerCredentials(), &bound);
  ConfigureServer(&builder);
  builder.RegisterService(m->service_.get());
  m->server_ = builder.BuildAndStart();
  if (!m->server_ || bound == 0) {
    return Status::Unavailable("cannot listen on " + options.host + ":" +
                               std::to_string(options.port) + " (port in use?)");
  }
  m->address_ = options.host + ":" + std::to_string(bound);
  m->liveness_ = std::thread([raw = m.get(), period = options.heartbeat_interval_ms] {
    while (!raw->stopping_) {
      raw->handler_->CheckLiveness();
      std::this_thread::sleep_for(std::chrono::milliseconds(std::max<int64_t>(period / 4, 50)));
    }
  });
  spdlog::info("master listening on {} (state in {}, worker timeout {} ms)", m->address_,
               options.state_dir, options.worker_timeout_ms);
  if (options.ui_port >= 0) {
    WebUiOptions ui;
    ui.host = options.ui_host.empty() ? options.host : options.ui_host;
    ui.auth_secret = GetTransportSecurity().auth_secret;
    ui.tls_cert_file = options.ui_tls_cert_file;
    ui.tls_key_file = options.ui_tls_key_file;
    ui.port = options.ui_port;
    ui.kill_enabled = options.ui_kill_enabled;
    ui.master_address = m->address_;
    auto web = WebUi::Start(m->handler_.get(), ui);
    // The cluster works without its page: a UI that cannot bind is reported, not fatal.
    if (web.ok()) {
      m->web_ui_ = std::move(*web);
    } else {
      spdlog::error("{}; the web UI is off", web.status().message());
    }
  }
  return m;
}

MasterServer::~MasterServer() { Shutdown(); }

void MasterServer::Shutdown() {
  if (stopping_.exchange(true)) return;
  if (web_ui_) web_ui_->Shutdown();
  if (liveness_.joinable()) liveness_.join();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  handler_.reset();
}

int RunMaster(int argc, char** argv) {
  CLI::App app("spate-master: the Spate cluster manager", "spate-master");
  MasterOptions o;
  std::string worker_timeout = "5s";
  std::string log_level = "info";
  app.add_option("--host", o.host, "address to bind")->capture_default_str();
  app.add_option("--port", o.port, "gRPC port (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--ui-port", o.ui_port,
                 "web page, JSON API and /metrics port (0: any free port, -1: no web UI)")
      ->capture_default_str()
      ->check(CLI::Range(-1, 65535));
  app.add_flag("--ui-kill-enabled", o.ui_kill_enabled, "allow killing jobs from the web page");
  app.add_option("--ui-host", o.ui_host, "address the web page binds (default: --host)");
  app.add_option("--job-path-roots", o.job_path_roots,
                 "directories inside which jobs' --checkpoint-dir and file: sinks must lie "
                 "(comma-separated; default: anywhere)")
      ->delimiter(',');
  app.add_option("--state-dir", o.state_dir, "RocksDB directory for jobs, offset and commit logs")
      ->capture_default_str();
  app.add_option("--worker-timeout", worker_timeout, "declare a worker lost after this silence")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  SecurityFlags security;
  AddSecurityFlags(&app, &security);
  std::vector<std::string> kafka_conf;
  app.add_option("--conf", kafka_conf,
                 "spate.kafka.KEY=VALUE: a librdkafka property for every Kafka client of this "
                 "daemon, any property allowed (repeatable)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (Status s = InitLogging("master", log_level); !s.ok()) {
    std::fprintf(stderr, "spate-master: %s\n", s.message().c_str());
    return 2;
  }
  auto transport_security = LoadTransportSecurity(security, /*server=*/true);
  if (!transport_security.ok()) {
    std::fprintf(stderr, "spate-master: %s\n", transport_security.status().message().c_str());
    return 2;
  }
  SetTransportSecurity(std::move(*transport_security));
  auto kafka_properties = ParseKafkaConfFlags(kafka_conf);
  if (!kafka_properties.ok()) {
    std::fprintf(stderr, "spate-master: %s\n", kafka_properties.status().message().c_str());
    return 2;
  }
  SetDaemonKafkaProperties(std::move(*kafka_properties));
  o.ui_tls_cert_file = security.tls_cert;
  o.ui_tls_key_file = security.tls_key;
  auto timeout = ParseDurationMs(worker_timeout);
  if (!timeout.ok() || *timeout <= 0) {
    std::fprintf(stderr, "spate-master: --worker-timeout: %s\n",
                 timeout.ok() ? "must be positive" : timeout.status().message().c_str());
    return 2;
  }
  o.worker_timeout_ms = *timeout;
  o.heartbeat_interval_ms = std::clamp<int64_t>(*timeout / 5, 50, 1000);
  auto server = MasterServer::Start(o);
  if (!server.ok()) {
    std::fprintf(stderr, "spate-master: %s\n", server.status().message().c_str());
    return 1;
  }
  WaitForShutdownSignal();
  spdlog::info("shutting down");
  (*server)->Shutdown();
  return 0;
}

}  // namespace spate::master
