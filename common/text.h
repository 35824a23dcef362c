// Byte-level text helpers for the engine's hot path (raw-record pre-filters).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace spate {

/// True when `haystack` contains `lowercase_needle`, ASCII case-insensitively: a needle byte
/// 'a'..'z' matches itself or its upper-case form; every other byte (digits, punctuation, UTF-8
/// bytes >= 0x80) matches only itself. The needle must already be lower case ("crash", not
/// "Crash"). An empty needle is always contained. SIMD (SSE2) scan for the needle's first and last
/// bytes, then a check of the candidates; no allocation. Pure; thread-safe.
bool ContainsIgnoreCase(std::string_view haystack, std::string_view lowercase_needle);

/// The exact pre-filter for raw JSON: false only when no JSON string in `raw_json` can contain
/// `lowercase_needle` once unescaped. True when ContainsIgnoreCase finds it in the raw bytes, or
/// when the text holds any backslash (an escape such as "cr\u0061sh" could hide the needle).
/// A true answer still needs the parsed field checked. One pass; no allocation. Thread-safe.
bool RawJsonMayContainIgnoreCase(std::string_view raw_json, std::string_view lowercase_needle);

/// Bytes from the outside world (a record's value) as text that is safe to show anywhere: in
/// JSON (valid UTF-8), on a terminal (no control bytes) and in logs. Well-formed UTF-8
/// sequences (no overlongs, surrogates or code points beyond U+10FFFF) are kept; every other
/// byte, and every ASCII control byte (NUL, newline, ESC, DEL, ...), becomes `\xNN` (lower-case
/// hex). A backslash is kept as it is, so JSON escapes read naturally; `*escaped` (optional)
/// says whether any byte was rewritten, which tells a literal "\xff" from an escaped byte.
/// Pure; thread-safe.
std::string EscapeForDisplay(std::string_view bytes, bool* escaped = nullptr);

/// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629, Table 3-7 of the
/// Unicode standard: no overlongs, surrogates or code points beyond U+10FFFF), 1 to 4; 0 when
/// there is none or `s` is empty. Pure; thread-safe.
size_t Utf8SequenceLength(std::string_view s);

/// The longest prefix of `s` of at most `max_bytes` bytes that does not end inside a UTF-8
/// sequence (it backs off over continuation bytes), for cutting text short without breaking a
/// character. Pure; thread-safe.
std::string_view Utf8Prefix(std::string_view s, size_t max_bytes);

/// ASCII lower-case of one byte; other bytes unchanged.
constexpr char AsciiToLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

/// True when `a` equals `lowercase_b` ASCII case-insensitively (same rules as ContainsIgnoreCase).
constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view lowercase_b) {
  if (a.size() != lowercase_b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiToLower(a[i]) != lowercase_b[i]) return false;
  }
  return true;
}

}  // namespace spate
