#include "client/loadgen.h"

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <mutex>
#include <random>
#include <thread>

#include "common/config.h"
#include "common/kafka_props.h"
#include "common/logging.h"

namespace spate {
namespace {

// ------------------------------------------------------------------------------------------
// Vocabulary of the default mix.

constexpr std::array<std::string_view, 10> kModules = {"auth",     "billing",  "search",  "cart",
                                                       "checkout", "profile",  "gateway", "storage",
                                                       "payments", "inventory"};

// Messages that never contain "crash" in any case. Some are near misses on purpose
// ("Cash", "clash", "crush", "trash") so that a sloppy matcher shows.
constexpr std::array<std::string_view, 20> kPlainMessages = {
    "User login successful",
    "User logout completed",
    "Session token refreshed",
    "Cache miss for user profile",
    "Request completed in 42 ms",
    "Slow query detected on orders table",
    "Database connection pool exhausted",
    "Disk usage above 85 percent",
    "Timeout while calling downstream service",
    "Invalid input rejected by validator",
    "Configuration reloaded",
    "Health check passed",
    "Retrying failed request",
    "Rate limit exceeded for client",
    "Memory usage high",
    "Cash balance updated",
    "Clash between feature flags resolved",
    "Backlog crusher job finished",
    "Trash collection finished",
    "Certificate expires in 7 days",
};

// Messages that contain "crash" in varied case, alone and inside other words.
constexpr std::array<std::string_view, 12> kCrashMessages = {
    "Application crash detected",
    "Application Crash detected",
    "CRASH reported by client",
    "Service crashed while handling request",
    "Worker process crashes repeatedly",
    "Unexpected crash during startup",
    "Kernel panic caused system CRASH",
    "Renderer Crashed unexpectedly",
    "CrashLoopBackOff for pod",
    "Crash dump written",
    "Null pointer dereference led to a crash",
    "App cRaSh after update",
};

constexpr std::array<std::string_view, 4> kSeverities = {"Low", "Medium", "High", "Critical"};
constexpr std::array<std::string_view, 3> kStatuses = {"INFO", "WARN", "ERROR"};

// Shares in percent. Crash records are mostly severe; the rest mostly not.
constexpr std::array<int, 4> kPlainSeverityPct = {50, 30, 15, 5};
constexpr std::array<int, 4> kCrashSeverityPct = {10, 20, 40, 30};
// Status given severity (INFO, WARN, ERROR) in percent.
constexpr std::array<std::array<int, 3>, 4> kStatusPct = {
    {{90, 10, 0}, {40, 50, 10}, {0, 40, 60}, {0, 0, 100}}};

// Per-record crash probability, in 1/10000. "Hot" users (2 % of them, chosen by the seed)
// crash ten times as often. At the default event rate and 1000 uniform users a user has ~100
// records per 10 s window, so an ordinary user has ~0.4 matching records (High/Critical and
// "crash") per window: mostly 0 or 1, at the threshold of 2 in ~5 % of windows, above it in
// ~1 %; a hot user has ~4: above the threshold in most windows, at it in some. Together about
// 25 (window, user) rows per window cross the threshold.
constexpr uint64_t kCrashPerTenThousand = 57;
constexpr uint64_t kHotCrashPerTenThousand = 570;
constexpr uint64_t kHotUserPercent = 2;
constexpr int64_t kWindowMs = 10'000;

constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ULL;
constexpr int kDrawsPerRecord = 16;

inline uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A fraction in [0, 1] as a threshold on 53-bit draws: draw >> 11 < threshold.
uint64_t FractionThreshold(double f) {
  if (f <= 0) return 0;
  if (f >= 1) return uint64_t{1} << 53;
  return static_cast<uint64_t>(std::ldexp(f, 53));
}

inline bool Below(uint64_t draw, uint64_t threshold) { return (draw >> 11) < threshold; }

// Picks from a percent table with a draw.
template <size_t N>
inline size_t PickPct(uint64_t draw, const std::array<int, N>& pct) {
  int x = static_cast<int>(draw % 100);
  for (size_t k = 0; k < N; ++k) {
    if (x < pct[k]) return k;
    x -= pct[k];
  }
  return N - 1;
}

inline int64_t FloorMod(int64_t a, int64_t b) {
  int64_t m = a % b;
  return m < 0 ? m + b : m;
}

// ------------------------------------------------------------------------------------------
// Formatting into a raw buffer, no allocation.

inline char* Put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

inline char* PutInt(char* p, int64_t v) {
  auto r = std::to_chars(p, p + 24, v);
  return r.ptr;
}

inline char* PutIp(char* p, uint32_t ip) {
  for (int k = 3; k >= 0; --k) {
    p = PutInt(p, (ip >> (8 * k)) & 0xFF);
    if (k > 0) *p++ = '.';
  }
  return p;
}

// Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

inline char* Put2(char* p, unsigned v) {
  *p++ = static_cast<char>('0' + v / 10 % 10);
  *p++ = static_cast<char>('0' + v % 10);
  return p;
}

// "2026-01-11 14:42:50" (sep ' ') or "2026-01-11T14:42:50.123" (sep 'T'): no zone offset.
char* PutZonelessTime(char* p, int64_t ms, char sep) {
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t sod = secs - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  p = PutInt(p, y);
  *p++ = '-';
  p = Put2(p, m);
  *p++ = '-';
  p = Put2(p, d);
  *p++ = sep;
  p = Put2(p, static_cast<unsigned>(sod / 3600));
  *p++ = ':';
  p = Put2(p, static_cast<unsigned>(sod / 60 % 60));
  *p++ = ':';
  p = Put2(p, static_cast<unsigned>(sod % 60));
  if (sep == 'T') {
    *p++ = '.';
    unsigned frac = static_cast<unsigned>(FloorMod(ms, 1000));
    *p++ = static_cast<char>('0' + frac / 100);
    p = Put2(p, frac % 100);
  }
  return p;
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

size_t MaxMessageSize() {
  size_t m = 0;
  for (auto s : kPlainMessages) m = std::max(m, s.size());
  for (auto s : kCrashMessages) m = std::max(m, s.size());
  size_t mod = 0;
  for (auto s : kModules) mod = std::max(mod, s.size());
  return m + mod + 16;
}

// The fields of a well-formed record before it is written.
struct Fields {
  int64_t timestamp;
  size_t status;
  size_t severity;
  uint32_t ip;
  int64_t user;
  std::string_view message;
  std::string_view module;
  bool term;
};

}  // namespace

std::string_view MalformedKindName(MalformedKind kind) {
  switch (kind) {
    case MalformedKind::kNone:
      return "none";
    case MalformedKind::kNotJson:
      return "not-json";
    case MalformedKind::kNotObject:
      return "not-object";
    case MalformedKind::kMissingField:
      return "missing-field";
    case MalformedKind::kWrongType:
      return "wrong-type";
    case MalformedKind::kBadTimestamp:
      return "bad-timestamp";
  }
  return "unknown";
}

// ------------------------------------------------------------------------------------------
// RecordGenerator

RecordGenerator::RecordGenerator(const GeneratorOptions& options) : options_(options) {}

Result<RecordGenerator> RecordGenerator::Make(const GeneratorOptions& o) {
  if (o.partitions < 1) return Status::InvalidArgument("partitions must be at least 1");
  if (o.users < 1 || o.users > 1'000'000'000) {
    return Status::InvalidArgument("users must be between 1 and 1000000000");
  }
  if (!(o.zipf >= 0 && o.zipf <= 10)) return Status::InvalidArgument("zipf must be in [0, 10]");
  if (o.zipf > 0 && o.users > 10'000'000) {
    return Status::InvalidArgument("zipf needs users <= 10000000");
  }
  if (!(o.event_rate > 0 && o.event_rate <= 1e9)) {
    return Status::InvalidArgument("event rate must be in (0, 1e9] records per second");
  }
  if (o.disorder_ms < 0) return Status::InvalidArgument("disorder must not be negative");
  if (!(o.disorder_fraction >= 0 && o.disorder_fraction <= 1)) {
    return Status::InvalidArgument("disorder fraction must be in [0, 1]");
  }
  if (!(o.malformed_fraction >= 0 && o.malformed_fraction <= 1)) {
    return Status::InvalidArgument("malformed fraction must be in [0, 1]");
  }
  if (!(o.term_rate >= 0 && o.term_rate <= o.event_rate)) {
    return Status::InvalidArgument("term rate must be in [0, event rate]");
  }
  RecordGenerator g(o);
  g.seed_mix_ = Mix64(o.seed + kGamma) ^ 0x5350415445ULL;  // "SPATE"
  g.term_json_ = JsonEscape(o.term);
  std::string lower = o.term;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  g.term_has_crash_ = lower.find("crash") != std::string::npos;
  g.malformed_threshold_ = FractionThreshold(o.malformed_fraction);
  g.disorder_threshold_ = o.disorder_ms > 0 ? FractionThreshold(o.disorder_fraction) : 0;
  g.event_rate_milli_ = std::max<int64_t>(1, std::llround(o.event_rate * 1000));
  g.term_rate_milli_ = o.term.empty() ? 0 : std::llround(o.term_rate * 1000);
  g.max_value_size_ = 320 + MaxMessageSize() + g.term_json_.size();
  if (o.zipf > 0) {
    // Vose's alias method: O(1) sampling of user k with weight 1/(k+1)^s.
    size_t n = static_cast<size_t>(o.users);
    std::vector<double> p(n);
    double sum = 0;
    for (size_t k = 0; k < n; ++k) sum += p[k] = std::pow(static_cast<double>(k + 1), -o.zipf);
    for (auto& x : p) x = x * static_cast<double>(n) / sum;
    g.alias_threshold_.assign(n, uint64_t{1} << 32);
    g.alias_index_.resize(n);
    std::vector<uint32_t> small, large;
    for (size_t k = 0; k < n; ++k) (p[k] < 1 ? small : large).push_back(static_cast<uint32_t>(k));
    while (!small.empty() && !large.empty()) {
      uint32_t s = small.back(), l = large.back();
      small.pop_back();
      g.alias_threshold_[s] = static_cast<uint64_t>(std::ldexp(p[s], 32));
      g.alias_index_[s] = l;
      p[l] = (p[l] + p[s]) - 1;
      if (p[l] < 1) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (uint32_t k : small) g.alias_index_[k] = k;
    for (uint32_t k : large) g.alias_index_[k] = k;
  }
  g.buffer_.resize(g.max_value_size_);
  return g;
}

int64_t RecordGenerator::BaseTimestamp(uint64_t i) const {
  if (!options_.synthetic_time) return options_.start_ms;
  __int128 offset = static_cast<__int128>(i) * 1'000'000 / event_rate_milli_;
  return options_.start_ms + static_cast<int64_t>(offset);
}

void RecordGenerator::Generate(uint64_t i, GeneratedRecord* out) {
  WriteRecord(i, options_.start_ms, buffer_.data(), out);
}

size_t RecordGenerator::WriteRecord(uint64_t i, int64_t wall_ms, char* dst,
                                    GeneratedRecord* out) const {
  const GeneratorOptions& o = options_;
  const uint64_t base_state = seed_mix_ + i * (kDrawsPerRecord * kGamma);
  auto draw = [base_state](int k) { return Mix64(base_state + (k + 1) * kGamma); };

  Fields f;
  f.timestamp = o.synthetic_time ? BaseTimestamp(i) : wall_ms;

  // Records on a window's first or last millisecond are forced to be crash matches, so that
  // every run has matches exactly on window edges (synthetic time only: it must be known).
  bool forced = false;
  if (o.synthetic_time) {
    int64_t in_window = FloorMod(f.timestamp, kWindowMs);
    if (in_window == 0) {
      forced = i == 0 || BaseTimestamp(i - 1) != f.timestamp;
    } else if (in_window == kWindowMs - 1) {
      forced = BaseTimestamp(i + 1) != f.timestamp;
    }
  }

  const uint64_t d_malformed = draw(0);
  MalformedKind malformed = MalformedKind::kNone;
  if (!forced && Below(d_malformed, malformed_threshold_)) {
    malformed = static_cast<MalformedKind>(1 + (d_malformed & 0xFF) % 5);
  }

  // User.
  const uint64_t d_user = draw(1);
  uint64_t u;
  if (alias_threshold_.empty()) {
    u = ((d_user >> 32) * static_cast<uint64_t>(o.users)) >> 32;
  } else {
    uint64_t col = ((d_user >> 32) * alias_threshold_.size()) >> 32;
    u = (d_user & 0xFFFFFFFFULL) < alias_threshold_[col] ? col : alias_index_[col];
  }
  f.user = 1000 + static_cast<int64_t>(u);

  // Crash or not; hot users crash more often.
  const bool hot = Mix64(seed_mix_ ^ (0xC0FFEEULL + u * kGamma)) % 100 < kHotUserPercent;
  const uint64_t d_crash = draw(2);
  bool crash = d_crash % 10000 < (hot ? kHotCrashPerTenThousand : kCrashPerTenThousand);
  // Half of the malformed records look like crash matches, so that accepting them shows.
  if (malformed != MalformedKind::kNone) crash = (d_crash >> 32) & 1;
  const uint64_t d_sev = draw(3);
  if (forced) {
    crash = true;
    f.severity = 2 + (d_sev & 1);  // High or Critical
  } else if (malformed != MalformedKind::kNone && crash) {
    f.severity = 2 + (d_sev & 1);
  } else {
    f.severity = crash ? PickPct(d_sev, kCrashSeverityPct) : PickPct(d_sev, kPlainSeverityPct);
  }
  f.status = PickPct(draw(4), kStatusPct[f.severity]);
  const uint64_t d_msg = draw(5);
  f.message = crash ? kCrashMessages[(d_msg >> 8) % kCrashMessages.size()]
                    : kPlainMessages[(d_msg >> 8) % kPlainMessages.size()];
  f.module = kModules[(d_msg & 0xFF) % kModules.size()];

  // Source IP: mostly the user's own address, sometimes one from a shared office range.
  const uint64_t d_ip = draw(6);
  if (d_ip % 4 != 0) {
    uint64_t h = Mix64(seed_mix_ ^ (0x1F00DULL + u * kGamma));
    f.ip = (10u << 24) | static_cast<uint32_t>((h >> 8) % 4) << 16 |
           static_cast<uint32_t>((h >> 16) & 0xFF) << 8 | static_cast<uint32_t>(1 + h % 254);
  } else {
    f.ip = (192u << 24) | (168u << 16) | static_cast<uint32_t>((d_ip >> 8) % 16) << 8 |
           static_cast<uint32_t>(1 + (d_ip >> 16) % 254);
  }

  // Term: exactly term_rate records per event-second, evenly spaced.
  f.term = false;
  if (term_rate_milli_ > 0) {
    __int128 a = static_cast<__int128>(i) * term_rate_milli_ / event_rate_milli_;
    __int128 b = static_cast<__int128>(i + 1) * term_rate_milli_ / event_rate_milli_;
    f.term = b > a;
  }

  // Disorder: moved back by 1..disorder_ms.
  bool out_of_order = false;
  if (!forced && malformed == MalformedKind::kNone && disorder_threshold_ > 0) {
    const uint64_t d_dis = draw(7);
    if (Below(d_dis, disorder_threshold_)) {
      f.timestamp -= 1 + static_cast<int64_t>(Mix64(d_dis) % static_cast<uint64_t>(o.disorder_ms));
      out_of_order = true;
    }
  }

  // Write.
  char* p = dst;
  const uint64_t d_variant = draw(8);
  auto put_timestamp = [&](char* q) {
    q = Put(q, "\"timestamp\": ");
    return PutInt(q, f.timestamp);
  };
  auto put_status = [&](char* q) {
    q = Put(q, "\"status\": \"");
    q = Put(q, kStatuses[f.status]);
    return Put(q, "\"");
  };
  auto put_severity = [&](char* q) {
    q = Put(q, "\"severity\": \"");
    q = Put(q, kSeverities[f.severity]);
    return Put(q, "\"");
  };
  auto put_ip = [&](char* q) {
    q = Put(q, "\"source_ip\": \"");
    q = PutIp(q, f.ip);
    return Put(q, "\"");
  };
  auto put_user = [&](char* q) {
    q = Put(q, "\"user_id\": \"user_");
    q = PutInt(q, f.user);
    return Put(q, "\"");
  };
  auto put_content_text = [&](char* q) {
    q = Put(q, f.message);
    q = Put(q, " in module ");
    q = Put(q, f.module);
    if (f.term) {
      q = Put(q, " - ");
      q = Put(q, term_json_);
    }
    return q;
  };
  auto put_content = [&](char* q) {
    q = Put(q, "\"content\": \"");
    q = put_content_text(q);
    return Put(q, "\"");
  };
  // The record with field `skip` (0 timestamp, 2 severity, 5 content) left out, or all fields.
  auto put_object = [&](char* q, int skip) {
    *q++ = '{';
    bool first = true;
    auto sep = [&](char* r) {
      if (!first) r = Put(r, ", ");
      first = false;
      return r;
    };
    if (skip != 0) q = put_timestamp(sep(q));
    q = put_status(sep(q));
    if (skip != 2) q = put_severity(sep(q));
    q = put_ip(sep(q));
    q = put_user(sep(q));
    if (skip != 5) q = put_content(sep(q));
    *q++ = '}';
    return q;
  };
  // The rest of a record after a custom timestamp or severity field.
  auto put_after_timestamp = [&](char* q) {
    q = Put(q, ", ");
    q = put_status(q);
    q = Put(q, ", ");
    q = put_severity(q);
    q = Put(q, ", ");
    q = put_ip(q);
    q = Put(q, ", ");
    q = put_user(q);
    q = Put(q, ", ");
    q = put_content(q);
    *q++ = '}';
    return q;
  };

  switch (malformed) {
    case MalformedKind::kNone:
      p = put_object(p, -1);
      break;
    case MalformedKind::kNotJson:
      switch (d_variant % 3) {
        case 0:  // plain text log line
          p = PutInt(p, f.timestamp);
          p = Put(p, " ");
          p = Put(p, kSeverities[f.severity]);
          p = Put(p, " user_");
          p = PutInt(p, f.user);
          p = Put(p, " ");
          p = put_content_text(p);
          break;
        case 1: {  // truncated JSON: an unclosed object is never valid
          char* end = put_object(p, -1);
          p = p + (end - p) / 2;
          break;
        }
        default:  // unquoted keys
          p = Put(p, "{timestamp: ");
          p = PutInt(p, f.timestamp);
          p = Put(p, ", severity: ");
          p = Put(p, kSeverities[f.severity]);
          p = Put(p, ", user_id: user_");
          p = PutInt(p, f.user);
          p = Put(p, ", content: ");
          p = put_content_text(p);
          p = Put(p, "}");
          break;
      }
      break;
    case MalformedKind::kNotObject:
      switch (d_variant % 4) {
        case 0:
          p = Put(p, "[\"user_");
          p = PutInt(p, f.user);
          p = Put(p, "\", \"");
          p = Put(p, kSeverities[f.severity]);
          p = Put(p, "\", \"");
          p = put_content_text(p);
          p = Put(p, "\"]");
          break;
        case 1:
          p = Put(p, "\"");
          p = put_content_text(p);
          p = Put(p, "\"");
          break;
        case 2:
          p = PutInt(p, f.timestamp);
          break;
        default:
          p = Put(p, "null");
          break;
      }
      break;
    case MalformedKind::kMissingField: {
      static constexpr int kSkippable[3] = {0, 2, 5};
      p = put_object(p, kSkippable[d_variant % 3]);
      break;
    }
    case MalformedKind::kWrongType:
      switch (d_variant % 4) {
        case 0:
          p = Put(p, "{\"timestamp\": true");
          p = put_after_timestamp(p);
          break;
        case 1:
          p = Put(p, "{");
          p = put_timestamp(p);
          p = Put(p, ", ");
          p = put_status(p);
          p = Put(p, ", \"severity\": 3, ");
          p = put_ip(p);
          p = Put(p, ", ");
          p = put_user(p);
          p = Put(p, ", ");
          p = put_content(p);
          p = Put(p, "}");
          break;
        case 2:
          p = Put(p, "{");
          p = put_timestamp(p);
          p = Put(p, ", ");
          p = put_status(p);
          p = Put(p, ", ");
          p = put_severity(p);
          p = Put(p, ", ");
          p = put_ip(p);
          p = Put(p, ", ");
          p = put_user(p);
          p = Put(p, ", \"content\": null}");
          break;
        default:
          p = Put(p, "{\"timestamp\": {\"ms\": ");
          p = PutInt(p, f.timestamp);
          p = Put(p, "}");
          p = put_after_timestamp(p);
          break;
      }
      break;
    case MalformedKind::kBadTimestamp:
      p = Put(p, "{\"timestamp\": ");
      switch (d_variant % 5) {
        case 0:  // zone-less date-time
          *p++ = '"';
          p = PutZonelessTime(p, f.timestamp, ' ');
          *p++ = '"';
          break;
        case 1:  // zone-less ISO-8601 with fraction
          *p++ = '"';
          p = PutZonelessTime(p, f.timestamp, 'T');
          *p++ = '"';
          break;
        case 2:
          p = Put(p, "\"yesterday\"");
          break;
        case 3:  // not an integer
          p = PutInt(p, f.timestamp);
          p = Put(p, ".5");
          break;
        default:  // beyond the signed 64-bit range
          p = Put(p, "99999999999999999999");
          break;
      }
      p = put_after_timestamp(p);
      break;
  }

  out->index = i;
  out->partition = PartitionOf(i);
  out->timestamp_ms = f.timestamp;
  out->user = f.user;
  out->malformed = malformed;
  out->out_of_order = out_of_order;
  out->crash_match = malformed == MalformedKind::kNone && f.severity >= 2 &&
                     (crash || (f.term && term_has_crash_));
  out->has_term = f.term;
  out->value = std::string_view(dst, static_cast<size_t>(p - dst));
  return out->value.size();
}

// ------------------------------------------------------------------------------------------
// Command line.

namespace {

Result<double> ParseNumber(std::string_view what, std::string_view text) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
    return Status::InvalidArgument(std::string(what) + ": not a number: '" + std::string(text) +
                                   "'");
  }
  return v;
}

Result<int64_t> ParseInt(std::string_view what, std::string_view text) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return Status::InvalidArgument(std::string(what) + ": not an integer: '" + std::string(text) +
                                   "'");
  }
  return v;
}

Result<int64_t> ParseNonNegativeInt(std::string_view what, std::string_view text) {
  SPATE_ASSIGN_OR_RETURN(int64_t v, ParseInt(what, text));
  if (v < 0) {
    return Status::InvalidArgument(std::string(what) +
                                   " must not be negative: " + std::string(text));
  }
  return v;
}

Result<double> ParseRate(std::string_view what, std::string_view text) {
  SPATE_ASSIGN_OR_RETURN(double v, ParseNumber(what, text));
  if (v < 0) {
    return Status::InvalidArgument(std::string(what) +
                                   " must not be negative: " + std::string(text));
  }
  return v;
}

Result<double> ParseFraction(std::string_view what, std::string_view text) {
  SPATE_ASSIGN_OR_RETURN(double v, ParseNumber(what, text));
  if (v < 0 || v > 1) {
    return Status::InvalidArgument(std::string(what) + " must be in [0, 1]: " + std::string(text));
  }
  return v;
}

Result<int64_t> ParseDuration(std::string_view what, std::string_view text) {
  auto r = ParseDurationMs(text);
  if (!r.ok()) return Status::InvalidArgument(std::string(what) + ": " + r.status().message());
  return *r;
}

}  // namespace

std::string LoadgenUsage() {
  return R"(Usage: spate-loadgen [options]

Produces JSON log records to a Kafka topic, paced or as fast as possible:
  {"timestamp": 1768142570123, "status": "ERROR", "severity": "High", "source_ip": "10.1.2.3",
   "user_id": "user_1836", "content": "Application crash detected in module auth"}
Flags win over the environment variables named in brackets.

Target:
  --bootstrap HOST:PORT    Kafka bootstrap servers [KAFKA_BROKER] (default 127.0.0.1:19092)
  --topic NAME             topic to produce to; it must exist [KAFKA_TOPIC] (default logs)
  --stdout                 write the values to stdout, one a line, instead of to Kafka
  --partitions N           partitions to assume with --stdout (default 1)

Rate and length:
  --rate R                 records per second of this instance, 0 = as fast as possible
                           [TARGET_RPS] (default 10000)
  --count N                stop after N records
  --duration D             stop after D (e.g. 30s, 5m). Without --count or --duration it runs
                           until SIGINT/SIGTERM, then flushes and prints the summary.
  --threads N              producer threads; each owns every N-th partition (default 1)

Data (the same options with --seed and --start-ms give byte-identical values in the same
partitions, in the same order; record i goes to partition i % partitions):
  --seed S                 seed of every random choice (default: random, printed at start)
  --start-ms T             synthetic event time: record i has timestamp T + i*1000/event-rate
                           ms. Without it, timestamps are the wall clock at production.
  --event-rate R           records per event-second (default: --rate if > 0, else 10000)
  --users N                user ids user_1000 .. user_(999+N) (default 1000)
  --zipf S                 Zipf exponent of user popularity, 0 = uniform (default 0)
  --term WORD              put WORD into the content of some records [ADDITIONAL_TERM]
  --term-rate R            records per second that carry the term [ADDITIONAL_TERM_RATE]
  --disorder-ms D          move some timestamps back by 1..D ms (default 0 = in order)
  --disorder-fraction F    share of records moved back, in [0, 1] (default 0.05)
  --malformed-fraction F   share of malformed records (not JSON, not an object, missing
                           field, wrong type, bad timestamp), in [0, 1] (default 0)

Producer:
  --linger-ms MS           librdkafka linger.ms (default 10)
  --batch-size BYTES       librdkafka batch.size (default 1000000)
  --compression C          none, lz4, snappy, zstd or gzip (default none)
  --message-timeout D      a record not acknowledged within D fails the run (default 30s)
  --connect-timeout D      time allowed to reach the broker at start (default 10s)
  -X KEY=VALUE             any librdkafka property (repeatable, applied last)
  --conf spate.kafka.KEY=VALUE  the same, spelled as spate-submit takes it

Output:
  --progress-interval D    period of the progress line on stderr, 0 = none (default 1s)
  --quiet                  no progress lines
  --verbose                show librdkafka's own log lines
  -h, --help               this text

Exit status: 0 when every record was acknowledged, 1 on delivery failures or when the
broker or topic is not there, 2 on bad arguments.
)";
}

Result<LoadgenOptions> ParseLoadgenArgs(const std::vector<std::string>& args,
                                        const EnvLookup& env) {
  LoadgenOptions o;
  auto from_env = [&](const char* name) -> const char* {
    const char* v = env ? env(name) : nullptr;
    return v != nullptr && *v != '\0' ? v : nullptr;
  };
  if (const char* v = from_env("KAFKA_BROKER")) o.bootstrap = v;
  if (const char* v = from_env("KAFKA_TOPIC")) o.topic = v;
  if (const char* v = from_env("TARGET_RPS")) {
    SPATE_ASSIGN_OR_RETURN(o.rate, ParseRate("TARGET_RPS", v));
  }
  if (const char* v = from_env("ADDITIONAL_TERM")) o.generator.term = v;
  if (const char* v = from_env("ADDITIONAL_TERM_RATE")) {
    SPATE_ASSIGN_OR_RETURN(o.generator.term_rate, ParseRate("ADDITIONAL_TERM_RATE", v));
  }

  bool partitions_given = false;
  for (size_t k = 0; k < args.size(); ++k) {
    std::string flag = args[k];
    std::string inline_value;
    bool has_inline = false;
    if (flag.rfind("--", 0) == 0) {
      size_t eq = flag.find('=');
      if (eq != std::string::npos) {
        inline_value = flag.substr(eq + 1);
        flag = flag.substr(0, eq);
        has_inline = true;
      }
    }
    auto value = [&]() -> Result<std::string> {
      if (has_inline) return inline_value;
      if (k + 1 >= args.size()) return Status::InvalidArgument(flag + " needs a value");
      return args[++k];
    };
    auto no_value = [&]() -> Status {
      if (has_inline) return Status::InvalidArgument(flag + " takes no value");
      return Status::OK();
    };
    GeneratorOptions& g = o.generator;
    if (flag == "-h" || flag == "--help") {
      o.help = true;
      return o;
    } else if (flag == "--bootstrap") {
      SPATE_ASSIGN_OR_RETURN(o.bootstrap, value());
      if (o.bootstrap.empty()) return Status::InvalidArgument("--bootstrap must not be empty");
    } else if (flag == "--topic") {
      SPATE_ASSIGN_OR_RETURN(o.topic, value());
      if (o.topic.empty()) return Status::InvalidArgument("--topic must not be empty");
    } else if (flag == "--stdout") {
      SPATE_RETURN_IF_ERROR(no_value());
      o.to_stdout = true;
    } else if (flag == "--partitions") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(int64_t n, ParseInt(flag, v));
      if (n < 1 || n > 100000)
        return Status::InvalidArgument("--partitions must be in [1, 100000]");
      g.partitions = static_cast<int32_t>(n);
      partitions_given = true;
    } else if (flag == "--rate") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(o.rate, ParseRate(flag, v));
    } else if (flag == "--count") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(int64_t n, ParseInt(flag, v));
      if (n < 1) return Status::InvalidArgument("--count must be at least 1: " + v);
      o.count = static_cast<uint64_t>(n);
    } else if (flag == "--duration") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(o.duration_ms, ParseDuration(flag, v));
      if (o.duration_ms <= 0) return Status::InvalidArgument("--duration must be positive");
    } else if (flag == "--threads") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(int64_t n, ParseInt(flag, v));
      if (n < 1 || n > 64) return Status::InvalidArgument("--threads must be in [1, 64]: " + v);
      o.threads = static_cast<int>(n);
    } else if (flag == "--seed") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      uint64_t s = 0;
      auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
      if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) {
        return Status::InvalidArgument("--seed: not an unsigned integer: '" + v + "'");
      }
      g.seed = s;
      o.seed_given = true;
    } else if (flag == "--start-ms") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(g.start_ms, ParseInt(flag, v));
      g.synthetic_time = true;
    } else if (flag == "--event-rate") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(g.event_rate, ParseRate(flag, v));
      if (g.event_rate <= 0 || g.event_rate > 1e9) {
        return Status::InvalidArgument("--event-rate must be in (0, 1e9]: " + v);
      }
      o.event_rate_given = true;
    } else if (flag == "--users") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(g.users, ParseInt(flag, v));
      if (g.users < 1 || g.users > 1'000'000'000) {
        return Status::InvalidArgument("--users must be in [1, 1000000000]: " + v);
      }
    } else if (flag == "--zipf") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(g.zipf, ParseRate(flag, v));
      if (g.zipf > 10) return Status::InvalidArgument("--zipf must be in [0, 10]: " + v);
    } else if (flag == "--term") {
      SPATE_ASSIGN_OR_RETURN(g.term, value());
    } else if (flag == "--term-rate") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(g.term_rate, ParseRate(flag, v));
    } else if (flag == "--disorder-ms") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(g.disorder_ms, ParseNonNegativeInt(flag, v));
    } else if (flag == "--disorder-fraction") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(g.disorder_fraction, ParseFraction(flag, v));
    } else if (flag == "--malformed-fraction") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(g.malformed_fraction, ParseFraction(flag, v));
    } else if (flag == "--linger-ms") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(int64_t n, ParseNonNegativeInt(flag, v));
      if (n > 900000) return Status::InvalidArgument("--linger-ms must be at most 900000");
      o.linger_ms = static_cast<int>(n);
    } else if (flag == "--batch-size") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      auto b = ParseBytes(v);
      if (!b.ok()) return Status::InvalidArgument("--batch-size: " + b.status().message());
      if (*b < 1 || *b > std::numeric_limits<int32_t>::max()) {
        return Status::InvalidArgument("--batch-size must be in [1, 2G): " + v);
      }
      o.batch_bytes = *b;
    } else if (flag == "--compression") {
      SPATE_ASSIGN_OR_RETURN(o.compression, value());
      static const std::array<std::string_view, 5> kCodecs = {"none", "lz4", "snappy", "zstd",
                                                              "gzip"};
      if (std::find(kCodecs.begin(), kCodecs.end(), o.compression) == kCodecs.end()) {
        return Status::InvalidArgument("--compression must be none, lz4, snappy, zstd or gzip: " +
                                       o.compression);
      }
    } else if (flag == "--message-timeout") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(o.message_timeout_ms, ParseDuration(flag, v));
      if (o.message_timeout_ms <= 0) {
        return Status::InvalidArgument("--message-timeout must be positive");
      }
    } else if (flag == "--connect-timeout") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(o.connect_timeout_ms, ParseDuration(flag, v));
      if (o.connect_timeout_ms <= 0) {
        return Status::InvalidArgument("--connect-timeout must be positive");
      }
    } else if (flag == "-X") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0) {
        return Status::InvalidArgument("-X needs KEY=VALUE: '" + v + "'");
      }
      o.kafka_config.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (flag == "--conf") {
      // The same spelling as spate-submit's: --conf spate.kafka.security.protocol=SASL_SSL.
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(auto props, ParseKafkaConfFlags({v}));
      o.kafka_config.insert(o.kafka_config.end(), props.begin(), props.end());
    } else if (flag == "--progress-interval") {
      SPATE_ASSIGN_OR_RETURN(auto v, value());
      SPATE_ASSIGN_OR_RETURN(o.progress_interval_ms, ParseDuration(flag, v));
    } else if (flag == "--quiet") {
      SPATE_RETURN_IF_ERROR(no_value());
      o.progress_interval_ms = 0;
    } else if (flag == "--verbose") {
      SPATE_RETURN_IF_ERROR(no_value());
      o.verbose = true;
    } else {
      return Status::InvalidArgument("unknown option '" + args[k] + "'");
    }
  }

  GeneratorOptions& g = o.generator;
  if (partitions_given && !o.to_stdout) {
    return Status::InvalidArgument(
        "--partitions is only for --stdout (with Kafka, the topic's partition count is used)");
  }
  if (!o.event_rate_given) g.event_rate = o.rate > 0 ? o.rate : 10000.0;
  if (g.term_rate > 0 && g.term.empty()) {
    return Status::InvalidArgument(
        "--term-rate (ADDITIONAL_TERM_RATE) needs --term (ADDITIONAL_TERM)");
  }
  if (g.term_rate > g.event_rate) {
    return Status::InvalidArgument("--term-rate must not exceed the event rate (" +
                                   std::to_string(g.event_rate) + " records per second)");
  }
  if (g.zipf > 0 && g.users > 10'000'000) {
    return Status::InvalidArgument("--zipf needs --users <= 10000000");
  }
  if (!o.seed_given) {
    std::random_device rd;
    g.seed = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
             static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  return o;
}

// ------------------------------------------------------------------------------------------
// Producing.

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kBlockBytes = 1 << 20;
constexpr size_t kChunk = 2048;
// Records one thread keeps in librdkafka's queue at most: bounds memory and means the
// queue never reports "full", which keeps every partition's sequence in order.
constexpr uint64_t kMaxInFlight = 200'000;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// State the producer threads share with the reporting thread.
struct Shared {
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> acked{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> abort{false};
  std::mutex mu;
  Status first_error;

  void Fail(Status st) {
    std::lock_guard<std::mutex> lock(mu);
    if (first_error.ok()) first_error = std::move(st);
    abort.store(true);
  }
};

void QuietLog(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  spdlog::debug("librdkafka {} {}: {}", level, fac, buf);
}

void LoudLog(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  spdlog::info("librdkafka {} {}: {}", level, fac, buf);
}

// Makes a producer handle. `opaque` and the callbacks are set for real producers only.
Result<rd_kafka_t*> MakeProducer(const LoadgenOptions& o, bool for_metadata, void* opaque,
                                 void (*dr)(rd_kafka_t*, const rd_kafka_message_t*, void*),
                                 void (*error)(rd_kafka_t*, int, const char*, void*)) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  auto set = [&](const std::string& key, const std::string& value) -> Status {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      return Status::InvalidArgument("librdkafka property " + key + "=" +
                                     RedactedValue(key, value) + ": " + err);
    }
    return Status::OK();
  };
  std::vector<std::pair<std::string, std::string>> props = {
      {"bootstrap.servers", o.bootstrap},
      {"client.id", "spate-loadgen"},
      {"allow.auto.create.topics", "false"},
      // An idle connection closed by the broker is normal, not worth a log line.
      {"log.connection.close", "false"},
      {"socket.connection.setup.timeout.ms", std::to_string(o.connect_timeout_ms)},
  };
  if (!for_metadata) {
    props.insert(props.end(),
                 {
                     {"enable.idempotence", "true"},
                     {"linger.ms", std::to_string(o.linger_ms)},
                     {"batch.size", std::to_string(o.batch_bytes)},
                     {"compression.type", o.compression},
                     {"message.timeout.ms", std::to_string(o.message_timeout_ms)},
                     {"queue.buffering.max.messages", std::to_string(2 * kMaxInFlight)},
                     {"queue.buffering.max.kbytes", "2097151"},
                 });
  }
  props.insert(props.end(), o.kafka_config.begin(), o.kafka_config.end());
  for (const auto& [k, v] : props) {
    Status st = set(k, v);
    if (!st.ok()) {
      rd_kafka_conf_destroy(conf);
      return st;
    }
  }
  rd_kafka_conf_set_log_cb(conf, o.verbose ? LoudLog : QuietLog);
  if (!for_metadata) {
    rd_kafka_conf_set_opaque(conf, opaque);
    rd_kafka_conf_set_dr_msg_cb(conf, dr);
    rd_kafka_conf_set_error_cb(conf, error);
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(std::string("cannot create a Kafka producer: ") + err);
  }
  return rk;
}

// Asks the broker for the topic's partition count; tells a missing topic from a broker that
// cannot be reached.
Result<int32_t> TopicPartitions(const LoadgenOptions& o) {
  SPATE_ASSIGN_OR_RETURN(rd_kafka_t * rk, MakeProducer(o, true, nullptr, nullptr, nullptr));
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, o.topic.c_str(), nullptr);
  const auto deadline = Clock::now() + std::chrono::milliseconds(o.connect_timeout_ms);
  Status result = Status::Unavailable("cannot reach Kafka at " + o.bootstrap);
  int32_t partitions = 0;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err =
        rd_kafka_metadata(rk, 0, rkt, &md, static_cast<int>(std::max<int64_t>(left.count(), 1)));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      result = Status::Unavailable("cannot reach Kafka at " + o.bootstrap + " within " +
                                   FormatDurationMs(o.connect_timeout_ms) + " (" +
                                   rd_kafka_err2str(err) + ")");
      if (err != RD_KAFKA_RESP_ERR__TRANSPORT && err != RD_KAFKA_RESP_ERR__TIMED_OUT) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    rd_kafka_resp_err_t terr =
        md->topic_cnt > 0 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    partitions = md->topic_cnt > 0 ? md->topics[0].partition_cnt : 0;
    rd_kafka_metadata_destroy(md);
    if (terr == RD_KAFKA_RESP_ERR_NO_ERROR && partitions > 0) {
      result = Status::OK();
      break;
    }
    if (terr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        terr == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
      result = Status::NotFound("topic " + o.topic + " does not exist on " + o.bootstrap +
                                " (create it: spate-topics --bootstrap " + o.bootstrap +
                                " create " + o.topic + " --partitions N)");
      break;
    }
    result = Status::Unavailable("topic " + o.topic + " on " + o.bootstrap +
                                 " is not available: " + rd_kafka_err2str(terr));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  if (!result.ok()) return result;
  return partitions;
}

// A buffer that holds the values of many records until librdkafka has delivered all of them:
// values are produced without a copy.
struct Block {
  std::unique_ptr<char[]> data{new char[kBlockBytes]};
  size_t used = 0;
  int64_t refs = 0;  // records in this block not yet reported delivered or failed
  bool sealed = false;
};

// One producer thread: its own librdkafka handle and the partitions p with p % threads == t,
// produced in index order, so each partition's sequence is fixed by the options.
class ProducerWorker {
 public:
  ProducerWorker(const LoadgenOptions& options, const RecordGenerator& generator,
                 std::vector<int32_t> partitions, Shared* shared)
      : options_(options), generator_(generator), owned_(std::move(partitions)), shared_(shared) {}

  ~ProducerWorker() {
    if (rkt_ != nullptr) rd_kafka_topic_destroy(rkt_);
    if (rk_ != nullptr) rd_kafka_destroy(rk_);
  }

  Status Init() {
    SPATE_ASSIGN_OR_RETURN(rk_, MakeProducer(options_, false, this, OnDelivery, OnError));
    rkt_ = rd_kafka_topic_new(rk_, options_.topic.c_str(), nullptr);
    if (rkt_ == nullptr) {
      return Status::Internal("cannot create topic handle " + options_.topic + ": " +
                              rd_kafka_err2str(rd_kafka_last_error()));
    }
    return Status::OK();
  }

  void Run(const std::atomic<bool>* stop, Clock::time_point start, Clock::time_point deadline) {
    const uint64_t parts = static_cast<uint64_t>(generator_.options().partitions);
    const uint64_t count = options_.count;
    const double rate = options_.rate;
    const size_t max_value = generator_.max_value_size();
    std::vector<std::vector<rd_kafka_message_t>> pending(owned_.size());
    for (auto& v : pending) v.reserve(kChunk);
    uint64_t round = 0;
    size_t slot = 0;  // next record: round * parts + owned_[slot]
    auto next_index = [&] { return round * parts + static_cast<uint64_t>(owned_[slot]); };

    while (!stop->load(std::memory_order_relaxed) && !shared_->abort.load()) {
      const Clock::time_point now = Clock::now();
      if (now >= deadline) break;
      uint64_t i = next_index();
      if (count > 0 && i >= count) break;
      uint64_t limit = count > 0 ? count : std::numeric_limits<uint64_t>::max();
      if (rate > 0) {
        // Record i is due at start + i / rate.
        double elapsed = std::chrono::duration<double>(now - start).count();
        uint64_t due = static_cast<uint64_t>(elapsed * rate) + 1;
        if (i >= due) {
          rd_kafka_poll(rk_, 0);
          auto at = start + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(static_cast<double>(i) / rate));
          std::this_thread::sleep_until(
              std::min({at, now + std::chrono::milliseconds(20), deadline}));
          continue;
        }
        limit = std::min(limit, due);
      }
      while (in_flight_ >= kMaxInFlight && !shared_->abort.load()) rd_kafka_poll(rk_, 5);

      const int64_t wall_ms = WallMs();
      size_t made = 0;
      while (made < kChunk && (i = next_index()) < limit) {
        Block* b = BlockFor(max_value);
        rd_kafka_message_t m{};
        GeneratedRecord rec;
        m.payload = b->data.get() + b->used;
        m.len = generator_.WriteRecord(i, wall_ms, b->data.get() + b->used, &rec);
        m._private = b;
        b->used += m.len;
        ++b->refs;
        pending[slot].push_back(m);
        ++made;
        if (++slot == owned_.size()) {
          slot = 0;
          ++round;
        }
      }
      for (size_t k = 0; k < owned_.size(); ++k) {
        if (!pending[k].empty()) ProduceBatch(owned_[k], &pending[k]);
        pending[k].clear();
      }
      rd_kafka_poll(rk_, 0);
    }
    Flush();
  }

 private:
  Block* BlockFor(size_t need) {
    if (current_ != nullptr && current_->used + need <= kBlockBytes) return current_;
    if (current_ != nullptr) {
      current_->sealed = true;
      if (current_->refs == 0) free_.push_back(current_);
    }
    if (free_.empty()) {
      blocks_.push_back(std::make_unique<Block>());
      current_ = blocks_.back().get();
    } else {
      current_ = free_.back();
      free_.pop_back();
    }
    current_->used = 0;
    current_->sealed = false;
    return current_;
  }

  void Release(Block* b) {
    if (--b->refs == 0 && b->sealed) free_.push_back(b);
  }

  void ProduceBatch(int32_t partition, std::vector<rd_kafka_message_t>* msgs) {
    size_t off = 0;
    while (off < msgs->size()) {
      const int n = static_cast<int>(msgs->size() - off);
      const int ok = rd_kafka_produce_batch(rkt_, partition, 0, msgs->data() + off, n);
      in_flight_ += static_cast<uint64_t>(ok);
      shared_->sent.fetch_add(static_cast<uint64_t>(ok), std::memory_order_relaxed);
      if (ok == n) return;
      // Enqueued records come first: a queue that fills stays full for the rest of the call.
      size_t first_failed = off;
      while (first_failed < msgs->size() && (*msgs)[first_failed].err == 0) ++first_failed;
      bool only_full = true;
      for (size_t k = first_failed; k < msgs->size(); ++k) {
        if ((*msgs)[k].err != RD_KAFKA_RESP_ERR__QUEUE_FULL) only_full = false;
      }
      if (only_full && first_failed == off + static_cast<size_t>(ok) && !shared_->abort.load()) {
        for (size_t k = first_failed; k < msgs->size(); ++k) (*msgs)[k].err = {};
        rd_kafka_poll(rk_, 10);
        off = first_failed;
        continue;
      }
      rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
      uint64_t failed = 0;
      for (size_t k = off; k < msgs->size(); ++k) {
        if ((*msgs)[k].err == 0) continue;
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = (*msgs)[k].err;
        Release(static_cast<Block*>((*msgs)[k]._private));
        ++failed;
      }
      shared_->failed.fetch_add(failed);
      shared_->Fail(DeliveryError(err, partition));
      return;
    }
  }

  Status DeliveryError(rd_kafka_resp_err_t err, int32_t partition) const {
    const std::string where = "topic " + options_.topic + " on " + options_.bootstrap;
    switch (err) {
      case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
        return Status::NotFound("topic " + options_.topic + " does not exist on " +
                                options_.bootstrap);
      case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        return Status::NotFound("partition " + std::to_string(partition) + " of " + where +
                                " does not exist");
      case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
        return Status::DeadlineExceeded("records to " + where + " were not acknowledged within " +
                                        FormatDurationMs(options_.message_timeout_ms) +
                                        " (is the broker down?)");
      default:
        return Status::IOError("delivery to " + where + " failed: " + rd_kafka_err2str(err));
    }
  }

  void Flush() {
    if (shared_->abort.load()) rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE);
    const auto deadline =
        Clock::now() + std::chrono::milliseconds(options_.message_timeout_ms + 5000);
    while (in_flight_ > 0 && Clock::now() < deadline) rd_kafka_flush(rk_, 100);
    if (in_flight_ > 0) {
      shared_->Fail(Status::DeadlineExceeded("records to topic " + options_.topic + " on " +
                                             options_.bootstrap + " still unacknowledged after " +
                                             FormatDurationMs(options_.message_timeout_ms)));
      rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_flush(rk_, 1000);
    }
  }

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<ProducerWorker*>(opaque);
    --self->in_flight_;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      self->shared_->acked.fetch_add(1, std::memory_order_relaxed);
      self->shared_->bytes.fetch_add(m->len, std::memory_order_relaxed);
    } else {
      self->shared_->failed.fetch_add(1, std::memory_order_relaxed);
      // Purged records are a consequence of an earlier failure, not its cause.
      if (m->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE && m->err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
        self->shared_->Fail(self->DeliveryError(m->err, m->partition));
      }
    }
    self->Release(static_cast<Block*>(m->_private));
  }

  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
    auto* self = static_cast<ProducerWorker*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      char buf[512];
      rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk, buf, sizeof(buf));
      self->shared_->Fail(Status::Internal("fatal producer error (" +
                                           std::string(rd_kafka_err2name(fatal)) + "): " + buf));
    } else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
      if (!self->warned_down_) {
        spdlog::warn("all brokers at {} are down; retrying for up to {}", self->options_.bootstrap,
                     FormatDurationMs(self->options_.message_timeout_ms));
        self->warned_down_ = true;
      }
    } else {
      spdlog::debug("librdkafka: {}", reason);
    }
  }

  const LoadgenOptions& options_;
  const RecordGenerator& generator_;
  std::vector<int32_t> owned_;
  Shared* shared_;
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_topic_t* rkt_ = nullptr;
  uint64_t in_flight_ = 0;  // touched by this thread only (callbacks run inside poll)
  bool warned_down_ = false;
  std::vector<std::unique_ptr<Block>> blocks_;
  std::vector<Block*> free_;
  Block* current_ = nullptr;
};

std::string Human(double v) {
  char buf[32];
  if (v >= 1e6) {
    std::snprintf(buf, sizeof(buf), "%.2fM", v / 1e6);
  } else if (v >= 1e4) {
    std::snprintf(buf, sizeof(buf), "%.1fk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  }
  return buf;
}

void LogSummary(const LoadgenSummary& s) {
  double secs = std::max(s.seconds, 1e-9);
  spdlog::info(
      "summary: sent={} acked={} failed={} seconds={:.3f} records_per_s={:.0f} mb_per_s={:.2f} "
      "value_bytes={} partitions={} seed={}",
      s.sent, s.acknowledged, s.failed, s.seconds, static_cast<double>(s.acknowledged) / secs,
      static_cast<double>(s.bytes) / secs / 1e6, s.bytes, s.partitions, s.seed);
}

// --stdout: one thread, values one a line, the same pacing.
Status RunToStdout(const LoadgenOptions& o, const RecordGenerator& gen,
                   const std::atomic<bool>* stop, LoadgenSummary* summary) {
  const auto start = Clock::now();
  const auto deadline = o.duration_ms > 0 ? start + std::chrono::milliseconds(o.duration_ms)
                                          : Clock::time_point::max();
  std::vector<char> buf(std::max<size_t>(kBlockBytes, 4 * gen.max_value_size()));
  size_t used = 0;
  uint64_t i = 0;
  Status st;
  auto flush = [&] {
    if (used > 0 && std::fwrite(buf.data(), 1, used, stdout) != used) {
      st = Status::IOError("cannot write to stdout");
    }
    used = 0;
    std::fflush(stdout);
  };
  while (st.ok() && !stop->load() && (o.count == 0 || i < o.count)) {
    const auto now = Clock::now();
    if (now >= deadline) break;
    uint64_t limit = o.count > 0 ? o.count : std::numeric_limits<uint64_t>::max();
    if (o.rate > 0) {
      uint64_t due =
          static_cast<uint64_t>(std::chrono::duration<double>(now - start).count() * o.rate) + 1;
      if (i >= due) {
        flush();
        auto at = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(static_cast<double>(i) / o.rate));
        std::this_thread::sleep_until(
            std::min({at, now + std::chrono::milliseconds(20), deadline}));
        continue;
      }
      limit = std::min(limit, due);
    }
    const int64_t wall_ms = WallMs();
    for (size_t made = 0; made < kChunk && i < limit; ++made, ++i) {
      if (used + gen.max_value_size() + 1 > buf.size()) flush();
      GeneratedRecord rec;
      used += gen.WriteRecord(i, wall_ms, buf.data() + used, &rec);
      buf[used++] = '\n';
      summary->bytes += rec.value.size();
    }
    summary->sent = summary->acknowledged = i;
  }
  flush();
  summary->sent = summary->acknowledged = i;
  summary->seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return st;
}

}  // namespace

Status RunLoadgen(const LoadgenOptions& options, const std::atomic<bool>* stop,
                  LoadgenSummary* summary) {
  *summary = LoadgenSummary{};
  GeneratorOptions gopts = options.generator;
  summary->seed = gopts.seed;
  if (!options.to_stdout) {
    SPATE_ASSIGN_OR_RETURN(gopts.partitions, TopicPartitions(options));
  }
  summary->partitions = gopts.partitions;
  SPATE_ASSIGN_OR_RETURN(RecordGenerator generator, RecordGenerator::Make(gopts));
  const int threads = std::min(options.threads, gopts.partitions);
  spdlog::info(
      "producing to {} ({} partitions, {} thread{}): rate {}, event rate {}/s, seed {}, {}, {} "
      "users, "
      "zipf {}{}",
      options.to_stdout ? std::string("stdout")
                        : "topic " + options.topic + " on " + options.bootstrap,
      gopts.partitions, threads, threads == 1 ? "" : "s",
      options.rate > 0 ? Human(options.rate) + "/s" : std::string("unlimited"),
      Human(gopts.event_rate), gopts.seed,
      gopts.synthetic_time ? "event time from " + std::to_string(gopts.start_ms) + " ms"
                           : std::string("wall-clock timestamps"),
      gopts.users, gopts.zipf,
      options.count > 0 ? ", count " + std::to_string(options.count) : std::string());
  if (options.threads > gopts.partitions) {
    spdlog::warn("--threads {} > {} partitions: using {} threads", options.threads,
                 gopts.partitions, threads);
  }
  if (options.to_stdout) {
    Status st = RunToStdout(options, generator, stop, summary);
    LogSummary(*summary);
    return st;
  }

  Shared shared;
  std::vector<std::unique_ptr<ProducerWorker>> workers;
  for (int t = 0; t < threads; ++t) {
    std::vector<int32_t> owned;
    for (int32_t p = t; p < gopts.partitions; p += threads) owned.push_back(p);
    workers.push_back(std::make_unique<ProducerWorker>(options, generator, owned, &shared));
    SPATE_RETURN_IF_ERROR(workers.back()->Init());
  }
  const auto start = Clock::now();
  const auto deadline = options.duration_ms > 0
                            ? start + std::chrono::milliseconds(options.duration_ms)
                            : Clock::time_point::max();
  std::vector<std::thread> running;
  std::atomic<int> done{0};
  for (auto& w : workers) {
    running.emplace_back([&, worker = w.get()] {
      worker->Run(stop, start, deadline);
      done.fetch_add(1);
    });
  }
  // Progress, from this thread.
  auto last_time = start;
  uint64_t last_acked = 0;
  auto next_report = start + std::chrono::milliseconds(options.progress_interval_ms);
  while (done.load() < threads) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto now = Clock::now();
    if (options.progress_interval_ms > 0 && now >= next_report) {
      uint64_t acked = shared.acked.load();
      double dt = std::chrono::duration<double>(now - last_time).count();
      spdlog::info("sent={} acked={} failed={} rate={:.0f}/s", shared.sent.load(), acked,
                   shared.failed.load(), static_cast<double>(acked - last_acked) / dt);
      last_time = now;
      last_acked = acked;
      next_report += std::chrono::milliseconds(options.progress_interval_ms);
      if (next_report < now)
        next_report = now + std::chrono::milliseconds(options.progress_interval_ms);
    }
  }
  for (auto& t : running) t.join();
  summary->seconds = std::chrono::duration<double>(Clock::now() - start).count();
  workers.clear();
  summary->sent = shared.sent.load();
  summary->acknowledged = shared.acked.load();
  summary->failed = shared.failed.load();
  summary->bytes = shared.bytes.load();
  LogSummary(*summary);
  if (!shared.first_error.ok()) return shared.first_error;
  if (summary->failed > 0) {
    return Status::IOError(std::to_string(summary->failed) + " records failed delivery");
  }
  return Status::OK();
}

namespace {
std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) { g_stop.store(true); }
}  // namespace

int LoadgenMain(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = ParseLoadgenArgs(args, [](const char* name) { return std::getenv(name); });
  if (!parsed.ok()) {
    std::fprintf(stderr, "spate-loadgen: %s\nTry 'spate-loadgen --help'.\n",
                 parsed.status().message().c_str());
    return 2;
  }
  const LoadgenOptions& options = *parsed;
  if (options.help) {
    std::fputs(LoadgenUsage().c_str(), stdout);
    return 0;
  }
  Status st = InitLogging("spate-loadgen", options.verbose ? "debug" : "info");
  if (!st.ok()) {
    std::fprintf(stderr, "spate-loadgen: %s\n", st.message().c_str());
    return 2;
  }
  // The first SIGINT/SIGTERM stops producing and flushes; a second one kills.
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  LoadgenSummary summary;
  st = RunLoadgen(options, &g_stop, &summary);
  if (!st.ok()) {
    spdlog::error("{}", st.message());
    return st.code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  return 0;
}

}  // namespace spate
