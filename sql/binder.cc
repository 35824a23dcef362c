#include "sql/binder.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "common/time_format.h"
#include "sql/suggest.h"
#include "sql/types.h"

namespace spate::sql {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Paren(const Bound& b, int min_prec) {
  if (b.prec < min_prec) return "(" + b.expr.text() + ")";
  return b.expr.text();
}

std::string TypeOf(const Bound& b) { return b.interval ? "INTERVAL" : TypeName(b.expr.type()); }

proto::TypeKind Kind(const Bound& b) { return b.expr.type().kind(); }

Bound MakeLiteral(const proto::DataType& type, std::string text) {
  Bound b;
  *b.expr.mutable_type() = type;
  b.expr.set_text(std::move(text));
  b.expr.mutable_literal();
  return b;
}

Bound NullLiteral(const proto::DataType& type) {
  Bound b = MakeLiteral(type, "NULL");
  b.expr.mutable_literal()->set_is_null(true);
  return b;
}

// A call node over `args`: the depth and size limits are checked here, once per node.
Result<Bound> MakeCall(std::string fn, const proto::DataType& type, std::vector<Bound> args,
                       std::string text, int prec, Position pos) {
  Bound b;
  *b.expr.mutable_type() = type;
  b.expr.set_text(std::move(text));
  b.prec = prec;
  auto* call = b.expr.mutable_call();
  call->set_fn(std::move(fn));
  for (auto& a : args) {
    b.depth = std::max(b.depth, a.depth + 1);
    b.nodes += a.nodes;
    *call->add_args() = std::move(a.expr);
  }
  if (b.depth > kMaxPlanDepth) {
    return ErrorAt(pos, "expression nested too deeply (more than " + std::to_string(kMaxPlanDepth) +
                            " levels)");
  }
  if (b.nodes > kMaxPlanNodes) {
    return ErrorAt(
        pos, "expression too large (more than " + std::to_string(kMaxPlanNodes) + " operations)");
  }
  return b;
}

bool IsStringish(const Bound& b) {
  return !b.interval && (Kind(b) == proto::TYPE_STRING || Kind(b) == proto::TYPE_NULL);
}
bool IsNumberish(const Bound& b) {
  return !b.interval && (IsNumeric(Kind(b)) || Kind(b) == proto::TYPE_NULL);
}
bool IsBoolish(const Bound& b) {
  return !b.interval && (Kind(b) == proto::TYPE_BOOLEAN || Kind(b) == proto::TYPE_NULL);
}
bool IsIntegerish(const Bound& b) {
  return !b.interval && (IsInteger(Kind(b)) || Kind(b) == proto::TYPE_NULL);
}

bool IsStringLiteral(const Bound& b) {
  return b.expr.has_literal() && b.expr.literal().has_string_value();
}

// A string literal compared with a timestamp reads as a timestamp, as Flink coerces it.
Status CoerceToTimestamp(Bound* b, const proto::DataType& ts, Position pos) {
  if (!IsStringLiteral(*b)) return Status::OK();
  int64_t ms = 0;
  if (!ParseTimestampText(b->expr.literal().string_value(), &ms)) {
    return ErrorAt(pos, "cannot read " + b->expr.text() + " as a " + TypeName(ts) +
                            " (write 'YYYY-MM-DD HH:MM:SS[.fff]')");
  }
  std::string text = b->expr.text();
  *b = MakeLiteral(MakeType(ts.kind()), std::move(text));
  b->expr.mutable_literal()->set_int_value(ms);
  return Status::OK();
}

Status CheckComparable(Bound* a, Bound* b, Position pos, std::string_view what) {
  if (a->interval || b->interval) {
    if (a->interval && b->interval) return Status::OK();
    return ErrorAt(pos, "cannot " + std::string(what) + " " + TypeOf(*a) + " with " + TypeOf(*b));
  }
  if (IsTimestamp(Kind(*a))) SPATE_RETURN_IF_ERROR(CoerceToTimestamp(b, a->expr.type(), pos));
  if (IsTimestamp(Kind(*b))) SPATE_RETURN_IF_ERROR(CoerceToTimestamp(a, b->expr.type(), pos));
  if (!Comparable(Kind(*a), Kind(*b))) {
    return ErrorAt(pos, "cannot " + std::string(what) + " " + TypeOf(*a) + " with " + TypeOf(*b));
  }
  return Status::OK();
}

const std::vector<std::string>& KnownFunctions() {
  static const std::vector<std::string> kNames = {"COUNT",
                                                  "SUM",
                                                  "MIN",
                                                  "MAX",
                                                  "AVG",
                                                  "APPROX_COUNT_DISTINCT",
                                                  "COALESCE",
                                                  "LOWER",
                                                  "UPPER",
                                                  "CHAR_LENGTH",
                                                  "CHARACTER_LENGTH",
                                                  "SUBSTRING",
                                                  "SUBSTR",
                                                  "CONCAT",
                                                  "REGEXP_LIKE",
                                                  "TRIM",
                                                  "ABS",
                                                  "FLOOR",
                                                  "CEIL",
                                                  "CEILING",
                                                  "ROUND",
                                                  "MOD",
                                                  "IF",
                                                  "NULLIF",
                                                  "TO_TIMESTAMP_LTZ",
                                                  "TO_TIMESTAMP",
                                                  "CAST",
                                                  "TRY_CAST"};
  return kNames;
}

std::string Plural(size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

Status ArgCount(const AstExpr& e, size_t min, size_t max) {
  const size_t n = e.args.size();
  if (n >= min && n <= max) return Status::OK();
  std::string want = min == max        ? Plural(min, "argument")
                     : max == SIZE_MAX ? "at least " + Plural(min, "argument")
                                       : std::to_string(min) + " to " + Plural(max, "argument");
  return ErrorAt(e.pos, e.op + " takes " + want + ", got " + std::to_string(n));
}

// Checks a regular expression literal at planning rather than at run time: the common mistakes
// in words of our own (empty, brackets and parentheses not closed, a dangling escape), then RE2
// itself with the options exec compiles it with (exec/expr.cc), so that every pattern the plan
// holds compiles on the workers.
Status CheckRegex(const Bound& pattern, Position pos) {
  if (!IsStringLiteral(pattern)) return Status::OK();
  const std::string& p = pattern.expr.literal().string_value();
  if (p.empty()) return ErrorAt(pos, "empty regular expression");
  int parens = 0;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\') {
      if (i + 1 == p.size()) return ErrorAt(pos, "regular expression ends with '\\'");
      ++i;
    } else if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
      if (i + 1 < p.size() && p[i + 1] == '^') ++i;
      if (i + 1 < p.size() && p[i + 1] == ']') ++i;
    } else if (c == '(') {
      ++parens;
    } else if (c == ')') {
      if (--parens < 0) return ErrorAt(pos, "regular expression has an unmatched ')'");
    }
  }
  if (in_class) return ErrorAt(pos, "regular expression has an unclosed '['");
  if (parens > 0) return ErrorAt(pos, "regular expression has an unclosed '('");
  RE2::Options options;
  options.set_log_errors(false);
  const RE2 re(re2::StringPiece(p.data(), p.size()), options);
  if (!re.ok()) return ErrorAt(pos, "bad regular expression: " + re.error());
  return Status::OK();
}

Result<int64_t> ScaleToMs(std::string_view number, int64_t unit_ms, Position pos,
                          std::string_view shown) {
  // number: [-]digits[.digits]
  bool negative = false;
  size_t i = 0;
  if (i < number.size() && (number[i] == '-' || number[i] == '+')) {
    negative = number[i] == '-';
    ++i;
  }
  const size_t digits_start = i;
  while (i < number.size() && std::isdigit(static_cast<unsigned char>(number[i]))) ++i;
  std::string_view whole = number.substr(digits_start, i - digits_start);
  std::string_view frac;
  if (i < number.size() && number[i] == '.') {
    ++i;
    const size_t f = i;
    while (i < number.size() && std::isdigit(static_cast<unsigned char>(number[i]))) ++i;
    frac = number.substr(f, i - f);
  }
  if (i != number.size() || (whole.empty() && frac.empty())) {
    return ErrorAt(pos, "invalid interval '" + std::string(shown) + "'");
  }
  // ms = whole * unit + frac * unit, exactly (unit_ms has at most 8 digits).
  __int128 ms = 0;
  for (char c : whole) {
    ms = ms * 10 + (c - '0');
    if (ms > std::numeric_limits<int64_t>::max()) return ErrorAt(pos, "interval out of range");
  }
  ms *= unit_ms;
  __int128 scale = 1;
  __int128 f = 0;
  for (char c : frac) {
    if (scale > 1000000000000LL) {
      if (c != '0')
        return ErrorAt(pos, "interval '" + std::string(shown) + "' is finer than a millisecond");
      continue;
    }
    f = f * 10 + (c - '0');
    scale *= 10;
  }
  const __int128 frac_ms = f * unit_ms;
  if (frac_ms % scale != 0) {
    return ErrorAt(pos, "interval '" + std::string(shown) + "' is finer than a millisecond");
  }
  ms += frac_ms / scale;
  if (ms > std::numeric_limits<int64_t>::max()) return ErrorAt(pos, "interval out of range");
  return static_cast<int64_t>(negative ? -ms : ms);
}

int64_t UnitMs(std::string_view unit) {
  std::string u = Lower(unit);
  if (u.size() > 1 && u.back() == 's' && u != "ms" && u != "s") u.pop_back();
  if (u == "millisecond" || u == "ms" || u == "milli") return 1;
  if (u == "second" || u == "s" || u == "sec") return 1000;
  if (u == "minute" || u == "min" || u == "m") return 60000;
  if (u == "hour" || u == "h" || u == "hr") return 3600000;
  if (u == "day" || u == "d") return 86400000;
  return 0;
}

bool ParseDigits(std::string_view s, size_t* i, size_t n, int* out) {
  if (*i + n > s.size()) return false;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    const char c = s[*i + k];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  *i += n;
  *out = v;
  return true;
}

}  // namespace

bool IdentMatches(const Ident& ref, std::string_view declared) {
  if (ref.quoted) return ref.name == declared;
  if (ref.name.size() != declared.size()) return false;
  for (size_t i = 0; i < declared.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(ref.name[i])) !=
        std::tolower(static_cast<unsigned char>(declared[i]))) {
      return false;
    }
  }
  return true;
}

Bound ColumnRef(int32_t id, const proto::DataType& type, std::string text) {
  Bound b;
  *b.expr.mutable_type() = type;
  b.expr.set_column(id);
  b.expr.set_text(std::move(text));
  return b;
}

int WindowColumnOf(const AstExpr& e, AggregateState::WindowNames names) {
  if (e.kind != AstKind::kColumn) return 0;
  if (names == AggregateState::WindowNames::kTvf && e.parts.size() == 1) {
    if (IdentMatches(e.parts[0], "window_start")) return 1;
    if (IdentMatches(e.parts[0], "window_end")) return 2;
    if (IdentMatches(e.parts[0], "window_time")) return 3;
  }
  if (names == AggregateState::WindowNames::kSpark && e.parts.size() == 2 &&
      IdentMatches(e.parts[0], "window")) {
    if (IdentMatches(e.parts[1], "start")) return 1;
    if (IdentMatches(e.parts[1], "end")) return 2;
  }
  return 0;
}

bool IsAggregateFunction(std::string_view name) {
  return name == "COUNT" || name == "SUM" || name == "MIN" || name == "MAX" || name == "AVG" ||
         name == "APPROX_COUNT_DISTINCT";
}

namespace {

bool ContainsAggregateOrWindow(const AstExpr& e, AggregateState::WindowNames names) {
  if (e.kind == AstKind::kFunction && IsAggregateFunction(e.op)) return true;
  if (WindowColumnOf(e, names) != 0) return true;
  for (const auto& a : e.args) {
    if (ContainsAggregateOrWindow(*a, names)) return true;
  }
  return false;
}

std::string ColumnName(const AstExpr& e) {
  std::string out;
  for (const auto& p : e.parts) out += (out.empty() ? "" : ".") + p.name;
  return out;
}

}  // namespace

Result<Bound> ExprBinder::Bind(const AstExpr& e) {
  if (agg_ != nullptr && !inside_aggregate_) return BindAggregated(e);
  return BindNode(e);
}

Result<Bound> ExprBinder::BindCondition(const AstExpr& e) {
  SPATE_ASSIGN_OR_RETURN(Bound b, Bind(e));
  if (!IsBoolish(b)) {
    return ErrorAt(e.start, clause_ + " needs a BOOLEAN condition, got " + TypeOf(b) + " (" +
                                b.expr.text() + ")");
  }
  return b;
}

// Over the aggregate row an expression is a group key, an aggregate, a window column, a
// constant, or built of those; a column outside the keys is the classic error.
Result<Bound> ExprBinder::BindAggregated(const AstExpr& e) {
  if (e.kind == AstKind::kFunction && IsAggregateFunction(e.op)) return BindAggregateCall(e);
  if (const int w = WindowColumnOf(e, agg_->window_names); w != 0) {
    const char* name = agg_->window_names == AggregateState::WindowNames::kSpark
                           ? (w == 1 ? "window.start" : "window.end")
                           : (w == 1   ? "window_start"
                              : w == 2 ? "window_end"
                                       : "window_time");
    if (w == 3) {
      // window_time = window_end - 1 ms, the last instant inside the window.
      Bound end = ColumnRef(kWindowEndId, MakeType(proto::TYPE_TIMESTAMP), "window_end");
      Bound one = MakeLiteral(MakeType(proto::TYPE_BIGINT), "INTERVAL '1' MILLISECOND");
      one.expr.mutable_literal()->set_int_value(1);
      one.interval = true;
      std::vector<Bound> args;
      args.push_back(std::move(end));
      args.push_back(std::move(one));
      proto::DataType t = agg_->time_type;
      if (!IsTimestamp(t.kind())) t = MakeType(proto::TYPE_TIMESTAMP);
      SPATE_ASSIGN_OR_RETURN(Bound b,
                             MakeCall("-", t, std::move(args), "window_time", kPrecAtom, e.pos));
      return b;
    }
    return ColumnRef(w == 1 ? kWindowStartId : kWindowEndId, MakeType(proto::TYPE_TIMESTAMP), name);
  }
  if (!ContainsAggregateOrWindow(e, agg_->window_names)) {
    ExprBinder plain(scope_, clause_);
    SPATE_ASSIGN_OR_RETURN(Bound b, plain.Bind(e));
    const std::string sig = Signature(b.expr);
    for (size_t i = 0; i < agg_->key_signatures.size(); ++i) {
      if (agg_->key_signatures[i] == sig) {
        return ColumnRef(static_cast<int32_t>(i), b.expr.type(), b.expr.text());
      }
    }
    if (!HasColumns(b.expr)) return b;
    if (e.kind == AstKind::kColumn) {
      return ErrorAt(e.pos, "column '" + ColumnName(e) +
                                "' must appear in the GROUP BY clause or be used in an aggregate "
                                "function");
    }
  }
  return BindNode(e);
}

Result<Bound> ExprBinder::BindAggregateCall(const AstExpr& e) {
  if (inside_aggregate_) return ErrorAt(e.pos, "aggregate function calls cannot be nested");
  if (agg_ == nullptr) {
    return ErrorAt(e.pos, "aggregate function " + e.op + " is not allowed in " + clause_);
  }
  proto::AggregateCall call;
  std::string text;
  const bool star = e.args.size() == 1 && e.args[0]->kind == AstKind::kStar;
  if (star && e.op != "COUNT")
    return ErrorAt(e.args[0]->pos, e.op + "(*) is not allowed: only COUNT(*)");
  if (star) {
    if (e.distinct) return ErrorAt(e.pos, "COUNT(DISTINCT *) is not allowed");
    call.set_kind(proto::AGG_COUNT_STAR);
    *call.mutable_type() = MakeType(proto::TYPE_BIGINT);
    call.mutable_type()->set_not_null(true);
    text = "COUNT(*)";
  } else {
    if (e.args.size() != 1) {
      if (e.op == "COUNT" && e.distinct && e.args.size() > 1) {
        return ErrorAt(e.pos, "COUNT(DISTINCT ...) of several columns is not supported");
      }
      SPATE_RETURN_IF_ERROR(ArgCount(e, 1, 1));
    }
    ExprBinder inner(scope_, clause_, agg_);
    inner.inside_aggregate_ = true;
    SPATE_ASSIGN_OR_RETURN(Bound arg, inner.Bind(*e.args[0]));
    const proto::TypeKind k = Kind(arg);
    const Position at = e.args[0]->start;
    if (arg.interval || k == proto::TYPE_ROW) {
      return ErrorAt(at, e.op + " cannot take " + TypeOf(arg));
    }
    text = e.op + "(" + std::string(e.distinct ? "DISTINCT " : "") + arg.expr.text() + ")";
    if (e.op == "COUNT") {
      call.set_kind(e.distinct ? proto::AGG_COUNT_DISTINCT : proto::AGG_COUNT);
      *call.mutable_type() = MakeType(proto::TYPE_BIGINT);
      call.mutable_type()->set_not_null(true);
    } else if (e.op == "APPROX_COUNT_DISTINCT") {
      call.set_kind(proto::AGG_APPROX_COUNT_DISTINCT);
      *call.mutable_type() = MakeType(proto::TYPE_BIGINT);
      call.mutable_type()->set_not_null(true);
    } else if (e.op == "SUM" || e.op == "AVG") {
      if (!IsNumeric(k)) {
        return ErrorAt(at, e.op + " needs a number (INT, BIGINT or DOUBLE), got " + TypeOf(arg) +
                               " (" + arg.expr.text() + ")");
      }
      if (e.distinct) return ErrorAt(e.pos, e.op + "(DISTINCT ...) is not supported");
      if (e.op == "SUM") {
        call.set_kind(proto::AGG_SUM);
        *call.mutable_type() =
            MakeType(k == proto::TYPE_DOUBLE ? proto::TYPE_DOUBLE : proto::TYPE_BIGINT);
      } else {
        // Flink's AVG keeps the argument's type: of integers it is the truncated quotient.
        call.set_kind(proto::AGG_AVG);
        *call.mutable_type() = MakeType(k);
      }
    } else {  // MIN, MAX
      if (k == proto::TYPE_NULL) return ErrorAt(at, e.op + " cannot take NULL");
      call.set_kind(e.op == "MIN" ? proto::AGG_MIN : proto::AGG_MAX);
      *call.mutable_type() = MakeType(k);
      text = e.op + "(" + arg.expr.text() + ")";  // DISTINCT changes nothing
    }
    *call.mutable_arg() = std::move(arg.expr);
  }
  call.set_text(text);
  std::string sig =
      std::to_string(call.kind()) + ":" + (call.has_arg() ? Signature(call.arg()) : "");
  size_t index = agg_->calls.size();
  for (size_t i = 0; i < agg_->call_signatures.size(); ++i) {
    if (agg_->call_signatures[i] == sig) index = i;
  }
  if (index == agg_->calls.size()) {
    agg_->calls.push_back(call);
    agg_->call_signatures.push_back(std::move(sig));
  }
  return ColumnRef(kAggregateBase + static_cast<int32_t>(index), call.type(), text);
}

Result<Bound> ExprBinder::BindNode(const AstExpr& e) {
  switch (e.kind) {
    case AstKind::kLiteral:
      return BindLiteral(e);
    case AstKind::kColumn:
      return scope_->Resolve(e);
    case AstKind::kStar:
      return ErrorAt(e.pos, "'*' is only allowed as a SELECT item or in COUNT(*)");
    case AstKind::kOperator:
      return BindOperator(e);
    case AstKind::kFunction:
      if (IsAggregateFunction(e.op)) return BindAggregateCall(e);
      return BindFunction(e);
    case AstKind::kCase:
      return BindCase(e);
    case AstKind::kCast:
      return BindCast(e);
  }
  return ErrorAt(e.pos, "unsupported expression");
}

Result<std::vector<Bound>> ExprBinder::BindArgs(const AstExpr& e) {
  std::vector<Bound> out;
  out.reserve(e.args.size());
  for (const auto& a : e.args) {
    SPATE_ASSIGN_OR_RETURN(Bound b, Bind(*a));
    out.push_back(std::move(b));
  }
  return out;
}

Result<Bound> ExprBinder::BindLiteral(const AstExpr& e) {
  const AstLiteral& l = e.literal;
  switch (l.kind) {
    case AstLiteral::Kind::kNull:
      return NullLiteral(MakeType(proto::TYPE_NULL));
    case AstLiteral::Kind::kBool: {
      Bound b = MakeLiteral(MakeType(proto::TYPE_BOOLEAN), l.bool_value ? "TRUE" : "FALSE");
      b.expr.mutable_literal()->set_bool_value(l.bool_value);
      return b;
    }
    case AstLiteral::Kind::kInteger: {
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(l.text.data(), l.text.data() + l.text.size(), v);
      if (ec != std::errc() || ptr != l.text.data() + l.text.size()) {
        return ErrorAt(e.pos, "integer " + l.text + " is out of range (BIGINT)");
      }
      const bool small = v <= std::numeric_limits<int32_t>::max();
      Bound b =
          MakeLiteral(MakeType(small ? proto::TYPE_INT : proto::TYPE_BIGINT), std::to_string(v));
      b.expr.mutable_literal()->set_int_value(v);
      return b;
    }
    case AstLiteral::Kind::kDecimal: {
      const double v = std::strtod(l.text.c_str(), nullptr);
      if (!std::isfinite(v)) return ErrorAt(e.pos, "number " + l.text + " is out of range");
      Bound b = MakeLiteral(MakeType(proto::TYPE_DOUBLE), l.text);
      b.expr.mutable_literal()->set_double_value(v);
      return b;
    }
    case AstLiteral::Kind::kString: {
      Bound b = MakeLiteral(MakeType(proto::TYPE_STRING), QuoteString(l.text));
      b.expr.mutable_literal()->set_string_value(l.text);
      return b;
    }
    case AstLiteral::Kind::kInterval: {
      SPATE_ASSIGN_OR_RETURN(int64_t ms, IntervalMs(l, e.pos));
      std::string unit = l.unit;
      if (unit.size() > 1 && unit.back() == 'S') unit.pop_back();
      Bound b = MakeLiteral(MakeType(proto::TYPE_BIGINT),
                            "INTERVAL " + QuoteString(l.text) + (unit.empty() ? "" : " " + unit));
      b.expr.mutable_literal()->set_int_value(ms);
      b.interval = true;
      return b;
    }
    case AstLiteral::Kind::kTimestamp: {
      int64_t ms = 0;
      if (!ParseTimestampText(l.text, &ms)) {
        return ErrorAt(e.pos,
                       "invalid timestamp '" + l.text + "' (write 'YYYY-MM-DD HH:MM:SS[.fff]')");
      }
      const bool ltz = l.unit == "TIMESTAMP_LTZ";
      Bound b = MakeLiteral(MakeType(ltz ? proto::TYPE_TIMESTAMP_LTZ : proto::TYPE_TIMESTAMP),
                            l.unit + " " + QuoteString(l.text));
      b.expr.mutable_literal()->set_int_value(ms);
      return b;
    }
  }
  return ErrorAt(e.pos, "unsupported literal");
}

Result<Bound> ExprBinder::BindOperator(const AstExpr& e) {
  const std::string& op = e.op;
  if (op == "AND" || op == "OR") {
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    for (size_t i = 0; i < args.size(); ++i) {
      if (!IsBoolish(args[i])) {
        return ErrorAt(e.args[i]->start, op + " needs BOOLEAN operands, got " + TypeOf(args[i]) +
                                             " (" + args[i].expr.text() + ")");
      }
    }
    // A chain becomes a balanced tree, so that a long list of ORs stays shallow.
    const int prec = op == "AND" ? kPrecAnd : kPrecOr;
    std::function<Result<Bound>(size_t, size_t)> build = [&](size_t lo,
                                                             size_t hi) -> Result<Bound> {
      if (hi - lo == 1) return std::move(args[lo]);
      const size_t mid = lo + (hi - lo) / 2;
      SPATE_ASSIGN_OR_RETURN(Bound l, build(lo, mid));
      SPATE_ASSIGN_OR_RETURN(Bound r, build(mid, hi));
      std::string text = Paren(l, prec) + " " + op + " " + Paren(r, prec);
      std::vector<Bound> two;
      two.push_back(std::move(l));
      two.push_back(std::move(r));
      return MakeCall(op, MakeType(proto::TYPE_BOOLEAN), std::move(two), std::move(text), prec,
                      e.pos);
    };
    return build(0, args.size());
  }
  if (op == "NOT") {
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    if (!IsBoolish(args[0])) {
      return ErrorAt(e.args[0]->start, "NOT needs a BOOLEAN operand, got " + TypeOf(args[0]));
    }
    std::string text = "NOT " + Paren(args[0], kPrecNot);
    return MakeCall("NOT", MakeType(proto::TYPE_BOOLEAN), std::move(args), std::move(text),
                    kPrecNot, e.pos);
  }
  if (op == "NEG") {
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    Bound& a = args[0];
    if (!IsNumberish(a) && !a.interval) {
      return ErrorAt(e.pos, "unary '-' needs a number, got " + TypeOf(a));
    }
    // Fold -literal into a literal.
    if (a.expr.has_literal() && !a.expr.literal().is_null()) {
      auto* lit = a.expr.mutable_literal();
      if (lit->has_int_value() && lit->int_value() != std::numeric_limits<int64_t>::min()) {
        lit->set_int_value(-lit->int_value());
        a.expr.set_text("-" + a.expr.text());
        return std::move(a);
      }
      if (lit->has_double_value()) {
        lit->set_double_value(-lit->double_value());
        a.expr.set_text("-" + a.expr.text());
        return std::move(a);
      }
    }
    std::string text = "-" + Paren(a, kPrecUnary);
    const proto::DataType t = a.expr.type();
    const bool interval = a.interval;
    SPATE_ASSIGN_OR_RETURN(Bound b,
                           MakeCall("NEG", t, std::move(args), std::move(text), kPrecUnary, e.pos));
    b.interval = interval;
    return b;
  }
  if (op == "+" || op == "-" || op == "*" || op == "/" || op == "%") {
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    Bound& l = args[0];
    Bound& r = args[1];
    const int prec = (op == "+" || op == "-") ? kPrecAdd : kPrecMul;
    std::string text = Paren(l, prec) + " " + op + " " + Paren(r, prec + 1);
    proto::DataType type;
    bool interval = false;
    if ((op == "+" || op == "-") && IsTimestamp(Kind(l)) && !l.interval && r.interval) {
      type = MakeType(Kind(l));
    } else if (op == "+" && l.interval && IsTimestamp(Kind(r)) && !r.interval) {
      type = MakeType(Kind(r));
    } else if ((op == "+" || op == "-") && l.interval && r.interval) {
      type = MakeType(proto::TYPE_BIGINT);
      interval = true;
    } else if (IsNumberish(l) && IsNumberish(r)) {
      type = MakeType(WiderNumeric(Kind(l), Kind(r)));
      if (type.kind() == proto::TYPE_NULL) type = MakeType(proto::TYPE_NULL);
    } else {
      std::string hint;
      if (op == "+" && (IsStringish(l) || IsStringish(r)))
        hint = " (use || or CONCAT to join strings)";
      if (IsTimestamp(Kind(l)) && (IsNumeric(Kind(r)) || IsTimestamp(Kind(r))) && !r.interval) {
        hint = " (add or subtract an INTERVAL)";
      }
      return ErrorAt(e.pos,
                     "operator '" + op + "' cannot take " + TypeOf(l) + " and " + TypeOf(r) + hint);
    }
    SPATE_ASSIGN_OR_RETURN(Bound b,
                           MakeCall(op, type, std::move(args), std::move(text), prec, e.pos));
    b.interval = interval;
    return b;
  }
  if (op == "||") {
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    std::string text;
    for (size_t i = 0; i < args.size(); ++i) {
      if (!IsStringish(args[i])) {
        return ErrorAt(e.args[i]->start, "'||' needs STRING operands, got " + TypeOf(args[i]) +
                                             " (" + args[i].expr.text() + "; CAST it to STRING)");
      }
      text += (i == 0 ? "" : " || ") + Paren(args[i], i == 0 ? kPrecAdd : kPrecAdd + 1);
    }
    return MakeCall("CONCAT", MakeType(proto::TYPE_STRING), std::move(args), std::move(text),
                    kPrecAdd, e.pos);
  }
  if (op == "=" || op == "<>" || op == "<" || op == "<=" || op == ">" || op == ">=") {
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    SPATE_RETURN_IF_ERROR(CheckComparable(&args[0], &args[1], e.pos, "compare"));
    std::string text =
        Paren(args[0], kPrecCompare + 1) + " " + op + " " + Paren(args[1], kPrecCompare + 1);
    return MakeCall(op, MakeType(proto::TYPE_BOOLEAN), std::move(args), std::move(text),
                    kPrecCompare, e.pos);
  }
  if (op.rfind("IS_", 0) == 0) {
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    const bool null_test = op == "IS_NULL" || op == "IS_NOT_NULL";
    if (!null_test && !IsBoolish(args[0])) {
      return ErrorAt(e.pos, "IS TRUE and IS FALSE need a BOOLEAN, got " + TypeOf(args[0]));
    }
    if (Kind(args[0]) == proto::TYPE_ROW) return ErrorAt(e.pos, "IS NULL cannot take a ROW");
    std::string words = op.substr(3);
    std::replace(words.begin(), words.end(), '_', ' ');
    std::string text = Paren(args[0], kPrecCompare + 1) + " IS " + words;
    return MakeCall(op, MakeType(proto::TYPE_BOOLEAN), std::move(args), std::move(text),
                    kPrecCompare, e.pos);
  }
  if (op == "IN" || op == "NOT_IN") {
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    std::string text = Paren(args[0], kPrecCompare + 1) + (op == "IN" ? " IN (" : " NOT IN (");
    for (size_t i = 1; i < args.size(); ++i) {
      SPATE_RETURN_IF_ERROR(CheckComparable(&args[0], &args[i], e.args[i]->start, "compare"));
      text += (i == 1 ? "" : ", ") + args[i].expr.text();
    }
    text += ")";
    return MakeCall(op, MakeType(proto::TYPE_BOOLEAN), std::move(args), std::move(text),
                    kPrecCompare, e.pos);
  }
  if (op == "BETWEEN" || op == "NOT_BETWEEN") {
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    SPATE_RETURN_IF_ERROR(CheckComparable(&args[0], &args[1], e.args[1]->start, "compare"));
    SPATE_RETURN_IF_ERROR(CheckComparable(&args[0], &args[2], e.args[2]->start, "compare"));
    std::string text =
        Paren(args[0], kPrecCompare + 1) + (op == "BETWEEN" ? " BETWEEN " : " NOT BETWEEN ") +
        Paren(args[1], kPrecCompare + 1) + " AND " + Paren(args[2], kPrecCompare + 1);
    return MakeCall(op, MakeType(proto::TYPE_BOOLEAN), std::move(args), std::move(text),
                    kPrecCompare, e.pos);
  }
  if (op == "LIKE" || op == "NOT_LIKE" || op == "ILIKE" || op == "NOT_ILIKE") {
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    std::string shown = op;
    std::replace(shown.begin(), shown.end(), '_', ' ');
    for (size_t i = 0; i < 2; ++i) {
      if (!IsStringish(args[i])) {
        return ErrorAt(i == 0 ? e.pos : e.args[i]->start, shown + " needs STRING operands, got " +
                                                              TypeOf(args[i]) + " (" +
                                                              args[i].expr.text() + ")");
      }
    }
    std::string text =
        Paren(args[0], kPrecCompare + 1) + " " + shown + " " + Paren(args[1], kPrecCompare + 1);
    if (args.size() == 3) {
      if (!IsStringLiteral(args[2]) || args[2].expr.literal().string_value().size() != 1) {
        return ErrorAt(e.args[2]->start, "ESCAPE needs a string of one character");
      }
      text += " ESCAPE " + args[2].expr.text();
    }
    return MakeCall(op, MakeType(proto::TYPE_BOOLEAN), std::move(args), std::move(text),
                    kPrecCompare, e.pos);
  }
  if (op == "REGEXP") {
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    for (size_t i = 0; i < 2; ++i) {
      if (!IsStringish(args[i])) {
        return ErrorAt(i == 0 ? e.pos : e.args[i]->start,
                       "REGEXP needs STRING operands, got " + TypeOf(args[i]));
      }
    }
    SPATE_RETURN_IF_ERROR(CheckRegex(args[1], e.args[1]->start));
    std::string text =
        Paren(args[0], kPrecCompare + 1) + " REGEXP " + Paren(args[1], kPrecCompare + 1);
    return MakeCall("REGEXP", MakeType(proto::TYPE_BOOLEAN), std::move(args), std::move(text),
                    kPrecCompare, e.pos);
  }
  return ErrorAt(e.pos, "unsupported operator " + op);
}

Result<Bound> ExprBinder::BindCase(const AstExpr& e) {
  SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
  size_t i = 0;
  std::string text = "CASE";
  Bound operand;
  if (e.has_operand) {
    operand = std::move(args[0]);
    text += " " + operand.expr.text();
    i = 1;
  }
  const size_t pairs_end = e.has_else ? args.size() - 1 : args.size();
  std::vector<Bound> out;
  proto::DataType result = MakeType(proto::TYPE_NULL);
  bool result_interval = false;
  for (; i + 1 < pairs_end; i += 2) {
    Bound when = std::move(args[i]);
    Bound then = std::move(args[i + 1]);
    text += " WHEN " + when.expr.text() + " THEN " + then.expr.text();
    if (e.has_operand) {
      // A simple CASE x WHEN v is planned as x = v.
      Bound x = operand;
      SPATE_RETURN_IF_ERROR(CheckComparable(&x, &when, e.args[i]->start, "compare"));
      std::string eq = Paren(x, kPrecCompare + 1) + " = " + Paren(when, kPrecCompare + 1);
      std::vector<Bound> two;
      two.push_back(std::move(x));
      two.push_back(std::move(when));
      SPATE_ASSIGN_OR_RETURN(when, MakeCall("=", MakeType(proto::TYPE_BOOLEAN), std::move(two),
                                            std::move(eq), kPrecCompare, e.args[i]->start));
    } else if (!IsBoolish(when)) {
      return ErrorAt(e.args[i]->start, "WHEN needs a BOOLEAN condition, got " + TypeOf(when));
    }
    proto::DataType common;
    if (!CommonType(result, then.expr.type(), &common) ||
        (then.interval != result_interval && result.kind() != proto::TYPE_NULL)) {
      return ErrorAt(e.args[i + 1]->start, "CASE branches have incompatible types " +
                                               TypeName(result) + " and " + TypeOf(then));
    }
    result = common;
    result_interval = result_interval || then.interval;
    out.push_back(std::move(when));
    out.push_back(std::move(then));
  }
  if (e.has_else) {
    Bound els = std::move(args.back());
    text += " ELSE " + els.expr.text();
    proto::DataType common;
    if (!CommonType(result, els.expr.type(), &common)) {
      return ErrorAt(e.args.back()->start, "CASE branches have incompatible types " +
                                               TypeName(result) + " and " + TypeOf(els));
    }
    result = common;
    out.push_back(std::move(els));
  } else {
    out.push_back(NullLiteral(result));
  }
  text += " END";
  SPATE_ASSIGN_OR_RETURN(
      Bound b, MakeCall("CASE", result, std::move(out), std::move(text), kPrecAtom, e.pos));
  b.interval = result_interval;
  return b;
}

Result<Bound> ExprBinder::BindCast(const AstExpr& e) {
  SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
  const proto::DataType& to = e.cast_type;
  if (to.kind() == proto::TYPE_ROW) return ErrorAt(e.pos, "CAST to ROW is not supported");
  if (Kind(args[0]) == proto::TYPE_ROW) return ErrorAt(e.pos, "CAST of a ROW is not supported");
  proto::DataType type = to;
  type.set_not_null(false);
  std::string text = e.op + "(" + args[0].expr.text() + " AS " + TypeName(type) + ")";
  // CAST and TRY_CAST plan alike: invalid input gives NULL (plan.proto).
  return MakeCall("CAST", type, std::move(args), std::move(text), kPrecAtom, e.pos);
}

Result<Bound> ExprBinder::BindFunction(const AstExpr& e) {
  const std::string& fn = e.op;
  auto known = [&]() {
    const auto& names = KnownFunctions();
    return std::find(names.begin(), names.end(), fn) != names.end() || fn == "WINDOW" ||
           fn == "TUMBLE" || fn == "HOP" || fn == "SESSION";
  };
  if (!known()) {
    return ErrorAt(e.pos, "unknown function '" + fn + "'" + DidYouMean(fn, KnownFunctions()));
  }
  if (fn == "WINDOW") {
    return ErrorAt(e.pos, "window(...) belongs in GROUP BY; select window.start and window.end");
  }
  if (fn == "TUMBLE" || fn == "HOP" || fn == "SESSION") {
    return ErrorAt(e.pos,
                   fn + " is a window table function: use it in FROM TABLE(" + fn + "(...))");
  }
  if (e.distinct) return ErrorAt(e.pos, "DISTINCT is only allowed in aggregate functions");
  for (const auto& a : e.args) {
    if (a->kind == AstKind::kStar) return ErrorAt(a->pos, "'*' is only allowed in COUNT(*)");
  }
  auto call_text = [](const std::string& name, const std::vector<Bound>& args) {
    std::string t = name + "(";
    for (size_t i = 0; i < args.size(); ++i) t += (i ? ", " : "") + args[i].expr.text();
    return t + ")";
  };
  auto need = [&](size_t i, bool ok, const char* what, const std::vector<Bound>& args) -> Status {
    if (ok) return Status::OK();
    return ErrorAt(e.args[i]->start, fn + " needs " + what + " as argument " +
                                         std::to_string(i + 1) + ", got " + TypeOf(args[i]) + " (" +
                                         args[i].expr.text() + ")");
  };

  if (fn == "LOWER" || fn == "UPPER" || fn == "TRIM" || fn == "CHAR_LENGTH" ||
      fn == "CHARACTER_LENGTH") {
    SPATE_RETURN_IF_ERROR(ArgCount(e, 1, 1));
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    SPATE_RETURN_IF_ERROR(need(0, IsStringish(args[0]), "a STRING", args));
    const bool length = fn == "CHAR_LENGTH" || fn == "CHARACTER_LENGTH";
    const std::string name = length ? "CHAR_LENGTH" : fn;
    std::string text = call_text(name, args);
    return MakeCall(name, MakeType(length ? proto::TYPE_INT : proto::TYPE_STRING), std::move(args),
                    std::move(text), kPrecAtom, e.pos);
  }
  if (fn == "SUBSTRING" || fn == "SUBSTR") {
    SPATE_RETURN_IF_ERROR(ArgCount(e, 2, 3));
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    SPATE_RETURN_IF_ERROR(need(0, IsStringish(args[0]), "a STRING", args));
    for (size_t i = 1; i < args.size(); ++i) {
      SPATE_RETURN_IF_ERROR(need(i, IsIntegerish(args[i]), "an INT", args));
    }
    std::string text = "SUBSTRING(" + args[0].expr.text() + " FROM " + args[1].expr.text() +
                       (args.size() == 3 ? " FOR " + args[2].expr.text() : "") + ")";
    return MakeCall("SUBSTRING", MakeType(proto::TYPE_STRING), std::move(args), std::move(text),
                    kPrecAtom, e.pos);
  }
  if (fn == "CONCAT") {
    SPATE_RETURN_IF_ERROR(ArgCount(e, 1, SIZE_MAX));
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    for (size_t i = 0; i < args.size(); ++i) {
      SPATE_RETURN_IF_ERROR(need(i, IsStringish(args[i]), "a STRING", args));
    }
    std::string text = call_text("CONCAT", args);
    return MakeCall("CONCAT", MakeType(proto::TYPE_STRING), std::move(args), std::move(text),
                    kPrecAtom, e.pos);
  }
  if (fn == "REGEXP_LIKE") {
    SPATE_RETURN_IF_ERROR(ArgCount(e, 2, 2));
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    SPATE_RETURN_IF_ERROR(need(0, IsStringish(args[0]), "a STRING", args));
    SPATE_RETURN_IF_ERROR(need(1, IsStringish(args[1]), "a STRING", args));
    SPATE_RETURN_IF_ERROR(CheckRegex(args[1], e.args[1]->start));
    std::string text = call_text("REGEXP_LIKE", args);
    return MakeCall("REGEXP", MakeType(proto::TYPE_BOOLEAN), std::move(args), std::move(text),
                    kPrecAtom, e.pos);
  }
  if (fn == "ABS" || fn == "FLOOR" || fn == "CEIL" || fn == "CEILING") {
    SPATE_RETURN_IF_ERROR(ArgCount(e, 1, 1));
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    SPATE_RETURN_IF_ERROR(need(0, IsNumberish(args[0]), "a number", args));
    const std::string name = fn == "CEILING" ? "CEIL" : fn;
    const proto::DataType t = args[0].expr.type();
    std::string text = call_text(name, args);
    return MakeCall(name, t, std::move(args), std::move(text), kPrecAtom, e.pos);
  }
  if (fn == "ROUND") {
    SPATE_RETURN_IF_ERROR(ArgCount(e, 1, 2));
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    SPATE_RETURN_IF_ERROR(need(0, IsNumberish(args[0]), "a number", args));
    if (args.size() == 2) SPATE_RETURN_IF_ERROR(need(1, IsIntegerish(args[1]), "an INT", args));
    const proto::DataType t = args[0].expr.type();
    std::string text = call_text("ROUND", args);
    return MakeCall("ROUND", t, std::move(args), std::move(text), kPrecAtom, e.pos);
  }
  if (fn == "MOD") {
    SPATE_RETURN_IF_ERROR(ArgCount(e, 2, 2));
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    SPATE_RETURN_IF_ERROR(need(0, IsIntegerish(args[0]), "an integer", args));
    SPATE_RETURN_IF_ERROR(need(1, IsIntegerish(args[1]), "an integer", args));
    const proto::DataType t = MakeType(WiderNumeric(Kind(args[0]), Kind(args[1])));
    std::string text = call_text("MOD", args);
    return MakeCall("MOD", t, std::move(args), std::move(text), kPrecAtom, e.pos);
  }
  if (fn == "COALESCE" || fn == "IF" || fn == "NULLIF") {
    if (fn == "COALESCE") SPATE_RETURN_IF_ERROR(ArgCount(e, 1, SIZE_MAX));
    if (fn == "IF") SPATE_RETURN_IF_ERROR(ArgCount(e, 3, 3));
    if (fn == "NULLIF") SPATE_RETURN_IF_ERROR(ArgCount(e, 2, 2));
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    size_t first = 0;
    if (fn == "IF") {
      SPATE_RETURN_IF_ERROR(need(0, IsBoolish(args[0]), "a BOOLEAN", args));
      first = 1;
    }
    proto::DataType t = MakeType(proto::TYPE_NULL);
    bool interval = false;
    if (fn == "NULLIF") {
      SPATE_RETURN_IF_ERROR(CheckComparable(&args[0], &args[1], e.args[1]->start, "compare"));
      t = args[0].expr.type();
      interval = args[0].interval;
    } else {
      for (size_t i = first; i < args.size(); ++i) {
        proto::DataType common;
        if (args[i].interval != interval && t.kind() != proto::TYPE_NULL) {
          return ErrorAt(e.args[i]->start, fn + " arguments have incompatible types " +
                                               TypeName(t) + " and " + TypeOf(args[i]));
        }
        if (!CommonType(t, args[i].expr.type(), &common)) {
          return ErrorAt(e.args[i]->start, fn + " arguments have incompatible types " +
                                               TypeName(t) + " and " + TypeOf(args[i]));
        }
        t = common;
        interval = interval || args[i].interval;
      }
    }
    t.set_not_null(false);
    std::string text = call_text(fn, args);
    SPATE_ASSIGN_OR_RETURN(Bound b,
                           MakeCall(fn, t, std::move(args), std::move(text), kPrecAtom, e.pos));
    b.interval = interval;
    return b;
  }
  if (fn == "TO_TIMESTAMP_LTZ") {
    SPATE_RETURN_IF_ERROR(ArgCount(e, 1, 2));
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    SPATE_RETURN_IF_ERROR(need(0, IsNumberish(args[0]), "an epoch number", args));
    if (args.size() == 1) {
      Bound three = MakeLiteral(MakeType(proto::TYPE_INT), "3");
      three.expr.mutable_literal()->set_int_value(3);
      args.push_back(std::move(three));
    }
    const auto& p = args[1].expr;
    if (!p.has_literal() || !p.literal().has_int_value() ||
        (p.literal().int_value() != 0 && p.literal().int_value() != 3)) {
      return ErrorAt(e.args.size() > 1 ? e.args[1]->start : e.pos,
                     "TO_TIMESTAMP_LTZ's precision must be 0 (seconds) or 3 (milliseconds)");
    }
    std::string text = call_text("TO_TIMESTAMP_LTZ", args);
    return MakeCall("TO_TIMESTAMP_LTZ", MakeType(proto::TYPE_TIMESTAMP_LTZ), std::move(args),
                    std::move(text), kPrecAtom, e.pos);
  }
  if (fn == "TO_TIMESTAMP") {
    if (e.args.size() == 2) {
      return ErrorAt(e.args[1]->start,
                     "TO_TIMESTAMP with a format is not supported: it reads "
                     "'YYYY-MM-DD HH:MM:SS[.fff]' and RFC 3339");
    }
    SPATE_RETURN_IF_ERROR(ArgCount(e, 1, 1));
    SPATE_ASSIGN_OR_RETURN(std::vector<Bound> args, BindArgs(e));
    SPATE_RETURN_IF_ERROR(need(0, IsStringish(args[0]), "a STRING", args));
    std::string text = call_text("TO_TIMESTAMP", args);
    return MakeCall("TO_TIMESTAMP", MakeType(proto::TYPE_TIMESTAMP), std::move(args),
                    std::move(text), kPrecAtom, e.pos);
  }
  return ErrorAt(e.pos, "function " + fn + " is not supported here");
}

// ---- helpers ----

std::string Signature(const proto::Expr& e) {
  std::string out;
  std::function<void(const proto::Expr&)> walk = [&](const proto::Expr& x) {
    switch (x.kind_case()) {
      case proto::Expr::kColumn:
        out += "$" + std::to_string(x.column());
        break;
      case proto::Expr::kLiteral: {
        const auto& l = x.literal();
        out += "L" + std::to_string(x.type().kind()) + ":";
        if (l.is_null()) {
          out += "null";
        } else if (l.has_bool_value()) {
          out += l.bool_value() ? "t" : "f";
        } else if (l.has_int_value()) {
          out += std::to_string(l.int_value());
        } else if (l.has_double_value()) {
          out += std::to_string(l.double_value());
        } else {
          out += std::to_string(l.string_value().size()) + "'" + l.string_value();
        }
        break;
      }
      case proto::Expr::kCall:
        out += x.call().fn() + "<" + std::to_string(x.type().kind()) + ">(";
        for (const auto& a : x.call().args()) {
          walk(a);
          out += ",";
        }
        out += ")";
        break;
      default:
        out += "?";
    }
  };
  walk(e);
  return out;
}

bool HasColumns(const proto::Expr& e) {
  if (e.has_column()) return true;
  if (e.has_call()) {
    for (const auto& a : e.call().args()) {
      if (HasColumns(a)) return true;
    }
  }
  return false;
}

void RemapColumns(proto::Expr* e, const std::function<int32_t(int32_t)>& map) {
  if (e->has_column()) {
    e->set_column(map(e->column()));
  } else if (e->has_call()) {
    for (auto& a : *e->mutable_call()->mutable_args()) RemapColumns(&a, map);
  }
}

Result<int64_t> IntervalMs(const AstLiteral& literal, Position pos) {
  if (literal.unit.empty()) return DurationMs(literal.text, pos);
  const int64_t unit = UnitMs(literal.unit);
  if (unit == 0) return ErrorAt(pos, "unknown interval unit " + literal.unit);
  std::string value = literal.text;
  // Trim spaces inside the quotes: INTERVAL ' 10 ' SECOND.
  while (!value.empty() && value.back() == ' ') value.pop_back();
  size_t lead = 0;
  while (lead < value.size() && value[lead] == ' ') ++lead;
  return ScaleToMs(std::string_view(value).substr(lead), unit, pos, literal.text);
}

Result<int64_t> DurationMs(std::string_view text, Position pos) {
  std::string s = Lower(text);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  if (s.compare(i, 9, "interval ") == 0) i += 9;
  while (i < s.size() && s[i] == ' ') ++i;
  size_t num_end = i;
  if (num_end < s.size() && (s[num_end] == '-' || s[num_end] == '+')) ++num_end;
  while (num_end < s.size() &&
         (std::isdigit(static_cast<unsigned char>(s[num_end])) || s[num_end] == '.')) {
    ++num_end;
  }
  size_t unit_start = num_end;
  while (unit_start < s.size() && s[unit_start] == ' ') ++unit_start;
  const std::string_view number = std::string_view(s).substr(i, num_end - i);
  const std::string_view unit = std::string_view(s).substr(unit_start);
  const int64_t unit_ms = UnitMs(unit);
  if (number.empty() || unit.empty() || unit_ms == 0) {
    return ErrorAt(pos, "invalid interval '" + std::string(text) +
                            "' (write '10 seconds', '1 minute', or INTERVAL '10' SECOND)");
  }
  return ScaleToMs(number, unit_ms, pos, text);
}

bool ParseTimestampText(std::string_view s, int64_t* ms) {
  size_t i = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ParseDigits(s, &i, 4, &year) || i >= s.size() || s[i++] != '-' ||
      !ParseDigits(s, &i, 2, &month) || i >= s.size() || s[i++] != '-' ||
      !ParseDigits(s, &i, 2, &day)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return false;
  int64_t millis = 0;
  int64_t offset_min = 0;
  if (i < s.size()) {
    if (s[i] != ' ' && s[i] != 'T' && s[i] != 't') return false;
    ++i;
    if (!ParseDigits(s, &i, 2, &hour) || i >= s.size() || s[i++] != ':' ||
        !ParseDigits(s, &i, 2, &minute)) {
      return false;
    }
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!ParseDigits(s, &i, 2, &second)) return false;
      if (i < s.size() && s[i] == '.') {
        ++i;
        int digits = 0;
        int64_t frac = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
          if (digits < 3) frac = frac * 10 + (s[i] - '0');
          ++digits;
          ++i;
        }
        if (digits == 0) return false;
        for (int d = digits; d < 3; ++d) frac *= 10;
        millis = frac;
      }
    }
    if (hour > 23 || minute > 59 || second > 59) return false;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      const bool neg = s[i] == '-';
      ++i;
      int oh = 0, om = 0;
      if (!ParseDigits(s, &i, 2, &oh) || i >= s.size() || s[i++] != ':' ||
          !ParseDigits(s, &i, 2, &om) || oh > 23 || om > 59) {
        return false;
      }
      offset_min = (neg ? -1 : 1) * (oh * 60 + om);
    }
  }
  if (i != s.size()) return false;
  const int64_t days = DaysFromCivil(year, month, day);
  *ms = ((days * 24 + hour) * 60 + minute) * 60000 + second * 1000 + millis - offset_min * 60000;
  return true;
}

}  // namespace spate::sql
