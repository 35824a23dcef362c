// The planner: one query (with the catalog it reads) into the plan executors run. Internal to
// sql/.
#pragma once

#include "common/status.h"
#include "proto/plan.pb.h"
#include "sql/ast.h"
#include "sql/catalog.h"

namespace spate::sql {

/// Plans `query`, whose rows go to `sink` (nullptr: a bare SELECT, printed). `sink_name` is
/// where INSERT named the sink, for errors.
Result<proto::QueryPlan> PlanQuery(const Catalog& catalog, const SelectStmt& query,
                                   const Table* sink, const Ident& sink_name);

}  // namespace spate::sql
