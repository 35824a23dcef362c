#include "worker/worker.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <filesystem>

#include "common/config.h"
#include "common/daemon.h"
#include "common/kafka_props.h"
#include "common/logging.h"
#include "common/rpc.h"

namespace spate::worker {
namespace {

constexpr auto kRpcTimeout = std::chrono::seconds(5);

// Pushes over gRPC, or straight into this worker's own executors when the target is local.
// Back-pressure: a full inbox answers ResourceExhausted and the push waits and retries.
class GrpcShuffleTransport : public ShuffleTransport {
 public:
  // Set once after the server has bound its port, before any task runs.
  void set_self(std::string self, WorkerHandler* local) {
    self_ = std::move(self);
    local_ = local;
  }

  Status Push(const std::string& address, const proto::ShuffleBlock& block,
              const CancelledFn& cancelled) override {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    auto backoff = std::chrono::milliseconds(5);
    int unavailable = 0;
    while (true) {
      Status s = PushOnce(address, block, cancelled);
      if (s.ok()) return s;
      bool pressure = s.code() == StatusCode::kResourceExhausted;
      if (!pressure && !(s.IsRetryable() && ++unavailable < 4)) return s;
      if (std::chrono::steady_clock::now() + backoff > deadline) return s;
      if (cancelled && cancelled()) return Status::Cancelled("shuffle push cancelled");
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(500));
    }
  }

 private:
  // One push. A remote one runs asynchronously so that the task's cancellation (the master gave
  // up on this attempt, e.g. the peer was cut off) frees the core at once instead of after the
  // deadline; channel keepalive fails it sooner still when the peer's connection went silent.
  Status PushOnce(const std::string& address, const proto::ShuffleBlock& block,
                  const CancelledFn& cancelled) {
    if (address == self_ && local_ != nullptr) {
      proto::PushShuffleReply reply;
      return local_->HandlePushShuffle(block, &reply);
    }
    proto::Worker::Stub* stub = StubFor(address);
    auto ctx = MakeContext(std::chrono::seconds(30));
    proto::PushShuffleReply reply;
    grpc::Status status;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    stub->async()->PushShuffle(ctx.get(), &block, &reply, [&](grpc::Status s) {
      std::lock_guard<std::mutex> lock(mu);
      status = std::move(s);
      done = true;
      cv.notify_all();
    });
    std::unique_lock<std::mutex> lock(mu);
    while (!cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return done; })) {
      if (cancelled && cancelled()) ctx->TryCancel();  // the callback still runs: keep waiting
    }
    return FromGrpcStatus(status, "PushShuffle to " + address);
  }

  proto::Worker::Stub* StubFor(const std::string& address) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& stub = stubs_[address];
    if (!stub) stub = proto::Worker::NewStub(MakeChannel(address));
    return stub.get();
  }

  std::string self_;
  WorkerHandler* local_ = nullptr;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<proto::Worker::Stub>> stubs_;
};

class WorkerGrpcService final : public proto::Worker::Service {
 public:
  explicit WorkerGrpcService(WorkerHandler* h) : h_(h) {}
  SPATE_GRPC_METHOD(LaunchExecutor, proto::LaunchExecutorRequest, proto::LaunchExecutorReply)
  SPATE_GRPC_METHOD(StopExecutor, proto::StopExecutorRequest, proto::StopExecutorReply)
  // Tasks learn from the call's context when the master cancels them.
  grpc::Status RunSourceTask(grpc::ServerContext* ctx, const proto::SourceTaskRequest* request,
                             proto::SourceTaskReply* reply) override {
    if (grpc::Status denied = AuthorizeCall(ctx, "RunSourceTask"); !denied.ok()) return denied;
    return ToGrpcStatus(
        h_->HandleRunSourceTask(*request, reply, [ctx] { return ctx->IsCancelled(); }));
  }
  grpc::Status RunStateTask(grpc::ServerContext* ctx, const proto::StateTaskRequest* request,
                            proto::StateTaskReply* reply) override {
    if (grpc::Status denied = AuthorizeCall(ctx, "RunStateTask"); !denied.ok()) return denied;
    return ToGrpcStatus(
        h_->HandleRunStateTask(*request, reply, [ctx] { return ctx->IsCancelled(); }));
  }
  SPATE_GRPC_METHOD(PushShuffle, proto::ShuffleBlock, proto::PushShuffleReply)

 private:
  WorkerHandler* h_;
};

}  // namespace

WorkerHandler::WorkerHandler(std::string work_dir, ShuffleTransport* transport)
    : work_dir_(std::move(work_dir)), transport_(transport) {}

Status WorkerHandler::CheckEpoch(int64_t epoch) {
  int64_t seen = epoch_.load();
  while (epoch > seen) {
    if (!epoch_.compare_exchange_weak(seen, epoch)) continue;
    // A new leader: what the deposed one launched is no longer anybody's.
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = launched_under_.begin(); it != launched_under_.end();) {
      if (it->second >= epoch) {
        ++it;
        continue;
      }
      auto job = executors_.find(it->first.first);
      if (job != executors_.end()) {
        job->second.erase(it->first.second);
        if (job->second.empty()) executors_.erase(job);
      }
      spdlog::info("stopped executor {} of job {}: launched under epoch {}, now {}",
                   it->first.second, it->first.first, it->second, epoch);
      it = launched_under_.erase(it);
    }
    return Status::OK();
  }
  if (epoch < seen) {
    Status refused = Status::FailedPrecondition(
        "refused: sent by a deposed master (epoch " + std::to_string(epoch) +
        "; this worker follows epoch " + std::to_string(seen) + ")");
    spdlog::warn("{}", refused.message());
    return refused;
  }
  return Status::OK();
}

Status WorkerHandler::HandleLaunchExecutor(const proto::LaunchExecutorRequest& request,
                                           proto::LaunchExecutorReply*) {
  SPATE_RETURN_IF_ERROR(CheckEpoch(request.epoch()));
  const std::string& job = request.job_id();
  const std::string& id = request.executor().executor_id();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (executors_[job].count(id)) return Status::OK();  // idempotent: a retried launch
  }
  SPATE_ASSIGN_OR_RETURN(auto executor, Executor::Make(request, work_dir_, transport_));
  std::lock_guard<std::mutex> lock(mu_);
  if (request.epoch() < epoch_.load()) {
    return Status::FailedPrecondition("refused: sent by a deposed master (epoch " +
                                      std::to_string(request.epoch()) + ")");
  }
  executors_[job][id] = std::move(executor);
  launched_under_[{job, id}] = request.epoch();
  spdlog::info(
      "launched executor {} of job {} ({} cores, kafka partitions {}, shuffle partitions {})", id,
      job, request.executor().cores(), request.executor().kafka_partitions_size(),
      request.executor().shuffle_partitions_size());
  return Status::OK();
}

Status WorkerHandler::HandleStopExecutor(const proto::StopExecutorRequest& request,
                                         proto::StopExecutorReply*) {
  SPATE_RETURN_IF_ERROR(CheckEpoch(request.epoch()));
  std::lock_guard<std::mutex> lock(mu_);
  launched_under_.erase({request.job_id(), request.executor_id()});
  auto job = executors_.find(request.job_id());
  if (job == executors_.end()) return Status::OK();
  job->second.erase(request.executor_id());
  if (job->second.empty()) executors_.erase(job);
  spdlog::info("stopped executor {} of job {}", request.executor_id(), request.job_id());
  return Status::OK();
}

Result<std::shared_ptr<Executor>> WorkerHandler::Find(const std::string& job_id,
                                                      const std::string& executor_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto job = executors_.find(job_id);
  if (job != executors_.end()) {
    auto it = job->second.find(executor_id);
    if (it != job->second.end()) return it->second;
  }
  return Status::NotFound("executor " + executor_id + " of job " + job_id +
                          " is not running on this worker");
}

Status WorkerHandler::HandleRunSourceTask(const proto::SourceTaskRequest& request,
                                          proto::SourceTaskReply* reply,
                                          const CancelledFn& cancelled) {
  SPATE_RETURN_IF_ERROR(CheckEpoch(request.epoch()));
  SPATE_ASSIGN_OR_RETURN(auto executor, Find(request.job_id(), request.executor_id()));
  SPATE_ASSIGN_OR_RETURN(*reply, executor->RunSourceTask(request, cancelled));
  return Status::OK();
}

Status WorkerHandler::HandleRunStateTask(const proto::StateTaskRequest& request,
                                         proto::StateTaskReply* reply,
                                         const CancelledFn& cancelled) {
  SPATE_RETURN_IF_ERROR(CheckEpoch(request.epoch()));
  SPATE_ASSIGN_OR_RETURN(auto executor, Find(request.job_id(), request.executor_id()));
  SPATE_ASSIGN_OR_RETURN(*reply, executor->RunStateTask(request, cancelled));
  return Status::OK();
}

Status WorkerHandler::HandlePushShuffle(const proto::ShuffleBlock& request,
                                        proto::PushShuffleReply*) {
  SPATE_ASSIGN_OR_RETURN(auto executor, Find(request.job_id(), request.executor_id()));
  return executor->AcceptShuffle(request);
}

void WorkerHandler::StopAll() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!executors_.empty()) spdlog::info("stopping every executor: the master moved their work");
  executors_.clear();
  launched_under_.clear();
}

std::vector<std::string> WorkerHandler::ExecutorIds() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [job, execs] : executors_)
    for (const auto& [id, e] : execs) out.push_back(id);
  return out;
}

Result<std::unique_ptr<WorkerServer>> WorkerServer::Start(const WorkerOptions& options) {
  std::unique_ptr<WorkerServer> w(new WorkerServer());
  w->options_ = options;
  std::error_code ec;
  std::filesystem::create_directories(options.work_dir, ec);
  if (ec)
    return Status::IOError("cannot create work dir " + options.work_dir + ": " + ec.message());

  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(options.host + ":" + std::to_string(options.port),
                           MakeServerCredentials(), &bound_port);
  ConfigureServer(&builder);
  // The transport learns its own address (for local short-circuits) once the port is bound.
  auto transport = std::make_unique<GrpcShuffleTransport>();
  auto handler = std::make_unique<WorkerHandler>(options.work_dir, transport.get());
  auto service = std::make_unique<WorkerGrpcService>(handler.get());
  builder.RegisterService(service.get());
  w->server_ = builder.BuildAndStart();
  if (!w->server_ || bound_port == 0) {
    return Status::Unavailable("cannot listen on " + options.host + ":" +
                               std::to_string(options.port) + " (port in use?)");
  }
  std::string advertise = options.advertise_host.empty() ? options.host : options.advertise_host;
  w->address_ = advertise + ":" + std::to_string(bound_port);
  w->options_.port = bound_port;
  transport->set_self(w->address_, handler.get());
  w->transport_ = std::move(transport);
  w->handler_ = std::move(handler);
  w->service_ = std::move(service);
  SPATE_ASSIGN_OR_RETURN(auto masters, ParseMasterUrls(options.master));
  w->master_ = std::make_unique<MasterLink>(std::move(masters));
  spdlog::info("worker listening on {} ({} cores, {} MB), master {}", w->address_, options.cores,
               options.memory_bytes >> 20, options.master);
  w->heartbeat_ = std::thread([raw = w.get()] { raw->HeartbeatLoop(); });
  return w;
}

WorkerServer::~WorkerServer() { Shutdown(); }

void WorkerServer::Shutdown() {
  if (stopping_.exchange(true)) return;
  stop_cv_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

Status WorkerServer::Register() {
  proto::RegisterWorkerRequest req;
  auto* info = req.mutable_worker();
  info->set_worker_id(worker_id_);
  size_t colon = address_.rfind(':');
  info->set_host(address_.substr(0, colon));
  info->set_port(options_.port);
  info->set_cores(options_.cores);
  info->set_memory_bytes(options_.memory_bytes);
  proto::RegisterWorkerReply reply;
  auto ctx = MakeContext(kRpcTimeout);
  const std::string master = master_->address();
  SPATE_RETURN_IF_ERROR(FromGrpcStatus(master_->stub()->RegisterWorker(ctx.get(), req, &reply),
                                       "register with master " + master));
  worker_id_ = reply.worker_id();
  if (reply.heartbeat_interval_ms() > 0) heartbeat_interval_ms_ = reply.heartbeat_interval_ms();
  (void)handler_->CheckEpoch(reply.epoch());
  spdlog::info("registered with master {} as {}{}", master, worker_id_,
               reply.epoch() > 0 ? " (epoch " + std::to_string(reply.epoch()) + ")" : "");
  return Status::OK();
}

void WorkerServer::HeartbeatLoop() {
  bool registered = false;
  int64_t last_warn = 0;
  while (!stopping_) {
    Status s;
    if (!registered) {
      s = Register();
      registered = s.ok();
    } else {
      proto::HeartbeatRequest req;
      req.set_worker_id(worker_id_);
      for (auto& id : handler_->ExecutorIds()) req.add_executor_ids(id);
      proto::HeartbeatReply reply;
      // A master that stopped answering (paused, cut off) is given up on within a few
      // heartbeats, so that a worker finds a new leader as soon as one is elected.
      auto ctx = MakeContext(std::clamp(std::chrono::milliseconds(3 * heartbeat_interval_ms_),
                                        std::chrono::milliseconds(1000),
                                        std::chrono::milliseconds(kRpcTimeout)));
      s = FromGrpcStatus(master_->stub()->Heartbeat(ctx.get(), req, &reply),
                         "heartbeat to master " + master_->address());
      if (s.ok()) (void)handler_->CheckEpoch(reply.epoch());
      if (s.ok() && reply.reregister()) {
        spdlog::warn("master does not know this worker any more: registering again");
        handler_->StopAll();
        registered = false;
        continue;
      }
    }
    // A master that is down or stands by: with several, find the leader and register there
    // (the new leader knows none of the old one's executors).
    if (!s.ok() && (s.IsRetryable() || s.code() == StatusCode::kFailedPrecondition) &&
        master_->Failover()) {
      if (registered) handler_->StopAll();
      registered = false;
      std::unique_lock<std::mutex> lock(stop_mu_);
      stop_cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_.load(); });
      continue;
    }
    if (!s.ok() && NowMs() - last_warn > 10'000) {
      spdlog::warn("{} (retrying)", s.ToString());
      last_warn = NowMs();
    }
    std::unique_lock<std::mutex> lock(stop_mu_);
    stop_cv_.wait_for(lock, std::chrono::milliseconds(registered ? heartbeat_interval_ms_ : 500),
                      [this] { return stopping_.load(); });
  }
}

int RunWorker(int argc, char** argv) {
  CLI::App app("spate-worker: runs executors for the Spate master and serves their shuffle",
               "spate-worker");
  std::string master = "spate://127.0.0.1:7077";
  std::string memory = "4G";
  std::string log_level = "info";
  WorkerOptions o;
  app.add_option("--master", master,
                 "master URL spate://HOST:PORT; with standby masters all of them, "
                 "spate://HOST:PORT,HOST:PORT,...")
      ->capture_default_str();
  app.add_option("--cores", o.cores, "cores offered to executors")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--memory", memory, "memory offered to executors (e.g. 4G)")
      ->capture_default_str();
  app.add_option("--work-dir", o.work_dir, "directory for executor state")->capture_default_str();
  app.add_option("--host", o.host, "address to bind")->capture_default_str();
  app.add_option("--port", o.port, "port to bind (0: any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app.add_option("--advertise-host", o.advertise_host,
                 "host name others use to reach this worker (default: --host)");
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
  if (Status s = InitLogging("worker", log_level); !s.ok()) {
    std::fprintf(stderr, "spate-worker: %s\n", s.message().c_str());
    return 2;
  }
  if (Status s = ApplyDaemonSecurity(security, kafka_conf); !s.ok()) {
    std::fprintf(stderr, "spate-worker: %s\n", s.message().c_str());
    return 2;
  }
  auto url = ParseMasterUrls(master);
  auto mem = ParseBytes(memory);
  if (!url.ok() || !mem.ok()) {
    std::fprintf(stderr, "spate-worker: %s\n",
                 (!url.ok() ? url.status() : mem.status()).message().c_str());
    return 2;
  }
  o.master.clear();
  for (const auto& a : *url) o.master += (o.master.empty() ? "" : ",") + a;
  o.memory_bytes = *mem;
  auto server = WorkerServer::Start(o);
  if (!server.ok()) {
    std::fprintf(stderr, "spate-worker: %s\n", server.status().message().c_str());
    return 1;
  }
  WaitForShutdownSignal();
  spdlog::info("shutting down");
  (*server)->Shutdown();
  return 0;
}

}  // namespace spate::worker
