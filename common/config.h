// Parsing of the human-friendly values that flags and job specs carry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace spate {

/// Parses "500ms", "10s", "2m", "1h" (a bare number is seconds) into milliseconds.
/// Rejects negatives, empty strings, unknown units and overflow.
Result<int64_t> ParseDurationMs(std::string_view text);

/// Formats milliseconds the way ParseDurationMs reads them ("10s", "1500ms").
std::string FormatDurationMs(int64_t ms);

/// Parses "512m", "4G", "1g", "1024" (bytes), "64k" into bytes (binary multiples).
Result<int64_t> ParseBytes(std::string_view text);

/// Splits "a,b,,c" into {"a","b","c"} (empty items dropped, items trimmed).
std::vector<std::string> SplitList(std::string_view text, char sep = ',');

/// Parses "host:port" into its parts; port must be 1..65535.
struct HostPort {
  std::string host;
  int port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};
Result<HostPort> ParseHostPort(std::string_view text);

/// Reads an environment variable, or `fallback` when it is unset or empty.
std::string EnvOr(const char* name, std::string fallback);

}  // namespace spate
