#include "sql/planner.h"

#include <algorithm>
#include <map>

#include "sql/binder.h"
#include "sql/prefilter.h"
#include "sql/scopes.h"
#include "sql/sql.h"
#include "sql/types.h"

namespace spate::sql {
namespace {

// Views and subqueries nest at most this deep in one FROM.
constexpr int kMaxRelationDepth = 16;

// A sliding window puts each record in size / slide windows, each a state to update: bounded, so
// that one query cannot make every record cost a million updates (a day every 10 s is 8640).
constexpr int64_t kMaxWindowsPerRecord = 10'000;

Status CheckWindowsPerRecord(int64_t size, int64_t slide, Position pos) {
  if (size / slide <= kMaxWindowsPerRecord) return Status::OK();
  return ErrorAt(pos, "a window of " + std::to_string(size) + " ms sliding by " +
                          std::to_string(slide) + " ms puts each record in " +
                          std::to_string(size / slide) + " windows (at most " +
                          std::to_string(kMaxWindowsPerRecord) + ")");
}

// A window offset (any int64 ms) as the equivalent one in [0, step): windows start at
// offset + k * step. Without overflow where step is beyond half the int64 range.
int64_t OffsetInStep(int64_t offset, int64_t step) {
  const int64_t r = offset % step;
  return r < 0 ? r + step : r;
}

const char* WindowName(TableRef::Kind k) {
  switch (k) {
    case TableRef::Kind::kTumble:
      return "TUMBLE";
    case TableRef::Kind::kHop:
      return "HOP";
    case TableRef::Kind::kSession:
      return "SESSION";
    default:
      return "";
  }
}

bool IsWindowRef(const TableRef& from) {
  return from.kind == TableRef::Kind::kTumble || from.kind == TableRef::Kind::kHop ||
         from.kind == TableRef::Kind::kSession;
}

struct Output {
  std::string name;
  Bound bound;
  Position pos;
};

class QueryPlanner {
 public:
  explicit QueryPlanner(const Catalog& catalog) : catalog_(catalog) {}

  Result<proto::QueryPlan> Plan(const SelectStmt& q, const Table* sink, const Ident& sink_name);

 private:
  Result<std::unique_ptr<Scope>> BuildScope(const Ident& name, const Ident& alias, int depth);
  Result<std::unique_ptr<Scope>> BuildFrom(const TableRef& from, int depth);
  Result<std::unique_ptr<Scope>> ViewOver(const SelectStmt& view, const std::string& qualifier,
                                          Position at, int depth);
  int32_t WatermarkId() const;
  Result<int32_t> TimeColumn(Scope* scope, const Ident& column);
  Result<int64_t> Duration(const AstExpr& e, const char* what);
  Status Finish(proto::QueryPlan* plan, std::vector<Bound> filters, std::vector<Output> outputs,
                const Table* sink, const Ident& sink_name, const SelectStmt& q);

  const Catalog& catalog_;
  TableScope* base_ = nullptr;  // the source table's scope, owned by the scope chain
  bool windowed_ = false;
  AggregateState agg_;
  std::optional<Bound> having_;
  bool aggregate_ = false;
};

Result<std::unique_ptr<Scope>> QueryPlanner::ViewOver(const SelectStmt& view,
                                                      const std::string& qualifier, Position at,
                                                      int depth) {
  if (IsAggregating(view)) {
    return ErrorAt(at,
                   "reading a view or subquery that aggregates is not supported: "
                   "aggregate in the query itself");
  }
  if (IsWindowRef(view.from)) {
    return ErrorAt(view.from.pos, "a view or subquery over " +
                                      std::string(WindowName(view.from.kind)) +
                                      " is not supported: use the window function in the query "
                                      "that aggregates");
  }
  SPATE_ASSIGN_OR_RETURN(std::unique_ptr<Scope> inner, BuildFrom(view.from, depth + 1));
  return std::unique_ptr<Scope>(new ViewScope(&view, qualifier, std::move(inner)));
}

Result<std::unique_ptr<Scope>> QueryPlanner::BuildScope(const Ident& name, const Ident& alias,
                                                        int depth) {
  const std::string qualifier = alias.name.empty() ? name.name : alias.name;
  if (const View* view = catalog_.FindView(name)) {
    return ViewOver(*view->query, qualifier, name.pos, depth);
  }
  const Table* table = catalog_.FindTable(name);
  if (table == nullptr) return catalog_.UnknownTable(name);
  if (table->connector != "kafka") {
    return ErrorAt(name.pos, "table '" + table->name + "' cannot be read: its connector is '" +
                                 table->connector + "' (a query reads a kafka table)");
  }
  auto scope = std::make_unique<TableScope>(table, qualifier);
  base_ = scope.get();
  return std::unique_ptr<Scope>(std::move(scope));
}

Result<std::unique_ptr<Scope>> QueryPlanner::BuildFrom(const TableRef& from, int depth) {
  if (depth > kMaxRelationDepth) {
    return ErrorAt(from.pos, "views and subqueries nested too deeply (more than " +
                                 std::to_string(kMaxRelationDepth) + ")");
  }
  switch (from.kind) {
    case TableRef::Kind::kNamed:
      return BuildScope(from.table, from.alias, depth);
    case TableRef::Kind::kSubquery:
      return ViewOver(*from.subquery, from.alias.name, from.pos, depth);
    default:
      return ErrorAt(from.pos, std::string(WindowName(from.kind)) +
                                   " is only supported in the FROM of the query that aggregates");
  }
}

int32_t QueryPlanner::WatermarkId() const {
  const Table* t = base_->table();
  const int c = t->watermark_column;
  if (c < 0) return -1;
  if (t->columns[c].computed != nullptr) return kComputedBase + c;
  return t->LeafIndex(c, {});
}

Result<int32_t> QueryPlanner::TimeColumn(Scope* scope, const Ident& column) {
  AstExpr ref;
  ref.kind = AstKind::kColumn;
  ref.pos = column.pos;
  ref.start = column.pos;
  ref.parts.push_back(column);
  SPATE_ASSIGN_OR_RETURN(Bound b, scope->Resolve(ref));
  const int32_t wm = WatermarkId();
  if (!b.expr.has_column() || b.expr.column() != wm || wm < 0) {
    const std::string name = QuoteName(column.name);
    return ErrorAt(column.pos, "column '" + column.name +
                                   "' has no watermark: declare WATERMARK FOR " + name + " AS " +
                                   name + " - INTERVAL 'n' SECOND in table '" +
                                   base_->table()->name + "'");
  }
  return wm;
}

Result<int64_t> QueryPlanner::Duration(const AstExpr& e, const char* what) {
  int64_t ms = 0;
  if (e.kind == AstKind::kLiteral && e.literal.kind == AstLiteral::Kind::kInterval) {
    SPATE_ASSIGN_OR_RETURN(ms, IntervalMs(e.literal, e.pos));
  } else if (e.kind == AstKind::kLiteral && e.literal.kind == AstLiteral::Kind::kString) {
    SPATE_ASSIGN_OR_RETURN(ms, DurationMs(e.literal.text, e.pos));
  } else {
    return ErrorAt(e.start,
                   std::string(what) + " must be an interval such as INTERVAL '10' SECOND");
  }
  if (ms <= 0) return ErrorAt(e.pos, std::string(what) + " must be positive");
  return ms;
}

Result<proto::QueryPlan> QueryPlanner::Plan(const SelectStmt& q, const Table* sink,
                                            const Ident& sink_name) {
  proto::QueryPlan plan;
  const TableRef& from = q.from;
  const bool tvf = IsWindowRef(from);
  std::unique_ptr<Scope> scope;
  if (tvf) {
    SPATE_ASSIGN_OR_RETURN(scope, BuildScope(from.table, from.alias, 1));
  } else {
    SPATE_ASSIGN_OR_RETURN(scope, BuildFrom(from, 1));
  }
  if (tvf) base_->set_window_columns(true);

  // WHERE: the views' conditions, then the query's, split at AND.
  std::vector<Bound> filters;
  if (auto* view = dynamic_cast<ViewScope*>(scope.get())) {
    SPATE_RETURN_IF_ERROR(view->CollectFilters(&filters));
  }
  if (q.where) {
    std::vector<const AstExpr*> conjuncts;
    SplitConjuncts(q.where.get(), &conjuncts);
    ExprBinder binder(scope.get(), "WHERE");
    for (const AstExpr* c : conjuncts) {
      SPATE_ASSIGN_OR_RETURN(Bound b, binder.BindCondition(*c));
      filters.push_back(std::move(b));
    }
  }

  aggregate_ = IsAggregating(q);
  proto::WindowSpec& window = *plan.mutable_window();
  window.set_kind(proto::WINDOW_NONE);
  auto window_names = AggregateState::WindowNames::kNone;

  // The windows: a window table function in FROM, or Spark's window() in GROUP BY.
  const AstExpr* spark_window = nullptr;
  for (const auto& g : q.group_by) {
    if (g->kind == AstKind::kFunction && g->op == "WINDOW") {
      if (spark_window != nullptr) return ErrorAt(g->pos, "GROUP BY has at most one window(...)");
      if (tvf) {
        return ErrorAt(g->pos, "window(...) in GROUP BY cannot be combined with " +
                                   std::string(WindowName(from.kind)) + " in FROM");
      }
      spark_window = g.get();
    }
  }
  if (tvf) {
    if (!aggregate_) {
      return ErrorAt(from.pos, std::string(WindowName(from.kind)) +
                                   " needs an aggregation: GROUP BY window_start, window_end");
    }
    SPATE_ASSIGN_OR_RETURN(int32_t time, TimeColumn(scope.get(), from.descriptor));
    window.set_time_column(time);
    window_names = AggregateState::WindowNames::kTvf;
    if (from.kind == TableRef::Kind::kTumble) {
      window.set_kind(proto::WINDOW_TUMBLE);
      SPATE_ASSIGN_OR_RETURN(int64_t size, Duration(*from.size, "the window size"));
      window.set_size_ms(size);
      window.set_slide_ms(size);
    } else if (from.kind == TableRef::Kind::kHop) {
      window.set_kind(proto::WINDOW_HOP);
      SPATE_ASSIGN_OR_RETURN(int64_t slide, Duration(*from.slide, "the slide"));
      SPATE_ASSIGN_OR_RETURN(int64_t size, Duration(*from.size, "the window size"));
      if (size % slide != 0) {
        return ErrorAt(from.size->pos, "HOP's window size (" + std::to_string(size) +
                                           " ms) must be a multiple of its slide (" +
                                           std::to_string(slide) + " ms)");
      }
      SPATE_RETURN_IF_ERROR(CheckWindowsPerRecord(size, slide, from.size->pos));
      window.set_size_ms(size);
      window.set_slide_ms(slide);
    } else {
      window.set_kind(proto::WINDOW_SESSION);
      SPATE_ASSIGN_OR_RETURN(int64_t gap, Duration(*from.gap, "the session gap"));
      window.set_gap_ms(gap);
    }
    if (from.offset) {
      if (from.offset->kind != AstKind::kLiteral ||
          from.offset->literal.kind != AstLiteral::Kind::kInterval) {
        return ErrorAt(from.offset->start,
                       "the offset must be an interval such as INTERVAL '1' SECOND");
      }
      SPATE_ASSIGN_OR_RETURN(int64_t offset, IntervalMs(from.offset->literal, from.offset->pos));
      window.set_offset_ms(OffsetInStep(offset, window.slide_ms()));
    }
  } else if (spark_window != nullptr) {
    const AstExpr& w = *spark_window;
    if (w.args.size() < 2 || w.args.size() > 4) {
      return ErrorAt(w.pos,
                     "window takes 2 to 4 arguments (time column, duration[, slide[, "
                     "start]]), got " +
                         std::to_string(w.args.size()));
    }
    if (w.args[0]->kind != AstKind::kColumn || w.args[0]->parts.size() != 1) {
      return ErrorAt(w.args[0]->start, "window's first argument must be the time column");
    }
    SPATE_ASSIGN_OR_RETURN(int32_t time, TimeColumn(scope.get(), w.args[0]->parts[0]));
    window.set_time_column(time);
    SPATE_ASSIGN_OR_RETURN(int64_t size, Duration(*w.args[1], "the window duration"));
    int64_t slide = size;
    if (w.args.size() >= 3) {
      SPATE_ASSIGN_OR_RETURN(slide, Duration(*w.args[2], "the slide duration"));
    }
    if (slide > size) {
      return ErrorAt(w.args[2]->pos, "the slide duration must not exceed the window duration");
    }
    if (size % slide != 0) {
      return ErrorAt(w.args[1]->pos,
                     "the window duration must be a multiple of the slide duration");
    }
    SPATE_RETURN_IF_ERROR(CheckWindowsPerRecord(size, slide, w.args[1]->pos));
    window.set_kind(slide == size ? proto::WINDOW_TUMBLE : proto::WINDOW_HOP);
    window.set_size_ms(size);
    window.set_slide_ms(slide);
    if (w.args.size() == 4) {
      int64_t start = 0;
      const AstExpr& s = *w.args[3];
      if (s.kind == AstKind::kLiteral && s.literal.kind == AstLiteral::Kind::kString) {
        SPATE_ASSIGN_OR_RETURN(start, DurationMs(s.literal.text, s.pos));
      } else if (s.kind == AstKind::kLiteral && s.literal.kind == AstLiteral::Kind::kInterval) {
        SPATE_ASSIGN_OR_RETURN(start, IntervalMs(s.literal, s.pos));
      } else {
        return ErrorAt(s.start, "the start time must be a duration such as '1 second'");
      }
      window.set_offset_ms(OffsetInStep(start, slide));
    }
    window_names = AggregateState::WindowNames::kSpark;
  }
  windowed_ = window.kind() != proto::WINDOW_NONE;

  std::vector<Output> outputs;
  if (aggregate_) {
    if (q.distinct && (!q.group_by.empty() || q.having)) {
      return ErrorAt(q.pos, "SELECT DISTINCT with GROUP BY or HAVING is not supported");
    }
    // The group keys.
    std::vector<const AstExpr*> groups;
    for (const auto& g : q.group_by) groups.push_back(g.get());
    if (q.distinct) {
      for (const auto& item : q.items) {
        if (item.expr->kind == AstKind::kStar) {
          return ErrorAt(item.expr->pos, "SELECT DISTINCT * is not supported: name the columns");
        }
        groups.push_back(item.expr.get());
      }
    }
    bool has_start = false;
    bool has_end = false;
    ExprBinder group_binder(scope.get(), "GROUP BY");
    for (const AstExpr* g : groups) {
      if (g == spark_window) continue;
      if (const int w = WindowColumnOf(*g, window_names); w != 0) {
        if (window_names == AggregateState::WindowNames::kSpark) {
          return ErrorAt(g->pos, "GROUP BY window(...) already groups by the window");
        }
        has_start = has_start || w == 1;
        has_end = has_end || w == 2;
        continue;
      }
      SPATE_ASSIGN_OR_RETURN(Bound b, group_binder.Bind(*g));
      if (b.interval) return ErrorAt(g->start, "cannot GROUP BY an INTERVAL");
      std::string sig = Signature(b.expr);
      if (std::find(agg_.key_signatures.begin(), agg_.key_signatures.end(), sig) !=
          agg_.key_signatures.end()) {
        continue;
      }
      agg_.key_signatures.push_back(std::move(sig));
      agg_.keys.push_back(std::move(b));
    }
    if (tvf && (!has_start || !has_end)) {
      const Position at = q.group_by.empty() ? q.pos : q.group_by_pos;
      return ErrorAt(at, "a query over " + std::string(WindowName(from.kind)) +
                             " must GROUP BY window_start and window_end (as Flink requires)");
    }
    if (from.kind == TableRef::Kind::kSession) {
      ExprBinder pb(scope.get(), "PARTITION BY");
      std::vector<std::string> sigs;
      std::string names;
      for (const auto& p : from.partition_by) {
        SPATE_ASSIGN_OR_RETURN(Bound b, pb.Bind(*p));
        names += (names.empty() ? "" : ", ") + b.expr.text();
        sigs.push_back(Signature(b.expr));
      }
      std::vector<std::string> keys = agg_.key_signatures;
      std::sort(sigs.begin(), sigs.end());
      sigs.erase(std::unique(sigs.begin(), sigs.end()), sigs.end());
      std::sort(keys.begin(), keys.end());
      if (sigs != keys) {
        std::string key_names;
        for (const auto& k : agg_.keys)
          key_names += (key_names.empty() ? "" : ", ") + k.expr.text();
        return ErrorAt(from.partition_by.empty() ? from.pos : from.partition_by[0]->start,
                       "SESSION's PARTITION BY (" + names +
                           ") must be the GROUP BY keys besides window_start and window_end (" +
                           key_names + ")");
      }
    }
    agg_.window_names = window_names;
    if (windowed_) {
      const int32_t wm = WatermarkId();
      const Table* t = base_->table();
      agg_.time_type = t->columns[t->watermark_column].type;
      (void)wm;
    }
    // SELECT and HAVING over the aggregate row.
    ExprBinder select_binder(scope.get(), "SELECT", &agg_);
    int index = 0;
    for (const auto& item : q.items) {
      if (item.expr->kind == AstKind::kStar) {
        return ErrorAt(item.expr->pos,
                       "SELECT * is not supported in a query that aggregates: "
                       "name the keys and aggregates");
      }
      SPATE_ASSIGN_OR_RETURN(Bound b, select_binder.Bind(*item.expr));
      std::string name = item.alias.name;
      if (name.empty()) {
        if (item.expr->kind == AstKind::kColumn) {
          name = item.expr->parts.back().name;
        } else {
          name = "EXPR$" + std::to_string(index);
        }
      }
      outputs.push_back(Output{std::move(name), std::move(b), item.expr->start});
      ++index;
    }
    if (q.having) {
      ExprBinder having_binder(scope.get(), "HAVING", &agg_);
      SPATE_ASSIGN_OR_RETURN(Bound b, having_binder.BindCondition(*q.having));
      having_ = std::move(b);
    }
  } else {
    ExprBinder select_binder(scope.get(), "SELECT");
    int index = 0;
    for (const auto& item : q.items) {
      if (item.expr->kind == AstKind::kStar) {
        SPATE_ASSIGN_OR_RETURN(auto expanded, scope->Expand(*item.expr));
        for (auto& [name, b] : expanded)
          outputs.push_back(Output{name, std::move(b), item.expr->pos});
        ++index;
        continue;
      }
      SPATE_ASSIGN_OR_RETURN(Bound b, select_binder.Bind(*item.expr));
      if (b.interval) {
        return ErrorAt(item.expr->start,
                       "an INTERVAL cannot be a query's column: CAST it to BIGINT");
      }
      std::string name = item.alias.name;
      if (name.empty()) {
        name = item.expr->kind == AstKind::kColumn ? item.expr->parts.back().name
                                                   : "EXPR$" + std::to_string(index);
      }
      outputs.push_back(Output{std::move(name), std::move(b), item.expr->start});
      ++index;
    }
  }
  SPATE_RETURN_IF_ERROR(Finish(&plan, std::move(filters), std::move(outputs), sink, sink_name, q));
  return plan;
}

Status QueryPlanner::Finish(proto::QueryPlan* plan, std::vector<Bound> filters,
                            std::vector<Output> outputs, const Table* sink, const Ident& sink_name,
                            const SelectStmt& q) {
  const Table* t = base_->table();
  // The sink's columns: outputs match them by position.
  if (sink != nullptr) {
    std::vector<const TableColumn*> cols;
    std::string col_names;
    for (const auto& c : sink->columns) {
      if (c.computed != nullptr) continue;
      cols.push_back(&c);
      col_names += (col_names.empty() ? "" : ", ") + c.name;
    }
    if (cols.size() != outputs.size()) {
      return ErrorAt(q.pos, "the query gives " + std::to_string(outputs.size()) + " column" +
                                (outputs.size() == 1 ? "" : "s") + " but table '" + sink->name +
                                "' has " + std::to_string(cols.size()) + " (" + col_names + ")");
    }
    for (size_t i = 0; i < cols.size(); ++i) {
      Output& o = outputs[i];
      const proto::DataType& to = cols[i]->type;
      if (to.kind() == proto::TYPE_ROW) {
        return ErrorAt(cols[i]->pos, "column '" + cols[i]->name + "' of table '" + sink->name +
                                         "' is a ROW: Spate writes only scalar columns");
      }
      if (o.bound.interval || !AssignableTo(o.bound.expr.type(), to)) {
        return ErrorAt(o.pos, "column " + std::to_string(i + 1) + " of the query (" + o.name +
                                  ", " +
                                  (o.bound.interval ? "INTERVAL" : TypeName(o.bound.expr.type())) +
                                  ") cannot be written to column '" + cols[i]->name + "' (" +
                                  TypeName(to) + ") of table '" + sink->name + "'");
      }
      if (o.bound.expr.type().kind() != to.kind()) {
        proto::Expr cast;
        proto::DataType type = to;
        type.set_not_null(false);
        *cast.mutable_type() = type;
        cast.set_text("CAST(" + o.bound.expr.text() + " AS " + TypeName(type) + ")");
        cast.mutable_call()->set_fn("CAST");
        *cast.mutable_call()->add_args() = std::move(o.bound.expr);
        o.bound.expr = std::move(cast);
      }
      o.name = cols[i]->name;
    }
  }

  // The source row: decoded leaves in declared order, then computed columns in declared order.
  if (windowed_) base_->Use(t->watermark_column);
  std::map<int32_t, int32_t> source_ids;
  for (int leaf : base_->used_leaves()) {
    const Leaf& l = t->leaves[leaf];
    source_ids[leaf] = plan->source().columns_size();
    auto* col = plan->mutable_source()->add_columns();
    col->set_name(l.name);
    for (const auto& p : l.path) col->add_path(p);
    *col->mutable_type() = l.type;
  }
  int32_t next = plan->source().columns_size();
  for (int c : base_->used_computed()) source_ids[kComputedBase + c] = next++;
  auto source_map = [&](int32_t id) { return source_ids.at(id); };
  for (int c : base_->used_computed()) {
    proto::Expr e = t->columns[c].computed_bound->expr;
    RemapColumns(&e, source_map);
    *plan->add_computed() = std::move(e);
    plan->add_computed_names(t->columns[c].name);
  }
  plan->set_event_time_column(-1);
  if (windowed_) {
    const int32_t wm = WatermarkId();
    plan->set_event_time_column(source_map(wm));
    plan->set_watermark_delay_ms(t->watermark_delay_ms);
    plan->mutable_window()->set_time_column(source_map(wm));
  }
  for (auto& f : filters) {
    RemapColumns(&f.expr, source_map);
    *plan->add_filters() = std::move(f.expr);
  }
  plan->set_aggregate(aggregate_);
  if (aggregate_) {
    const int32_t keys = static_cast<int32_t>(agg_.keys.size());
    const int32_t aggs = static_cast<int32_t>(agg_.calls.size());
    auto agg_map = [&](int32_t id) {
      if (id == kWindowStartId) return keys + aggs;
      if (id == kWindowEndId) return keys + aggs + 1;
      if (id >= kAggregateBase) return keys + (id - kAggregateBase);
      return id;
    };
    for (size_t i = 0; i < agg_.keys.size(); ++i) {
      Bound& k = agg_.keys[i];
      RemapColumns(&k.expr, source_map);
      // A key's name: that of a SELECT column that is just the key, else its text.
      std::string name = k.expr.text();
      for (const auto& o : outputs) {
        if (o.bound.expr.has_column() && o.bound.expr.column() == static_cast<int32_t>(i)) {
          name = o.name;
          break;
        }
      }
      *plan->add_group_keys() = k.expr;
      plan->add_group_key_names(name);
    }
    for (auto& c : agg_.calls) {
      if (c.has_arg()) RemapColumns(c.mutable_arg(), source_map);
      *plan->add_aggregates() = c;
    }
    if (having_) {
      RemapColumns(&having_->expr, agg_map);
      *plan->mutable_having() = having_->expr;
    }
    for (auto& o : outputs) {
      RemapColumns(&o.bound.expr, agg_map);
      auto* out = plan->add_outputs();
      out->set_name(o.name);
      *out->mutable_expr() = std::move(o.bound.expr);
    }
  } else {
    for (auto& o : outputs) {
      RemapColumns(&o.bound.expr, source_map);
      auto* out = plan->add_outputs();
      out->set_name(o.name);
      *out->mutable_expr() = std::move(o.bound.expr);
    }
  }

  proto::SourcePlan& src = *plan->mutable_source();
  src.set_table(t->name);
  src.set_connector(t->connector);
  src.set_topic(t->topic);
  src.set_bootstrap(t->bootstrap);
  for (const auto& [k, v] : t->properties) (*src.mutable_properties())[k] = v;
  src.set_startup_mode(t->startup_mode);
  src.set_bounded(t->bounded);
  src.set_format(t->format);
  src.set_ignore_parse_errors(t->ignore_parse_errors);
  src.set_fail_on_missing_field(t->fail_on_missing_field);

  proto::SinkPlan& out = *plan->mutable_sink();
  if (sink == nullptr) {
    out.set_connector("print");
    out.set_format("json");
  } else {
    out.set_table(sink->name);
    out.set_connector(sink->connector);
    out.set_format(sink->format);
    if (sink->connector == "filesystem") out.set_path(sink->path);
    if (sink->connector == "kafka") {
      out.set_topic(sink->topic);
      out.set_bootstrap(sink->bootstrap);
      for (const auto& [k, v] : sink->properties) (*out.mutable_properties())[k] = v;
    }
  }
  (void)sink_name;
  plan->set_prefilter(DerivePrefilter(*plan));
  plan->set_description(DescribePlan(*plan));
  return Status::OK();
}

}  // namespace

Result<proto::QueryPlan> PlanQuery(const Catalog& catalog, const SelectStmt& query,
                                   const Table* sink, const Ident& sink_name) {
  QueryPlanner planner(catalog);
  return planner.Plan(query, sink, sink_name);
}

}  // namespace spate::sql
