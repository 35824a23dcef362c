#include "sql/prefilter.h"

#include "common/text.h"

// Why the needle is sound. QueryPlan.prefilter promises: the raw bytes of every record that
// passes all filters contain the needle ASCII-case-insensitively, or hold a backslash (a JSON
// escape that might spell it); the runtime drops a record only when neither holds
// (RawJsonMayContainIgnoreCase). A needle comes from one top-level conjunct, which every
// passing record satisfies, over a decoded STRING column, whose value the decoder only takes
// from a JSON string in the record:
// - `col LIKE p` (and `col = 'lit'`): the value contains each run of p's literal characters
//   exactly; a JSON string without escapes is those bytes verbatim, so the raw record holds
//   the run, and holds it ASCII-case-insensitively too once lower-cased.
// - `LOWER(col) LIKE p`: LOWER(value) contains the run. An ASCII letter of LOWER(value) comes
//   from the same letter in either case in the value, except where Unicode lower-cases a
//   non-ASCII character into ASCII: U+0130 (İ) into "i" + U+0307 and U+212A (Kelvin sign) into
//   "k". So a run ends at 'i' and 'k' and at any non-ASCII byte (whose case the runtime does
//   not fold); what remains is in the raw bytes ASCII-case-insensitively.
// - `col ILIKE p`: as LOWER, and also 's', into which case folding maps U+017F (long s).
// Anything else (OR, NOT, functions other than LOWER, computed columns) implies no needle.

namespace spate::sql {

std::string LongestLikeLiteral(std::string_view pattern, char escape, NeedleFold fold) {
  std::string best;
  std::string run;
  auto end_run = [&]() {
    if (run.size() > best.size()) best = run;
    run.clear();
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (escape != 0 && c == escape && i + 1 < pattern.size()) {
      c = pattern[++i];
    } else if (c == '%' || c == '_') {
      end_run();
      continue;
    }
    const unsigned char u = static_cast<unsigned char>(c);
    const char lower = AsciiToLower(c);
    if (fold != NeedleFold::kNone) {
      const bool unsafe =
          u >= 0x80 || lower == 'i' || lower == 'k' || (fold == NeedleFold::kCase && lower == 's');
      if (unsafe) {
        end_run();
        continue;
      }
    }
    run.push_back(lower);
  }
  end_run();
  return best;
}

namespace {

// A column reference to a decoded STRING column.
bool IsDecodedString(const proto::Expr& e, const proto::QueryPlan& plan) {
  return e.has_column() && e.column() >= 0 && e.column() < plan.source().columns_size() &&
         plan.source().columns(e.column()).type().kind() == proto::TYPE_STRING;
}

const std::string* StringLiteral(const proto::Expr& e) {
  if (e.has_literal() && e.literal().has_string_value()) return &e.literal().string_value();
  return nullptr;
}

std::string NeedleOf(const proto::Expr& f, const proto::QueryPlan& plan) {
  if (!f.has_call()) return "";
  const auto& call = f.call();
  const std::string& fn = call.fn();
  if ((fn == "LIKE" || fn == "ILIKE") && call.args_size() >= 2) {
    const std::string* pattern = StringLiteral(call.args(1));
    if (pattern == nullptr) return "";
    char escape = 0;
    if (call.args_size() == 3) {
      const std::string* esc = StringLiteral(call.args(2));
      if (esc == nullptr || esc->size() != 1) return "";
      escape = (*esc)[0];
    }
    const proto::Expr& value = call.args(0);
    NeedleFold fold = fn == "ILIKE" ? NeedleFold::kCase : NeedleFold::kNone;
    if (IsDecodedString(value, plan)) return LongestLikeLiteral(*pattern, escape, fold);
    if (fn == "LIKE" && value.has_call() && value.call().fn() == "LOWER" &&
        value.call().args_size() == 1 && IsDecodedString(value.call().args(0), plan)) {
      return LongestLikeLiteral(*pattern, escape, NeedleFold::kLower);
    }
    return "";
  }
  if (fn == "=" && call.args_size() == 2) {
    for (int side = 0; side < 2; ++side) {
      const std::string* lit = StringLiteral(call.args(1 - side));
      if (lit != nullptr && IsDecodedString(call.args(side), plan)) {
        std::string out;
        for (char c : *lit) out.push_back(AsciiToLower(c));
        return out;
      }
    }
  }
  return "";
}

}  // namespace

std::string DerivePrefilter(const proto::QueryPlan& plan) {
  std::string best;
  for (const auto& f : plan.filters()) {
    std::string n = NeedleOf(f, plan);
    if (n.size() >= 3 && n.size() > best.size()) best = std::move(n);
  }
  return best;
}

}  // namespace spate::sql
