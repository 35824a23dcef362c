#include "sql/types.h"

#include <cctype>

namespace spate::sql {

proto::DataType MakeType(proto::TypeKind kind) {
  proto::DataType t;
  t.set_kind(kind);
  if (IsTimestamp(kind)) t.set_precision(3);
  return t;
}

std::string TypeName(const proto::DataType& type) {
  switch (type.kind()) {
    case proto::TYPE_NULL:
      return "NULL";
    case proto::TYPE_BOOLEAN:
      return "BOOLEAN";
    case proto::TYPE_INT:
      return "INT";
    case proto::TYPE_BIGINT:
      return "BIGINT";
    case proto::TYPE_DOUBLE:
      return "DOUBLE";
    case proto::TYPE_STRING:
      return "STRING";
    case proto::TYPE_TIMESTAMP:
      return "TIMESTAMP(" + std::to_string(type.precision()) + ")";
    case proto::TYPE_TIMESTAMP_LTZ:
      return "TIMESTAMP_LTZ(" + std::to_string(type.precision()) + ")";
    case proto::TYPE_ROW: {
      std::string out = "ROW<";
      for (int i = 0; i < type.fields_size(); ++i) {
        if (i > 0) out += ", ";
        out += QuoteName(type.fields(i).name()) + " " + TypeName(type.fields(i).type());
      }
      return out + ">";
    }
    default:
      return "?";
  }
}

proto::TypeKind WiderNumeric(proto::TypeKind a, proto::TypeKind b) {
  if (a == proto::TYPE_NULL) return b;
  if (b == proto::TYPE_NULL) return a;
  if (a == proto::TYPE_DOUBLE || b == proto::TYPE_DOUBLE) return proto::TYPE_DOUBLE;
  if (a == proto::TYPE_BIGINT || b == proto::TYPE_BIGINT) return proto::TYPE_BIGINT;
  return proto::TYPE_INT;
}

bool Comparable(proto::TypeKind a, proto::TypeKind b) {
  if (a == proto::TYPE_NULL || b == proto::TYPE_NULL)
    return a != proto::TYPE_ROW && b != proto::TYPE_ROW;
  if (IsNumeric(a) && IsNumeric(b)) return true;
  if (IsTimestamp(a) && IsTimestamp(b)) return true;
  return a == b && a != proto::TYPE_ROW;
}

bool CommonType(const proto::DataType& a, const proto::DataType& b, proto::DataType* out) {
  if (a.kind() == proto::TYPE_NULL) {
    *out = b;
    return b.kind() != proto::TYPE_ROW;
  }
  if (b.kind() == proto::TYPE_NULL || a.kind() == b.kind()) {
    *out = a;
    out->set_not_null(false);
    return a.kind() != proto::TYPE_ROW;
  }
  if (IsNumeric(a.kind()) && IsNumeric(b.kind())) {
    *out = MakeType(WiderNumeric(a.kind(), b.kind()));
    return true;
  }
  return false;
}

bool AssignableTo(const proto::DataType& from, const proto::DataType& to) {
  if (to.kind() == proto::TYPE_ROW || from.kind() == proto::TYPE_ROW) return false;
  if (from.kind() == proto::TYPE_NULL || from.kind() == to.kind()) return true;
  if (IsNumeric(from.kind()) && IsNumeric(to.kind())) {
    return WiderNumeric(from.kind(), to.kind()) == to.kind();
  }
  return IsTimestamp(from.kind()) && IsTimestamp(to.kind());
}

std::string QuoteName(std::string_view name) {
  static constexpr std::string_view kKeywords[] = {
      "SELECT",    "FROM",      "WHERE",        "GROUP", "BY",     "HAVING", "ORDER",    "LIMIT",
      "UNION",     "AS",        "AND",          "OR",    "NOT",    "IS",     "IN",       "BETWEEN",
      "LIKE",      "ILIKE",     "ESCAPE",       "CASE",  "WHEN",   "THEN",   "ELSE",     "END",
      "JOIN",      "ON",        "LEFT",         "RIGHT", "INNER",  "OUTER",  "FULL",     "CROSS",
      "INSERT",    "INTO",      "CREATE",       "WITH",  "REGEXP", "RLIKE",  "DISTINCT", "ALL",
      "EXCEPT",    "INTERSECT", "OVER",         "NULL",  "TRUE",   "FALSE",  "VALUES",   "SET",
      "TIMESTAMP", "INTERVAL",  "TABLE",        "ROW",   "CAST",   "DATE",   "TIME",     "WINDOW",
      "USER",      "VALUE",     "TIMESTAMP_LTZ"};
  bool plain =
      !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') plain = false;
  }
  if (plain) {
    std::string upper(name);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    for (std::string_view k : kKeywords) {
      if (upper == k) plain = false;
    }
  }
  if (plain) return std::string(name);
  std::string out = "`";
  for (char c : name) {
    out.push_back(c);
    if (c == '`') out.push_back('`');
  }
  return out + "`";
}

std::string QuoteString(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  return out + "'";
}

}  // namespace spate::sql
