// SQL jobs end to end: scripts submitted with spate-submit --sql-file to a real master and
// workers against the real broker, checked against the independent oracle
// (tests/oracle/crash_oracle.py) and, for the many query shapes, tests/sql/ (DuckDB).
#include <sys/mount.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/kafka_util.h"
#include "tests/integration/cluster_fixture.h"

namespace spate::testing {
namespace {

using std::chrono::seconds;

std::vector<std::string> DataArgs(int seed, int count) {
  return {"--seed",       std::to_string(seed),
          "--start-ms",   std::to_string(kStartMs),
          "--count",      std::to_string(count),
          "--event-rate", "4000",
          "--users",      "200"};
}

std::string CrashSql(const std::string& topic, const std::string& sink, bool bounded = true) {
  return "-- the exercise's crash detector, as a user writes it\n"
         "CREATE TABLE logs (\n"
         "  `timestamp` BIGINT, severity STRING, user_id STRING, content STRING,\n"
         "  rt AS TO_TIMESTAMP_LTZ(`timestamp`, 3),\n"
         "  WATERMARK FOR rt AS rt - INTERVAL '10' SECOND\n"
         ") WITH ('connector' = 'kafka', 'topic' = '" +
         topic +
         "',\n"
         "  'properties.bootstrap.servers' = '" +
         Bootstrap() +
         "',\n"
         "  'scan.startup.mode' = 'earliest-offset',\n" +
         (bounded ? "  'scan.bounded.mode' = 'latest-offset',\n" : "") +
         "  'format' = 'json', 'json.fail-on-missing-field' = 'true');\n"
         "CREATE TABLE crashes (window_start TIMESTAMP(3), window_end TIMESTAMP(3),\n"
         "  user_id STRING, crash_count BIGINT)\n"
         "  WITH ('connector' = 'filesystem', 'path' = '" +
         sink +
         "', 'format' = 'json');\n"
         "INSERT INTO crashes\n"
         "SELECT window_start, window_end, user_id, COUNT(*) AS crash_count\n"
         "FROM TABLE(TUMBLE(TABLE logs, DESCRIPTOR(rt), INTERVAL '10' SECOND))\n"
         "WHERE LOWER(content) LIKE '%crash%' AND UPPER(severity) IN ('HIGH', 'CRITICAL')\n"
         "GROUP BY window_start, window_end, user_id\n"
         "HAVING COUNT(*) > 2;\n";
}

// Deletes the records of `topic`'s partition 0 below `offset`, as retention does.
void DeleteRecordsBefore(const std::string& topic, int64_t offset) {
  auto admin = KafkaAdmin::Make(Bootstrap(), 15'000);
  REQUIRE(admin.ok());
  Status s = admin->DeleteRecordsBefore(topic, 0, offset);
  INFO(s.ToString());
  REQUIRE(s.ok());
}

// Adds partitions to `topic` until it has `total`.
void GrowTopic(const std::string& topic, int total) {
  auto admin = KafkaAdmin::Make(Bootstrap(), 15'000);
  REQUIRE(admin.ok());
  Status s = admin->AddPartitions(topic, total);
  INFO(s.ToString());
  REQUIRE(s.ok());
}

// Writes `lines` to one partition of `topic` and waits until the broker has them.
void ProduceTo(const std::string& topic, int32_t partition, const std::vector<std::string>& lines) {
  auto client = MakeKafkaClient(RD_KAFKA_PRODUCER, Bootstrap());
  REQUIRE(client.ok());
  rd_kafka_t* rk = client->get();
  for (const auto& line : lines) {
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (int attempt = 0; attempt < 100; ++attempt) {  // metadata of a new partition may lag
      err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                              RD_KAFKA_V_VALUE(const_cast<char*>(line.data()), line.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      rd_kafka_poll(rk, 100);
    }
    REQUIRE(err == RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  REQUIRE(rd_kafka_flush(rk, 15'000) == RD_KAFKA_RESP_ERR_NO_ERROR);
}

// A small tmpfs of its own (root only), unmounted when it goes.
class SmallDisk {
 public:
  explicit SmallDisk(const std::string& path) : path_(path) {
    std::filesystem::create_directories(path_);
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, "size=4m") == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  // Writes a file until the disk is full.
  void Fill() {
    std::ofstream f(path_ + "/filler", std::ios::binary);
    const std::string chunk(64 << 10, 'x');
    while (f.write(chunk.data(), static_cast<std::streamsize>(chunk.size()))) {
    }
  }
  void Free() { std::filesystem::remove(path_ + "/filler"); }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

std::string CrashLine(int64_t ts, const std::string& user) {
  return R"({"timestamp": )" + std::to_string(ts) + R"(, "severity": "High", "user_id": ")" + user +
         R"(", "content": "crash"})";
}

// `n` crash records of `user` a millisecond apart from `ts`.
std::vector<std::string> Crashes(const std::string& user, int64_t ts, int n = 3) {
  std::vector<std::string> lines;
  for (int i = 0; i < n; ++i) lines.push_back(CrashLine(ts + i, user));
  return lines;
}

// The rows of u1's three crashes at kStartMs and u3's three 20 s later.
const std::vector<std::string>& RowsOfU1AndU3() {
  static const std::vector<std::string> rows = {
      R"({"window_start":"2026-01-11 14:42:50","window_end":"2026-01-11 14:43:00","user_id":"u1","crash_count":3})",
      R"({"window_start":"2026-01-11 14:43:10","window_end":"2026-01-11 14:43:20","user_id":"u3","crash_count":3})"};
  return rows;
}

bool WaitInputRows(Cluster& cluster, const std::string& job, int64_t rows) {
  return WaitFor(
      [&] {
        const proto::JobStatus st = cluster.GetJob(job, 0).status();
        return st.total_input_rows() == rows && st.state() == proto::RUNNING;
      },
      seconds(60), std::chrono::milliseconds(50));
}

// `--stop --drain`, then the job must finish with `want` in `sink`.
void DrainAndCheck(Cluster& cluster, const std::string& job, const std::string& sink,
                   const std::vector<std::string>& want) {
  CommandResult stop =
      cluster.RunSubmit({"--master", cluster.master_url(), "--stop", job, "--drain"});
  INFO(stop.stdout_text << stop.stderr_text);
  REQUIRE(stop.exit_code == 0);
  REQUIRE(cluster.WaitForState(job, proto::FINISHED, seconds(30)));
  std::string diff = RowDiff(want, ReadSinkDir(sink));
  if (!diff.empty()) FAIL(diff);
}

std::string WriteScript(const Cluster& cluster, const std::string& name, const std::string& sql) {
  const std::string path = cluster.dir().path() + "/" + name;
  std::ofstream(path) << sql;
  return path;
}

TEST_CASE("the crash detector in SQL on two workers equals the oracle", "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("sql-crash", 4);
  cluster.Produce(topic, DataArgs(202, 100'000));
  OracleResult expected = cluster.Oracle(topic);
  REQUIRE(expected.summary.value("rows", 0) > 0);
  REQUIRE(expected.summary.value("rows_at_threshold", 0) > 0);
  cluster.Start();

  const std::string sink = cluster.SinkDir("out");
  const std::string script = WriteScript(cluster, "crash.sql", CrashSql(topic, sink));
  // No --topic, --sink or --trigger: the script's tables say it all.
  CommandResult run = cluster.Submit(
      {"--num-executors", "2", "--conf", "spate.sql.shuffle.partitions=4", "--sql-file", script},
      seconds(120));
  INFO("spate-submit stderr:\n" << run.stderr_text << "\n" << cluster.Logs());
  REQUIRE(run.exit_code == 0);
  const std::vector<std::string> rows = ReadSinkDir(sink);
  std::string diff = RowDiff(expected.rows, rows);
  if (!diff.empty()) FAIL(diff << "\n" << cluster.Logs());
  REQUIRE(Duplicates(rows).empty());

  const std::string job = JobIdFromSubmitStderr(run.stderr_text);
  const std::string status = cluster.StatusText(job);
  INFO("--status:\n" << status);
  REQUIRE(status.rfind("FINISHED\n", 0) == 0);
  CHECK(StatusNumber(status, "input rows:") == 100'000);
  // The plan travelled with the job: both executors ran stage 1 and stage 2 from it.
  proto::GetJobReply reply = cluster.GetJob(job);
  REQUIRE(reply.status().spec().has_plan());
  CHECK(reply.status().spec().plan().prefilter() == "crash");
  CHECK(ParseExecutorLines(status).size() == 2);
}

TEST_CASE("a stateless SQL query runs in stage 1 and writes every matching record",
          "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("sql-stateless", 2);
  cluster.ProduceLines(
      topic,
      {
          R"({"timestamp": 1768142570000, "severity": "High", "user_id": "u1", "content": "crash", "http": {"status": 503}})",
          R"({"timestamp": 1768142571000, "severity": "Low", "user_id": "u2", "content": "fine", "http": {"status": 200}})",
          R"({"timestamp": 1768142572500, "severity": "Critical", "user_id": "u\u00e9", "content": "CRASH!"})",
          R"(not json at all)",
          R"({"timestamp": "2026-01-11 14:42:53", "severity": "High", "user_id": "u4", "content": "x"})",
      });
  cluster.Start({.workers = 1, .cores_per_worker = 2});
  const std::string sink = cluster.SinkDir("out");
  const std::string sql =
      "CREATE TABLE logs (`timestamp` TIMESTAMP(3), severity STRING, user_id STRING,\n"
      "  content STRING, http ROW<status INT>)\n"
      "WITH ('connector' = 'kafka', 'topic' = '" +
      topic + "', 'properties.bootstrap.servers' = '" + Bootstrap() +
      "', 'scan.startup.mode' = 'earliest-offset',\n"
      "  'scan.bounded.mode' = 'latest-offset', 'format' = 'json');\n"
      "CREATE TABLE out_t (ts TIMESTAMP(3), who STRING, status INT, loud BOOLEAN)\n"
      "WITH ('connector' = 'filesystem', 'path' = '" +
      sink +
      "', 'format' = 'json');\n"
      "INSERT INTO out_t SELECT `timestamp`, UPPER(user_id) || '!', http.status,\n"
      "  content = UPPER(content) FROM logs WHERE severity <> 'Low';\n";
  CommandResult run =
      cluster.Submit({"--sql-file", WriteScript(cluster, "stateless.sql", sql)}, seconds(90));
  INFO("spate-submit stderr:\n" << run.stderr_text << "\n" << cluster.Logs());
  REQUIRE(run.exit_code == 0);
  const std::vector<std::string> want = {
      R"({"ts":"2026-01-11 14:42:50","who":"U1!","status":503,"loud":false})",
      R"({"ts":"2026-01-11 14:42:52.5","who":"UÉ!","status":null,"loud":true})",
      R"({"ts":"2026-01-11 14:42:53","who":"U4!","status":null,"loud":false})",
  };
  std::string diff = RowDiff(want, ReadSinkDir(sink));
  if (!diff.empty()) FAIL(diff);
  const std::string job = JobIdFromSubmitStderr(run.stderr_text);
  const std::string status = cluster.StatusText(job);
  INFO(status);
  CHECK(StatusNumber(status, "malformed:") == 1);
}

TEST_CASE("a record far ahead of the wall clock is malformed and moves no watermark",
          "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("sql-future", 1);
  // First a record from 2100, then three crashes of one user within one window of 2026.
  std::vector<std::string> lines = {
      R"({"timestamp": 4102444800000, "severity": "High", "user_id": "u9", "content": "crash"})"};
  for (int i = 0; i < 3; ++i) {
    lines.push_back(R"({"timestamp": )" + std::to_string(kStartMs + i * 1000) +
                    R"(, "severity": "Critical", "user_id": "u1", "content": "a crash"})");
  }
  cluster.ProduceLines(topic, lines);
  cluster.Start({.workers = 1, .cores_per_worker = 2});
  const std::string sink = cluster.SinkDir("out");
  const std::string script = WriteScript(cluster, "future.sql", CrashSql(topic, sink));
  // One record a batch: the batch of the record from 2100 comes first and gives the next
  // batches their watermark. Counted in its event-time window, it would make the crashes late.
  CommandResult run =
      cluster.Submit({"--max-offsets-per-trigger", "1", "--sql-file", script}, seconds(90));
  INFO("spate-submit stderr:\n" << run.stderr_text << "\n" << cluster.Logs());
  REQUIRE(run.exit_code == 0);
  const std::vector<std::string> want = {
      R"({"window_start":"2026-01-11 14:42:50","window_end":"2026-01-11 14:43:00","user_id":"u1","crash_count":3})"};
  std::string diff = RowDiff(want, ReadSinkDir(sink));
  if (!diff.empty()) FAIL(diff);
  const std::string status = cluster.StatusText(JobIdFromSubmitStderr(run.stderr_text));
  INFO(status);
  CHECK(StatusNumber(status, "malformed:") == 1);
  CHECK(Contains(status, "malformed (future_event_time (rt))"));
  CHECK(StatusNumber(status, "late rows:") == 0);

  // The bound is an option: spate.event-time.max-future=0s turns it off, and then the record
  // from 2100 does what it did before there was one: every crash after it is late.
  const std::string unbounded_sink = cluster.SinkDir("unbounded");
  CommandResult unbounded = cluster.Submit(
      {"--max-offsets-per-trigger", "1", "--conf", "spate.event-time.max-future=0s", "--sql-file",
       WriteScript(cluster, "unbounded.sql", CrashSql(topic, unbounded_sink))},
      seconds(90));
  REQUIRE(unbounded.exit_code == 0);
  CHECK(ReadSinkDir(unbounded_sink).empty());
  const std::string unbounded_status =
      cluster.StatusText(JobIdFromSubmitStderr(unbounded.stderr_text));
  INFO(unbounded_status);
  CHECK(StatusNumber(unbounded_status, "late rows:") == 3);
  // A negative bound is refused before anything runs.
  CommandResult bad = cluster.Submit(
      {"--conf", "spate.event-time.max-future=-1s", "--sql-file", script}, seconds(30));
  CHECK(bad.exit_code != 0);
  CHECK(Contains(bad.stderr_text, "spate.event-time.max-future"));
}

TEST_CASE(
    "offsets deleted before a job read them fail it with a clear error, or are skipped; "
    "one checkpoint dir serves one running job",
    "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("sql-retention", 1);
  // Offsets 0-2: three crashes of u1; the first run reads them and commits.
  cluster.ProduceLines(topic, Crashes("u1", kStartMs));
  cluster.Start({.workers = 1, .cores_per_worker = 2});
  const std::string checkpoint = cluster.dir().path() + "/checkpoint";
  auto run = [&](const std::string& name, std::vector<std::string> extra) {
    const std::string sink = cluster.SinkDir(name);
    std::vector<std::string> args = {"--checkpoint-dir", checkpoint};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("--sql-file");
    args.push_back(WriteScript(cluster, name + ".sql", CrashSql(topic, sink)));
    CommandResult r = cluster.Submit(args, seconds(90));
    return std::make_pair(r, ReadSinkDir(sink));
  };
  // A streaming run reads offsets 0-2 (u1's window stays open: state in the checkpoint) and is
  // stopped.
  const std::string first = cluster.SubmitDetached(
      {"--checkpoint-dir", checkpoint, "--trigger", "processing-time=200ms", "--sql-file",
       WriteScript(cluster, "first.sql", CrashSql(topic, cluster.SinkDir("first"), false))});
  REQUIRE(WaitFor([&] { return cluster.GetJob(first, 0).status().total_input_rows() == 3; },
                  seconds(60), std::chrono::milliseconds(50)));
  // While it runs, no other job may use its checkpoint dir.
  auto [twin, twin_rows] = run("twin", {});
  CHECK(twin.exit_code != 0);
  CHECK(Contains(twin.stderr_text, "is in use by job " + first));
  CommandResult stop = cluster.RunSubmit({"--master", cluster.master_url(), "--stop", first});
  INFO(stop.stdout_text << stop.stderr_text);
  REQUIRE(stop.exit_code == 0);
  REQUIRE(cluster.WaitForState(first, proto::FINISHED, seconds(30)));

  // Offsets 3-5 (u2, 20 s later) and 6-8 (u3, 40 s later); then 3-5 are deleted, as retention
  // would delete them under a job that had stopped or fallen behind.
  std::vector<std::string> more = Crashes("u2", kStartMs + 20'000);
  for (const auto& line : Crashes("u3", kStartMs + 40'000)) more.push_back(line);
  cluster.ProduceLines(topic, more);
  DeleteRecordsBefore(topic, 6);

  // Resumed from the checkpoint, the job plans 3..9: it fails at once and says why, instead of
  // retrying for ever.
  auto [failed, failed_rows] = run("failed", {});
  INFO("spate-submit stderr:\n" << failed.stderr_text);
  CHECK(failed.exit_code != 0);
  CHECK(Contains(failed.stderr_text, "no longer in Kafka"));
  CHECK(Contains(failed.stderr_text, "spate.source.fail-on-data-loss=false"));
  CHECK(failed_rows.empty());

  // Told to skip lost offsets, it reads 6..9, counts the three it lost, and ends with u1's window
  // (restored from the checkpoint) and u3's.
  auto [skipped, skipped_rows] = run("skipped", {"--conf", "spate.source.fail-on-data-loss=false"});
  INFO("spate-submit stderr:\n" << skipped.stderr_text << "\n" << cluster.Logs());
  REQUIRE(skipped.exit_code == 0);
  const std::vector<std::string> want = {
      R"({"window_start":"2026-01-11 14:42:50","window_end":"2026-01-11 14:43:00","user_id":"u1","crash_count":3})",
      R"({"window_start":"2026-01-11 14:43:30","window_end":"2026-01-11 14:43:40","user_id":"u3","crash_count":3})"};
  std::string diff = RowDiff(want, skipped_rows);
  if (!diff.empty()) FAIL(diff);
  const std::string status = cluster.StatusText(JobIdFromSubmitStderr(skipped.stderr_text));
  INFO(status);
  CHECK(StatusNumber(status, "lost:") == 3);
  CHECK(StatusNumber(status, "input rows:") == 3);
}

TEST_CASE("partitions added to the topic under a streaming job are read from their start",
          "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("sql-grow", 1);
  ProduceTo(topic, 0, Crashes("u1", kStartMs));
  cluster.Start({.workers = 1, .cores_per_worker = 2});
  const std::string sink = cluster.SinkDir("out");
  const std::string job = cluster.SubmitDetached(
      {"--trigger", "processing-time=200ms", "--sql-file",
       WriteScript(cluster, "grow.sql", CrashSql(topic, sink, /*bounded=*/false))});
  REQUIRE(WaitFor([&] { return cluster.GetJob(job, 0).status().total_input_rows() == 3; },
                  seconds(60), std::chrono::milliseconds(50)));
  // Two more partitions; u3's crashes land in the newest one.
  GrowTopic(topic, 3);
  ProduceTo(topic, 2, Crashes("u3", kStartMs + 20'000));
  const bool all = WaitInputRows(cluster, job, 6);
  INFO(cluster.StatusText(job) << cluster.Logs(40));
  REQUIRE(all);
  DrainAndCheck(cluster, job, sink, RowsOfU1AndU3());
}

TEST_CASE("the offset and commit logs keep only the newest batches", "[integration]") {
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("sql-prune", 1);
  std::vector<std::string> lines;
  for (int i = 0; i < 25; ++i) lines.push_back(CrashLine(kStartMs + i * 100, "u1"));
  ProduceTo(topic, 0, lines);
  cluster.Start({.workers = 1, .cores_per_worker = 2});
  const std::string sink = cluster.SinkDir("out");
  const std::string checkpoint = cluster.dir().path() + "/checkpoint";
  // A batch a record; records of the newest 4 batches kept (two snapshot intervals of 1, + 2).
  CommandResult run = cluster.Submit(
      {"--checkpoint-dir", checkpoint, "--max-offsets-per-trigger", "1", "--conf",
       "spate.checkpoint.snapshot-interval=1", "--conf", "spate.checkpoint.retained-batches=1",
       "--sql-file", WriteScript(cluster, "prune.sql", CrashSql(topic, sink))},
      seconds(120));
  INFO("spate-submit stderr:\n" << run.stderr_text << "\n" << cluster.Logs());
  REQUIRE(run.exit_code == 0);
  const std::vector<std::string> want = {
      R"({"window_start":"2026-01-11 14:42:50","window_end":"2026-01-11 14:43:00","user_id":"u1","crash_count":25})"};
  std::string diff = RowDiff(want, ReadSinkDir(sink));
  if (!diff.empty()) FAIL(diff);
  // 26 batches (the last one final); pruned after batches 10 and 20: 17..25 remain.
  const auto commits = ReadCommitLog(checkpoint);
  REQUIRE_FALSE(commits.empty());
  CHECK(commits.begin()->first == 17);
  CHECK(commits.rbegin()->first == 25);
  CHECK(ReadOffsetLog(checkpoint).size() == commits.size());
}

TEST_CASE("a full checkpoint disk pauses a streaming job, which goes on once there is room",
          "[integration]") {
  spate::testing::TempDir mount_dir("spate-disk");
  SmallDisk disk(mount_dir.path() + "/disk");  // outlives the cluster below
  if (!disk.mounted()) {
    WARN("skipped: cannot mount a tmpfs here (" << disk.error() << ")");
    return;
  }
  Cluster cluster;
  const std::string topic = cluster.CreateTopic("sql-disk", 1);
  ProduceTo(topic, 0, Crashes("u1", kStartMs));
  cluster.Start({.workers = 1, .cores_per_worker = 2});
  const std::string sink = cluster.SinkDir("out");
  const std::string job = cluster.SubmitDetached(
      {"--checkpoint-dir", mount_dir.path() + "/disk/checkpoint", "--trigger",
       "processing-time=200ms", "--sql-file",
       WriteScript(cluster, "disk.sql", CrashSql(topic, sink, /*bounded=*/false))});
  REQUIRE(WaitFor([&] { return cluster.GetJob(job, 0).status().total_input_rows() == 3; },
                  seconds(60), std::chrono::milliseconds(50)));
  // The checkpoint disk fills up, then new records arrive: the offset log cannot be written.
  disk.Fill();
  ProduceTo(topic, 0, Crashes("u3", kStartMs + 20'000));
  const bool paused = WaitFor(
      [&] {
        const proto::JobStatus st = cluster.GetJob(job, 0).status();
        return st.state() == proto::RECOVERING &&
               st.message().find("No space left on device") != std::string::npos;
      },
      seconds(30), std::chrono::milliseconds(50));
  INFO(cluster.StatusText(job) << cluster.Logs(40));
  REQUIRE(paused);
  std::this_thread::sleep_for(seconds(2));  // it stays paused, and is not failed
  CHECK(cluster.GetJob(job, 0).status().state() == proto::RECOVERING);
  disk.Free();
  REQUIRE(WaitInputRows(cluster, job, 6));
  DrainAndCheck(cluster, job, sink, RowsOfU1AndU3());
}

TEST_CASE("spate-submit checks a SQL script before anything runs", "[integration]") {
  Cluster cluster;  // no daemons: errors and --explain need no master
  const std::string good = WriteScript(cluster, "good.sql", CrashSql("logs", "/tmp/unused"));
  CommandResult explain =
      cluster.RunSubmit({"--master", "spate://127.0.0.1:1", "--sql-file", good, "--explain"});
  INFO(explain.stdout_text << explain.stderr_text);
  REQUIRE(explain.exit_code == 0);
  CHECK(Contains(explain.stdout_text, "crash"));
  CHECK(Contains(explain.stdout_text, "TUMBLE"));

  std::string bad = CrashSql("logs", "/tmp/unused");
  bad.replace(bad.find("GROUP BY window_start, window_end, user_id"),
              std::string("GROUP BY window_start, window_end, user_id").size(),
              "GROUP BY window_start, window_end, usr_id");
  CommandResult err = cluster.RunSubmit(
      {"--master", "spate://127.0.0.1:1", "--sql-file", WriteScript(cluster, "bad.sql", bad)});
  INFO(err.stderr_text);
  CHECK(err.exit_code == 2);
  CHECK(Contains(err.stderr_text, "line 18, column 36"));
  CHECK(Contains(err.stderr_text, "usr_id"));
  CHECK(Contains(err.stderr_text, "user_id"));
}

}  // namespace
}  // namespace spate::testing
