#include "sql/sql.h"

#include "sql/catalog.h"
#include "sql/parser.h"
#include "sql/planner.h"

namespace spate::sql {

Result<proto::QueryPlan> PlanScript(std::string_view script, const PlanOptions& options) {
  SPATE_ASSIGN_OR_RETURN(Script parsed, ParseScript(script));
  Catalog catalog;
  const Statement* query = nullptr;
  for (const Statement& st : parsed.statements) {
    switch (st.kind) {
      case Statement::Kind::kCreateTable:
        SPATE_RETURN_IF_ERROR(catalog.AddTable(*st.create_table, options));
        break;
      case Statement::Kind::kCreateView:
        SPATE_RETURN_IF_ERROR(catalog.AddView(*st.create_view));
        break;
      case Statement::Kind::kInsert:
      case Statement::Kind::kSelect:
        if (query != nullptr) {
          return ErrorAt(st.pos,
                         "a script runs one query: this is a second INSERT INTO or SELECT "
                         "(the first is at line " +
                             std::to_string(query->pos.line) + ")");
        }
        query = &st;
        break;
      case Statement::Kind::kSet:
        break;
    }
  }
  if (query == nullptr) {
    return ErrorAt(parsed.end, "the script has no INSERT INTO ... SELECT or SELECT statement");
  }
  if (query->kind == Statement::Kind::kSelect) {
    return PlanQuery(catalog, *query->select, nullptr, Ident{});
  }
  const InsertStmt& insert = *query->insert;
  const Table* sink = catalog.FindTable(insert.table);
  if (sink == nullptr) {
    if (catalog.FindView(insert.table) != nullptr) {
      return ErrorAt(insert.table.pos, "cannot INSERT INTO view '" + insert.table.name + "'");
    }
    return catalog.UnknownTable(insert.table);
  }
  return PlanQuery(catalog, *insert.query, sink, insert.table);
}

}  // namespace spate::sql
