#include "master/zk_client.h"

#include <spdlog/spdlog.h>
#include <zookeeper/zookeeper.h>

#include <chrono>
#include <cstring>

namespace spate::master {
namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The C client's own messages (each failed connection attempt while a server is down, ...):
// debug output. What a user must know (a lost session, an unreachable ensemble) is logged
// by this client as it acts on it.
void LogFromLibrary(const char* message) { spdlog::debug("zookeeper: {}", message); }

// A one-shot watch's callback, owned by the library until it fires.
void WatchTrampoline(zhandle_t*, int, int, const char*, void* ctx) {
  auto* fn = static_cast<std::function<void()>*>(ctx);
  (*fn)();
  delete fn;
}

}  // namespace

Result<ZkUrl> ParseZkUrl(const std::string& url) {
  constexpr std::string_view kScheme = "zookeeper://";
  std::string_view rest = url;
  if (rest.substr(0, kScheme.size()) != kScheme) {
    return Status::InvalidArgument("--ha '" + url +
                                   "': expected zookeeper://HOST:PORT[,HOST:PORT...][/ROOT]");
  }
  rest.remove_prefix(kScheme.size());
  ZkUrl out;
  size_t slash = rest.find('/');
  out.hosts = std::string(rest.substr(0, slash));
  out.root = slash == std::string_view::npos ? "/spate" : std::string(rest.substr(slash));
  while (out.root.size() > 1 && out.root.back() == '/') out.root.pop_back();
  if (out.root == "/") {
    return Status::InvalidArgument("--ha '" + url + "': the root path must not be /");
  }
  if (out.hosts.empty()) return Status::InvalidArgument("--ha '" + url + "': no host given");
  size_t start = 0;
  while (start <= out.hosts.size()) {
    size_t comma = out.hosts.find(',', start);
    std::string host = out.hosts.substr(start, comma - start);
    size_t colon = host.rfind(':');
    if (host.empty() || colon == std::string::npos || colon == 0 || colon + 1 == host.size() ||
        host.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
      return Status::InvalidArgument("--ha '" + url + "': '" + host + "' is not HOST:PORT");
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

void ZkClient::Watcher(zhandle_t*, int type, int state, const char*, void* ctx) {
  auto* self = static_cast<ZkClient*>(ctx);
  if (type != ZOO_SESSION_EVENT) return;
  if (state == ZOO_CONNECTED_STATE) {
    self->disconnected_since_ms_ = 0;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->connected_ = true;
    }
    self->cv_.notify_all();
  } else if (state == ZOO_CONNECTING_STATE) {
    int64_t zero = 0;
    self->disconnected_since_ms_.compare_exchange_strong(zero, SteadyMs());
  } else if (state == ZOO_EXPIRED_SESSION_STATE) {
    self->MarkLost("the ZooKeeper session expired");
  } else {
    self->MarkLost("the ZooKeeper session ended (state " + std::to_string(state) + ")");
  }
}

void ZkClient::MarkLost(const std::string& why) {
  if (lost_.exchange(true)) return;
  spdlog::error("{}", why);
  cv_.notify_all();
  if (on_lost_) on_lost_(why);
}

Result<std::unique_ptr<ZkClient>> ZkClient::Connect(const std::string& hosts,
                                                    int session_timeout_ms,
                                                    int64_t connect_timeout_ms,
                                                    SessionLost on_lost) {
  zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
  std::unique_ptr<ZkClient> c(new ZkClient());
  c->on_lost_ = std::move(on_lost);
  c->zh_ = zookeeper_init2(hosts.c_str(), &ZkClient::Watcher, session_timeout_ms, nullptr, c.get(),
                           0, &LogFromLibrary);
  if (!c->zh_) {
    return Status::InvalidArgument("cannot start a ZooKeeper client for " + hosts + ": " +
                                   std::strerror(errno));
  }
  {
    std::unique_lock<std::mutex> lock(c->mu_);
    if (!c->cv_.wait_for(lock, std::chrono::milliseconds(connect_timeout_ms),
                         [&] { return c->connected_.load() || c->lost_.load(); }) ||
        c->lost_) {
      return Status::Unavailable("no ZooKeeper server answered at " + hosts + " within " +
                                 std::to_string(connect_timeout_ms) + " ms");
    }
  }
  // The library learns that a session expired only when it reconnects; a master cut off from
  // every server must find out by itself that its session is over, so that it stops leading.
  c->monitor_ = std::thread([raw = c.get()] {
    while (!raw->stopping_ && !raw->lost_) {
      const int64_t since = raw->disconnected_since_ms_.load();
      if (since > 0 && SteadyMs() - since > raw->session_timeout_ms()) {
        raw->MarkLost("no ZooKeeper server reachable for longer than the session timeout (" +
                      std::to_string(raw->session_timeout_ms()) + " ms)");
        break;
      }
      std::unique_lock<std::mutex> lock(raw->mu_);
      raw->cv_.wait_for(lock, std::chrono::milliseconds(100),
                        [raw] { return raw->stopping_.load(); });
    }
  });
  return c;
}

ZkClient::~ZkClient() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (monitor_.joinable()) monitor_.join();
  lost_ = true;  // closing ends the session: no SessionLost call for it
  if (zh_) zookeeper_close(zh_);
}

int ZkClient::session_timeout_ms() const { return zoo_recv_timeout(zh_); }

Status ZkClient::Check(int rc, const std::string& what, const std::string& path) const {
  if (rc == ZOK) return Status::OK();
  std::string msg = "ZooKeeper " + what + " " + path + ": " + zerror(rc);
  if (rc == ZNONODE) return Status::NotFound(msg);
  if (rc == ZNODEEXISTS) return Status::AlreadyExists(msg);
  if (rc == ZBADVERSION) return Status::FailedPrecondition(msg);
  if (rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT || rc == ZSESSIONEXPIRED ||
      rc == ZINVALIDSTATE || rc == ZCLOSING) {
    return Status::Unavailable(msg);
  }
  return Status::Internal(msg);
}

Status ZkClient::EnsurePath(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    const std::string prefix = path.substr(0, i);
    int rc = zoo_create(zh_, prefix.c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT,
                        nullptr, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) return Check(rc, "create", prefix);
  }
  return Status::OK();
}

Result<std::string> ZkClient::Create(const std::string& path, const std::string& data, int flags) {
  std::vector<char> created(path.size() + 64);
  int rc =
      zoo_create(zh_, path.c_str(), data.data(), static_cast<int>(data.size()),
                 &ZOO_OPEN_ACL_UNSAFE, flags, created.data(), static_cast<int>(created.size()));
  SPATE_RETURN_IF_ERROR(Check(rc, "create", path));
  return std::string(created.data());
}

Result<ZkNode> ZkClient::Get(const std::string& path) {
  for (int tries = 0; tries < 5; ++tries) {
    struct Stat stat {};
    int rc = zoo_exists(zh_, path.c_str(), 0, &stat);
    SPATE_RETURN_IF_ERROR(Check(rc, "read", path));
    std::string buf(static_cast<size_t>(stat.dataLength) + 1, '\0');
    int len = static_cast<int>(buf.size());
    rc = zoo_get(zh_, path.c_str(), 0, buf.data(), &len, &stat);
    SPATE_RETURN_IF_ERROR(Check(rc, "read", path));
    if (len < 0) len = 0;
    if (stat.dataLength > static_cast<int32_t>(buf.size()) - 1) continue;  // it grew meanwhile
    buf.resize(static_cast<size_t>(len));
    return ZkNode{std::move(buf), stat.version, stat.ephemeralOwner};
  }
  return Status::Unavailable("ZooKeeper read " + path + ": it kept changing while read");
}

Result<int32_t> ZkClient::Set(const std::string& path, const std::string& data, int32_t version) {
  struct Stat stat {};
  int rc = zoo_set2(zh_, path.c_str(), data.data(), static_cast<int>(data.size()), version, &stat);
  SPATE_RETURN_IF_ERROR(Check(rc, "write", path));
  return stat.version;
}

Result<std::vector<std::string>> ZkClient::Children(const std::string& path) {
  struct String_vector names {};
  int rc = zoo_get_children(zh_, path.c_str(), 0, &names);
  SPATE_RETURN_IF_ERROR(Check(rc, "list", path));
  std::vector<std::string> out;
  for (int i = 0; i < names.count; ++i) out.emplace_back(names.data[i]);
  deallocate_String_vector(&names);
  return out;
}

Status ZkClient::Delete(const std::string& path) {
  int rc = zoo_delete(zh_, path.c_str(), -1);
  if (rc == ZNONODE) return Status::OK();
  return Check(rc, "delete", path);
}

Result<bool> ZkClient::WatchExists(const std::string& path, std::function<void()> on_change) {
  auto* fn = new std::function<void()>(std::move(on_change));
  struct Stat stat {};
  int rc = zoo_wexists(zh_, path.c_str(), &WatchTrampoline, fn, &stat);
  if (rc == ZOK) return true;
  if (rc == ZNONODE) return false;  // the watch is set: it fires on creation
  delete fn;
  return Check(rc, "watch", path);
}

Status ZkClient::SetFenced(const std::string& fence_path, int32_t fence_version,
                           const std::string& path, const std::string& data) {
  bool create = false;
  for (int tries = 0; tries < 4; ++tries) {
    // The C client's zoo_multi frees memory it does not own when the handle is not connected
    // (seen as a crash in zoo_amulti after a session expired): a multi is sent only on a
    // connected handle.
    if (lost_ || zoo_state(zh_) != ZOO_CONNECTED_STATE) {
      return Status::Unavailable("ZooKeeper write " + path + ": not connected" +
                                 (lost_ ? " (the session is over)" : ""));
    }
    zoo_op_t ops[2] = {};
    zoo_op_result_t results[2] = {};
    struct Stat stat {};
    zoo_check_op_init(&ops[0], fence_path.c_str(), fence_version);
    std::vector<char> created(path.size() + 16);
    if (!create) {
      zoo_set_op_init(&ops[1], path.c_str(), data.data(), static_cast<int>(data.size()), -1, &stat);
    } else {
      zoo_create_op_init(&ops[1], path.c_str(), data.data(), static_cast<int>(data.size()),
                         &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, created.data(),
                         static_cast<int>(created.size()));
    }
    int rc = zoo_multi(zh_, 2, ops, results);
    if (rc == ZOK) return Status::OK();
    if (results[0].err == ZBADVERSION || results[0].err == ZNONODE) {
      return Status::FailedPrecondition("ZooKeeper write " + path + " refused: " + fence_path +
                                        " moved past version " + std::to_string(fence_version) +
                                        " (a newer leader was elected)");
    }
    const bool absent = results[1].err == ZNONODE;
    const bool raced = results[1].err == ZNODEEXISTS;
    if (!create && absent) {
      create = true;  // the first write of this node: create it
      continue;
    }
    if (create && raced) {
      create = false;  // made meanwhile: set it
      continue;
    }
    return Check(rc, "write", path);
  }
  return Status::Unavailable("ZooKeeper write " + path + ": created and deleted meanwhile");
}

}  // namespace spate::master
