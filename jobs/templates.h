// The shipped jobs' SQL templates (jobs/*.sql), compiled into the binary by jobs/CMakeLists.txt.
#pragma once

#include <string_view>

namespace spate::jobs {

std::string_view CrashDetectorSql();
std::string_view LogsProcessorSql();

}  // namespace spate::jobs
