#!/usr/bin/env bash
# Prints the path of the Python interpreter of the SQL tests' virtualenv, creating it (with DuckDB
# from PyPI) on first use. The venv lives outside the repository:
#   ${SPATE_CACHE_DIR:-$HOME/.cache/spate}/test-venv
# Usage: PY=$(tests/sql/venv.sh)
# Environment: SPATE_DUCKDB_VERSION pins the duckdb version (default: the newest release).
set -euo pipefail
cache_dir="${SPATE_CACHE_DIR:-$HOME/.cache/spate}"
venv="$cache_dir/test-venv"
py="$venv/bin/python3"
spec="duckdb${SPATE_DUCKDB_VERSION:+==$SPATE_DUCKDB_VERSION}"

ready() { [ -x "$py" ] && "$py" -c 'import duckdb' >/dev/null 2>&1; }

if ! ready; then
  mkdir -p "$cache_dir"
  # Several test runs may start at once: one creates the venv, the others wait for it.
  (
    flock -w 600 9 || { echo "venv.sh: timed out waiting for $cache_dir/.test-venv.lock" >&2; exit 1; }
    if ready; then exit 0; fi
    rm -rf "$venv"
    echo "venv.sh: creating $venv with $spec" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$spec" >&2
    ready || { echo "venv.sh: duckdb does not import in $venv" >&2; exit 1; }
  ) 9>"$cache_dir/.test-venv.lock"
fi
echo "$py"
