#include "common/daemon.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

namespace spate {
namespace {

std::atomic<bool> g_signalled{false};
void OnSignal(int) { g_signalled = true; }

}  // namespace

void WaitForShutdownSignal() {
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (!g_signalled) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

}  // namespace spate
