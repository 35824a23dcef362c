#!/usr/bin/env bash
# Configures and builds Spate (Release by default); binaries land in build/bin/.
# Usage: scripts/build.sh [preset]   (presets: release, debug, asan, tsan)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -- -j"${SPATE_BUILD_JOBS:-$(nproc)}"
