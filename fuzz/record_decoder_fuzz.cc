// libFuzzer target: RowDecoder over arbitrary bytes with a few fixed plans, then the operators
// over what it decoded. Must never crash, leak or read out of bounds; checks that the decoder
// judges JSON validity exactly as RecordParser does.
//
//   record_decoder_fuzz [corpus_dir] -max_len=4096
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/log_record.h"
#include "exec/aggregate.h"
#include "exec/decoder.h"
#include "exec/expr.h"
#include "exec/row_codec.h"

namespace spate::exec {
namespace {

proto::DataType Type(proto::TypeKind kind) {
  proto::DataType t;
  t.set_kind(kind);
  return t;
}

void AddColumn(proto::SourcePlan* s, std::vector<std::string> path, proto::TypeKind kind,
               bool not_null = false) {
  proto::SourceColumn* c = s->add_columns();
  std::string name;
  for (const auto& p : path) {
    if (!name.empty()) name += '.';
    name += p;
    c->add_path(p);
  }
  c->set_name(name);
  *c->mutable_type() = Type(kind);
  c->mutable_type()->set_not_null(not_null);
}

proto::Expr Col(int index, proto::TypeKind kind) {
  proto::Expr e;
  *e.mutable_type() = Type(kind);
  e.set_column(index);
  return e;
}

proto::Expr Lit(const std::string& s) {
  proto::Expr e;
  *e.mutable_type() = Type(proto::TYPE_STRING);
  e.mutable_literal()->set_string_value(s);
  return e;
}

proto::Expr Int(int64_t v) {
  proto::Expr e;
  *e.mutable_type() = Type(proto::TYPE_BIGINT);
  e.mutable_literal()->set_int_value(v);
  return e;
}

proto::Expr Call(const std::string& fn, proto::TypeKind kind, std::vector<proto::Expr> args) {
  proto::Expr e;
  *e.mutable_type() = Type(kind);
  e.mutable_call()->set_fn(fn);
  for (auto& a : args) *e.mutable_call()->add_args() = std::move(a);
  return e;
}

struct Fixture {
  std::vector<std::unique_ptr<RowDecoder>> decoders;
  std::vector<std::unique_ptr<CompiledExpr>> exprs;  // over column 0 (STRING), 1 (STRING)
  std::unique_ptr<AggregateSet> aggs;                // over columns 0 and 1
  RecordParser parser;

  Fixture() {
    // 1: the course record, as RecordParser reads it (its validity verdicts must agree).
    proto::SourcePlan course;
    AddColumn(&course, {"content"}, proto::TYPE_STRING);
    AddColumn(&course, {"user_id"}, proto::TYPE_STRING);
    AddColumn(&course, {"timestamp"}, proto::TYPE_TIMESTAMP_LTZ);
    AddColumn(&course, {"status"}, proto::TYPE_STRING);
    AddColumn(&course, {"severity"}, proto::TYPE_STRING);
    AddColumn(&course, {"source_ip"}, proto::TYPE_STRING);
    // 2: nested paths of every type, missing fields malformed.
    proto::SourcePlan nested;
    AddColumn(&nested, {"a"}, proto::TYPE_STRING);
    AddColumn(&nested, {"b", "c"}, proto::TYPE_STRING);
    AddColumn(&nested, {"b", "d", "e"}, proto::TYPE_INT);
    AddColumn(&nested, {"b", "f"}, proto::TYPE_DOUBLE);
    AddColumn(&nested, {"g"}, proto::TYPE_BOOLEAN);
    AddColumn(&nested, {"b", "d", "t"}, proto::TYPE_TIMESTAMP);
    AddColumn(&nested, {"h"}, proto::TYPE_BIGINT);
    nested.set_fail_on_missing_field(true);
    // 3: keys that cannot be matched raw (long, quotes, backslashes), one path twice, and
    // NOT NULL columns.
    proto::SourcePlan odd;
    AddColumn(&odd, {"k"}, proto::TYPE_STRING);
    AddColumn(&odd, {"q\"uote"}, proto::TYPE_STRING);
    AddColumn(&odd, {std::string(70, 'x')}, proto::TYPE_STRING);
    AddColumn(&odd, {"b\\s", "x"}, proto::TYPE_DOUBLE);
    AddColumn(&odd, {"k"}, proto::TYPE_STRING);
    AddColumn(&odd, {""}, proto::TYPE_BIGINT);
    // NOT NULL columns, one nested: a null or absent field is malformed.
    AddColumn(&odd, {"n"}, proto::TYPE_TIMESTAMP, /*not_null=*/true);
    AddColumn(&odd, {"b\\s", "m"}, proto::TYPE_STRING, /*not_null=*/true);
    for (const auto* plan : {&course, &nested, &odd}) {
      auto d = RowDecoder::Make(*plan);
      if (!d.ok()) std::abort();
      decoders.push_back(std::move(d).value());
    }
    const proto::TypeKind kS = proto::TYPE_STRING;
    std::vector<proto::Expr> es = {
        Call("LIKE", proto::TYPE_BOOLEAN, {Call("LOWER", kS, {Col(0, kS)}), Lit("%cr_sh%a%")}),
        Call("LIKE", proto::TYPE_BOOLEAN, {Col(0, kS), Col(1, kS)}),
        Call("ILIKE", proto::TYPE_BOOLEAN, {Col(1, kS), Col(0, kS), Lit("!")}),
        Call("REGEXP", proto::TYPE_BOOLEAN, {Col(0, kS), Col(1, kS)}),
        Call("CAST", proto::TYPE_BIGINT, {Col(0, kS)}),
        Call("CAST", proto::TYPE_DOUBLE, {Col(1, kS)}),
        Call("CAST", proto::TYPE_TIMESTAMP, {Col(0, kS)}),
        Call("CAST", proto::TYPE_BOOLEAN, {Col(1, kS)}),
        Call("CAST", kS, {Call("CAST", proto::TYPE_DOUBLE, {Col(0, kS)})}),
        Call("SUBSTRING", kS,
             {Col(0, kS), Call("CHAR_LENGTH", proto::TYPE_INT, {Col(1, kS)}), Int(3)}),
        Call("CONCAT", kS, {Call("UPPER", kS, {Col(0, kS)}), Call("TRIM", kS, {Col(1, kS)})}),
        Call("TO_TIMESTAMP", proto::TYPE_TIMESTAMP, {Col(1, kS)}),
        Call("IN", proto::TYPE_BOOLEAN, {Col(0, kS), Lit("a"), Lit("bb"), Col(1, kS)}),
    };
    for (const auto& e : es) {
      auto c = CompiledExpr::Compile(e);
      if (!c.ok()) std::abort();
      exprs.push_back(std::move(c).value());
    }
    google::protobuf::RepeatedPtrField<proto::AggregateCall> calls;
    for (auto kind : {proto::AGG_MIN, proto::AGG_MAX, proto::AGG_COUNT_DISTINCT,
                      proto::AGG_APPROX_COUNT_DISTINCT, proto::AGG_COUNT}) {
      proto::AggregateCall* a = calls.Add();
      a->set_kind(kind);
      *a->mutable_type() =
          Type(kind == proto::AGG_MIN || kind == proto::AGG_MAX ? kS : proto::TYPE_BIGINT);
      *a->mutable_arg() = Col(kind == proto::AGG_MAX ? 1 : 0, kS);
    }
    auto set = AggregateSet::Make(calls);
    if (!set.ok()) std::abort();
    aggs = std::move(set).value();
  }
};

bool IsJsonVerdict(MalformedReason r) {
  return r == MalformedReason::kNotJson || r == MalformedReason::kNotObject;
}

}  // namespace
}  // namespace spate::exec

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace spate::exec;  // NOLINT
  static Fixture* f = new Fixture();
  // An exact-size heap copy: AddressSanitizer sees any read past the record (the decoder must
  // copy it into its padded buffer under ASan).
  std::unique_ptr<char[]> copy(new char[size]);
  if (size > 0) std::memcpy(copy.get(), data, size);
  const std::string_view json(copy.get(), size);

  Value row[16];
  Arena arena;
  volatile size_t sink = 0;
  for (size_t d = 0; d < f->decoders.size(); ++d) {
    const DecodeOutcome o = f->decoders[d]->Decode(json, row);
    if (d == 0) {
      spate::LogRecordView view;
      const spate::ParseOutcome p = f->parser.Parse(json, spate::kAllFields, &view);
      // Same validation: JSON validity and object-ness agree with RecordParser.
      if (IsJsonVerdict(o.reason) != IsJsonVerdict(p.reason) ||
          (IsJsonVerdict(o.reason) && o.reason != p.reason)) {
        std::abort();
      }
    }
    if (!o.ok()) continue;
    for (size_t c = 0; c < f->decoders[d]->columns(); ++c) {
      if (row[c].kind == ValueKind::kString) {
        for (char ch : row[c].s) sink = sink + static_cast<unsigned char>(ch);
      }
    }
    // Strings (or NULL) in columns 0 and 1 of the course and odd plans: run the operators.
    if (d == 1) continue;
    for (const auto& e : f->exprs) {
      const Value v = e->Eval(row, &arena);
      std::string out;
      AppendJsonValue(v, spate::proto::DataType(), &out);
      sink = sink + out.size();
    }
    std::string key;
    EncodeKey(row, 2, &key);
    Value back[2];
    if (!DecodeKey(key, back, 2).ok()) std::abort();
    std::vector<uint64_t> state(f->aggs->state_size() / 8 + 1);
    char* s = reinterpret_cast<char*>(state.data());
    f->aggs->Init(s);
    f->aggs->Update(s, row, &arena);
    f->aggs->Update(s, row + 1, &arena);
    std::string bytes, other;
    f->aggs->Serialize(s, &bytes);
    f->aggs->Destroy(s);
    other = bytes;
    if (!f->aggs->Merge(&bytes, other).ok()) std::abort();
    // Arbitrary bytes as a serialized state: Corruption or a value, never a crash.
    std::string junk(json);
    (void)f->aggs->Merge(&junk, bytes);
    Value out[5];
    if (!f->aggs->Finalize(bytes, out, &arena).ok()) std::abort();
    (void)f->aggs->Finalize(json, out, &arena);
    arena.Reset();
  }
  return 0;
}
