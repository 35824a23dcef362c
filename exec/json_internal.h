// JSON scanning helpers of the record decoder, after common/log_record.cc (same grammar, same
// validation). Internal to exec/.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace spate::exec::internal {

inline bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
inline bool IsDigit(char c) {
  return static_cast<unsigned>(static_cast<unsigned char>(c) - '0') <= 9u;
}

/// The first '"' or '\' at or after p. The caller guarantees that a closing quote lies ahead
/// and that 15 bytes past it are readable (padding).
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

enum class NumberKind : uint8_t { kInt64, kOtherNumber, kInvalid };

/// Reads a raw JSON number token (simdjson includes the whitespace up to the next structural
/// character). Exact RFC 8259 grammar; an integer literal that fits int64 is kInt64 (`*out`).
NumberKind ParseNumberToken(std::string_view tok, int64_t* out);

/// A JSON number token (already accepted by ParseNumberToken) as the nearest double; beyond
/// the range of double: +-infinity, below it: +-0.
double NumberTokenToDouble(std::string_view tok);

/// True for "true", "false" and "null" tokens (trailing whitespace allowed).
bool IsLiteralToken(std::string_view tok);

/// Walks a value that is not extracted, so that the whole record is validated (On-Demand
/// otherwise skips unread values by bracket counting alone). `escapes`: the record holds a
/// backslash. False when the value is not valid JSON.
bool ValidateValue(simdjson::ondemand::value& v, int depth, bool escapes);

/// Deepest nesting accepted (as RecordParser::kMaxDepth).
constexpr int kMaxDepth = 1024;

}  // namespace spate::exec::internal
