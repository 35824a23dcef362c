#include "exec/aggregate.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <unordered_set>
#include <utility>

#include "exec/expr.h"
#include "exec/expr_internal.h"
#include "exec/row_codec.h"

// Serialized form of an AggregateSet: the aggregates' parts back to back, in plan order, with
// no header (the set that wrote it is the one that reads it). Integers are little-endian.
//   COUNT(*), COUNT        count: 8 bytes
//   SUM                    flag (0: no non-NULL value yet, 1: a sum) 1 byte, then the sum:
//                          8 bytes, int64 or the bits of a double (the call's type says which)
//   AVG                    sum 8 bytes (int64 for integer arguments, else a double), count 8
//   MIN, MAX               tag 1 byte (0 none, 1 FALSE, 2 TRUE, 3 int, 4 double, 5 string),
//                          then 8 bytes (int, double) or varint length + bytes (string)
//   COUNT(DISTINCT)        varint n, then n values as EncodeKey makes them, each as varint
//                          length + bytes, in strictly increasing bytewise order
//   APPROX_COUNT_DISTINCT  form 1 byte: 1 sparse: varint n, then n distinct 64-bit hashes
//                          (8 bytes each, increasing); 2 dense: 2^14 HyperLogLog registers,
//                          one byte each
// Merging is a union (counts and sums add, MIN/MAX keep the extreme, sets and registers unite),
// so it is associative and commutative; an empty string is the empty state.

namespace spate::exec {
namespace {

using internal::ThreeWay;

// ---------------------------------------------------------------------------------------------
// Byte helpers

inline void PutU64(uint64_t v, std::string* out) {
  char b[8];
  for (int k = 0; k < 8; ++k) b[k] = static_cast<char>(v >> (8 * k));
  out->append(b, 8);
}

inline uint64_t ReadU64(const char* p) {
  uint64_t v = 0;
  for (int k = 0; k < 8; ++k) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[k])) << (8 * k);
  return v;
}

inline void PutVarint(uint64_t v, std::string* out) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

// A cursor over serialized bytes; every read checks the length (corrupt input must not crash).
struct Reader {
  std::string_view in;
  bool ok = true;

  bool Has(size_t n) {
    if (in.size() < n) ok = false;
    return ok;
  }
  uint8_t U8() {
    if (!Has(1)) return 0;
    const uint8_t v = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    return v;
  }
  uint64_t U64() {
    if (!Has(8)) return 0;
    const uint64_t v = ReadU64(in.data());
    in.remove_prefix(8);
    return v;
  }
  uint64_t Varint() {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const uint8_t b = U8();
      if (!ok) return 0;
      r |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return r;
    }
    ok = false;
    return 0;
  }
  std::string_view Bytes(uint64_t n) {
    if (!Has(n)) return {};
    const std::string_view v = in.substr(0, n);
    in.remove_prefix(n);
    return v;
  }
};

inline double BitsToDouble(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}
inline uint64_t DoubleToBits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

// ---------------------------------------------------------------------------------------------
// In-memory states

struct SumState {
  union {
    int64_t i;
    double d;
  };
  int64_t has;
};

struct AvgState {
  union {
    int64_t i;
    double d;
  };
  int64_t count;
};

// MIN/MAX: a value; strings up to kInline bytes inside, longer ones on the heap (grown, never
// shrunk, freed by Destroy).
struct MinMaxState {
  static constexpr uint32_t kInline = 16;
  uint8_t tag;  // as the serialized tag: 0 none, 1 FALSE, 2 TRUE, 3 int, 4 double, 5 string
  uint8_t on_heap;
  uint32_t len;
  union {
    int64_t i;
    double d;
    char* heap;
  };
  union {
    char inline_bytes[kInline];
    uint64_t heap_capacity;
  };

  std::string_view str() const { return {on_heap ? heap : inline_bytes, len}; }
  Value value() const {
    switch (tag) {
      case 1:
      case 2:
        return Value::Bool(tag == 2);
      case 3:
        return Value::Int(i);
      case 4:
        return Value::Double(d);
      case 5:
        return Value::String(str());
      default:
        return Value::Null();
    }
  }
  void SetString(std::string_view s) {
    if (on_heap && s.size() <= heap_capacity) {
      std::memcpy(heap, s.data(), s.size());
    } else if (!on_heap && s.size() <= kInline) {
      if (!s.empty()) std::memcpy(inline_bytes, s.data(), s.size());
    } else {
      if (on_heap) delete[] heap;
      const uint64_t cap = std::max<uint64_t>(s.size(), 32);
      heap = new char[cap];
      heap_capacity = cap;
      on_heap = 1;
      std::memcpy(heap, s.data(), s.size());
    }
    len = static_cast<uint32_t>(s.size());
    tag = 5;
  }
  void Set(const Value& v) {
    switch (v.kind) {
      case ValueKind::kBool:
        tag = v.b ? 2 : 1;
        break;
      case ValueKind::kInt:
        if (on_heap) Free();
        tag = 3;
        i = v.i;
        break;
      case ValueKind::kDouble:
        if (on_heap) Free();
        tag = 4;
        d = v.d;
        break;
      case ValueKind::kString:
        SetString(v.s);
        break;
      case ValueKind::kNull:
        break;
    }
  }
  void Free() {
    if (on_heap) delete[] heap;
    on_heap = 0;
    i = 0;
  }
};
static_assert(sizeof(MinMaxState) == 32);

// Hash and equality for the encoded values of COUNT(DISTINCT), with lookups by string_view.
struct BytesHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return XXH3_64bits(s.data(), s.size()); }
};
struct BytesEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};
using DistinctSet = std::unordered_set<std::string, BytesHash, BytesEq>;

// ---------------------------------------------------------------------------------------------
// HyperLogLog: 2^14 registers (0.81% standard error), 64-bit xxh3 hashes. Until kSparseMax
// distinct hashes the exact set of hashes is kept instead (so small counts are exact), in an
// open-addressing table no larger than the registers would be.

constexpr int kHllP = 14;
constexpr uint32_t kHllM = 1u << kHllP;
constexpr int kHllQ = 64 - kHllP;
constexpr size_t kSparseMax = 1024;

struct Hll {
  std::vector<uint64_t> table;     // sparse: 0 is an empty slot (a zero hash is stored as 1)
  size_t count = 0;                // sparse: distinct hashes held
  std::vector<uint8_t> registers;  // dense once non-empty

  bool dense() const { return !registers.empty(); }

  static uint64_t Fix(uint64_t h) { return h == 0 ? 1 : h; }

  void AddDense(uint64_t h) {
    const uint32_t index = static_cast<uint32_t>(h >> kHllQ);
    const uint64_t w = h << kHllP;
    const uint8_t rho = w == 0 ? kHllQ + 1 : static_cast<uint8_t>(__builtin_clzll(w) + 1);
    if (rho > registers[index]) registers[index] = rho;
  }

  void ToDense() {
    registers.assign(kHllM, 0);
    for (uint64_t h : table) {
      if (h != 0) AddDense(h);
    }
    std::vector<uint64_t>().swap(table);
    count = 0;
  }

  void InsertSparse(uint64_t h) {
    if (table.empty()) table.assign(16, 0);
    const size_t mask = table.size() - 1;
    for (size_t slot = (h ^ (h >> 29)) & mask;; slot = (slot + 1) & mask) {
      if (table[slot] == h) return;
      if (table[slot] == 0) {
        table[slot] = h;
        ++count;
        break;
      }
    }
    if (count > kSparseMax) {
      ToDense();
    } else if (count * 2 > table.size()) {
      std::vector<uint64_t> old;
      old.swap(table);
      table.assign(old.size() * 2, 0);
      count = 0;
      for (uint64_t x : old) {
        if (x != 0) InsertSparse(x);
      }
    }
  }

  void Add(uint64_t h) {
    h = Fix(h);
    if (dense()) {
      AddDense(h);
    } else {
      InsertSparse(h);
    }
  }
};

// Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (2017): the improved
// raw estimator, unbiased from 0 to far beyond 2^64 / m without bias tables or range switches.
double HllEstimate(const uint8_t* registers) {
  int counts[kHllQ + 2] = {};
  for (uint32_t k = 0; k < kHllM; ++k) ++counts[std::min<int>(registers[k], kHllQ + 1)];
  const double m = kHllM;
  auto sigma = [](double x) {
    if (x == 1) return std::numeric_limits<double>::infinity();
    double y = 1, z = x;
    while (true) {
      x *= x;
      const double z_old = z;
      z += x * y;
      y += y;
      if (z == z_old) return z;
    }
  };
  auto tau = [](double x) {
    if (x == 0 || x == 1) return 0.0;
    double y = 1, z = 1 - x;
    while (true) {
      x = std::sqrt(x);
      const double z_old = z;
      y *= 0.5;
      z -= (1 - x) * (1 - x) * y;
      if (z == z_old) return z / 3;
    }
  };
  double z = m * tau(1 - counts[kHllQ + 1] / m);
  for (int k = kHllQ; k >= 1; --k) z = 0.5 * (z + counts[k]);
  z += m * sigma(counts[0] / m);
  return (1 / (2 * std::log(2.0))) * m * m / z;
}

uint64_t HashValue(const Value& v) {
  if (v.kind == ValueKind::kString) return XXH3_64bits_withSeed(v.s.data(), v.s.size(), 5);
  thread_local std::string scratch;
  scratch.clear();
  EncodeKey(&v, 1, &scratch);
  return XXH3_64bits(scratch.data(), scratch.size());
}

// ---------------------------------------------------------------------------------------------
// The set

enum class Kind : uint8_t {
  kCountStar,
  kCount,
  kSumInt,
  kSumDouble,
  kMin,
  kMax,
  kAvgInt,
  kAvgDouble,
  kCountDistinct,
  kApprox,
};

struct Agg {
  Kind kind;
  proto::TypeKind result;
  size_t offset = 0;
  int slot = -1;  // the argument's place among the distinct arguments (-1: COUNT(*))
  std::string text;
};

// One distinct argument: a column of the source row, or an expression over it.
struct Arg {
  int column = -1;  // the argument is this column of the source row (no Eval)
  std::unique_ptr<CompiledExpr> expr;
  std::string key;  // the serialized plan expression, to find a repeated argument
};

size_t StateBytes(Kind k) {
  switch (k) {
    case Kind::kCountStar:
    case Kind::kCount:
    case Kind::kCountDistinct:
    case Kind::kApprox:
      return 8;
    case Kind::kSumInt:
    case Kind::kSumDouble:
    case Kind::kAvgInt:
    case Kind::kAvgDouble:
      return 16;
    case Kind::kMin:
    case Kind::kMax:
      return sizeof(MinMaxState);
  }
  return 8;
}

inline bool ToDouble(const Value& v, double* d) {
  if (v.kind == ValueKind::kDouble) {
    *d = v.d;
    return true;
  }
  if (v.kind == ValueKind::kInt) {
    *d = static_cast<double>(v.i);
    return true;
  }
  return false;
}

inline bool ToInt(const Value& v, int64_t* i) {
  if (v.kind == ValueKind::kInt) {
    *i = v.i;
    return true;
  }
  if (v.kind == ValueKind::kDouble && v.d > -9.3e18 && v.d < 9.3e18) {
    *i = static_cast<int64_t>(v.d);
    return true;
  }
  return false;
}

inline int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

class AggregateSetImpl final : public AggregateSet {
 public:
  Status Init(const google::protobuf::RepeatedPtrField<proto::AggregateCall>& aggregates);

  size_t state_size() const override { return state_size_; }
  void Init(char* state) const override;
  void Update(char* state, const Value* source_row, Arena* arena) const override;
  size_t arg_count() const override { return args_.size(); }
  void EvalArgs(const Value* source_row, Arena* arena, Value* args) const override;
  void UpdateArgs(char* state, const Value* args) const override;
  void Serialize(const char* state, std::string* out) const override;
  void Destroy(char* state) const override;
  Status Merge(std::string* into, std::string_view other) const override;
  Status Finalize(std::string_view bytes, Value* out, Arena* arena) const override;
  size_t size() const override { return aggs_.size(); }

 private:
  // Merges one aggregate's part of `a` and `b` into `out`; false when either is corrupt.
  bool MergePart(const Agg& agg, Reader* a, Reader* b, std::string* out) const;
  // Reads one aggregate's part (validated) as its final value.
  bool FinalizePart(const Agg& agg, Reader* r, Value* out) const;

  std::vector<Agg> aggs_;
  std::vector<Arg> args_;
  size_t state_size_ = 0;
};

Status AggregateSetImpl::Init(
    const google::protobuf::RepeatedPtrField<proto::AggregateCall>& aggregates) {
  for (const proto::AggregateCall& call : aggregates) {
    Agg agg;
    agg.result = call.type().kind();
    agg.text = call.text();
    const proto::TypeKind arg_type = call.arg().type().kind();
    switch (call.kind()) {
      case proto::AGG_COUNT_STAR:
        agg.kind = Kind::kCountStar;
        break;
      case proto::AGG_COUNT:
        agg.kind = Kind::kCount;
        break;
      case proto::AGG_SUM:
        agg.kind = agg.result == proto::TYPE_DOUBLE ? Kind::kSumDouble : Kind::kSumInt;
        break;
      case proto::AGG_MIN:
        agg.kind = Kind::kMin;
        break;
      case proto::AGG_MAX:
        agg.kind = Kind::kMax;
        break;
      case proto::AGG_AVG:
        agg.kind = arg_type == proto::TYPE_DOUBLE || agg.result == proto::TYPE_DOUBLE
                       ? Kind::kAvgDouble
                       : Kind::kAvgInt;
        break;
      case proto::AGG_COUNT_DISTINCT:
        agg.kind = Kind::kCountDistinct;
        break;
      case proto::AGG_APPROX_COUNT_DISTINCT:
        agg.kind = Kind::kApprox;
        break;
      default:
        return Status::InvalidArgument("aggregate '" + call.text() + "': unknown kind " +
                                       std::to_string(call.kind()));
    }
    if (agg.kind != Kind::kCountStar) {
      if (!call.has_arg()) {
        return Status::InvalidArgument("aggregate '" + call.text() + "': no argument");
      }
      std::string key = call.arg().SerializeAsString();
      for (size_t i = 0; i < args_.size() && agg.slot < 0; ++i) {
        if (args_[i].key == key) agg.slot = static_cast<int>(i);
      }
      if (agg.slot < 0) {
        Arg arg;
        if (call.arg().kind_case() == proto::Expr::kColumn) {
          arg.column = call.arg().column();
        } else {
          SPATE_ASSIGN_OR_RETURN(arg.expr, CompiledExpr::Compile(call.arg()));
        }
        arg.key = std::move(key);
        agg.slot = static_cast<int>(args_.size());
        args_.push_back(std::move(arg));
      }
    }
    agg.offset = state_size_;
    state_size_ += StateBytes(agg.kind);
    aggs_.push_back(std::move(agg));
  }
  return Status::OK();
}

void AggregateSetImpl::Init(char* state) const {
  std::memset(state, 0, state_size_);  // every state's empty form is all zeros
}

void AggregateSetImpl::Update(char* state, const Value* source_row, Arena* arena) const {
  constexpr size_t kInline = 16;
  Value inline_args[kInline];
  std::vector<Value> heap_args;
  Value* args = inline_args;
  if (args_.size() > kInline) {
    heap_args.resize(args_.size());
    args = heap_args.data();
  }
  EvalArgs(source_row, arena, args);
  UpdateArgs(state, args);
}

void AggregateSetImpl::EvalArgs(const Value* source_row, Arena* arena, Value* args) const {
  for (size_t i = 0; i < args_.size(); ++i) {
    const Arg& a = args_[i];
    args[i] = a.column >= 0 ? source_row[a.column] : a.expr->Eval(source_row, arena);
  }
}

void AggregateSetImpl::UpdateArgs(char* state, const Value* args) const {
  for (const Agg& agg : aggs_) {
    char* s = state + agg.offset;
    if (agg.kind == Kind::kCountStar) {
      ++*reinterpret_cast<int64_t*>(s);
      continue;
    }
    const Value& v = args[agg.slot];
    if (v.is_null()) continue;
    switch (agg.kind) {
      case Kind::kCountStar:
        break;
      case Kind::kCount:
        ++*reinterpret_cast<int64_t*>(s);
        break;
      case Kind::kSumInt: {
        auto* st = reinterpret_cast<SumState*>(s);
        int64_t i;
        if (!ToInt(v, &i)) break;
        st->i = WrapAdd(st->i, i);
        st->has = 1;
        break;
      }
      case Kind::kSumDouble: {
        auto* st = reinterpret_cast<SumState*>(s);
        double d;
        if (!ToDouble(v, &d)) break;
        st->d += d;
        st->has = 1;
        break;
      }
      case Kind::kAvgInt: {
        auto* st = reinterpret_cast<AvgState*>(s);
        int64_t i;
        if (!ToInt(v, &i)) break;
        st->i = WrapAdd(st->i, i);
        ++st->count;
        break;
      }
      case Kind::kAvgDouble: {
        auto* st = reinterpret_cast<AvgState*>(s);
        double d;
        if (!ToDouble(v, &d)) break;
        st->d += d;
        ++st->count;
        break;
      }
      case Kind::kMin:
      case Kind::kMax: {
        auto* st = reinterpret_cast<MinMaxState*>(s);
        if (st->tag == 0) {
          st->Set(v);
          break;
        }
        // Fast paths for the common kinds; ThreeWay for mixed numbers.
        if (v.kind == ValueKind::kInt && st->tag == 3) {
          if (agg.kind == Kind::kMin ? v.i < st->i : v.i > st->i) st->i = v.i;
          break;
        }
        const int c = ThreeWay(v, st->value());
        if (c == internal::kNotComparable) break;
        if (agg.kind == Kind::kMin ? c < 0 : c > 0) st->Set(v);
        break;
      }
      case Kind::kCountDistinct: {
        auto*& set = *reinterpret_cast<DistinctSet**>(s);
        if (set == nullptr) set = new DistinctSet();
        thread_local std::string key;
        key.clear();
        EncodeKey(&v, 1, &key);
        if (set->find(std::string_view(key)) == set->end()) set->emplace(key);
        break;
      }
      case Kind::kApprox: {
        auto*& hll = *reinterpret_cast<Hll**>(s);
        if (hll == nullptr) hll = new Hll();
        hll->Add(HashValue(v));
        break;
      }
    }
  }
}

void AppendMinMax(const MinMaxState& st, std::string* out) {
  out->push_back(static_cast<char>(st.tag));
  switch (st.tag) {
    case 3:
      PutU64(static_cast<uint64_t>(st.i), out);
      break;
    case 4:
      PutU64(DoubleToBits(st.d), out);
      break;
    case 5:
      PutVarint(st.len, out);
      out->append(st.str());
      break;
    default:
      break;
  }
}

void AppendSparse(std::vector<uint64_t> hashes, std::string* out) {
  std::sort(hashes.begin(), hashes.end());
  out->push_back(1);
  PutVarint(hashes.size(), out);
  for (uint64_t h : hashes) PutU64(h, out);
}

void AggregateSetImpl::Serialize(const char* state, std::string* out) const {
  for (const Agg& agg : aggs_) {
    const char* s = state + agg.offset;
    switch (agg.kind) {
      case Kind::kCountStar:
      case Kind::kCount:
        PutU64(*reinterpret_cast<const uint64_t*>(s), out);
        break;
      case Kind::kSumInt:
      case Kind::kSumDouble: {
        const auto* st = reinterpret_cast<const SumState*>(s);
        out->push_back(st->has ? 1 : 0);
        PutU64(static_cast<uint64_t>(st->i), out);  // the union's bits, int or double
        break;
      }
      case Kind::kAvgInt:
      case Kind::kAvgDouble: {
        const auto* st = reinterpret_cast<const AvgState*>(s);
        PutU64(static_cast<uint64_t>(st->i), out);
        PutU64(static_cast<uint64_t>(st->count), out);
        break;
      }
      case Kind::kMin:
      case Kind::kMax:
        AppendMinMax(*reinterpret_cast<const MinMaxState*>(s), out);
        break;
      case Kind::kCountDistinct: {
        const DistinctSet* set = *reinterpret_cast<DistinctSet* const*>(s);
        if (set == nullptr) {
          PutVarint(0, out);
          break;
        }
        std::vector<std::string_view> sorted(set->begin(), set->end());
        std::sort(sorted.begin(), sorted.end());
        PutVarint(sorted.size(), out);
        for (std::string_view k : sorted) {
          PutVarint(k.size(), out);
          out->append(k);
        }
        break;
      }
      case Kind::kApprox: {
        const Hll* hll = *reinterpret_cast<Hll* const*>(s);
        if (hll == nullptr) {
          AppendSparse({}, out);
        } else if (hll->dense()) {
          out->push_back(2);
          out->append(reinterpret_cast<const char*>(hll->registers.data()), kHllM);
        } else {
          std::vector<uint64_t> hashes;
          hashes.reserve(hll->count);
          for (uint64_t h : hll->table) {
            if (h != 0) hashes.push_back(h);
          }
          AppendSparse(std::move(hashes), out);
        }
        break;
      }
    }
  }
}

void AggregateSetImpl::Destroy(char* state) const {
  for (const Agg& agg : aggs_) {
    char* s = state + agg.offset;
    switch (agg.kind) {
      case Kind::kMin:
      case Kind::kMax:
        reinterpret_cast<MinMaxState*>(s)->Free();
        break;
      case Kind::kCountDistinct: {
        auto*& set = *reinterpret_cast<DistinctSet**>(s);
        delete set;
        set = nullptr;
        break;
      }
      case Kind::kApprox: {
        auto*& hll = *reinterpret_cast<Hll**>(s);
        delete hll;
        hll = nullptr;
        break;
      }
      default:
        break;
    }
  }
}

// A MIN/MAX part as a Value (strings view the input); false when corrupt.
bool ReadMinMax(Reader* r, Value* v) {
  const uint8_t tag = r->U8();
  switch (tag) {
    case 0:
      *v = Value::Null();
      break;
    case 1:
    case 2:
      *v = Value::Bool(tag == 2);
      break;
    case 3:
      *v = Value::Int(static_cast<int64_t>(r->U64()));
      break;
    case 4:
      *v = Value::Double(BitsToDouble(r->U64()));
      break;
    case 5: {
      const uint64_t n = r->Varint();
      *v = Value::String(r->Bytes(n));
      break;
    }
    default:
      return false;
  }
  return r->ok;
}

void AppendValueAsMinMax(const Value& v, std::string* out) {
  switch (v.kind) {
    case ValueKind::kNull:
      out->push_back(0);
      break;
    case ValueKind::kBool:
      out->push_back(v.b ? 2 : 1);
      break;
    case ValueKind::kInt:
      out->push_back(3);
      PutU64(static_cast<uint64_t>(v.i), out);
      break;
    case ValueKind::kDouble:
      out->push_back(4);
      PutU64(DoubleToBits(v.d), out);
      break;
    case ValueKind::kString:
      out->push_back(5);
      PutVarint(v.s.size(), out);
      out->append(v.s);
      break;
  }
}

// The sorted distinct values of a COUNT(DISTINCT) part; false when corrupt or out of order.
bool ReadDistinct(Reader* r, std::vector<std::string_view>* values) {
  const uint64_t n = r->Varint();
  if (!r->ok || n > r->in.size()) return false;
  values->clear();
  values->reserve(n);
  for (uint64_t k = 0; k < n; ++k) {
    const uint64_t len = r->Varint();
    const std::string_view v = r->Bytes(len);
    if (!r->ok) return false;
    if (!values->empty() && !(values->back() < v)) return false;
    values->push_back(v);
  }
  return true;
}

// An APPROX_COUNT_DISTINCT part: sparse hashes (sorted) or dense registers.
struct HllPart {
  bool dense = false;
  std::string_view registers;
  std::vector<uint64_t> hashes;
};

bool ReadHll(Reader* r, HllPart* part) {
  const uint8_t form = r->U8();
  if (form == 1) {
    const uint64_t n = r->Varint();
    if (!r->ok || n > r->in.size() / 8) return false;
    part->hashes.resize(n);
    for (uint64_t k = 0; k < n; ++k) {
      part->hashes[k] = r->U64();
      if (part->hashes[k] == 0 || (k > 0 && part->hashes[k] <= part->hashes[k - 1])) return false;
    }
    return r->ok;
  }
  if (form == 2) {
    part->dense = true;
    part->registers = r->Bytes(kHllM);
    if (!r->ok) return false;
    for (char c : part->registers) {
      if (static_cast<uint8_t>(c) > kHllQ + 1) return false;
    }
    return true;
  }
  return false;
}

bool AggregateSetImpl::MergePart(const Agg& agg, Reader* a, Reader* b, std::string* out) const {
  switch (agg.kind) {
    case Kind::kCountStar:
    case Kind::kCount: {
      const uint64_t x = a->U64(), y = b->U64();
      PutU64(x + y, out);
      break;
    }
    case Kind::kSumInt:
    case Kind::kSumDouble: {
      const uint8_t ha = a->U8();
      const uint64_t x = a->U64();
      const uint8_t hb = b->U8();
      const uint64_t y = b->U64();
      if (ha > 1 || hb > 1) return false;
      out->push_back(static_cast<char>(ha | hb));
      if (agg.kind == Kind::kSumInt) {
        PutU64(x + y, out);
      } else {
        PutU64(DoubleToBits(BitsToDouble(x) + BitsToDouble(y)), out);
      }
      break;
    }
    case Kind::kAvgInt:
    case Kind::kAvgDouble: {
      const uint64_t sx = a->U64(), cx = a->U64();
      const uint64_t sy = b->U64(), cy = b->U64();
      if (agg.kind == Kind::kAvgInt) {
        PutU64(sx + sy, out);
      } else {
        PutU64(DoubleToBits(BitsToDouble(sx) + BitsToDouble(sy)), out);
      }
      PutU64(cx + cy, out);
      break;
    }
    case Kind::kMin:
    case Kind::kMax: {
      Value x, y;
      if (!ReadMinMax(a, &x) || !ReadMinMax(b, &y)) return false;
      const Value* pick = &x;
      if (x.is_null()) {
        pick = &y;
      } else if (!y.is_null()) {
        const int c = ThreeWay(y, x);
        if (c != internal::kNotComparable && (agg.kind == Kind::kMin ? c < 0 : c > 0)) pick = &y;
      }
      AppendValueAsMinMax(*pick, out);
      break;
    }
    case Kind::kCountDistinct: {
      std::vector<std::string_view> x, y;
      if (!ReadDistinct(a, &x) || !ReadDistinct(b, &y)) return false;
      std::vector<std::string_view> merged;
      merged.reserve(x.size() + y.size());
      std::set_union(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(merged));
      PutVarint(merged.size(), out);
      for (std::string_view v : merged) {
        PutVarint(v.size(), out);
        out->append(v);
      }
      break;
    }
    case Kind::kApprox: {
      HllPart x, y;
      if (!ReadHll(a, &x) || !ReadHll(b, &y)) return false;
      if (!x.dense && !y.dense) {
        std::vector<uint64_t> merged;
        merged.reserve(x.hashes.size() + y.hashes.size());
        std::set_union(x.hashes.begin(), x.hashes.end(), y.hashes.begin(), y.hashes.end(),
                       std::back_inserter(merged));
        if (merged.size() <= kSparseMax) {
          AppendSparse(std::move(merged), out);
          break;
        }
        x.hashes = std::move(merged);
        y.hashes.clear();
      }
      Hll hll;
      hll.registers.assign(kHllM, 0);
      for (const HllPart* p : {&x, &y}) {
        if (p->dense) {
          for (uint32_t k = 0; k < kHllM; ++k) {
            hll.registers[k] = std::max(hll.registers[k], static_cast<uint8_t>(p->registers[k]));
          }
        } else {
          for (uint64_t h : p->hashes) hll.AddDense(h);
        }
      }
      out->push_back(2);
      out->append(reinterpret_cast<const char*>(hll.registers.data()), kHllM);
      break;
    }
  }
  return a->ok && b->ok;
}

Status AggregateSetImpl::Merge(std::string* into, std::string_view other) const {
  // The empty state, serialized, stands in for an empty string on either side.
  thread_local std::string empty;
  auto empty_form = [&]() -> std::string_view {
    empty.clear();
    std::vector<uint64_t> zeros(state_size_ / 8 + 1, 0);  // 8-aligned, as a state
    Serialize(reinterpret_cast<const char*>(zeros.data()), &empty);
    return empty;
  };
  std::string merged;
  if (into->empty() && other.empty()) return Status::OK();
  std::string empty_copy;
  if (into->empty() || other.empty()) empty_copy = std::string(empty_form());
  Reader a{into->empty() ? std::string_view(empty_copy) : std::string_view(*into)};
  Reader b{other.empty() ? std::string_view(empty_copy) : other};
  merged.reserve(a.in.size() + b.in.size());
  for (const Agg& agg : aggs_) {
    if (!MergePart(agg, &a, &b, &merged)) {
      return Status::Corruption("aggregate state of '" + agg.text + "' is not valid");
    }
  }
  if (!a.in.empty() || !b.in.empty()) {
    return Status::Corruption("aggregate state: trailing bytes");
  }
  into->swap(merged);
  return Status::OK();
}

bool AggregateSetImpl::FinalizePart(const Agg& agg, Reader* r, Value* out) const {
  switch (agg.kind) {
    case Kind::kCountStar:
    case Kind::kCount:
      *out = Value::Int(static_cast<int64_t>(r->U64()));
      break;
    case Kind::kSumInt:
    case Kind::kSumDouble: {
      const uint8_t has = r->U8();
      const uint64_t bits = r->U64();
      if (has > 1) return false;
      if (!has) {
        *out = Value::Null();
      } else if (agg.kind == Kind::kSumInt) {
        int64_t v = static_cast<int64_t>(bits);
        if (agg.result == proto::TYPE_INT) v = static_cast<int32_t>(v);
        *out = Value::Int(v);
      } else {
        *out = Value::Double(BitsToDouble(bits));
      }
      break;
    }
    case Kind::kAvgInt:
    case Kind::kAvgDouble: {
      const uint64_t sum = r->U64();
      const int64_t count = static_cast<int64_t>(r->U64());
      if (count <= 0) {
        *out = Value::Null();
        break;
      }
      if (agg.kind == Kind::kAvgInt) {
        const int64_t s = static_cast<int64_t>(sum);
        if (agg.result == proto::TYPE_DOUBLE) {
          *out = Value::Double(static_cast<double>(s) / static_cast<double>(count));
        } else {
          // Integer AVG truncates as Flink's (sum / count in the argument's type).
          *out = Value::Int(s / count);
        }
      } else {
        const double avg = BitsToDouble(sum) / static_cast<double>(count);
        if (agg.result == proto::TYPE_DOUBLE || agg.result == proto::TYPE_NULL) {
          *out = Value::Double(avg);
        } else {
          *out = std::isfinite(avg) ? Value::Int(static_cast<int64_t>(avg)) : Value::Null();
        }
      }
      break;
    }
    case Kind::kMin:
    case Kind::kMax:
      return ReadMinMax(r, out);
    case Kind::kCountDistinct: {
      std::vector<std::string_view> values;
      if (!ReadDistinct(r, &values)) return false;
      *out = Value::Int(static_cast<int64_t>(values.size()));
      break;
    }
    case Kind::kApprox: {
      HllPart part;
      if (!ReadHll(r, &part)) return false;
      if (!part.dense) {
        *out = Value::Int(static_cast<int64_t>(part.hashes.size()));
      } else {
        *out = Value::Int(
            std::llround(HllEstimate(reinterpret_cast<const uint8_t*>(part.registers.data()))));
      }
      break;
    }
  }
  return r->ok;
}

Status AggregateSetImpl::Finalize(std::string_view bytes, Value* out, Arena* arena) const {
  std::string empty;
  if (bytes.empty()) {
    std::vector<uint64_t> zeros(state_size_ / 8 + 1, 0);  // 8-aligned, as a state
    Serialize(reinterpret_cast<const char*>(zeros.data()), &empty);
    bytes = empty;
    // Views into `empty` would dangle: only MIN/MAX strings view the bytes, and the empty
    // state holds none.
  }
  Reader r{bytes};
  for (size_t k = 0; k < aggs_.size(); ++k) {
    if (!FinalizePart(aggs_[k], &r, &out[k])) {
      return Status::Corruption("aggregate state of '" + aggs_[k].text + "' is not valid");
    }
  }
  if (!r.in.empty()) return Status::Corruption("aggregate state: trailing bytes");
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<AggregateSet>> AggregateSet::Make(
    const google::protobuf::RepeatedPtrField<proto::AggregateCall>& aggregates) {
  auto set = std::make_unique<AggregateSetImpl>();
  SPATE_RETURN_IF_ERROR(set->Init(aggregates));
  return std::unique_ptr<AggregateSet>(std::move(set));
}

}  // namespace spate::exec
