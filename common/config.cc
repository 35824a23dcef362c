#include "common/config.h"

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <limits>

namespace spate {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits "10s" into 10 and "s"; fails on a missing or negative number.
Result<std::pair<int64_t, std::string>> SplitNumberUnit(std::string_view text, const char* what) {
  std::string_view t = Trim(text);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || ptr == t.data()) {
    return Status::InvalidArgument("invalid " + std::string(what) + " '" + std::string(text) + "'");
  }
  if (value < 0) {
    return Status::InvalidArgument(std::string(what) + " must not be negative: '" +
                                   std::string(text) + "'");
  }
  std::string unit;
  for (const char* p = ptr; p != t.data() + t.size(); ++p) {
    unit.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(*p))));
  }
  return std::make_pair(value, unit);
}

Result<int64_t> Scale(int64_t value, int64_t factor, std::string_view text, const char* what) {
  if (value > std::numeric_limits<int64_t>::max() / factor) {
    return Status::InvalidArgument(std::string(what) + " too large: '" + std::string(text) + "'");
  }
  return value * factor;
}

}  // namespace

Result<int64_t> ParseDurationMs(std::string_view text) {
  SPATE_ASSIGN_OR_RETURN(auto nu, SplitNumberUnit(text, "duration"));
  const auto& [value, unit] = nu;
  if (unit == "ms") return value;
  if (unit.empty() || unit == "s" || unit == "sec" || unit == "seconds")
    return Scale(value, 1000, text, "duration");
  if (unit == "m" || unit == "min" || unit == "minutes") return Scale(value, 60'000, text, "duration");
  if (unit == "h") return Scale(value, 3'600'000, text, "duration");
  return Status::InvalidArgument("invalid duration '" + std::string(text) +
                                 "' (use a number with ms, s, m or h, e.g. 10s)");
}

std::string FormatDurationMs(int64_t ms) {
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

Result<int64_t> ParseBytes(std::string_view text) {
  SPATE_ASSIGN_OR_RETURN(auto nu, SplitNumberUnit(text, "size"));
  const auto& [value, unit] = nu;
  if (unit.empty() || unit == "b") return value;
  if (unit == "k" || unit == "kb") return Scale(value, int64_t{1} << 10, text, "size");
  if (unit == "m" || unit == "mb") return Scale(value, int64_t{1} << 20, text, "size");
  if (unit == "g" || unit == "gb") return Scale(value, int64_t{1} << 30, text, "size");
  if (unit == "t" || unit == "tb") return Scale(value, int64_t{1} << 40, text, "size");
  return Status::InvalidArgument("invalid size '" + std::string(text) +
                                 "' (use a number with k, m, g or t, e.g. 4G)");
}

std::vector<std::string> SplitList(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = Trim(text.substr(start, end - start));
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

Result<HostPort> ParseHostPort(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status::InvalidArgument("expected HOST:PORT, got '" + std::string(text) + "'");
  }
  HostPort hp;
  hp.host = std::string(text.substr(0, colon));
  std::string_view port = text.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), hp.port);
  if (ec != std::errc() || ptr != port.data() + port.size() || hp.port < 1 || hp.port > 65535) {
    return Status::InvalidArgument("invalid port in '" + std::string(text) + "'");
  }
  return hp;
}

std::string EnvOr(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return (v && *v) ? std::string(v) : std::move(fallback);
}

}  // namespace spate
