// The raw-record pre-filter a plan's WHERE implies. Internal to sql/.
#pragma once

#include <string>
#include <string_view>

#include "proto/plan.pb.h"

namespace spate::sql {

/// How a LIKE pattern's literal characters relate to the raw bytes of the value it matches.
enum class NeedleFold {
  kNone,   ///< `col LIKE p`: the value holds the literal characters as they are
  kLower,  ///< `LOWER(col) LIKE p`: the value lower-cased holds them
  kCase,   ///< `col ILIKE p`: the value holds them up to case
};

/// The longest run of literal characters in a LIKE `pattern` (no % or _, `escape` honoured; 0
/// for none), ASCII lower-cased. Under folding, a run also ends at a character that a non-ASCII
/// one may fold into (see prefilter.cc).
std::string LongestLikeLiteral(std::string_view pattern, char escape, NeedleFold fold);

/// QueryPlan.prefilter for `plan` (its filters and source columns set): the longest needle of
/// at least 3 bytes implied by one filter, or "".
std::string DerivePrefilter(const proto::QueryPlan& plan);

}  // namespace spate::sql
