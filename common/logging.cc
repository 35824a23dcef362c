#include "common/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <string>

namespace spate {

Status InitLogging(std::string_view name, std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return Status::InvalidArgument("unknown log level '" + std::string(level) +
                                   "' (trace, debug, info, warn, error, off)");
  }
  auto logger = spdlog::stderr_color_mt(std::string(name) + "-" + std::to_string(rand()));
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] [" + std::string(name) + "] %v");
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  return Status::OK();
}

}  // namespace spate
