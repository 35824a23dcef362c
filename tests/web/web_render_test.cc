// Unit tests of the master's web UI without a cluster: the embedded page assets, the JSON the
// API returns, the Prometheus text, and the HTTP server over a MasterHandler with a registered
// (fake) worker.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <climits>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/rpc.h"
#include "master/master.h"
#include "master/meta_store.h"
#include "master/web_ui.h"
#include "tests/support/process.h"

namespace spate::master {
namespace {

using nlohmann::json;
using spate::testing::FreeTcpPort;
using spate::testing::HttpGet;
using spate::testing::TempDir;

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

proto::BatchProgress SampleProgress(int64_t batch_id) {
  proto::BatchProgress p;
  p.set_batch_id(batch_id);
  p.set_timestamp_ms(1768142570123);
  p.set_num_input_rows(5000);
  p.set_input_rows_per_second(2500.5);
  p.set_processed_rows_per_second(10000);
  p.set_planning_ms(3);
  p.set_stage1_ms(200);
  p.set_stage2_ms(100);
  p.set_commit_ms(50);
  p.set_total_ms(353);
  p.set_has_event_time(true);
  p.set_min_event_time_ms(1768142560000);
  p.set_max_event_time_ms(1768142569999);
  p.set_watermark_ms(1768142550000);
  p.set_state_rows(42);
  p.set_state_bytes(4096);
  p.set_rows_dropped_by_watermark(7);
  p.set_malformed_rows(3);
  (*p.mutable_malformed_by_reason())["not_json"] = 2;
  (*p.mutable_malformed_by_reason())["bad_timestamp"] = 1;
  p.set_rows_matched(120);
  p.set_rows_emitted(4);
  p.set_shuffle_bytes(9000);
  auto* e = p.add_executors();
  e->set_executor_id("exec-0");
  e->set_records_read(3000);
  e->set_bytes_read(300000);
  e->set_shuffle_bytes_written(5000);
  e->set_shuffle_bytes_read(4000);
  e->set_shuffle_records_written(60);
  e->set_shuffle_bytes_remote(2500);
  e->set_tasks(3);
  e->set_task_time_ms(250);
  e = p.add_executors();
  e->set_executor_id("exec-1");
  e->set_records_read(2000);
  e->set_tasks(2);
  return p;
}

proto::JobStatus SampleJob(const std::string& id, proto::JobState state) {
  proto::JobStatus j;
  j.set_job_id(id);
  j.set_state(state);
  j.set_message("streaming");
  j.set_submitted_at_ms(1768142500000);
  j.set_batches_committed(3);
  j.set_total_input_rows(15000);
  j.set_total_rows_dropped_by_watermark(7);
  j.set_total_malformed_rows(3);
  j.set_total_rows_emitted(4);
  j.set_key_column("user_id");
  j.set_count_column("crash_count");
  j.set_window_ms(10000);
  *j.mutable_last_progress() = SampleProgress(2);
  auto* s = j.mutable_spec();
  s->set_job_name("crash-detector");
  s->add_job_args("--threshold");
  s->add_job_args("2");
  s->set_num_executors(2);
  s->set_executor_cores(1);
  s->set_executor_memory_bytes(int64_t{1} << 30);
  s->set_shuffle_partitions(4);
  s->set_key_groups(128);
  s->set_topic("logs");
  s->set_bootstrap("127.0.0.1:19092");
  s->set_trigger("processing-time=1s");
  s->set_sink("file:/tmp/out");
  for (int i = 0; i < 2; ++i) {
    auto* e = j.add_executors();
    e->set_executor_id("exec-" + std::to_string(i));
    e->set_worker_id("worker-" + std::to_string(i));
    e->set_address("127.0.0.1:1000" + std::to_string(i));
    e->set_cores(1);
    e->set_memory_bytes(int64_t{1} << 30);
    e->add_kafka_partitions(i);
    e->add_kafka_partitions(i + 2);
    e->add_shuffle_partitions(i);
    e->add_shuffle_partitions(i + 2);
    auto* r = e->add_key_groups();
    r->set_begin(i * 32);
    r->set_end(i * 32 + 32);
    r = e->add_key_groups();
    r->set_begin(64 + i * 32);
    r->set_end(64 + i * 32 + 32);
  }
  return j;
}

// ---------------------------------------------------------------- assets

TEST_CASE("the page's assets are embedded and the root serves index.html", "[unit]") {
  const WebAsset* index = FindWebAsset("/");
  REQUIRE(index != nullptr);
  CHECK(index->path == "/index.html");
  CHECK(Contains(index->content_type, "text/html"));
  CHECK(Contains(index->body, "/static/app.js"));
  for (const char* path : {"/static/app.js", "/static/style.css", "/static/favicon.svg"}) {
    INFO(path);
    const WebAsset* a = FindWebAsset(path);
    REQUIRE(a != nullptr);
    CHECK(a->body.size() > 100);
  }
  CHECK(FindWebAsset("/static/nope.js") == nullptr);
  CHECK(FindWebAsset("/etc/passwd") == nullptr);
}

TEST_CASE("the page loads nothing from outside the master (works offline)", "[unit]") {
  for (const WebAsset* a : AllWebAssets()) {
    std::string body(a->body);
    INFO(a->path);
    // The only absolute URL allowed is the SVG namespace name, which is never fetched.
    std::regex url(R"(https?://[^\s'")]*)");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), url);
         it != std::sregex_iterator(); ++it) {
      CHECK(it->str() == "http://www.w3.org/2000/svg");
    }
    CHECK_FALSE(Contains(body, "@import"));
    CHECK_FALSE(Contains(body, "@font-face"));
    CHECK_FALSE(Contains(body, "//cdn"));
  }
}

TEST_CASE("the page's script never parses data as HTML", "[unit]") {
  const WebAsset* js = FindWebAsset("/static/app.js");
  REQUIRE(js != nullptr);
  for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                           "eval(", "new Function", "DOMParser", "createContextualFragment"}) {
    INFO(sink);
    CHECK_FALSE(Contains(js->body, sink));
  }
  CHECK(Contains(js->body, "createTextNode"));
}

// ---------------------------------------------------------------- JSON

TEST_CASE("progress JSON has Spark-like field names and values", "[unit]") {
  json j = web::ProgressJson(SampleProgress(12));
  CHECK(j["batchId"] == 12);
  CHECK(j["timestamp"] == "2026-01-11T14:42:50.123Z");
  CHECK(j["timestampMs"] == 1768142570123);
  CHECK(j["numInputRows"] == 5000);
  CHECK(j["inputRowsPerSecond"].get<double>() == Approx(2500.5));
  CHECK(j["processedRowsPerSecond"].get<double>() == Approx(10000));
  CHECK(j["durationMs"]["planning"] == 3);
  CHECK(j["durationMs"]["stage1"] == 200);
  CHECK(j["durationMs"]["stage2"] == 100);
  CHECK(j["durationMs"]["commit"] == 50);
  CHECK(j["durationMs"]["total"] == 353);
  CHECK(j["eventTime"]["min"] == 1768142560000);
  CHECK(j["eventTime"]["max"] == 1768142569999);
  CHECK(j["eventTime"]["watermark"] == 1768142550000);
  CHECK(j["stateRows"] == 42);
  CHECK(j["stateBytes"] == 4096);
  CHECK(j["rowsDroppedByWatermark"] == 7);
  CHECK(j["malformedRows"] == 3);
  CHECK(j["malformedByReason"]["not_json"] == 2);
  CHECK(j["rowsMatched"] == 120);
  CHECK(j["rowsEmitted"] == 4);
  CHECK(j["resultLatencyMs"].is_null());  // not measured in this batch
  CHECK(j["shuffleBytes"] == 9000);
  REQUIRE(j["executors"].size() == 2);
  CHECK(j["executors"][0]["executorId"] == "exec-0");
  CHECK(j["executors"][0]["recordsRead"] == 3000);
  CHECK(j["executors"][0]["shuffleBytesWritten"] == 5000);
  CHECK(j["executors"][0]["shuffleBytesRead"] == 4000);
  CHECK(j["executors"][0]["shuffleBytesRemote"] == 2500);
  CHECK(j["executors"][0]["tasks"] == 3);
}

TEST_CASE("watermark sentinels and missing event times are null in JSON", "[unit]") {
  auto p = SampleProgress(0);
  p.set_has_event_time(false);
  p.set_watermark_ms(INT64_MIN);
  json j = web::ProgressJson(p);
  CHECK(j["eventTime"]["min"].is_null());
  CHECK(j["eventTime"]["max"].is_null());
  CHECK(j["eventTime"]["watermark"].is_null());
  p.set_watermark_ms(INT64_MAX);  // the final batch of available-now: end of event time
  CHECK(web::ProgressJson(p)["eventTime"]["watermark"].is_null());
  CHECK(web::IsoTime(INT64_MIN).empty());
  CHECK(web::IsoTime(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("a worker lists the executors of active jobs placed on it", "[unit]") {
  WorkerRecord w;
  w.id = "worker-1";
  w.host = "127.0.0.1";
  w.port = 10001;
  w.cores = 4;
  w.cores_used = 1;
  w.memory_bytes = int64_t{4} << 30;
  w.memory_used = int64_t{1} << 30;
  w.last_heartbeat_ms = 1000;
  std::vector<proto::JobStatus> jobs = {SampleJob("job-a", proto::RUNNING),
                                        SampleJob("job-b", proto::FINISHED)};
  json j = web::WorkerJson(w, jobs, 3500);
  CHECK(j["id"] == "worker-1");
  CHECK(j["address"] == "127.0.0.1:10001");
  CHECK(j["state"] == "ALIVE");
  CHECK(j["cores"] == 4);
  CHECK(j["coresUsed"] == 1);
  CHECK(j["memoryBytes"] == int64_t{4} << 30);
  CHECK(j["heartbeatAgeMs"] == 2500);
  REQUIRE(j["executors"].size() == 1);  // job-b is finished: its executors are gone
  CHECK(j["executors"][0]["jobId"] == "job-a");
  CHECK(j["executors"][0]["executorId"] == "exec-1");
  CHECK(j["executors"][0]["kafkaPartitions"] == json({1, 3}));
  CHECK(j["executors"][0]["keyGroups"][0]["begin"] == 32);
  CHECK(j["executors"][0]["keyGroups"][0]["end"] == 64);
}

TEST_CASE("job detail JSON carries config, executors with totals and the DAG", "[unit]") {
  web::JobTotals totals;
  proto::BatchProgress p0 = SampleProgress(0), p1 = SampleProgress(1);
  google::protobuf::RepeatedPtrField<proto::BatchProgress> history;
  *history.Add() = p0;
  *history.Add() = p1;
  web::FoldProgress(history, &totals);
  json j = web::JobDetailJson(SampleJob("job-a", proto::RUNNING), totals, 1768142600000);
  CHECK(j["id"] == "job-a");
  CHECK(j["state"] == "RUNNING");
  CHECK(j["active"] == true);
  CHECK(j["config"]["jobName"] == "crash-detector");
  CHECK(j["config"]["jobArgs"] == json({"--threshold", "2"}));
  CHECK(j["config"]["shufflePartitions"] == 4);
  CHECK(j["keyColumn"] == "user_id");
  CHECK(j["lastProgress"]["batchId"] == 2);
  REQUIRE(j["executors"].size() == 2);
  CHECK(j["executors"][0]["totals"]["recordsRead"] == 6000);
  CHECK(j["executors"][1]["totals"]["recordsRead"] == 4000);
  CHECK(j["executors"][0]["keyGroupCount"] == 64);
  CHECK(j["dag"]["source"]["partitions"] == 4);
  CHECK(j["dag"]["stages"][0]["tasks"] == 4);
  CHECK(j["dag"]["stages"][1]["tasks"] == 4);
  CHECK(j["dag"]["shuffle"]["keyGroups"] == 128);
  CHECK(j["dag"]["sink"]["kind"] == "file");
  CHECK(j["totals"]["malformedByReason"]["not_json"] == 4);
  CHECK(j["recovery"]["recoveries"] == 0);
  CHECK(j["recovery"]["lastRecoveryMs"].is_null());
}

TEST_CASE("a bad record's bytes show escaped in job JSON, which stays valid UTF-8", "[unit]") {
  auto job = SampleJob("job-a", proto::FINISHED);
  auto* bad = job.add_recent_samples();
  bad->set_kind("malformed");
  bad->set_reason("not_json");
  constexpr char kBad[] = "{\"content\":\"crash \xff\xfe broken \0 \x1b[2J";
  bad->set_value(std::string(kBad, sizeof(kBad) - 1));
  auto* good = job.add_recent_samples();
  good->set_kind("malformed");
  good->set_reason("missing_field");
  good->set_value("{\"content\":\"caf\xc3\xa9\"}");
  json j = web::JobDetailJson(job, web::JobTotals(), 1768142600000);
  // The strict dump throws on invalid UTF-8: the page's API must never need the lenient one.
  std::string text = j.dump();
  json back = json::parse(text);
  REQUIRE(back["recentBadRecords"].size() == 2);
  CHECK(back["recentBadRecords"][0]["value"] ==
        "{\"content\":\"crash \\xff\\xfe broken \\x00 \\x1b[2J");
  CHECK(back["recentBadRecords"][0]["valueEscaped"] == true);
  CHECK(back["recentBadRecords"][1]["value"] == "{\"content\":\"caf\xc3\xa9\"}");
  CHECK(back["recentBadRecords"][1]["valueEscaped"] == false);
}

TEST_CASE("the job's own executor totals win over the folded ones", "[unit]") {
  auto job = SampleJob("job-a", proto::RUNNING);
  job.set_recoveries(1);
  job.set_replayed_batches(2);
  job.set_restored_state_rows(77);
  job.set_last_recovery_ms(4200);
  auto* t = job.add_executor_totals();
  t->set_executor_id("exec-1");
  t->set_records_read(123456);
  t->set_shuffle_bytes_remote(999);
  web::JobTotals folded;
  folded.executors["exec-1"].set_records_read(1);
  json j = web::JobDetailJson(job, folded, 1768142600000);
  CHECK(j["executors"][1]["totals"]["recordsRead"] == 123456);
  CHECK(j["executors"][1]["totals"]["shuffleBytesRemote"] == 999);
  CHECK(j["executors"][0]["totals"]["recordsRead"] == 0);
  CHECK(j["recovery"]["recoveries"] == 1);
  CHECK(j["recovery"]["replayedBatches"] == 2);
  CHECK(j["recovery"]["restoredStateRows"] == 77);
  CHECK(j["recovery"]["lastRecoveryMs"] == 4200);
  std::string text = web::RenderMetrics({}, {job}, {{"job-a", folded}}, 1768142600000);
  CHECK(Contains(
      text,
      "spate_executor_records_read_total{job=\"job-a\",executor=\"exec-1\",worker=\"worker-1\"} "
      "123456\n"));
  CHECK(Contains(text,
                 "spate_executor_shuffle_bytes_remote_total{job=\"job-a\",executor=\"exec-1\","
                 "worker=\"worker-1\"} 999\n"));
  CHECK(Contains(text, "spate_job_recoveries_total{job=\"job-a\"} 1\n"));
  CHECK(Contains(text, "spate_job_last_recovery_ms{job=\"job-a\"} 4200\n"));
}

TEST_CASE("progress JSON carries the result latency of batches that emitted rows", "[unit]") {
  proto::BatchProgress p = SampleProgress(13);
  p.set_has_result_latency(true);
  p.set_result_latency_ms(0);  // zero is a measurement, not "none"
  CHECK(web::ProgressJson(p)["resultLatencyMs"] == 0);
  p.set_result_latency_ms(420);
  CHECK(web::ProgressJson(p)["resultLatencyMs"] == 420);
}

TEST_CASE("folding progress never counts a batch twice", "[unit]") {
  web::JobTotals totals;
  google::protobuf::RepeatedPtrField<proto::BatchProgress> first, second;
  *first.Add() = SampleProgress(0);
  *first.Add() = SampleProgress(1);
  *second.Add() = SampleProgress(1);  // overlaps the first history
  *second.Add() = SampleProgress(2);
  web::FoldProgress(first, &totals);
  web::FoldProgress(second, &totals);
  web::FoldProgress(second, &totals);
  CHECK(totals.last_batch == 2);
  CHECK(totals.executors["exec-0"].records_read() == 9000);
  CHECK(totals.executors["exec-0"].tasks() == 9);
  CHECK(totals.malformed_by_reason["bad_timestamp"] == 3);
  CHECK(totals.shuffle_bytes == 27000);
}

TEST_CASE("results JSON lists the newest batches first within the limits", "[unit]") {
  google::protobuf::RepeatedPtrField<proto::ResultBatch> results;
  for (int b = 0; b < 5; ++b) {
    auto* batch = results.Add();
    batch->set_batch_id(b * 2);
    for (int r = 0; r < 3; ++r) {
      auto* row = batch->add_rows();
      row->set_window_start_ms(1768142570000);
      row->set_window_end_ms(1768142580000);
      row->set_key("user_" + std::to_string(b) + "_" + std::to_string(r));
      row->set_count(3 + r);
    }
  }
  auto job = SampleJob("job-a", proto::RUNNING);
  json j = web::ResultsJson(job, results, 2, 100);
  CHECK(j["keyColumn"] == "user_id");
  CHECK(j["countColumn"] == "crash_count");
  CHECK(j["batches"] == 2);
  REQUIRE(j["rows"].size() == 6);
  CHECK(j["rows"][0]["batchId"] == 8);
  CHECK(j["rows"][5]["batchId"] == 6);
  CHECK(j["rows"][0]["windowStart"] == "2026-01-11 14:42:50");
  CHECK(j["rows"][0]["windowEnd"] == "2026-01-11 14:43:00");
  CHECK(j["truncated"] == false);
  json limited = web::ResultsJson(job, results, 5, 4);
  CHECK(limited["rows"].size() == 4);
  CHECK(limited["truncated"] == true);
}

TEST_CASE("JSON text survives invalid UTF-8 from the outside world", "[unit]") {
  json j = {{"key", std::string("bad \xff\xfe byte")}};
  std::string text = web::Dump(j);
  CHECK(Contains(text, "bad "));
  CHECK(json::parse(text)["key"].get<std::string>().size() > 4);
}

// ---------------------------------------------------------------- Prometheus

TEST_CASE("Prometheus label values are escaped per the text format", "[unit]") {
  CHECK(web::PrometheusLabelValue("plain") == "plain");
  CHECK(web::PrometheusLabelValue("a\\b") == "a\\\\b");
  CHECK(web::PrometheusLabelValue("say \"hi\"") == "say \\\"hi\\\"");
  CHECK(web::PrometheusLabelValue("two\nlines") == "two\\nlines");
  CHECK(web::PrometheusLabelValue("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(web::PrometheusLabelValue("bad\xff") == "bad\xef\xbf\xbd");
}

// Every sample line is `name{label="value",...} number`; every family has one HELP and one
// TYPE line before its samples.
void CheckExposition(const std::string& text) {
  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$)");
  std::istringstream in(text);
  std::string line;
  std::set<std::string> typed;
  int samples = 0;
  while (std::getline(in, line)) {
    INFO(line);
    if (line.rfind("# TYPE ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      CHECK(typed.insert(name).second);
      continue;
    }
    if (line.rfind("#", 0) == 0) continue;
    std::smatch m;
    REQUIRE(std::regex_match(line, m, sample));
    CHECK(typed.count(m[1].str()) == 1);
    ++samples;
  }
  CHECK(samples > 0);
}

TEST_CASE("metrics text parses and labels jobs, workers and executors", "[unit]") {
  WorkerRecord w;
  w.id = "worker-0";
  w.host = "127.0.0.1";
  w.port = 10000;
  w.cores = 2;
  w.memory_bytes = int64_t{2} << 30;
  w.last_heartbeat_ms = 1000;
  auto job = SampleJob("job-a", proto::RUNNING);
  job.mutable_spec()->set_sink("file:/tmp/we\"ird\\path\nx");  // from the outside world
  web::JobTotals totals;
  google::protobuf::RepeatedPtrField<proto::BatchProgress> history;
  *history.Add() = SampleProgress(0);
  web::FoldProgress(history, &totals);
  std::string text = web::RenderMetrics({w}, {job, SampleJob("job-b", proto::FINISHED)},
                                        {{"job-a", totals}}, 1768142600000);
  CheckExposition(text);
  CHECK(Contains(text, "spate_worker_cores{worker=\"worker-0\"} 2\n"));
  CHECK(Contains(text, "spate_worker_alive{worker=\"worker-0\",address=\"127.0.0.1:10000\"} 1\n"));
  CHECK(Contains(text, "spate_job_input_rows_total{job=\"job-a\"} 15000\n"));
  CHECK(Contains(text, "spate_job_batches_committed_total{job=\"job-a\"} 3\n"));
  CHECK(Contains(text, "spate_job_last_batch_duration_ms{job=\"job-a\"} 353\n"));
  CHECK(Contains(text, "spate_job_watermark_ms{job=\"job-a\"} 1768142550000\n"));
  CHECK(Contains(text, "spate_job_rows_dropped_by_watermark_total{job=\"job-a\"} 7\n"));
  CHECK(Contains(text, "spate_job_malformed_rows_total{job=\"job-a\"} 3\n"));
  CHECK(Contains(text, "spate_job_input_rows_per_second{job=\"job-a\"} 2500.5\n"));
  CHECK(Contains(text, "spate_job_last_batch_phase_ms{job=\"job-a\",phase=\"stage1\"} 200\n"));
  CHECK(Contains(
      text,
      "spate_executor_records_read_total{job=\"job-a\",executor=\"exec-0\",worker=\"worker-0\"} "
      "3000\n"));
  CHECK(Contains(text,
                 "spate_executor_shuffle_bytes_written_total{job=\"job-a\",executor=\"exec-0\","
                 "worker=\"worker-0\"} 5000\n"));
  CHECK(Contains(text, "sink=\"file:/tmp/we\\\"ird\\\\path\\nx\""));
  CHECK(Contains(text, "spate_job_active{job=\"job-b\"} 0\n"));
}

// ---------------------------------------------------------------- the server

struct ServerFixture {
  TempDir dir{"spate-web-unit"};
  std::unique_ptr<MasterHandler> handler;
  std::unique_ptr<WebUi> ui;

  explicit ServerFixture(bool kill_enabled = false, int port = 0) {
    MasterOptions options;
    options.state_dir = dir.path();
    auto meta = MetaStore::Open(dir.Join("meta"));
    REQUIRE(meta.ok());
    handler = std::make_unique<MasterHandler>(options, std::move(*meta), NowMs);
    proto::RegisterWorkerRequest reg;
    reg.mutable_worker()->set_host("127.0.0.1");
    reg.mutable_worker()->set_port(10123);
    reg.mutable_worker()->set_cores(3);
    reg.mutable_worker()->set_memory_bytes(int64_t{3} << 30);
    proto::RegisterWorkerReply reply;
    REQUIRE(handler->HandleRegisterWorker(reg, &reply).ok());
    WebUiOptions o;
    o.port = port;
    o.kill_enabled = kill_enabled;
    o.master_address = "127.0.0.1:7077";
    auto started = WebUi::Start(handler.get(), o);
    REQUIRE(started.ok());
    ui = std::move(*started);
  }
  ~ServerFixture() {
    if (ui) ui->Shutdown();
  }
};

TEST_CASE("the server answers the page, the API and /metrics", "[unit]") {
  ServerFixture f;
  REQUIRE(f.ui->port() > 0);
  auto page = HttpGet("127.0.0.1", f.ui->port(), "/");
  REQUIRE(page.ok());
  CHECK(Contains(*page, "<script src=\"/static/app.js\">"));
  auto js = HttpGet("127.0.0.1", f.ui->port(), "/static/app.js");
  REQUIRE(js.ok());

  auto workers = HttpGet("127.0.0.1", f.ui->port(), "/api/v1/workers");
  REQUIRE(workers.ok());
  json w = json::parse(*workers);
  REQUIRE(w.size() == 1);
  CHECK(w[0]["cores"] == 3);
  CHECK(w[0]["memoryBytes"] == int64_t{3} << 30);
  CHECK(w[0]["state"] == "ALIVE");

  auto jobs = HttpGet("127.0.0.1", f.ui->port(), "/api/v1/jobs");
  REQUIRE(jobs.ok());
  CHECK(json::parse(*jobs) == json::array());

  auto cluster = HttpGet("127.0.0.1", f.ui->port(), "/api/v1/cluster");
  REQUIRE(cluster.ok());
  CHECK(json::parse(*cluster)["cores"] == 3);
  CHECK(json::parse(*cluster)["masterAddress"] == "127.0.0.1:7077");

  auto metrics = HttpGet("127.0.0.1", f.ui->port(), "/metrics");
  REQUIRE(metrics.ok());
  CheckExposition(*metrics);
  CHECK(Contains(*metrics, "spate_worker_cores{worker="));
}

TEST_CASE("unknown jobs and endpoints answer 404 with a JSON error", "[unit]") {
  ServerFixture f;
  httplib::Client client("127.0.0.1", f.ui->port());
  for (const char* path : {"/api/v1/jobs/job-nope", "/api/v1/jobs/job-nope/progress",
                           "/api/v1/jobs/job-nope/results", "/api/v1/nothing"}) {
    INFO(path);
    auto res = client.Get(path);
    REQUIRE(res);
    CHECK(res->status == 404);
    CHECK(Contains(res->get_header_value("Content-Type"), "application/json"));
    json body = json::parse(res->body);
    CHECK(body["status"] == 404);
    CHECK_FALSE(body["error"].get<std::string>().empty());
  }
}

TEST_CASE("the page is served with a content security policy", "[unit]") {
  ServerFixture f;
  httplib::Client client("127.0.0.1", f.ui->port());
  auto res = client.Get("/");
  REQUIRE(res);
  CHECK(res->status == 200);
  std::string csp = res->get_header_value("Content-Security-Policy");
  CHECK(Contains(csp, "script-src 'self'"));
  CHECK_FALSE(Contains(csp, "unsafe-inline"));
  CHECK(res->get_header_value("X-Content-Type-Options") == "nosniff");
}

TEST_CASE("killing a job from the page is refused unless enabled", "[unit]") {
  ServerFixture off(false);
  httplib::Client c1("127.0.0.1", off.ui->port());
  httplib::Headers headers = {{"X-Spate-Action", "kill"}};
  auto res = c1.Post("/api/v1/jobs/job-x/kill", headers, "", "text/plain");
  REQUIRE(res);
  CHECK(res->status == 403);

  ServerFixture on(true);
  httplib::Client c2("127.0.0.1", on.ui->port());
  res = c2.Post("/api/v1/jobs/job-x/kill", headers, "", "text/plain");
  REQUIRE(res);
  CHECK(res->status == 404);  // allowed, but there is no such job
  res = c2.Post("/api/v1/jobs/job-x/kill", "", "text/plain");
  REQUIRE(res);
  CHECK(res->status == 400);  // without the header a cross-site form could send
}

TEST_CASE("a taken UI port moves the UI to the next free port", "[unit]") {
  const int port = FreeTcpPort();
  REQUIRE(port > 0);
  ServerFixture first(false, port);
  CHECK(first.ui->port() == port);
  ServerFixture second(false, port);
  CHECK(second.ui->port() > port);
  CHECK(HttpGet("127.0.0.1", second.ui->port(), "/api/v1/workers").ok());
}

}  // namespace
}  // namespace spate::master
