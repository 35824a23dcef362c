// Decoding a JSON record into the plan's source columns, by name and path (simdjson On-Demand).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/log_record.h"
#include "common/status.h"
#include "exec/value.h"
#include "proto/plan.pb.h"

namespace spate::exec {

/// The verdict on one record. `field` names the column at fault ("http.status"); it views the
/// decoder's plan and stays valid while the decoder lives.
struct DecodeOutcome {
  MalformedReason reason = MalformedReason::kNone;
  std::string_view field;
  bool ok() const { return reason == MalformedReason::kNone; }
};

/// Decodes records for one plan. One per task (not thread-safe); reuses its buffers, so the
/// steady state allocates nothing per record.
///
/// Rules:
/// - The value must be one JSON object (RFC 8259, UTF-8): otherwise kNotJson / kNotObject. The
///   whole record is validated (as RecordParser does), ignored fields included.
/// - Keys are compared after unescaping, case-sensitively; with duplicate keys the first wins.
/// - A column absent from the record (or a path through a missing or null object) is NULL,
///   unless the source says fail_on_missing_field or the column is NOT NULL: then
///   kMissingField. JSON null is NULL, except in a NOT NULL column, where it is kWrongType.
/// - Types: STRING takes a JSON string; BOOLEAN true/false; INT and BIGINT a JSON integer in
///   range (INT: 32-bit); DOUBLE any JSON number; TIMESTAMP(3) and TIMESTAMP_LTZ(3) a JSON
///   integer (epoch ms) or an RFC 3339 string with an offset; TIMESTAMP(3) (wall-clock time)
///   also 'YYYY-MM-DD HH:MM:SS[.fff]' or 'YYYY-MM-DDTHH:MM:SS[.fff]' without one, read as UTC,
///   while for TIMESTAMP_LTZ(3) (an instant) a string without an offset is kBadTimestamp, as
///   are a bad string and a number that is not an int64. Any other JSON type is kWrongType (a
///   number for a STRING column included).
/// - When several problems exist, kNotJson wins, then the first column problem in document order.
class RowDecoder {
 public:
  static Result<std::unique_ptr<RowDecoder>> Make(const proto::SourcePlan& source);
  virtual ~RowDecoder() = default;

  /// Decodes `json` into row[0 .. columns-1], in the order of source.columns. Strings view
  /// `json` (no escapes) or the decoder's scratch: valid until the next Decode and while `json`
  /// lives. On a malformed record the row's contents are unspecified.
  virtual DecodeOutcome Decode(std::string_view json, Value* row) = 0;

  /// The number of decoded columns.
  virtual size_t columns() const = 0;
};

}  // namespace spate::exec
