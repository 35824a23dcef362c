#include "sql/catalog.h"

#include <cctype>

#include "sql/scopes.h"
#include "sql/suggest.h"
#include "sql/types.h"

namespace spate::sql {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void CollectLeaves(const proto::DataType& type, std::vector<std::string>* path, int column,
                   std::vector<Leaf>* out) {
  if (type.kind() != proto::TYPE_ROW) {
    Leaf leaf;
    leaf.path = *path;
    for (const auto& p : *path) leaf.name += (leaf.name.empty() ? "" : ".") + p;
    leaf.type = type;
    leaf.column = column;
    out->push_back(std::move(leaf));
    return;
  }
  for (const auto& f : type.fields()) {
    path->push_back(f.name());
    CollectLeaves(f.type(), path, column, out);
    path->pop_back();
  }
}

Result<bool> BoolOption(const TableOption& opt) {
  const std::string v = Lower(opt.value);
  if (v == "true") return true;
  if (v == "false") return false;
  return ErrorAt(opt.value_pos,
                 "option '" + opt.key + "' must be 'true' or 'false', not '" + opt.value + "'");
}

// Options Spate knows, by connector, with Flink's names.
const std::vector<std::string>& KnownOptions(const std::string& connector) {
  static const std::vector<std::string> kKafka = {"connector",
                                                  "topic",
                                                  "properties.bootstrap.servers",
                                                  "scan.startup.mode",
                                                  "scan.bounded.mode",
                                                  "format",
                                                  "value.format",
                                                  "json.ignore-parse-errors",
                                                  "json.fail-on-missing-field",
                                                  "json.timestamp-format.standard"};
  static const std::vector<std::string> kFilesystem = {"connector",
                                                       "path",
                                                       "format",
                                                       "json.ignore-parse-errors",
                                                       "json.fail-on-missing-field",
                                                       "json.timestamp-format.standard"};
  static const std::vector<std::string> kPrint = {"connector"};
  if (connector == "kafka") return kKafka;
  if (connector == "filesystem") return kFilesystem;
  return kPrint;
}

}  // namespace

int Table::LeafIndex(int column, const std::vector<std::string>& path) const {
  for (size_t i = 0; i < leaves.size(); ++i) {
    if (leaves[i].column != column) continue;
    if (std::equal(path.begin(), path.end(), leaves[i].path.begin() + 1, leaves[i].path.end())) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::vector<std::string> Catalog::Names() const {
  std::vector<std::string> out;
  for (const auto& t : tables_) out.push_back(t->name);
  for (const auto& v : views_) out.push_back(v->name);
  return out;
}

const Table* Catalog::FindTable(const Ident& name) const {
  for (const auto& t : tables_) {
    if (IdentMatches(name, t->name)) return t.get();
  }
  return nullptr;
}

const View* Catalog::FindView(const Ident& name) const {
  for (const auto& v : views_) {
    if (IdentMatches(name, v->name)) return v.get();
  }
  return nullptr;
}

Status Catalog::UnknownTable(const Ident& name) const {
  return ErrorAt(name.pos, "unknown table '" + name.name + "'" + DidYouMean(name.name, Names()));
}

Status Catalog::CheckNewName(const Ident& name) const {
  for (const auto& n : Names()) {
    if (IdentMatches(Ident{name.name, false, {}}, n)) {
      return ErrorAt(name.pos, "'" + name.name + "' is already defined");
    }
  }
  return Status::OK();
}

Status Catalog::AddTable(const CreateTableStmt& stmt, const PlanOptions& options) {
  SPATE_RETURN_IF_ERROR(CheckNewName(stmt.name));
  auto table = std::make_unique<Table>();
  Table& t = *table;
  t.name = stmt.name.name;
  t.pos = stmt.name.pos;
  if (stmt.columns.empty()) return ErrorAt(stmt.name.pos, "table '" + t.name + "' has no columns");
  for (const auto& def : stmt.columns) {
    for (const auto& c : t.columns) {
      if (IdentMatches(Ident{def.name.name, false, {}}, c.name)) {
        return ErrorAt(def.name.pos, "duplicate column '" + def.name.name + "'");
      }
    }
    TableColumn col;
    col.name = def.name.name;
    col.pos = def.name.pos;
    col.type = def.type;
    col.computed = def.computed.get();
    const int index = static_cast<int>(t.columns.size());
    if (col.computed == nullptr) {
      std::vector<std::string> path = {col.name};
      CollectLeaves(col.type, &path, index, &t.leaves);
    }
    t.columns.push_back(std::move(col));
  }
  // Computed columns in order: each sees the columns declared before it.
  for (int i = 0; i < static_cast<int>(t.columns.size()); ++i) {
    TableColumn& col = t.columns[i];
    if (col.computed == nullptr) continue;
    TableScope scope(&t, t.name, i);
    ExprBinder binder(&scope, "a computed column");
    SPATE_ASSIGN_OR_RETURN(Bound b, binder.Bind(*col.computed));
    if (b.interval || b.expr.type().kind() == proto::TYPE_NULL) {
      return ErrorAt(col.computed->start, "computed column '" + col.name +
                                              "' has no column type (" +
                                              (b.interval ? "INTERVAL" : "NULL") + ")");
    }
    col.type = b.expr.type();
    col.computed_bound = std::move(b);
    col.leaf_deps.assign(scope.used_leaves().begin(), scope.used_leaves().end());
    col.computed_deps.assign(scope.used_computed().begin(), scope.used_computed().end());
  }
  if (stmt.has_watermark) {
    int wm = -1;
    for (int i = 0; i < static_cast<int>(t.columns.size()); ++i) {
      if (IdentMatches(stmt.watermark_column, t.columns[i].name)) wm = i;
    }
    if (wm < 0) {
      std::vector<std::string> names;
      for (const auto& c : t.columns) names.push_back(c.name);
      return ErrorAt(stmt.watermark_column.pos, "unknown column '" + stmt.watermark_column.name +
                                                    "'" +
                                                    DidYouMean(stmt.watermark_column.name, names));
    }
    const TableColumn& col = t.columns[wm];
    if (!IsTimestamp(col.type.kind())) {
      return ErrorAt(stmt.watermark_column.pos,
                     "WATERMARK column '" + col.name + "' is " + TypeName(col.type) +
                         ": it must be TIMESTAMP(3) or TIMESTAMP_LTZ(3) (declare a computed "
                         "column such as rt AS TO_TIMESTAMP_LTZ(" +
                         QuoteName(col.name) + ", 3))");
    }
    const AstExpr& e = *stmt.watermark_expr;
    auto is_column = [&](const AstExpr& x) {
      return x.kind == AstKind::kColumn && x.parts.size() == 1 &&
             IdentMatches(x.parts[0], col.name);
    };
    int64_t delay = 0;
    if (is_column(e)) {
      delay = 0;
    } else if (e.kind == AstKind::kOperator && e.op == "-" && is_column(*e.args[0]) &&
               e.args[1]->kind == AstKind::kLiteral &&
               e.args[1]->literal.kind == AstLiteral::Kind::kInterval) {
      SPATE_ASSIGN_OR_RETURN(delay, IntervalMs(e.args[1]->literal, e.args[1]->pos));
      if (delay < 0) return ErrorAt(e.args[1]->pos, "the watermark delay must not be negative");
    } else {
      return ErrorAt(e.start, "WATERMARK must be " + QuoteName(col.name) + " or " +
                                  QuoteName(col.name) + " - INTERVAL 'n' SECOND");
    }
    t.watermark_column = wm;
    t.watermark_delay_ms = delay;
  }

  // Options.
  if (!stmt.has_with) {
    return ErrorAt(stmt.name.pos, "table '" + t.name + "' has no WITH ('connector' = ...) options");
  }
  const TableOption* connector = nullptr;
  for (size_t i = 0; i < stmt.options.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (stmt.options[j].key == stmt.options[i].key) {
        return ErrorAt(stmt.options[i].key_pos,
                       "option '" + stmt.options[i].key + "' is given twice");
      }
    }
    if (stmt.options[i].key == "connector") connector = &stmt.options[i];
  }
  if (connector == nullptr) {
    return ErrorAt(stmt.with_pos, "table '" + t.name +
                                      "' has no 'connector' option ('kafka', "
                                      "'filesystem' or 'print')");
  }
  t.connector = connector->value;
  static const std::vector<std::string> kConnectors = {"kafka", "filesystem", "print"};
  if (t.connector != "kafka" && t.connector != "filesystem" && t.connector != "print") {
    return ErrorAt(connector->value_pos, "unknown connector '" + t.connector + "'" +
                                             DidYouMean(t.connector, kConnectors) +
                                             " (Spate has 'kafka', 'filesystem' and 'print')");
  }
  bool has_topic = false;
  bool has_path = false;
  for (const TableOption& opt : stmt.options) {
    const std::string& k = opt.key;
    const auto& known = KnownOptions(t.connector);
    const bool property = t.connector == "kafka" && k.rfind("properties.", 0) == 0;
    if (!property && std::find(known.begin(), known.end(), k) == known.end()) {
      return ErrorAt(opt.key_pos, "unknown option '" + k + "' for connector '" + t.connector + "'" +
                                      DidYouMean(k, known));
    }
    if (k == "connector") continue;
    if (property) {
      const std::string name = k.substr(std::string("properties.").size());
      if (name.empty()) return ErrorAt(opt.key_pos, "option 'properties.' names no property");
      if (name == "bootstrap.servers") {
        t.bootstrap = opt.value;
      } else {
        t.properties[name] = opt.value;
      }
    } else if (k == "topic") {
      if (opt.value.empty() || opt.value.find(';') != std::string::npos) {
        return ErrorAt(opt.value_pos, "'topic' must name one topic");
      }
      t.topic = opt.value;
      has_topic = true;
    } else if (k == "path") {
      if (opt.value.empty()) return ErrorAt(opt.value_pos, "'path' must not be empty");
      t.path = opt.value;
      has_path = true;
    } else if (k == "format" || k == "value.format") {
      if (opt.value != "json") {
        return ErrorAt(opt.value_pos, "format '" + opt.value +
                                          "' is not supported (Spate reads and "
                                          "writes 'json')");
      }
      t.format = opt.value;
    } else if (k == "scan.startup.mode") {
      if (opt.value == "earliest-offset" || opt.value == "latest-offset") {
        t.startup_mode = opt.value;
      } else if (opt.value == "group-offsets") {
        return ErrorAt(opt.value_pos,
                       "'scan.startup.mode' = 'group-offsets' is not supported: "
                       "Spate keeps its offsets in its checkpoints, not in a "
                       "consumer group; use 'earliest-offset' or 'latest-offset'");
      } else if (opt.value == "timestamp" || opt.value == "specific-offsets") {
        return ErrorAt(opt.value_pos, "'scan.startup.mode' = '" + opt.value +
                                          "' is not supported: use 'earliest-offset' or "
                                          "'latest-offset'");
      } else {
        static const std::vector<std::string> kModes = {"earliest-offset", "latest-offset"};
        return ErrorAt(opt.value_pos, "unknown 'scan.startup.mode' '" + opt.value + "'" +
                                          DidYouMean(opt.value, kModes) +
                                          " (use 'earliest-offset' or 'latest-offset')");
      }
    } else if (k == "scan.bounded.mode") {
      if (opt.value == "latest-offset") {
        t.bounded = true;
      } else if (opt.value == "unbounded") {
        t.bounded = false;
      } else {
        return ErrorAt(opt.value_pos, "'scan.bounded.mode' = '" + opt.value +
                                          "' is not supported: use 'latest-offset' or 'unbounded'");
      }
    } else if (k == "json.ignore-parse-errors") {
      SPATE_ASSIGN_OR_RETURN(t.ignore_parse_errors, BoolOption(opt));
    } else if (k == "json.fail-on-missing-field") {
      SPATE_ASSIGN_OR_RETURN(t.fail_on_missing_field, BoolOption(opt));
    } else if (k == "json.timestamp-format.standard") {
      // The decoder reads both of Flink's formats, so either is accepted.
      if (opt.value != "SQL" && opt.value != "ISO-8601") {
        return ErrorAt(opt.value_pos,
                       "'json.timestamp-format.standard' must be 'SQL' or 'ISO-8601'");
      }
    }
  }
  if (t.connector == "kafka") {
    if (!has_topic)
      return ErrorAt(stmt.with_pos, "kafka table '" + t.name + "' needs a 'topic' option");
    if (t.bootstrap.empty()) t.bootstrap = options.default_bootstrap;
    if (t.bootstrap.empty()) {
      return ErrorAt(stmt.with_pos,
                     "kafka table '" + t.name + "' needs a 'properties.bootstrap.servers' option");
    }
  }
  if (t.connector == "filesystem" && !has_path) {
    return ErrorAt(stmt.with_pos, "filesystem table '" + t.name + "' needs a 'path' option");
  }
  tables_.push_back(std::move(table));
  return Status::OK();
}

Status Catalog::AddView(const CreateViewStmt& stmt) {
  SPATE_RETURN_IF_ERROR(CheckNewName(stmt.name));
  auto view = std::make_unique<View>();
  view->name = stmt.name.name;
  view->pos = stmt.name.pos;
  view->query = stmt.query.get();
  // The FROM must name something declared before, so views can never form a cycle.
  const SelectStmt* q = stmt.query.get();
  while (q != nullptr) {
    const TableRef& from = q->from;
    if (from.kind == TableRef::Kind::kSubquery) {
      q = from.subquery.get();
      continue;
    }
    if (const View* inner = FindView(from.table)) {
      view->depth = inner->depth + 1;
      if (view->depth > kMaxViewDepth) {
        return ErrorAt(from.table.pos,
                       "views nested too deeply (more than " + std::to_string(kMaxViewDepth) + ")");
      }
    } else if (FindTable(from.table) == nullptr) {
      return UnknownTable(from.table);
    }
    break;
  }
  views_.push_back(std::move(view));
  return Status::OK();
}

}  // namespace spate::sql
