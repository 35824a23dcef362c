// libFuzzer target: common's RecordParser (the compiled jobs' record parser) over arbitrary
// bytes, under every `required` mask. Must never crash, leak or read out of bounds, and its
// verdicts must be consistent across masks (common/log_record.h):
// - JSON validity and object-ness do not depend on the mask;
// - a record accepted under a mask is accepted under every mask with fewer fields, with the
//   same field values;
// - a field problem names a field of the mask; Parse and ParsePadded agree.
// The input, read as a string, also goes to ParseTimestampString.
//
//   log_record_fuzz [corpus_dir] -max_len=4096
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "common/log_record.h"

namespace {

using spate::LogRecordView;
using spate::MalformedReason;
using spate::ParseOutcome;

constexpr uint32_t kMasks = spate::kAllFields + 1;

[[noreturn]] void Fail(const char* what, uint32_t mask) {
  std::fprintf(stderr, "log_record_fuzz: %s (required mask %u)\n", what, mask);
  std::abort();
}

bool IsJsonVerdict(MalformedReason r) {
  return r == MalformedReason::kNotJson || r == MalformedReason::kNotObject;
}

// What one Parse saw, copied out of the parser's views.
struct Verdict {
  MalformedReason reason = MalformedReason::kNone;
  std::string field;
  int64_t timestamp_ms = 0;
  std::array<std::string, 5> strings;  // status, severity, source_ip, user_id, content
};

Verdict Copy(const ParseOutcome& o, const LogRecordView& v) {
  Verdict r;
  r.reason = o.reason;
  r.field = std::string(o.field);
  if (!o.ok()) return r;
  r.timestamp_ms = v.timestamp_ms;
  r.strings = {std::string(v.status), std::string(v.severity), std::string(v.source_ip),
               std::string(v.user_id), std::string(v.content)};
  return r;
}

// Whether `a` (under `mask`) and `b` agree on the fields in `mask`.
bool SameFields(const Verdict& a, const Verdict& b, uint32_t mask) {
  if ((mask & spate::kFieldTimestamp) && a.timestamp_ms != b.timestamp_ms) return false;
  for (int i = 0; i < 5; ++i) {
    if ((mask & (2u << i)) && a.strings[i] != b.strings[i]) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static spate::RecordParser* parser = new spate::RecordParser();
  // An exact-size heap copy: AddressSanitizer sees any read past the record.
  std::unique_ptr<char[]> copy(new char[size]);
  if (size > 0) std::memcpy(copy.get(), data, size);
  const std::string_view json(copy.get(), size);
  // ParsePadded's contract: kPadding readable bytes after the record (contents do not matter).
  std::string padded(json);
  padded.append(spate::RecordParser::kPadding, '\xff');
  const std::string_view padded_json(padded.data(), size);

  std::array<Verdict, kMasks> verdicts;
  for (uint32_t mask = 0; mask < kMasks; ++mask) {
    LogRecordView view;
    const ParseOutcome o = parser->Parse(json, mask, &view);
    verdicts[mask] = Copy(o, view);
    LogRecordView padded_view;
    const ParseOutcome p = parser->ParsePadded(padded_json, mask, &padded_view);
    const Verdict pv = Copy(p, padded_view);
    if (pv.reason != verdicts[mask].reason || pv.field != verdicts[mask].field ||
        !SameFields(pv, verdicts[mask], mask)) {
      Fail("Parse and ParsePadded disagree", mask);
    }
    const Verdict& v = verdicts[mask];
    if (IsJsonVerdict(v.reason) != IsJsonVerdict(verdicts[0].reason) ||
        (IsJsonVerdict(v.reason) && v.reason != verdicts[0].reason)) {
      Fail("JSON verdict depends on the mask", mask);
    }
    if (!v.field.empty()) {
      bool named = false;
      for (uint32_t bit = 1; bit < kMasks; bit <<= 1) {
        if ((mask & bit) && spate::RecordFieldName(bit) == v.field) named = true;
      }
      if (!named) Fail("a field problem names a field outside the mask", mask);
    }
  }
  for (uint32_t mask = 0; mask < kMasks; ++mask) {
    if (verdicts[mask].reason != MalformedReason::kNone) continue;
    for (uint32_t bit = 1; bit < kMasks; bit <<= 1) {
      if (!(mask & bit)) continue;
      const Verdict& fewer = verdicts[mask & ~bit];
      if (fewer.reason != MalformedReason::kNone) Fail("fewer fields, rejected", mask);
      if (!SameFields(fewer, verdicts[mask], mask & ~bit)) Fail("fewer fields, other values", mask);
    }
  }
  (void)spate::ParseTimestampString(json);
  return 0;
}
