#include "exec/expr.h"

#include <locale.h>
#include <re2/re2.h>
#include <wctype.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "common/text.h"
#include "common/time_format.h"
#include "exec/expr_internal.h"
#include "exec/format_internal.h"

namespace spate::exec {
namespace internal {

// ---------------------------------------------------------------------------------------------
// Comparison

namespace {

// Three-way compare of an int64 with a non-NaN double, exactly (no rounding of the int).
inline int CompareIntDouble(int64_t i, double d) {
  if (d >= 9223372036854775808.0) return -1;  // 2^63: above every int64
  if (d < -9223372036854775808.0) return 1;   // below -2^63
  const double t = std::trunc(d);
  const int64_t ti = static_cast<int64_t>(t);  // exact: |t| < 2^63
  if (i != ti) return i < ti ? -1 : 1;
  const double frac = d - t;
  return frac > 0 ? -1 : frac < 0 ? 1 : 0;
}

inline Value ApplyCmp(CmpOp op, int c) {
  switch (op) {
    case CmpOp::kEq:
      return Value::Bool(c == 0);
    case CmpOp::kNe:
      return Value::Bool(c != 0);
    case CmpOp::kLt:
      return Value::Bool(c < 0);
    case CmpOp::kLe:
      return Value::Bool(c <= 0);
    case CmpOp::kGt:
      return Value::Bool(c > 0);
    case CmpOp::kGe:
      return Value::Bool(c >= 0);
  }
  return Value::Null();
}

}  // namespace

int CompareStrings(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  const int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c < 0 ? -1 : 1;
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

int ThreeWay(const Value& a, const Value& b) {
  if (a.kind == ValueKind::kInt && b.kind == ValueKind::kInt) {
    return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
  }
  switch (a.kind) {
    case ValueKind::kInt:
      if (b.kind == ValueKind::kDouble)
        return std::isnan(b.d) ? kNotComparable : CompareIntDouble(a.i, b.d);
      break;
    case ValueKind::kDouble:
      if (std::isnan(a.d)) break;
      if (b.kind == ValueKind::kDouble) {
        if (std::isnan(b.d)) break;
        return a.d < b.d ? -1 : a.d > b.d ? 1 : 0;
      }
      if (b.kind == ValueKind::kInt) return -CompareIntDouble(b.i, a.d);
      break;
    case ValueKind::kString:
      if (b.kind == ValueKind::kString) return CompareStrings(a.s, b.s);
      break;
    case ValueKind::kBool:
      if (b.kind == ValueKind::kBool) return static_cast<int>(a.b) - static_cast<int>(b.b);
      break;
    case ValueKind::kNull:
      break;
  }
  return kNotComparable;
}

Value Compare(CmpOp op, const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return Value::Null();
  const int c = ThreeWay(a, b);
  if (c == kNotComparable) {
    // NaN compares false to everything, even itself, except with <> (Java's double rules).
    const bool nan = (a.kind == ValueKind::kDouble && std::isnan(a.d)) ||
                     (b.kind == ValueKind::kDouble && std::isnan(b.d));
    if (nan && (a.kind != ValueKind::kString && b.kind != ValueKind::kString &&
                a.kind != ValueKind::kBool && b.kind != ValueKind::kBool)) {
      return Value::Bool(op == CmpOp::kNe);
    }
    return Value::Null();
  }
  return ApplyCmp(op, c);
}

// ---------------------------------------------------------------------------------------------
// LIKE

namespace {

// Bytes in the UTF-8 sequence led by `c` (1 for a stray continuation or invalid byte).
inline size_t CodePointLength(unsigned char c) {
  if (c < 0xC0) return 1;
  if (c < 0xE0) return 2;
  if (c < 0xF0) return 3;
  return 4;
}

inline size_t NextCodePoint(std::string_view s, size_t i) {
  return std::min(s.size(), i + CodePointLength(static_cast<unsigned char>(s[i])));
}

inline bool StartsWithAt(std::string_view s, size_t at, std::string_view lit, bool ci) {
  if (s.size() - at < lit.size()) return false;
  if (!ci) return std::memcmp(s.data() + at, lit.data(), lit.size()) == 0;
  for (size_t k = 0; k < lit.size(); ++k) {
    if (AsciiToLower(s[at + k]) != lit[k]) return false;
  }
  return true;
}

// The locale whose towlower/towupper map case (C.UTF-8 is built into glibc), or none: then only
// ASCII letters change case.
locale_t CaseLocale() {
  static const locale_t loc = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
    if (l == static_cast<locale_t>(0)) {
      l = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", static_cast<locale_t>(0));
    }
    return l;
  }();
  return loc;
}

// Decodes one UTF-8 sequence at s[i]: its code point and length, or length 0 when not UTF-8.
inline size_t DecodeUtf8(std::string_view s, size_t i, char32_t* cp) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80                ? 1
             : c >= 0xC2 && c < 0xE0 ? 2
             : c >= 0xE0 && c < 0xF0 ? 3
             : c >= 0xF0 && c < 0xF5 ? 4
                                     : 0;
  if (n == 0 || i + n > s.size()) return 0;
  char32_t v = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
  for (size_t k = 1; k < n; ++k) {
    const unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    v = (v << 6) | (d & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
      (v >= 0xD800 && v <= 0xDFFF)) {
    return 0;
  }
  *cp = v;
  return n;
}

inline void AppendUtf8(char32_t v, std::string* out) {
  if (v < 0x80) {
    out->push_back(static_cast<char>(v));
  } else if (v < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (v >> 6)));
    out->push_back(static_cast<char>(0x80 | (v & 0x3F)));
  } else if (v < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (v >> 12)));
    out->push_back(static_cast<char>(0x80 | ((v >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (v & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (v >> 18)));
    out->push_back(static_cast<char>(0x80 | ((v >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((v >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (v & 0x3F)));
  }
}

}  // namespace

void ChangeCaseUnicode(std::string_view s, bool upper, std::string* out) {
  const locale_t loc = CaseLocale();
  for (size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) {  // not UTF-8: kept as it is
      out->push_back(s[i++]);
      continue;
    }
    if (n == 1) {
      const char c = s[i];
      out->push_back(upper ? ((c >= 'a' && c <= 'z') ? static_cast<char>(c ^ 0x20) : c)
                           : AsciiToLower(c));
    } else if (loc == static_cast<locale_t>(0)) {
      out->append(s.substr(i, n));
    } else {
      const wint_t mapped = upper ? towupper_l(static_cast<wint_t>(cp), loc)
                                  : towlower_l(static_cast<wint_t>(cp), loc);
      AppendUtf8(static_cast<char32_t>(mapped), out);
    }
    i += n;
  }
}

Status LikeMatcher::Compile(std::string_view pattern, int escape, bool case_insensitive) {
  ci_ = case_insensitive;
  tokens_.clear();
  literals_.clear();
  std::string lit;
  auto flush = [&] {
    if (!lit.empty() && ci_ && HasNonAscii(lit)) {
      std::string lowered;
      ChangeCaseUnicode(lit, /*upper=*/false, &lowered);
      lit = std::move(lowered);
    }
    if (!lit.empty()) {
      tokens_.push_back({TokenKind::kLiteral, static_cast<uint32_t>(literals_.size()),
                         static_cast<uint32_t>(lit.size())});
      literals_ += lit;
      lit.clear();
    }
  };
  for (size_t k = 0; k < pattern.size(); ++k) {
    const char c = pattern[k];
    if (escape >= 0 && static_cast<unsigned char>(c) == escape) {
      // The escape makes the next character literal; a trailing escape is itself.
      if (k + 1 < pattern.size()) ++k;
      const char e = pattern[k];
      lit.push_back(ci_ ? AsciiToLower(e) : e);
    } else if (c == '%') {
      flush();
      if (tokens_.empty() || tokens_.back().kind != TokenKind::kAnyRun) {
        tokens_.push_back({TokenKind::kAnyRun, 0, 0});
      }
    } else if (c == '_') {
      flush();
      tokens_.push_back({TokenKind::kAnyOne, 0, 0});
    } else {
      lit.push_back(ci_ ? AsciiToLower(c) : c);
    }
  }
  flush();
  // The common shapes get a direct test.
  const size_t n = tokens_.size();
  auto is = [&](size_t k, TokenKind kind) { return k < n && tokens_[k].kind == kind; };
  shape_ = Shape::kGeneral;
  if (n == 0) {
    shape_ = Shape::kExact;
    needle_ = "";
  } else if (n == 1 && is(0, TokenKind::kLiteral)) {
    shape_ = Shape::kExact;
  } else if (n == 1 && is(0, TokenKind::kAnyRun)) {
    shape_ = Shape::kAny;
  } else if (n == 2 && is(0, TokenKind::kLiteral) && is(1, TokenKind::kAnyRun)) {
    shape_ = Shape::kPrefix;
  } else if (n == 2 && is(0, TokenKind::kAnyRun) && is(1, TokenKind::kLiteral)) {
    shape_ = Shape::kSuffix;
  } else if (n == 3 && is(0, TokenKind::kAnyRun) && is(1, TokenKind::kLiteral) &&
             is(2, TokenKind::kAnyRun)) {
    shape_ = Shape::kContains;
  }
  if (shape_ != Shape::kGeneral && shape_ != Shape::kAny) {
    for (const Token& t : tokens_) {
      if (t.kind == TokenKind::kLiteral) needle_ = literals_.substr(t.offset, t.size);
    }
  }
  return Status::OK();
}

bool LikeMatcher::Matches(std::string_view s) const {
  if (ci_ && HasNonAscii(s)) {
    // Non-ASCII letters have case too: compare the lower-cased text exactly.
    thread_local std::string lowered;
    lowered.clear();
    ChangeCaseUnicode(s, /*upper=*/false, &lowered);
    return MatchesAs(lowered, /*ci=*/false);
  }
  return MatchesAs(s, ci_);
}

bool LikeMatcher::MatchesAs(std::string_view s, bool ci) const {
  switch (shape_) {
    case Shape::kAny:
      return true;
    case Shape::kExact:
      return s.size() == needle_.size() && StartsWithAt(s, 0, needle_, ci);
    case Shape::kPrefix:
      return StartsWithAt(s, 0, needle_, ci);
    case Shape::kSuffix:
      return s.size() >= needle_.size() && StartsWithAt(s, s.size() - needle_.size(), needle_, ci);
    case Shape::kContains:
      if (ci) return ContainsIgnoreCase(s, needle_);
      if (needle_.empty()) return true;
      return memmem(s.data(), s.size(), needle_.data(), needle_.size()) != nullptr;
    case Shape::kGeneral:
      break;
  }
  // Wildcard matching with backtracking to the last '%' (linear for one '%', O(n*m) at worst).
  const size_t n = tokens_.size();
  size_t t = 0, i = 0;
  size_t star_t = SIZE_MAX, star_i = 0;
  while (true) {
    if (t < n) {
      const Token& tok = tokens_[t];
      if (tok.kind == TokenKind::kAnyRun) {
        star_t = t++;
        star_i = i;
        continue;
      }
      if (i < s.size()) {
        if (tok.kind == TokenKind::kAnyOne) {
          i = NextCodePoint(s, i);
          ++t;
          continue;
        }
        const std::string_view lit(literals_.data() + tok.offset, tok.size);
        if (StartsWithAt(s, i, lit, ci)) {
          i += lit.size();
          ++t;
          continue;
        }
      }
    } else if (i == s.size()) {
      return true;
    }
    // Mismatch: let the last '%' take one more character and retry from there.
    if (star_t == SIZE_MAX || star_i >= s.size()) return false;
    star_i = NextCodePoint(s, star_i);
    i = star_i;
    t = star_t + 1;
  }
}

}  // namespace internal

namespace {

using internal::CmpOp;
using internal::LikeMatcher;

enum class Op : uint8_t {
  kColumn,
  kLiteral,
  kArith,  // + - * / % with `arith`
  kNeg,
  kCompare,
  kCompareColumnInt,  // column <op> int literal (both INT/BIGINT/TIMESTAMP)
  kAnd,
  kOr,
  kNot,
  kIsNull,
  kIsNotNull,
  kIsTrue,
  kIsFalse,
  kIsNotTrue,
  kIsNotFalse,
  kIn,
  kInSet,
  kBetween,
  kLike,         // literal pattern: `like`
  kLikeDynamic,  // pattern (and escape) computed per record
  kRegexp,
  kRegexpDynamic,
  kCase,
  kCoalesce,
  kCast,
  kLower,
  kUpper,
  kCharLength,
  kSubstring,
  kConcat,
  kTrim,
  kAbs,
  kFloor,
  kCeil,
  kRound,
  kIf,
  kNullIf,
  kToTimestampLtz,
  kToTimestamp,
};

enum class ArithOp : uint8_t { kAdd, kSub, kMul, kDiv, kMod };
// How arithmetic computes: 64-bit integers, 32-bit (Java int: wraps), or doubles.
enum class NumMode : uint8_t { kInt64, kInt32, kDouble };

struct InSet {
  std::unordered_set<int64_t> ints;
  std::unordered_set<std::string_view> strings;  // views Node::storage
  bool strings_mode = false;
  bool has_null = false;  // a NULL in the list: a miss is NULL, not FALSE
};

struct Node {
  Op op = Op::kLiteral;
  bool negate = false;  // NOT_IN, NOT_BETWEEN, NOT_LIKE, NOT_ILIKE
  proto::TypeKind type = proto::TYPE_NULL;
  proto::TypeKind from = proto::TYPE_NULL;  // CAST: the argument's type
  int from_precision = 0;
  NumMode mode = NumMode::kInt64;
  ArithOp arith = ArithOp::kAdd;
  CmpOp cmp = CmpOp::kEq;
  bool ci = false;  // ILIKE
  int column = 0;
  int64_t scale = 1;  // TO_TIMESTAMP_LTZ: ms per unit
  Value literal;
  std::string storage;  // a string literal's bytes; never moved once literal.s views it
  std::vector<std::string> set_storage;
  std::vector<std::unique_ptr<Node>> args;
  std::unique_ptr<LikeMatcher> like;
  std::unique_ptr<RE2> re;
  std::unique_ptr<InSet> in_set;
};

Value Eval(const Node& n, const Value* row, Arena* arena);

// ---------------------------------------------------------------------------------------------
// Helpers

inline bool AsDouble(const Value& v, double* d) {
  switch (v.kind) {
    case ValueKind::kInt:
      *d = static_cast<double>(v.i);
      return true;
    case ValueKind::kDouble:
      *d = v.d;
      return true;
    case ValueKind::kBool:
      *d = v.b ? 1 : 0;
      return true;
    default:
      return false;
  }
}

inline bool AsInt(const Value& v, int64_t* i) {
  switch (v.kind) {
    case ValueKind::kInt:
      *i = v.i;
      return true;
    case ValueKind::kDouble:
      if (!(v.d >= -9223372036854775808.0 && v.d < 9223372036854775808.0)) return false;
      *i = static_cast<int64_t>(v.d);
      return true;
    case ValueKind::kBool:
      *i = v.b ? 1 : 0;
      return true;
    default:
      return false;
  }
}

inline int64_t Wrap(NumMode mode, uint64_t v) {
  return mode == NumMode::kInt32 ? static_cast<int64_t>(static_cast<int32_t>(v))
                                 : static_cast<int64_t>(v);
}

Value Arith(ArithOp op, NumMode mode, const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return Value::Null();
  if (mode == NumMode::kDouble) {
    double x, y;
    if (!AsDouble(a, &x) || !AsDouble(b, &y)) return Value::Null();
    switch (op) {
      case ArithOp::kAdd:
        return Value::Double(x + y);
      case ArithOp::kSub:
        return Value::Double(x - y);
      case ArithOp::kMul:
        return Value::Double(x * y);
      case ArithOp::kDiv:
        return y == 0 ? Value::Null() : Value::Double(x / y);
      case ArithOp::kMod:
        return y == 0 ? Value::Null() : Value::Double(std::fmod(x, y));
    }
    return Value::Null();
  }
  int64_t x, y;
  if (!AsInt(a, &x) || !AsInt(b, &y)) return Value::Null();
  // Two's complement wrap-around as Java (and Flink) overflow; computed unsigned to stay defined.
  const uint64_t ux = static_cast<uint64_t>(x), uy = static_cast<uint64_t>(y);
  switch (op) {
    case ArithOp::kAdd:
      return Value::Int(Wrap(mode, ux + uy));
    case ArithOp::kSub:
      return Value::Int(Wrap(mode, ux - uy));
    case ArithOp::kMul:
      return Value::Int(Wrap(mode, ux * uy));
    case ArithOp::kDiv:
      if (y == 0) return Value::Null();
      if (y == -1) return Value::Int(Wrap(mode, 0 - ux));  // INT64_MIN / -1 wraps
      return Value::Int(Wrap(mode, static_cast<uint64_t>(x / y)));
    case ArithOp::kMod:
      if (y == 0) return Value::Null();
      if (y == -1) return Value::Int(0);
      return Value::Int(x % y);
  }
  return Value::Null();
}

// ---------------------------------------------------------------------------------------------
// Strings

inline std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// ASCII whitespace, for reading numbers and booleans from strings (as Java's trim()).
inline std::string_view TrimWhitespace(std::string_view s) {
  auto ws = [](char c) { return static_cast<unsigned char>(c) <= ' '; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

Value ChangeCase(std::string_view s, bool upper, Arena* arena) {
  if (internal::HasNonAscii(s)) {
    thread_local std::string mapped;
    mapped.clear();
    internal::ChangeCaseUnicode(s, upper, &mapped);
    if (mapped == s) return Value::String(s);
    char* out = arena->Allocate(mapped.size());
    std::memcpy(out, mapped.data(), mapped.size());
    return Value::String({out, mapped.size()});
  }
  const char lo = upper ? 'a' : 'A';
  const char hi = upper ? 'z' : 'Z';
  size_t k = 0;
  while (k < s.size() && !(s[k] >= lo && s[k] <= hi)) ++k;
  if (k == s.size()) return Value::String(s);  // nothing to change: no copy
  char* out = arena->Allocate(s.size());
  std::memcpy(out, s.data(), k);
  for (; k < s.size(); ++k) {
    const char c = s[k];
    out[k] = (c >= lo && c <= hi) ? static_cast<char>(c ^ 0x20) : c;
  }
  return Value::String({out, s.size()});
}

inline int64_t CountCodePoints(std::string_view s) {
  int64_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Byte offset of code point `cp` (0-based) in s, or s.size() past the end.
inline size_t CodePointOffset(std::string_view s, int64_t cp) {
  size_t i = 0;
  for (; i < s.size() && cp > 0; --cp) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

// SUBSTRING as Flink's SqlFunctionUtils.subString: 1-based; a start of 0 is 1; a negative
// start counts from the end (before the first character: ""); a negative length is NULL.
Value Substring(std::string_view s, int64_t start, int64_t len, bool has_len) {
  if (has_len && len < 0) return Value::Null();
  if (s.empty()) return Value::String(s);
  const int64_t chars = CountCodePoints(s);
  int64_t begin;
  if (start > 0) {
    begin = start - 1;
    if (begin >= chars) return Value::String(s.substr(0, 0));
  } else if (start < 0) {
    begin = chars + start;
    if (begin < 0) return Value::String(s.substr(0, 0));
  } else {
    begin = 0;
  }
  const int64_t end = (!has_len || chars - begin < len) ? chars : begin + len;
  const size_t b = CodePointOffset(s, begin);
  const size_t e = b + CodePointOffset(s.substr(b), end - begin);
  return Value::String(s.substr(b, e - b));
}

// ---------------------------------------------------------------------------------------------
// CAST

// Integers from strings as Flink reads them: optional sign, digits, an optional fraction that
// is truncated ("1.9" is 1); surrounding whitespace ignored.
bool ParseIntText(std::string_view s, int64_t* out) {
  s = TrimWhitespace(s);
  if (s.empty()) return false;
  size_t k = 0;
  const bool negative = s[0] == '-';
  if (s[0] == '-' || s[0] == '+') ++k;
  const size_t digits_begin = k;
  uint64_t magnitude = 0;
  for (; k < s.size() && s[k] >= '0' && s[k] <= '9'; ++k) {
    const uint64_t d = static_cast<uint64_t>(s[k] - '0');
    if (magnitude > (UINT64_MAX - d) / 10) return false;
    magnitude = magnitude * 10 + d;
  }
  bool any_digit = k > digits_begin;
  if (k < s.size() && s[k] == '.') {
    ++k;
    const size_t frac_begin = k;
    while (k < s.size() && s[k] >= '0' && s[k] <= '9') ++k;
    any_digit = any_digit || k > frac_begin;
  }
  if (!any_digit || k != s.size()) return false;
  const uint64_t limit = static_cast<uint64_t>(INT64_MAX) + (negative ? 1 : 0);
  if (magnitude > limit) return false;
  *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

bool ParseDoubleText(std::string_view s, double* out) {
  s = TrimWhitespace(s);
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  if (s == "Infinity" || s == "-Infinity") {
    *out = s[0] == '-' ? -std::numeric_limits<double>::infinity()
                       : std::numeric_limits<double>::infinity();
    return true;
  }
  const auto res = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (res.ptr != s.data() + s.size()) return false;
  if (res.ec == std::errc::result_out_of_range) return false;
  return res.ec == std::errc();
}

bool ParseBoolText(std::string_view s, bool* out) {
  s = TrimWhitespace(s);
  if (s.size() > 5) return false;
  char buf[5];
  for (size_t k = 0; k < s.size(); ++k) buf[k] = AsciiToLower(s[k]);
  const std::string_view l(buf, s.size());
  if (l == "t" || l == "true" || l == "y" || l == "yes" || l == "1") {
    *out = true;
    return true;
  }
  if (l == "f" || l == "false" || l == "n" || l == "no" || l == "0") {
    *out = false;
    return true;
  }
  return false;
}

bool ParseTimestampCast(std::string_view s, int64_t* ms) {
  s = TrimWhitespace(s);
  if (internal::ParseTimestampText(s, ms)) return true;
  if (s.size() == 10) {  // a date alone: its midnight
    char buf[20];
    std::memcpy(buf, s.data(), 10);
    std::memcpy(buf + 10, " 00:00:00Z", 10);
    return ParseRfc3339Millis(std::string_view(buf, 20), ms);
  }
  return false;
}

inline bool IsTimestamp(proto::TypeKind k) {
  return k == proto::TYPE_TIMESTAMP || k == proto::TYPE_TIMESTAMP_LTZ;
}

inline bool IsInteger(proto::TypeKind k) { return k == proto::TYPE_INT || k == proto::TYPE_BIGINT; }

Value ToString(const Value& v, proto::TypeKind from, int precision, Arena* arena) {
  char buf[internal::kFormatBufferSize];
  size_t n = 0;
  switch (v.kind) {
    case ValueKind::kNull:
      return Value::Null();
    case ValueKind::kString:
      return v;
    case ValueKind::kBool:
      return Value::String(v.b ? "TRUE" : "FALSE");  // static storage
    case ValueKind::kInt:
      if (IsTimestamp(from)) {
        n = internal::FormatTimestamp(v.i, precision, buf);
      } else if (from == proto::TYPE_DOUBLE) {
        n = internal::FormatDouble(static_cast<double>(v.i), buf);
      } else {
        n = static_cast<size_t>(std::to_chars(buf, buf + sizeof buf, v.i).ptr - buf);
      }
      break;
    case ValueKind::kDouble:
      n = internal::FormatDouble(v.d, buf);
      break;
  }
  return Value::String(arena->Copy(std::string_view(buf, n)));
}

// TRY_CAST semantics: input the target cannot hold is NULL. Documented in exec/README.md.
Value Cast(const Value& v, proto::TypeKind from, int precision, proto::TypeKind to, Arena* arena) {
  if (v.is_null()) return v;
  switch (to) {
    case proto::TYPE_NULL:
      return Value::Null();
    case proto::TYPE_STRING:
      return ToString(v, from, precision, arena);
    case proto::TYPE_BOOLEAN:
      switch (v.kind) {
        case ValueKind::kBool:
          return v;
        case ValueKind::kInt:
          if (IsTimestamp(from)) return Value::Null();
          return Value::Bool(v.i != 0);
        case ValueKind::kDouble:
          return Value::Bool(v.d != 0);
        case ValueKind::kString: {
          bool b;
          return ParseBoolText(v.s, &b) ? Value::Bool(b) : Value::Null();
        }
        default:
          return Value::Null();
      }
    case proto::TYPE_INT:
    case proto::TYPE_BIGINT: {
      int64_t i = 0;
      switch (v.kind) {
        case ValueKind::kBool:
          i = v.b ? 1 : 0;
          break;
        case ValueKind::kInt:
          // A timestamp as a number is its epoch seconds (Flink's rule for TIMESTAMP_LTZ).
          i = IsTimestamp(from) ? FloorDiv(v.i, 1000) : v.i;
          break;
        case ValueKind::kDouble:
          if (!(v.d > -9223372036854775809.0 && v.d < 9223372036854775808.0)) return Value::Null();
          i = static_cast<int64_t>(v.d);
          break;
        case ValueKind::kString:
          if (!ParseIntText(v.s, &i)) return Value::Null();
          break;
        default:
          return Value::Null();
      }
      if (to == proto::TYPE_INT &&
          (i < std::numeric_limits<int32_t>::min() || i > std::numeric_limits<int32_t>::max())) {
        return Value::Null();
      }
      return Value::Int(i);
    }
    case proto::TYPE_DOUBLE:
      switch (v.kind) {
        case ValueKind::kBool:
          return Value::Double(v.b ? 1 : 0);
        case ValueKind::kInt:
          return Value::Double(IsTimestamp(from) ? static_cast<double>(v.i) / 1000
                                                 : static_cast<double>(v.i));
        case ValueKind::kDouble:
          return v;
        case ValueKind::kString: {
          double d;
          return ParseDoubleText(v.s, &d) ? Value::Double(d) : Value::Null();
        }
        default:
          return Value::Null();
      }
    case proto::TYPE_TIMESTAMP:
    case proto::TYPE_TIMESTAMP_LTZ:
      switch (v.kind) {
        case ValueKind::kInt: {
          if (IsTimestamp(from)) return v;
          // A number is epoch seconds (the inverse of the rule above).
          int64_t ms;
          if (__builtin_mul_overflow(v.i, int64_t{1000}, &ms)) return Value::Null();
          return Value::Int(ms);
        }
        case ValueKind::kDouble: {
          const double ms = std::floor(v.d * 1000);
          if (!(ms > -9.2e18 && ms < 9.2e18)) return Value::Null();
          return Value::Int(static_cast<int64_t>(ms));
        }
        case ValueKind::kString: {
          int64_t ms;
          return ParseTimestampCast(v.s, &ms) ? Value::Int(ms) : Value::Null();
        }
        default:
          return Value::Null();
      }
    default:
      return Value::Null();
  }
}

// ---------------------------------------------------------------------------------------------
// ROUND: as Flink, half away from zero on the double's shortest decimal form (BigDecimal.valueOf
// then HALF_UP), so ROUND(0.125, 2) is 0.13 although the binary 0.125... is exact here too.

double RoundDouble(double v, int64_t places) {
  if (!std::isfinite(v) || v == 0) return v;
  if (places > 340) return v;
  if (places < -340) return std::copysign(0.0, v);
  char sci[40];
  const auto res =
      std::to_chars(sci, sci + sizeof sci, std::fabs(v), std::chars_format::scientific);
  char digits[32];
  int n = 0;
  const char* p = sci;
  for (; p < res.ptr && *p != 'e'; ++p) {
    if (*p != '.') digits[n++] = *p;
  }
  int exp = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), res.ptr, exp);
  // Value = 0.d1d2...dn * 10^(exp+1). Keep the digits before position exp + 1 + places.
  const int64_t keep = static_cast<int64_t>(exp) + 1 + places;
  if (keep >= n) return v;  // already fewer digits than asked for
  if (keep < 0) return std::copysign(0.0, v);
  bool round_up = digits[keep] >= '5';
  // Rebuild digits[0..keep) (+1 at the last place) as text and read it back.
  char text[48];
  int len = 0;
  int carry = round_up ? 1 : 0;
  char kept[32];
  for (int64_t k = keep - 1; k >= 0; --k) {
    int d = digits[k] - '0' + carry;
    carry = d / 10;
    kept[k] = static_cast<char>('0' + d % 10);
  }
  int64_t e10 = exp + 1 - keep;  // value = kept * 10^e10
  text[len++] = '0' + carry;
  for (int64_t k = 0; k < keep; ++k) text[len++] = kept[k];
  text[len++] = 'e';
  len += static_cast<int>(std::to_chars(text + len, text + sizeof text, e10).ptr - (text + len));
  double out = 0;
  std::from_chars(text, text + len, out);
  return std::copysign(out, v);
}

int64_t RoundInt(int64_t v, int64_t places) {
  if (places >= 0) return v;
  if (places < -18) return 0;
  int64_t p = 1;
  for (int64_t k = 0; k < -places; ++k) p *= 10;
  const int64_t q = v / p;
  const int64_t r = v % p;
  int64_t out = q;
  if (r >= (p + 1) / 2 && r > 0 && 2 * r >= p) out = q + 1;
  if (r < 0 && -2 * r >= p) out = q - 1;
  return static_cast<int64_t>(static_cast<uint64_t>(out) * static_cast<uint64_t>(p));
}

// ---------------------------------------------------------------------------------------------
// REGEXP over a pattern computed per record: a small per-thread cache of compiled patterns.

const RE2* CachedRegexp(std::string_view pattern) {
  struct Cache {
    std::string patterns[8];
    std::unique_ptr<RE2> compiled[8];
    int next = 0;
  };
  thread_local Cache cache;
  for (int k = 0; k < 8; ++k) {
    if (cache.compiled[k] && cache.patterns[k] == pattern) return cache.compiled[k].get();
  }
  const int slot = cache.next;
  cache.next = (cache.next + 1) % 8;
  RE2::Options options;
  options.set_log_errors(false);
  cache.patterns[slot].assign(pattern);
  cache.compiled[slot] = std::make_unique<RE2>(cache.patterns[slot], options);
  return cache.compiled[slot]->ok() ? cache.compiled[slot].get() : nullptr;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

Value EvalLogic(const Node& n, const Value* row, Arena* arena) {
  // Three-valued: AND is FALSE if any is FALSE, else NULL if any is NULL; OR dually.
  const bool is_and = n.op == Op::kAnd;
  bool saw_null = false;
  for (const auto& a : n.args) {
    const Value v = Eval(*a, row, arena);
    if (v.kind != ValueKind::kBool) {
      saw_null = true;
      continue;
    }
    if (v.b != is_and) return Value::Bool(!is_and);
  }
  return saw_null ? Value::Null() : Value::Bool(is_and);
}

Value EvalIn(const Node& n, const Value* row, Arena* arena) {
  const Value x = Eval(*n.args[0], row, arena);
  if (x.is_null()) return x;
  bool saw_null = false;
  if (n.op == Op::kInSet) {
    const InSet& set = *n.in_set;
    bool hit = false;
    if (set.strings_mode) {
      hit = x.kind == ValueKind::kString && set.strings.count(x.s) > 0;
    } else if (x.kind == ValueKind::kInt) {
      hit = set.ints.count(x.i) > 0;
    } else if (x.kind == ValueKind::kDouble) {
      // Only whole doubles can equal an integer literal.
      const double t = std::trunc(x.d);
      hit = t == x.d && t >= -9.2e18 && t <= 9.2e18 && set.ints.count(static_cast<int64_t>(t));
    }
    if (hit) return Value::Bool(!n.negate);
    saw_null = set.has_null;
  } else {
    for (size_t k = 1; k < n.args.size(); ++k) {
      const Value e = Eval(*n.args[k], row, arena);
      const Value eq = internal::Compare(CmpOp::kEq, x, e);
      if (eq.kind != ValueKind::kBool) {
        saw_null = true;
      } else if (eq.b) {
        return Value::Bool(!n.negate);
      }
    }
  }
  return saw_null ? Value::Null() : Value::Bool(n.negate);
}

Value EvalBetween(const Node& n, const Value* row, Arena* arena) {
  const Value x = Eval(*n.args[0], row, arena);
  if (x.is_null()) return x;
  const Value ge = internal::Compare(CmpOp::kGe, x, Eval(*n.args[1], row, arena));
  const Value le = internal::Compare(CmpOp::kLe, x, Eval(*n.args[2], row, arena));
  Value v;
  if ((ge.kind == ValueKind::kBool && !ge.b) || (le.kind == ValueKind::kBool && !le.b)) {
    v = Value::Bool(false);
  } else if (ge.is_null() || le.is_null()) {
    return Value::Null();
  } else {
    v = Value::Bool(true);
  }
  if (n.negate) v.b = !v.b;
  return v;
}

Value EvalLikeDynamic(const Node& n, const Value* row, Arena* arena) {
  const Value s = Eval(*n.args[0], row, arena);
  const Value p = Eval(*n.args[1], row, arena);
  if (s.kind != ValueKind::kString || p.kind != ValueKind::kString) return Value::Null();
  int escape = '\\';
  if (n.args.size() > 2) {
    const Value e = Eval(*n.args[2], row, arena);
    if (e.kind != ValueKind::kString || e.s.size() > 1) return Value::Null();
    escape = e.s.empty() ? -1 : static_cast<unsigned char>(e.s[0]);
  }
  thread_local LikeMatcher matcher;  // its buffers are reused record to record
  (void)matcher.Compile(p.s, escape, n.ci);
  return Value::Bool(matcher.Matches(s.s) != n.negate);
}

Value Eval(const Node& n, const Value* row, Arena* arena) {
  switch (n.op) {
    case Op::kColumn:
      return row[n.column];
    case Op::kLiteral:
      return n.literal;
    case Op::kArith:
      return Arith(n.arith, n.mode, Eval(*n.args[0], row, arena), Eval(*n.args[1], row, arena));
    case Op::kNeg: {
      const Value a = Eval(*n.args[0], row, arena);
      if (a.is_null()) return a;
      if (n.mode == NumMode::kDouble) {
        double d;
        return AsDouble(a, &d) ? Value::Double(-d) : Value::Null();
      }
      int64_t i;
      if (!AsInt(a, &i)) return Value::Null();
      return Value::Int(Wrap(n.mode, 0 - static_cast<uint64_t>(i)));
    }
    case Op::kCompare:
      return internal::Compare(n.cmp, Eval(*n.args[0], row, arena), Eval(*n.args[1], row, arena));
    case Op::kCompareColumnInt: {
      const Value& a = row[n.column];
      if (a.kind != ValueKind::kInt) return internal::Compare(n.cmp, a, n.literal);
      const int64_t x = a.i, y = n.literal.i;
      switch (n.cmp) {
        case CmpOp::kEq:
          return Value::Bool(x == y);
        case CmpOp::kNe:
          return Value::Bool(x != y);
        case CmpOp::kLt:
          return Value::Bool(x < y);
        case CmpOp::kLe:
          return Value::Bool(x <= y);
        case CmpOp::kGt:
          return Value::Bool(x > y);
        case CmpOp::kGe:
          return Value::Bool(x >= y);
      }
      return Value::Null();
    }
    case Op::kAnd:
    case Op::kOr:
      return EvalLogic(n, row, arena);
    case Op::kNot: {
      const Value a = Eval(*n.args[0], row, arena);
      return a.kind == ValueKind::kBool ? Value::Bool(!a.b) : Value::Null();
    }
    case Op::kIsNull:
      return Value::Bool(Eval(*n.args[0], row, arena).is_null());
    case Op::kIsNotNull:
      return Value::Bool(!Eval(*n.args[0], row, arena).is_null());
    case Op::kIsTrue:
    case Op::kIsNotTrue: {
      const Value a = Eval(*n.args[0], row, arena);
      const bool t = a.kind == ValueKind::kBool && a.b;
      return Value::Bool(t == (n.op == Op::kIsTrue));
    }
    case Op::kIsFalse:
    case Op::kIsNotFalse: {
      const Value a = Eval(*n.args[0], row, arena);
      const bool f = a.kind == ValueKind::kBool && !a.b;
      return Value::Bool(f == (n.op == Op::kIsFalse));
    }
    case Op::kIn:
    case Op::kInSet:
      return EvalIn(n, row, arena);
    case Op::kBetween:
      return EvalBetween(n, row, arena);
    case Op::kLike: {
      const Value s = Eval(*n.args[0], row, arena);
      if (s.kind != ValueKind::kString) return Value::Null();
      return Value::Bool(n.like->Matches(s.s) != n.negate);
    }
    case Op::kLikeDynamic:
      return EvalLikeDynamic(n, row, arena);
    case Op::kRegexp: {
      const Value s = Eval(*n.args[0], row, arena);
      if (s.kind != ValueKind::kString) return Value::Null();
      return Value::Bool(RE2::PartialMatch(re2::StringPiece(s.s.data(), s.s.size()), *n.re));
    }
    case Op::kRegexpDynamic: {
      const Value s = Eval(*n.args[0], row, arena);
      const Value p = Eval(*n.args[1], row, arena);
      if (s.kind != ValueKind::kString || p.kind != ValueKind::kString) return Value::Null();
      const RE2* re = CachedRegexp(p.s);
      if (re == nullptr) return Value::Null();
      return Value::Bool(RE2::PartialMatch(re2::StringPiece(s.s.data(), s.s.size()), *re));
    }
    case Op::kCase: {
      const size_t pairs = (n.args.size() - 1) / 2;
      for (size_t k = 0; k < pairs; ++k) {
        if (IsTrue(Eval(*n.args[2 * k], row, arena))) return Eval(*n.args[2 * k + 1], row, arena);
      }
      return Eval(*n.args.back(), row, arena);
    }
    case Op::kCoalesce:
      for (const auto& a : n.args) {
        const Value v = Eval(*a, row, arena);
        if (!v.is_null()) return v;
      }
      return Value::Null();
    case Op::kCast:
      return Cast(Eval(*n.args[0], row, arena), n.from, n.from_precision, n.type, arena);
    case Op::kLower:
    case Op::kUpper: {
      const Value s = Eval(*n.args[0], row, arena);
      if (s.kind != ValueKind::kString) return Value::Null();
      return ChangeCase(s.s, n.op == Op::kUpper, arena);
    }
    case Op::kCharLength: {
      const Value s = Eval(*n.args[0], row, arena);
      if (s.kind != ValueKind::kString) return Value::Null();
      return Value::Int(CountCodePoints(s.s));
    }
    case Op::kSubstring: {
      const Value s = Eval(*n.args[0], row, arena);
      const Value start = Eval(*n.args[1], row, arena);
      int64_t b, len = 0;
      if (s.kind != ValueKind::kString || !AsInt(start, &b)) return Value::Null();
      if (n.args.size() > 2 && !AsInt(Eval(*n.args[2], row, arena), &len)) return Value::Null();
      return Substring(s.s, b, len, n.args.size() > 2);
    }
    case Op::kConcat: {
      // Two passes: the parts, then one allocation for the whole.
      constexpr size_t kMaxParts = 16;
      Value parts[kMaxParts];
      const size_t count = std::min(n.args.size(), kMaxParts);
      size_t total = 0;
      for (size_t k = 0; k < count; ++k) {
        Value v = Eval(*n.args[k], row, arena);
        if (v.is_null()) return Value::Null();
        if (v.kind != ValueKind::kString) {
          v = ToString(v, n.args[k]->type, 0, arena);
        }
        parts[k] = v;
        total += v.s.size();
      }
      char* out = arena->Allocate(total);
      size_t at = 0;
      for (size_t k = 0; k < count; ++k) {
        if (!parts[k].s.empty()) std::memcpy(out + at, parts[k].s.data(), parts[k].s.size());
        at += parts[k].s.size();
      }
      return Value::String({out, total});
    }
    case Op::kTrim: {
      const Value s = Eval(*n.args[0], row, arena);
      if (s.kind != ValueKind::kString) return Value::Null();
      return Value::String(TrimSpaces(s.s));
    }
    case Op::kAbs: {
      const Value a = Eval(*n.args[0], row, arena);
      if (a.kind == ValueKind::kDouble) return Value::Double(std::fabs(a.d));
      if (a.kind == ValueKind::kInt) {
        const uint64_t u = static_cast<uint64_t>(a.i);
        return Value::Int(Wrap(n.mode, a.i < 0 ? 0 - u : u));
      }
      return Value::Null();
    }
    case Op::kFloor:
    case Op::kCeil: {
      const Value a = Eval(*n.args[0], row, arena);
      if (a.kind == ValueKind::kInt) return a;
      if (a.kind != ValueKind::kDouble) return Value::Null();
      const double r = n.op == Op::kFloor ? std::floor(a.d) : std::ceil(a.d);
      if (n.mode == NumMode::kDouble) return Value::Double(r);
      int64_t i;
      return AsInt(Value::Double(r), &i) ? Value::Int(i) : Value::Null();
    }
    case Op::kRound: {
      const Value a = Eval(*n.args[0], row, arena);
      int64_t places = 0;
      if (n.args.size() > 1 && !AsInt(Eval(*n.args[1], row, arena), &places)) {
        return Value::Null();
      }
      if (a.kind == ValueKind::kInt) return Value::Int(RoundInt(a.i, places));
      if (a.kind != ValueKind::kDouble) return Value::Null();
      const double r = RoundDouble(a.d, places);
      if (n.mode == NumMode::kDouble) return Value::Double(r);
      int64_t i;
      return AsInt(Value::Double(r), &i) ? Value::Int(i) : Value::Null();
    }
    case Op::kIf:
      return IsTrue(Eval(*n.args[0], row, arena)) ? Eval(*n.args[1], row, arena)
                                                  : Eval(*n.args[2], row, arena);
    case Op::kNullIf: {
      const Value a = Eval(*n.args[0], row, arena);
      if (IsTrue(internal::Compare(CmpOp::kEq, a, Eval(*n.args[1], row, arena)))) {
        return Value::Null();
      }
      return a;
    }
    case Op::kToTimestampLtz: {
      const Value a = Eval(*n.args[0], row, arena);
      if (a.kind == ValueKind::kInt) {
        int64_t ms;
        if (__builtin_mul_overflow(a.i, n.scale, &ms)) return Value::Null();
        return Value::Int(ms);
      }
      if (a.kind == ValueKind::kDouble) {
        const double ms = std::floor(a.d * static_cast<double>(n.scale));
        if (!(ms > -9.2e18 && ms < 9.2e18)) return Value::Null();
        return Value::Int(static_cast<int64_t>(ms));
      }
      return Value::Null();
    }
    case Op::kToTimestamp: {
      const Value s = Eval(*n.args[0], row, arena);
      if (s.kind != ValueKind::kString) return Value::Null();
      int64_t ms;
      return ParseTimestampCast(s.s, &ms) ? Value::Int(ms) : Value::Null();
    }
  }
  return Value::Null();
}

// ---------------------------------------------------------------------------------------------
// Compilation

struct FnInfo {
  Op op;
  int min_args;
  int max_args;  // -1: any
};

const std::unordered_map<std::string_view, FnInfo>& Functions() {
  static const auto* const kFunctions = new std::unordered_map<std::string_view, FnInfo>{
      {"+", {Op::kArith, 2, 2}},
      {"-", {Op::kArith, 2, 2}},
      {"*", {Op::kArith, 2, 2}},
      {"/", {Op::kArith, 2, 2}},
      {"%", {Op::kArith, 2, 2}},
      {"MOD", {Op::kArith, 2, 2}},
      {"NEG", {Op::kNeg, 1, 1}},
      {"=", {Op::kCompare, 2, 2}},
      {"<>", {Op::kCompare, 2, 2}},
      {"<", {Op::kCompare, 2, 2}},
      {"<=", {Op::kCompare, 2, 2}},
      {">", {Op::kCompare, 2, 2}},
      {">=", {Op::kCompare, 2, 2}},
      {"AND", {Op::kAnd, 1, -1}},
      {"OR", {Op::kOr, 1, -1}},
      {"NOT", {Op::kNot, 1, 1}},
      {"IS_NULL", {Op::kIsNull, 1, 1}},
      {"IS_NOT_NULL", {Op::kIsNotNull, 1, 1}},
      {"IS_TRUE", {Op::kIsTrue, 1, 1}},
      {"IS_FALSE", {Op::kIsFalse, 1, 1}},
      {"IS_NOT_TRUE", {Op::kIsNotTrue, 1, 1}},
      {"IS_NOT_FALSE", {Op::kIsNotFalse, 1, 1}},
      {"IN", {Op::kIn, 2, -1}},
      {"NOT_IN", {Op::kIn, 2, -1}},
      {"BETWEEN", {Op::kBetween, 3, 3}},
      {"NOT_BETWEEN", {Op::kBetween, 3, 3}},
      {"LIKE", {Op::kLike, 2, 3}},
      {"NOT_LIKE", {Op::kLike, 2, 3}},
      {"ILIKE", {Op::kLike, 2, 3}},
      {"NOT_ILIKE", {Op::kLike, 2, 3}},
      {"REGEXP", {Op::kRegexp, 2, 2}},
      {"REGEXP_LIKE", {Op::kRegexp, 2, 2}},
      {"CASE", {Op::kCase, 1, -1}},
      {"CAST", {Op::kCast, 1, 1}},
      {"TRY_CAST", {Op::kCast, 1, 1}},
      {"COALESCE", {Op::kCoalesce, 1, -1}},
      {"LOWER", {Op::kLower, 1, 1}},
      {"UPPER", {Op::kUpper, 1, 1}},
      {"CHAR_LENGTH", {Op::kCharLength, 1, 1}},
      {"CHARACTER_LENGTH", {Op::kCharLength, 1, 1}},
      {"SUBSTRING", {Op::kSubstring, 2, 3}},
      {"CONCAT", {Op::kConcat, 1, 16}},
      {"||", {Op::kConcat, 2, 2}},
      {"TRIM", {Op::kTrim, 1, 1}},
      {"ABS", {Op::kAbs, 1, 1}},
      {"FLOOR", {Op::kFloor, 1, 1}},
      {"CEIL", {Op::kCeil, 1, 1}},
      {"CEILING", {Op::kCeil, 1, 1}},
      {"ROUND", {Op::kRound, 1, 2}},
      {"IF", {Op::kIf, 3, 3}},
      {"NULLIF", {Op::kNullIf, 2, 2}},
      {"TO_TIMESTAMP_LTZ", {Op::kToTimestampLtz, 1, 2}},
      {"TO_TIMESTAMP", {Op::kToTimestamp, 1, 1}},
  };
  return *kFunctions;
}

NumMode ModeOf(proto::TypeKind k) {
  switch (k) {
    case proto::TYPE_DOUBLE:
      return NumMode::kDouble;
    case proto::TYPE_INT:
      return NumMode::kInt32;
    default:
      return NumMode::kInt64;
  }
}

Status Error(const proto::Expr& e, const std::string& what) {
  const std::string text = e.text().empty() ? e.ShortDebugString() : e.text();
  return Status::InvalidArgument("expression '" + text + "': " + what);
}

Value LiteralValue(const proto::Literal& lit, proto::TypeKind type, std::string* storage) {
  if (lit.is_null()) return Value::Null();
  switch (lit.value_case()) {
    case proto::Literal::kBoolValue:
      return Value::Bool(lit.bool_value());
    case proto::Literal::kIntValue:
      if (type == proto::TYPE_DOUBLE) return Value::Double(static_cast<double>(lit.int_value()));
      return Value::Int(lit.int_value());
    case proto::Literal::kDoubleValue:
      if (IsInteger(type) || IsTimestamp(type)) {
        return Value::Int(static_cast<int64_t>(lit.double_value()));
      }
      return Value::Double(lit.double_value());
    case proto::Literal::kStringValue:
      *storage = lit.string_value();
      return Value::String(*storage);
    case proto::Literal::VALUE_NOT_SET:
      return Value::Null();
  }
  return Value::Null();
}

bool IsLiteralNode(const Node& n) { return n.op == Op::kLiteral; }

// A literal string argument's text, or nullptr (also for a NULL literal: `*is_null`).
const Value* LiteralArg(const Node& n) { return n.op == Op::kLiteral ? &n.literal : nullptr; }

Result<std::unique_ptr<Node>> CompileNode(const proto::Expr& e);

Status CompileCall(const proto::Expr& e, Node* n) {
  const proto::Call& call = e.call();
  const auto& fns = Functions();
  const auto it = fns.find(call.fn());
  if (it == fns.end()) return Error(e, "unknown function " + call.fn());
  const FnInfo& info = it->second;
  const int argc = call.args_size();
  if (argc < info.min_args || (info.max_args >= 0 && argc > info.max_args)) {
    return Error(e, call.fn() + " takes " + std::to_string(info.min_args) +
                        (info.max_args == info.min_args ? ""
                         : info.max_args < 0            ? " or more"
                                                        : " to " + std::to_string(info.max_args)) +
                        " arguments, not " + std::to_string(argc));
  }
  for (const proto::Expr& a : call.args()) {
    SPATE_ASSIGN_OR_RETURN(auto arg, CompileNode(a));
    n->args.push_back(std::move(arg));
  }
  n->op = info.op;
  const std::string& fn = call.fn();
  n->negate = fn.rfind("NOT_", 0) == 0;
  n->mode = ModeOf(n->type);
  switch (info.op) {
    case Op::kArith:
      n->arith = fn == "+"   ? ArithOp::kAdd
                 : fn == "-" ? ArithOp::kSub
                 : fn == "*" ? ArithOp::kMul
                 : fn == "/" ? ArithOp::kDiv
                             : ArithOp::kMod;
      if (IsTimestamp(n->type)) n->mode = NumMode::kInt64;
      break;
    case Op::kCompare:
      n->cmp = fn == "="    ? CmpOp::kEq
               : fn == "<>" ? CmpOp::kNe
               : fn == "<"  ? CmpOp::kLt
               : fn == "<=" ? CmpOp::kLe
               : fn == ">"  ? CmpOp::kGt
                            : CmpOp::kGe;
      // column <op> integer literal: the most common filter, evaluated without recursion.
      if (n->args[0]->op == Op::kColumn && n->args[1]->op == Op::kLiteral &&
          n->args[1]->literal.kind == ValueKind::kInt) {
        n->op = Op::kCompareColumnInt;
        n->column = n->args[0]->column;
        n->literal = n->args[1]->literal;
      }
      break;
    case Op::kCase:
      if (argc % 2 != 1) return Error(e, "CASE needs WHEN/THEN pairs and an ELSE");
      break;
    case Op::kIn: {
      bool all_literal = true;
      bool all_int = true, all_string = true;
      for (int k = 1; k < argc; ++k) {
        const Node& a = *n->args[k];
        if (!IsLiteralNode(a)) {
          all_literal = false;
          break;
        }
        if (a.literal.is_null()) continue;
        all_int = all_int && a.literal.kind == ValueKind::kInt;
        all_string = all_string && a.literal.kind == ValueKind::kString;
      }
      if (all_literal && (all_int || all_string)) {
        auto set = std::make_unique<InSet>();
        set->strings_mode = all_string && !all_int;
        for (int k = 1; k < argc; ++k) {
          const Value& v = n->args[k]->literal;
          if (v.is_null()) {
            set->has_null = true;
          } else if (set->strings_mode) {
            set->strings.insert(v.s);  // views the literal node's storage, kept in args
          } else {
            set->ints.insert(v.i);
          }
        }
        if (all_int && all_string) set->strings_mode = false;  // only NULLs: nothing matches
        n->in_set = std::move(set);
        n->op = Op::kInSet;
      }
      break;
    }
    case Op::kLike: {
      n->ci = fn == "ILIKE" || fn == "NOT_ILIKE";
      // LOWER(x) LIKE 'pattern without upper case' is x ILIKE 'pattern': no copy of x.
      if (n->args[0]->op == Op::kLower) {
        const Value* p = LiteralArg(*n->args[1]);
        // (A pattern with upper-case letters never matches lower-cased text; rewritten, it would.)
        bool lower_pattern =
            p != nullptr && p->kind == ValueKind::kString &&
            std::none_of(p->s.begin(), p->s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
        if (lower_pattern && internal::HasNonAscii(p->s)) {
          std::string lowered;
          internal::ChangeCaseUnicode(p->s, /*upper=*/false, &lowered);
          lower_pattern = lowered == p->s;
        }
        if (n->ci || lower_pattern) {
          n->args[0] = std::move(n->args[0]->args[0]);
          n->ci = true;
        }
      }
      const Value* p = LiteralArg(*n->args[1]);
      const Value* esc = argc > 2 ? LiteralArg(*n->args[2]) : nullptr;
      if (p != nullptr && (argc == 2 || esc != nullptr)) {
        if (p->is_null() || (esc != nullptr && esc->is_null())) {
          n->op = Op::kLiteral;  // LIKE NULL is NULL
          n->literal = Value::Null();
          n->args.clear();
          break;
        }
        if (p->kind != ValueKind::kString) return Error(e, "LIKE pattern is not a string");
        int escape = '\\';
        if (esc != nullptr) {
          if (esc->kind != ValueKind::kString || esc->s.size() > 1) {
            return Error(e, "ESCAPE must be one character");
          }
          escape = esc->s.empty() ? -1 : static_cast<unsigned char>(esc->s[0]);
        }
        n->like = std::make_unique<LikeMatcher>();
        SPATE_RETURN_IF_ERROR(n->like->Compile(p->s, escape, n->ci));
      } else {
        n->op = Op::kLikeDynamic;
      }
      break;
    }
    case Op::kRegexp: {
      const Value* p = LiteralArg(*n->args[1]);
      if (p == nullptr) {
        n->op = Op::kRegexpDynamic;
        break;
      }
      if (p->is_null()) {
        n->op = Op::kLiteral;
        n->literal = Value::Null();
        n->args.clear();
        break;
      }
      if (p->kind != ValueKind::kString) return Error(e, "REGEXP pattern is not a string");
      RE2::Options options;
      options.set_log_errors(false);
      n->re = std::make_unique<RE2>(re2::StringPiece(p->s.data(), p->s.size()), options);
      if (!n->re->ok()) return Error(e, "bad regular expression: " + n->re->error());
      break;
    }
    case Op::kCast:
      n->from = call.args(0).type().kind();
      n->from_precision = call.args(0).type().precision();
      break;
    case Op::kToTimestampLtz: {
      int64_t precision = 3;
      if (argc > 1) {
        const Value* p = LiteralArg(*n->args[1]);
        if (p == nullptr || p->kind != ValueKind::kInt) {
          return Error(e, "TO_TIMESTAMP_LTZ precision must be the literal 0 or 3");
        }
        precision = p->i;
      }
      if (precision != 0 && precision != 3) {
        return Error(e,
                     "TO_TIMESTAMP_LTZ precision must be 0 or 3, not " + std::to_string(precision));
      }
      n->scale = precision == 0 ? 1000 : 1;
      break;
    }
    case Op::kAbs:
    case Op::kFloor:
    case Op::kCeil:
    case Op::kRound:
    case Op::kNeg:
      break;
    default:
      break;
  }
  return Status::OK();
}

// Folds a call over literals only into a literal (all functions here are deterministic).
void FoldConstants(Node* n) {
  if (n->op == Op::kLiteral || n->op == Op::kColumn || n->args.empty()) return;
  for (const auto& a : n->args) {
    if (a->op != Op::kLiteral) return;
  }
  Arena arena;
  const Value v = Eval(*n, nullptr, &arena);
  n->op = Op::kLiteral;
  n->literal = v;
  if (v.kind == ValueKind::kString) {
    n->storage.assign(v.s);
    n->literal.s = n->storage;
  }
  n->args.clear();
  n->like.reset();
  n->re.reset();
  n->in_set.reset();
}

Result<std::unique_ptr<Node>> CompileNode(const proto::Expr& e) {
  auto n = std::make_unique<Node>();
  n->type = e.type().kind();
  switch (e.kind_case()) {
    case proto::Expr::kColumn:
      if (e.column() < 0) return Error(e, "negative column index");
      n->op = Op::kColumn;
      n->column = e.column();
      return n;
    case proto::Expr::kLiteral:
      n->op = Op::kLiteral;
      n->literal = LiteralValue(e.literal(), n->type, &n->storage);
      return n;
    case proto::Expr::kCall:
      SPATE_RETURN_IF_ERROR(CompileCall(e, n.get()));
      FoldConstants(n.get());
      return n;
    case proto::Expr::KIND_NOT_SET:
      return Error(e, "empty expression");
  }
  return Error(e, "unknown expression kind");
}

class CompiledExprImpl final : public CompiledExpr {
 public:
  explicit CompiledExprImpl(std::unique_ptr<Node> root) : root_(std::move(root)) {}
  Value Eval(const Value* row, Arena* arena) const override {
    return exec::Eval(*root_, row, arena);
  }

 private:
  std::unique_ptr<Node> root_;
};

}  // namespace

Result<std::unique_ptr<CompiledExpr>> CompiledExpr::Compile(const proto::Expr& expr) {
  SPATE_ASSIGN_OR_RETURN(auto root, CompileNode(expr));
  return std::unique_ptr<CompiledExpr>(std::make_unique<CompiledExprImpl>(std::move(root)));
}

}  // namespace spate::exec
