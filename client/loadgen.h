// spate-loadgen: a deterministic generator of log records and the Kafka producer around it.
//
// The generator is a pure function: record i's partition, timestamp and bytes depend only on
// (seed, i, options), so a data set is reproducible, threads can split the index space by
// partition without coordination, and tests and benchmarks use it without Kafka.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace spate {

/// Everything that decides the bytes of record i. Two generators made from equal options
/// produce equal records.
struct GeneratorOptions {
  /// Seeds every random choice.
  uint64_t seed = 1;
  /// Record i goes to partition i % partitions (round-robin, so each partition's event time
  /// advances like the others').
  int32_t partitions = 1;
  /// Users are user_1000 .. user_(1000+users-1).
  int64_t users = 1000;
  /// Zipf exponent of the user distribution; 0 = uniform.
  double zipf = 0.0;
  /// Synthetic event time: record i's timestamp is start_ms + floor(i * 1000 / event_rate).
  /// When false, the caller supplies the (wall-clock) timestamp.
  bool synthetic_time = false;
  int64_t start_ms = 0;
  /// Records per event-second; also scales `term_rate` into a per-record share.
  double event_rate = 10000.0;
  /// A share `disorder_fraction` of records has its timestamp moved back by 1..disorder_ms.
  int64_t disorder_ms = 0;
  double disorder_fraction = 0.05;
  /// Share of malformed records (see MalformedKind), in [0, 1].
  double malformed_fraction = 0.0;
  /// When not empty, `term_rate` records per event-second carry this term in their content,
  /// spaced evenly over the index space.
  std::string term;
  double term_rate = 0.0;
};

/// How a malformed record is broken. Each kind is malformed for every Spate job: the fields
/// removed or mistyped (timestamp, severity, content) are needed by all of them.
enum class MalformedKind : uint8_t {
  kNone = 0,      ///< a well-formed record of the model
  kNotJson,       ///< not JSON at all (plain text or truncated JSON)
  kNotObject,     ///< JSON, but an array, string, number or null
  kMissingField,  ///< an object without timestamp, severity or content
  kWrongType,     ///< one of those fields has the wrong JSON type
  kBadTimestamp,  ///< timestamp is a zone-less or garbage string, a fraction or out of range
};

/// Name of a kind, e.g. "not-json".
std::string_view MalformedKindName(MalformedKind kind);

/// One generated record. `value` points into the buffer given to (or owned by) the generator
/// and stays valid until that buffer is reused.
struct GeneratedRecord {
  uint64_t index = 0;
  int32_t partition = 0;
  /// The event time written into the record (after disorder). For malformed records, the
  /// timestamp the record would have had.
  int64_t timestamp_ms = 0;
  /// User number (the N of user_N).
  int64_t user = 0;
  MalformedKind malformed = MalformedKind::kNone;
  /// True when the timestamp was moved back by the disorder option.
  bool out_of_order = false;
  /// Severity is High or Critical and content contains "crash" (any case): what the crash
  /// detector counts. False for malformed records.
  bool crash_match = false;
  /// The content carries the additional term.
  bool has_term = false;
  std::string_view value;
};

/// Generates log records as a pure function of (options, index). The hot path performs no
/// allocation: values are formatted into a caller's buffer or a buffer owned by the generator.
/// Thread-compatible: one generator per thread, or const use of `WriteRecord` only.
class RecordGenerator {
 public:
  /// Validates the options and builds the lookup tables (the Zipf alias table, the escaped
  /// term).
  static Result<RecordGenerator> Make(const GeneratorOptions& options);

  /// Record i with its synthetic timestamp (or start_ms when synthetic time is off); `value`
  /// points into this generator's buffer, valid until the next call.
  void Generate(uint64_t i, GeneratedRecord* out);

  /// Writes record i into `dst` (at least max_value_size() bytes) and fills `out`, whose
  /// `value` points into `dst`. `wall_ms` is the timestamp used when synthetic time is off.
  /// Returns the number of bytes written.
  size_t WriteRecord(uint64_t i, int64_t wall_ms, char* dst, GeneratedRecord* out) const;

  /// The partition of record i.
  int32_t PartitionOf(uint64_t i) const {
    return static_cast<int32_t>(i % static_cast<uint64_t>(options_.partitions));
  }
  /// The synthetic timestamp of record i before disorder.
  int64_t BaseTimestamp(uint64_t i) const;
  /// An upper bound of the size of any value this generator writes.
  size_t max_value_size() const { return max_value_size_; }
  const GeneratorOptions& options() const { return options_; }

 private:
  explicit RecordGenerator(const GeneratorOptions& options);

  GeneratorOptions options_;
  uint64_t seed_mix_ = 0;
  std::string term_json_;  // the term, escaped for a JSON string
  bool term_has_crash_ = false;
  size_t max_value_size_ = 0;
  // Fixed-point thresholds (53-bit) for the fractions.
  uint64_t malformed_threshold_ = 0;
  uint64_t disorder_threshold_ = 0;
  // Event rate and term rate in thousandths, for exact integer spacing.
  int64_t event_rate_milli_ = 0;
  int64_t term_rate_milli_ = 0;
  // Vose alias table for the Zipf user distribution (empty when uniform).
  std::vector<uint64_t> alias_threshold_;
  std::vector<uint32_t> alias_index_;
  std::vector<char> buffer_;
};

/// The command line and environment of spate-loadgen, parsed and checked.
struct LoadgenOptions {
  std::string bootstrap = "127.0.0.1:19092";
  std::string topic = "logs";
  /// Records per second for this instance; 0 = as fast as possible.
  double rate = 10000.0;
  /// Stop after this many records (0 = no limit).
  uint64_t count = 0;
  /// Stop after this long (0 = no limit).
  int64_t duration_ms = 0;
  int threads = 1;
  /// True when --seed was given; otherwise a random seed is drawn (and printed).
  bool seed_given = false;
  GeneratorOptions generator;
  /// True when --event-rate was given (otherwise it follows --rate, or 10000 when rate is 0).
  bool event_rate_given = false;
  // Producer tuning.
  int linger_ms = 10;
  int64_t batch_bytes = 1 << 20;
  std::string compression = "none";
  int64_t message_timeout_ms = 30000;
  int64_t connect_timeout_ms = 10000;
  /// librdkafka properties from -X key=value (applied last).
  std::vector<std::pair<std::string, std::string>> kafka_config;
  /// Print the values to stdout, one a line, instead of producing to Kafka.
  bool to_stdout = false;
  /// Seconds between progress lines on stderr (0 = none).
  int64_t progress_interval_ms = 1000;
  /// Show librdkafka's own log lines.
  bool verbose = false;
  bool help = false;
};

/// Reads an environment variable; returns nullptr when unset. Injected for tests.
using EnvLookup = std::function<const char*(const char*)>;

/// Parses flags (args excludes the program name) over the environment (KAFKA_BROKER,
/// KAFKA_TOPIC, TARGET_RPS, ADDITIONAL_TERM, ADDITIONAL_TERM_RATE); flags win. Rejects unknown
/// flags and values out of range with a message naming the flag.
Result<LoadgenOptions> ParseLoadgenArgs(const std::vector<std::string>& args, const EnvLookup& env);

/// The --help text.
std::string LoadgenUsage();

/// What a run did.
struct LoadgenSummary {
  uint64_t sent = 0;          ///< records handed to the producer
  uint64_t acknowledged = 0;  ///< records the broker acknowledged
  uint64_t failed = 0;        ///< records that failed delivery
  uint64_t bytes = 0;         ///< value bytes acknowledged
  double seconds = 0;
  int32_t partitions = 0;
  uint64_t seed = 0;
};

/// Produces records until the count or duration is reached, `stop` becomes true, or a
/// delivery fails; then flushes. Prints progress and a summary line to stderr. Returns an
/// error (with the summary so far in `summary`) when the topic is missing, the broker cannot
/// be reached, or any record failed.
Status RunLoadgen(const LoadgenOptions& options, const std::atomic<bool>* stop,
                  LoadgenSummary* summary);

/// The whole program: parse, run, exit code (0 ok, 1 failure, 2 usage error).
int LoadgenMain(int argc, char** argv);

}  // namespace spate
