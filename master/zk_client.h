// A synchronous ZooKeeper client over the C library (libzookeeper_mt), with ZooKeeper's error
// codes turned into spate::Status at this edge.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

typedef struct _zhandle zhandle_t;

namespace spate::master {

/// "zookeeper://h1:2181,h2:2181/spate" -> the connect string and the root path.
struct ZkUrl {
  std::string hosts;  ///< "h1:2181,h2:2181"
  std::string root;   ///< "/spate": every node Spate makes lives under it
};
/// Parses `url`; the root defaults to "/spate". InvalidArgument names what is wrong.
Result<ZkUrl> ParseZkUrl(const std::string& url);

/// A znode's data with the version a conditional write names.
struct ZkNode {
  std::string data;
  int32_t version = 0;
  int64_t ephemeral_owner = 0;
};

/// One ZooKeeper session. Thread-safe: the C library serializes requests on its own threads;
/// every call blocks until the server answers or the session is known to be gone.
class ZkClient {
 public:
  /// Called on the library's event thread when the session ends for good (expired, or the
  /// connection was lost for longer than the session timeout): the ephemeral nodes of this
  /// session are gone or about to be. Must not call back into the client.
  using SessionLost = std::function<void(const std::string& why)>;

  /// Connects to `hosts` with the given session timeout and waits (up to `connect_timeout_ms`)
  /// until the session is established. Unavailable when no server answered in time.
  static Result<std::unique_ptr<ZkClient>> Connect(const std::string& hosts, int session_timeout_ms,
                                                   int64_t connect_timeout_ms, SessionLost on_lost);
  ~ZkClient();
  ZkClient(const ZkClient&) = delete;
  ZkClient& operator=(const ZkClient&) = delete;

  /// The session timeout the server granted.
  int session_timeout_ms() const;
  /// False once the session was lost (SessionLost was called).
  bool alive() const { return !lost_.load(); }

  /// Creates `path` and its missing parents as persistent empty nodes; OK when they exist.
  Status EnsurePath(const std::string& path);
  /// Creates a node; `flags` are ZOO_EPHEMERAL / ZOO_SEQUENCE bits. Returns the created path
  /// (with its sequence number). AlreadyExists when it exists.
  Result<std::string> Create(const std::string& path, const std::string& data, int flags);
  /// NotFound when the node does not exist.
  Result<ZkNode> Get(const std::string& path);
  /// Sets the data when the node is at `version` (-1: any). FailedPrecondition when it is not
  /// (someone else wrote it), NotFound when absent. Returns the new version.
  Result<int32_t> Set(const std::string& path, const std::string& data, int32_t version);
  /// The children's names, unsorted. NotFound when the node does not exist.
  Result<std::vector<std::string>> Children(const std::string& path);
  /// Deletes the node (any version); OK when it is absent.
  Status Delete(const std::string& path);
  /// Whether the node exists; sets a one-shot watch that calls `on_change` (on the library's
  /// event thread) when it is created, changed or deleted, or when the session ends.
  Result<bool> WatchExists(const std::string& path, std::function<void()> on_change);

  /// Atomically, as one ZooKeeper transaction: only if `fence_path` is still at
  /// `fence_version`, sets `path` to `data` (creating it when absent). FailedPrecondition when
  /// the fence moved: a newer writer owns the data, and nothing was written.
  Status SetFenced(const std::string& fence_path, int32_t fence_version, const std::string& path,
                   const std::string& data);

 private:
  ZkClient() = default;
  static void Watcher(zhandle_t* zh, int type, int state, const char* path, void* ctx);
  void MarkLost(const std::string& why);
  Status Check(int rc, const std::string& what, const std::string& path) const;

  zhandle_t* zh_ = nullptr;
  SessionLost on_lost_;
  std::atomic<bool> lost_{false};
  std::atomic<bool> connected_{false};
  std::atomic<int64_t> disconnected_since_ms_{0};  // steady clock; 0 while connected
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread monitor_;  // declares the session lost after a disconnection past its timeout
};

}  // namespace spate::master
