#include "sql/parser.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>

namespace spate::sql {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Words that end an expression or a clause, so they are never read as a column or an alias.
bool IsReserved(const Token& t) {
  static constexpr std::string_view kWords[] = {
      "SELECT", "FROM",      "WHERE",  "GROUP", "BY",     "HAVING", "ORDER",    "LIMIT",
      "UNION",  "AS",        "AND",    "OR",    "NOT",    "IS",     "IN",       "BETWEEN",
      "LIKE",   "ILIKE",     "ESCAPE", "CASE",  "WHEN",   "THEN",   "ELSE",     "END",
      "JOIN",   "ON",        "LEFT",   "RIGHT", "INNER",  "OUTER",  "FULL",     "CROSS",
      "INSERT", "INTO",      "CREATE", "WITH",  "REGEXP", "RLIKE",  "DISTINCT", "ALL",
      "EXCEPT", "INTERSECT", "OVER",   "NULL",  "TRUE",   "FALSE",  "VALUES",   "SET"};
  if (t.kind != TokenKind::kIdentifier) return false;
  for (std::string_view w : kWords) {
    if (t.IsKeyword(w)) return true;
  }
  return false;
}

bool IsIntervalUnit(const Token& t) {
  static constexpr std::string_view kUnits[] = {"MILLISECOND", "MILLISECONDS", "SECOND", "SECONDS",
                                                "MINUTE",      "MINUTES",      "HOUR",   "HOURS",
                                                "DAY",         "DAYS"};
  for (std::string_view u : kUnits) {
    if (t.IsKeyword(u)) return true;
  }
  return false;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  Result<Script> ParseScriptTokens() {
    Script script;
    while (true) {
      while (AcceptSymbol(";")) {
      }
      if (Peek().kind == TokenKind::kEnd) break;
      SPATE_ASSIGN_OR_RETURN(Statement st, ParseStatement());
      script.statements.push_back(std::move(st));
      if (Peek().kind == TokenKind::kEnd) break;
      if (!Peek().IsSymbol(";")) return Unexpected("';'");
    }
    script.end = Peek().pos;
    return script;
  }

  Result<AstExprPtr> ParseWholeExpression() {
    SPATE_ASSIGN_OR_RETURN(AstExprPtr e, ParseExpr());
    if (Peek().kind != TokenKind::kEnd) return Unexpected("end of expression");
    return e;
  }

 private:
  // Counts recursive descents so that deeply nested input fails cleanly instead of
  // exhausting the stack.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser* p) : p_(p) { ++p_->depth_; }
    ~DepthGuard() { --p_->depth_; }
    Status Check() const {
      if (p_->depth_ > kMaxParseDepth)
        return ErrorAt(p_->Peek().pos, "expression nested too deeply");
      return Status::OK();
    }

   private:
    Parser* p_;
  };

  const Token& Peek(size_t ahead = 0) const {
    return toks_[std::min(i_ + ahead, toks_.size() - 1)];
  }
  const Token& Next() {
    const Token& t = toks_[i_];
    if (i_ + 1 < toks_.size()) ++i_;
    return t;
  }
  bool AcceptKeyword(std::string_view kw) {
    if (!Peek().IsKeyword(kw)) return false;
    Next();
    return true;
  }
  bool AcceptSymbol(std::string_view s) {
    if (!Peek().IsSymbol(s)) return false;
    Next();
    return true;
  }
  Status Unexpected(std::string_view what) const {
    return ErrorAt(Peek().pos, "expected " + std::string(what) + " but found " + Peek().Describe());
  }
  Status ExpectKeyword(std::string_view kw) {
    if (AcceptKeyword(kw)) return Status::OK();
    return Unexpected(kw);
  }
  Status ExpectSymbol(std::string_view s) {
    if (AcceptSymbol(s)) return Status::OK();
    return Unexpected("'" + std::string(s) + "'");
  }
  Result<Ident> ParseIdent(std::string_view what) {
    const Token& t = Peek();
    if (t.kind == TokenKind::kQuotedIdentifier ||
        (t.kind == TokenKind::kIdentifier && !IsReserved(t))) {
      Next();
      return Ident{t.text, t.kind == TokenKind::kQuotedIdentifier, t.pos};
    }
    return Unexpected(what);
  }

  AstExprPtr Node(AstKind kind, Position pos, Position start, std::string op = "") {
    auto e = std::make_unique<AstExpr>();
    e->kind = kind;
    e->pos = pos;
    e->start = start;
    e->op = std::move(op);
    return e;
  }
  // Adds a child, keeping `depth`; the tree may not grow deeper than kMaxParseDepth.
  Status Add(AstExpr* parent, AstExprPtr child) {
    parent->depth = std::max(parent->depth, child->depth + 1);
    parent->args.push_back(std::move(child));
    if (parent->depth > kMaxParseDepth) return ErrorAt(parent->pos, "expression nested too deeply");
    return Status::OK();
  }

  // ---- statements ----

  Result<Statement> ParseStatement() {
    Statement st;
    st.pos = Peek().pos;
    if (AcceptKeyword("CREATE")) {
      AcceptKeyword("TEMPORARY");
      if (AcceptKeyword("TABLE")) {
        st.kind = Statement::Kind::kCreateTable;
        SPATE_ASSIGN_OR_RETURN(st.create_table, ParseCreateTable());
        return st;
      }
      if (AcceptKeyword("VIEW")) {
        st.kind = Statement::Kind::kCreateView;
        auto v = std::make_unique<CreateViewStmt>();
        SPATE_RETURN_IF_ERROR(ParseIfNotExists());
        SPATE_ASSIGN_OR_RETURN(v->name, ParseIdent("a view name"));
        if (Peek().IsSymbol("(")) {
          return ErrorAt(Peek().pos,
                         "a column list after the view name is not supported: name "
                         "the columns with AS in the SELECT");
        }
        SPATE_RETURN_IF_ERROR(ExpectKeyword("AS"));
        SPATE_ASSIGN_OR_RETURN(v->query, ParseSelect());
        st.create_view = std::move(v);
        return st;
      }
      if (Peek().IsKeyword("FUNCTION") || Peek().IsKeyword("CATALOG") ||
          Peek().IsKeyword("DATABASE")) {
        return ErrorAt(Peek().pos, "CREATE " + Upper(Peek().text) + " is not supported");
      }
      return Unexpected("TABLE or VIEW");
    }
    if (AcceptKeyword("INSERT")) {
      if (Peek().IsKeyword("OVERWRITE")) {
        return ErrorAt(Peek().pos, "INSERT OVERWRITE is not supported: use INSERT INTO");
      }
      SPATE_RETURN_IF_ERROR(ExpectKeyword("INTO"));
      st.kind = Statement::Kind::kInsert;
      auto ins = std::make_unique<InsertStmt>();
      SPATE_ASSIGN_OR_RETURN(ins->table, ParseIdent("a table name"));
      if (Peek().IsSymbol("(")) {
        return ErrorAt(Peek().pos,
                       "a column list in INSERT INTO is not supported: the query's "
                       "columns fill the table's columns in order");
      }
      SPATE_ASSIGN_OR_RETURN(ins->query, ParseSelect());
      st.insert = std::move(ins);
      return st;
    }
    if (Peek().IsKeyword("SELECT")) {
      st.kind = Statement::Kind::kSelect;
      SPATE_ASSIGN_OR_RETURN(st.select, ParseSelect());
      return st;
    }
    if (AcceptKeyword("SET") || AcceptKeyword("RESET")) {
      // Settings of Flink's client (SET 'execution.runtime-mode' = 'streaming'): Spate's
      // settings come from spate-submit, so the statement is read and dropped.
      st.kind = Statement::Kind::kSet;
      while (Peek().kind != TokenKind::kEnd && !Peek().IsSymbol(";")) Next();
      return st;
    }
    if (Peek().IsKeyword("WITH")) {
      return ErrorAt(Peek().pos,
                     "WITH (common table expressions) is not supported: use CREATE VIEW");
    }
    return Unexpected("CREATE, INSERT, SELECT or SET");
  }

  Status ParseIfNotExists() {
    if (AcceptKeyword("IF")) {
      SPATE_RETURN_IF_ERROR(ExpectKeyword("NOT"));
      SPATE_RETURN_IF_ERROR(ExpectKeyword("EXISTS"));
    }
    return Status::OK();
  }

  Result<std::unique_ptr<CreateTableStmt>> ParseCreateTable() {
    auto t = std::make_unique<CreateTableStmt>();
    SPATE_RETURN_IF_ERROR(ParseIfNotExists());
    SPATE_ASSIGN_OR_RETURN(t->name, ParseIdent("a table name"));
    SPATE_RETURN_IF_ERROR(ExpectSymbol("("));
    while (true) {
      if (Peek().IsKeyword("WATERMARK") && Peek(1).IsKeyword("FOR")) {
        if (t->has_watermark) return ErrorAt(Peek().pos, "a table has at most one WATERMARK");
        t->has_watermark = true;
        t->watermark_pos = Next().pos;
        Next();
        SPATE_ASSIGN_OR_RETURN(t->watermark_column, ParseIdent("a column name"));
        SPATE_RETURN_IF_ERROR(ExpectKeyword("AS"));
        SPATE_ASSIGN_OR_RETURN(t->watermark_expr, ParseExpr());
      } else if (Peek().IsKeyword("PRIMARY") || Peek().IsKeyword("CONSTRAINT")) {
        return ErrorAt(Peek().pos, "PRIMARY KEY is not supported (Spate tables are append-only)");
      } else {
        ColumnDef col;
        SPATE_ASSIGN_OR_RETURN(col.name, ParseIdent("a column name"));
        if (AcceptKeyword("AS")) {
          SPATE_ASSIGN_OR_RETURN(col.computed, ParseExpr());
        } else {
          SPATE_ASSIGN_OR_RETURN(col.type, ParseType());
          if (Peek().IsKeyword("METADATA")) {
            return ErrorAt(Peek().pos, "METADATA columns are not supported");
          }
        }
        if (AcceptKeyword("COMMENT")) {
          if (Peek().kind != TokenKind::kString) return Unexpected("a comment string");
          Next();
        }
        t->columns.push_back(std::move(col));
      }
      if (AcceptSymbol(",")) continue;
      SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
      break;
    }
    if (AcceptKeyword("COMMENT")) {
      if (Peek().kind != TokenKind::kString) return Unexpected("a comment string");
      Next();
    }
    if (Peek().IsKeyword("PARTITIONED")) {
      return ErrorAt(Peek().pos, "PARTITIONED BY is not supported");
    }
    if (Peek().IsKeyword("WITH")) {
      t->has_with = true;
      t->with_pos = Next().pos;
      SPATE_RETURN_IF_ERROR(ExpectSymbol("("));
      if (!AcceptSymbol(")")) {
        while (true) {
          TableOption opt;
          if (Peek().kind != TokenKind::kString) return Unexpected("an option name in quotes");
          opt.key_pos = Peek().pos;
          opt.key = Next().text;
          SPATE_RETURN_IF_ERROR(ExpectSymbol("="));
          if (Peek().kind != TokenKind::kString) return Unexpected("an option value in quotes");
          opt.value_pos = Peek().pos;
          opt.value = Next().text;
          t->options.push_back(std::move(opt));
          if (AcceptSymbol(",")) continue;
          SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
          break;
        }
      }
    }
    return t;
  }

  Result<int> ParsePrecision(int fallback) {
    if (!AcceptSymbol("(")) return fallback;
    if (Peek().kind != TokenKind::kInteger || Peek().text.size() > 4)
      return Unexpected("a precision");
    int p = std::stoi(Next().text);
    SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
    return p;
  }

  Result<proto::DataType> ParseType() {
    DepthGuard guard(this);
    SPATE_RETURN_IF_ERROR(guard.Check());
    proto::DataType type;
    const Token t = Peek();
    if (t.kind != TokenKind::kIdentifier) return Unexpected("a type");
    Next();
    if (t.IsKeyword("STRING")) {
      type.set_kind(proto::TYPE_STRING);
    } else if (t.IsKeyword("VARCHAR") || t.IsKeyword("CHAR")) {
      type.set_kind(proto::TYPE_STRING);
      SPATE_ASSIGN_OR_RETURN(int n, ParsePrecision(1));
      (void)n;
    } else if (t.IsKeyword("BOOLEAN")) {
      type.set_kind(proto::TYPE_BOOLEAN);
    } else if (t.IsKeyword("INT") || t.IsKeyword("INTEGER") || t.IsKeyword("SMALLINT") ||
               t.IsKeyword("TINYINT")) {
      type.set_kind(proto::TYPE_INT);
    } else if (t.IsKeyword("BIGINT")) {
      type.set_kind(proto::TYPE_BIGINT);
    } else if (t.IsKeyword("DOUBLE") || t.IsKeyword("FLOAT") || t.IsKeyword("REAL")) {
      type.set_kind(proto::TYPE_DOUBLE);
      AcceptKeyword("PRECISION");
    } else if (t.IsKeyword("TIMESTAMP") || t.IsKeyword("TIMESTAMP_LTZ")) {
      bool ltz = t.IsKeyword("TIMESTAMP_LTZ");
      SPATE_ASSIGN_OR_RETURN(int p, ParsePrecision(3));
      if (!ltz && AcceptKeyword("WITH")) {
        SPATE_RETURN_IF_ERROR(ExpectKeyword("LOCAL"));
        SPATE_RETURN_IF_ERROR(ExpectKeyword("TIME"));
        SPATE_RETURN_IF_ERROR(ExpectKeyword("ZONE"));
        ltz = true;
      } else if (!ltz && AcceptKeyword("WITHOUT")) {
        SPATE_RETURN_IF_ERROR(ExpectKeyword("TIME"));
        SPATE_RETURN_IF_ERROR(ExpectKeyword("ZONE"));
      }
      if (p > 3) {
        return ErrorAt(t.pos, "precision " + std::to_string(p) +
                                  " is not supported: Spate keeps milliseconds (precision 0 to 3)");
      }
      type.set_kind(ltz ? proto::TYPE_TIMESTAMP_LTZ : proto::TYPE_TIMESTAMP);
      type.set_precision(p);
    } else if (t.IsKeyword("ROW")) {
      type.set_kind(proto::TYPE_ROW);
      const bool angle = Peek().IsSymbol("<");
      if (!angle && !Peek().IsSymbol("(")) return Unexpected("'<' or '('");
      Next();
      const std::string close = angle ? ">" : ")";
      while (true) {
        SPATE_ASSIGN_OR_RETURN(Ident name, ParseIdent("a field name"));
        for (const auto& f : type.fields()) {
          if (f.name() == name.name) {
            return ErrorAt(name.pos, "duplicate field '" + name.name + "'");
          }
        }
        auto* field = type.add_fields();
        field->set_name(name.name);
        SPATE_ASSIGN_OR_RETURN(*field->mutable_type(), ParseType());
        if (AcceptKeyword("COMMENT")) {
          if (Peek().kind != TokenKind::kString) return Unexpected("a comment string");
          Next();
        }
        if (AcceptSymbol(",")) continue;
        // ROW<a ROW<b INT>> ends in '>>', which the lexer reads as two '>' (it has no '>>').
        SPATE_RETURN_IF_ERROR(ExpectSymbol(close));
        break;
      }
    } else if (t.IsKeyword("DECIMAL") || t.IsKeyword("NUMERIC") || t.IsKeyword("DEC")) {
      return ErrorAt(t.pos, "type DECIMAL is not supported: use DOUBLE or BIGINT");
    } else if (t.IsKeyword("DATE") || t.IsKeyword("TIME") || t.IsKeyword("ARRAY") ||
               t.IsKeyword("MAP") || t.IsKeyword("MULTISET") || t.IsKeyword("BYTES") ||
               t.IsKeyword("BINARY") || t.IsKeyword("VARBINARY")) {
      return ErrorAt(t.pos, "type " + Upper(t.text) + " is not supported");
    } else {
      return ErrorAt(t.pos, "unknown type '" + t.text +
                                "' (types: STRING, BOOLEAN, INT, BIGINT, DOUBLE, TIMESTAMP(3), "
                                "TIMESTAMP_LTZ(3), ROW<...>)");
    }
    if (Peek().IsKeyword("NOT") && Peek(1).IsKeyword("NULL")) {
      Next();
      Next();
      type.set_not_null(true);
    } else if (Peek().IsKeyword("NULL")) {
      Next();
    }
    return type;
  }

  // ---- queries ----

  Result<std::unique_ptr<SelectStmt>> ParseSelect() {
    DepthGuard guard(this);
    SPATE_RETURN_IF_ERROR(guard.Check());
    auto s = std::make_unique<SelectStmt>();
    s->pos = Peek().pos;
    if (Peek().IsKeyword("VALUES")) return ErrorAt(Peek().pos, "VALUES is not supported");
    SPATE_RETURN_IF_ERROR(ExpectKeyword("SELECT"));
    if (AcceptKeyword("DISTINCT")) {
      s->distinct = true;
    } else {
      AcceptKeyword("ALL");
    }
    while (true) {
      SelectItem item;
      if (Peek().IsSymbol("*")) {
        item.expr = Node(AstKind::kStar, Peek().pos, Peek().pos);
        Next();
      } else if ((Peek().kind == TokenKind::kIdentifier ||
                  Peek().kind == TokenKind::kQuotedIdentifier) &&
                 Peek(1).IsSymbol(".") && Peek(2).IsSymbol("*")) {
        item.expr = Node(AstKind::kStar, Peek().pos, Peek().pos);
        item.expr->parts.push_back(
            Ident{Peek().text, Peek().kind == TokenKind::kQuotedIdentifier, Peek().pos});
        Next();
        Next();
        Next();
      } else {
        SPATE_ASSIGN_OR_RETURN(item.expr, ParseExpr());
        if (AcceptKeyword("AS")) {
          SPATE_ASSIGN_OR_RETURN(item.alias, ParseIdent("an alias"));
        } else if (Peek().kind == TokenKind::kQuotedIdentifier ||
                   (Peek().kind == TokenKind::kIdentifier && !IsReserved(Peek()))) {
          item.alias = Ident{Peek().text, Peek().kind == TokenKind::kQuotedIdentifier, Peek().pos};
          Next();
        }
      }
      s->items.push_back(std::move(item));
      if (!AcceptSymbol(",")) break;
    }
    SPATE_RETURN_IF_ERROR(ExpectKeyword("FROM"));
    SPATE_RETURN_IF_ERROR(ParseTableRef(&s->from));
    if (Peek().IsSymbol(",") || Peek().IsKeyword("JOIN") || Peek().IsKeyword("LEFT") ||
        Peek().IsKeyword("RIGHT") || Peek().IsKeyword("INNER") || Peek().IsKeyword("FULL") ||
        Peek().IsKeyword("CROSS")) {
      return ErrorAt(Peek().pos, "joins are not supported: a query reads one table");
    }
    if (AcceptKeyword("WHERE")) {
      SPATE_ASSIGN_OR_RETURN(s->where, ParseExpr());
    }
    if (Peek().IsKeyword("GROUP")) {
      s->group_by_pos = Next().pos;
      SPATE_RETURN_IF_ERROR(ExpectKeyword("BY"));
      while (true) {
        SPATE_ASSIGN_OR_RETURN(AstExprPtr e, ParseExpr());
        s->group_by.push_back(std::move(e));
        if (!AcceptSymbol(",")) break;
      }
    }
    if (Peek().IsKeyword("HAVING")) {
      s->having_pos = Next().pos;
      SPATE_ASSIGN_OR_RETURN(s->having, ParseExpr());
    }
    if (Peek().IsKeyword("ORDER")) {
      return ErrorAt(Peek().pos, "ORDER BY is not supported in a streaming query");
    }
    if (Peek().IsKeyword("LIMIT")) {
      return ErrorAt(Peek().pos, "LIMIT is not supported in a streaming query");
    }
    if (Peek().IsKeyword("UNION") || Peek().IsKeyword("EXCEPT") || Peek().IsKeyword("INTERSECT")) {
      return ErrorAt(Peek().pos, Upper(Peek().text) + " is not supported");
    }
    if (Peek().IsKeyword("WINDOW")) {
      return ErrorAt(Peek().pos, "the WINDOW clause is not supported");
    }
    return s;
  }

  Status ParseAlias(TableRef* ref) {
    if (AcceptKeyword("AS")) {
      SPATE_ASSIGN_OR_RETURN(ref->alias, ParseIdent("an alias"));
    } else if (Peek().kind == TokenKind::kQuotedIdentifier ||
               (Peek().kind == TokenKind::kIdentifier && !IsReserved(Peek()) &&
                !Peek().IsKeyword("TABLESAMPLE"))) {
      ref->alias = Ident{Peek().text, Peek().kind == TokenKind::kQuotedIdentifier, Peek().pos};
      Next();
    }
    return Status::OK();
  }

  Status ParseTableRef(TableRef* ref) {
    ref->pos = Peek().pos;
    if (Peek().IsKeyword("TABLE") && Peek(1).IsSymbol("(")) {
      Next();
      Next();
      SPATE_RETURN_IF_ERROR(ParseWindowFunction(ref));
      SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
      return ParseAlias(ref);
    }
    if (Peek().IsSymbol("(")) {
      Next();
      if (!Peek().IsKeyword("SELECT")) return Unexpected("SELECT");
      ref->kind = TableRef::Kind::kSubquery;
      SPATE_ASSIGN_OR_RETURN(ref->subquery, ParseSelect());
      SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
      return ParseAlias(ref);
    }
    ref->kind = TableRef::Kind::kNamed;
    SPATE_ASSIGN_OR_RETURN(ref->table, ParseIdent("a table name"));
    if (Peek().IsSymbol(".")) {
      return ErrorAt(Peek().pos,
                     "catalog and database names are not supported: name the table alone");
    }
    return ParseAlias(ref);
  }

  Status ParseWindowFunction(TableRef* ref) {
    const Token fn = Peek();
    ref->pos = fn.pos;
    if (fn.IsKeyword("TUMBLE")) {
      ref->kind = TableRef::Kind::kTumble;
    } else if (fn.IsKeyword("HOP")) {
      ref->kind = TableRef::Kind::kHop;
    } else if (fn.IsKeyword("SESSION")) {
      ref->kind = TableRef::Kind::kSession;
    } else if (fn.IsKeyword("CUMULATE")) {
      return ErrorAt(fn.pos, "CUMULATE windows are not supported (TUMBLE, HOP and SESSION are)");
    } else {
      return Unexpected("TUMBLE, HOP or SESSION");
    }
    Next();
    SPATE_RETURN_IF_ERROR(ExpectSymbol("("));
    bool have_table = false;
    bool have_descriptor = false;
    std::vector<AstExprPtr> positional;
    while (true) {
      std::string name;
      Position name_pos = Peek().pos;
      if (Peek().kind == TokenKind::kIdentifier && Peek(1).IsSymbol("=>")) {
        name = Upper(Next().text);
        Next();
      }
      if (Peek().IsKeyword("TABLE")) {
        if (!name.empty() && name != "DATA") {
          return ErrorAt(name_pos, "argument " + name + " cannot be a table");
        }
        if (have_table) return ErrorAt(Peek().pos, "the table is given twice");
        Next();
        have_table = true;
        SPATE_ASSIGN_OR_RETURN(ref->table, ParseIdent("a table name"));
        if (Peek().IsKeyword("PARTITION")) {
          Position p = Next().pos;
          SPATE_RETURN_IF_ERROR(ExpectKeyword("BY"));
          if (ref->kind != TableRef::Kind::kSession) {
            return ErrorAt(p, "PARTITION BY belongs to SESSION windows");
          }
          const bool paren = AcceptSymbol("(");
          while (true) {
            SPATE_ASSIGN_OR_RETURN(AstExprPtr k, ParseAdditive());
            ref->partition_by.push_back(std::move(k));
            if (paren) {
              if (!AcceptSymbol(",")) break;
              continue;
            }
            // Without parentheses the keys end where the next argument begins.
            const bool next_is_key =
                Peek().IsSymbol(",") && !Peek(1).IsKeyword("DESCRIPTOR") &&
                !Peek(1).IsKeyword("INTERVAL") &&
                !(Peek(1).kind == TokenKind::kIdentifier && Peek(2).IsSymbol("=>"));
            if (!next_is_key) break;
            Next();
          }
          if (paren) SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
        }
      } else if (Peek().IsKeyword("DESCRIPTOR")) {
        if (!name.empty() && name != "TIMECOL") {
          return ErrorAt(name_pos, "argument " + name + " cannot be a DESCRIPTOR");
        }
        if (have_descriptor) return ErrorAt(Peek().pos, "DESCRIPTOR is given twice");
        Next();
        have_descriptor = true;
        SPATE_RETURN_IF_ERROR(ExpectSymbol("("));
        SPATE_ASSIGN_OR_RETURN(ref->descriptor, ParseIdent("a column name"));
        SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
      } else {
        SPATE_ASSIGN_OR_RETURN(AstExprPtr e, ParseExpr());
        if (name.empty()) {
          positional.push_back(std::move(e));
        } else {
          AstExprPtr* slot = nullptr;
          if (name == "SIZE" && ref->kind != TableRef::Kind::kSession) slot = &ref->size;
          if (name == "SLIDE" && ref->kind == TableRef::Kind::kHop) slot = &ref->slide;
          if (name == "GAP" && ref->kind == TableRef::Kind::kSession) slot = &ref->gap;
          if (name == "OFFSET" && ref->kind != TableRef::Kind::kSession) slot = &ref->offset;
          if (slot == nullptr) {
            return ErrorAt(name_pos, "unknown argument " + name + " of " + Upper(fn.text));
          }
          if (*slot) return ErrorAt(name_pos, "argument " + name + " is given twice");
          *slot = std::move(e);
        }
      }
      if (AcceptSymbol(",")) continue;
      SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
      break;
    }
    if (!have_table)
      return ErrorAt(fn.pos, Upper(fn.text) + " needs TABLE <name> as its first argument");
    if (!have_descriptor) {
      return ErrorAt(fn.pos, Upper(fn.text) + " needs DESCRIPTOR(<time column>)");
    }
    // Positional intervals, in Flink's order: TUMBLE(size[, offset]), HOP(slide, size[, offset]),
    // SESSION(gap).
    std::vector<AstExprPtr*> order;
    if (ref->kind == TableRef::Kind::kTumble) order = {&ref->size, &ref->offset};
    if (ref->kind == TableRef::Kind::kHop) order = {&ref->slide, &ref->size, &ref->offset};
    if (ref->kind == TableRef::Kind::kSession) order = {&ref->gap};
    size_t next = 0;
    for (auto& e : positional) {
      while (next < order.size() && *order[next]) ++next;
      if (next == order.size()) {
        return ErrorAt(e->start, "too many arguments to " + Upper(fn.text));
      }
      *order[next++] = std::move(e);
    }
    const char* missing = nullptr;
    if (ref->kind == TableRef::Kind::kTumble && !ref->size) missing = "the window size";
    if (ref->kind == TableRef::Kind::kHop && !ref->slide) missing = "the slide";
    if (ref->kind == TableRef::Kind::kHop && !ref->size) missing = "the window size";
    if (ref->kind == TableRef::Kind::kSession && !ref->gap) missing = "the session gap";
    if (missing != nullptr) {
      return ErrorAt(fn.pos, Upper(fn.text) + " is missing " + missing);
    }
    return Status::OK();
  }

  // ---- expressions ----

  Result<AstExprPtr> ParseExpr() {
    DepthGuard guard(this);
    SPATE_RETURN_IF_ERROR(guard.Check());
    return ParseOr();
  }

  Result<AstExprPtr> ParseOr() {
    SPATE_ASSIGN_OR_RETURN(AstExprPtr left, ParseAnd());
    if (!Peek().IsKeyword("OR")) return left;
    AstExprPtr node = Node(AstKind::kOperator, Peek().pos, left->start, "OR");
    SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(left)));
    while (AcceptKeyword("OR")) {
      SPATE_ASSIGN_OR_RETURN(AstExprPtr right, ParseAnd());
      SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(right)));
    }
    return node;
  }

  Result<AstExprPtr> ParseAnd() {
    SPATE_ASSIGN_OR_RETURN(AstExprPtr left, ParseNot());
    if (!Peek().IsKeyword("AND")) return left;
    AstExprPtr node = Node(AstKind::kOperator, Peek().pos, left->start, "AND");
    SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(left)));
    while (AcceptKeyword("AND")) {
      SPATE_ASSIGN_OR_RETURN(AstExprPtr right, ParseNot());
      SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(right)));
    }
    return node;
  }

  Result<AstExprPtr> ParseNot() {
    if (Peek().IsKeyword("NOT")) {
      DepthGuard guard(this);
      SPATE_RETURN_IF_ERROR(guard.Check());
      Position pos = Next().pos;
      SPATE_ASSIGN_OR_RETURN(AstExprPtr arg, ParseNot());
      AstExprPtr node = Node(AstKind::kOperator, pos, pos, "NOT");
      SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(arg)));
      return node;
    }
    return ParsePredicate();
  }

  Result<AstExprPtr> Binary(std::string op, Position pos, AstExprPtr left, AstExprPtr right) {
    AstExprPtr node = Node(AstKind::kOperator, pos, left->start, std::move(op));
    SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(left)));
    SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(right)));
    return node;
  }

  Result<AstExprPtr> ParsePredicate() {
    SPATE_ASSIGN_OR_RETURN(AstExprPtr left, ParseAdditive());
    while (true) {
      const Token& t = Peek();
      static constexpr std::string_view kCompare[] = {"=", "<>", "!=", "<", "<=", ">", ">="};
      bool compared = false;
      for (std::string_view op : kCompare) {
        if (t.IsSymbol(op)) {
          Position pos = Next().pos;
          SPATE_ASSIGN_OR_RETURN(AstExprPtr right, ParseAdditive());
          SPATE_ASSIGN_OR_RETURN(left, Binary(op == "!=" ? "<>" : std::string(op), pos,
                                              std::move(left), std::move(right)));
          compared = true;
          break;
        }
      }
      if (compared) continue;
      if (t.IsKeyword("IS")) {
        Position pos = Next().pos;
        const bool negated = AcceptKeyword("NOT");
        std::string op;
        if (AcceptKeyword("NULL")) {
          op = negated ? "IS_NOT_NULL" : "IS_NULL";
        } else if (AcceptKeyword("TRUE")) {
          op = negated ? "IS_NOT_TRUE" : "IS_TRUE";
        } else if (AcceptKeyword("FALSE")) {
          op = negated ? "IS_NOT_FALSE" : "IS_FALSE";
        } else if (AcceptKeyword("UNKNOWN")) {
          op = negated ? "IS_NOT_NULL" : "IS_NULL";
        } else {
          return Unexpected("NULL, TRUE or FALSE");
        }
        AstExprPtr node = Node(AstKind::kOperator, pos, left->start, op);
        SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(left)));
        left = std::move(node);
        continue;
      }
      bool negated = false;
      if (t.IsKeyword("NOT") &&
          (Peek(1).IsKeyword("IN") || Peek(1).IsKeyword("BETWEEN") || Peek(1).IsKeyword("LIKE") ||
           Peek(1).IsKeyword("ILIKE") || Peek(1).IsKeyword("REGEXP") ||
           Peek(1).IsKeyword("RLIKE") || Peek(1).IsKeyword("SIMILAR"))) {
        negated = true;
        Next();
      }
      const Token& k = Peek();
      if (k.IsKeyword("IN")) {
        Position pos = Next().pos;
        SPATE_RETURN_IF_ERROR(ExpectSymbol("("));
        if (Peek().IsKeyword("SELECT")) return ErrorAt(Peek().pos, "subqueries are not supported");
        AstExprPtr node = Node(AstKind::kOperator, pos, left->start, negated ? "NOT_IN" : "IN");
        SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(left)));
        while (true) {
          SPATE_ASSIGN_OR_RETURN(AstExprPtr v, ParseExpr());
          SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(v)));
          if (!AcceptSymbol(",")) break;
        }
        SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
        left = std::move(node);
      } else if (k.IsKeyword("BETWEEN")) {
        Position pos = Next().pos;
        if (Peek().IsKeyword("SYMMETRIC")) {
          return ErrorAt(Peek().pos, "BETWEEN SYMMETRIC is not supported");
        }
        AcceptKeyword("ASYMMETRIC");
        SPATE_ASSIGN_OR_RETURN(AstExprPtr low, ParseAdditive());
        SPATE_RETURN_IF_ERROR(ExpectKeyword("AND"));
        SPATE_ASSIGN_OR_RETURN(AstExprPtr high, ParseAdditive());
        AstExprPtr node =
            Node(AstKind::kOperator, pos, left->start, negated ? "NOT_BETWEEN" : "BETWEEN");
        SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(left)));
        SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(low)));
        SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(high)));
        left = std::move(node);
      } else if (k.IsKeyword("LIKE") || k.IsKeyword("ILIKE")) {
        const bool ilike = k.IsKeyword("ILIKE");
        Position pos = Next().pos;
        SPATE_ASSIGN_OR_RETURN(AstExprPtr pattern, ParseAdditive());
        std::string op = std::string(negated ? "NOT_" : "") + (ilike ? "ILIKE" : "LIKE");
        AstExprPtr node = Node(AstKind::kOperator, pos, left->start, op);
        SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(left)));
        SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(pattern)));
        if (AcceptKeyword("ESCAPE")) {
          SPATE_ASSIGN_OR_RETURN(AstExprPtr esc, ParsePrimary());
          SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(esc)));
        }
        left = std::move(node);
      } else if (k.IsKeyword("REGEXP") || k.IsKeyword("RLIKE")) {
        Position pos = Next().pos;
        SPATE_ASSIGN_OR_RETURN(AstExprPtr pattern, ParseAdditive());
        SPATE_ASSIGN_OR_RETURN(left, Binary("REGEXP", pos, std::move(left), std::move(pattern)));
        if (negated) {
          AstExprPtr node = Node(AstKind::kOperator, pos, left->start, "NOT");
          SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(left)));
          left = std::move(node);
        }
      } else if (k.IsKeyword("SIMILAR")) {
        return ErrorAt(k.pos, "SIMILAR TO is not supported: use REGEXP_LIKE");
      } else {
        if (negated) return Unexpected("IN, BETWEEN, LIKE, ILIKE or REGEXP");
        return left;
      }
    }
  }

  Result<AstExprPtr> ParseAdditive() {
    DepthGuard guard(this);
    SPATE_RETURN_IF_ERROR(guard.Check());
    SPATE_ASSIGN_OR_RETURN(AstExprPtr left, ParseMultiplicative());
    AstExpr* concat = nullptr;  // the `||` chain being built, to keep it one node
    while (Peek().IsSymbol("+") || Peek().IsSymbol("-") || Peek().IsSymbol("||")) {
      const Token op = Next();
      SPATE_ASSIGN_OR_RETURN(AstExprPtr right, ParseMultiplicative());
      if (op.text == "||" && concat != nullptr && left.get() == concat) {
        SPATE_RETURN_IF_ERROR(Add(concat, std::move(right)));
        continue;
      }
      SPATE_ASSIGN_OR_RETURN(left, Binary(op.text, op.pos, std::move(left), std::move(right)));
      concat = op.text == "||" ? left.get() : nullptr;
    }
    return left;
  }

  Result<AstExprPtr> ParseMultiplicative() {
    SPATE_ASSIGN_OR_RETURN(AstExprPtr left, ParseUnary());
    while (Peek().IsSymbol("*") || Peek().IsSymbol("/") || Peek().IsSymbol("%")) {
      const Token op = Next();
      SPATE_ASSIGN_OR_RETURN(AstExprPtr right, ParseUnary());
      SPATE_ASSIGN_OR_RETURN(left, Binary(op.text, op.pos, std::move(left), std::move(right)));
    }
    return left;
  }

  Result<AstExprPtr> ParseUnary() {
    if (Peek().IsSymbol("-") || Peek().IsSymbol("+")) {
      DepthGuard guard(this);
      SPATE_RETURN_IF_ERROR(guard.Check());
      const Token op = Next();
      SPATE_ASSIGN_OR_RETURN(AstExprPtr arg, ParseUnary());
      if (op.text == "+") return arg;
      AstExprPtr node = Node(AstKind::kOperator, op.pos, op.pos, "NEG");
      SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(arg)));
      return node;
    }
    return ParsePrimary();
  }

  Result<AstExprPtr> ParseCall(const Token& name) {
    // At '(' after the name.
    Next();
    AstExprPtr call = Node(AstKind::kFunction, name.pos, name.pos, Upper(name.text));
    if (AcceptSymbol(")")) return call;
    if (AcceptKeyword("DISTINCT")) {
      call->distinct = true;
    } else {
      AcceptKeyword("ALL");
    }
    if (Peek().IsSymbol("*") && Peek(1).IsSymbol(")")) {
      SPATE_RETURN_IF_ERROR(Add(call.get(), Node(AstKind::kStar, Peek().pos, Peek().pos)));
      Next();
      Next();
      return call;
    }
    while (true) {
      SPATE_ASSIGN_OR_RETURN(AstExprPtr arg, ParseExpr());
      SPATE_RETURN_IF_ERROR(Add(call.get(), std::move(arg)));
      if (!AcceptSymbol(",")) break;
    }
    SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
    if (Peek().IsKeyword("FILTER") && Peek(1).IsSymbol("(")) {
      return ErrorAt(Peek().pos, "FILTER (WHERE ...) on aggregates is not supported");
    }
    if (Peek().IsKeyword("OVER")) return ErrorAt(Peek().pos, "OVER windows are not supported");
    return call;
  }

  Result<AstExprPtr> ParsePrimary() {
    DepthGuard guard(this);
    SPATE_RETURN_IF_ERROR(guard.Check());
    const Token t = Peek();
    switch (t.kind) {
      case TokenKind::kInteger:
      case TokenKind::kDecimal:
      case TokenKind::kString: {
        Next();
        AstExprPtr lit = Node(AstKind::kLiteral, t.pos, t.pos);
        lit->literal.kind = t.kind == TokenKind::kString    ? AstLiteral::Kind::kString
                            : t.kind == TokenKind::kInteger ? AstLiteral::Kind::kInteger
                                                            : AstLiteral::Kind::kDecimal;
        lit->literal.text = t.text;
        return lit;
      }
      case TokenKind::kSymbol:
        if (t.IsSymbol("(")) {
          Next();
          if (Peek().IsKeyword("SELECT"))
            return ErrorAt(Peek().pos, "subqueries are not supported");
          SPATE_ASSIGN_OR_RETURN(AstExprPtr inner, ParseExpr());
          SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
          inner->start = t.pos;
          return inner;
        }
        return Unexpected("an expression");
      case TokenKind::kEnd:
        return Unexpected("an expression");
      case TokenKind::kQuotedIdentifier:
      case TokenKind::kIdentifier:
        break;
    }
    if (t.kind == TokenKind::kIdentifier) {
      if (t.IsKeyword("NULL") || t.IsKeyword("TRUE") || t.IsKeyword("FALSE")) {
        Next();
        AstExprPtr lit = Node(AstKind::kLiteral, t.pos, t.pos);
        lit->literal.kind = t.IsKeyword("NULL") ? AstLiteral::Kind::kNull : AstLiteral::Kind::kBool;
        lit->literal.bool_value = t.IsKeyword("TRUE");
        return lit;
      }
      if (t.IsKeyword("INTERVAL")) return ParseInterval();
      if ((t.IsKeyword("TIMESTAMP") || t.IsKeyword("TIMESTAMP_LTZ")) &&
          Peek(1).kind == TokenKind::kString) {
        Next();
        AstExprPtr lit = Node(AstKind::kLiteral, t.pos, t.pos);
        lit->literal.kind = AstLiteral::Kind::kTimestamp;
        lit->literal.text = Next().text;
        lit->literal.unit = Upper(t.text);
        return lit;
      }
      if (t.IsKeyword("CASE")) return ParseCase();
      if ((t.IsKeyword("CAST") || t.IsKeyword("TRY_CAST")) && Peek(1).IsSymbol("(")) {
        Next();
        Next();
        AstExprPtr node = Node(AstKind::kCast, t.pos, t.pos, Upper(t.text));
        SPATE_ASSIGN_OR_RETURN(AstExprPtr arg, ParseExpr());
        SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(arg)));
        SPATE_RETURN_IF_ERROR(ExpectKeyword("AS"));
        SPATE_ASSIGN_OR_RETURN(node->cast_type, ParseType());
        SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
        return node;
      }
      if (t.IsKeyword("SUBSTRING") && Peek(1).IsSymbol("(")) return ParseSubstring();
      if (t.IsKeyword("TRIM") && Peek(1).IsSymbol("(")) return ParseTrim();
      if (t.IsKeyword("EXISTS")) return ErrorAt(t.pos, "subqueries are not supported");
      if (Peek(1).IsSymbol("(") && !IsReserved(t)) {
        Next();
        return ParseCall(t);
      }
      if (IsReserved(t)) return Unexpected("an expression");
    }
    // A column: name(.name)*.
    AstExprPtr col = Node(AstKind::kColumn, t.pos, t.pos);
    SPATE_ASSIGN_OR_RETURN(Ident first, ParseIdent("an expression"));
    col->parts.push_back(std::move(first));
    while (Peek().IsSymbol(".")) {
      Next();
      if (Peek().IsSymbol("*")) {
        return ErrorAt(Peek().pos, "'*' is only allowed as a SELECT item or in COUNT(*)");
      }
      const Token& f = Peek();
      if (f.kind != TokenKind::kIdentifier && f.kind != TokenKind::kQuotedIdentifier) {
        return Unexpected("a field name");
      }
      Next();
      col->parts.push_back(Ident{f.text, f.kind == TokenKind::kQuotedIdentifier, f.pos});
      if (col->parts.size() > static_cast<size_t>(kMaxParseDepth)) {
        return ErrorAt(f.pos, "expression nested too deeply");
      }
    }
    return col;
  }

  Result<AstExprPtr> ParseInterval() {
    const Token kw = Next();
    AstExprPtr lit = Node(AstKind::kLiteral, kw.pos, kw.pos);
    lit->literal.kind = AstLiteral::Kind::kInterval;
    std::string sign;
    if (Peek().IsSymbol("-")) {
      Next();
      sign = "-";
    }
    const Token v = Peek();
    if (v.kind != TokenKind::kString && v.kind != TokenKind::kInteger &&
        v.kind != TokenKind::kDecimal) {
      return Unexpected("an interval value such as '10'");
    }
    Next();
    lit->pos = v.pos;
    lit->literal.text = sign + v.text;
    if (IsIntervalUnit(Peek())) {
      lit->literal.unit = Upper(Next().text);
      if (Peek().IsSymbol("(")) {
        SPATE_ASSIGN_OR_RETURN(int p, ParsePrecision(0));
        (void)p;
      }
      if (Peek().IsKeyword("TO")) {
        return ErrorAt(Peek().pos,
                       "intervals with TO are not supported: write INTERVAL 'n' "
                       "SECOND, MINUTE, HOUR or DAY");
      }
    } else if (v.kind != TokenKind::kString) {
      return Unexpected("an interval unit (MILLISECOND, SECOND, MINUTE, HOUR, DAY)");
    } else if (Peek().IsKeyword("YEAR") || Peek().IsKeyword("YEARS") || Peek().IsKeyword("MONTH") ||
               Peek().IsKeyword("MONTHS") || Peek().IsKeyword("WEEK") ||
               Peek().IsKeyword("MICROSECOND") || Peek().IsKeyword("NANOSECOND")) {
      return ErrorAt(Peek().pos, "interval unit " + Upper(Peek().text) +
                                     " is not supported (MILLISECOND, SECOND, MINUTE, HOUR, DAY)");
    }
    return lit;
  }

  Result<AstExprPtr> ParseCase() {
    const Token kw = Next();
    AstExprPtr node = Node(AstKind::kCase, kw.pos, kw.pos, "CASE");
    if (!Peek().IsKeyword("WHEN")) {
      node->has_operand = true;
      SPATE_ASSIGN_OR_RETURN(AstExprPtr operand, ParseExpr());
      SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(operand)));
    }
    if (!Peek().IsKeyword("WHEN")) return Unexpected("WHEN");
    while (AcceptKeyword("WHEN")) {
      SPATE_ASSIGN_OR_RETURN(AstExprPtr when, ParseExpr());
      SPATE_RETURN_IF_ERROR(ExpectKeyword("THEN"));
      SPATE_ASSIGN_OR_RETURN(AstExprPtr then, ParseExpr());
      SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(when)));
      SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(then)));
    }
    if (AcceptKeyword("ELSE")) {
      node->has_else = true;
      SPATE_ASSIGN_OR_RETURN(AstExprPtr e, ParseExpr());
      SPATE_RETURN_IF_ERROR(Add(node.get(), std::move(e)));
    }
    SPATE_RETURN_IF_ERROR(ExpectKeyword("END"));
    return node;
  }

  Result<AstExprPtr> ParseSubstring() {
    const Token kw = Next();
    Next();
    AstExprPtr call = Node(AstKind::kFunction, kw.pos, kw.pos, "SUBSTRING");
    SPATE_ASSIGN_OR_RETURN(AstExprPtr s, ParseExpr());
    SPATE_RETURN_IF_ERROR(Add(call.get(), std::move(s)));
    if (AcceptKeyword("FROM")) {
      SPATE_ASSIGN_OR_RETURN(AstExprPtr from, ParseExpr());
      SPATE_RETURN_IF_ERROR(Add(call.get(), std::move(from)));
      if (AcceptKeyword("FOR")) {
        SPATE_ASSIGN_OR_RETURN(AstExprPtr n, ParseExpr());
        SPATE_RETURN_IF_ERROR(Add(call.get(), std::move(n)));
      }
    } else {
      while (AcceptSymbol(",")) {
        SPATE_ASSIGN_OR_RETURN(AstExprPtr a, ParseExpr());
        SPATE_RETURN_IF_ERROR(Add(call.get(), std::move(a)));
      }
    }
    SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
    return call;
  }

  Result<AstExprPtr> ParseTrim() {
    const Token kw = Next();
    Next();
    AstExprPtr call = Node(AstKind::kFunction, kw.pos, kw.pos, "TRIM");
    if (Peek().IsKeyword("LEADING") || Peek().IsKeyword("TRAILING")) {
      return ErrorAt(Peek().pos, "TRIM(" + Upper(Peek().text) +
                                     " ...) is not supported: TRIM removes spaces at both ends");
    }
    const bool both = AcceptKeyword("BOTH");
    if (AcceptKeyword("FROM")) {
      // TRIM(BOTH FROM s)
    } else {
      SPATE_ASSIGN_OR_RETURN(AstExprPtr first, ParseExpr());
      if (Peek().IsKeyword("FROM")) {
        return ErrorAt(first->start, "TRIM of characters other than spaces is not supported");
      }
      if (both) return Unexpected("FROM");
      SPATE_RETURN_IF_ERROR(Add(call.get(), std::move(first)));
      SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
      return call;
    }
    SPATE_ASSIGN_OR_RETURN(AstExprPtr s, ParseExpr());
    SPATE_RETURN_IF_ERROR(Add(call.get(), std::move(s)));
    SPATE_RETURN_IF_ERROR(ExpectSymbol(")"));
    return call;
  }

  std::vector<Token> toks_;
  size_t i_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<Script> ParseScript(std::string_view script) {
  SPATE_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(script));
  Parser p(std::move(tokens));
  return p.ParseScriptTokens();
}

Result<AstExprPtr> ParseExpression(std::string_view text) {
  SPATE_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  Parser p(std::move(tokens));
  return p.ParseWholeExpression();
}

}  // namespace spate::sql
