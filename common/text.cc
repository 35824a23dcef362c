#include "common/text.h"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace spate {
namespace {

// 0x20 for a lower-case ASCII letter: OR-ing it into a haystack byte folds 'A'..'Z' onto
// 'a'..'z' and maps no other byte onto the letter.
inline uint8_t FoldBit(char c) { return (c >= 'a' && c <= 'z') ? 0x20 : 0; }

inline bool EqualsAt(const char* h, std::string_view needle) {
  for (size_t j = 0; j < needle.size(); ++j) {
    const uint8_t b = static_cast<uint8_t>(h[j]) | FoldBit(needle[j]);
    if (b != static_cast<uint8_t>(needle[j])) return false;
  }
  return true;
}

// Scalar search over positions [from, last]; with kBackslash also reports any '\' in the bytes
// those positions cover.
template <bool kBackslash>
bool ScalarSearch(std::string_view hay, std::string_view needle, size_t from) {
  const size_t n = needle.size();
  for (size_t i = from; i + n <= hay.size(); ++i) {
    if (EqualsAt(hay.data() + i, needle)) return true;
  }
  if constexpr (kBackslash) {
    if (from < hay.size() && std::memchr(hay.data() + from, '\\', hay.size() - from) != nullptr) {
      return true;
    }
  }
  return false;
}

template <bool kBackslash>
bool Search(std::string_view hay, std::string_view needle) {
  const size_t n = needle.size();
  if (n == 0) return true;
  if (n > hay.size()) {
    return kBackslash && std::memchr(hay.data(), '\\', hay.size()) != nullptr;
  }
#if defined(__SSE2__)
  // Muła's "generic SIMD" substring search: a position is a candidate when both its first and
  // its last needle byte match; candidates are rare, so verifying them is cheap.
  if (hay.size() >= n - 1 + 16) {
    const char* h = hay.data();
    const __m128i first = _mm_set1_epi8(needle[0]);
    const __m128i last = _mm_set1_epi8(needle[n - 1]);
    const __m128i fold_first = _mm_set1_epi8(static_cast<char>(FoldBit(needle[0])));
    const __m128i fold_last = _mm_set1_epi8(static_cast<char>(FoldBit(needle[n - 1])));
    const __m128i backslash = _mm_set1_epi8('\\');
    const size_t last_block = hay.size() - (n - 1) - 16;  // start of the final, overlapping block
    for (size_t i = 0;; i += 16) {
      if (i > last_block) i = last_block;
      const __m128i b0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i));
      const __m128i b1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i + n - 1));
      const __m128i eq = _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(b0, fold_first), first),
                                       _mm_cmpeq_epi8(_mm_or_si128(b1, fold_last), last));
      unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(eq));
      while (mask != 0) {
        const unsigned bit = static_cast<unsigned>(__builtin_ctz(mask));
        if (EqualsAt(h + i + bit, needle)) return true;
        mask &= mask - 1;
      }
      if constexpr (kBackslash) {
        // b0 sweeps the bytes [0, size - n + 1); the last n - 1 bytes are checked at the end.
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(b0, backslash)) != 0) return true;
      }
      if (i == last_block) {
        return kBackslash && n > 1 && std::memchr(h + hay.size() - (n - 1), '\\', n - 1) != nullptr;
      }
    }
  }
#endif
  return ScalarSearch<kBackslash>(hay, needle, 0);
}

}  // namespace

bool ContainsIgnoreCase(std::string_view haystack, std::string_view lowercase_needle) {
  return Search<false>(haystack, lowercase_needle);
}

bool RawJsonMayContainIgnoreCase(std::string_view raw_json, std::string_view lowercase_needle) {
  return Search<true>(raw_json, lowercase_needle);
}

size_t Utf8SequenceLength(std::string_view s) {
  if (s.empty()) return 0;
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t c = b(0);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint8_t lo = 0x80, hi = 0xbf;  // the range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;  // overlong
    if (c == 0xed) hi = 0x9f;  // surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;  // overlong
    if (c == 0xf4) hi = 0x8f;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n || b(1) < lo || b(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (b(i) < 0x80 || b(i) > 0xbf) return 0;
  }
  return n;
}

std::string_view Utf8Prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  while (n > 0 && (static_cast<uint8_t>(s[n]) & 0xc0) == 0x80) --n;
  return s.substr(0, n);
}

std::string EscapeForDisplay(std::string_view bytes, bool* escaped) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  bool any = false;
  size_t i = 0;
  while (i < bytes.size()) {
    const auto c = static_cast<uint8_t>(bytes[i]);
    const size_t n = c >= 0x20 && c != 0x7f ? Utf8SequenceLength(bytes.substr(i)) : 0;
    if (n > 0) {
      out.append(bytes.substr(i, n));
      i += n;
      continue;
    }
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
    any = true;
    ++i;
  }
  if (escaped) *escaped = any;
  return out;
}

}  // namespace spate
