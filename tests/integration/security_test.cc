// Cluster security end to end, with real processes against the real broker at Bootstrap():
// the shared secret on every gRPC port (master, worker, shuffle), TLS with mutual
// authentication, and the page's login and CSRF rules. Results are checked against the
// independent oracle (tests/oracle/crash_oracle.py).
#include <httplib.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
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
  // The page is served over HTTPS with the same certificate, and not over plain HTTP.
  httplib::SSLClient https("127.0.0.1", cluster.ui_port());
  https.set_ca_cert_path((certs + "/ca.pem").c_str());
  https.enable_server_certificate_verification(true);
  https.set_bearer_token_auth(kSecret);
  auto page = https.Get("/api/v1/jobs");
  REQUIRE(page);
  CHECK(page->status == 200);
  httplib::Client plain_http("127.0.0.1", cluster.ui_port());
  plain_http.set_bearer_token_auth(kSecret);
  auto plain_page = plain_http.Get("/api/v1/jobs");
  CHECK((!plain_page || plain_page->status != 200));

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

// A second broker, started by scripts/kafka.sh for this test only, with a SASL_SSL listener
// (SASL/PLAIN over TLS) beside its plaintext one; stopped and wiped by the destructor.
class SecuredBroker {
 public:
  static constexpr char kPassword[] = "pw-5e0c71d2-sasl";

  explicit SecuredBroker(const TempDir& parent)
      : dir_(parent.MakeSubdir("secured-kafka")),
        port_(FreeTcpPort()),
        controller_port_(FreeTcpPort()),
        sasl_port_(FreeTcpPort()) {
    auto r = RunCommand(Script("start"), seconds(120));
    INFO((r.ok() ? r->stderr_text : r.status().ToString()));
    REQUIRE(r.ok());
    REQUIRE(r->exit_code == 0);
  }
  ~SecuredBroker() { (void)RunCommand(Script("wipe"), seconds(60)); }

  std::string plain() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string sasl() const { return "127.0.0.1:" + std::to_string(sasl_port_); }
  std::string ca() const { return dir_ + "/tls/ca.pem"; }
  /// The client properties of the SASL_SSL listener, as --conf flags.
  std::vector<std::string> Conf(const std::string& password = kPassword) const {
    std::vector<std::string> out;
    for (const std::string& kv : std::vector<std::string>{
             "security.protocol=SASL_SSL", "sasl.mechanism=PLAIN", "sasl.username=spate",
             "sasl.password=" + password, "ssl.ca.location=" + ca()}) {
      out.push_back("--conf");
      out.push_back("spate.kafka." + kv);
    }
    return out;
  }

 private:
  std::vector<std::string> Script(const std::string& command) const {
    return {"env",
            "SPATE_KAFKA_PORT=" + std::to_string(port_),
            "SPATE_KAFKA_CONTROLLER_PORT=" + std::to_string(controller_port_),
            "SPATE_KAFKA_SASL_PORT=" + std::to_string(sasl_port_),
            std::string("SPATE_KAFKA_SASL_PASSWORD=") + kPassword,
            "SPATE_KAFKA_DIR=" + dir_,
            "SPATE_KAFKA_HEAP=384m",
            SourceDir() + "/scripts/kafka.sh",
            command};
  }

  std::string dir_;
  int port_;
  int controller_port_;
  int sasl_port_;
};

std::vector<std::string> Cat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Every file under `dir` whose bytes contain `needle`.
std::vector<std::string> FilesContaining(const std::string& dir, const std::string& needle) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) out.push_back(it->path().string());
  }
  return out;
}

TEST_CASE(
    "a job reads and writes Kafka over SASL_SSL with exact rows; its password is shown nowhere and "
    "forbidden client properties are refused at submit",
    "[integration]") {
  Cluster cluster;
  SecuredBroker broker(cluster.dir());
  const std::vector<std::string> conf = broker.Conf();
  auto run = [&](const std::vector<std::string>& argv) {
    auto r = RunCommand(argv, seconds(90));
    INFO((r.ok() ? r->stdout_text + r->stderr_text : r.status().ToString()));
    REQUIRE(r.ok());
    REQUIRE(r->exit_code == 0);
    return *r;
  };
  // spate-topics and spate-loadgen speak SASL_SSL with the same --conf flags.
  const std::string in = "sec-sasl-in", out = "sec-sasl-out";
  for (const auto& [topic, partitions] : {std::pair{in, "4"}, std::pair{out, "1"}}) {
    run(Cat({BinDir() + "/spate-topics", "--bootstrap", broker.sasl(), "create", topic,
             "--partitions", partitions},
            conf));
  }
  run(Cat(Cat({BinDir() + "/spate-loadgen", "--bootstrap", broker.sasl(), "--topic", in, "--rate",
               "0", "--quiet"},
              DataArgs(505, 100'000)),
          conf));
  // The oracle reads the same broker's plaintext listener (its last --bootstrap wins).
  OracleResult expected = cluster.Oracle(in, {"--bootstrap", broker.plain()});
  RequireNonTrivial(expected);
  REQUIRE(expected.summary.value("records", 0) == 100'000);
  cluster.Start();

  // A wrong password: the job cannot reach the topic and is refused at submit.
  CommandResult wrong =
      cluster.RunSubmit(Cat(Cat({"--master", cluster.master_url(), "--bootstrap", broker.sasl(),
                                 "--topic", in, "--trigger", "available-now", "--detach"},
                                broker.Conf("not-the-password")),
                            {"crash-detector"}),
                        seconds(60));
  INFO(wrong.stderr_text);
  CHECK(wrong.exit_code != 0);

  const std::string checkpoint = cluster.dir().Join("checkpoint");
  CommandResult job =
      cluster.RunSubmit(Cat(Cat({"--master", cluster.master_url(), "--bootstrap", broker.sasl(),
                                 "--topic", in, "--starting-offsets", "earliest", "--sink",
                                 "kafka:" + out, "--trigger", "available-now", "--checkpoint-dir",
                                 checkpoint, "--num-executors", "2", "--executor-cores", "1"},
                                conf),
                            {"crash-detector"}),
                        seconds(120));
  INFO("spate-submit stderr:\n" << job.stderr_text << "\n" << cluster.Logs());
  REQUIRE(job.exit_code == 0);
  // Read back over SASL_SSL too; read_committed: only the sink's committed transactions.
  CommandResult rows_out = run({"kcat", "-C",
                                "-b",   broker.sasl(),
                                "-t",   out,
                                "-e",   "-q",
                                "-f",   "%s\\n",
                                "-X",   "security.protocol=SASL_SSL",
                                "-X",   "sasl.mechanisms=PLAIN",
                                "-X",   "sasl.username=spate",
                                "-X",   std::string("sasl.password=") + SecuredBroker::kPassword,
                                "-X",   "ssl.ca.location=" + broker.ca(),
                                "-X",   "isolation.level=read_committed"});
  std::vector<std::string> rows;
  {
    std::istringstream lines(rows_out.stdout_text);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) rows.push_back(line);
    }
  }
  std::sort(rows.begin(), rows.end());
  RequireSameRows(expected.rows, rows, cluster);

  // The password is shown nowhere: --status, the JSON API, the logs, the checkpoint.
  const std::string job_id = JobIdFromSubmitStderr(job.stderr_text);
  REQUIRE(!job_id.empty());
  const std::string status = cluster.StatusText(job_id);
  CHECK(!Contains(status, SecuredBroker::kPassword));
  httplib::Client http("127.0.0.1", cluster.ui_port());
  auto api = http.Get("/api/v1/jobs/" + job_id);
  REQUIRE(api);
  REQUIRE(api->status == 200);
  CHECK(Contains(api->body, "spate.kafka.sasl.password"));
  CHECK(Contains(api->body, "[redacted]"));
  CHECK(!Contains(api->body, SecuredBroker::kPassword));
  auto list = http.Get("/api/v1/jobs");
  REQUIRE(list);
  CHECK(!Contains(list->body, SecuredBroker::kPassword));
  CHECK(!Contains(cluster.Logs(100000), SecuredBroker::kPassword));
  CHECK(FilesContaining(checkpoint, SecuredBroker::kPassword).empty());
  CHECK(!FilesContaining(checkpoint, "spate").empty());  // the search does read the files

  // Properties that run a command or load code are not a job's to set: refused at submit with
  // the key named, by spate-submit (--conf) and by the master (a SQL table's 'properties.*').
  CommandResult kinit =
      cluster.Submit({"--topic", in, "--conf",
                      "spate.kafka.sasl.kerberos.kinit.cmd=touch /tmp/owned", "crash-detector"},
                     seconds(30));
  CHECK(kinit.exit_code == 2);
  CHECK(Contains(kinit.stderr_text, "'sasl.kerberos.kinit.cmd'"));
  const std::string sql =
      "CREATE TABLE logs (user_id STRING) WITH ('connector' = 'kafka', 'topic' = '" + in +
      "', 'properties.bootstrap.servers' = '" + broker.plain() +
      "', 'properties.plugin.library.paths' = '/tmp/evil.so', 'format' = 'json', "
      "'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');\n"
      "SELECT user_id, COUNT(*) AS n FROM logs GROUP BY user_id;";
  CommandResult plugin =
      cluster.RunSubmit({"--master", cluster.master_url(), "--detach", "--sql", sql}, seconds(30));
  INFO(plugin.stderr_text);
  CHECK(plugin.exit_code != 0);
  CHECK(Contains(plugin.stderr_text, "'plugin.library.paths'"));

  // The same settings as the daemons' own --conf instead: a job that names none reads through
  // the SASL_SSL listener as well.
  Cluster daemons;
  ClusterOptions options;
  options.workers = 1;
  options.master_args = conf;
  options.worker_args = conf;
  daemons.Start(options);
  const std::string sink = daemons.SinkDir("out");
  CommandResult plain_job =
      daemons.RunSubmit({"--master", daemons.master_url(), "--bootstrap", broker.sasl(), "--topic",
                         in, "--starting-offsets", "earliest", "--sink", "file:" + sink,
                         "--trigger", "available-now", "crash-detector"},
                        seconds(120));
  INFO("spate-submit stderr:\n" << plain_job.stderr_text << "\n" << daemons.Logs());
  REQUIRE(plain_job.exit_code == 0);
  RequireSameRows(expected.rows, ReadSinkDir(sink), daemons);
}

TEST_CASE(
    "with a secret the page needs a login, and kill needs a same-origin POST with the CSRF token",
    "[integration]") {
  Cluster cluster;
  const std::string secret = WriteSecret(cluster.dir(), "secret", kSecret);
  const std::string topic = cluster.CreateTopic("sec-page", 2);
  cluster.Produce(topic, DataArgs(606, 2'000));
  ClusterOptions options;
  options.workers = 1;
  options.master_args = {"--auth-secret-file", secret, "--ui-kill-enabled"};
  options.worker_args = {"--auth-secret-file", secret};
  options.client_args = {"--auth-secret-file", secret};
  cluster.Start(options);
  // A streaming job that runs until it is killed.
  const std::string job =
      cluster.SubmitDetached({"--topic", topic, "--starting-offsets", "earliest", "--sink",
                              "file:" + cluster.SinkDir("out"), "crash-detector"});
  REQUIRE(cluster.WaitForState(job, proto::RUNNING, seconds(30)));

  httplib::Client anonymous("127.0.0.1", cluster.ui_port());
  for (const char* path : {"/", "/api/v1", "/api/v1/jobs", ("/api/v1/jobs/" + job).c_str(),
                           "/metrics", "/static/app.js"}) {
    auto res = anonymous.Get(path);
    INFO(path);
    REQUIRE(res);
    CHECK(res->status == 401);
    CHECK(Contains(res->get_header_value("WWW-Authenticate"), "Basic"));
    CHECK(!res->get_header_value("Content-Security-Policy").empty());
    CHECK(!Contains(res->body, job));
  }
  httplib::Client wrong("127.0.0.1", cluster.ui_port());
  wrong.set_basic_auth("admin", kWrongSecret);
  CHECK(wrong.Get("/api/v1/jobs")->status == 401);
  wrong.set_bearer_token_auth(kWrongSecret);
  CHECK(wrong.Get("/api/v1/jobs")->status == 401);

  httplib::Client basic("127.0.0.1", cluster.ui_port());
  basic.set_basic_auth("admin", kSecret);
  auto page = basic.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(Contains(page->get_header_value("Content-Security-Policy"), "default-src"));
  httplib::Client http("127.0.0.1", cluster.ui_port());
  http.set_bearer_token_auth(kSecret);
  auto detail = http.Get(("/api/v1/jobs/" + job).c_str());
  REQUIRE(detail);
  REQUIRE(detail->status == 200);
  const std::string csrf = nlohmann::json::parse(detail->body).value("csrfToken", "");
  REQUIRE(csrf.size() == 64);
  CHECK(!Contains(csrf, kSecret));

  const std::string kill = "/api/v1/jobs/" + job + "/kill";
  // Kill by GET: refused.
  auto by_get = http.Get(kill.c_str());
  REQUIRE(by_get);
  CHECK(by_get->status == 405);
  // POST without the CSRF token, with a wrong one, or from another origin: refused.
  const httplib::Headers action = {{"X-Spate-Action", "kill"}};
  auto no_csrf = http.Post(kill.c_str(), action, "", "text/plain");
  REQUIRE(no_csrf);
  CHECK(no_csrf->status == 403);
  auto bad_csrf = http.Post(kill.c_str(), {{"X-Spate-Action", "kill"}, {"X-Spate-CSRF", "0"}}, "",
                            "text/plain");
  REQUIRE(bad_csrf);
  CHECK(bad_csrf->status == 403);
  auto other_origin = http.Post(
      kill.c_str(),
      {{"X-Spate-Action", "kill"}, {"X-Spate-CSRF", csrf}, {"Origin", "http://evil.example"}}, "",
      "text/plain");
  REQUIRE(other_origin);
  CHECK(other_origin->status == 403);
  // Without a login, even with the token: 401.
  auto anonymous_kill = anonymous.Post(
      kill.c_str(), {{"X-Spate-Action", "kill"}, {"X-Spate-CSRF", csrf}}, "", "text/plain");
  REQUIRE(anonymous_kill);
  CHECK(anonymous_kill->status == 401);
  // None of those touched the job.
  std::this_thread::sleep_for(milliseconds(500));
  CHECK(cluster.GetJob(job, 0).status().state() == proto::RUNNING);

  // A same-origin POST with the token, as the page sends it, kills it.
  const std::string origin = "http://127.0.0.1:" + std::to_string(cluster.ui_port());
  auto ok = http.Post(kill.c_str(),
                      {{"X-Spate-Action", "kill"}, {"X-Spate-CSRF", csrf}, {"Origin", origin}}, "",
                      "text/plain");
  REQUIRE(ok);
  INFO(ok->body);
  CHECK(ok->status == 200);
  CHECK(cluster.WaitForState(job, proto::KILLED, seconds(30)));
}

TEST_CASE(
    "with --job-path-roots, checkpoint dirs and file sinks outside the roots are refused at "
    "submit, and an oversized job spec too",
    "[integration]") {
  Cluster cluster;
  const std::string root = cluster.dir().MakeSubdir("jobs");
  const std::string outside = cluster.dir().MakeSubdir("elsewhere");
  std::filesystem::create_directory_symlink(outside, root + "/link");
  const std::string topic = cluster.CreateTopic("sec-paths", 2);
  cluster.Produce(topic, DataArgs(707, 40'000));
  OracleResult expected = cluster.Oracle(topic);
  REQUIRE(!expected.rows.empty());
  ClusterOptions options;
  options.workers = 1;
  options.master_args = {"--job-path-roots", root};
  cluster.Start(options);

  auto submit = [&](const std::string& checkpoint, const std::string& sink) {
    return cluster.Submit(
        {"--topic", topic, "--starting-offsets", "earliest", "--trigger", "available-now",
         "--checkpoint-dir", checkpoint, "--sink", "file:" + sink, "crash-detector"},
        seconds(90));
  };
  struct Case {
    std::string checkpoint, sink, named;
  };
  for (const Case& c : {Case{outside + "/ckpt", root + "/out", "--checkpoint-dir"},
                        Case{root + "/ckpt", outside + "/out", "file sink"},
                        Case{root + "/../elsewhere/ckpt", root + "/out", "--checkpoint-dir"},
                        Case{root + "/ckpt", root + "/link/out", "file sink"},
                        Case{"relative/ckpt", root + "/out", "--checkpoint-dir"}}) {
    CommandResult r = submit(c.checkpoint, c.sink);
    INFO(c.checkpoint << " " << c.sink << ": " << r.stderr_text);
    CHECK(r.exit_code == 2);
    CHECK(Contains(r.stderr_text, c.named));
    CHECK(Contains(r.stderr_text, root));
  }
  CHECK(std::filesystem::is_empty(outside));

  // Inside the root the job runs as usual.
  CommandResult ok = submit(root + "/ckpt", root + "/out");
  INFO(ok.stderr_text << cluster.Logs());
  REQUIRE(ok.exit_code == 0);
  RequireSameRows(expected.rows, ReadSinkDir(root + "/out"), cluster);

  // A spec past the master's 1 MB: refused with its size and the limit.
  const std::string sql = "-- " + std::string(1100 * 1024, 'x') +
                          "\nCREATE TABLE logs (user_id STRING) WITH ('connector' = 'kafka', "
                          "'topic' = '" +
                          topic + "', 'properties.bootstrap.servers' = '" + Bootstrap() +
                          "', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset', "
                          "'scan.bounded.mode' = 'latest-offset');\n"
                          "SELECT user_id, COUNT(*) AS n FROM logs GROUP BY user_id;";
  const std::string sql_file = cluster.dir().Join("big.sql");
  std::ofstream(sql_file) << sql;
  CommandResult big = cluster.RunSubmit(
      {"--master", cluster.master_url(), "--detach", "--sql-file", sql_file}, seconds(30));
  INFO(big.stderr_text);
  CHECK(big.exit_code == 2);
  CHECK(Contains(big.stderr_text, "at most 1048576"));
}

}  // namespace
}  // namespace spate::testing
