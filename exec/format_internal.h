// Text forms shared by the row codec (JSON, console) and CAST ... AS STRING. Internal to exec/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace spate::exec::internal {

/// Bytes FormatDouble and FormatTimestamp may write.
constexpr size_t kFormatBufferSize = 48;

/// A double as Java's Double.toString lays it out, with the shortest digits that read back the
/// same: "3.0", "0.001", "1.0E7", "1.2345E-5", "-0.0", "NaN", "Infinity", "-Infinity". Flink's
/// JSON writer (Jackson) and its CAST to STRING print doubles this way. Returns the length.
size_t FormatDouble(double v, char* out);

/// epoch ms as "YYYY-MM-DD HH:MM:SS" and the millis as a fraction with trailing zeros dropped,
/// but at least `min_digits` (0..3) digits kept, as Flink formats a TIMESTAMP(p): 0 gives ".12"
/// for 120 ms and nothing for 0 (its JSON format), 3 gives ".120" and ".000" (its CAST of a
/// TIMESTAMP(3) to STRING). Returns the length.
size_t FormatTimestamp(int64_t epoch_ms, int min_digits, char* out);

/// Appends `s` as a JSON string with its quotes: '"', '\' and control characters escaped
/// (\n \r \t \b \f, others \u00XX), bytes that are not valid UTF-8 replaced by U+FFFD.
void AppendJsonString(std::string_view s, std::string* out);

/// Parses a timestamp string as the decoder and TO_TIMESTAMP read it: RFC 3339 with an offset
/// (ParseRfc3339Millis), or 'YYYY-MM-DD HH:MM:SS[.f...]' / 'YYYY-MM-DDTHH:MM:SS[.f...]' read as
/// UTC. False when `s` is neither.
bool ParseTimestampText(std::string_view s, int64_t* epoch_ms);

}  // namespace spate::exec::internal
