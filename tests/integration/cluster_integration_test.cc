// The cluster end to end: spate-master, spate-workers and spate-submit as real processes against
// the real broker at Bootstrap() (start one with scripts/kafka.sh start), checked against the
// independent oracle (tests/oracle/crash_oracle.py).
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "tests/integration/cluster_fixture.h"

namespace spate::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// The data sets: --event-rate 4000 over 200 users spreads the default mix over several
// windows with many rows at and above the threshold.
std::vector<std::string> DataArgs(int seed, int count, int event_rate = 4000) {
  return {"--seed",       std::to_string(seed),
          "--start-ms",   std::to_string(kStartMs),
          "--count",      std::to_string(count),
          "--event-rate", std::to_string(event_rate),
          "--users",      "200"};
}

// The oracle's answer must be able to tell a wrong engine from a right one.
void RequireNonTrivial(const OracleResult& expected, int min_windows = 3) {
  INFO("oracle summary: " << expected.summary.dump());
  REQUIRE(expected.summary.value("rows", 0) > 0);
  REQUIRE(expected.summary.value("rows_at_threshold", 0) > 0);
  REQUIRE(expected.summary.value("rows_at_threshold_plus_one", 0) > 0);
  REQUIRE(expected.summary.value("windows", 0) >= min_windows);
  REQUIRE(expected.rows.size() == static_cast<size_t>(expected.summary.value("rows", 0)));
}

void RequireSameRows(const std::vector<std::string>& expected,
                     const std::vector<std::string>& actual, const Cluster& cluster) {
  std::string diff = RowDiff(expected, actual);
  if (!diff.empty()) FAIL(diff << "\n" << cluster.Logs());
  REQUIRE(Duplicates(actual).empty());
}

std::vector<std::string> FileSinkArgs(const std::string& topic, const std::string& sink_dir) {
  return {"--topic",          topic,       "--starting-offsets", "earliest", "--sink",
          "file:" + sink_dir, "--trigger", "available-now"};
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST_CASE("crash-detector available-now on two workers equals the oracle", "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("it-crash", 4);
  cluster.Produce(topic, DataArgs(101, 200'000));
  OracleResult expected = cluster.Oracle(topic);
  RequireNonTrivial(expected);
  REQUIRE(expected.summary.value("records", 0) == 200'000);
  cluster.Start();

  const std::vector<std::string> cluster_args = {
      "--num-executors", "2", "--executor-cores", "1", "--conf", "spate.sql.shuffle.partitions=4"};
  const std::string sink = cluster.SinkDir("out");
  // --conf right before the job name, as spark-submit users write it.
  CommandResult run = cluster.Submit(
      Concat(Concat(FileSinkArgs(topic, sink), cluster_args), {"crash-detector"}), seconds(120));
  INFO("spate-submit stderr:\n" << run.stderr_text << "\n" << cluster.Logs());
  REQUIRE(run.exit_code == 0);
  RequireSameRows(expected.rows, ReadSinkDir(sink), cluster);

  // Distribution, read from the master: two executors on two workers, each reading Kafka
  // partitions and owning key groups, together covering all of both exactly once.
  const std::string job = JobIdFromSubmitStderr(run.stderr_text);
  REQUIRE(!job.empty());
  const std::string status = cluster.StatusText(job);
  INFO("--status:\n" << status);
  REQUIRE(status.rfind("FINISHED\n", 0) == 0);
  REQUIRE(StatusNumber(status, "input rows:") == 200'000);
  REQUIRE(StatusNumber(status, "emitted:") == static_cast<int64_t>(expected.rows.size()));
  std::vector<ExecutorLine> execs = ParseExecutorLines(status);
  REQUIRE(execs.size() == 2);
  CHECK(execs[0].worker_id != execs[1].worker_id);
  CHECK(execs[0].address != execs[1].address);
  std::multiset<int> partitions;
  std::vector<int> key_group_owner(128, 0);
  for (const auto& e : execs) {
    CHECK(e.cores == 1);
    CHECK(!e.kafka_partitions.empty());
    CHECK(!e.key_groups.empty());
    partitions.insert(e.kafka_partitions.begin(), e.kafka_partitions.end());
    for (auto [begin, end] : e.key_groups) {
      REQUIRE(0 <= begin);
      REQUIRE(begin < end);
      REQUIRE(end <= 128);
      for (int g = begin; g < end; ++g) ++key_group_owner[static_cast<size_t>(g)];
    }
  }
  CHECK(partitions == std::multiset<int>{0, 1, 2, 3});
  CHECK(std::all_of(key_group_owner.begin(), key_group_owner.end(), [](int n) { return n == 1; }));

  // Shuffle bytes crossed processes. Executor X reads (for its key groups) what X itself wrote
  // for them plus what the other executor sent it, so read != written for an executor proves
  // that bytes went from one worker process to the other; the totals must agree.
  proto::GetJobReply reply = cluster.GetJob(job);
  std::map<std::string, proto::ExecutorBatchStats> per_exec;
  for (const auto& batch : reply.history()) {
    for (const auto& e : batch.executors()) {
      auto& s = per_exec[e.executor_id()];
      s.set_records_read(s.records_read() + e.records_read());
      s.set_shuffle_bytes_written(s.shuffle_bytes_written() + e.shuffle_bytes_written());
      s.set_shuffle_bytes_read(s.shuffle_bytes_read() + e.shuffle_bytes_read());
    }
  }
  REQUIRE(per_exec.size() == 2);
  int64_t written = 0, read = 0;
  bool crossed = false;
  for (const auto& [id, s] : per_exec) {
    INFO(id << ": records read " << s.records_read() << ", shuffle bytes written "
            << s.shuffle_bytes_written() << ", read " << s.shuffle_bytes_read());
    CHECK(s.records_read() > 0);
    CHECK(s.shuffle_bytes_written() > 0);
    CHECK(s.shuffle_bytes_read() > 0);
    written += s.shuffle_bytes_written();
    read += s.shuffle_bytes_read();
    crossed = crossed || s.shuffle_bytes_written() != s.shuffle_bytes_read();
  }
  CHECK(written == read);
  CHECK(crossed);

  SECTION("bounded batches (--max-offsets-per-trigger 30000) give the same rows") {
    const std::string sink2 = cluster.SinkDir("out-bounded");
    CommandResult bounded =
        cluster.Submit(Concat(Concat(cluster_args, FileSinkArgs(topic, sink2)),
                              {"--max-offsets-per-trigger", "30000", "crash-detector"}),
                       seconds(120));
    INFO("spate-submit stderr:\n" << bounded.stderr_text);
    REQUIRE(bounded.exit_code == 0);
    RequireSameRows(expected.rows, ReadSinkDir(sink2), cluster);
    const std::string job2 = JobIdFromSubmitStderr(bounded.stderr_text);
    REQUIRE(!job2.empty());
    const std::string status2 = cluster.StatusText(job2);
    INFO("--status:\n" << status2);
    // 200 000 records at most 30 000 per batch: at least 7 batches with data, then the final.
    CHECK(StatusNumber(status2, "batches:") >= 8);
    CHECK(StatusNumber(status2, "input rows:") == 200'000);
    const proto::GetJobReply reply2 = cluster.GetJob(job2);
    for (const auto& b : reply2.history()) CHECK(b.num_input_rows() <= 30'000);
  }
}

TEST_CASE("local[2] gives the same rows as the cluster", "[integration]") {
  Cluster cluster;  // no daemons: the master and executors run inside spate-submit
  const std::string topic = cluster.CreateTopic("it-local", 4);
  cluster.Produce(topic, DataArgs(202, 100'000));
  OracleResult expected = cluster.Oracle(topic);
  RequireNonTrivial(expected);

  const std::string sink = cluster.SinkDir("out");
  CommandResult run =
      cluster.RunSubmit(Concat({"--master", "local[2]", "--bootstrap", Bootstrap()},
                               Concat(FileSinkArgs(topic, sink), {"crash-detector"})),
                        seconds(120));
  INFO("spate-submit stderr:\n" << run.stderr_text);
  REQUIRE(run.exit_code == 0);
  RequireSameRows(expected.rows, ReadSinkDir(sink), cluster);
}

TEST_CASE("console sink prints the exercise's Batch tables", "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("it-console", 2);
  cluster.Produce(topic, DataArgs(303, 60'000, /*event_rate=*/2000));
  OracleResult expected = cluster.Oracle(topic);
  RequireNonTrivial(expected);
  cluster.Start();

  CommandResult run =
      cluster.Submit({"--num-executors", "2", "--topic", topic, "--starting-offsets", "earliest",
                      "--sink", "console", "--trigger", "available-now", "crash-detector"});
  INFO("stdout:\n" << run.stdout_text << "\nstderr:\n" << run.stderr_text);
  REQUIRE(run.exit_code == 0);

  // -------------------------------------------
  // Batch: 1
  // -------------------------------------------
  // +------------------------------------------+---------+-----------+
  // |Interval                                  |user_id  |crash_count|
  // +------------------------------------------+---------+-----------+
  // |{2026-01-11 14:42:50, 2026-01-11 14:43:00}|user_1836|5          |
  const std::string& out = run.stdout_text;
  static const std::regex kBatch(R"(^Batch: (\d+)$)");
  static const std::regex kHeader(R"(^\|Interval *\|user_id *\|crash_count\|$)");
  static const std::regex kRow(
      R"(^\|\{(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d), (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\} *\|(\S+) *\|(\d+) *\|$)");
  int batches = 0, headers = 0;
  std::vector<std::string> printed;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, kBatch)) {
      ++batches;
    } else if (std::regex_match(line, kHeader)) {
      ++headers;
    } else if (std::regex_match(line, m, kRow)) {
      nlohmann::json row = nlohmann::json::object();
      row["window_start"] = m[1].str();
      row["window_end"] = m[2].str();
      row["user_id"] = m[3].str();
      row["crash_count"] = std::stoll(m[4].str());
      printed.push_back(row.dump());
    }
  }
  CHECK(batches >= 1);
  CHECK(headers == batches);
  std::sort(printed.begin(), printed.end());
  // The oracle prints the sink's exact JSON; re-serialise both sides the same way.
  std::vector<std::string> wanted;
  for (const auto& r : expected.rows) {
    auto j = nlohmann::json::parse(r);
    nlohmann::json row = nlohmann::json::object();
    row["window_start"] = j["window_start"];
    row["window_end"] = j["window_end"];
    row["user_id"] = j["user_id"];
    row["crash_count"] = j["crash_count"];
    wanted.push_back(row.dump());
  }
  std::sort(wanted.begin(), wanted.end());
  RequireSameRows(wanted, printed, cluster);
}

TEST_CASE("malformed records are counted and never stop the job", "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("it-malformed", 4);
  cluster.Produce(topic, Concat(DataArgs(404, 100'000), {"--malformed-fraction", "0.05"}));
  OracleResult expected = cluster.Oracle(topic);
  RequireNonTrivial(expected);
  const int64_t malformed = expected.summary.value("malformed", int64_t{0});
  REQUIRE(malformed > 1000);
  cluster.Start();

  // One cluster, two jobs over the same topic.
  std::string last_job;
  auto run_job = [&](const std::vector<std::string>& conf, const std::string& sink) {
    CommandResult run = cluster.Submit(
        Concat(Concat(Concat({"--num-executors", "2"}, conf), FileSinkArgs(topic, sink)),
               {"crash-detector"}));
    INFO("stderr:\n" << run.stderr_text);
    REQUIRE(run.exit_code == 0);
    RequireSameRows(expected.rows, ReadSinkDir(sink), cluster);
    last_job = JobIdFromSubmitStderr(run.stderr_text);
    const std::string status = cluster.StatusText(last_job);
    CHECK(status.rfind("FINISHED\n", 0) == 0);
    CHECK(StatusNumber(status, "input rows:") == 100'000);
    return status;
  };
  // With the raw-byte pre-filter, only records whose bytes could hold the keyword are parsed:
  // some of the malformed ones are counted.
  const std::string filtered = run_job({}, cluster.SinkDir("out"));
  INFO("--status with the pre-filter:\n" << filtered);
  CHECK(StatusNumber(filtered, "malformed:") > 0);
  CHECK(StatusNumber(filtered, "malformed:") <= malformed);
  // Without it every record is parsed, so every malformed record is counted.
  const std::string all =
      run_job({"--conf", "spate.source.prefilter=false"}, cluster.SinkDir("out-all"));
  INFO("--status without the pre-filter:\n" << all);
  CHECK(StatusNumber(all, "malformed:") == malformed);
  // They can be inspected: the newest few, with where they are in Kafka and why they failed.
  CHECK(Contains(all, "bad record: malformed ("));
  const proto::JobStatus st = cluster.GetJob(last_job, 0).status();
  REQUIRE(st.recent_samples_size() > 0);
  for (const auto& s : st.recent_samples()) {
    CHECK(s.kind() == "malformed");
    CHECK_FALSE(s.reason().empty());
    CHECK(s.partition() >= 0);
    CHECK(s.partition() < 4);
    CHECK(s.offset() >= 0);
  }
}

TEST_CASE(
    "a record whose bytes are not UTF-8 is counted as malformed and shown and the job finishes",
    "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("it-bad-bytes", 2);
  // Eight ordinary crash records in one window (user_1 four times, user_2 three, user_3 once)
  // and one that is cut short and carries bytes that are not UTF-8.
  std::vector<std::string> lines;
  auto crash = [](int64_t ts, const std::string& user) {
    return "{\"timestamp\": " + std::to_string(ts) + ", \"severity\":\"High\", \"user_id\":\"" +
           user + "\", \"content\":\"crash in module\"}";
  };
  for (int i = 0; i < 4; ++i) lines.push_back(crash(kStartMs + 1000 + i * 100, "user_1"));
  for (int i = 0; i < 3; ++i) lines.push_back(crash(kStartMs + 2000 + i * 100, "user_2"));
  lines.push_back(crash(kStartMs + 3000, "user_3"));
  const std::string bad =
      "{\"timestamp\": 1768142571000, \"severity\":\"High\", \"user_id\":\"user_1\", "
      "\"content\":\"crash \xff\xfe broken";
  lines.push_back(bad);
  cluster.ProduceLines(topic, lines);
  OracleResult expected = cluster.Oracle(topic);
  INFO("oracle summary: " << expected.summary.dump());
  REQUIRE(expected.summary.value("records", 0) == 9);
  REQUIRE(expected.summary.value("malformed", 0) == 1);
  REQUIRE(expected.rows.size() == 2);
  cluster.Start();

  const std::string sink = cluster.SinkDir("out");
  CommandResult run = cluster.Submit(
      Concat(Concat({"--num-executors", "2"}, FileSinkArgs(topic, sink)), {"crash-detector"}));
  INFO("spate-submit stderr:\n" << run.stderr_text << "\n" << cluster.Logs());
  REQUIRE(run.exit_code == 0);
  RequireSameRows(expected.rows, ReadSinkDir(sink), cluster);
  const std::string job = JobIdFromSubmitStderr(run.stderr_text);
  REQUIRE(!job.empty());

  // Over gRPC the sample keeps the record's bytes exactly.
  const proto::JobStatus st = cluster.GetJob(job, 0).status();
  CHECK(st.state() == proto::FINISHED);
  CHECK(st.total_malformed_rows() == 1);
  REQUIRE(st.recent_samples_size() == 1);
  CHECK(st.recent_samples(0).kind() == "malformed");
  CHECK(st.recent_samples(0).reason() == "not_json");
  CHECK(st.recent_samples(0).value() == bad);

  // --status prints it with the bytes that are not UTF-8 escaped.
  const std::string status = cluster.StatusText(job);
  INFO("--status:\n" << status);
  CHECK(status.rfind("FINISHED\n", 0) == 0);
  CHECK(StatusNumber(status, "malformed:") == 1);
  CHECK(Contains(status, "bad record: malformed (not_json)"));
  CHECK(Contains(status, "crash \\xff\\xfe broken"));

  // So does the page's JSON API, which stays valid JSON.
  auto body = HttpGet("127.0.0.1", cluster.ui_port(), "/api/v1/jobs/" + job);
  INFO(body.status().ToString());
  REQUIRE(body.ok());
  nlohmann::json j = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  REQUIRE(j.is_object());
  CHECK(j["state"] == "FINISHED");
  CHECK(j["totals"]["malformedRows"] == 1);
  REQUIRE(j["recentBadRecords"].size() == 1);
  const auto& sample = j["recentBadRecords"][0];
  CHECK(sample["reason"] == "not_json");
  CHECK(Contains(sample["value"].get<std::string>(), "crash \\xff\\xfe broken"));
  CHECK(sample["valueEscaped"] == true);
  // And the master's log never carried an encoding error.
  CHECK_FALSE(Contains(cluster.MasterLog(), "invalid UTF-8"));
}

TEST_CASE("records behind the watermark are dropped and counted", "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("it-late", 2);
  // In-order data over 20 event-seconds, produced before the job starts, so batch 0 reads all of
  // it and the watermark after batch 0 is near kStartMs + 20 s - 2 s.
  cluster.Produce(topic, {"--seed", "505", "--start-ms", std::to_string(kStartMs), "--count",
                          "40000", "--event-rate", "2000", "--users", "100"});
  OracleResult expected = cluster.Oracle(topic);  // the in-order data only
  RequireNonTrivial(expected, /*min_windows=*/2);
  cluster.Start();

  const std::string sink = cluster.SinkDir("out");
  const std::string job =
      cluster.SubmitDetached({"--num-executors", "2", "--topic", topic, "--starting-offsets",
                              "earliest", "--sink", "file:" + sink, "--trigger",
                              "processing-time=500ms", "crash-detector", "--watermark", "2s"});
  bool first_batch =
      WaitFor([&] { return cluster.GetJob(job, 0).status().batches_committed() >= 1; }, seconds(30),
              milliseconds(100));
  INFO(cluster.StatusText(job) << cluster.Logs());
  REQUIRE(first_batch);
  {
    proto::GetJobReply r = cluster.GetJob(job);
    REQUIRE(r.status().state() == proto::RUNNING);
    REQUIRE(r.status().total_input_rows() == 40'000);
  }

  // A minute behind the in-order data: every one is a High "crash" record of one user, in one
  // window that closed long ago. Counted as late, never in the results (the oracle, which knows
  // nothing of watermarks, would emit a row for them).
  constexpr int kLate = 7;
  std::vector<std::string> late;
  for (int i = 0; i < kLate; ++i) {
    late.push_back("{\"timestamp\": " + std::to_string(kStartMs - 60'000 + i * 1000) +
                   ", \"status\": \"ERROR\", \"severity\": \"High\", \"source_ip\": \"10.9.9.9\", "
                   "\"user_id\": \"user_late\", \"content\": \"Application crash detected in "
                   "module late\"}");
  }
  cluster.ProduceLines(topic, late);
  bool counted = WaitFor(
      [&] {
        auto st = cluster.GetJob(job, 0).status();
        return st.total_input_rows() >= 40'000 + kLate;
      },
      seconds(30), milliseconds(100));
  const std::string status = cluster.StatusText(job);
  INFO("--status:\n" << status << cluster.Logs());
  REQUIRE(counted);
  CHECK(StatusNumber(status, "late rows:") == kLate);
  CHECK(Contains(status, "bad record: late"));
  CHECK(Contains(status, "user_late"));
  // The batch that read them ran with a watermark well past their window.
  const proto::GetJobReply progress = cluster.GetJob(job);
  for (const auto& b : progress.history()) {
    if (b.rows_dropped_by_watermark() > 0) CHECK(b.watermark_ms() >= kStartMs + 10'000);
  }

  CommandResult stop =
      cluster.RunSubmit({"--master", cluster.master_url(), "--stop", job, "--drain"});
  INFO(stop.stdout_text << stop.stderr_text);
  REQUIRE(stop.exit_code == 0);
  REQUIRE(cluster.WaitForState(job, proto::FINISHED, seconds(30)));
  const std::string final_status = cluster.StatusText(job);
  INFO("--status:\n" << final_status);
  CHECK(StatusNumber(final_status, "late rows:") == kLate);
  std::vector<std::string> rows = ReadSinkDir(sink);
  for (const auto& r : rows) CHECK_FALSE(Contains(r, "user_late"));
  RequireSameRows(expected.rows, rows, cluster);
}

TEST_CASE("bad input fails fast with a clear message", "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("it-bad", 2);
  cluster.Produce(topic,
                  {"--seed", "606", "--start-ms", std::to_string(kStartMs), "--count", "1000"});
  cluster.Start();
  const std::vector<std::string> ok_args = {"--topic",  topic,       "--starting-offsets",
                                            "earliest", "--trigger", "available-now"};

  SECTION("an unknown job names the known ones") {
    CommandResult r = cluster.Submit(Concat(ok_args, {"no-such-job"}), seconds(15));
    INFO(r.stderr_text);
    CHECK(r.exit_code != 0);
    CHECK(Contains(r.stderr_text, "no-such-job"));
    CHECK(Contains(r.stderr_text, "crash-detector"));
    CHECK(Contains(r.stderr_text, "logs-processor"));
  }
  SECTION("an unreachable master is reported within seconds") {
    auto started = Clock::now();
    CommandResult r =
        cluster.RunSubmit(Concat({"--master", "spate://127.0.0.1:1", "--bootstrap", Bootstrap()},
                                 Concat(ok_args, {"crash-detector"})),
                          seconds(30));
    auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
    INFO(r.stderr_text << " (" << took.count() << " ms)");
    CHECK(r.exit_code != 0);
    CHECK(Contains(r.stderr_text, "master"));
    CHECK(Contains(r.stderr_text, "127.0.0.1:1"));
    CHECK(took < seconds(15));
  }
  SECTION("a missing topic is named") {
    const std::string missing = topic + "-missing";
    CommandResult r = cluster.Submit(
        {"--topic", missing, "--trigger", "available-now", "crash-detector"}, seconds(30));
    INFO(r.stderr_text);
    CHECK(r.exit_code != 0);
    CHECK(Contains(r.stderr_text, missing));
    CHECK(Contains(r.stderr_text, "does not exist"));
  }
  SECTION("bad flags are rejected with the flag's name") {
    struct Case {
      std::vector<std::string> args;
      std::vector<std::string> said;
    };
    const std::vector<Case> cases = {
        {{"--num-executors", "0"}, {"--num-executors"}},
        {{"--trigger", "bogus"}, {"trigger", "bogus"}},
        {{"--conf", "nope=1"}, {"nope", "--conf"}},
        {{"--starting-offsets", "middle"}, {"--starting-offsets", "middle"}},
        {{"--sink", "ftp:x"}, {"sink", "ftp:x"}},
    };
    for (const auto& c : cases) {
      // Options first, then the job, as spark-submit wants them.
      std::vector<std::string> args = {"--topic", topic};
      bool has_trigger = false;
      for (const auto& a : c.args) has_trigger = has_trigger || a == "--trigger";
      if (!has_trigger) args.insert(args.end(), {"--trigger", "available-now"});
      args.insert(args.end(), c.args.begin(), c.args.end());
      args.push_back("crash-detector");
      CommandResult bad = cluster.Submit(args, seconds(15));
      INFO(bad.stdout_text << bad.stderr_text);
      CHECK(bad.exit_code != 0);
      for (const auto& s : c.said) CHECK(Contains(bad.stdout_text + bad.stderr_text, s));
    }
  }
  SECTION("a job bigger than the cluster waits for resources until it is killed") {
    // Two workers of 2 cores: no worker can hold an executor of 8 cores.
    const std::string job =
        cluster.SubmitDetached(Concat(Concat({"--num-executors", "1", "--executor-cores", "8",
                                              "--sink", "file:" + cluster.SinkDir("never")},
                                             ok_args),
                                      {"crash-detector"}));
    bool waiting = WaitFor(
        [&] {
          auto st = cluster.GetJob(job, 0).status();
          return st.state() == proto::WAITING && Contains(st.message(), "resources");
        },
        seconds(10), milliseconds(100));
    const std::string status = cluster.StatusText(job);
    INFO("--status:\n" << status);
    CHECK(waiting);
    CHECK(status.rfind("WAITING\n", 0) == 0);
    CHECK(Contains(status, "resources"));
    CommandResult kill = cluster.RunSubmit({"--master", cluster.master_url(), "--kill", job});
    CHECK(kill.exit_code == 0);
    CHECK(cluster.WaitForState(job, proto::KILLED, seconds(10)));
    CHECK(cluster.StatusText(job).rfind("KILLED\n", 0) == 0);
  }
}

TEST_CASE("logs-processor counts vulnerability records per source_ip", "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("it-logs", 4);
  cluster.Produce(
      topic, Concat(DataArgs(707, 100'000), {"--term", "vulnerability", "--term-rate", "400"}));
  OracleResult expected =
      cluster.Oracle(topic, {"--key-field", "source_ip", "--keyword", "vulnerability",
                             "--severities", "High", "--threshold", "0", "--count-name", "count"});
  INFO("oracle summary: " << expected.summary.dump());
  REQUIRE(expected.summary.value("rows", 0) > 100);
  REQUIRE(expected.summary.value("max_count", 0) > 1);
  REQUIRE(expected.summary.value("windows", 0) >= 3);
  cluster.Start();

  const std::string sink = cluster.SinkDir("out");
  CommandResult run = cluster.Submit(
      Concat(Concat({"--num-executors", "2", "--conf", "spate.sql.shuffle.partitions=4"},
                    FileSinkArgs(topic, sink)),
             {"logs-processor"}));
  INFO("stderr:\n" << run.stderr_text);
  REQUIRE(run.exit_code == 0);
  RequireSameRows(expected.rows, ReadSinkDir(sink), cluster);
}

TEST_CASE("kafka sink writes every result once", "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("it-ksrc", 4);
  const std::string out = cluster.CreateTopic("it-ksink", 2);
  cluster.Produce(topic, DataArgs(808, 100'000));
  OracleResult expected = cluster.Oracle(topic);
  RequireNonTrivial(expected);
  cluster.Start();

  CommandResult run =
      cluster.Submit({"--num-executors", "2", "--topic", topic, "--starting-offsets", "earliest",
                      "--sink", "kafka:" + out, "--trigger", "available-now", "crash-detector"});
  INFO("stderr:\n" << run.stderr_text);
  REQUIRE(run.exit_code == 0);
  std::vector<std::string> rows = cluster.ReadTopic(out);
  std::sort(rows.begin(), rows.end());
  RequireSameRows(expected.rows, rows, cluster);
}

TEST_CASE("the knobs change what runs, visibly in the API", "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("it-knobs", 4);
  cluster.Produce(topic, DataArgs(303, 200'000));
  OracleResult expected = cluster.Oracle(topic);
  RequireNonTrivial(expected);
  cluster.Start();  // two workers of two cores

  struct Knobs {
    int executors;
    int cores;
    std::string memory;
    int64_t memory_bytes;
    int shuffle_partitions;
  };
  for (const Knobs& k :
       {Knobs{1, 2, "512m", int64_t{512} << 20, 3}, Knobs{2, 1, "256m", int64_t{256} << 20, 5}}) {
    DYNAMIC_SECTION(k.executors << " executor(s) x " << k.cores << " core(s), " << k.memory << ", "
                                << k.shuffle_partitions << " shuffle partitions") {
      const std::string sink = cluster.SinkDir("knobs");
      CommandResult run = cluster.Submit(
          Concat(FileSinkArgs(topic, sink),
                 {"--num-executors", std::to_string(k.executors), "--executor-cores",
                  std::to_string(k.cores), "--executor-memory", k.memory, "--conf",
                  "spate.sql.shuffle.partitions=" + std::to_string(k.shuffle_partitions),
                  "crash-detector"}),
          seconds(120));
      INFO("spate-submit stderr:\n" << run.stderr_text << "\n" << cluster.Logs());
      REQUIRE(run.exit_code == 0);
      RequireSameRows(expected.rows, ReadSinkDir(sink), cluster);
      const proto::GetJobReply reply = cluster.GetJob(JobIdFromSubmitStderr(run.stderr_text));
      // --num-executors, --executor-cores, --executor-memory: what was started.
      REQUIRE(reply.status().executors_size() == k.executors);
      int shuffle_partitions = 0;
      for (const auto& e : reply.status().executors()) {
        CHECK(e.cores() == k.cores);
        CHECK(e.memory_bytes() == k.memory_bytes);
        shuffle_partitions += e.shuffle_partitions_size();
      }
      // spate.sql.shuffle.partitions: the stage-2 tasks of every batch.
      CHECK(shuffle_partitions == k.shuffle_partitions);
      REQUIRE(reply.history_size() >= 1);
      const auto& first = reply.history(0);  // the batch with the data: 4 stage-1 tasks
      int tasks = 0;
      for (const auto& e : first.executors()) tasks += e.tasks();
      CHECK(tasks == 4 + k.shuffle_partitions);
      // --executor-cores: tasks run concurrently up to the cores, never beyond.
      for (const auto& t : reply.status().executor_totals()) {
        INFO(t.executor_id() << " ran at most " << t.max_concurrent_tasks() << " tasks at once");
        CHECK(t.max_concurrent_tasks() <= k.cores);
        if (k.cores > 1) CHECK(t.max_concurrent_tasks() == k.cores);
      }
    }
  }
}

}  // namespace
}  // namespace spate::testing
