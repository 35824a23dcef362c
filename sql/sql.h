// The SQL front end: a script in Flink's dialect in, the plan executors run out.
// Lexer -> parser (AST) -> analyzer (names, types) -> planner (proto::QueryPlan), kept apart as
// DuckDB keeps its parser, binder and planner. Depends on no runtime code.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "proto/plan.pb.h"

namespace spate::sql {

/// Settings that come from outside the script.
struct PlanOptions {
  /// Used for a Kafka table or sink that gives no 'properties.bootstrap.servers' ("" = none:
  /// then the option is required).
  std::string default_bootstrap;
};

/// Parses, analyzes and plans `script`: `;`-separated statements (CREATE TABLE, CREATE VIEW,
/// then exactly one INSERT INTO ... SELECT or bare SELECT). Every error is InvalidArgument with
/// a message "line L, column C: ..." naming the token or name at fault, e.g.
/// "line 3, column 8: unknown column 'usr_id' (did you mean 'user_id'?)".
Result<proto::QueryPlan> PlanScript(std::string_view script, const PlanOptions& options = {});

/// The plan as indented text, stage by stage (spate-submit --explain, the page's stage boxes).
std::string ExplainPlan(const proto::QueryPlan& plan);

/// A one-line summary ("TUMBLE 10 s, GROUP BY user_id, COUNT(*), HAVING COUNT(*) > 2").
std::string DescribePlan(const proto::QueryPlan& plan);

}  // namespace spate::sql
