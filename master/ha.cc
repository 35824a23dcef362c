#include "master/ha.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <zookeeper/zookeeper.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/rpc.h"

namespace spate::master {
namespace {

constexpr int64_t kStampIntervalMs = 500;
// A previous leader silent for longer than this was not taken over from: the cluster was
// down (a cold start), and no takeover figure is shown.
constexpr int64_t kColdStartMs = 60'000;

// "key=value key=value": the leader node's text.
std::string Field(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    if (word.rfind(key + "=", 0) == 0) return word.substr(key.size() + 1);
  }
  return "";
}

int64_t ToInt(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoll(s);
  } catch (...) {
    return 0;
  }
}

// The job metadata in ZooKeeper; every write is fenced by the leader's epoch.
class ZkJobStore : public JobStore {
 public:
  ZkJobStore(ZkClient* zk, std::string root, int64_t epoch)
      : zk_(zk), root_(std::move(root)), epoch_(epoch) {}

  Status PutJob(const proto::JobStatus& job) override { return Write(JobPath(job.job_id()), job); }

  Result<StoredJobs> LoadJobs() override {
    StoredJobs out;
    SPATE_ASSIGN_OR_RETURN(auto ids, zk_->Children(root_ + "/jobs"));
    std::sort(ids.begin(), ids.end());
    for (const auto& id : ids) {
      auto node = zk_->Get(JobPath(id));
      if (!node.ok()) {
        if (node.status().code() == StatusCode::kNotFound) continue;
        return node.status();
      }
      proto::JobStatus job;
      if (!job.ParseFromString(node->data) || job.job_id() != id) {
        out.unreadable.push_back({id, "the record in ZooKeeper does not parse"});
        continue;
      }
      out.jobs.push_back(std::move(job));
    }
    return out;
  }

  Status WritePlan(const std::string& job_id, const proto::BatchPlan& plan) override {
    return Write(JobPath(job_id) + "/plan", plan);
  }
  Status WriteCommit(const std::string& job_id, const proto::BatchCommit& commit) override {
    return Write(JobPath(job_id) + "/commit", commit);
  }

  Result<std::optional<ResumePoint>> LoadResumePoint(const std::string& job_id) override {
    ResumePoint point;
    auto plan = zk_->Get(JobPath(job_id) + "/plan");
    if (plan.ok()) {
      point.plan.emplace();
      if (!point.plan->ParseFromString(plan->data)) {
        return Status::Corruption("job " + job_id + ": its plan in ZooKeeper does not parse");
      }
    } else if (plan.status().code() != StatusCode::kNotFound) {
      return plan.status();
    }
    auto commit = zk_->Get(JobPath(job_id) + "/commit");
    if (commit.ok()) {
      point.commit.emplace();
      if (!point.commit->ParseFromString(commit->data)) {
        return Status::Corruption("job " + job_id + ": its commit in ZooKeeper does not parse");
      }
    } else if (commit.status().code() != StatusCode::kNotFound) {
      return commit.status();
    }
    if (!point.plan && !point.commit) return std::optional<ResumePoint>();
    return std::optional<ResumePoint>(std::move(point));
  }

  int64_t epoch() const override { return epoch_; }

 private:
  std::string JobPath(const std::string& id) const { return root_ + "/jobs/" + id; }
  Status Write(const std::string& path, const google::protobuf::Message& m) {
    return zk_
        ->SetFenced(root_ + "/epoch", static_cast<int32_t>(epoch_), path, m.SerializeAsString())
        .WithContext("epoch " + std::to_string(epoch_));
  }

  ZkClient* zk_;
  std::string root_;
  int64_t epoch_;
};

}  // namespace

Result<std::unique_ptr<LeaderElection>> LeaderElection::Join(
    const HaOptions& options, std::function<void(std::string)> on_lost) {
  std::unique_ptr<LeaderElection> e(new LeaderElection());
  e->options_ = options;
  e->on_lost_ = std::move(on_lost);
  SPATE_ASSIGN_OR_RETURN(e->url_, ParseZkUrl(options.url));
  auto* raw = e.get();
  SPATE_ASSIGN_OR_RETURN(e->zk_, ZkClient::Connect(e->url_.hosts, options.session_timeout_ms,
                                                   15'000, [raw](const std::string& why) {
                                                     if (!raw->stopping_) raw->on_lost_(why);
                                                   }));
  for (const char* dir : {"election", "jobs", "epoch"}) {
    SPATE_RETURN_IF_ERROR(e->zk_->EnsurePath(e->Path(dir)));
  }
  const std::string data =
      options.address + " " + (options.ui_address.empty() ? "-" : options.ui_address);
  SPATE_ASSIGN_OR_RETURN(std::string created,
                         e->zk_->Create(e->Path("election/m-"), data, ZOO_EPHEMERAL_SEQUENTIAL));
  e->node_ = created.substr(created.rfind('/') + 1);
  spdlog::info("joined the election in ZooKeeper {} as {} (session timeout {} ms)",
               e->url_.hosts + e->url_.root, e->node_, e->zk_->session_timeout_ms());
  return e;
}

LeaderElection::~LeaderElection() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (stamp_.joinable()) stamp_.join();
  zk_.reset();  // closes the session: the election node goes at once, a standby takes over
}

Status LeaderElection::WaitForLeadership(const std::function<bool()>& stop) {
  while (!stop() && zk_->alive()) {
    auto children = zk_->Children(Path("election"));
    if (!children.ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    std::sort(children->begin(), children->end());
    auto me = std::find(children->begin(), children->end(), node_);
    if (me == children->end()) {
      return Status::Aborted("this master's election node " + node_ + " is gone");
    }
    if (me == children->begin()) return BecomeLeader();
    // Watch only the predecessor: when it goes, one master wakes, not all of them.
    const std::string predecessor = *(me - 1);
    uint64_t seen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen = changes_;
    }
    auto exists = zk_->WatchExists(Path("election/" + predecessor), [this] {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++changes_;
      }
      cv_.notify_all();
    });
    if (!exists.ok() || !*exists) continue;
    spdlog::info("standby: watching {} (the master before this one in the election)", predecessor);
    std::unique_lock<std::mutex> lock(mu_);
    while (changes_ == seen && !stopping_ && !stop() && zk_->alive()) {
      cv_.wait_for(lock, std::chrono::milliseconds(200));
    }
  }
  return Status::Aborted("stopped before this master was elected");
}

Status LeaderElection::BecomeLeader() {
  // The epoch is the version of the epoch node: raised by a conditional set, so two leaders
  // can never hold the same epoch, and every later election makes every older one stale.
  int32_t version = 0;
  for (int tries = 0;; ++tries) {
    SPATE_ASSIGN_OR_RETURN(ZkNode node, zk_->Get(Path("epoch")));
    auto set = zk_->Set(Path("epoch"), std::to_string(node.version + 1), node.version);
    if (set.ok()) {
      version = *set;
      break;
    }
    if (set.status().code() != StatusCode::kFailedPrecondition || tries > 10) {
      return set.status().WithContext("raising the epoch");
    }
  }
  const int64_t now = NowMs();
  auto previous = zk_->Get(Path("leader"));
  if (previous.ok()) {
    const int64_t alive = ToInt(Field(previous->data, "alive_ms"));
    if (alive > 0 && now - alive < kColdStartMs) previous_alive_ms_ = alive;
  }
  epoch_ = version;
  elected_at_ms_ = now;
  leading_ = true;
  spdlog::info("elected leader with epoch {}{}", version,
               previous_alive_ms_ > 0 ? " (the previous leader was last seen " +
                                            std::to_string(now - previous_alive_ms_) + " ms ago)"
                                      : "");
  stamp_ = std::thread([this] { StampLoop(); });
  return Status::OK();
}

void LeaderElection::StampLoop() {
  while (true) {
    const std::string stamp = "epoch=" + std::to_string(epoch_.load()) +
                              " address=" + options_.address +
                              " ui=" + (options_.ui_address.empty() ? "-" : options_.ui_address) +
                              " alive_ms=" + std::to_string(NowMs());
    Status s = zk_->SetFenced(Path("epoch"), static_cast<int32_t>(epoch_), Path("leader"), stamp);
    if (s.code() == StatusCode::kFailedPrecondition) {
      if (!stopping_) on_lost_("a newer leader was elected: " + s.message());
      return;
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, std::chrono::milliseconds(kStampIntervalMs),
                     [this] { return stopping_.load(); })) {
      return;
    }
  }
}

Result<LeaderInfo> LeaderElection::Leader() {
  LeaderInfo info;
  SPATE_ASSIGN_OR_RETURN(auto children, zk_->Children(Path("election")));
  std::sort(children.begin(), children.end());
  auto epoch = zk_->Get(Path("epoch"));
  if (epoch.ok()) info.epoch = epoch->version;
  for (const auto& child : children) {
    auto node = zk_->Get(Path("election/" + child));
    if (!node.ok()) continue;  // gone meanwhile: the next one leads
    std::istringstream in(node->data);
    in >> info.address >> info.ui_address;
    if (info.ui_address == "-") info.ui_address.clear();
    info.self = child == node_ && leading_;
    break;
  }
  return info;
}

std::unique_ptr<JobStore> LeaderElection::MakeJobStore() {
  return std::make_unique<ZkJobStore>(zk_.get(), url_.root, epoch_);
}

void LeaderElection::NoteCommit(int64_t now_ms) {
  if (previous_alive_ms_ == 0) return;
  int64_t zero = 0;
  if (takeover_ms_.compare_exchange_strong(zero, now_ms - previous_alive_ms_)) {
    spdlog::info(
        "takeover: first batch committed under epoch {} {} ms after the previous "
        "leader's last sign of life ({} ms after this master was elected)",
        epoch_.load(), now_ms - previous_alive_ms_, now_ms - elected_at_ms_);
  }
}

Result<std::unique_ptr<StandbyPage>> StandbyPage::Start(const std::string& host, int port,
                                                        std::string self_address) {
  std::unique_ptr<StandbyPage> p(new StandbyPage());
  p->server_ = std::make_unique<httplib::Server>();
  // As the leader's page: SO_REUSEADDR only. The leader's page binds this port once this
  // master leads, past the connections this page closed (TIME_WAIT); a socket that had
  // SO_REUSEPORT would keep it from binding.
  p->server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  auto leader = [raw = p.get()] {
    LeaderElection* election = raw->election_.load();
    if (!election) return LeaderInfo{};
    auto info = election->Leader();
    return info.ok() ? *info : LeaderInfo{};
  };
  auto json = [leader, self_address] {
    LeaderInfo info = leader();
    return nlohmann::json{{"role", "standby"},
                          {"masterAddress", self_address},
                          {"leader", info.address},
                          {"leaderUi", info.ui_address},
                          {"epoch", info.epoch}};
  };
  p->server_->Get("/api/v1/cluster", [json](const httplib::Request&, httplib::Response& res) {
    res.set_content(json().dump(), "application/json");
  });
  p->server_->Get("/api/v1/leader", [json](const httplib::Request&, httplib::Response& res) {
    res.set_content(json().dump(), "application/json");
  });
  p->server_->Get("/metrics", [leader](const httplib::Request&, httplib::Response& res) {
    LeaderInfo info = leader();
    res.set_content(
        "# HELP spate_master_leader 1 when this master leads, 0 for a standby.\n"
        "# TYPE spate_master_leader gauge\nspate_master_leader 0\n"
        "# HELP spate_master_epoch The newest leader epoch.\n"
        "# TYPE spate_master_epoch gauge\nspate_master_epoch " +
            std::to_string(info.epoch) + "\n",
        "text/plain; version=0.0.4; charset=utf-8");
  });
  p->server_->Get(
      ".*", [leader, self_address](const httplib::Request& req, httplib::Response& res) {
        LeaderInfo info = leader();
        const std::string where = info.address.empty() ? "not elected yet" : info.address;
        if (req.path.rfind("/api/", 0) == 0) {
          res.status = 503;
          res.set_content(nlohmann::json{{"error", "standby; the leader is " + where},
                                         {"leader", info.address},
                                         {"leaderUi", info.ui_address}}
                              .dump(),
                          "application/json");
          return;
        }
        std::string link = info.ui_address.empty()
                               ? where
                               : "<a href=\"http://" + info.ui_address + "/\">" + where + "</a>";
        res.set_content(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Spate master "
            "(standby)</title></head><body><h1>Spate master " +
                self_address + "</h1><p>standby; the leader is " + link + " (epoch " +
                std::to_string(info.epoch) + ")</p></body></html>\n",
            "text/html; charset=utf-8");
      });
  if (port == 0) {
    p->port_ = p->server_->bind_to_any_port(host);
  } else if (p->server_->bind_to_port(host, port)) {
    p->port_ = port;
  }
  if (p->port_ <= 0) {
    return Status::Unavailable("cannot serve the standby page on " + host + ":" +
                               std::to_string(port) + " (port in use?)");
  }
  p->listener_ = std::thread([raw = p.get()] { raw->server_->listen_after_bind(); });
  for (int i = 0; i < 500 && !p->server_->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return p;
}

StandbyPage::~StandbyPage() { Shutdown(); }

void StandbyPage::Shutdown() {
  if (server_) server_->stop();
  if (listener_.joinable()) listener_.join();
}

}  // namespace spate::master
