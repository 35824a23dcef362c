#include "master/master.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <ctime>
#include <filesystem>

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

namespace fs = std::filesystem;
namespace {

// A path as compared with another: symbolic links and ".." resolved where it exists, as written
// (normalized) where that fails.
fs::path ComparablePath(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(path, ec);
  return ec ? fs::path(path).lexically_normal() : p;
}

// With standby masters the handler exists only once this master leads: until then every rpc
// but Leader answers UNAVAILABLE, naming the leader, and clients go there. Every rpc first checks
// the caller's proof of the cluster secret.
#define SPATE_LEADER_METHOD(Rpc, Request, Reply)                                              \
  grpc::Status Rpc(grpc::ServerContext* ctx, const Request* request, Reply* reply) override { \
    if (grpc::Status denied = ::spate::AuthorizeCall(ctx, #Rpc); !denied.ok()) return denied; \
    MasterHandler* h = h_->load();                                                            \
    if (!h) return Standby();                                                                 \
    return ::spate::ToGrpcStatus(h->Handle##Rpc(*request, reply));                            \
  }

class MasterGrpcService final : public proto::Master::Service {
 public:
  explicit MasterGrpcService(std::atomic<MasterHandler*>* h) : h_(h) {}
  /// Set once the port is bound (and, with standby masters, the election joined).
  void Configure(LeaderElection* election, std::string self) {
    std::lock_guard<std::mutex> lock(mu_);
    election_ = election;
    self_ = std::move(self);
  }
  SPATE_LEADER_METHOD(RegisterWorker, proto::RegisterWorkerRequest, proto::RegisterWorkerReply)
  SPATE_LEADER_METHOD(Heartbeat, proto::HeartbeatRequest, proto::HeartbeatReply)
  SPATE_LEADER_METHOD(SubmitJob, proto::SubmitJobRequest, proto::SubmitJobReply)
  SPATE_LEADER_METHOD(GetJob, proto::GetJobRequest, proto::GetJobReply)
  SPATE_LEADER_METHOD(ListJobs, proto::ListJobsRequest, proto::ListJobsReply)
  SPATE_LEADER_METHOD(KillJob, proto::KillJobRequest, proto::KillJobReply)
  SPATE_LEADER_METHOD(StopJob, proto::StopJobRequest, proto::StopJobReply)

  grpc::Status Leader(grpc::ServerContext* ctx, const proto::LeaderRequest*,
                      proto::LeaderReply* reply) override {
    if (grpc::Status denied = AuthorizeCall(ctx, "Leader"); !denied.ok()) return denied;
    auto [election, self] = Config();
    reply->set_self_address(self);
    if (!election) {
      reply->set_is_leader(h_->load() != nullptr);
      reply->set_leader_address(self);
      return grpc::Status::OK;
    }
    auto info = election->Leader();
    if (!info.ok()) return ToGrpcStatus(info.status());
    reply->set_is_leader(h_->load() != nullptr && info->self);
    reply->set_leader_address(info->address);
    reply->set_leader_ui_address(info->ui_address);
    reply->set_epoch(info->epoch);
    reply->set_takeover_ms(election->takeover_ms());
    return grpc::Status::OK;
  }

 private:
  std::pair<LeaderElection*, std::string> Config() {
    std::lock_guard<std::mutex> lock(mu_);
    return {election_, self_};
  }
  grpc::Status Standby() {
    auto [election, self] = Config();
    std::string leader = "not elected yet";
    if (election) {
      auto info = election->Leader();
      if (info.ok() && !info->address.empty() && !info->self) leader = info->address;
    }
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "standby master " + self + "; the leader is " + leader);
  }

  std::atomic<MasterHandler*>* h_;
  std::mutex mu_;
  LeaderElection* election_ = nullptr;
  std::string self_;
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
  if (auto it = spec->conf().find("spate.event-time.max-future"); it != spec->conf().end()) {
    auto ms = ParseDurationMs(it->second);
    if (!ms.ok()) return ms.status().WithContext("spate.event-time.max-future");
    if (*ms < 0) {
      return Status::InvalidArgument("spate.event-time.max-future must not be negative, not '" +
                                     it->second + "'");
    }
  }
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

MasterHandler::MasterHandler(const MasterOptions& options, std::unique_ptr<JobStore> meta,
                             std::function<int64_t()> clock, LeaderElection* election)
    : options_(options),
      meta_(std::move(meta)),
      election_(election),
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
    auto runner = std::make_shared<JobRunner>(j.job_id(), j.spec(), *plan, Context(),
                                              /*resumed=*/true);
    jobs_[j.job_id()] = runner;
    spdlog::info("job {} resumes {}", j.job_id(),
                 election_ ? "under the new leader (epoch " + std::to_string(epoch()) + ")"
                           : "after a master restart");
    runner->Start();
  }
}

MasterContext MasterHandler::Context() {
  return MasterContext{&registry_, meta_.get(), &clients_, election_};
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
  reply->set_epoch(epoch());
  spdlog::info("worker {} registered: {}:{} with {} cores, {} MB", id, w.host(), w.port(),
               w.cores(), w.memory_bytes() >> 20);
  return Status::OK();
}

Status MasterHandler::HandleHeartbeat(const proto::HeartbeatRequest& request,
                                      proto::HeartbeatReply* reply) {
  std::vector<std::string> execs(request.executor_ids().begin(), request.executor_ids().end());
  reply->set_reregister(!registry_.Heartbeat(request.worker_id(), execs));
  reply->set_epoch(epoch());
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
    // Two running jobs on one checkpoint dir would interleave their offset and commit logs and
    // overwrite each other's state: the second is refused. (A job resubmitted with the dir of a
    // job that has ended resumes it.)
    if (!spec.checkpoint_dir().empty()) {
      const fs::path dir = ComparablePath(spec.checkpoint_dir());
      for (const auto& [other_id, other] : jobs_) {
        if (other->Done() || ComparablePath(other->checkpoint_dir()) != dir) continue;
        return Status::FailedPrecondition("checkpoint dir " + spec.checkpoint_dir() +
                                          " is in use by job " + other_id + " (" +
                                          proto::JobState_Name(other->Status().state()) +
                                          "): stop it first, or give this job a dir of its own");
      }
    }
    std::string id = JobIdStamp(NowMs(), next_job_++);
    // Without a checkpoint dir the job's state is checkpointed under the master's state dir,
    // which serves workers on the same machine; clusters across machines pass a shared path.
    if (spec.checkpoint_dir().empty()) {
      if (election_) {
        return Status::InvalidArgument(
            "with standby masters (--ha) a job needs --checkpoint-dir, on storage that every "
            "master and worker reaches: a new leader resumes the job from it");
      }
      spec.set_checkpoint_dir(options_.state_dir + "/checkpoints/" + id);
    }
    runner = std::make_shared<JobRunner>(id, spec, plan, Context());
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
  std::unique_ptr<MasterServer> m(new MasterServer());
  m->options_ = options;
  const bool ha = !options.ha_url.empty();
  if (!ha) {
    SPATE_ASSIGN_OR_RETURN(auto meta, MetaStore::Open(options.state_dir));
    m->handler_ = std::make_unique<MasterHandler>(options, std::move(meta), NowMs);
  }
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort(options.host + ":" + std::to_string(options.port),
                           MakeServerCredentials(), &bound);
  ConfigureServer(&builder);
  // The service is registered before the port is known; with standby masters it learns the
  // election (and so the address it reports) right after, before the election is joined.
  auto service = std::make_unique<MasterGrpcService>(&m->handler_ready_);
  builder.RegisterService(service.get());
  m->server_ = builder.BuildAndStart();
  if (!m->server_ || bound == 0) {
    return Status::Unavailable("cannot listen on " + options.host + ":" +
                               std::to_string(options.port) + " (port in use?)");
  }
  m->address_ = options.host + ":" + std::to_string(bound);
  const std::string advertised =
      (options.advertise_host.empty() ? options.host : options.advertise_host) + ":" +
      std::to_string(bound);
  if (!ha) {
    service->Configure(nullptr, advertised);
    m->service_ = std::move(service);
    m->handler_ready_ = m->handler_.get();
    SPATE_RETURN_IF_ERROR(m->StartWebUi(options.ui_port));
  } else {
    // A standby serves its page (pointing to the leader) on the web port until it leads.
    int ui_port = 0;
    std::unique_ptr<StandbyPage> page;
    if (options.ui_port >= 0) {
      auto started = StandbyPage::Start(options.host, options.ui_port, advertised);
      if (!started.ok()) return started.status();
      page = std::move(*started);
      ui_port = page->port();
    }
    HaOptions ho;
    ho.url = options.ha_url;
    ho.session_timeout_ms = options.zk_session_timeout_ms;
    ho.address = advertised;
    if (ui_port > 0) {
      ho.ui_address = (options.advertise_host.empty() ? options.host : options.advertise_host) +
                      ":" + std::to_string(ui_port);
    }
    auto election = LeaderElection::Join(ho, [](std::string why) {
      // A master that may no longer lead stops at once: it cannot tell which of its writes
      // and tasks a newer leader already superseded. Its supervisor starts it again; it then
      // joins the election as a standby.
      spdlog::critical("leadership lost: {}; exiting", why);
      spdlog::default_logger()->flush();
      std::_Exit(3);
    });
    if (!election.ok()) return election.status().WithContext("--ha " + options.ha_url);
    m->election_ = std::move(*election);
    service->Configure(m->election_.get(), advertised);
    m->service_ = std::move(service);
    if (page) {
      page->set_election(m->election_.get());
      m->standby_page_ = std::move(page);
    }
    m->lead_ = std::thread([raw = m.get()] { raw->Lead(); });
  }
  m->liveness_ = std::thread([raw = m.get(), period = options.heartbeat_interval_ms] {
    while (!raw->stopping_) {
      if (MasterHandler* h = raw->handler_ready_.load()) h->CheckLiveness();
      std::this_thread::sleep_for(std::chrono::milliseconds(std::max<int64_t>(period / 4, 50)));
    }
  });
  spdlog::info("master listening on {} ({}, worker timeout {} ms)", m->address_,
               ha ? "standby masters through " + options.ha_url : "state in " + options.state_dir,
               options.worker_timeout_ms);
  return m;
}

Status MasterServer::StartWebUi(int port, bool same_port) {
  if (port < 0) return Status::OK();
  WebUiOptions ui;
  ui.host = options_.ui_host.empty() ? options_.host : options_.ui_host;
  ui.auth_secret = GetTransportSecurity().auth_secret;
  ui.tls_cert_file = options_.ui_tls_cert_file;
  ui.tls_key_file = options_.ui_tls_key_file;
  ui.port = port;
  ui.kill_enabled = options_.ui_kill_enabled;
  ui.master_address = address_;
  if (election_) {
    LeaderElection* e = election_.get();
    MasterHandler* h = handler_.get();
    ui.ha_status = [e] {
      return nlohmann::json{{"role", "leader"},
                            {"epoch", e->epoch()},
                            {"electedAtMs", e->elected_at_ms()},
                            {"takeoverMs", e->takeover_ms()}};
    };
    ui.ha_metrics = [e, h] {
      std::string out =
          "# HELP spate_master_leader 1 when this master leads, 0 for a standby.\n"
          "# TYPE spate_master_leader gauge\nspate_master_leader 1\n"
          "# HELP spate_master_epoch The leader epoch of this master.\n"
          "# TYPE spate_master_epoch gauge\nspate_master_epoch " +
          std::to_string(e->epoch()) + "\n";
      if (e->takeover_ms() > 0) {
        out +=
            "# HELP spate_master_takeover_seconds From the previous leader's last sign of life "
            "to the first batch committed under this leader.\n"
            "# TYPE spate_master_takeover_seconds gauge\nspate_master_takeover_seconds " +
            std::to_string(e->takeover_ms() / 1000.0) + "\n";
      }
      proto::ListJobsReply list;
      (void)h->HandleListJobs(proto::ListJobsRequest(), &list);
      bool header = false;
      for (const auto& j : list.jobs()) {
        if (j.takeover_ms() <= 0) continue;
        if (!header) {
          out +=
              "# HELP spate_job_takeover_seconds From the previous leader's last sign of life "
              "to the job's first batch committed under this leader.\n"
              "# TYPE spate_job_takeover_seconds gauge\n";
          header = true;
        }
        out += "spate_job_takeover_seconds{job=\"" + web::PrometheusLabelValue(j.job_id()) +
               "\"} " + std::to_string(j.takeover_ms() / 1000.0) + "\n";
      }
      return out;
    };
  }
  if (same_port) ui.port_retries = 0;
  auto web = WebUi::Start(handler_.get(), ui);
  // A standby page just stopped on this port may hold it a moment longer (a connection it
  // served): the leader's page is wanted on the same port, where the others link to.
  for (int tries = 0; same_port && !web.ok() && tries < 50 && !stopping_; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ui.port_retries = tries < 49 ? 0 : 16;
    web = WebUi::Start(handler_.get(), ui);
  }
  // The cluster works without its page: a UI that cannot bind is reported, not fatal.
  if (web.ok()) {
    web_ui_ = std::move(*web);
  } else {
    spdlog::error("{}; the web UI is off", web.status().message());
  }
  return Status::OK();
}

void MasterServer::Lead() {
  Status s = election_->WaitForLeadership([this] { return stopping_.load(); });
  if (!s.ok()) {
    if (!stopping_) spdlog::error("not leading: {}", s.ToString());
    return;
  }
  // The jobs, their plans and commits are in ZooKeeper: the handler resumes every job that
  // the previous leader ran. A leader that cannot read them yet must not start without them.
  std::unique_ptr<JobStore> store = election_->MakeJobStore();
  for (int tries = 0; !stopping_; ++tries) {
    auto jobs = store->LoadJobs();
    if (jobs.ok()) break;
    spdlog::warn("cannot read the jobs from ZooKeeper yet: {}", jobs.status().ToString());
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::min(100 << std::min(tries, 4), 1000)));
  }
  if (stopping_) return;
  handler_ = std::make_unique<MasterHandler>(options_, std::move(store), NowMs, election_.get());
  int ui_port = -1;
  if (standby_page_) {
    ui_port = standby_page_->port();
    standby_page_->Shutdown();
    standby_page_.reset();
  }
  handler_ready_ = handler_.get();
  spdlog::info("leading with epoch {}", election_->epoch());
  if (ui_port > 0 && !stopping_) (void)StartWebUi(ui_port, /*same_port=*/true);
}

MasterServer::~MasterServer() { Shutdown(); }

void MasterServer::Shutdown() {
  if (stopping_.exchange(true)) return;
  if (lead_.joinable()) lead_.join();
  if (standby_page_) standby_page_->Shutdown();
  if (web_ui_) web_ui_->Shutdown();
  if (liveness_.joinable()) liveness_.join();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  handler_ready_ = nullptr;
  handler_.reset();
  // Last: closing the session lets a standby take over only once this master stopped acting.
  election_.reset();
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
  std::string zk_timeout = "4s";
  app.add_option("--ha", o.ha_url,
                 "standby masters: zookeeper://HOST:PORT[,HOST:PORT...][/ROOT]; one of the "
                 "masters given the same URL leads, the others stand by");
  app.add_option("--zk-session-timeout", zk_timeout,
                 "with --ha: the ZooKeeper session timeout (how fast a dead leader is replaced)")
      ->capture_default_str();
  app.add_option("--advertise-host", o.advertise_host,
                 "host name workers, clients and other masters use to reach this master "
                 "(default: --host)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (Status s = InitLogging("master", log_level); !s.ok()) {
    std::fprintf(stderr, "spate-master: %s\n", s.message().c_str());
    return 2;
  }
  if (Status s = ApplyDaemonSecurity(security, kafka_conf); !s.ok()) {
    std::fprintf(stderr, "spate-master: %s\n", s.message().c_str());
    return 2;
  }
  o.ui_tls_cert_file = security.tls_cert;
  o.ui_tls_key_file = security.tls_key;
  auto timeout = ParseDurationMs(worker_timeout);
  if (!timeout.ok() || *timeout <= 0) {
    std::fprintf(stderr, "spate-master: --worker-timeout: %s\n",
                 timeout.ok() ? "must be positive" : timeout.status().message().c_str());
    return 2;
  }
  o.worker_timeout_ms = *timeout;
  auto zk_ms = ParseDurationMs(zk_timeout);
  if (!zk_ms.ok() || *zk_ms <= 0) {
    std::fprintf(stderr, "spate-master: --zk-session-timeout: %s\n",
                 zk_ms.ok() ? "must be positive" : zk_ms.status().message().c_str());
    return 2;
  }
  o.zk_session_timeout_ms = static_cast<int>(*zk_ms);
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
