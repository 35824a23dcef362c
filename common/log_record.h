// The log-record model: one Kafka message value, a JSON object such as
//   {"timestamp": 1768142570123, "status": "ERROR", "severity": "High",
//    "source_ip": "192.168.1.42", "user_id": "user_1836",
//    "content": "Application crash detected in module auth"}
// and its parser (simdjson On-Demand), written for the engine's hot path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "common/status.h"

namespace spate {

/// Why a record is malformed. Counted per job and partition by the engine.
enum class MalformedReason : uint8_t {
  kNone = 0,
  kNotJson,          ///< not valid JSON (RFC 8259), trailing bytes after the value included
  kNotObject,        ///< valid JSON, but an array, string, number, boolean or null
  kMissingField,     ///< a required field is absent
  kWrongType,        ///< a required field has the wrong JSON type
  kBadTimestamp,     ///< `timestamp` is a non-integer or out-of-range number, or a bad date string
  kFutureEventTime,  ///< the event time lies further ahead of the batch's wall clock than allowed
};

/// "none", "not_json", "not_object", "missing_field", "wrong_type", "bad_timestamp",
/// "future_event_time": metric labels.
std::string_view MalformedReasonName(MalformedReason r);

/// Bits naming the record's fields, OR-ed into a `required` mask.
enum RecordField : uint32_t {
  kFieldTimestamp = 1,
  kFieldStatus = 2,
  kFieldSeverity = 4,
  kFieldSourceIp = 8,
  kFieldUserId = 16,
  kFieldContent = 32,
  kAllFields = 63
};

/// The JSON key of one field bit ("timestamp", "status", ...); "" for anything else.
std::string_view RecordFieldName(uint32_t field_bit);

/// A parsed record. String views point into the input buffer when the JSON string has no escapes
/// (zero copy), otherwise into the parser's own scratch; valid until the next Parse call on the
/// same parser (and, for the zero-copy ones, while the input lives). Fields not asked for are
/// left empty (0 for timestamp).
struct LogRecordView {
  int64_t timestamp_ms = 0;
  std::string_view status, severity, source_ip, user_id, content;
};

/// The verdict on one record.
struct ParseOutcome {
  MalformedReason reason = MalformedReason::kNone;
  std::string_view field;  ///< which field was missing/wrong ("timestamp", ...), "" otherwise
  bool ok() const { return reason == MalformedReason::kNone; }
};

/// Parses log records. One per thread; not thread-safe. Reuses its buffers: no allocation per
/// record in steady state (buffers grow to the largest record seen and are kept).
///
/// Rules (DESIGN.md "The data model"):
/// - The value must be one JSON object (RFC 8259, UTF-8), optionally surrounded by whitespace;
///   anything else after it is kNotJson. The whole record is validated, ignored fields included
///   (numbers by the JSON grammar, strings' escapes, nesting up to kMaxDepth).
/// - Keys are compared after unescaping ("time\u0073tamp" is `timestamp`), case-sensitively.
///   Unknown keys are ignored. With duplicate keys the first occurrence wins; later ones are only
///   validated as JSON.
/// - Only fields in `required` are extracted and type-checked; the others are ignored.
/// - `timestamp`: a JSON integer literal in the int64 range is epoch milliseconds (a fraction
///   or exponent, even "1.0" or "1e3", or a value beyond int64 → kBadTimestamp); a string is read
///   by ParseTimestampString (not an instant with a zone offset → kBadTimestamp); any other type
///   → kWrongType.
/// - The other fields must be strings (kWrongType otherwise); any content, "" included.
/// - When several problems exist, kNotJson wins, then the first field problem in document order,
///   then the first missing field in bit order.
/// - Escapes, \u escapes and surrogate pairs are decoded; an invalid escape or a lone surrogate
///   is kNotJson.
class RecordParser {
 public:
  /// Bytes that ParsePadded may read past the end of its input (simdjson's SIMDJSON_PADDING).
  static constexpr size_t kPadding = 64;
  /// Deepest nesting of arrays/objects accepted inside a record (deeper → kNotJson).
  static constexpr int kMaxDepth = 1024;

  RecordParser();
  ~RecordParser();
  RecordParser(RecordParser&&) noexcept;
  RecordParser& operator=(RecordParser&&) noexcept;
  RecordParser(const RecordParser&) = delete;
  RecordParser& operator=(const RecordParser&) = delete;

  /// Parses one Kafka message value, from any buffer: when the kPadding bytes after it lie on the
  /// same 4 KiB page as its last byte (almost always), they are read in place, as simdjson does
  /// (reads only; their contents do not matter; never in AddressSanitizer builds); otherwise the
  /// record is first copied into a reusable padded buffer. Only fields in `required` are
  /// extracted and checked (missing/wrong type of a required field → malformed); others are
  /// ignored. `*out` is unspecified when the outcome is not ok().
  ParseOutcome Parse(std::string_view json, uint32_t required, LogRecordView* out);

  /// As Parse, without the copy: the caller guarantees that kPadding bytes after
  /// json.data() + json.size() are readable (their contents do not matter).
  ParseOutcome ParsePadded(std::string_view json, uint32_t required, LogRecordView* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// epoch-ms from an RFC 3339 / ISO-8601 string with a zone offset: "2026-01-11T14:42:50.123Z",
/// "...+02:00"; 'T', 't' or ' ' between date and time; seconds required (60, a leap second, reads
/// as the next second); fraction optional, 1 to 9 digits after '.' or ',' (truncated to ms);
/// offset 'Z', 'z', +hh:mm, -hh:mm, +hhmm or +hh (at most 23:59). Date and time fields are range
/// checked (Feb 29 only in leap years). No offset → error. Years 0000..9999.
Result<int64_t> ParseTimestampString(std::string_view s);

}  // namespace spate
