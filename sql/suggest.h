// "Did you mean" suggestions for misspelt names. Internal to sql/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace spate::sql {

/// Optimal-string-alignment edit distance, ASCII case-insensitive (a swap of two neighbours
/// counts once).
int EditDistance(std::string_view a, std::string_view b);

/// " (did you mean 'user_id'?)" naming the closest candidate when it is close enough (at most
/// a third of the name's length in edits, at least one), else "".
std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace spate::sql
