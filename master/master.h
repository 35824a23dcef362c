// The master: worker registry and liveness, job admission and the job runners, over gRPC.
// Service logic lives in MasterHandler (callable without sockets); MasterServer adds gRPC and
// the liveness thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "master/cluster.h"
#include "master/ha.h"
#include "master/job_policy.h"
#include "master/job_runner.h"
#include "master/meta_store.h"
#include "master/web_ui.h"
#include "proto/spate.grpc.pb.h"

namespace spate::master {

struct MasterOptions {
  std::string host = "127.0.0.1";
  int port = 7077;               ///< 0: any free port
  int ui_port = 8080;            ///< web page, JSON API and /metrics; 0: any free port; < 0: none
  bool ui_kill_enabled = false;  ///< allow killing jobs from the web page
  std::string ui_host;           ///< the page's bind address; empty: `host`
  /// Directories jobs' checkpoint dirs and file sinks must lie in; empty: anywhere.
  std::vector<std::string> job_path_roots;
  /// PEM files for HTTPS on the page (the --tls-cert and --tls-key of gRPC); empty: HTTP.
  std::string ui_tls_cert_file;
  std::string ui_tls_key_file;
  std::string state_dir = "/tmp/spate-master";
  int64_t worker_timeout_ms = 5000;
  int64_t heartbeat_interval_ms = 1000;
  /// Standby masters: zookeeper://h1:2181,h2:2181/spate. Empty: this master alone.
  std::string ha_url;
  int zk_session_timeout_ms = 4000;
  /// How workers, clients and the other masters reach this one (default: host).
  std::string advertise_host;
};

/// The Master service's logic. Thread-safe.
class MasterHandler {
 public:
  /// `election` (not owned, outlives the handler): set with standby masters, once this one
  /// leads; `meta` is then the ZooKeeper store of its epoch.
  MasterHandler(const MasterOptions& options, std::unique_ptr<JobStore> meta,
                std::function<int64_t()> clock, LeaderElection* election = nullptr);
  ~MasterHandler();

  Status HandleRegisterWorker(const proto::RegisterWorkerRequest& request,
                              proto::RegisterWorkerReply* reply);
  Status HandleHeartbeat(const proto::HeartbeatRequest& request, proto::HeartbeatReply* reply);
  Status HandleSubmitJob(const proto::SubmitJobRequest& request, proto::SubmitJobReply* reply);
  Status HandleGetJob(const proto::GetJobRequest& request, proto::GetJobReply* reply);
  Status HandleListJobs(const proto::ListJobsRequest& request, proto::ListJobsReply* reply);
  Status HandleKillJob(const proto::KillJobRequest& request, proto::KillJobReply* reply);
  Status HandleStopJob(const proto::StopJobRequest& request, proto::StopJobReply* reply);

  /// Declares lost the workers whose heartbeats stopped and tells the jobs.
  void CheckLiveness();
  WorkerRegistry& registry() { return registry_; }
  JobStore& meta() { return *meta_; }
  /// The leader's epoch: 0 without standby masters.
  int64_t epoch() const { return meta_->epoch(); }

 private:
  Result<std::shared_ptr<JobRunner>> FindJob(const std::string& job_id);
  MasterContext Context();

  MasterOptions options_;
  std::unique_ptr<JobStore> meta_;
  LeaderElection* election_ = nullptr;
  WorkerRegistry registry_;
  WorkerClients clients_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<JobRunner>> jobs_;
  std::map<std::string, proto::JobStatus> past_jobs_;  // from an earlier run of the master
  int next_job_ = 0;
};

/// A running master: gRPC server plus the liveness thread.
class MasterServer {
 public:
  static Result<std::unique_ptr<MasterServer>> Start(const MasterOptions& options);
  ~MasterServer();
  void Shutdown();
  /// host:port of the gRPC endpoint.
  const std::string& address() const { return address_; }
  /// Port of the web UI, 0 when it is off.
  int ui_port() const { return web_ui_ ? web_ui_->port() : 0; }
  /// The handler; with standby masters, null until this master leads.
  MasterHandler& handler() { return *handler_; }
  bool leading() const { return handler_ready_.load() != nullptr; }

 private:
  MasterServer() = default;
  /// `same_port`: retry that port for a while rather than move to the next free one.
  Status StartWebUi(int port, bool same_port = false);
  /// With standby masters: waits to be elected, then resumes the jobs and serves.
  void Lead();

  std::string address_;
  std::unique_ptr<MasterHandler> handler_;
  std::unique_ptr<grpc::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<WebUi> web_ui_;
  std::atomic<bool> stopping_{false};
  std::thread liveness_;
  MasterOptions options_;
  std::atomic<MasterHandler*> handler_ready_{nullptr};  // set once the handler serves
  std::unique_ptr<LeaderElection> election_;
  std::unique_ptr<StandbyPage> standby_page_;
  std::thread lead_;
};

/// Fills defaults (key groups, shuffle partitions, memory, ...) and checks a spec; the
/// message names the bad field. Checks the topic exists (bounded by a timeout).
Status ValidateJobSpec(proto::JobSpec* spec);

/// A SQL job (spec->sql set): plans the script into spec->plan and fills the spec's source,
/// trigger and sink from its tables. InvalidArgument "line L, column C: ..." on a bad script.
Status PlanSqlJob(proto::JobSpec* spec);

/// What the job runner needs of a job's plan: a compiled job's, or a SQL job's summary.
Result<jobs::CompiledPlan> JobPlanOf(const proto::JobSpec& spec);

/// `spate-master` entry point: parses flags, runs until SIGINT/SIGTERM.
int RunMaster(int argc, char** argv);

}  // namespace spate::master
