// The binder: resolves the names of an expression against a scope and type-checks it, making
// the plan's proto::Expr (with its normalized SQL in `text`). Internal to sql/.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "proto/plan.pb.h"
#include "sql/ast.h"

namespace spate::sql {

/// Deepest expression a plan holds: the executors read plans with protobuf's default recursion
/// limit (100 nested messages), and each level of an expression is two (Expr, Call).
inline constexpr int kMaxPlanDepth = 40;
/// Most nodes one planned expression may have (views inlined into views can multiply them).
inline constexpr int64_t kMaxPlanNodes = 20000;

/// Precedence of an expression's top operator, to parenthesize its text only where needed.
enum Precedence : int {
  kPrecOr = 1,
  kPrecAnd,
  kPrecNot,
  kPrecCompare,
  kPrecAdd,
  kPrecMul,
  kPrecUnary,
  kPrecAtom,
};

/// A bound expression: the planned Expr and what the binder needs to compose it further.
struct Bound {
  proto::Expr expr;
  bool interval = false;  ///< an interval (BIGINT milliseconds)
  int depth = 1;
  int64_t nodes = 1;
  int prec = kPrecAtom;
};

// Column ids while binding, before the planner numbers the rows' columns. Source row: decoded
// leaf L is id L, computed column C (index in the table's columns) is kComputedBase + C.
// Aggregate row: group key K is id K, aggregate J is kAggregateBase + J, then window_start and
// window_end.
inline constexpr int32_t kComputedBase = 1 << 20;
inline constexpr int32_t kAggregateBase = 1 << 21;
inline constexpr int32_t kWindowStartId = 1 << 22;
inline constexpr int32_t kWindowEndId = (1 << 22) + 1;

/// True when the reference `ref` names `declared`: exactly when quoted, else ignoring ASCII case.
bool IdentMatches(const Ident& ref, std::string_view declared);

/// Names visible to an expression (the columns of a FROM). Implementations record which
/// columns a query uses.
class Scope {
 public:
  virtual ~Scope() = default;
  /// Resolves a column reference (AstKind::kColumn); errors name it and suggest a close name.
  virtual Result<Bound> Resolve(const AstExpr& column) = 0;
  /// The top-level names, for '*' and suggestions.
  virtual std::vector<std::string> Names() const = 0;
  /// SELECT * or t.*: (output name, expression) for every column, ROW columns as their leaves.
  virtual Result<std::vector<std::pair<std::string, Bound>>> Expand(const AstExpr& star) = 0;
};

/// A column over some row: id, type and text.
Bound ColumnRef(int32_t id, const proto::DataType& type, std::string text);

/// What an aggregating query's SELECT and HAVING may refer to, and the aggregates they call.
struct AggregateState {
  enum class WindowNames { kNone, kTvf, kSpark };
  /// kTvf: window_start, window_end, window_time; kSpark: window.start, window.end.
  WindowNames window_names = WindowNames::kNone;
  proto::DataType time_type;  ///< the type of window_time
  std::vector<Bound> keys;    ///< over the source row
  std::vector<std::string> key_signatures;
  std::vector<proto::AggregateCall> calls;
  std::vector<std::string> call_signatures;
};

/// 1, 2, 3 when `e` names window_start, window_end, window_time under `names`; else 0.
int WindowColumnOf(const AstExpr& e, AggregateState::WindowNames names);

/// True for COUNT, SUM, MIN, MAX, AVG, APPROX_COUNT_DISTINCT (upper case).
bool IsAggregateFunction(std::string_view name);

/// Binds expressions over one scope. `clause` names where the expression stands, for errors
/// ("aggregate functions are not allowed in WHERE"). With `agg`, expressions are over the
/// aggregate row: group keys, aggregates (added to `agg`) and window columns.
class ExprBinder {
 public:
  ExprBinder(Scope* scope, std::string clause, AggregateState* agg = nullptr)
      : scope_(scope), clause_(std::move(clause)), agg_(agg) {}

  Result<Bound> Bind(const AstExpr& e);
  /// Bind, then require BOOLEAN (or NULL).
  Result<Bound> BindCondition(const AstExpr& e);

 private:
  Result<Bound> BindNode(const AstExpr& e);
  Result<Bound> BindAggregated(const AstExpr& e);
  Result<Bound> BindAggregateCall(const AstExpr& e);
  Result<Bound> BindLiteral(const AstExpr& e);
  Result<Bound> BindOperator(const AstExpr& e);
  Result<Bound> BindFunction(const AstExpr& e);
  Result<Bound> BindCase(const AstExpr& e);
  Result<Bound> BindCast(const AstExpr& e);
  Result<std::vector<Bound>> BindArgs(const AstExpr& e);

  Scope* scope_;
  std::string clause_;
  AggregateState* agg_;
  bool inside_aggregate_ = false;
};

/// A canonical form of an expression without its text, to find equal expressions (a SELECT
/// expression that is a GROUP BY key, an aggregate called twice).
std::string Signature(const proto::Expr& e);
/// True when `e` refers to any column.
bool HasColumns(const proto::Expr& e);
/// Replaces every column id by `map(id)`.
void RemapColumns(proto::Expr* e, const std::function<int32_t(int32_t)>& map);

/// Milliseconds of an interval literal (INTERVAL '1.5' SECOND, or Spark's '10 seconds');
/// errors at `pos`.
Result<int64_t> IntervalMs(const AstLiteral& literal, Position pos);
/// Milliseconds of a duration as Spark writes it: "10 seconds", "1 minute", "500 ms".
Result<int64_t> DurationMs(std::string_view text, Position pos);
/// Epoch milliseconds (UTC) of 'YYYY-MM-DD[ HH:MM[:SS[.fff]]]', or RFC 3339 with 'T' and an
/// optional zone; false when malformed.
bool ParseTimestampText(std::string_view text, int64_t* ms);

}  // namespace spate::sql
