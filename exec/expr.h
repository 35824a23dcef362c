// Scalar expressions of a plan, compiled once per task and evaluated per record.
#pragma once

#include <memory>
#include <vector>

#include "common/status.h"
#include "exec/value.h"
#include "proto/plan.pb.h"

namespace spate::exec {

/// A compiled proto::Expr: names resolved to opcodes, literals and regular expressions (RE2)
/// prepared. Immutable after Compile, so one instance may be shared by threads; Eval is const.
class CompiledExpr {
 public:
  /// Errors (an unknown function, a bad regular expression, arguments of the wrong count or
  /// type) name the expression's text.
  static Result<std::unique_ptr<CompiledExpr>> Compile(const proto::Expr& expr);
  virtual ~CompiledExpr() = default;

  /// Evaluates over `row` (the layout the expression was planned for). Strings the expression
  /// makes live in `arena`; strings it passes through view what `row` views. Never fails:
  /// errors at run time (a bad CAST, division by zero) give NULL.
  virtual Value Eval(const Value* row, Arena* arena) const = 0;
};

/// True when `v` is a non-NULL TRUE (how WHERE and HAVING read a condition).
inline bool IsTrue(const Value& v) { return v.kind == ValueKind::kBool && v.b; }

}  // namespace spate::exec
