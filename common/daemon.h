// What every Spate daemon does at the end of main: run until SIGINT or SIGTERM.
#pragma once

namespace spate {

/// Installs SIGINT/SIGTERM handlers and blocks until one of them arrives.
void WaitForShutdownSignal();

}  // namespace spate
