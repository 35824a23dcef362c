#include "sql/scopes.h"

#include "sql/suggest.h"
#include "sql/types.h"

namespace spate::sql {
namespace {

std::string JoinParts(const std::vector<Ident>& parts, size_t from = 0) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) out += (i == from ? "" : ".") + parts[i].name;
  return out;
}

std::string PathText(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& p : path) out += (out.empty() ? "" : ".") + QuoteName(p);
  return out;
}

bool ContainsAggregate(const AstExpr& e) {
  if (e.kind == AstKind::kFunction && IsAggregateFunction(e.op)) return true;
  for (const auto& a : e.args) {
    if (ContainsAggregate(*a)) return true;
  }
  return false;
}

}  // namespace

void SplitConjuncts(const AstExpr* e, std::vector<const AstExpr*>* out) {
  if (e->kind == AstKind::kOperator && e->op == "AND") {
    for (const auto& a : e->args) SplitConjuncts(a.get(), out);
  } else {
    out->push_back(e);
  }
}

bool IsAggregating(const SelectStmt& q) {
  if (!q.group_by.empty() || q.having || q.distinct) return true;
  for (const auto& item : q.items) {
    if (ContainsAggregate(*item.expr)) return true;
  }
  return false;
}

// ---- TableScope ----

Result<int> TableScope::FindColumn(const Ident& name) const {
  int found = -1;
  const int limit = visible_ < 0 ? static_cast<int>(table_->columns.size()) : visible_;
  for (int i = 0; i < static_cast<int>(table_->columns.size()); ++i) {
    if (!IdentMatches(name, table_->columns[i].name)) continue;
    // A case-insensitive match loses to an exact one; two inexact ones are ambiguous.
    if (table_->columns[i].name == name.name) {
      found = i;
      break;
    }
    if (found >= 0) {
      return ErrorAt(name.pos, "column '" + name.name + "' is ambiguous: quote it with backticks");
    }
    found = i;
  }
  if (found >= limit) {
    return ErrorAt(name.pos,
                   "a computed column can only refer to the columns declared before it ('" +
                       table_->columns[found].name + "' comes after)");
  }
  return found;
}

Bound TableScope::Use(int index) {
  const TableColumn& col = table_->columns[index];
  if (col.computed == nullptr) {
    const int leaf = table_->LeafIndex(index, {});
    used_leaves_.insert(leaf);
    return ColumnRef(leaf, col.type, QuoteName(col.name));
  }
  std::vector<int> work = {index};
  while (!work.empty()) {
    const int c = work.back();
    work.pop_back();
    if (!used_computed_.insert(c).second) continue;
    for (int l : table_->columns[c].leaf_deps) used_leaves_.insert(l);
    for (int d : table_->columns[c].computed_deps) work.push_back(d);
  }
  return ColumnRef(kComputedBase + index, col.type, QuoteName(col.name));
}

Result<Bound> TableScope::Resolve(const AstExpr& ref) {
  const std::vector<Ident>& parts = ref.parts;
  size_t first = 0;
  Result<int> col = FindColumn(parts[0]);
  if (!col.ok()) return col.status();
  if (*col < 0 && parts.size() >= 2 && IdentMatches(parts[0], qualifier_)) {
    first = 1;
    col = FindColumn(parts[1]);
    if (!col.ok()) return col.status();
  }
  if (*col < 0) {
    const Ident& name = parts[first];
    if (window_columns_ && parts.size() == 1 &&
        (IdentMatches(name, "window_start") || IdentMatches(name, "window_end") ||
         IdentMatches(name, "window_time"))) {
      return ErrorAt(name.pos, "column '" + name.name +
                                   "' is only available in SELECT and HAVING of a query that "
                                   "groups by window_start and window_end");
    }
    std::vector<std::string> names = Names();
    if (visible_ >= 0) names.resize(std::min<size_t>(names.size(), visible_));
    return ErrorAt(name.pos, "unknown column '" + name.name + "'" + DidYouMean(name.name, names));
  }
  const TableColumn& column = table_->columns[*col];
  if (column.computed != nullptr) {
    if (parts.size() > first + 1) {
      return ErrorAt(parts[first + 1].pos, "column '" + column.name + "' is not a ROW");
    }
    if (!column.computed_bound) {
      return ErrorAt(parts[first].pos, "computed column '" + column.name + "' is not yet defined");
    }
    return Use(*col);
  }
  // Walk the ROW fields.
  std::vector<std::string> path = {column.name};
  const proto::DataType* type = &column.type;
  for (size_t i = first + 1; i < parts.size(); ++i) {
    if (type->kind() != proto::TYPE_ROW) {
      return ErrorAt(parts[i].pos, "column '" + PathText(path) + "' is " + TypeName(*type) +
                                       ", not a ROW: it has no field '" + parts[i].name + "'");
    }
    int match = -1;
    std::vector<std::string> fields;
    for (int f = 0; f < type->fields_size(); ++f) {
      const std::string& field = type->fields(f).name();
      fields.push_back(field);
      if (IdentMatches(parts[i], field) && (match < 0 || field == parts[i].name)) match = f;
    }
    if (match < 0) {
      return ErrorAt(parts[i].pos, "unknown field '" + parts[i].name + "' in '" + PathText(path) +
                                       "'" + DidYouMean(parts[i].name, fields));
    }
    path.push_back(type->fields(match).name());
    const proto::DataType* next = &type->fields(match).type();
    type = next;
  }
  if (type->kind() == proto::TYPE_ROW) {
    std::string example = type->fields_size() > 0 ? " such as " + PathText(path) + "." +
                                                        QuoteName(type->fields(0).name())
                                                  : "";
    return ErrorAt(parts[first].pos,
                   "column '" + PathText(path) + "' is a ROW: select one of its fields" + example);
  }
  std::vector<std::string> leaf_path(path.begin() + 1, path.end());
  const int leaf = table_->LeafIndex(*col, leaf_path);
  used_leaves_.insert(leaf);
  return ColumnRef(leaf, *type, PathText(path));
}

std::vector<std::string> TableScope::Names() const {
  std::vector<std::string> out;
  for (const auto& c : table_->columns) out.push_back(c.name);
  return out;
}

Result<std::vector<std::pair<std::string, Bound>>> TableScope::Expand(const AstExpr& star) {
  if (!star.parts.empty() && !IdentMatches(star.parts[0], qualifier_)) {
    return ErrorAt(star.parts[0].pos, "unknown table '" + star.parts[0].name + "' in " +
                                          star.parts[0].name + ".*" +
                                          DidYouMean(star.parts[0].name, {qualifier_}));
  }
  std::vector<std::pair<std::string, Bound>> out;
  for (int i = 0; i < static_cast<int>(table_->columns.size()); ++i) {
    const TableColumn& c = table_->columns[i];
    if (c.computed != nullptr || c.type.kind() != proto::TYPE_ROW) {
      out.emplace_back(c.name, Use(i));
      continue;
    }
    for (int l = 0; l < static_cast<int>(table_->leaves.size()); ++l) {
      const Leaf& leaf = table_->leaves[l];
      if (leaf.column != i) continue;
      used_leaves_.insert(l);
      out.emplace_back(leaf.name, ColumnRef(l, leaf.type, PathText(leaf.path)));
    }
  }
  return out;
}

// ---- ViewScope ----

ViewScope::ViewScope(const SelectStmt* query, std::string qualifier, std::unique_ptr<Scope> inner)
    : query_(query), qualifier_(std::move(qualifier)), inner_(std::move(inner)) {
  int expr_index = 0;
  for (const auto& item : query_->items) {
    if (item.expr->kind == AstKind::kStar) {
      for (const auto& n : inner_->Names()) {
        Output o;
        o.name = n;
        o.path.push_back(Ident{n, true, item.expr->pos});
        outputs_.push_back(std::move(o));
      }
      ++expr_index;
      continue;
    }
    Output o;
    if (item.expr->kind == AstKind::kColumn) {
      o.path = item.expr->parts;
      o.name = item.expr->parts.back().name;
    } else {
      o.expr = item.expr.get();
      o.name = "EXPR$" + std::to_string(expr_index);
    }
    if (!item.alias.name.empty()) o.name = item.alias.name;
    outputs_.push_back(std::move(o));
    ++expr_index;
  }
  for (size_t i = 0; i < outputs_.size() && init_.ok(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (IdentMatches(Ident{outputs_[i].name, false, {}}, outputs_[j].name)) {
        init_ = ErrorAt(query_->pos, "the view has two columns named '" + outputs_[i].name +
                                         "': name them apart with AS");
        break;
      }
    }
  }
}

Result<Bound> ViewScope::Resolve(const AstExpr& ref) {
  SPATE_RETURN_IF_ERROR(init_);
  const std::vector<Ident>& parts = ref.parts;
  auto find = [&](const Ident& name) -> int {
    for (size_t i = 0; i < outputs_.size(); ++i) {
      if (IdentMatches(name, outputs_[i].name)) return static_cast<int>(i);
    }
    return -1;
  };
  size_t first = 0;
  int out = find(parts[0]);
  if (out < 0 && parts.size() >= 2 && IdentMatches(parts[0], qualifier_)) {
    first = 1;
    out = find(parts[1]);
  }
  if (out < 0) {
    return ErrorAt(parts[first].pos, "unknown column '" + parts[first].name + "'" +
                                         DidYouMean(parts[first].name, Names()));
  }
  Output& o = outputs_[out];
  if (o.expr == nullptr) {
    AstExpr inner_ref;
    inner_ref.kind = AstKind::kColumn;
    inner_ref.pos = parts[first].pos;
    inner_ref.start = parts[first].pos;
    inner_ref.parts = o.path;
    for (size_t i = first + 1; i < parts.size(); ++i) inner_ref.parts.push_back(parts[i]);
    auto r = inner_->Resolve(inner_ref);
    if (!r.ok()) {
      // The inner error points into the view's text; say which name of this query led there.
      if (parts.size() > first + 1) {
        return ErrorAt(parts[first + 1].pos,
                       "'" + JoinParts(parts, first) + "': " + r.status().message());
      }
      return r.status();
    }
    return r;
  }
  if (parts.size() > first + 1) {
    return ErrorAt(parts[first + 1].pos, "column '" + o.name + "' is not a ROW");
  }
  if (!o.bound) {
    ExprBinder binder(inner_.get(), "a view");
    SPATE_ASSIGN_OR_RETURN(Bound b, binder.Bind(*o.expr));
    o.bound = std::move(b);
  }
  return *o.bound;
}

std::vector<std::string> ViewScope::Names() const {
  std::vector<std::string> out;
  for (const auto& o : outputs_) out.push_back(o.name);
  return out;
}

Result<std::vector<std::pair<std::string, Bound>>> ViewScope::Expand(const AstExpr& star) {
  SPATE_RETURN_IF_ERROR(init_);
  if (!star.parts.empty() && !IdentMatches(star.parts[0], qualifier_)) {
    return ErrorAt(star.parts[0].pos, "unknown table '" + star.parts[0].name + "' in " +
                                          star.parts[0].name + ".*" +
                                          DidYouMean(star.parts[0].name, {qualifier_}));
  }
  std::vector<std::pair<std::string, Bound>> out;
  for (const auto& o : outputs_) {
    if (o.expr == nullptr) {
      // A pass-through column may be a ROW: expand it the way its scope does.
      AstExpr inner_ref;
      inner_ref.kind = AstKind::kColumn;
      inner_ref.pos = star.pos;
      inner_ref.parts = o.path;
      auto r = inner_->Resolve(inner_ref);
      if (r.ok()) {
        out.emplace_back(o.name, std::move(r).value());
        continue;
      }
      return ErrorAt(star.pos, "SELECT * over column '" + o.name + "': " + r.status().message());
    }
    AstExpr ref;
    ref.kind = AstKind::kColumn;
    ref.pos = star.pos;
    ref.parts.push_back(Ident{o.name, true, star.pos});
    SPATE_ASSIGN_OR_RETURN(Bound b, Resolve(ref));
    out.emplace_back(o.name, std::move(b));
  }
  return out;
}

Status ViewScope::CollectFilters(std::vector<Bound>* filters) {
  if (auto* v = dynamic_cast<ViewScope*>(inner_.get()))
    SPATE_RETURN_IF_ERROR(v->CollectFilters(filters));
  if (!query_->where) return Status::OK();
  std::vector<const AstExpr*> conjuncts;
  SplitConjuncts(query_->where.get(), &conjuncts);
  ExprBinder binder(inner_.get(), "WHERE");
  for (const AstExpr* c : conjuncts) {
    SPATE_ASSIGN_OR_RETURN(Bound b, binder.BindCondition(*c));
    filters->push_back(std::move(b));
  }
  return Status::OK();
}

}  // namespace spate::sql
