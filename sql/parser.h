// Parser: tokens to the syntax tree (sql/ast.h). Recursive descent; Flink SQL's grammar for
// the statements Spate runs. Internal to sql/.
#pragma once

#include <string_view>

#include "common/status.h"
#include "sql/ast.h"

namespace spate::sql {

/// Deepest expression the parser builds (operators, calls and parentheses nested); deeper is
/// an error "expression nested too deeply", so that nothing downstream recurses without bound.
inline constexpr int kMaxParseDepth = 100;

/// Parses a whole script: `;`-separated CREATE TABLE, CREATE VIEW, INSERT INTO, SELECT and SET
/// statements (SET is parsed and dropped). Syntax errors say where and what was expected:
/// "line 1, column 15: expected ')' but found ','".
Result<Script> ParseScript(std::string_view script);

/// Parses one expression (the whole input); for tests.
Result<AstExprPtr> ParseExpression(std::string_view text);

}  // namespace spate::sql
