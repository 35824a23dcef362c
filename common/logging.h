// One logging set-up for every binary (spdlog): stderr, a compact pattern, a level from flags.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "common/status.h"

namespace spate {

/// Sets the default logger: stderr, "[time] [level] [name] message". `level` is one of
/// trace, debug, info, warn, error, off. Safe to call more than once (last call wins).
Status InitLogging(std::string_view name, std::string_view level = "info");

}  // namespace spate
