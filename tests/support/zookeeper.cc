#include "tests/support/zookeeper.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>

namespace spate::testing {

using std::chrono::milliseconds;
using std::chrono::seconds;

ZooKeeper::ZooKeeper(const TempDir& dir) {
  const char* env = std::getenv("SPATE_ZK_JAR");
  const std::string jar = env ? env : "/usr/share/java/zookeeper.jar";
  INFO("ZooKeeper's jar " << jar << ": install Debian's zookeeper (scripts/install-deps.sh)");
  REQUIRE(std::ifstream(jar).good());
  port_ = FreeTcpPort();
  REQUIRE(port_ > 0);
  const std::string cfg = dir.Join("zoo.cfg");
  std::ofstream(cfg) << "tickTime=500\ndataDir=" << dir.MakeSubdir("zk-data")
                     << "\nclientPort=" << port_
                     << "\nclientPortAddress=127.0.0.1\nminSessionTimeout=1000\n"
                        "maxSessionTimeout=60000\nadmin.enableServer=false\n"
                        "4lw.commands.whitelist=ruok\n";
  StartOptions so;
  so.log_dir = dir.MakeSubdir("logs");
  so.name = "zookeeper";
  auto p = ChildProcess::Start(
      {"java", "-Xmx128m", "-cp", jar, "org.apache.zookeeper.server.ZooKeeperServerMain", cfg}, so);
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  process_.emplace(std::move(*p));
  bool up = WaitFor(
      [&] {
        auto r = RunCommand({"bash", "-c",
                             "exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port_) +
                                 " && echo ruok >&3 && timeout 2 cat <&3"},
                            seconds(5));
        return r.ok() && r->stdout_text == "imok";
      },
      seconds(30), milliseconds(200));
  INFO(process_->LogTail(30));
  REQUIRE(up);
}

ZooKeeper::~ZooKeeper() {
  if (process_) (void)process_->Stop(seconds(10));
}

void ZooKeeper::Stop() {
  if (process_) (void)process_->Stop(seconds(10));
}

std::string ZooKeeper::LogTail(size_t lines) const {
  return process_ ? process_->LogTail(lines) : "";
}

}  // namespace spate::testing
