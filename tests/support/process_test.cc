#include "tests/support/process.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

namespace spate::testing {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// True once `pid` no longer names a live process (gone, or a zombie waiting for init).
bool ProcessGone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

TEST_CASE("a started sleep runs until Kill9 and then reports 128+SIGKILL", "[unit]") {
  auto child = ChildProcess::Start({"sleep", "30"});
  REQUIRE(child.ok());
  CHECK(child->pid() > 0);
  CHECK(child->Running());
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(child->Kill9().ok());
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK_FALSE(child->Running());
  auto code = child->Wait(0ms);
  REQUIRE(code.ok());
  CHECK(*code == 128 + SIGKILL);
  CHECK(child->Kill9().ok());  // idempotent once reaped
}

TEST_CASE("exit codes are reported as the process returned them", "[unit]") {
  for (int expected : {0, 1, 3, 255}) {
    auto child = ChildProcess::Start({"sh", "-c", "exit " + std::to_string(expected)});
    REQUIRE(child.ok());
    auto code = child->Wait(10s);
    REQUIRE(code.ok());
    CHECK(*code == expected);
    // Later calls return the cached code.
    CHECK(child->Wait(0ms).ValueOr(-1) == expected);
  }
}

TEST_CASE("a process ended by a signal reports 128 plus the signal number", "[unit]") {
  auto self_term = ChildProcess::Start({"sh", "-c", "kill -TERM $$; sleep 5"});
  REQUIRE(self_term.ok());
  CHECK(self_term->Wait(10s).ValueOr(-1) == 128 + SIGTERM);

  auto sleeper = ChildProcess::Start({"sleep", "30"});
  REQUIRE(sleeper.ok());
  REQUIRE(sleeper->Signal(SIGUSR1).ok());
  CHECK(sleeper->Wait(10s).ValueOr(-1) == 128 + SIGUSR1);
  CHECK(sleeper->Signal(SIGUSR1).code() == StatusCode::kFailedPrecondition);
}

TEST_CASE("Wait past its timeout returns DeadlineExceeded and leaves the process running",
          "[unit]") {
  auto child = ChildProcess::Start({"sleep", "30"});
  REQUIRE(child.ok());
  auto t0 = std::chrono::steady_clock::now();
  auto code = child->Wait(200ms);
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(code.status().code() == StatusCode::kDeadlineExceeded);
  CHECK(waited >= 200ms);
  CHECK(waited < 2s);
  CHECK(child->Running());
}

TEST_CASE("Stop sends SIGTERM first and SIGKILLs a process that ignores it", "[unit]") {
  auto polite = ChildProcess::Start({"sleep", "30"});
  REQUIRE(polite.ok());
  CHECK(polite->Stop(5s).ValueOr(-1) == 128 + SIGTERM);

  // The shell ignores TERM; its sleep (same group) inherits the ignore, so only KILL ends them.
  auto stubborn = ChildProcess::Start({"sh", "-c", "trap '' TERM; echo ready; sleep 30; exit 0"});
  REQUIRE(stubborn.ok());
  REQUIRE(WaitFor([&] { return stubborn->Stdout() == "ready\n"; }, 5s, 10ms));
  auto t0 = std::chrono::steady_clock::now();
  CHECK(stubborn->Stop(300ms).ValueOr(-1) == 128 + SIGKILL);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

TEST_CASE("Kill9 reaches the processes the child started in its process group", "[unit]") {
  auto parent = ChildProcess::Start({"sh", "-c", "sleep 30 & echo $!; wait"});
  REQUIRE(parent.ok());
  REQUIRE(WaitFor([&] { return !parent->Stdout().empty(); }, 5s, 10ms));
  pid_t grandchild = std::atoi(parent->Stdout().c_str());
  REQUIRE(grandchild > 0);
  CHECK_FALSE(ProcessGone(grandchild));
  REQUIRE(parent->Kill9().ok());
  CHECK(WaitFor([&] { return ProcessGone(grandchild); }, 5s, 10ms));
}

TEST_CASE("the destructor kills and reaps a child that is still running", "[unit]") {
  pid_t pid = -1;
  {
    auto child = ChildProcess::Start({"sleep", "30"});
    REQUIRE(child.ok());
    pid = child->pid();
    ChildProcess moved = std::move(child).value();  // move keeps ownership with one object
    CHECK(moved.pid() == pid);
  }
  // Reaped by us, so the pid is gone at once (not a zombie).
  CHECK(::kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
}

TEST_CASE("starting a program that does not exist fails with NotFound", "[unit]") {
  auto child = ChildProcess::Start({"/nonexistent/spate-no-such-binary"});
  CHECK(child.status().code() == StatusCode::kNotFound);
  auto in_path = ChildProcess::Start({"spate-no-such-binary-in-path"});
  CHECK(in_path.status().code() == StatusCode::kNotFound);
  CHECK(ChildProcess::Start({}).status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("environment additions, working dir and log files reach the child", "[unit]") {
  TempDir work("spate-proc-test");
  std::string logs = work.MakeSubdir("logs");
  StartOptions opts;
  opts.env = {{"SPATE_TEST_FOO", "bar baz"}, {"HOME", "/nowhere"}};
  opts.working_dir = work.path();
  opts.log_dir = logs;
  opts.name = "probe";
  auto child = ChildProcess::Start(
      {"sh", "-c",
       "echo \"$SPATE_TEST_FOO\"; echo \"$HOME\"; pwd; echo oops >&2; read x; echo "
       "\"stdin:$x\""},
      opts);
  REQUIRE(child.ok());
  REQUIRE(child->Wait(10s).ValueOr(-1) == 0);
  CHECK(child->stdout_path() == logs + "/probe.stdout");
  CHECK(child->stderr_path() == logs + "/probe.stderr");
  CHECK(child->Stdout() ==
        "bar baz\n/nowhere\n" + fs::canonical(work.path()).string() + "\nstdin:\n");
  CHECK(child->Stderr() == "oops\n");
  CHECK(child->LogTail().find("oops") != std::string::npos);

  // A second child with the same name gets its own files.
  auto second = ChildProcess::Start({"sh", "-c", "echo two"}, opts);
  REQUIRE(second.ok());
  REQUIRE(second->Wait(10s).ValueOr(-1) == 0);
  CHECK(second->stdout_path() == logs + "/probe-2.stdout");
  CHECK(second->Stdout() == "two\n");
  CHECK(child->Stdout().find("two") == std::string::npos);
}

TEST_CASE("RunCommand captures stdout, stderr and the exit code", "[unit]") {
  auto res = RunCommand({"sh", "-c", "echo out; echo err >&2; echo \"$SPATE_X\"; exit 7"}, 10s,
                        {{"SPATE_X", "x-value"}});
  REQUIRE(res.ok());
  CHECK(res->exit_code == 7);
  CHECK(res->stdout_text == "out\nx-value\n");
  CHECK(res->stderr_text == "err\n");
}

TEST_CASE("RunCommand kills a command that runs past its timeout", "[unit]") {
  auto t0 = std::chrono::steady_clock::now();
  auto res = RunCommand({"sh", "-c", "echo started; sleep 30"}, 300ms);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  REQUIRE(res.status().code() == StatusCode::kDeadlineExceeded);
  CHECK(res.status().message().find("started") != std::string::npos);
}

TEST_CASE("TempDir removes its tree unless SPATE_KEEP_TEST_DIRS=1", "[unit]") {
  std::string path;
  {
    TempDir dir("spate-tempdir-test");
    path = dir.path();
    CHECK(fs::is_directory(path));
    std::string sub = dir.MakeSubdir("a/b");
    std::ofstream(sub + "/f.txt") << "data";
    CHECK(fs::exists(dir.Join("a/b/f.txt")));
    TempDir moved = std::move(dir);
    CHECK(moved.path() == path);
  }
  CHECK_FALSE(fs::exists(path));

  ::setenv("SPATE_KEEP_TEST_DIRS", "1", 1);
  {
    TempDir kept("spate-tempdir-kept");
    path = kept.path();
  }
  ::unsetenv("SPATE_KEEP_TEST_DIRS");
  CHECK(fs::is_directory(path));
  fs::remove_all(path);

  // Under $TMPDIR when set.
  TempDir base("spate-tempdir-base");
  ::setenv("TMPDIR", base.path().c_str(), 1);
  auto inner = TempDir::Make("inner");
  ::unsetenv("TMPDIR");
  REQUIRE(inner.ok());
  CHECK(inner->path().rfind(base.path() + "/inner-", 0) == 0);
}

TEST_CASE("FreeTcpPort returns distinct ports that can be bound on 127.0.0.1", "[unit]") {
  std::set<int> ports;
  for (int i = 0; i < 20; ++i) {
    int port = FreeTcpPort();
    REQUIRE(port > 0);
    REQUIRE(port < 65536);
    CHECK(ports.insert(port).second);
  }
  int port = *ports.begin();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  CHECK(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  ::close(fd);
}

TEST_CASE("WaitFor returns true as soon as the condition holds and false at the timeout",
          "[unit]") {
  int calls = 0;
  CHECK(WaitFor([&] { return ++calls >= 3; }, 5s, 1ms));
  CHECK(calls == 3);
  auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(WaitFor([] { return false; }, 150ms, 20ms));
  auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= 150ms);
  CHECK(waited < 2s);
}

TEST_CASE("BinDir, SourceDir and Bootstrap follow the environment", "[unit]") {
  ::setenv("SPATE_SOURCE_DIR", "/src/spate", 1);
  ::unsetenv("SPATE_BIN_DIR");
  CHECK(SourceDir() == "/src/spate");
  CHECK(BinDir() == "/src/spate/build/bin");
  ::setenv("SPATE_BIN_DIR", "/b/bin", 1);
  CHECK(BinDir() == "/b/bin");
  ::unsetenv("SPATE_BIN_DIR");
  ::unsetenv("SPATE_SOURCE_DIR");
  CHECK(fs::exists(SourceDir() + "/tests/support/process.h"));

  ::unsetenv("SPATE_BOOTSTRAP");
  ::unsetenv("SPATE_KAFKA_PORT");
  CHECK(Bootstrap() == "127.0.0.1:19092");
  ::setenv("SPATE_KAFKA_PORT", "29092", 1);
  CHECK(Bootstrap() == "127.0.0.1:29092");
  ::setenv("SPATE_BOOTSTRAP", "10.0.0.1:9092", 1);
  CHECK(Bootstrap() == "10.0.0.1:9092");
  ::unsetenv("SPATE_BOOTSTRAP");
  ::unsetenv("SPATE_KAFKA_PORT");
}

TEST_CASE("HttpGet returns the body on 200 and typed errors otherwise", "[unit]") {
  httplib::Server server;
  server.Get("/api/v1/workers", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"workers":[]})", "application/json");
  });
  server.Get("/boom", [](const httplib::Request&, httplib::Response& res) { res.status = 503; });
  int port = FreeTcpPort();
  REQUIRE(port > 0);
  std::thread thread([&] { server.listen("127.0.0.1", port); });
  REQUIRE(WaitFor([&] { return server.is_running(); }, 5s, 5ms));

  auto body = HttpGet("127.0.0.1", port, "/api/v1/workers");
  REQUIRE(body.ok());
  CHECK(*body == R"({"workers":[]})");
  CHECK(HttpGet("127.0.0.1", port, "/missing").status().code() == StatusCode::kNotFound);
  CHECK(HttpGet("127.0.0.1", port, "/boom").status().code() == StatusCode::kUnavailable);
  server.stop();
  thread.join();

  auto closed = HttpGet("127.0.0.1", FreeTcpPort(), "/", 500ms);
  CHECK(closed.status().code() == StatusCode::kUnavailable);
}

}  // namespace
}  // namespace spate::testing
