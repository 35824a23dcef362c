// Type helpers of the analyzer: names as SQL writes them, the implicit widening rules, and the
// comparisons the operators allow. Internal to sql/.
#pragma once

#include <string>
#include <string_view>

#include "proto/plan.pb.h"

namespace spate::sql {

/// A scalar type (TIMESTAMP types get precision 3).
proto::DataType MakeType(proto::TypeKind kind);

/// "INT", "STRING", "TIMESTAMP(3)", "TIMESTAMP_LTZ(3)", "ROW<a INT, b STRING>", "NULL".
std::string TypeName(const proto::DataType& type);

inline bool IsNumeric(proto::TypeKind k) {
  return k == proto::TYPE_INT || k == proto::TYPE_BIGINT || k == proto::TYPE_DOUBLE;
}
inline bool IsInteger(proto::TypeKind k) { return k == proto::TYPE_INT || k == proto::TYPE_BIGINT; }
inline bool IsTimestamp(proto::TypeKind k) {
  return k == proto::TYPE_TIMESTAMP || k == proto::TYPE_TIMESTAMP_LTZ;
}

/// INT < BIGINT < DOUBLE: the wider of two numeric kinds (a NULL kind yields the other).
proto::TypeKind WiderNumeric(proto::TypeKind a, proto::TypeKind b);

/// True when values of `a` and `b` may be compared (=, <, IN, BETWEEN...): numbers with
/// numbers, strings with strings, booleans with booleans, timestamps with timestamps; NULL with
/// anything.
bool Comparable(proto::TypeKind a, proto::TypeKind b);

/// The common type of the branches of CASE, COALESCE, IF: numbers widen; equal kinds stay; a
/// NULL branch takes the other's type. False when there is none.
bool CommonType(const proto::DataType& a, const proto::DataType& b, proto::DataType* out);

/// True when a value of `from` may be written into a column of `to` (INSERT INTO): the same
/// kind, a numeric widening (INT -> BIGINT -> DOUBLE), NULL into anything, or one TIMESTAMP
/// kind into the other.
bool AssignableTo(const proto::DataType& from, const proto::DataType& to);

/// How a name appears in normalized SQL: as is when it is a plain identifier that is not a
/// keyword, else in backticks (`timestamp`).
std::string QuoteName(std::string_view name);

/// A SQL string literal: 'it''s'.
std::string QuoteString(std::string_view s);

}  // namespace spate::sql
