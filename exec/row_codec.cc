#include "exec/row_codec.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/time_format.h"
#include "exec/format_internal.h"

namespace spate::exec {
namespace internal {

size_t FormatDouble(double v, char* out) {
  if (std::isnan(v)) {
    std::memcpy(out, "NaN", 3);
    return 3;
  }
  if (std::isinf(v)) {
    if (v < 0) {
      std::memcpy(out, "-Infinity", 9);
      return 9;
    }
    std::memcpy(out, "Infinity", 8);
    return 8;
  }
  char* o = out;
  if (std::signbit(v)) {
    *o++ = '-';
    v = -v;
  }
  if (v == 0) {
    std::memcpy(o, "0.0", 3);
    return static_cast<size_t>(o + 3 - out);
  }
  // Shortest round-trip digits from to_chars' scientific form "d.ddde+XX". Java prints at least
  // two digits and, when one would do, the two closest to the exact value (4.9E-324, not
  // 5.0E-324): to_chars with precision 1 gives exactly those.
  char sci[32];
  auto res = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  if (res.ptr - sci < 3 || sci[1] != '.') {
    res = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific, 1);
  }
  char digits[24];
  int n = 0;
  const char* p = sci;
  for (; p < res.ptr && *p != 'e'; ++p) {
    if (*p != '.') digits[n++] = *p;
  }
  int exp = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), res.ptr, exp);
  while (n > 1 && digits[n - 1] == '0') --n;
  if (v >= 1e-3 && v < 1e7) {
    if (exp >= 0) {
      for (int i = 0; i <= exp; ++i) *o++ = i < n ? digits[i] : '0';
      *o++ = '.';
      if (n > exp + 1) {
        for (int i = exp + 1; i < n; ++i) *o++ = digits[i];
      } else {
        *o++ = '0';
      }
    } else {
      *o++ = '0';
      *o++ = '.';
      for (int i = 0; i < -exp - 1; ++i) *o++ = '0';
      for (int i = 0; i < n; ++i) *o++ = digits[i];
    }
  } else {
    *o++ = digits[0];
    *o++ = '.';
    if (n > 1) {
      for (int i = 1; i < n; ++i) *o++ = digits[i];
    } else {
      *o++ = '0';
    }
    *o++ = 'E';
    o = std::to_chars(o, o + 8, exp).ptr;
  }
  return static_cast<size_t>(o - out);
}

namespace {

inline char* Put2(char* o, int v) {
  o[0] = static_cast<char>('0' + v / 10);
  o[1] = static_cast<char>('0' + v % 10);
  return o + 2;
}

}  // namespace

size_t FormatTimestamp(int64_t epoch_ms, int min_digits, char* out) {
  const int64_t days = FloorDiv(epoch_ms, 86'400'000);
  const int64_t in_day = FloorMod(epoch_ms, 86'400'000);
  const CivilDate date = CivilFromDays(days);
  char* o = out;
  int64_t year = date.year;
  if (year < 0) {
    *o++ = '-';
    year = -year;
  }
  if (year < 10000) {
    const int y = static_cast<int>(year);
    o = Put2(o, y / 100);
    o = Put2(o, y % 100);
  } else {
    o = std::to_chars(o, o + 20, year).ptr;
  }
  *o++ = '-';
  o = Put2(o, date.month);
  *o++ = '-';
  o = Put2(o, date.day);
  *o++ = ' ';
  const int secs = static_cast<int>(in_day / 1000);
  const int millis = static_cast<int>(in_day % 1000);
  o = Put2(o, secs / 3600);
  *o++ = ':';
  o = Put2(o, secs / 60 % 60);
  *o++ = ':';
  o = Put2(o, secs % 60);
  int digits = millis == 0 ? 0 : millis % 100 == 0 ? 1 : millis % 10 == 0 ? 2 : 3;
  digits = std::max(digits, std::min(min_digits, 3));
  if (digits > 0) {
    *o++ = '.';
    *o++ = static_cast<char>('0' + millis / 100);
    if (digits >= 2) *o++ = static_cast<char>('0' + millis / 10 % 10);
    if (digits >= 3) *o++ = static_cast<char>('0' + millis % 10);
  }
  return static_cast<size_t>(o - out);
}

namespace {

// Length of the valid UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), or 0 when the bytes there are not one.
inline size_t Utf8SequenceLength(const unsigned char* s, size_t n) {
  const unsigned char c = s[0];
  if (c < 0x80) return 1;
  if (c < 0xC2) return 0;
  auto cont = [&](size_t k) { return k < n && (s[k] & 0xC0) == 0x80; };
  if (c < 0xE0) return cont(1) ? 2 : 0;
  if (c < 0xF0) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && s[1] < 0xA0) return 0;   // overlong
    if (c == 0xED && s[1] >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c < 0xF5) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && s[1] < 0x90) return 0;   // overlong
    if (c == 0xF4 && s[1] >= 0x90) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

// 1: the byte needs an escape or is not ASCII (the slow path); 0: copied as is.
constexpr auto kSpecial = [] {
  struct Table {
    bool v[256] = {};
  } t;
  for (int c = 0; c < 0x20; ++c) t.v[c] = true;
  t.v[static_cast<unsigned char>('"')] = true;
  t.v[static_cast<unsigned char>('\\')] = true;
  for (int c = 0x80; c < 256; ++c) t.v[c] = true;
  return t;
}();

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    size_t run = i;
    while (run < n && !kSpecial.v[p[run]]) ++run;
    out->append(s.data() + i, run - i);
    i = run;
    if (i >= n) break;
    const unsigned char c = p[i];
    if (c >= 0x80) {
      const size_t len = Utf8SequenceLength(p + i, n - i);
      if (len == 0) {
        out->append("\xEF\xBF\xBD");
        ++i;
      } else {
        out->append(s.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default: {
        static constexpr char kHex[] = "0123456789ABCDEF";
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, 6);
      }
    }
    ++i;
  }
  out->push_back('"');
}

bool ParseTimestampText(std::string_view s, int64_t* epoch_ms) {
  if (ParseRfc3339Millis(s, epoch_ms)) return true;
  // Without an offset: read as UTC. The longest such text is 29 bytes (9 fraction digits).
  if (s.size() < 19 || s.size() > 29) return false;
  char buf[32];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 'Z';
  return ParseRfc3339Millis(std::string_view(buf, s.size() + 1), epoch_ms);
}

}  // namespace internal

namespace {

enum KeyTag : uint8_t {
  kTagNull = 0,
  kTagFalse = 1,
  kTagTrue = 2,
  kTagInt = 3,
  kTagDouble = 4,
  kTagString = 5,
};

inline void PutVarint(uint64_t v, std::string* out) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

inline bool GetVarint(std::string_view* in, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    const uint8_t b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    r |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      *v = r;
      return true;
    }
  }
  return false;
}

}  // namespace

void EncodeKey(const Value* values, size_t n, std::string* out) {
  for (size_t k = 0; k < n; ++k) {
    const Value& v = values[k];
    switch (v.kind) {
      case ValueKind::kNull:
        out->push_back(static_cast<char>(kTagNull));
        break;
      case ValueKind::kBool:
        out->push_back(static_cast<char>(v.b ? kTagTrue : kTagFalse));
        break;
      case ValueKind::kInt: {
        out->push_back(static_cast<char>(kTagInt));
        const uint64_t u = static_cast<uint64_t>(v.i);
        PutVarint((u << 1) ^ static_cast<uint64_t>(v.i >> 63), out);
        break;
      }
      case ValueKind::kDouble: {
        out->push_back(static_cast<char>(kTagDouble));
        const double d = v.d == 0 ? 0.0 : v.d;  // -0.0 groups with 0.0
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        if (std::isnan(d)) bits = 0x7FF8000000000000ULL;  // every NaN alike
        char buf[8];
        for (int b = 0; b < 8; ++b) buf[b] = static_cast<char>(bits >> (8 * b));
        out->append(buf, 8);
        break;
      }
      case ValueKind::kString:
        out->push_back(static_cast<char>(kTagString));
        PutVarint(v.s.size(), out);
        out->append(v.s);
        break;
    }
  }
}

Status DecodeKey(std::string_view bytes, Value* out, size_t n) {
  for (size_t k = 0; k < n; ++k) {
    if (bytes.empty())
      return Status::Corruption("group key: ends before value " + std::to_string(k));
    const uint8_t tag = static_cast<uint8_t>(bytes.front());
    bytes.remove_prefix(1);
    switch (tag) {
      case kTagNull:
        out[k] = Value::Null();
        break;
      case kTagFalse:
      case kTagTrue:
        out[k] = Value::Bool(tag == kTagTrue);
        break;
      case kTagInt: {
        uint64_t u;
        if (!GetVarint(&bytes, &u)) return Status::Corruption("group key: bad integer");
        out[k] = Value::Int(static_cast<int64_t>((u >> 1) ^ (0 - (u & 1))));
        break;
      }
      case kTagDouble: {
        if (bytes.size() < 8) return Status::Corruption("group key: short double");
        uint64_t bits = 0;
        for (int b = 0; b < 8; ++b)
          bits |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[b])) << (8 * b);
        double d;
        std::memcpy(&d, &bits, 8);
        out[k] = Value::Double(d);
        bytes.remove_prefix(8);
        break;
      }
      case kTagString: {
        uint64_t len;
        if (!GetVarint(&bytes, &len) || len > bytes.size()) {
          return Status::Corruption("group key: bad string length");
        }
        out[k] = Value::String(bytes.substr(0, len));
        bytes.remove_prefix(len);
        break;
      }
      default:
        return Status::Corruption("group key: unknown tag " + std::to_string(tag));
    }
  }
  if (!bytes.empty()) return Status::Corruption("group key: trailing bytes");
  return Status::OK();
}

namespace {

// The text of a non-NULL value: JSON (`json`) or the console's (strings and timestamps bare).
void AppendScalar(const Value& v, proto::TypeKind kind, bool json, std::string* out) {
  char buf[internal::kFormatBufferSize];
  switch (kind) {
    case proto::TYPE_TIMESTAMP:
    case proto::TYPE_TIMESTAMP_LTZ: {
      int64_t ms = v.kind == ValueKind::kDouble ? static_cast<int64_t>(v.d) : v.i;
      size_t n = internal::FormatTimestamp(ms, 0, buf);
      if (kind == proto::TYPE_TIMESTAMP_LTZ) buf[n++] = 'Z';
      if (json) out->push_back('"');
      out->append(buf, n);
      if (json) out->push_back('"');
      return;
    }
    default:
      break;
  }
  switch (v.kind) {
    case ValueKind::kNull:
      out->append(json ? "null" : "NULL");
      return;
    case ValueKind::kBool:
      out->append(v.b ? "true" : "false");
      return;
    case ValueKind::kInt:
      if (kind == proto::TYPE_DOUBLE) {
        out->append(buf, internal::FormatDouble(static_cast<double>(v.i), buf));
      } else {
        out->append(buf, std::to_chars(buf, buf + sizeof buf, v.i).ptr);
      }
      return;
    case ValueKind::kDouble: {
      const size_t n = internal::FormatDouble(v.d, buf);
      const bool quoted = json && !std::isfinite(v.d);  // "NaN", "Infinity" as Flink
      if (quoted) out->push_back('"');
      out->append(buf, n);
      if (quoted) out->push_back('"');
      return;
    }
    case ValueKind::kString:
      if (json) {
        internal::AppendJsonString(v.s, out);
      } else {
        out->append(v.s);
      }
      return;
  }
}

}  // namespace

void AppendJsonValue(const Value& v, const proto::DataType& type, std::string* out) {
  if (v.is_null()) {
    out->append("null");
    return;
  }
  AppendScalar(v, type.kind(), true, out);
}

void AppendJsonRow(const std::string* names, const proto::DataType* types, const Value* values,
                   size_t n, std::string* out) {
  out->push_back('{');
  for (size_t k = 0; k < n; ++k) {
    if (k > 0) out->push_back(',');
    internal::AppendJsonString(names[k], out);
    out->push_back(':');
    AppendJsonValue(values[k], types[k], out);
  }
  out->push_back('}');
}

std::string FormatValue(const Value& v, const proto::DataType& type) {
  std::string out;
  if (v.is_null()) return "NULL";
  AppendScalar(v, type.kind(), false, &out);
  return out;
}

}  // namespace spate::exec
