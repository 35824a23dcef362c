#include "exec/decoder.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "common/time_format.h"
#include "exec/format_internal.h"
#include "exec/json_internal.h"

// Reading past the input (see Decode) is invisible to the hardware but not to AddressSanitizer.
#if defined(__SANITIZE_ADDRESS__)
#define SPATE_EXEC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPATE_EXEC_ASAN 1
#endif
#endif
#ifndef SPATE_EXEC_ASAN
#define SPATE_EXEC_ASAN 0
#endif

namespace spate::exec {
namespace internal {
namespace od = simdjson::ondemand;

namespace {

// Eight ASCII digits (little-endian load) to their value, as simdjson's
// parse_eight_digits_unrolled.
inline uint32_t ParseEightDigits(uint64_t chunk) {
  constexpr uint64_t kMask = 0x000000FF000000FFULL;
  constexpr uint64_t kMul1 = 100 + (1000000ULL << 32);
  constexpr uint64_t kMul2 = 1 + (10000ULL << 32);
  chunk -= 0x3030303030303030ULL;
  chunk = (chunk * 10) + (chunk >> 8);
  return static_cast<uint32_t>(((chunk & kMask) * kMul1 + ((chunk >> 16) & kMask) * kMul2) >> 32);
}

inline bool AllEightDigits(uint64_t chunk) {
  return ((chunk & 0xF0F0F0F0F0F0F0F0ULL) |
          (((chunk + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) ==
         0x3333333333333333ULL;
}

// True when a key's escapes are valid (see RecordParser).
inline bool ValidateKey(od::field& f, bool escapes) {
  if (!escapes || *FindQuoteOrBackslash(f.key().raw()) == '"') return true;
  std::string_view unused;
  return !f.unescaped_key().get(unused);
}

}  // namespace

NumberKind ParseNumberToken(std::string_view tok, int64_t* out) {
  const char* p = tok.data();
  const char* const end = p + tok.size();
  const bool negative = p < end && *p == '-';
  if (negative) ++p;
  const char* const digits = p;
  uint64_t magnitude = 0;
  for (uint64_t chunk; end - p >= 8 && (std::memcpy(&chunk, p, 8), AllEightDigits(chunk)); p += 8) {
    magnitude = magnitude * 100000000 + ParseEightDigits(chunk);  // wraps past 19 digits: unused
  }
  for (; p < end && IsDigit(*p); ++p) magnitude = magnitude * 10 + static_cast<uint64_t>(*p - '0');
  const size_t num_digits = static_cast<size_t>(p - digits);
  if (num_digits == 0 || (num_digits > 1 && *digits == '0')) return NumberKind::kInvalid;
  bool integer = true;
  if (p < end && *p == '.') {
    ++p;
    if (p >= end || !IsDigit(*p)) return NumberKind::kInvalid;
    while (p < end && IsDigit(*p)) ++p;
    integer = false;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p < end && (*p == '+' || *p == '-')) ++p;
    if (p >= end || !IsDigit(*p)) return NumberKind::kInvalid;
    while (p < end && IsDigit(*p)) ++p;
    integer = false;
  }
  for (; p < end; ++p) {
    if (!IsJsonSpace(*p)) return NumberKind::kInvalid;
  }
  // Up to 19 digits fit uint64 exactly; 20 or more exceed int64 anyway.
  if (!integer || num_digits > 19) return NumberKind::kOtherNumber;
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(INT64_MAX);
  if (magnitude > kMaxPositive + (negative ? 1 : 0)) return NumberKind::kOtherNumber;
  *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return NumberKind::kInt64;
}

double NumberTokenToDouble(std::string_view tok) {
  while (!tok.empty() && IsJsonSpace(tok.back())) tok.remove_suffix(1);
  double d = 0;
  const auto res = std::from_chars(tok.data(), tok.data() + tok.size(), d);
  if (res.ec == std::errc::result_out_of_range) {
    // Overflow or underflow: which one by the decimal exponent of the leading digit.
    const bool negative = tok[0] == '-';
    size_t i = negative ? 1 : 0;
    int64_t magnitude = 0;  // position of the first non-zero digit relative to the point
    bool seen_nonzero = false, after_point = false;
    for (; i < tok.size() && tok[i] != 'e' && tok[i] != 'E'; ++i) {
      if (tok[i] == '.') {
        after_point = true;
        continue;
      }
      if (!seen_nonzero) {
        if (tok[i] != '0') {
          seen_nonzero = true;
          if (!after_point) ++magnitude;
        } else if (after_point) {
          --magnitude;
        }
      } else if (!after_point) {
        ++magnitude;
      }
    }
    int64_t exponent = 0;
    if (i < tok.size()) {
      ++i;
      const bool neg_exp = i < tok.size() && tok[i] == '-';
      if (i < tok.size() && (tok[i] == '+' || tok[i] == '-')) ++i;
      for (; i < tok.size() && exponent < (int64_t{1} << 40); ++i) {
        exponent = exponent * 10 + (tok[i] - '0');
      }
      if (neg_exp) exponent = -exponent;
    }
    const double m = magnitude + exponent > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    return negative ? -m : m;
  }
  return d;
}

bool IsLiteralToken(std::string_view tok) {
  while (!tok.empty() && IsJsonSpace(tok.back())) tok.remove_suffix(1);
  return tok == "true" || tok == "false" || tok == "null";
}

bool ValidateValue(od::value& v, int depth, bool escapes) {
  const std::string_view tok = v.raw_json_token();
  if (tok.empty()) return false;
  switch (tok[0]) {
    case '"': {
      // Consumed, never left to simdjson's skip: it takes a string followed by ':' for a key and
      // would accept [1, "a": 2] or {"k": "a": 2}.
      if (!escapes || *FindQuoteOrBackslash(tok.data() + 1) == '"') {
        od::raw_json_string unused;
        return !v.get_raw_json_string().get(unused);
      }
      std::string_view unused;
      return !v.get_string().get(unused);
    }
    case '{': {
      if (depth >= kMaxDepth) return false;
      od::object object;
      if (v.get_object().get(object)) return false;
      for (auto field_result : object) {
        if (field_result.error()) return false;
        od::field& f = field_result.value_unsafe();  // in place, as in WalkObject
        if (!ValidateKey(f, escapes) || !ValidateValue(f.value(), depth + 1, escapes)) return false;
      }
      return true;
    }
    case '[': {
      if (depth >= kMaxDepth) return false;
      od::array array;
      if (v.get_array().get(array)) return false;
      for (auto element_result : array) {
        od::value element;
        if (std::move(element_result).get(element)) return false;
        if (!ValidateValue(element, depth + 1, escapes)) return false;
      }
      return true;
    }
    case 't':
    case 'f':
    case 'n':
      return IsLiteralToken(tok);
    default: {
      int64_t unused;
      return ParseNumberToken(tok, &unused) != NumberKind::kInvalid;
    }
  }
}

}  // namespace internal

namespace {
namespace od = simdjson::ondemand;
using internal::FindQuoteOrBackslash;
using internal::IsDigit;
using internal::IsJsonSpace;
using internal::NumberKind;
using internal::ParseNumberToken;
using internal::ValidateValue;

static_assert(RecordParser::kPadding == simdjson::SIMDJSON_PADDING);
constexpr size_t kPadding = simdjson::SIMDJSON_PADDING;

enum class Verdict : uint8_t { kOk, kInvalidJson, kWrongType, kBadTimestamp };

// One wanted key of an object. A key without escapes is matched on its raw bytes together with
// its closing quote (so no scan for the key's end): the first 8 as one masked load, then the
// rest; an escaped key by its decoded form.
struct Entry {
  std::string name;     // unescaped
  std::string quoted;   // name + '"'
  uint64_t prefix = 0;  // the first (up to) 8 bytes of `quoted`
  uint64_t mask = 0;
  bool raw = true;       // matchable on raw bytes: short enough and nothing JSON must escape
  uint32_t id = 0;       // index of its seen flag
  int child = -1;        // the nested object's node, or -1 for a leaf
  int column = -1;       // leaf: the first column at this path
  int first_column = 0;  // the lowest column at or under this entry (names errors)
};

struct Node {
  std::vector<Entry> entries;
  bool all_raw = true;  // every entry is matchable on raw bytes
};

struct Column {
  std::string name;
  proto::TypeKind kind;
  int next_same = -1;     // another column with the same path (decoded alike), or -1
  bool not_null = false;  // declared NOT NULL: a JSON null is the wrong type, absence missing
};

inline uint64_t Load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline DecodeOutcome Fail(MalformedReason reason, std::string_view field = {}) {
  DecodeOutcome o;
  o.reason = reason;
  o.field = field;
  return o;
}

class RowDecoderImpl final : public RowDecoder {
 public:
  Status Init(const proto::SourcePlan& source);

  DecodeOutcome Decode(std::string_view json, Value* row) override;
  size_t columns() const override { return columns_.size(); }

 private:
  DecodeOutcome Run(std::string_view json, const char* padded, size_t capacity, Value* row);
  // Walks one object whose wanted keys are `node`'s; `depth` is the depth of its values.
  Verdict WalkObject(od::object& object, const Node& node, int depth, Value* row);
  Verdict ReadLeaf(od::value& v, const Entry& e, int depth, Value* row);
  Verdict ReadString(od::value& v, std::string_view tok, std::string_view* dst);
  const Entry* Match(const Node& node, const char* raw_key, od::field& f, bool* invalid);
  DecodeOutcome ClassifyNonObject(const char* padded, size_t len);
  void NoteProblem(Verdict verdict, int column) {
    if (problem_.ok()) {
      problem_ = Fail(verdict == Verdict::kWrongType ? MalformedReason::kWrongType
                                                     : MalformedReason::kBadTimestamp,
                      columns_[column].name);
    }
  }

  std::vector<Column> columns_;
  std::vector<Node> nodes_;  // nodes_[0]: the record's top-level object
  bool fail_on_missing_ = false;
  bool any_not_null_ = false;  // some column is NOT NULL
  uint32_t num_entries_ = 0;

  // Per record.
  std::vector<uint8_t> entry_seen_;
  std::vector<uint8_t> column_seen_;
  DecodeOutcome problem_;
  bool escapes_ = false;
  std::string_view json_;  // the caller's bytes
  const char* padded_ = nullptr;

  od::parser parser_;
  std::unique_ptr<char[]> buf_;  // the padded copy of the current record
  size_t buf_capacity_ = 0;
  std::unique_ptr<simdjson::dom::parser> dom_;  // only for records that are not objects
};

Status RowDecoderImpl::Init(const proto::SourcePlan& source) {
  fail_on_missing_ = source.fail_on_missing_field();
  nodes_.emplace_back();
  for (int c = 0; c < source.columns_size(); ++c) {
    const proto::SourceColumn& col = source.columns(c);
    const proto::TypeKind kind = col.type().kind();
    switch (kind) {
      case proto::TYPE_BOOLEAN:
      case proto::TYPE_INT:
      case proto::TYPE_BIGINT:
      case proto::TYPE_DOUBLE:
      case proto::TYPE_STRING:
      case proto::TYPE_TIMESTAMP:
      case proto::TYPE_TIMESTAMP_LTZ:
        break;
      default:
        return Status::InvalidArgument("source column '" + col.name() + "': not a scalar type (" +
                                       proto::TypeKind_Name(kind) + ")");
    }
    if (col.path_size() == 0) {
      return Status::InvalidArgument("source column '" + col.name() + "': empty path");
    }
    columns_.push_back(
        Column{col.name().empty() ? col.path(0) : col.name(), kind, -1, col.type().not_null()});
    any_not_null_ = any_not_null_ || col.type().not_null();
    int node = 0;
    for (int k = 0; k < col.path_size(); ++k) {
      const std::string& key = col.path(k);
      const bool leaf = k + 1 == col.path_size();
      auto& entries = nodes_[node].entries;
      auto it = std::find_if(entries.begin(), entries.end(),
                             [&](const Entry& e) { return e.name == key; });
      if (it == entries.end()) {
        Entry e;
        e.name = key;
        e.quoted = key + '"';
        // A raw comparison reads quoted.size() bytes from the key's start: within the padding
        // for up to kPadding bytes, as the key starts inside the input.
        e.raw = e.quoted.size() <= kPadding && std::none_of(key.begin(), key.end(), [](char ch) {
                  return ch == '"' || ch == '\\' || static_cast<unsigned char>(ch) < 0x20;
                });
        if (!e.raw) nodes_[node].all_raw = false;
        char first8[8] = {};
        std::memcpy(first8, e.quoted.data(), std::min<size_t>(8, e.quoted.size()));
        std::memcpy(&e.prefix, first8, 8);
        e.mask = e.quoted.size() >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * e.quoted.size())) - 1;
        e.id = num_entries_++;
        e.first_column = c;
        entries.push_back(std::move(e));
        it = entries.end() - 1;
      }
      const size_t index = static_cast<size_t>(it - entries.begin());
      Entry& e = *it;
      if (leaf) {
        if (e.child >= 0) {
          return Status::InvalidArgument("source column '" + col.name() +
                                         "': its path is also a nested object of another column");
        }
        if (e.column < 0) {
          e.column = c;
        } else {
          int last = e.column;
          while (columns_[last].next_same >= 0) last = columns_[last].next_same;
          columns_[last].next_same = c;
        }
      } else {
        if (e.column >= 0) {
          return Status::InvalidArgument("source column '" + col.name() +
                                         "': its path goes through scalar column '" +
                                         columns_[e.column].name + "'");
        }
        if (e.child < 0) {
          e.child = static_cast<int>(nodes_.size());
          nodes_.emplace_back();  // invalidates `entries` and `e`: neither is used below
        }
        node = nodes_[node].entries[index].child;
      }
    }
  }
  entry_seen_.assign(num_entries_, 0);
  column_seen_.assign(columns_.size(), 0);
  return Status::OK();
}

const Entry* RowDecoderImpl::Match(const Node& node, const char* raw_key, od::field& f,
                                   bool* invalid) {
  const uint64_t head = Load8(raw_key);  // within the padding: the key starts in the input
  for (const Entry& e : node.entries) {
    if (e.raw && (head & e.mask) == e.prefix &&
        (e.quoted.size() <= 8 ||
         std::memcmp(raw_key + 8, e.quoted.data() + 8, e.quoted.size() - 8) == 0)) {
      return &e;
    }
  }
  // No raw match: the key is another one, or it is escaped, or a wanted key cannot be matched
  // raw. Without a backslash in the record and with every entry raw, it is another one.
  if (!escapes_ && node.all_raw) return nullptr;
  const char* end = FindQuoteOrBackslash(raw_key);
  if (*end == '"') {
    const std::string_view key(raw_key, static_cast<size_t>(end - raw_key));
    for (const Entry& e : node.entries) {
      if (!e.raw && e.name == key) return &e;
    }
    return nullptr;
  }
  std::string_view key;  // an escaped key: compare its decoded form (and validate it)
  if (f.unescaped_key().get(key)) {
    *invalid = true;
    return nullptr;
  }
  for (const Entry& e : node.entries) {
    if (e.name == key) return &e;
  }
  return nullptr;
}

Verdict RowDecoderImpl::ReadString(od::value& v, std::string_view tok, std::string_view* dst) {
  const char* begin = tok.data() + 1;
  if (!escapes_) {
    // No backslash in the record: the token is the string, its closing quote, and the
    // whitespace before the next structural character.
    size_t n = tok.size();
    while (IsJsonSpace(tok[n - 1])) --n;
    *dst = std::string_view(json_.data() + (begin - padded_), n - 2);
  } else {
    const char* end = FindQuoteOrBackslash(begin);
    if (*end != '"') return v.get_string().get(*dst) ? Verdict::kInvalidJson : Verdict::kOk;
    *dst = std::string_view(json_.data() + (begin - padded_), static_cast<size_t>(end - begin));
  }
  od::raw_json_string unused;  // steps past the string (see ValidateValue)
  return v.get_raw_json_string().get(unused) ? Verdict::kInvalidJson : Verdict::kOk;
}

Verdict RowDecoderImpl::ReadLeaf(od::value& v, const Entry& e, int depth, Value* row) {
  const std::string_view tok = v.raw_json_token();
  if (tok.empty()) return Verdict::kInvalidJson;
  const char c = tok[0];
  const int column = e.column;
  const proto::TypeKind kind = columns_[column].kind;
  // Written in place: a Value assembled on the stack and copied costs a store-forwarding stall.
  // row[column] is NULL (Run reset it); on a problem its contents do not matter.
  Value& out = row[column];
  Verdict verdict = Verdict::kOk;
  if (c == 'n') {
    if (!internal::IsLiteralToken(tok)) return Verdict::kInvalidJson;
    // JSON null: NULL, and present; the wrong type for a NOT NULL column.
    if (columns_[column].not_null) verdict = Verdict::kWrongType;
  } else {
    switch (kind) {
      case proto::TYPE_STRING:
        if (c != '"') {
          verdict = Verdict::kWrongType;
          break;
        }
        out.kind = ValueKind::kString;
        verdict = ReadString(v, tok, &out.s);
        break;
      case proto::TYPE_BOOLEAN:
        if (c != 't' && c != 'f') {
          verdict = Verdict::kWrongType;
          break;
        }
        if (!internal::IsLiteralToken(tok)) return Verdict::kInvalidJson;
        out.kind = ValueKind::kBool;
        out.b = c == 't';
        break;
      case proto::TYPE_INT:
      case proto::TYPE_BIGINT:
        if (c != '-' && !IsDigit(c)) {
          verdict = Verdict::kWrongType;
          break;
        }
        switch (ParseNumberToken(tok, &out.i)) {
          case NumberKind::kInt64:
            out.kind = ValueKind::kInt;
            if (kind == proto::TYPE_INT && (out.i < std::numeric_limits<int32_t>::min() ||
                                            out.i > std::numeric_limits<int32_t>::max())) {
              verdict = Verdict::kWrongType;
            }
            break;
          case NumberKind::kOtherNumber:
            verdict = Verdict::kWrongType;
            break;
          case NumberKind::kInvalid:
            return Verdict::kInvalidJson;
        }
        break;
      case proto::TYPE_DOUBLE: {
        if (c != '-' && !IsDigit(c)) {
          verdict = Verdict::kWrongType;
          break;
        }
        int64_t i;
        switch (ParseNumberToken(tok, &i)) {
          case NumberKind::kInt64:
            out.kind = ValueKind::kDouble;
            out.d = static_cast<double>(i);
            break;
          case NumberKind::kOtherNumber:
            out.kind = ValueKind::kDouble;
            out.d = internal::NumberTokenToDouble(tok);
            break;
          case NumberKind::kInvalid:
            return Verdict::kInvalidJson;
        }
        break;
      }
      case proto::TYPE_TIMESTAMP:
      case proto::TYPE_TIMESTAMP_LTZ:
        if (c == '"') {
          std::string_view text;
          verdict = ReadString(v, tok, &text);
          if (verdict != Verdict::kOk) return verdict;
          out.kind = ValueKind::kInt;
          // An instant (TIMESTAMP_LTZ) needs its offset; a wall-clock TIMESTAMP may omit it (UTC).
          const bool ok = kind == proto::TYPE_TIMESTAMP_LTZ
                              ? ParseRfc3339Millis(text, &out.i)
                              : internal::ParseTimestampText(text, &out.i);
          if (!ok) verdict = Verdict::kBadTimestamp;
        } else if (c == '-' || IsDigit(c)) {
          switch (ParseNumberToken(tok, &out.i)) {
            case NumberKind::kInt64:
              out.kind = ValueKind::kInt;
              break;
            case NumberKind::kOtherNumber:
              verdict = Verdict::kBadTimestamp;
              break;
            case NumberKind::kInvalid:
              return Verdict::kInvalidJson;
          }
        } else {
          verdict = Verdict::kWrongType;
        }
        break;
      default:
        verdict = Verdict::kWrongType;
        break;
    }
  }
  if (verdict == Verdict::kWrongType) {
    // Still validated: a wrong type never hides invalid JSON (which wins).
    if (!ValidateValue(v, depth, escapes_)) return Verdict::kInvalidJson;
    NoteProblem(verdict, column);
    return Verdict::kOk;
  }
  if (verdict == Verdict::kInvalidJson) return verdict;
  if (verdict == Verdict::kBadTimestamp) {
    NoteProblem(verdict, column);
    return Verdict::kOk;
  }
  column_seen_[column] = 1;
  for (int col = columns_[column].next_same; col >= 0; col = columns_[col].next_same) {
    column_seen_[col] = 1;
    if (columns_[col].kind == kind) {
      row[col] = out;
    } else if (!out.is_null()) {
      // Another type at the same path: the token is gone, so only what `out` says can be
      // converted; anything else is the wrong type for that column.
      NoteProblem(Verdict::kWrongType, col);
    }
  }
  return Verdict::kOk;
}

Verdict RowDecoderImpl::WalkObject(od::object& object, const Node& node, int depth, Value* row) {
  for (auto field_result : object) {
    // Used in place: a copy into a local field is assembled from narrow stores and read back
    // wide, a store-forwarding stall per field.
    if (field_result.error()) return Verdict::kInvalidJson;
    od::field& f = field_result.value_unsafe();
    bool invalid_key = false;
    const Entry* e = Match(node, f.key().raw(), f, &invalid_key);
    if (invalid_key) return Verdict::kInvalidJson;
    od::value& value = f.value();
    if (e == nullptr || entry_seen_[e->id]) {
      // Unknown or a later duplicate (the first wins): validate only.
      if (!ValidateValue(value, depth, escapes_)) return Verdict::kInvalidJson;
      continue;
    }
    entry_seen_[e->id] = 1;
    if (e->child < 0) {
      const Verdict verdict = ReadLeaf(value, *e, depth, row);
      if (verdict != Verdict::kOk) return verdict;
      continue;
    }
    const std::string_view tok = value.raw_json_token();
    if (tok.empty()) return Verdict::kInvalidJson;
    if (tok[0] == '{') {
      if (depth >= internal::kMaxDepth) return Verdict::kInvalidJson;
      od::object inner;
      if (value.get_object().get(inner)) return Verdict::kInvalidJson;
      const Verdict verdict = WalkObject(inner, nodes_[e->child], depth + 1, row);
      if (verdict != Verdict::kOk) return verdict;
      continue;
    }
    // A path through null is as a path through a missing object; through anything else, the
    // wrong type for the first column under it.
    if (!ValidateValue(value, depth, escapes_)) return Verdict::kInvalidJson;
    if (tok[0] != 'n') NoteProblem(Verdict::kWrongType, e->first_column);
  }
  return Verdict::kOk;
}

DecodeOutcome RowDecoderImpl::ClassifyNonObject(const char* padded, size_t len) {
  // Arrays and scalars are not records, but "not_object" needs them to be valid JSON; the DOM
  // parser validates everything, which is all this rare path needs.
  if (!dom_) dom_ = std::make_unique<simdjson::dom::parser>();
  simdjson::dom::element unused;
  const auto error = dom_->parse(reinterpret_cast<const uint8_t*>(padded), len, false).get(unused);
  return Fail(error ? MalformedReason::kNotJson : MalformedReason::kNotObject);
}

DecodeOutcome RowDecoderImpl::Run(std::string_view json, const char* padded, size_t capacity,
                                  Value* row) {
  const size_t n = columns_.size();
  for (size_t c = 0; c < n; ++c) row[c] = Value{};
  std::memset(entry_seen_.data(), 0, entry_seen_.size());
  std::memset(column_seen_.data(), 0, column_seen_.size());
  problem_ = DecodeOutcome{};
  json_ = json;
  padded_ = padded;
  // One memchr decides whether any string may hold an escape; almost no record does, and then
  // strings are sliced from their tokens without being scanned.
  escapes_ = std::memchr(padded, '\\', json.size()) != nullptr;
  od::document doc;
  if (parser_.iterate(padded, json.size(), capacity).get(doc)) {
    return Fail(MalformedReason::kNotJson);
  }
  od::json_type type;
  if (doc.type().get(type)) return Fail(MalformedReason::kNotJson);
  if (type != od::json_type::object) return ClassifyNonObject(padded, json.size());
  od::object object;
  if (doc.get_object().get(object)) return Fail(MalformedReason::kNotJson);
  if (WalkObject(object, nodes_[0], 1, row) != Verdict::kOk) {
    return Fail(MalformedReason::kNotJson);
  }
  // Anything after the object ("{...}{...}", "{...} 1") is not one JSON value.
  const char* trailing = nullptr;
  if (!doc.current_location().get(trailing)) return Fail(MalformedReason::kNotJson);
  if (!problem_.ok()) return problem_;
  if (fail_on_missing_ || any_not_null_) {
    for (size_t c = 0; c < n; ++c) {
      if (!column_seen_[c] && (fail_on_missing_ || columns_[c].not_null)) {
        return Fail(MalformedReason::kMissingField, columns_[c].name);
      }
    }
  }
  return DecodeOutcome{};
}

DecodeOutcome RowDecoderImpl::Decode(std::string_view json, Value* row) {
#if !SPATE_EXEC_ASAN
  // simdjson's own trick (need_allocation): when the padding after the input lies on the same
  // 4 KiB page as its last byte, reading it cannot fault, and its contents do not matter.
  const uintptr_t last = reinterpret_cast<uintptr_t>(json.data()) + json.size() - 1;
  if (!json.empty() && (last & 4095) + kPadding < 4096) {
    return Run(json, json.data(), json.size() + kPadding, row);
  }
#endif
  const size_t need = json.size() + kPadding;
  if (need > buf_capacity_) {
    const size_t capacity = std::max({need, buf_capacity_ * 2, size_t{4096}});
    buf_.reset(new char[capacity]);
    buf_capacity_ = capacity;
  }
  if (!json.empty()) std::memcpy(buf_.get(), json.data(), json.size());
  std::memset(buf_.get() + json.size(), 0, kPadding);
  return Run(json, buf_.get(), buf_capacity_, row);
}

}  // namespace

Result<std::unique_ptr<RowDecoder>> RowDecoder::Make(const proto::SourcePlan& source) {
  auto decoder = std::make_unique<RowDecoderImpl>();
  SPATE_RETURN_IF_ERROR(decoder->Init(source));
  return std::unique_ptr<RowDecoder>(std::move(decoder));
}

}  // namespace spate::exec
