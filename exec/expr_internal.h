// Pieces of the expression evaluator that aggregates and tests share. Internal to exec/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "exec/value.h"

namespace spate::exec::internal {

enum class CmpOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

/// ThreeWay's answer when the values cannot be ordered (NULL, NaN, or kinds that do not mix).
constexpr int kNotComparable = 2;

/// Bytewise (so code point) order of UTF-8 strings: -1, 0, 1.
int CompareStrings(std::string_view a, std::string_view b);

/// -1, 0 or 1 ordering two non-NULL values: numbers with numbers (an int and a double exactly),
/// strings with strings, booleans with booleans (FALSE < TRUE); else kNotComparable.
int ThreeWay(const Value& a, const Value& b);

/// SQL comparison: NULL if either side is NULL or the two do not compare; NaN compares false,
/// but <> true.
Value Compare(CmpOp op, const Value& a, const Value& b);

/// A LIKE pattern compiled once: '%' any run of characters, '_' one character (a UTF-8 code
/// point), `escape` (-1: none) makes the next character literal. Case-insensitive matching
/// folds ASCII letters only. The shapes 'abc', 'abc%', '%abc', '%abc%' and '%' are tested
/// directly (memmem, or the SIMD ContainsIgnoreCase); others by wildcard matching.
/// Unicode simple (one-to-one) case mapping of UTF-8 text, as glibc's towlower/towupper in the
/// C.UTF-8 locale: 'É' <-> 'é', 'Σ' <-> 'σ', 'İ' -> 'i'; 'ß' stays 'ß' (a full mapping, as
/// Java's, gives "SS"). Bytes that are not UTF-8 are kept. Appends to `*out`.
void ChangeCaseUnicode(std::string_view s, bool upper, std::string* out);

/// True when `s` holds a byte outside ASCII.
inline bool HasNonAscii(std::string_view s) {
  unsigned char any = 0;
  for (char c : s) any |= static_cast<unsigned char>(c);
  return any >= 0x80;
}

class LikeMatcher {
 public:
  /// case_insensitive (ILIKE): both sides compared after Unicode lower-casing
  /// (ChangeCaseUnicode); ASCII text takes a path without the copy.
  Status Compile(std::string_view pattern, int escape, bool case_insensitive);
  bool Matches(std::string_view s) const;

 private:
  bool MatchesAs(std::string_view s, bool ci) const;

  enum class TokenKind : uint8_t { kLiteral, kAnyOne, kAnyRun };
  enum class Shape : uint8_t { kExact, kPrefix, kSuffix, kContains, kAny, kGeneral };
  struct Token {
    TokenKind kind;
    uint32_t offset;  // kLiteral: its bytes in literals_
    uint32_t size;
  };
  std::vector<Token> tokens_;
  std::string literals_;
  std::string needle_;  // the one literal of the simple shapes (lower case when ci_)
  Shape shape_ = Shape::kGeneral;
  bool ci_ = false;
};

}  // namespace spate::exec::internal
