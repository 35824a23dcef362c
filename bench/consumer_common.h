// Pieces the benchmark consumers share (spate-bare-consumer, spate-follow-consumer).
#pragma once

#include <sys/resource.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace spate::bench {

/// User + system CPU time of this process so far: on a shared machine, CPU per record is a
/// steadier figure than wall time.
inline double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/// Applies `-X key=value` overrides to `conf`; false (after a message naming `tool` on
/// stderr) when one is not key=value.
inline bool ApplyOverrides(const std::vector<std::string>& overrides, const char* tool,
                           std::map<std::string, std::string>* conf) {
  for (const auto& kv : overrides) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "%s: -X expects key=value, got '%s'\n", tool, kv.c_str());
      return false;
    }
    (*conf)[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return true;
}

}  // namespace spate::bench
