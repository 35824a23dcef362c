// The scopes a query's names resolve in: a table's columns, and a view's (or subquery's)
// outputs inlined over the scope it reads. Internal to sql/.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sql/binder.h"
#include "sql/catalog.h"

namespace spate::sql {

/// The columns of one table: physical columns and their ROW fields become decoded leaves, and
/// computed columns their expressions. Records what a query uses.
class TableScope : public Scope {
 public:
  /// `qualifier`: the name `t.col` may use (the alias or the table's name). While a table is
  /// being declared, `visible` limits references to the columns before the one being bound.
  TableScope(const Table* table, std::string qualifier, int visible = -1)
      : table_(table), qualifier_(std::move(qualifier)), visible_(visible) {}

  Result<Bound> Resolve(const AstExpr& column) override;
  std::vector<std::string> Names() const override;
  Result<std::vector<std::pair<std::string, Bound>>> Expand(const AstExpr& star) override;

  /// Marks column `index` used (a computed one with what it reads) and returns a reference.
  Bound Use(int index);
  /// Names that mean a window column here, for a clearer error where they are unavailable.
  void set_window_columns(bool on) { window_columns_ = on; }

  const Table* table() const { return table_; }
  const std::set<int>& used_leaves() const { return used_leaves_; }
  const std::set<int>& used_computed() const { return used_computed_; }

 private:
  Result<int> FindColumn(const Ident& name) const;

  const Table* table_;
  std::string qualifier_;
  int visible_;
  bool window_columns_ = false;
  std::set<int> used_leaves_;
  std::set<int> used_computed_;
};

/// A view or a subquery in FROM: its outputs, each bound over `inner` when first used; its
/// WHERE joins the query's filters.
class ViewScope : public Scope {
 public:
  ViewScope(const SelectStmt* query, std::string qualifier, std::unique_ptr<Scope> inner);

  Result<Bound> Resolve(const AstExpr& column) override;
  std::vector<std::string> Names() const override;
  Result<std::vector<std::pair<std::string, Bound>>> Expand(const AstExpr& star) override;

  /// The view's WHERE (and those of the views it reads), split at AND, bound over its source.
  Status CollectFilters(std::vector<Bound>* filters);
  Scope* inner() { return inner_.get(); }

 private:
  struct Output {
    std::string name;
    const AstExpr* expr = nullptr;  ///< null for a pass-through column
    std::vector<Ident> path;        ///< a pass-through column: its name in the inner scope
    std::optional<Bound> bound;
  };

  const SelectStmt* query_;
  std::string qualifier_;
  std::unique_ptr<Scope> inner_;
  std::vector<Output> outputs_;
  Status init_;
};

/// Flattens nested ANDs: the conjuncts of a WHERE clause.
void SplitConjuncts(const AstExpr* e, std::vector<const AstExpr*>* out);

/// True when a SELECT aggregates: GROUP BY, HAVING, DISTINCT or an aggregate call.
bool IsAggregating(const SelectStmt& q);

}  // namespace spate::sql
