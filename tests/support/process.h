// Test support: start and stop real processes, temp dirs, ports and small HTTP reads, for the
// integration and fault tests. Not used by any production binary.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace spate::testing {

/// A directory made with mkdtemp under $TMPDIR (or /tmp), removed recursively when the object
/// is destroyed, unless the environment sets SPATE_KEEP_TEST_DIRS=1 (then its path is printed
/// to stderr so a failed test's files can be inspected). Move-only; not thread-safe.
class TempDir {
 public:
  /// Makes "<TMPDIR>/<prefix>-XXXXXX". Aborts the test binary if mkdtemp fails (a broken /tmp
  /// leaves nothing to test); use Make() to get the error as a value instead.
  explicit TempDir(std::string_view prefix = "spate-test");
  /// Same as the constructor, but returns the error instead of aborting.
  static Result<TempDir> Make(std::string_view prefix = "spate-test");

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  /// Absolute path of the directory, without a trailing slash.
  const std::string& path() const { return path_; }
  /// path() + "/" + name; creates nothing.
  std::string Join(std::string_view name) const;
  /// Creates path()/name (and its parents) and returns its path; aborts if that fails.
  std::string MakeSubdir(std::string_view name) const;

 private:
  struct Tag {};
  TempDir(Tag, std::string path) : path_(std::move(path)) {}
  void Remove();

  std::string path_;
};

/// How ChildProcess::Start runs a command.
struct StartOptions {
  /// Variables added to (or overriding) the parent's environment.
  std::vector<std::pair<std::string, std::string>> env;
  /// Working directory of the child; empty means the parent's.
  std::string working_dir;
  /// Directory for the child's stdout/stderr files. Empty: a TempDir owned by the ChildProcess
  /// (kept with SPATE_KEEP_TEST_DIRS=1, removed with the object otherwise).
  std::string log_dir;
  /// Base name of the log files: <log_dir>/<name>.stdout and .stderr; a "-2", "-3", ... suffix
  /// is added when those files already exist. Empty: the basename of argv[0].
  std::string name;
  /// Put the child in a new process group (its pid is the group id), so that Kill9(), Stop()
  /// and the destructor also reach the processes it started (e.g. a worker's executors) and a
  /// terminal's Ctrl-C does not reach it.
  bool new_process_group = true;
};

/// A child process started from argv, with stdin from /dev/null and stdout/stderr sent to log
/// files. The destructor SIGKILLs (the group of) a child that is still running and reaps it, so a
/// test never leaves a process behind. Move-only; one thread at a time.
class ChildProcess {
 public:
  /// Starts argv[0] (searched in PATH when it has no '/'). Fails with NotFound when the program
  /// cannot be executed, IOError when the log files cannot be created.
  static Result<ChildProcess> Start(std::vector<std::string> argv, StartOptions opts = {});

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  /// The command line, space-joined (for messages).
  std::string CommandLine() const;

  /// True until the child has exited (reaps it if it just did).
  bool Running();
  /// Waits for the exit: the exit code, or 128 + signal number when a signal ended it (as a
  /// shell reports it). DeadlineExceeded if it is still running after `timeout`. Once the child
  /// is reaped, later calls return the same code at once.
  Result<int> Wait(std::chrono::milliseconds timeout);
  /// Sends `sig` to the child process only. FailedPrecondition if it has already been reaped.
  Status Signal(int sig);
  /// Sends `sig` to the child's process group (the child only if it has no group of its own).
  /// Members that outlive the leader are reached too.
  Status SignalGroup(int sig);
  /// SIGKILLs the child's group (as a machine loss would) and reaps the child. OK if it had
  /// already exited.
  Status Kill9();
  /// Graceful stop: SIGTERM to the child, wait up to `timeout`, then SIGKILL to its group.
  /// Returns the exit code as Wait() does (137 when SIGKILL was needed).
  Result<int> Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// Contents of the stdout / stderr files so far ("" if unreadable).
  std::string Stdout() const;
  std::string Stderr() const;
  /// The last `max_lines` lines of stdout and stderr, labelled, for failure messages.
  std::string LogTail(size_t max_lines = 40) const;
  const std::string& stdout_path() const { return stdout_path_; }
  const std::string& stderr_path() const { return stderr_path_; }

 private:
  ChildProcess() = default;
  void Reap(int wait_status);
  void KillAndReap();

  pid_t pid_ = -1;
  bool group_ = false;
  bool exited_ = false;
  int exit_code_ = -1;
  std::vector<std::string> argv_;
  std::string stdout_path_;
  std::string stderr_path_;
  std::unique_ptr<TempDir> owned_log_dir_;
};

/// What a short command printed and how it ended.
struct CommandResult {
  int exit_code = -1;  ///< exit code, or 128 + signal
  std::string stdout_text;
  std::string stderr_text;
};

/// Runs a short command to completion (stdin /dev/null, output captured through files).
/// DeadlineExceeded (with the output so far in the message) if it runs past `timeout`; it is
/// killed then. A non-zero exit is not an error: check exit_code.
Result<CommandResult> RunCommand(std::vector<std::string> argv,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60),
                                 std::vector<std::pair<std::string, std::string>> env = {});

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close). Never
/// returns the same port twice in one test binary. -1 if no socket could be bound.
/// Racy by nature: bind the port soon after.
int FreeTcpPort();

/// Polls `cond` every `poll` until it returns true (-> true) or `timeout` passes (-> false).
/// `cond` is evaluated once more at the deadline.
bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout,
             std::chrono::milliseconds poll = std::chrono::milliseconds(50));

/// Where the Spate binaries are: $SPATE_BIN_DIR, else <SourceDir()>/build/bin.
std::string BinDir();
/// The repository root: $SPATE_SOURCE_DIR, else the source dir this library was configured from.
std::string SourceDir();
/// The Kafka bootstrap address: $SPATE_BOOTSTRAP, else 127.0.0.1:${SPATE_KAFKA_PORT:-19092}.
std::string Bootstrap();

/// GET http://host:port/path; the body on a 2xx reply. Unavailable when the server cannot be
/// reached or answers 5xx, NotFound on 404, FailedPrecondition on other statuses.
Result<std::string> HttpGet(const std::string& host, int port, const std::string& path,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace spate::testing
