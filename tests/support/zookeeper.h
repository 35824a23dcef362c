// Test support: a real, standalone ZooKeeper server (Debian's zookeeper package, or the jar in
// $SPATE_ZK_JAR) on a free port of 127.0.0.1, for the tests of standby masters.
#pragma once

#include <optional>
#include <string>

#include "tests/support/process.h"

namespace spate::testing {

/// Starts the server with its data under `dir` (which must outlive it) and waits, bounded,
/// until it answers `ruok`; stops it by PID when destroyed. Calls Catch2's REQUIRE on failure,
/// so use it inside a TEST_CASE. Not thread-safe.
class ZooKeeper {
 public:
  explicit ZooKeeper(const TempDir& dir);
  ~ZooKeeper();
  ZooKeeper(const ZooKeeper&) = delete;
  ZooKeeper& operator=(const ZooKeeper&) = delete;

  /// "127.0.0.1:PORT".
  std::string hosts() const { return "127.0.0.1:" + std::to_string(port_); }
  /// "zookeeper://127.0.0.1:PORT/spate", what `spate-master --ha` takes.
  std::string url() const { return "zookeeper://" + hosts() + "/spate"; }
  /// Stops the server (SIGTERM, then SIGKILL), as an outage would; its data stays.
  void Stop();
  /// The server's log so far.
  std::string LogTail(size_t lines = 30) const;

 private:
  int port_ = -1;
  std::optional<ChildProcess> process_;
};

}  // namespace spate::testing
