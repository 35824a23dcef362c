#include "tests/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "common/config.h"

extern char** environ;

#ifndef SPATE_TEST_SOURCE_DIR
#define SPATE_TEST_SOURCE_DIR "."
#endif

namespace spate::testing {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

bool KeepTestDirs() {
  const char* v = std::getenv("SPATE_KEEP_TEST_DIRS");
  return v != nullptr && std::string_view(v) == "1";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string LastLines(const std::string& text, size_t max_lines) {
  size_t end = text.size();
  if (end > 0 && text[end - 1] == '\n') --end;
  size_t pos = end;
  size_t lines = 0;
  while (pos > 0) {
    if (text[pos - 1] == '\n' && ++lines == max_lines) break;
    --pos;
  }
  return text.substr(pos, end - pos);
}

// A name that is safe as a file name part.
std::string SanitizeName(std::string_view name) {
  std::string out;
  for (char c : name) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    out.push_back(ok ? c : '_');
  }
  if (out.empty() || out == "." || out == "..") out = "proc";
  return out;
}

std::string Basename(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Opens <dir>/<base>.stdout exclusively, trying base, base-2, base-3, ... so that several
// children sharing one log dir never share a file.
Result<std::pair<int, std::string>> OpenUniqueLog(const std::string& dir, const std::string& base,
                                                  std::string* chosen) {
  for (int i = 1; i < 10000; ++i) {
    std::string name = i == 1 ? base : base + "-" + std::to_string(i);
    std::string path = dir + "/" + name + ".stdout";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      *chosen = name;
      return std::make_pair(fd, path);
    }
    if (errno != EEXIST) {
      return Status::IOError("cannot create log file " + path + ": " + ErrnoText(errno));
    }
  }
  return Status::IOError("no free log file name for " + base + " in " + dir);
}

// posix_spawn attributes and file actions, released on every path out of Start.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

std::vector<std::string> MergedEnvironment(
    const std::vector<std::pair<std::string, std::string>>& additions) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view key = entry.substr(0, entry.find('='));
    bool overridden = std::any_of(additions.begin(), additions.end(),
                                  [&](const auto& kv) { return kv.first == key; });
    if (!overridden) env.emplace_back(entry);
  }
  for (const auto& [k, v] : additions) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// TempDir

Result<TempDir> TempDir::Make(std::string_view prefix) {
  std::string base = EnvOr("TMPDIR", "/tmp");
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  std::string tmpl = base + "/" + SanitizeName(prefix) + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return Status::IOError("mkdtemp " + tmpl + ": " + ErrnoText(errno));
  }
  std::error_code ec;
  std::string abs = std::filesystem::absolute(tmpl, ec).string();
  return TempDir(Tag{}, ec ? tmpl : abs);
}

TempDir::TempDir(std::string_view prefix) {
  auto made = Make(prefix);
  if (!made.ok()) {
    std::fprintf(stderr, "TempDir: %s\n", made.status().ToString().c_str());
    std::abort();
  }
  path_ = std::move(made->path_);
  made->path_.clear();
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() { Remove(); }

void TempDir::Remove() {
  if (path_.empty()) return;
  if (KeepTestDirs()) {
    std::fprintf(stderr, "SPATE_KEEP_TEST_DIRS=1: keeping %s\n", path_.c_str());
  } else {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  path_.clear();
}

std::string TempDir::Join(std::string_view name) const { return path_ + "/" + std::string(name); }

std::string TempDir::MakeSubdir(std::string_view name) const {
  std::string p = Join(name);
  std::error_code ec;
  std::filesystem::create_directories(p, ec);
  if (ec) {
    std::fprintf(stderr, "TempDir: cannot create %s: %s\n", p.c_str(), ec.message().c_str());
    std::abort();
  }
  return p;
}

// ---------------------------------------------------------------------------------------------
// ChildProcess

Result<ChildProcess> ChildProcess::Start(std::vector<std::string> argv, StartOptions opts) {
  if (argv.empty() || argv[0].empty()) return Status::InvalidArgument("empty command line");

  ChildProcess child;
  child.argv_ = std::move(argv);
  std::string name = SanitizeName(opts.name.empty() ? Basename(child.argv_[0]) : opts.name);
  std::string log_dir = opts.log_dir;
  if (log_dir.empty()) {
    SPATE_ASSIGN_OR_RETURN(TempDir dir, TempDir::Make("spate-" + name));
    log_dir = dir.path();
    child.owned_log_dir_ = std::make_unique<TempDir>(std::move(dir));
  } else {
    std::error_code ec;
    std::filesystem::create_directories(log_dir, ec);
    if (ec) return Status::IOError("cannot create log dir " + log_dir + ": " + ec.message());
  }

  std::string chosen;
  SPATE_ASSIGN_OR_RETURN(auto out, OpenUniqueLog(log_dir, name, &chosen));
  int out_fd = out.first;
  child.stdout_path_ = out.second;
  child.stderr_path_ = log_dir + "/" + chosen + ".stderr";
  int err_fd = ::open(child.stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (err_fd < 0) {
    int err = errno;
    ::close(out_fd);
    return Status::IOError("cannot create log file " + child.stderr_path_ + ": " + ErrnoText(err));
  }

  SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, err_fd, STDERR_FILENO);
  if (!opts.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&setup.actions, opts.working_dir.c_str());
  }
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (opts.new_process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&setup.attr, 0);
  }
  posix_spawnattr_setflags(&setup.attr, flags);
  // The test binary may block or ignore signals (Catch2, gRPC); the child starts clean.
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&setup.attr, &empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);

  std::vector<std::string> env = MergedEnvironment(opts.env);
  std::vector<char*> c_argv = CStrings(child.argv_);
  std::vector<char*> c_env = CStrings(env);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, c_argv[0], &setup.actions, &setup.attr, c_argv.data(), c_env.data());
  ::close(out_fd);
  ::close(err_fd);
  if (rc != 0) {
    std::string msg = "cannot start '" + child.argv_[0] + "'" +
                      (opts.working_dir.empty() ? "" : " in " + opts.working_dir) + ": " +
                      ErrnoText(rc);
    if (rc == ENOENT || rc == EACCES || rc == ENOEXEC || rc == ENOTDIR) {
      return Status::NotFound(msg);
    }
    return Status::Internal(msg);
  }
  child.pid_ = pid;
  child.group_ = opts.new_process_group;
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      group_(other.group_),
      exited_(other.exited_),
      exit_code_(other.exit_code_),
      argv_(std::move(other.argv_)),
      stdout_path_(std::move(other.stdout_path_)),
      stderr_path_(std::move(other.stderr_path_)),
      owned_log_dir_(std::move(other.owned_log_dir_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    KillAndReap();
    pid_ = std::exchange(other.pid_, -1);
    group_ = other.group_;
    exited_ = other.exited_;
    exit_code_ = other.exit_code_;
    argv_ = std::move(other.argv_);
    stdout_path_ = std::move(other.stdout_path_);
    stderr_path_ = std::move(other.stderr_path_);
    owned_log_dir_ = std::move(other.owned_log_dir_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { KillAndReap(); }

void ChildProcess::KillAndReap() {
  if (pid_ <= 0 || exited_) return;
  if (group_) ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &st, 0);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    Reap(st);
  } else {
    exited_ = true;  // ECHILD: reaped elsewhere; nothing left to wait for
  }
}

std::string ChildProcess::CommandLine() const {
  std::string out;
  for (const auto& a : argv_) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

void ChildProcess::Reap(int wait_status) {
  exited_ = true;
  if (WIFEXITED(wait_status)) {
    exit_code_ = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    exit_code_ = 128 + WTERMSIG(wait_status);
  }
}

bool ChildProcess::Running() {
  if (pid_ <= 0 || exited_) return false;
  int st = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &st, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    Reap(st);
    return false;
  }
  if (r < 0) {  // ECHILD: someone else reaped it (e.g. SIGCHLD set to SIG_IGN)
    exited_ = true;
    return false;
  }
  return true;
}

Result<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return Status::FailedPrecondition("no process");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto nap = std::chrono::milliseconds(1);
  while (Running()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return Status::DeadlineExceeded("'" + CommandLine() + "' (pid " + std::to_string(pid_) +
                                      ") still running after " + std::to_string(timeout.count()) +
                                      " ms");
    }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(nap, deadline - now));
    nap = std::min(nap * 2, std::chrono::milliseconds(20));
  }
  if (exit_code_ < 0)
    return Status::Internal("exit status of pid " + std::to_string(pid_) + " lost");
  return exit_code_;
}

Status ChildProcess::Signal(int sig) {
  if (pid_ <= 0) return Status::FailedPrecondition("no process");
  if (exited_) return Status::FailedPrecondition("pid " + std::to_string(pid_) + " already exited");
  if (::kill(pid_, sig) != 0) {
    return Status::Internal("kill(" + std::to_string(pid_) + ", " + std::to_string(sig) +
                            "): " + ErrnoText(errno));
  }
  return Status::OK();
}

Status ChildProcess::SignalGroup(int sig) {
  if (pid_ <= 0) return Status::FailedPrecondition("no process");
  if (!group_) return Signal(sig);
  if (::kill(-pid_, sig) != 0) {
    int err = errno;
    if (err == ESRCH) {
      return Status::FailedPrecondition("process group " + std::to_string(pid_) + " is empty");
    }
    return Status::Internal("kill(-" + std::to_string(pid_) + ", " + std::to_string(sig) +
                            "): " + ErrnoText(err));
  }
  return Status::OK();
}

Status ChildProcess::Kill9() {
  if (pid_ <= 0) return Status::FailedPrecondition("no process");
  if (group_) {
    ::kill(-pid_, SIGKILL);  // ESRCH: the group is already gone
  }
  if (!exited_) ::kill(pid_, SIGKILL);
  auto code = Wait(std::chrono::seconds(30));
  return code.ok() ? Status::OK() : code.status();
}

Result<int> ChildProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return Status::FailedPrecondition("no process");
  if (Running()) ::kill(pid_, SIGTERM);
  auto code = Wait(timeout);
  if (code.ok()) return code;
  SPATE_RETURN_IF_ERROR(Kill9());
  return Wait(std::chrono::seconds(0));
}

std::string ChildProcess::Stdout() const { return ReadFile(stdout_path_); }
std::string ChildProcess::Stderr() const { return ReadFile(stderr_path_); }

std::string ChildProcess::LogTail(size_t max_lines) const {
  std::string out = "--- " + CommandLine() + " (pid " + std::to_string(pid_) + ")";
  if (exited_) out += ", exit " + std::to_string(exit_code_);
  out += "\n--- stdout (" + stdout_path_ + "), last lines:\n" + LastLines(Stdout(), max_lines);
  out += "\n--- stderr (" + stderr_path_ + "), last lines:\n" + LastLines(Stderr(), max_lines);
  out += "\n";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Free functions

Result<CommandResult> RunCommand(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                                 std::vector<std::pair<std::string, std::string>> env) {
  StartOptions opts;
  opts.env = std::move(env);
  SPATE_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::Start(std::move(argv), opts));
  auto code = child.Wait(timeout);
  if (!code.ok()) {
    (void)child.Kill9();
    return Status::DeadlineExceeded(code.status().message() + "; killed\n" + child.LogTail(20));
  }
  CommandResult result;
  result.exit_code = *code;
  result.stdout_text = child.Stdout();
  result.stderr_text = child.Stderr();
  return result;
}

int FreeTcpPort() {
  static std::mutex mu;
  static std::set<int> handed_out;
  std::lock_guard<std::mutex> lock(mu);
  for (int attempt = 0; attempt < 64; ++attempt) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    int port = -1;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      socklen_t len = sizeof(addr);
      if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
        port = ntohs(addr.sin_port);
      }
    }
    ::close(fd);
    if (port <= 0) return -1;
    if (handed_out.insert(port).second) return port;
  }
  return -1;
}

bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds timeout,
             std::chrono::milliseconds poll) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (cond()) return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(poll, deadline - now));
  }
}

std::string SourceDir() { return EnvOr("SPATE_SOURCE_DIR", SPATE_TEST_SOURCE_DIR); }

std::string BinDir() { return EnvOr("SPATE_BIN_DIR", SourceDir() + "/build/bin"); }

std::string Bootstrap() {
  return EnvOr("SPATE_BOOTSTRAP", "127.0.0.1:" + EnvOr("SPATE_KAFKA_PORT", "19092"));
}

Result<std::string> HttpGet(const std::string& host, int port, const std::string& path,
                            std::chrono::milliseconds timeout) {
  httplib::Client client(host, port);
  auto sec = static_cast<time_t>(timeout.count() / 1000);
  auto usec = static_cast<time_t>((timeout.count() % 1000) * 1000);
  client.set_connection_timeout(sec, usec);
  client.set_read_timeout(sec, usec);
  client.set_write_timeout(sec, usec);
  std::string url = "http://" + host + ":" + std::to_string(port) + path;
  auto res = client.Get(path.c_str());
  if (!res) return Status::Unavailable("GET " + url + ": " + httplib::to_string(res.error()));
  if (res->status >= 200 && res->status < 300) return res->body;
  std::string msg =
      "GET " + url + ": HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 500);
  if (res->status == 404) return Status::NotFound(msg);
  if (res->status >= 500) return Status::Unavailable(msg);
  return Status::FailedPrecondition(msg);
}

}  // namespace spate::testing
