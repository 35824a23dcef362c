// Standby masters through ZooKeeper: leader election, the leader's epoch, the job metadata
// every master reads, and the page a standby serves.
//
// Znodes under the --ha root (default /spate):
//   election/m-<seq>   ephemeral sequential, one per running master: "<grpc addr> <ui addr>"
//   epoch              its version is the epoch; every election raises it by a conditional set
//   leader             "epoch=N address=A ui=U alive_ms=T", rewritten by the leader every 0.5 s
//   jobs/<id>          the job's JobStatus (spec, plan, state)
//   jobs/<id>/plan     the job's newest BatchPlan (offset log head)
//   jobs/<id>/commit   the job's newest BatchCommit (commit log head)
// Every write of a leader is one ZooKeeper transaction that first checks that `epoch` is still
// at the leader's version, so a deposed leader can never write.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "master/job_store.h"
#include "master/zk_client.h"

namespace httplib {
class Server;
}

namespace spate::master {

struct HaOptions {
  std::string url;                ///< zookeeper://h1:2181,h2:2181/spate
  int session_timeout_ms = 4000;  ///< ZooKeeper session timeout: how fast a dead leader is seen
  std::string address;            ///< this master's gRPC address as others reach it
  std::string ui_address;         ///< its web page's host:port; "" when it has none
};

/// Who leads, as ZooKeeper says.
struct LeaderInfo {
  bool self = false;       ///< this master leads
  std::string address;     ///< the leader's gRPC address; "" while none is elected
  std::string ui_address;  ///< the leader's web page; "" when it has none
  int64_t epoch = 0;       ///< the newest epoch
};

/// One master's part in the election (ZooKeeper's recipe: ephemeral sequential nodes, each
/// watching its predecessor; the lowest leads). Thread-safe.
class LeaderElection {
 public:
  /// Connects and joins the election. `on_lost` runs (on a ZooKeeper thread) when the session
  /// ends or a write finds a newer epoch: this master must stop acting at once.
  static Result<std::unique_ptr<LeaderElection>> Join(const HaOptions& options,
                                                      std::function<void(std::string)> on_lost);
  ~LeaderElection();

  /// Blocks until this master leads (OK) or `stop()` turns true (Aborted). On OK the epoch has
  /// been raised and is epoch(); the liveness stamp runs.
  Status WaitForLeadership(const std::function<bool()>& stop);
  bool leading() const { return leading_; }
  /// This master's epoch once it leads; 0 before.
  int64_t epoch() const { return epoch_; }
  /// The previous leader's last sign of life when this master took over from it, else 0.
  int64_t previous_alive_ms() const { return previous_alive_ms_; }
  /// When this master was elected (wall clock ms), 0 before.
  int64_t elected_at_ms() const { return elected_at_ms_; }
  /// Who leads now (reads ZooKeeper).
  Result<LeaderInfo> Leader();

  /// The job metadata in ZooKeeper, written under this master's epoch. Only once leading.
  std::unique_ptr<JobStore> MakeJobStore();

  /// The first takeover figure (ms from the previous leader's last sign of life to the first
  /// batch committed under this epoch); 0 until then.
  void NoteCommit(int64_t now_ms);
  int64_t takeover_ms() const { return takeover_ms_; }

 private:
  LeaderElection() = default;
  Status BecomeLeader();
  void StampLoop();
  std::string Path(const std::string& name) const { return url_.root + "/" + name; }

  HaOptions options_;
  ZkUrl url_;
  std::function<void(std::string)> on_lost_;
  std::unique_ptr<ZkClient> zk_;
  std::string node_;  // our election node's name
  std::atomic<bool> leading_{false};
  std::atomic<int64_t> epoch_{0};
  std::atomic<int64_t> previous_alive_ms_{0};
  std::atomic<int64_t> elected_at_ms_{0};
  std::atomic<int64_t> takeover_ms_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t changes_ = 0;  // predecessor watch firings, under mu_
  std::thread stamp_;
};

/// The page a standby serves on the web port: "standby; the leader is ..." with a link, the
/// same under /api/v1/ (as JSON, 503 but /api/v1/cluster and /api/v1/leader) and /metrics
/// (spate_master_leader 0). Thread-safe.
class StandbyPage {
 public:
  /// Binds host:port (0: any free port) and serves until Shutdown.
  static Result<std::unique_ptr<StandbyPage>> Start(const std::string& host, int port,
                                                    std::string self_address);
  ~StandbyPage();
  /// Where the page learns who leads (not owned; outlives the page); until set, "not elected".
  void set_election(LeaderElection* election) { election_ = election; }
  void Shutdown();
  int port() const { return port_; }

 private:
  StandbyPage() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  int port_ = 0;
  std::atomic<LeaderElection*> election_{nullptr};
};

}  // namespace spate::master
