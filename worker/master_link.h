// The worker's and spate-submit's way to the master: a list of masters (spate://m1:7077,m2:7077,
// as Spark's), of which the one that leads is found by asking them (the Leader rpc).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "proto/spate.grpc.pb.h"

namespace spate::worker {

/// "spate://h1:7077,h2:7077" (or "h1:7077,h2:7077") -> {"h1:7077", "h2:7077"}. InvalidArgument
/// names the bad entry.
Result<std::vector<std::string>> ParseMasterUrls(std::string_view url);

/// Stubs to a list of masters and which of them is taken for the leader. Thread-safe.
class MasterLink {
 public:
  /// `addresses`: at least one host:port. The first is taken for the leader until a call fails.
  explicit MasterLink(std::vector<std::string> addresses);

  /// The master currently taken for the leader, and its stub (owned by the link, valid for
  /// the link's life).
  std::string address();
  proto::Master::Stub* stub();
  /// All the masters, comma-separated (for messages).
  std::string list() const;

  /// After a call to the current master failed (it is down, or a standby): asks each master
  /// which one leads (deadline `timeout` each) and takes that one; when none knows, takes the
  /// next in the list. Returns whether the master taken changed. With one master, never.
  bool Failover(std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

 private:
  proto::Master::Stub* StubLocked(const std::string& address);

  const std::vector<std::string> addresses_;
  mutable std::mutex mu_;
  std::string current_;
  std::map<std::string, std::unique_ptr<proto::Master::Stub>> stubs_;
};

}  // namespace spate::worker
