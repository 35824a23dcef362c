// Run-time values of SQL jobs and the arena that owns the strings expressions make.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace spate::exec {

/// The physical kind of a value. INT, BIGINT and both TIMESTAMP types are kInt (timestamps as
/// epoch milliseconds); the plan's DataType says which logical type a column has.
enum class ValueKind : uint8_t { kNull = 0, kBool, kInt, kDouble, kString };

/// One value. Trivially copyable; a string views memory owned elsewhere (the record's bytes, a
/// decoder's scratch, or an Arena), valid as documented by whoever produced it.
struct Value {
  ValueKind kind = ValueKind::kNull;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string_view s;

  static Value Null() { return {}; }
  static Value Bool(bool v) {
    Value x;
    x.kind = ValueKind::kBool;
    x.b = v;
    return x;
  }
  static Value Int(int64_t v) {
    Value x;
    x.kind = ValueKind::kInt;
    x.i = v;
    return x;
  }
  static Value Double(double v) {
    Value x;
    x.kind = ValueKind::kDouble;
    x.d = v;
    return x;
  }
  static Value String(std::string_view v) {
    Value x;
    x.kind = ValueKind::kString;
    x.s = v;
    return x;
  }
  bool is_null() const { return kind == ValueKind::kNull; }
};

/// Bump allocator for strings made while evaluating one record (LOWER, CONCAT, CAST...).
/// Reset() after each record frees everything at once; memory is kept for reuse, so the steady
/// state allocates nothing. Not thread-safe.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  /// `n` bytes, valid until Reset().
  char* Allocate(size_t n);
  /// A copy of `s`, valid until Reset().
  std::string_view Copy(std::string_view s);
  void Reset();

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<size_t> sizes_;
  size_t block_ = 0;  // the block being filled
  size_t used_ = 0;   // bytes used in it
};

}  // namespace spate::exec
