// The syntax tree of a script, as the parser makes it: names unresolved, types unchecked.
// Internal to sql/.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proto/plan.pb.h"
#include "sql/lexer.h"

namespace spate::sql {

/// A name as written. Unquoted names match case-insensitively; quoted ones exactly.
struct Ident {
  std::string name;
  bool quoted = false;
  Position pos;
};

enum class AstKind {
  kColumn,    ///< parts: a, t.a, http.status, t.http.status
  kLiteral,   ///< literal
  kStar,      ///< * (SELECT *, COUNT(*)); parts: the qualifier of t.*
  kOperator,  ///< op over args: "+" "-" "*" "/" "%" "NEG" "=" "<>" "<" "<=" ">" ">=" "AND" "OR"
              ///< "NOT" "||" "IS_NULL" ... "IN" "NOT_IN" "BETWEEN" "NOT_BETWEEN" "LIKE" ...
              ///< "REGEXP"; AND, OR and || are n-ary (a chain is one node)
  kFunction,  ///< op: the name in upper case; args; distinct
  kCase,      ///< args: [operand,] when1, then1, ..., [else]; has_operand, has_else
  kCast,      ///< args[0] AS cast_type; op "CAST" or "TRY_CAST"
};

struct AstLiteral {
  enum class Kind { kNull, kBool, kInteger, kDecimal, kString, kInterval, kTimestamp };
  Kind kind = Kind::kNull;
  bool bool_value = false;
  std::string text;  ///< integer/decimal digits, string value, interval value as written
  std::string unit;  ///< interval: the unit as written in upper case (SECOND, MINUTES, ...)
};

struct AstExpr {
  AstKind kind = AstKind::kLiteral;
  Position pos;    ///< the token at fault for this node: operator, function name, first token
  Position start;  ///< the expression's first token
  std::string op;
  std::vector<Ident> parts;
  AstLiteral literal;
  std::vector<std::unique_ptr<AstExpr>> args;
  bool distinct = false;
  bool has_operand = false;
  bool has_else = false;
  proto::DataType cast_type;
  int depth = 1;  ///< 1 + the deepest child's depth
};

using AstExprPtr = std::unique_ptr<AstExpr>;

struct SelectStmt;

/// What FROM names: a table or view, a subquery, or a window table function over one.
struct TableRef {
  enum class Kind { kNamed, kSubquery, kTumble, kHop, kSession };
  Kind kind = Kind::kNamed;
  Position pos;  ///< the table name, '(' of a subquery, or TUMBLE/HOP/SESSION
  Ident table;   ///< kNamed and the TVFs' TABLE argument
  Ident alias;   ///< name empty when none
  std::unique_ptr<SelectStmt> subquery;
  Ident descriptor;                      ///< TVFs: DESCRIPTOR(col)
  std::vector<AstExprPtr> partition_by;  ///< SESSION
  AstExprPtr size, slide, gap, offset;   ///< TVF intervals (offset optional)
};

struct SelectItem {
  AstExprPtr expr;  ///< kStar for * and t.*
  Ident alias;      ///< name empty when none
};

struct SelectStmt {
  Position pos;  ///< SELECT
  bool distinct = false;
  std::vector<SelectItem> items;
  TableRef from;
  AstExprPtr where;
  std::vector<AstExprPtr> group_by;
  Position group_by_pos;
  AstExprPtr having;
  Position having_pos;
};

struct ColumnDef {
  Ident name;
  proto::DataType type;  ///< physical columns
  AstExprPtr computed;   ///< set for `name AS expr`
};

struct TableOption {
  std::string key;
  Position key_pos;
  std::string value;
  Position value_pos;
};

struct CreateTableStmt {
  Ident name;
  std::vector<ColumnDef> columns;
  bool has_watermark = false;
  Ident watermark_column;
  AstExprPtr watermark_expr;
  Position watermark_pos;
  std::vector<TableOption> options;
  Position with_pos;
  bool has_with = false;
};

struct CreateViewStmt {
  Ident name;
  std::unique_ptr<SelectStmt> query;
};

struct InsertStmt {
  Ident table;
  std::unique_ptr<SelectStmt> query;
};

struct Statement {
  enum class Kind { kCreateTable, kCreateView, kInsert, kSelect, kSet };
  Kind kind = Kind::kSet;
  Position pos;
  std::unique_ptr<CreateTableStmt> create_table;
  std::unique_ptr<CreateViewStmt> create_view;
  std::unique_ptr<InsertStmt> insert;
  std::unique_ptr<SelectStmt> select;
};

struct Script {
  std::vector<Statement> statements;
  Position end;  ///< the end of the script
};

}  // namespace spate::sql
