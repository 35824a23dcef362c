// The master's web UI against a running cluster: a real spate-master (--ui-port) and two
// spate-workers as processes, the real broker at Bootstrap(), a streaming crash-detector fed by
// spate-loadgen at a fixed rate. Checks the JSON API, /metrics, the page as headless Chromium
// renders it (Debian's `chromium`, driven by its own --dump-dom and --screenshot flags), and
// that user ids carrying HTML render as text.
//
// SPATE_SCREENSHOT_DIR=DIR: the screenshot test lets the job run for a minute, then writes
// cluster.png and job.png into DIR (compressed with pngquant when it is installed); this is how
// docs/screenshots/ is made.
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/kafka_util.h"
#include "tests/support/process.h"

namespace spate::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kHost[] = "127.0.0.1";
constexpr int kLoadRate = 4000;  // records per second of the streaming job's input

bool Has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

std::string Bin(const std::string& name) { return BinDir() + "/" + name; }

std::string Unique(const std::string& prefix) {
  static std::atomic<int> n{0};
  auto ms =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(ms) + "-" +
         std::to_string(n++);
}

std::string Describe(const Result<CommandResult>& r) {
  if (!r.ok()) return r.status().ToString();
  return "exit " + std::to_string(r->exit_code) + "\nstdout: " + r->stdout_text.substr(0, 2000) +
         "\nstderr: " + r->stderr_text.substr(0, 2000);
}

/// Where Chromium is, or "" when it is not installed.
std::string ChromiumPath() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

/// A master with its web UI and two workers, the streaming job and its load generator, shared
/// by every test of this binary (started on first use, stopped when the binary exits).
class WebCluster {
 public:
  WebCluster() : dir_("spate-web-it") {}

  ~WebCluster() {
    if (loadgen_) (void)loadgen_->Stop(seconds(5));
    for (auto& w : workers_) (void)w.Stop(seconds(5));
    if (master_) (void)master_->Stop(seconds(10));
    if (admin_) {
      for (const auto& t : topics_) (void)admin_->DeleteTopic(t);
    }
  }

  void Start() {
    auto admin = KafkaAdmin::Make(Bootstrap(), 10'000);
    INFO("is a broker running at " << Bootstrap() << "? " << admin.status().ToString());
    REQUIRE(admin.ok());
    admin_.emplace(std::move(*admin));

    const int master_port = FreeTcpPort();
    ui_port_ = FreeTcpPort();
    REQUIRE(master_port > 0);
    REQUIRE(ui_port_ > 0);
    master_url_ = "spate://127.0.0.1:" + std::to_string(master_port);
    StartOptions so;
    so.log_dir = dir_.MakeSubdir("logs");
    so.name = "master";
    auto m = ChildProcess::Start(
        {Bin("spate-master"), "--host", kHost, "--port", std::to_string(master_port), "--ui-port",
         std::to_string(ui_port_), "--state-dir", dir_.MakeSubdir("master"), "--ui-kill-enabled"},
        so);
    INFO(m.status().ToString());
    REQUIRE(m.ok());
    master_.emplace(std::move(*m));
    for (int i = 0; i < 2; ++i) {
      so.name = "worker-" + std::to_string(i);
      auto w =
          ChildProcess::Start({Bin("spate-worker"), "--master", master_url_, "--host", kHost,
                               "--port", std::to_string(FreeTcpPort()), "--cores", "2", "--memory",
                               "2G", "--work-dir", dir_.MakeSubdir("worker-" + std::to_string(i))},
                              so);
      INFO(w.status().ToString());
      REQUIRE(w.ok());
      workers_.push_back(std::move(*w));
    }
    bool up = WaitFor(
        [&] {
          auto body = Get("/api/v1/workers");
          if (!body.ok()) return false;
          json w = json::parse(*body, nullptr, false);
          int alive = 0;
          for (const auto& x : w) alive += x.value("alive", false) ? 1 : 0;
          return alive == 2;
        },
        seconds(30), milliseconds(100));
    INFO(Logs());
    REQUIRE(up);

    // The streaming job: loadgen at a fixed rate into a 4-partition topic.
    topic_ = CreateTopic("web-stream", 4);
    so.name = "loadgen";
    auto lg = ChildProcess::Start(
        {Bin("spate-loadgen"), "--bootstrap", Bootstrap(), "--topic", topic_, "--rate",
         std::to_string(kLoadRate), "--duration", "20m", "--quiet", "--malformed-fraction", "0.002",
         "--disorder-ms", "15000", "--disorder-fraction", "0.01"},
        so);
    INFO(lg.status().ToString());
    REQUIRE(lg.ok());
    loadgen_.emplace(std::move(*lg));
    job_id_ = SubmitDetached({"--num-executors",
                              "2",
                              "--executor-cores",
                              "1",
                              "--conf",
                              "spate.sql.shuffle.partitions=4",
                              "--topic",
                              topic_,
                              "--starting-offsets",
                              "earliest",
                              "--name",
                              "crash demo",
                              "--sink",
                              "file:" + dir_.Join("stream-out"),
                              "crash-detector",
                              "--window",
                              "10s",
                              "--watermark",
                              "5s",
                              "--threshold",
                              "2"});
    REQUIRE(WaitForBatches(job_id_, 4, seconds(60)));
  }

  Result<std::string> Get(const std::string& path) { return HttpGet(kHost, ui_port_, path); }

  json GetJson(const std::string& path) {
    auto body = Get(path);
    INFO("GET " << path << ": " << body.status().ToString() << "\n" << Logs());
    REQUIRE(body.ok());
    json j = json::parse(*body, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    return j;
  }

  /// Waits until `job` committed at least `n` batches that read rows.
  bool WaitForBatches(const std::string& job, int n, milliseconds timeout) {
    bool ok = WaitFor(
        [&] {
          auto body = Get("/api/v1/jobs/" + job + "/progress");
          if (!body.ok()) return false;
          json p = json::parse(*body, nullptr, false);
          int with_rows = 0;
          for (const auto& b : p) with_rows += b.value("numInputRows", 0) > 0 ? 1 : 0;
          return with_rows >= n;
        },
        timeout, milliseconds(250));
    if (!ok) WARN("job " << job << " did not commit " << n << " batches\n" << Logs());
    return ok;
  }

  std::string CreateTopic(const std::string& prefix, int partitions) {
    std::string name = Unique(prefix);
    Status st = admin_->CreateTopic(name, partitions);
    INFO(st.ToString());
    REQUIRE(st.ok());
    topics_.push_back(name);
    return name;
  }

  void ProduceLines(const std::string& topic, const std::vector<std::string>& lines) {
    std::string path = dir_.Join(Unique("lines") + ".txt");
    {
      std::ofstream out(path);
      for (const auto& l : lines) out << l << "\n";
    }
    auto r = RunCommand({"kcat", "-P", "-b", Bootstrap(), "-t", topic, "-l", path}, seconds(30));
    INFO(Describe(r));
    REQUIRE(r.ok());
    REQUIRE(r->exit_code == 0);
  }

  CommandResult Submit(const std::vector<std::string>& args, milliseconds timeout = seconds(120)) {
    std::vector<std::string> argv = {Bin("spate-submit"), "--master", master_url_, "--bootstrap",
                                     Bootstrap()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = RunCommand(argv, timeout);
    INFO(Describe(r) << "\n" << Logs());
    REQUIRE(r.ok());
    return *r;
  }

  std::string SubmitDetached(std::vector<std::string> args) {
    args.insert(args.begin(), "--detach");
    auto r = Submit(args);
    INFO(r.stdout_text << r.stderr_text);
    REQUIRE(r.exit_code == 0);
    std::string id = r.stdout_text.substr(0, r.stdout_text.find_first_of("\r\n"));
    REQUIRE(id.rfind("job-", 0) == 0);
    return id;
  }

  /// Runs headless Chromium with `flags` on the page at `fragment` ("#/jobs/ID").
  CommandResult Chromium(const std::vector<std::string>& flags, const std::string& fragment) {
    const std::string chromium = ChromiumPath();
    INFO("Debian's chromium is not installed: run scripts/install-deps.sh");
    REQUIRE_FALSE(chromium.empty());
    TempDir profile("spate-web-chromium");
    std::vector<std::string> argv = {chromium,
                                     "--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--disable-dev-shm-usage",
                                     "--disable-background-networking",
                                     "--disable-component-update",
                                     "--disable-sync",
                                     "--no-first-run",
                                     "--no-default-browser-check",
                                     "--hide-scrollbars",
                                     "--user-data-dir=" + profile.path(),
                                     "--virtual-time-budget=5000"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back("http://127.0.0.1:" + std::to_string(ui_port_) + "/" + fragment);
    auto r = RunCommand(argv, seconds(90));
    INFO(Describe(r));
    REQUIRE(r.ok());
    REQUIRE(r->exit_code == 0);
    return *r;
  }

  std::string DumpDom(const std::string& fragment) {
    return Chromium({"--window-size=1400,1000", "--dump-dom"}, fragment).stdout_text;
  }

  std::string Logs() const {
    std::string out;
    if (master_) out += "--- master\n" + master_->LogTail(30);
    for (const auto& w : workers_) out += "--- worker\n" + w.LogTail(15);
    return out;
  }

  const std::string& job_id() const { return job_id_; }
  const std::string& topic() const { return topic_; }
  const TempDir& dir() const { return dir_; }
  int ui_port() const { return ui_port_; }

 private:
  TempDir dir_;
  std::optional<KafkaAdmin> admin_;
  std::vector<std::string> topics_;
  std::string master_url_;
  int ui_port_ = -1;
  std::optional<ChildProcess> master_;
  std::vector<ChildProcess> workers_;
  std::optional<ChildProcess> loadgen_;
  std::string topic_;
  std::string job_id_;
};

WebCluster& Shared() {
  static std::unique_ptr<WebCluster> cluster;
  static bool failed = false;
  REQUIRE_FALSE(failed);  // set-up failed in an earlier test: do not retry for every test
  if (!cluster) {
    failed = true;
    auto c = std::make_unique<WebCluster>();
    c->Start();
    cluster = std::move(c);
    failed = false;
  }
  return *cluster;
}

/// The numbers in `data-metric="NAME" data-value="X"` attributes of a dumped DOM.
std::vector<double> MetricValues(const std::string& dom, const std::string& name) {
  std::vector<double> out;
  std::regex re("data-metric=\"" + name + "\" data-value=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), re); it != std::sregex_iterator();
       ++it) {
    out.push_back(std::strtod((*it)[1].str().c_str(), nullptr));
  }
  return out;
}

size_t Count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

// ---------------------------------------------------------------- the JSON API

TEST_CASE("the API lists both workers with cores, memory and what they hold", "[integration]") {
  auto& c = Shared();
  json workers = c.GetJson("/api/v1/workers");
  REQUIRE(workers.size() == 2);
  std::set<int> partitions;
  for (const auto& w : workers) {
    INFO(w.dump(2));
    CHECK(w["state"] == "ALIVE");
    CHECK(w["cores"] == 2);
    CHECK(w["memoryBytes"] == int64_t{2} << 30);
    CHECK(w["coresUsed"].get<int>() >= 1);
    CHECK(w["memoryUsedBytes"].get<int64_t>() >= int64_t{1} << 30);
    CHECK(w["heartbeatAgeMs"].get<int64_t>() < 5000);
    bool holds_job = false;
    for (const auto& e : w["executors"]) {
      if (e["jobId"] != c.job_id()) continue;
      holds_job = true;
      CHECK_FALSE(e["keyGroups"].empty());
      for (int p : e["kafkaPartitions"]) partitions.insert(p);
    }
    CHECK(holds_job);  // two executors spread over two workers
  }
  CHECK(partitions == std::set<int>{0, 1, 2, 3});
}

TEST_CASE("the API lists the streaming job with its configuration and executors", "[integration]") {
  auto& c = Shared();
  json jobs = c.GetJson("/api/v1/jobs");
  bool listed = false;
  for (const auto& j : jobs) listed = listed || j["id"] == c.job_id();
  CHECK(listed);

  json job = c.GetJson("/api/v1/jobs/" + c.job_id());
  INFO(job.dump(2));
  CHECK(job["state"] == "RUNNING");
  CHECK(job["appName"] == "crash demo");
  CHECK(job["config"]["topic"] == c.topic());
  CHECK(job["config"]["shufflePartitions"] == 4);
  CHECK(job["config"]["numExecutors"] == 2);
  CHECK(job["keyColumn"] == "user_id");
  REQUIRE(job["executors"].size() == 2);
  std::set<std::string> workers;
  int64_t key_groups = 0;
  for (const auto& e : job["executors"]) {
    workers.insert(e["workerId"].get<std::string>());
    key_groups += e["keyGroupCount"].get<int64_t>();
    CHECK(e["totals"]["recordsRead"].get<int64_t>() > 0);
    CHECK(e["totals"]["shuffleBytesWritten"].get<int64_t>() > 0);
    CHECK(e["totals"]["shuffleBytesRead"].get<int64_t>() > 0);
    // Two executors in two worker processes: part of each one's shuffle crossed to the other.
    CHECK(e["totals"]["shuffleBytesRemote"].get<int64_t>() > 0);
  }
  CHECK(workers.size() == 2);
  CHECK(key_groups == job["config"]["keyGroups"].get<int64_t>());
  CHECK(job["dag"]["stages"][0]["tasks"] == 4);
  CHECK(job["dag"]["stages"][1]["tasks"] == 4);
}

TEST_CASE("the progress history has non-zero input and processing rates", "[integration]") {
  auto& c = Shared();
  REQUIRE(c.WaitForBatches(c.job_id(), 4, seconds(30)));
  json progress = c.GetJson("/api/v1/jobs/" + c.job_id() + "/progress");
  REQUIRE(progress.is_array());
  int64_t last_id = -1;
  int with_rates = 0;
  int with_event_time = 0;
  for (const auto& p : progress) {
    INFO(p.dump(2));
    CHECK(p["batchId"].get<int64_t>() > last_id);
    last_id = p["batchId"].get<int64_t>();
    for (const char* k : {"planning", "stage1", "stage2", "commit", "total"}) {
      CHECK(p["durationMs"].contains(k));
    }
    // Every batch that emitted rows knows when the watermark passed their windows.
    if (p["rowsEmitted"].get<int64_t>() > 0) {
      REQUIRE(p["resultLatencyMs"].is_number());
      CHECK(p["resultLatencyMs"].get<int64_t>() >= 0);
    } else {
      CHECK(p["resultLatencyMs"].is_null());
    }
    if (p["numInputRows"].get<int64_t>() == 0) continue;
    if (p["inputRowsPerSecond"].get<double>() > 0 && p["processedRowsPerSecond"].get<double>() > 0)
      ++with_rates;
    // Event time comes from the records that pass the job's filters: a small batch may have none.
    if (p["eventTime"]["max"].is_number()) ++with_event_time;
    CHECK(p["executors"].size() == 2);
  }
  CHECK(with_rates >= 3);
  CHECK(with_event_time >= 1);
  json limited = c.GetJson("/api/v1/jobs/" + c.job_id() + "/progress?limit=2");
  CHECK(limited.size() == 2);
  CHECK(limited.back()["batchId"].get<int64_t>() >= last_id);
}

TEST_CASE("/metrics parses and carries spate_* series labelled by job", "[integration]") {
  auto& c = Shared();
  auto text = c.Get("/metrics");
  REQUIRE(text.ok());
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*")*\})? (\S+)$)");
  std::istringstream in(*text);
  std::string line;
  std::map<std::string, double> values;  // full series text -> value
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::smatch m;
    INFO(line);
    REQUIRE(std::regex_match(line, m, sample));
    CHECK(m[1].str().rfind("spate_", 0) == 0);
    const std::string number = m[6].str();
    char* end = nullptr;
    double v = std::strtod(number.c_str(), &end);
    CHECK(*end == '\0');
    values[line.substr(0, line.rfind(' '))] = v;
  }
  const std::string job = "job=\"" + c.job_id() + "\"";
  CHECK(values["spate_job_input_rows_total{" + job + "}"] > 0);
  CHECK(values["spate_job_batches_committed_total{" + job + "}"] > 0);
  CHECK(values.count("spate_job_last_batch_duration_ms{" + job + "}") == 1);
  CHECK(values.count("spate_job_watermark_ms{" + job + "}") == 1);
  int executors_reading = 0;
  for (const auto& [series, v] : values) {
    if (series.rfind("spate_executor_records_read_total{" + job, 0) == 0 && v > 0)
      ++executors_reading;
  }
  CHECK(executors_reading == 2);
  int workers = 0;
  for (const auto& [series, v] : values) {
    if (series.rfind("spate_worker_cores{", 0) == 0 && v == 2) ++workers;
  }
  CHECK(workers == 2);
}

TEST_CASE("an unknown job id answers 404 with a JSON error", "[integration]") {
  auto& c = Shared();
  for (const char* path : {"/api/v1/jobs/job-nope", "/api/v1/jobs/job-nope/progress",
                           "/api/v1/jobs/job-nope/results"}) {
    auto r = c.Get(path);
    INFO(path << ": " << r.status().ToString());
    CHECK(r.status().code() == StatusCode::kNotFound);
    CHECK(Has(r.status().message(), "\"error\""));
  }
}

// ---------------------------------------------------------------- the page in a browser

TEST_CASE("the page in headless Chromium shows workers, the job, rates and charts",
          "[integration]") {
  auto& c = Shared();
  json workers = c.GetJson("/api/v1/workers");

  std::string cluster = c.DumpDom("#/");
  INFO(cluster.substr(0, 4000));
  REQUIRE(Has(cluster, "data-view=\"cluster\""));
  for (const auto& w : workers) {
    CHECK(Has(cluster, "data-worker-id=\"" + w["id"].get<std::string>() + "\""));
  }
  CHECK(Count(cluster, "class=\"badge ALIVE\"") == 2);
  CHECK(Has(cluster, "data-job-id=\"" + c.job_id() + "\""));
  auto rates = MetricValues(cluster, "inputRowsPerSecond");
  REQUIRE_FALSE(rates.empty());
  CHECK(rates.front() > 0);

  std::string job = c.DumpDom("#/jobs/" + c.job_id());
  INFO(job.substr(0, 4000));
  REQUIRE(Has(job, "data-view=\"job\""));
  CHECK(Has(job, c.job_id()));
  auto in = MetricValues(job, "inputRowsPerSecond");
  auto processed = MetricValues(job, "processedRowsPerSecond");
  REQUIRE(in.size() == 1);
  REQUIRE(processed.size() == 1);
  CHECK(in[0] > 0);
  CHECK(processed[0] > 0);
  for (const char* chart : {"rates", "duration", "phases", "watermark", "state", "dropped",
                            "executor-records", "executor-shuffle"}) {
    INFO(chart);
    size_t at = job.find("data-chart=\"" + std::string(chart) + "\"");
    REQUIRE(at != std::string::npos);
    size_t end = job.find("</svg>", at);
    std::string svg = job.substr(at, end - at);
    CHECK((Has(svg, "<polyline") || Has(svg, "<rect")));
  }
  CHECK(Has(job, "data-chart=\"dag\""));
  CHECK(Has(job, "Stage 1 · 4 tasks"));
  CHECK(Has(job, "Stage 2 · 4 tasks"));
  CHECK(Count(job, "data-executor-id=") == 2);
  CHECK(Has(job, "data-table=\"config\""));

  std::string missing = c.DumpDom("#/jobs/job-nope");
  CHECK(Has(missing, "data-view=\"job-missing\""));
}

TEST_CASE("user ids carrying HTML render as text, never as markup", "[integration]") {
  auto& c = Shared();
  const std::string topic = c.CreateTopic("web-inject", 1);
  const std::vector<std::string> evil = {"<script>alert(1)</script>",
                                         "<img src=x onerror=alert(1)>"};
  std::vector<std::string> lines;
  for (const auto& user : evil) {
    for (int i = 0; i < 3; ++i) {  // three crashes in one window: above the threshold of 2
      json record = {{"timestamp", 1768142571000 + i * 1000},
                     {"status", "ERROR"},
                     {"severity", "High"},
                     {"source_ip", "10.0.0.1"},
                     {"user_id", user},
                     {"content", "Application crash detected"}};
      lines.push_back(record.dump());
    }
  }
  c.ProduceLines(topic, lines);
  auto r = c.Submit({"--num-executors", "2", "--executor-cores", "1", "--topic", topic,
                     "--starting-offsets", "earliest", "--trigger", "available-now", "--name",
                     "<b>bold</b><img src=y onerror=alert(2)>", "--quiet", "--sink",
                     "file:" + c.dir().Join("inject-out"), "crash-detector", "--threshold", "2"});
  INFO(r.stdout_text << r.stderr_text);
  REQUIRE(r.exit_code == 0);

  std::string job_id;
  for (const auto& j : c.GetJson("/api/v1/jobs")) {
    if (j["topic"] == topic) job_id = j["id"];
  }
  REQUIRE_FALSE(job_id.empty());
  json results = c.GetJson("/api/v1/jobs/" + job_id + "/results");
  std::set<std::string> keys;
  for (const auto& row : results["rows"]) keys.insert(row["key"].get<std::string>());
  CHECK(keys == std::set<std::string>(evil.begin(), evil.end()));

  std::string dom = c.DumpDom("#/jobs/" + job_id);
  INFO(dom.substr(0, 6000));
  REQUIRE(Has(dom, "data-table=\"results\""));
  CHECK(Has(dom, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK(Has(dom, "&lt;img src=x onerror=alert(1)&gt;"));
  CHECK(Has(dom, "&lt;b&gt;bold&lt;/b&gt;"));
  CHECK_FALSE(Has(dom, "<img src=\"x\""));
  CHECK_FALSE(Has(dom, "<img src=\"y\""));
  CHECK_FALSE(Has(dom, "onerror=\"alert"));
  CHECK_FALSE(Has(dom, "<b>bold"));
  CHECK(Count(dom, "<script") == 1);  // the page's own /static/app.js only

  std::string cluster = c.DumpDom("#/");
  CHECK(Has(cluster, "&lt;b&gt;bold&lt;/b&gt;"));
  CHECK_FALSE(Has(cluster, "<img src=\"y\""));
  CHECK(Count(cluster, "<script") == 1);
}

TEST_CASE("a job can be killed through the API when the master allows it", "[integration]") {
  auto& c = Shared();
  const std::string id = c.SubmitDetached(
      {"--num-executors", "1", "--executor-cores", "1", "--topic", c.topic(), "--starting-offsets",
       "latest", "--sink", "file:" + c.dir().Join("kill-out"), "crash-detector"});
  REQUIRE(WaitFor([&] { return c.GetJson("/api/v1/jobs/" + id)["state"] == "RUNNING"; },
                  seconds(30), milliseconds(200)));
  httplib::Client client(kHost, c.ui_port());
  auto res = client.Post(("/api/v1/jobs/" + id + "/kill").c_str(), {{"X-Spate-Action", "kill"}}, "",
                         "text/plain");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(WaitFor([&] { return c.GetJson("/api/v1/jobs/" + id)["state"] == "KILLED"; }, seconds(30),
                milliseconds(200)));
}

// ---------------------------------------------------------------- screenshots for the docs

TEST_CASE("screenshots of the cluster and job pages are PNG images", "[integration]") {
  auto& c = Shared();
  const char* target = std::getenv("SPATE_SCREENSHOT_DIR");
  TempDir scratch("spate-web-shots");
  const std::string dir = target != nullptr && *target != '\0' ? target : scratch.path();
  if (target != nullptr && *target != '\0') {
    // For the docs: a minute of history makes the charts worth looking at.
    c.WaitForBatches(c.job_id(), 60, seconds(120));
  }
  struct Shot {
    std::string file, fragment, size;
  };
  for (const Shot& s : {Shot{"cluster.png", "#/", "1400,900"},
                        Shot{"job.png", "#/jobs/" + c.job_id(), "1400,2300"}}) {
    const std::string raw = scratch.Join("raw-" + s.file);
    c.Chromium({"--window-size=" + s.size, "--screenshot=" + raw}, s.fragment);
    std::ifstream in(raw, std::ios::binary);
    std::string head(8, '\0');
    in.read(head.data(), 8);
    CHECK(head == std::string("\x89PNG\r\n\x1a\n", 8));
    const std::string out = dir + "/" + s.file;
    auto q =
        RunCommand({"pngquant", "--force", "--quality=65-95", "--speed", "1", "--output", out, raw},
                   seconds(60));
    if (!q.ok() || q->exit_code != 0) {
      std::ifstream src(raw, std::ios::binary);
      std::ofstream dst(out, std::ios::binary);
      dst << src.rdbuf();
    }
    std::ifstream png(out, std::ios::binary | std::ios::ate);
    CHECK(png.tellg() > 10'000);
  }
}

}  // namespace
}  // namespace spate::testing
