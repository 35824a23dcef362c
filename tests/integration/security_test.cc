// Cluster security end to end, with real processes against the real broker at Bootstrap():
// the shared secret on every gRPC port (master, worker, shuffle), TLS with mutual
// authentication, and the page's login and CSRF rules. Results are checked against the
// independent oracle (tests/oracle/crash_oracle.py).
#include <httplib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "common/rpc.h"
#include "proto/spate.grpc.pb.h"
#include "tests/integration/cluster_fixture.h"

namespace spate::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kSecret[] = "7f1c2d9e4b8a6f30a1b2c3d4e5f60718";
constexpr char kWrongSecret[] = "00000000000000000000000000000000";

std::string WriteSecret(const TempDir& dir, const std::string& name, const std::string& secret) {
  std::string path = dir.Join(name);
  {
    std::ofstream out(path);
    out << secret << "\n";
  }
  ::chmod(path.c_str(), 0600);
  return path;
}

std::vector<std::string> DataArgs(int seed, int count) {
  return {"--seed",       std::to_string(seed),
          "--start-ms",   std::to_string(kStartMs),
          "--count",      std::to_string(count),
          "--event-rate", "4000",
          "--users",      "200"};
}

void RequireNonTrivial(const OracleResult& expected) {
  INFO("oracle summary: " << expected.summary.dump());
  REQUIRE(expected.summary.value("rows", 0) > 0);
  REQUIRE(expected.summary.value("rows_at_threshold", 0) > 0);
  REQUIRE(expected.summary.value("rows_at_threshold_plus_one", 0) > 0);
  REQUIRE(expected.summary.value("windows", 0) >= 3);
}

void RequireSameRows(const std::vector<std::string>& expected,
                     const std::vector<std::string>& actual, const Cluster& cluster) {
  std::string diff = RowDiff(expected, actual);
  if (!diff.empty()) FAIL(diff << "\n" << cluster.Logs());
  REQUIRE(Duplicates(actual).empty());
}

TransportSecurity WithSecret(std::string secret) {
  TransportSecurity s;
  s.auth_secret = std::move(secret);
  return s;
}

grpc::StatusCode ListJobsCode(const std::string& address, const TransportSecurity& security) {
  auto stub = proto::Master::NewStub(MakeChannel(address, security));
  auto ctx = MakeContext(seconds(5));
  proto::ListJobsReply reply;
  return stub->ListJobs(ctx.get(), proto::ListJobsRequest(), &reply).error_code();
}

grpc::StatusCode StopExecutorCode(const std::string& address, const TransportSecurity& security) {
  auto stub = proto::Worker::NewStub(MakeChannel(address, security));
  auto ctx = MakeContext(seconds(5));
  proto::StopExecutorRequest req;
  req.set_job_id("no-such-job");
  req.set_executor_id("no-such-executor");
  proto::StopExecutorReply reply;
  return stub->StopExecutor(ctx.get(), req, &reply).error_code();
}

grpc::StatusCode PushCode(const std::string& address, const proto::ShuffleBlock& block,
                          const TransportSecurity& security) {
  auto stub = proto::Worker::NewStub(MakeChannel(address, security));
  auto ctx = MakeContext(seconds(5));
  proto::PushShuffleReply reply;
  return stub->PushShuffle(ctx.get(), block, &reply).error_code();
}

size_t CountOf(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

int64_t MetricValue(const std::string& metrics, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(metrics, m, std::regex("\n" + name + " ([0-9]+)"))) return -1;
  return std::stoll(m[1]);
}

TEST_CASE(
    "with a cluster secret, calls without it or with a wrong one are refused at the master, a "
    "worker and the shuffle endpoint, and the crash detector stays exact",
    "[integration]") {
  Cluster cluster;
  const std::string secret = WriteSecret(cluster.dir(), "secret", kSecret);
  const std::string wrong = WriteSecret(cluster.dir(), "wrong-secret", kWrongSecret);
  const std::string topic = cluster.CreateTopic("sec-auth", 4);
  cluster.Produce(topic, DataArgs(303, 120'000));
  OracleResult expected = cluster.Oracle(topic);
  RequireNonTrivial(expected);

  ClusterOptions options;
  options.master_args = {"--auth-secret-file", secret};
  options.worker_args = {"--auth-secret-file", secret};
  options.client_args = {"--auth-secret-file", secret};
  cluster.Start(options);
  const std::string master = cluster.master_url().substr(std::string("spate://").size());

  // Rogue workers: one without a secret, one with a wrong one. Neither can register.
  std::vector<ChildProcess> rogues;
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--auth-secret-file", wrong}}) {
    std::vector<std::string> argv = {
        BinDir() + "/spate-worker",
        "--master",
        cluster.master_url(),
        "--port",
        std::to_string(FreeTcpPort()),
        "--cores",
        "4",
        "--work-dir",
        cluster.dir().MakeSubdir("rogue-" + std::to_string(rogues.size()))};
    argv.insert(argv.end(), extra.begin(), extra.end());
    StartOptions so;
    so.log_dir = cluster.dir().MakeSubdir("logs");
    so.name = "rogue-" + std::to_string(rogues.size());
    auto w = ChildProcess::Start(argv, so);
    REQUIRE(w.ok());
    rogues.push_back(std::move(*w));
  }
  for (auto& r : rogues) {
    bool refused = WaitFor([&] { return Contains(r.Stderr() + r.Stdout(), "unauthenticated"); },
                           seconds(20), milliseconds(50));
    INFO(r.LogTail(20));
    REQUIRE(refused);
    REQUIRE(r.Running());
  }

  // The master's port.
  CHECK(ListJobsCode(master, TransportSecurity()) == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(ListJobsCode(master, WithSecret(kWrongSecret)) == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(ListJobsCode(master, WithSecret(kSecret)) == grpc::StatusCode::OK);
  // A worker's port.
  const std::string worker0 = "127.0.0.1:" + std::to_string(cluster.worker_port(0));
  CHECK(StopExecutorCode(worker0, TransportSecurity()) == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(StopExecutorCode(worker0, WithSecret(kWrongSecret)) == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(StopExecutorCode(worker0, WithSecret(kSecret)) == grpc::StatusCode::OK);

  // spate-submit without the secret, and with a wrong one.
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--auth-secret-file", wrong}}) {
    std::vector<std::string> args = {"--master", cluster.master_url(), "--list"};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = cluster.RunSubmit(args, seconds(30));
    INFO(r.stderr_text);
    CHECK(r.exit_code != 0);
    CHECK(Contains(r.stderr_text, "unauthenticated"));
  }

  // The job runs in several batches while forged shuffle blocks, naming its real executors and
  // batches, are pushed at both workers without the secret and with a wrong one.
  const std::string sink = cluster.SinkDir("out");
  const std::string job = cluster.SubmitDetached(
      {"--topic", topic, "--starting-offsets", "earliest", "--sink", "file:" + sink, "--trigger",
       "available-now", "--max-offsets-per-trigger", "20000", "--num-executors", "2",
       "--executor-cores", "1", "--conf", "spate.sql.shuffle.partitions=4", "crash-detector"});
  int refused_pushes = 0, other_pushes = 0;
  bool finished = WaitFor(
      [&] {
        proto::GetJobReply reply = cluster.GetJob(job, 0);
        for (const auto& e : reply.status().executors()) {
          for (int p : e.shuffle_partitions()) {
            proto::ShuffleBlock block;
            block.set_job_id(job);
            block.set_executor_id(e.executor_id());
            block.set_batch_id(reply.status().batches_committed());
            block.set_shuffle_partition(p);
            block.set_map_partition(0);
            block.set_entries(1000);
            block.set_last(true);
            block.set_data(std::string(64, '\x7f'));
            for (const auto& security : {TransportSecurity(), WithSecret(kWrongSecret)}) {
              auto code = PushCode(e.address(), block, security);
              (code == grpc::StatusCode::UNAUTHENTICATED ? refused_pushes : other_pushes) += 1;
            }
          }
        }
        return reply.status().state() == proto::FINISHED || reply.status().state() == proto::FAILED;
      },
      seconds(120), milliseconds(20));
  INFO(cluster.Logs());
  REQUIRE(finished);
  REQUIRE(cluster.GetJob(job, 0).status().state() == proto::FINISHED);
  // Several batches ran while the forged blocks were refused.
  CHECK(cluster.GetJob(job, 0).status().batches_committed() >= 3);
  CHECK(refused_pushes >= 8);
  CHECK(other_pushes == 0);
  RequireSameRows(expected.rows, ReadSinkDir(sink), cluster);

  // The rogue workers were never given work: every executor ran on the two real workers.
  proto::GetJobReply reply = cluster.GetJob(job, 0);
  REQUIRE(reply.status().executors_size() == 2);
  for (const auto& e : reply.status().executors()) {
    CHECK((e.address() == worker0 ||
           e.address() == "127.0.0.1:" + std::to_string(cluster.worker_port(1))));
  }
  for (auto& r : rogues) CHECK(!Contains(r.Stderr() + r.Stdout(), "launched executor"));

  // Refusals are counted in /metrics, but logged once per peer host however many there were.
  httplib::Client http("127.0.0.1", cluster.ui_port());
  http.set_bearer_token_auth(kSecret);
  auto metrics = http.Get("/metrics");
  REQUIRE(metrics);
  REQUIRE(metrics->status == 200);
  CHECK(MetricValue(metrics->body, "spate_auth_failures_total") >= 6);
  const std::string log = cluster.MasterLog();
  CHECK(CountOf(log, "refused ") == 1);
  CHECK(!Contains(log, kSecret));
  for (auto& r : rogues) (void)r.Stop(seconds(5));
}

// Makes a CA and a certificate for 127.0.0.1 with scripts/gen-certs.sh; returns its directory.
std::string MakeCerts(const Cluster& cluster) {
  const std::string dir = cluster.dir().Join("certs");
  auto r = RunCommand({SourceDir() + "/scripts/gen-certs.sh", dir}, seconds(30));
  INFO((r.ok() ? r->stderr_text : r.status().ToString()));
  REQUIRE(r.ok());
  REQUIRE(r->exit_code == 0);
  return dir;
}

TEST_CASE(
    "with mutual TLS the crash detector gives exact rows, and clients without a certificate or "
    "without TLS are refused",
    "[integration]") {
  Cluster cluster;
  const std::string certs = MakeCerts(cluster);
  const std::string secret = WriteSecret(cluster.dir(), "secret", kSecret);
  const std::vector<std::string> tls = {
      "--tls-cert", certs + "/node.pem", "--tls-key",          certs + "/node.key",
      "--tls-ca",   certs + "/ca.pem",   "--auth-secret-file", secret};
  const std::string topic = cluster.CreateTopic("sec-tls", 4);
  cluster.Produce(topic, DataArgs(404, 100'000));
  OracleResult expected = cluster.Oracle(topic);
  RequireNonTrivial(expected);
  ClusterOptions options;
  options.master_args = tls;
  options.worker_args = tls;
  options.client_args = tls;
  cluster.Start(options);

  const std::string sink = cluster.SinkDir("out");
  CommandResult run =
      cluster.Submit({"--topic", topic, "--starting-offsets", "earliest", "--sink", "file:" + sink,
                      "--trigger", "available-now", "--num-executors", "2", "--executor-cores", "1",
                      "--conf", "spate.sql.shuffle.partitions=4", "crash-detector"},
                     seconds(120));
  INFO("spate-submit stderr:\n" << run.stderr_text << "\n" << cluster.Logs());
  REQUIRE(run.exit_code == 0);
  RequireSameRows(expected.rows, ReadSinkDir(sink), cluster);
  // Both workers ran executors, so the shuffle between them went over TLS as well.
  proto::GetJobReply reply = cluster.GetJob(JobIdFromSubmitStderr(run.stderr_text), 0);
  REQUIRE(reply.status().executors_size() == 2);
  CHECK(reply.status().executors(0).address() != reply.status().executors(1).address());

  const std::string master = cluster.master_url();
  auto list = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--master", master, "--list", "--auth-secret-file", secret};
    args.insert(args.end(), extra.begin(), extra.end());
    return cluster.RunSubmit(args, seconds(30));
  };
  CommandResult ok = list({"--tls-cert", certs + "/node.pem", "--tls-key", certs + "/node.key",
                           "--tls-ca", certs + "/ca.pem"});
  INFO(ok.stderr_text);
  CHECK(ok.exit_code == 0);
  // A client that verifies the master but has no certificate of its own.
  CommandResult no_cert = list({"--tls-ca", certs + "/ca.pem"});
  INFO(no_cert.stderr_text);
  CHECK(no_cert.exit_code == 1);  // refused by the master, not a flag error (2)
  // A plaintext client.
  CommandResult plain = list({});
  INFO(plain.stderr_text);
  CHECK(plain.exit_code == 1);
  // The same over gRPC directly: a right secret does not make up for the missing certificate.
  TransportSecurity ca_only = WithSecret(kSecret);
  {
    std::ifstream in(certs + "/ca.pem");
    ca_only.ca_pem.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::string address = master.substr(std::string("spate://").size());
  CHECK(ListJobsCode(address, ca_only) == grpc::StatusCode::UNAVAILABLE);
  CHECK(ListJobsCode(address, WithSecret(kSecret)) == grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace spate::testing
