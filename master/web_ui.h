// The master's web page, its JSON API (/api/v1/...) and Prometheus metrics (/metrics), served
// over HTTP by cpp-httplib on the master's --ui-port. The page's HTML, CSS and JS are compiled
// into the binary from master/web/ (see master/web/embed.cmake), so it works offline.
//
// Threads: one listener thread plus cpp-httplib's worker pool answer requests; a poller thread
// folds every job's progress history into running totals once a second (the per-executor
// counters of /metrics). Both only call the MasterHandler's thread-safe methods.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "master/cluster.h"
#include "proto/spate.pb.h"

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace spate::master {

class MasterHandler;

/// A page asset compiled into the binary. The bytes live in static storage.
struct WebAsset {
  std::string_view path;          ///< "/index.html", "/static/app.js", ...
  std::string_view content_type;  ///< "text/html; charset=utf-8", ...
  std::string_view body;
};

/// The asset served at `path` ("/" is "/index.html"), or nullptr. Defined in the generated
/// web_assets.cc.
const WebAsset* FindWebAsset(std::string_view path);
/// Every embedded asset (for tests).
std::vector<const WebAsset*> AllWebAssets();

namespace web {

/// Running sums of one job's committed batches, per executor and per malformed reason.
struct JobTotals {
  int64_t last_batch = -1;  ///< highest batch id folded in
  std::map<std::string, proto::ExecutorBatchStats> executors;
  std::map<std::string, int64_t> malformed_by_reason;
  int64_t shuffle_bytes = 0;
  int64_t rows_matched = 0;
};

/// Adds the batches of `history` with ids above `totals->last_batch` to `totals`, so the same
/// batch is never counted twice however the histories overlap. Pure.
void FoldProgress(const google::protobuf::RepeatedPtrField<proto::BatchProgress>& history,
                  JobTotals* totals);

/// An epoch-ms value as JSON, or null when it is not a real instant (the INT64_MIN "no
/// watermark yet" and INT64_MAX "end of input" sentinels, anything past 2^53).
nlohmann::json InstantJson(int64_t ms);
/// "2026-01-11T14:42:50.123Z", or "" for a sentinel (see InstantJson).
std::string IsoTime(int64_t ms);

/// One batch as /api/v1/jobs/ID/progress returns it (docs/web-ui.md lists the fields).
nlohmann::json ProgressJson(const proto::BatchProgress& p);
/// A worker with what it holds: the executors of `jobs` placed on it.
nlohmann::json WorkerJson(const WorkerRecord& w, const std::vector<proto::JobStatus>& jobs,
                          int64_t now_ms);
/// The short form of a job, as /api/v1/jobs lists it.
nlohmann::json JobSummaryJson(const proto::JobStatus& job, int64_t now_ms);
/// The job with its configuration, executors (with their running totals), the DAG of its
/// stages and the last progress, as /api/v1/jobs/ID returns it.
nlohmann::json JobDetailJson(const proto::JobStatus& job, const JobTotals& totals, int64_t now_ms);
/// Result rows of the newest `max_batches` batches, newest first, at most `max_rows` rows.
nlohmann::json ResultsJson(const proto::JobStatus& job,
                           const google::protobuf::RepeatedPtrField<proto::ResultBatch>& results,
                           int max_batches, int max_rows);

/// A Prometheus label value with \\, \" and \n escaped (the text exposition format).
std::string PrometheusLabelValue(std::string_view value);
/// The whole /metrics text: workers, jobs (with `totals` by job id) and executors.
std::string RenderMetrics(const std::vector<WorkerRecord>& workers,
                          const std::vector<proto::JobStatus>& jobs,
                          const std::map<std::string, JobTotals>& totals, int64_t now_ms);

/// JSON text that never throws: invalid UTF-8 (a user_id from the outside world) is replaced.
std::string Dump(const nlohmann::json& j);

}  // namespace web

struct WebUiOptions {
  std::string host = "127.0.0.1";
  /// 0: any free port. When the port is taken, the next ones are tried (as Spark's UI does),
  /// up to `port_retries` of them.
  int port = 8080;
  int port_retries = 16;
  /// Allow POST /api/v1/jobs/ID/kill (and the page's Kill button).
  bool kill_enabled = false;
  /// Shown on the page: the master's gRPC address.
  std::string master_address;
  /// The cluster's shared secret. Set: every request needs a login (Authorization: Bearer
  /// <secret>, or HTTP basic with any user and the secret as password), and kill and stop also
  /// need the page's CSRF token (X-Spate-CSRF) and a same-origin request. Empty: open, as the
  /// local demo is.
  std::string auth_secret;
  /// PEM certificate and key files: serve HTTPS instead of HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  /// With standby masters: this leader's role, epoch and takeover (the "ha" object of
  /// /api/v1/cluster), and the lines it adds to /metrics. Empty: one master.
  std::function<nlohmann::json()> ha_status;
  std::function<std::string()> ha_metrics;
  /// How often the poller folds job progress into the totals.
  int64_t poll_interval_ms = 1000;
  /// Serve the page's files from this directory instead of the embedded copies (for editing
  /// master/web/ without rebuilding). Empty: $SPATE_WEB_DEV_DIR if set, else embedded.
  std::string dev_dir;
};

/// The running HTTP server. Start() binds and returns once requests are being served.
/// Thread-safe; Shutdown() (or the destructor) stops and joins every thread. The MasterHandler
/// must outlive it.
class WebUi {
 public:
  static Result<std::unique_ptr<WebUi>> Start(MasterHandler* master, const WebUiOptions& options);
  ~WebUi();
  WebUi(const WebUi&) = delete;
  WebUi& operator=(const WebUi&) = delete;

  void Shutdown();
  /// The bound port.
  int port() const { return port_; }
  /// "http://host:port" (https with a certificate).
  std::string url() const;
  /// The token that kill and stop requests carry in X-Spate-CSRF when a secret is set
  /// ("" without one). Read by a logged-in page from /api/v1.
  std::string csrf_token() const;

 private:
  WebUi(MasterHandler* master, const WebUiOptions& options);
  void Routes();
  /// Whether `req` carries the secret (always true without one).
  bool LoggedIn(const httplib::Request& req) const;
  /// Why a request that changes something is refused (CSRF token, origin), "" when it may go on.
  std::string ActionRefusal(const httplib::Request& req) const;
  /// Folds the new batches of every job into totals_.
  void Refresh();
  std::map<std::string, web::JobTotals> TotalsCopy();
  web::JobTotals TotalsOf(const std::string& job_id);

  MasterHandler* master_;
  WebUiOptions options_;
  int port_ = 0;
  int64_t started_ms_ = 0;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  std::thread poller_;
  std::atomic<bool> stopping_{false};
  std::mutex poll_mu_;
  std::condition_variable poll_cv_;
  std::mutex totals_mu_;  // guards totals_; also serializes Refresh()
  std::map<std::string, web::JobTotals> totals_;
};

}  // namespace spate::master
