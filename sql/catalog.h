// The tables and views a script declares, with their options checked. Internal to sql/.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "proto/plan.pb.h"
#include "sql/ast.h"
#include "sql/binder.h"
#include "sql/sql.h"

namespace spate::sql {

/// A column of a table as declared: physical (with a type) or computed (`name AS expr`).
struct TableColumn {
  std::string name;
  Position pos;
  proto::DataType type;                 ///< physical: as declared; computed: the expression's
  const AstExpr* computed = nullptr;    ///< set for a computed column
  std::optional<Bound> computed_bound;  ///< its expression over provisional ids (binder.h)
  std::vector<int> leaf_deps;           ///< leaves its expression reads
  std::vector<int> computed_deps;       ///< computed columns it reads (indexes into columns)
};

/// A scalar the decoder can extract: a top-level scalar column or a field inside ROWs.
struct Leaf {
  std::string name;               ///< "user_id", "http.status"
  std::vector<std::string> path;  ///< {"http", "status"}
  proto::DataType type;
  int column = 0;  ///< the top-level column it is in
};

struct Table {
  std::string name;
  Position pos;
  std::vector<TableColumn> columns;  ///< in declaration order
  std::vector<Leaf> leaves;          ///< every scalar of the physical columns, in declared order
  int watermark_column = -1;         ///< index into columns
  int64_t watermark_delay_ms = 0;

  std::string connector;  ///< "kafka", "filesystem", "print"
  std::string topic;
  std::string bootstrap;
  std::map<std::string, std::string> properties;
  std::string startup_mode = "earliest-offset";
  bool bounded = false;
  std::string format = "json";
  bool ignore_parse_errors = true;
  bool fail_on_missing_field = false;
  std::string path;

  /// The leaf at `path` below column `column`, or -1.
  int LeafIndex(int column, const std::vector<std::string>& path) const;
};

struct View {
  std::string name;
  Position pos;
  const SelectStmt* query = nullptr;
  int depth = 1;  ///< 1 + the depth of the view it reads, if any
};

/// Tables and views by name (case-insensitive unless quoted). Owns what it holds; points into
/// the script's syntax tree, which must outlive it.
class Catalog {
 public:
  /// Checks columns, types, computed columns, the watermark and the options.
  Status AddTable(const CreateTableStmt& stmt, const PlanOptions& options);
  /// Checks that the view's FROM names a known table or view.
  Status AddView(const CreateViewStmt& stmt);

  /// nullptr when absent.
  const Table* FindTable(const Ident& name) const;
  const View* FindView(const Ident& name) const;
  /// An error for an unknown name at its position, suggesting a close one.
  Status UnknownTable(const Ident& name) const;

 private:
  Status CheckNewName(const Ident& name) const;
  std::vector<std::string> Names() const;

  std::vector<std::unique_ptr<Table>> tables_;
  std::vector<std::unique_ptr<View>> views_;
};

/// Views nest at most this deep (a view over a view over ...).
inline constexpr int kMaxViewDepth = 16;

}  // namespace spate::sql
