// Small builders of plan protos for the exec tests.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "proto/plan.pb.h"

namespace spate::exec::testing {

inline proto::DataType Type(proto::TypeKind kind, int precision = 0) {
  proto::DataType t;
  t.set_kind(kind);
  t.set_precision(precision);
  return t;
}

inline proto::Expr Col(int index, proto::TypeKind kind) {
  proto::Expr e;
  *e.mutable_type() = Type(kind);
  e.set_column(index);
  e.set_text("$" + std::to_string(index));
  return e;
}

inline proto::Expr Int(int64_t v, proto::TypeKind kind = proto::TYPE_BIGINT) {
  proto::Expr e;
  *e.mutable_type() = Type(kind);
  e.mutable_literal()->set_int_value(v);
  e.set_text(std::to_string(v));
  return e;
}

inline proto::Expr Dbl(double v) {
  proto::Expr e;
  *e.mutable_type() = Type(proto::TYPE_DOUBLE);
  e.mutable_literal()->set_double_value(v);
  e.set_text(std::to_string(v));
  return e;
}

inline proto::Expr Str(std::string v) {
  proto::Expr e;
  *e.mutable_type() = Type(proto::TYPE_STRING);
  e.set_text("'" + v + "'");
  e.mutable_literal()->set_string_value(std::move(v));
  return e;
}

inline proto::Expr Bool(bool v) {
  proto::Expr e;
  *e.mutable_type() = Type(proto::TYPE_BOOLEAN);
  e.mutable_literal()->set_bool_value(v);
  e.set_text(v ? "TRUE" : "FALSE");
  return e;
}

inline proto::Expr Null(proto::TypeKind kind = proto::TYPE_NULL) {
  proto::Expr e;
  *e.mutable_type() = Type(kind);
  e.mutable_literal()->set_is_null(true);
  e.set_text("NULL");
  return e;
}

inline proto::Expr Call(const std::string& fn, proto::TypeKind result,
                        std::vector<proto::Expr> args) {
  proto::Expr e;
  *e.mutable_type() = Type(result);
  e.mutable_call()->set_fn(fn);
  std::string text = fn + "(";
  for (size_t k = 0; k < args.size(); ++k) {
    if (k > 0) text += ", ";
    text += args[k].text();
    *e.mutable_call()->add_args() = std::move(args[k]);
  }
  e.set_text(text + ")");
  return e;
}

inline proto::SourceColumn Column(std::string name, std::vector<std::string> path,
                                  proto::TypeKind kind) {
  proto::SourceColumn c;
  c.set_name(std::move(name));
  for (auto& p : path) c.add_path(std::move(p));
  *c.mutable_type() =
      Type(kind, kind == proto::TYPE_TIMESTAMP || kind == proto::TYPE_TIMESTAMP_LTZ ? 3 : 0);
  return c;
}

inline proto::SourcePlan Source(std::vector<proto::SourceColumn> columns,
                                bool fail_on_missing = false) {
  proto::SourcePlan s;
  s.set_format("json");
  s.set_fail_on_missing_field(fail_on_missing);
  for (auto& c : columns) *s.add_columns() = std::move(c);
  return s;
}

inline proto::AggregateCall Agg(proto::AggregateKind kind, proto::TypeKind result,
                                const proto::Expr* arg, std::string text) {
  proto::AggregateCall a;
  a.set_kind(kind);
  *a.mutable_type() = Type(result);
  if (arg != nullptr) *a.mutable_arg() = *arg;
  a.set_text(std::move(text));
  return a;
}

}  // namespace spate::exec::testing
