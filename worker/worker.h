// The worker daemon: registers with the master, heartbeats, runs executors and serves the
// shuffle. Service logic lives in WorkerHandler (callable without sockets); WorkerServer adds
// gRPC, registration and heartbeats.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "proto/spate.grpc.pb.h"
#include "worker/executor.h"
#include "worker/master_link.h"

namespace spate::worker {

struct WorkerOptions {
  std::string master;  ///< host:port of the master; with standby masters, several, comma-separated
  int cores = 2;
  int64_t memory_bytes = int64_t{4} << 30;
  std::string work_dir = "/tmp/spate-worker";
  std::string host = "127.0.0.1";  ///< bind address
  int port = 7078;                 ///< 0: any free port
  std::string advertise_host;      ///< how others reach us (default: host)
};

/// The Worker service's logic. Thread-safe.
class WorkerHandler {
 public:
  WorkerHandler(std::string work_dir, ShuffleTransport* transport);

  Status HandleLaunchExecutor(const proto::LaunchExecutorRequest& request,
                              proto::LaunchExecutorReply* reply);
  Status HandleStopExecutor(const proto::StopExecutorRequest& request,
                            proto::StopExecutorReply* reply);
  Status HandleRunSourceTask(const proto::SourceTaskRequest& request, proto::SourceTaskReply* reply,
                             const CancelledFn& cancelled = {});
  Status HandleRunStateTask(const proto::StateTaskRequest& request, proto::StateTaskReply* reply,
                            const CancelledFn& cancelled = {});
  Status HandlePushShuffle(const proto::ShuffleBlock& request, proto::PushShuffleReply* reply);

  std::vector<std::string> ExecutorIds();
  /// Stops every executor (the master forgot this worker: its jobs moved elsewhere).
  void StopAll();

  /// Fencing of deposed masters: OK for `epoch` at or above the highest one seen (a higher one
  /// becomes the highest, and the executors launched under lower ones stop); FailedPrecondition
  /// for a lower one. Epoch 0 (no standby masters) is never refused while none was seen.
  Status CheckEpoch(int64_t epoch);
  int64_t epoch() const { return epoch_.load(); }

 private:
  Result<std::shared_ptr<Executor>> Find(const std::string& job_id, const std::string& executor_id);

  std::string work_dir_;
  ShuffleTransport* transport_;
  std::mutex mu_;
  // job id -> executor id -> executor
  std::map<std::string, std::map<std::string, std::shared_ptr<Executor>>> executors_;
  std::map<std::pair<std::string, std::string>, int64_t> launched_under_;  // -> epoch
  std::atomic<int64_t> epoch_{0};
};

/// A running worker: gRPC server, shuffle transport, registration and heartbeat thread.
class WorkerServer {
 public:
  static Result<std::unique_ptr<WorkerServer>> Start(const WorkerOptions& options);
  ~WorkerServer();

  /// Stops heartbeats and the server; running tasks are cancelled.
  void Shutdown();
  /// host:port others use to reach this worker.
  const std::string& address() const { return address_; }
  const std::string& worker_id() const { return worker_id_; }

 private:
  WorkerServer() = default;
  void HeartbeatLoop();
  Status Register();

  WorkerOptions options_;
  std::string address_;
  std::string worker_id_;
  std::unique_ptr<ShuffleTransport> transport_;
  std::unique_ptr<WorkerHandler> handler_;
  std::unique_ptr<grpc::Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<MasterLink> master_;
  std::atomic<bool> stopping_{false};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  std::thread heartbeat_;
  int64_t heartbeat_interval_ms_ = 1000;
};

/// `spate-worker` entry point: parses flags, runs until SIGINT/SIGTERM.
int RunWorker(int argc, char** argv);

}  // namespace spate::worker
