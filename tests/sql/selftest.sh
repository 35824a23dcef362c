#!/usr/bin/env bash
# The SQL tests' python-only self-check (no Kafka, no Spate): the generator and the oracle
# against hand-computed answers, then every case's and 60 random queries' DuckDB side over a
# generated data set (they must run and give enough rows). Creates the venv if missing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=$("$here/venv.sh")
work=$(mktemp -d "${TMPDIR:-/tmp}/spate-sql-selftest.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$PY" "$here/test_oracle_selftest.py"
"$PY" "$here/gen_records.py" generate --out "$work/main" --seed 1 --count 20000 --partitions 4 \
  --malformed 48 >/dev/null
"$PY" "$here/gen_records.py" generate --out "$work/late" --seed 2 --count 6000 --span-ms 60000 \
  --partitions 1 --malformed 0 --profile late --late 25 --late-after 3000 >/dev/null
"$PY" "$here/test_sql_oracle.py" --oracle-only --dataset "main=$work/main" \
  --dataset "late=$work/late"
"$PY" "$here/random_queries.py" --oracle-only --count 60 --dataset "$work/main" | tail -n 1
