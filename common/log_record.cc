#include "common/log_record.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/time_format.h"

// Only simdjson's second stage (the On-Demand walk below) is compiled into this file for the
// build's baseline ISA; its first stage (structural indexing, UTF-8 validation) runs in
// libsimdjson, which picks the best kernel for the CPU at run time. Measured: compiling this file
// with -mavx2 makes no difference for ~150-byte records.

// Reading past the input (see Parse) is invisible to the hardware but not to AddressSanitizer.
#if defined(__SANITIZE_ADDRESS__)
#define SPATE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPATE_ASAN 1
#endif
#endif
#ifndef SPATE_ASAN
#define SPATE_ASAN 0
#endif

namespace spate {
namespace od = simdjson::ondemand;

static_assert(RecordParser::kPadding == simdjson::SIMDJSON_PADDING);

namespace {

constexpr std::string_view kFieldNames[6] = {"timestamp", "status",  "severity",
                                             "source_ip", "user_id", "content"};
constexpr int kTimestampIndex = 0;

enum class Verdict : uint8_t { kOk, kInvalidJson, kWrongType, kBadTimestamp };

inline bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
inline bool IsDigit(char c) {
  return static_cast<unsigned>(static_cast<unsigned char>(c) - '0') <= 9u;
}

// The first '"' or '\' at or after p. The caller guarantees that a closing quote lies ahead (a
// string that simdjson's first stage accepted) and that 15 bytes past it are readable (padding).
inline const char* FindQuoteOrBackslash(const char* p) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  for (;; p += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const unsigned m = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash))));
    if (m != 0) return p + __builtin_ctz(m);
  }
#else
  while (*p != '"' && *p != '\\') ++p;
  return p;
#endif
}

// Field index of a raw (still escaped) key starting after its opening quote, or -1. Reads up to
// 10 bytes, which the padding makes safe; comparing the closing quote too makes it exact.
inline int MatchRawKey(const char* k) {
  switch (k[0]) {
    case 't':
      return std::memcmp(k, "timestamp\"", 10) == 0 ? 0 : -1;
    case 's':
      if (std::memcmp(k, "status\"", 7) == 0) return 1;
      if (std::memcmp(k, "severity\"", 9) == 0) return 2;
      if (std::memcmp(k, "source_ip\"", 10) == 0) return 3;
      return -1;
    case 'u':
      return std::memcmp(k, "user_id\"", 8) == 0 ? 4 : -1;
    case 'c':
      return std::memcmp(k, "content\"", 8) == 0 ? 5 : -1;
    default:
      return -1;
  }
}

inline int MatchUnescapedKey(std::string_view k) {
  for (int i = 0; i < 6; ++i) {
    if (k == kFieldNames[i]) return i;
  }
  return -1;
}

enum class NumberKind : uint8_t { kInt64, kOtherNumber, kInvalid };

// Eight ASCII digits (little-endian load) to their value, as simdjson's
// parse_eight_digits_unrolled.
inline uint32_t ParseEightDigits(uint64_t chunk) {
  constexpr uint64_t kMask = 0x000000FF000000FFULL;
  constexpr uint64_t kMul1 = 100 + (1000000ULL << 32);
  constexpr uint64_t kMul2 = 1 + (10000ULL << 32);
  chunk -= 0x3030303030303030ULL;
  chunk = (chunk * 10) + (chunk >> 8);
  return static_cast<uint32_t>(((chunk & kMask) * kMul1 + ((chunk >> 16) & kMask) * kMul2) >> 32);
}

inline bool AllEightDigits(uint64_t chunk) {
  return ((chunk & 0xF0F0F0F0F0F0F0F0ULL) |
          (((chunk + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) ==
         0x3333333333333333ULL;
}

// Reads a raw JSON number token (simdjson includes the whitespace up to the next structural
// character). Exact RFC 8259 grammar; an integer literal that fits int64 is kInt64.
NumberKind ParseNumberToken(std::string_view tok, int64_t* out) {
  const char* p = tok.data();
  const char* const end = p + tok.size();
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  const char* const digits = p;
  uint64_t magnitude = 0;
  for (uint64_t chunk; end - p >= 8 && (std::memcpy(&chunk, p, 8), AllEightDigits(chunk)); p += 8) {
    magnitude = magnitude * 100000000 + ParseEightDigits(chunk);  // wraps past 19 digits: unused
  }
  for (; p < end && IsDigit(*p); ++p) magnitude = magnitude * 10 + static_cast<uint64_t>(*p - '0');
  const size_t num_digits = static_cast<size_t>(p - digits);
  if (num_digits == 0 || (num_digits > 1 && *digits == '0')) return NumberKind::kInvalid;
  bool integer = true;
  if (p < end && *p == '.') {
    ++p;
    if (p >= end || !IsDigit(*p)) return NumberKind::kInvalid;
    while (p < end && IsDigit(*p)) ++p;
    integer = false;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p >= end || !IsDigit(*p)) return NumberKind::kInvalid;
    while (p < end && IsDigit(*p)) ++p;
    integer = false;
  }
  for (; p < end; ++p) {
    if (!IsJsonSpace(*p)) return NumberKind::kInvalid;
  }
  // Up to 19 digits fit uint64 exactly; 20 or more exceed int64 anyway.
  if (!integer || num_digits > 19) return NumberKind::kOtherNumber;
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(INT64_MAX);
  if (magnitude > kMaxPositive + (negative ? 1 : 0)) return NumberKind::kOtherNumber;
  *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return NumberKind::kInt64;
}

inline bool IsLiteralToken(std::string_view tok) {
  while (!tok.empty() && IsJsonSpace(tok.back())) tok.remove_suffix(1);
  return tok == "true" || tok == "false" || tok == "null";
}

// True when a key's escapes are valid. `escapes`: the record holds a backslash somewhere (when it
// holds none, every string is valid once simdjson's first stage accepted the record).
inline bool ValidateKey(od::field& f, bool escapes) {
  if (!escapes || *FindQuoteOrBackslash(f.key().raw()) == '"') return true;
  std::string_view unused;
  return !f.unescaped_key().get(unused);
}

// Walks a value that is not extracted, so that the whole record is validated: On-Demand
// otherwise skips unread values by bracket counting alone.
bool ValidateValue(od::value& v, int depth, bool escapes) {
  const std::string_view tok = v.raw_json_token();
  if (tok.empty()) return false;
  switch (tok[0]) {
    case '"': {
      // Consumed, never left to simdjson's skip: it takes a string followed by ':' for a key and
      // would accept [1, "a": 2] or {"k": "a": 2}.
      if (!escapes || *FindQuoteOrBackslash(tok.data() + 1) == '"') {
        od::raw_json_string unused;
        return !v.get_raw_json_string().get(unused);
      }
      std::string_view unused;
      return !v.get_string().get(unused);
    }
    case '{': {
      if (depth >= RecordParser::kMaxDepth) return false;
      od::object object;
      if (v.get_object().get(object)) return false;
      for (auto field_result : object) {
        if (field_result.error()) return false;
        od::field& f = field_result.value_unsafe();  // in place, as in Run
        if (!ValidateKey(f, escapes) || !ValidateValue(f.value(), depth + 1, escapes)) return false;
      }
      return true;
    }
    case '[': {
      if (depth >= RecordParser::kMaxDepth) return false;
      od::array array;
      if (v.get_array().get(array)) return false;
      for (auto element_result : array) {
        od::value element;
        if (std::move(element_result).get(element)) return false;
        if (!ValidateValue(element, depth + 1, escapes)) return false;
      }
      return true;
    }
    case 't':
    case 'f':
    case 'n':
      return IsLiteralToken(tok);
    default: {
      int64_t unused;
      return ParseNumberToken(tok, &unused) != NumberKind::kInvalid;
    }
  }
}

inline ParseOutcome Fail(MalformedReason reason, std::string_view field = {}) {
  ParseOutcome o;
  o.reason = reason;
  o.field = field;
  return o;
}

}  // namespace

struct RecordParser::Impl {
  od::parser parser;
  std::unique_ptr<char[]> buf;  // the padded copy of the current record
  size_t buf_capacity = 0;
  std::unique_ptr<simdjson::dom::parser> dom;  // only for records that are not objects (cold)
  bool escapes = false;                        // the current record holds a backslash

  // Parses the record held in `padded` (== json.data() or a copy of it, with kPadding readable
  // bytes after json.size()); string views are mapped back into `json`.
  ParseOutcome Run(std::string_view json, const char* padded, size_t capacity, uint32_t required,
                   LogRecordView* out);

  // Steps past a string value whose text was sliced from its token (see ValidateValue).
  static Verdict Consume(od::value& v) {
    od::raw_json_string unused;
    return v.get_raw_json_string().get(unused) ? Verdict::kInvalidJson : Verdict::kOk;
  }

  // A string value: zero copy into the caller's input when it has no escapes.
  Verdict ReadString(od::value& v, std::string_view tok, std::string_view json, const char* padded,
                     std::string_view* dst) {
    if (tok[0] != '"') {
      return ValidateValue(v, 1, escapes) ? Verdict::kWrongType : Verdict::kInvalidJson;
    }
    const char* begin = tok.data() + 1;
    if (!escapes) {
      // No backslash in the record: the token is the string, its closing quote, and the
      // whitespace before the next structural character.
      size_t n = tok.size();
      while (IsJsonSpace(tok[n - 1])) --n;
      *dst = std::string_view(json.data() + (begin - padded), n - 2);
      return Consume(v);
    }
    const char* end = FindQuoteOrBackslash(begin);
    if (*end == '"') {
      *dst = std::string_view(json.data() + (begin - padded), static_cast<size_t>(end - begin));
      return Consume(v);
    }
    return v.get_string().get(*dst) ? Verdict::kInvalidJson : Verdict::kOk;
  }

  Verdict ReadTimestamp(od::value& v, std::string_view tok, std::string_view json,
                        const char* padded, int64_t* dst) {
    const char c = tok[0];
    if (c == '"') {
      std::string_view text;
      const Verdict verdict = ReadString(v, tok, json, padded, &text);
      if (verdict != Verdict::kOk) return verdict;
      return ParseRfc3339Millis(text, dst) ? Verdict::kOk : Verdict::kBadTimestamp;
    }
    if (c == '-' || IsDigit(c)) {
      switch (ParseNumberToken(tok, dst)) {
        case NumberKind::kInt64:
          return Verdict::kOk;
        case NumberKind::kOtherNumber:
          return Verdict::kBadTimestamp;
        case NumberKind::kInvalid:
          return Verdict::kInvalidJson;
      }
    }
    return ValidateValue(v, 1, escapes) ? Verdict::kWrongType : Verdict::kInvalidJson;
  }

  ParseOutcome ClassifyNonObject(const char* padded, size_t len) {
    // Arrays and scalars are not records, but "not_object" needs them to be valid JSON; the DOM
    // parser validates everything, which is all this rare path needs.
    if (!dom) dom = std::make_unique<simdjson::dom::parser>();
    simdjson::dom::element unused;
    const auto error = dom->parse(reinterpret_cast<const uint8_t*>(padded), len, false).get(unused);
    return Fail(error ? MalformedReason::kNotJson : MalformedReason::kNotObject);
  }
};

ParseOutcome RecordParser::Impl::Run(std::string_view json, const char* padded, size_t capacity,
                                     uint32_t required, LogRecordView* out) {
  *out = LogRecordView{};
  std::string_view* const string_slots[6] = {nullptr,         &out->status,  &out->severity,
                                             &out->source_ip, &out->user_id, &out->content};
  // One memchr decides whether any string may hold an escape; almost no log record does, and
  // then strings are sliced from their tokens without being scanned.
  escapes = std::memchr(padded, '\\', json.size()) != nullptr;
  od::document doc;
  if (parser.iterate(padded, json.size(), capacity).get(doc)) {
    return Fail(MalformedReason::kNotJson);
  }
  od::json_type type;
  if (doc.type().get(type)) return Fail(MalformedReason::kNotJson);
  if (type != od::json_type::object) return ClassifyNonObject(padded, json.size());
  od::object object;
  if (doc.get_object().get(object)) return Fail(MalformedReason::kNotJson);

  uint32_t seen = 0;
  ParseOutcome problem;
  for (auto field_result : object) {
    // Used in place: a copy into a local field is assembled from narrow stores and read back
    // wide, a store-forwarding stall per field.
    if (field_result.error()) return Fail(MalformedReason::kNotJson);
    od::field& f = field_result.value_unsafe();
    const char* raw_key = f.key().raw();
    int index = MatchRawKey(raw_key);
    if (index < 0 && escapes && *FindQuoteOrBackslash(raw_key) == '\\') {
      std::string_view key;  // an escaped key: compare its decoded form
      if (f.unescaped_key().get(key)) return Fail(MalformedReason::kNotJson);
      index = MatchUnescapedKey(key);
    }
    od::value& value = f.value();
    const uint32_t bit = index >= 0 ? (1u << index) : 0u;
    if (bit == 0 || (seen & bit) != 0 || (required & bit) == 0) {
      // Unknown, a later duplicate (first wins), or not asked for: validate only.
      seen |= bit;
      if (!ValidateValue(value, 1, escapes)) return Fail(MalformedReason::kNotJson);
      continue;
    }
    seen |= bit;
    const std::string_view tok = value.raw_json_token();
    if (tok.empty()) return Fail(MalformedReason::kNotJson);
    const Verdict verdict = index == kTimestampIndex
                                ? ReadTimestamp(value, tok, json, padded, &out->timestamp_ms)
                                : ReadString(value, tok, json, padded, string_slots[index]);
    switch (verdict) {
      case Verdict::kOk:
        break;
      case Verdict::kInvalidJson:
        return Fail(MalformedReason::kNotJson);
      case Verdict::kWrongType:
        if (problem.ok()) problem = Fail(MalformedReason::kWrongType, kFieldNames[index]);
        break;
      case Verdict::kBadTimestamp:
        if (problem.ok()) problem = Fail(MalformedReason::kBadTimestamp, kFieldNames[index]);
        break;
    }
  }
  // Anything after the object ("{...}{...}", "{...} 1") is not one JSON value.
  const char* trailing = nullptr;
  if (!doc.current_location().get(trailing)) return Fail(MalformedReason::kNotJson);
  if (!problem.ok()) return problem;
  const uint32_t missing = required & kAllFields & ~seen;
  if (missing != 0)
    return Fail(MalformedReason::kMissingField, kFieldNames[__builtin_ctz(missing)]);
  return ParseOutcome{};
}

RecordParser::RecordParser() : impl_(std::make_unique<Impl>()) {}
RecordParser::~RecordParser() = default;
RecordParser::RecordParser(RecordParser&&) noexcept = default;
RecordParser& RecordParser::operator=(RecordParser&&) noexcept = default;

ParseOutcome RecordParser::Parse(std::string_view json, uint32_t required, LogRecordView* out) {
  Impl& impl = *impl_;
#if !SPATE_ASAN
  // simdjson's own trick (need_allocation): when the kPadding bytes after the input lie on the
  // same 4 KiB page as its last byte, reading them cannot fault, and their contents do not
  // matter (see ParsePadded). Skips the copy for ~98% of records; ~10% faster end to end.
  const uintptr_t last = reinterpret_cast<uintptr_t>(json.data()) + json.size() - 1;
  if (!json.empty() && (last & 4095) + kPadding < 4096) {
    return impl.Run(json, json.data(), json.size() + kPadding, required, out);
  }
#endif
  const size_t need = json.size() + kPadding;
  if (need > impl.buf_capacity) {
    const size_t capacity = std::max({need, impl.buf_capacity * 2, size_t{4096}});
    impl.buf.reset(new char[capacity]);
    impl.buf_capacity = capacity;
  }
  if (!json.empty()) std::memcpy(impl.buf.get(), json.data(), json.size());
  std::memset(impl.buf.get() + json.size(), 0, kPadding);
  return impl.Run(json, impl.buf.get(), impl.buf_capacity, required, out);
}

ParseOutcome RecordParser::ParsePadded(std::string_view json, uint32_t required,
                                       LogRecordView* out) {
  return impl_->Run(json, json.data(), json.size() + kPadding, required, out);
}

std::string_view MalformedReasonName(MalformedReason r) {
  switch (r) {
    case MalformedReason::kNone:
      return "none";
    case MalformedReason::kNotJson:
      return "not_json";
    case MalformedReason::kNotObject:
      return "not_object";
    case MalformedReason::kMissingField:
      return "missing_field";
    case MalformedReason::kWrongType:
      return "wrong_type";
    case MalformedReason::kBadTimestamp:
      return "bad_timestamp";
    case MalformedReason::kFutureEventTime:
      return "future_event_time";
  }
  return "unknown";
}

std::string_view RecordFieldName(uint32_t field_bit) {
  if (field_bit == 0 || (field_bit & (field_bit - 1)) != 0 || field_bit > kFieldContent) return {};
  return kFieldNames[__builtin_ctz(field_bit)];
}

Result<int64_t> ParseTimestampString(std::string_view s) {
  int64_t ms = 0;
  if (ParseRfc3339Millis(s, &ms)) return ms;
  constexpr size_t kShown = 64;
  std::string shown(s.substr(0, kShown));
  if (s.size() > kShown) shown += "...";
  return Status::InvalidArgument("not an RFC 3339 timestamp with a zone offset: \"" + shown + "\"");
}

}  // namespace spate
