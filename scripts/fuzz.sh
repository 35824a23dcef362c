#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/README.md) with clang in build-fuzz/, its own build
# directory, and runs each for a while from a scratch copy of its seed corpus (fuzz/corpus/ is
# never written). Exits non-zero on any crash, hang, leak or sanitizer report and prints the
# reproducer's path; on success the scratch directory is removed.
# Usage: scripts/fuzz.sh [seconds-per-target] [target ...]
#   scripts/fuzz.sh                      # every target, 30 s each
#   scripts/fuzz.sh 600 sql_parser_fuzz  # one target, ten minutes
# Environment: SPATE_FUZZ_BUILD_DIR (default build-fuzz), SPATE_BUILD_JOBS (default nproc),
# SPATE_FUZZ_KEEP=1 keeps the scratch directory (the grown corpora) after a clean run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds="${1:-30}"
[ $# -gt 0 ] && shift
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "fuzz.sh: seconds-per-target must be a positive integer, not '$seconds'" >&2
  exit 2
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(sql_parser_fuzz record_decoder_fuzz log_record_fuzz shuffle_block_fuzz)
build="${SPATE_FUZZ_BUILD_DIR:-build-fuzz}"
bin="$build/bin"
[[ "$build" = /* ]] || bin="$root/$build/bin"

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz.sh: clang++ not found (scripts/install-deps.sh installs Debian's clang)" >&2
  exit 1
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  launcher=()
  command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" >/dev/null
fi
echo "fuzz.sh: building ${targets[*]} in $build"
cmake --build "$build" --target "${targets[@]}" -- -j"${SPATE_BUILD_JOBS:-$(nproc)}" >/dev/null

scratch=$(mktemp -d "${TMPDIR:-/tmp}/spate-fuzz.XXXXXX")
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
for t in "${targets[@]}"; do
  if [ ! -d "fuzz/corpus/$t" ]; then
    echo "fuzz.sh: no seed corpus fuzz/corpus/$t" >&2
    exit 2
  fi
  dir="$scratch/$t"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp -R "fuzz/corpus/$t/." "$dir/corpus/"
  if [ "$t" = sql_parser_fuzz ]; then
    # The SQL test cases (their DuckDB questions too) seed the parser as they are in
    # tests/sql/cases/, with the harness's placeholders filled.
    for f in tests/sql/cases/*.sql; do
      sed -e "s/\${topic}/logs/g" -e "s/\${bootstrap}/127.0.0.1:19092/g" -e "s/\${out}/out.jsonl/g" \
        "$f" >"$dir/corpus/case_$(basename "$f")"
    done
  fi
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$dir/artifacts/")
  case "$t" in
    sql_parser_fuzz) args+=(-max_len=8192 -dict="$root/fuzz/sql.dict") ;;
    *) args+=(-max_len=4096) ;;
  esac
  rc=0
  "$bin/$t" "${args[@]}" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
  stats=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$dir/log" | tail -1 || true)
  execs=$(grep -E '^stat::number_of_executed_units' "$dir/log" | awk '{print $2}' || true)
  echo "fuzz.sh: $t: ${seconds}s, ${execs:-?} runs, ${stats:-no final stats}"
  if [ "$rc" -ne 0 ] || ls "$dir/artifacts/"* >/dev/null 2>&1; then
    failed+=("$t")
    echo "fuzz.sh: $t FAILED (exit $rc); log: $dir/log" >&2
    grep -E 'ERROR: |runtime error:|SUMMARY:|sql_parser_fuzz: |log_record_fuzz: ' "$dir/log" \
      | head -5 >&2 || true
    for a in "$dir/artifacts/"*; do
      [ -e "$a" ] || continue
      echo "fuzz.sh: reproducer: $a" >&2
      echo "fuzz.sh:   rerun: $build/bin/$t $a" >&2
    done
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz.sh: failed: ${failed[*]} (scratch directory kept: $scratch)" >&2
  exit 1
fi
if [ "${SPATE_FUZZ_KEEP:-0}" = 1 ]; then
  echo "fuzz.sh: corpora kept in $scratch"
else
  rm -rf "$scratch"
fi
echo "fuzz.sh: no crash, hang, leak or sanitizer report"
