#!/usr/bin/env python3
"""Compares a peer engine's crash-detector rows with the oracle's (or Spate's).

Usage: bench/peers/compare_rows.py --expected ORACLE.jsonl --actual ENGINE.jsonl
                                   [--emitted-until-ms M] [--any-columns]

Rows are JSON lines {"window_start","window_end","user_id","crash_count"} (UTC,
"YYYY-MM-DD HH:MM:SS"), compared as (window_start, window_end, user_id) -> crash_count.

Without --emitted-until-ms the two sets must be identical. With it (Spark under availableNow,
whose final watermark leaves the last windows unemitted), every actual row must be an expected
row, identical, and every expected row missing from the actual ones must lie in a window ending
after M (epoch ms): the windows the engine could not emit.

--any-columns: rows of any columns (the SQL benchmark's, bench/sql.sh), compared whole as
multisets: a number equals a number of the same value (1 == 1.0; non-integers to 12 significant
digits), every other value exactly. EXPECTED and ACTUAL may also be file-sink directories (every
file whose name, and whose folders' names, do not begin with '.' or '_': Spate's and Flink's
'filesystem' sinks). --emitted-until-ms then reads each row's window_end.

Prints one line `compare: expected=E actual=A matched=M missing_allowed=X missing=Y extra=Z
different=D verdict=match|MISMATCH` (and up to 10 offending rows on stderr). Exit 0 on match,
1 on a mismatch, 2 on a usage or input error.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
from datetime import datetime, timezone


def load(path: str) -> dict:
    rows = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
                key = (r["window_start"], r["window_end"], r["user_id"])
                count = int(r["crash_count"])
            except (ValueError, KeyError, TypeError) as e:
                raise SystemExit(f"compare: {path}:{n}: bad row ({e}): {line[:200]}")
            if key in rows:
                print(f"compare: {path}:{n}: duplicate row {key}", file=sys.stderr)
                rows[key] = -1  # a duplicate never matches
            else:
                rows[key] = count
    return rows


def end_ms(window_end: str) -> int:
    fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in window_end else "%Y-%m-%d %H:%M:%S"
    dt = datetime.strptime(window_end, fmt).replace(tzinfo=timezone.utc)
    return int(round(dt.timestamp() * 1000))


def sink_lines(path: str):
    """(name, line number, line) of a JSON-lines file, or of every data file of a sink folder."""
    if not os.path.isdir(path):
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                yield path, n, line
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(files):
            if name.startswith((".", "_")):
                continue
            full = os.path.join(root, name)
            with open(full, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    yield full, n, line


def canonical(v):
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        if float(v).is_integer() and abs(v) < 2**53:
            return int(v)
        return float(f"{float(v):.12g}")
    return json.dumps(v, sort_keys=True)


def load_any(path: str) -> collections.Counter:
    rows = collections.Counter()
    for name, n, line in sink_lines(path):
        line = line.strip()
        if not line:
            continue
        try:
            r = json.loads(line)
            if not isinstance(r, dict):
                raise ValueError("not an object")
        except ValueError as e:
            raise SystemExit(f"compare: {name}:{n}: bad row ({e}): {line[:200]}")
        rows[tuple(sorted((k, canonical(v)) for k, v in r.items()))] += 1
    return rows


def compare_any(a) -> int:
    try:
        exp, act = load_any(a.expected), load_any(a.actual)
    except OSError as e:
        print(f"compare: {e}", file=sys.stderr)
        return 2
    matched = extra = missing = missing_allowed = 0
    bad = []
    for row, k in act.items():
        m = min(k, exp.get(row, 0))
        matched += m
        if k > m:
            extra += k - m
            bad.append(("extra", row, k - m))
    for row, k in exp.items():
        short = k - min(k, act.get(row, 0))
        if short == 0:
            continue
        end = dict(row).get("window_end")
        if a.emitted_until_ms is not None and isinstance(end, str) and end_ms(end) > a.emitted_until_ms:
            missing_allowed += short
        else:
            missing += short
            bad.append(("missing", row, short))
    ok = extra == 0 and missing == 0
    for kind, row, k in bad[:10]:
        print(f"compare: {kind} (x{k}): {json.dumps(dict(row), sort_keys=True)}", file=sys.stderr)
    print(f"compare: expected={sum(exp.values())} actual={sum(act.values())} matched={matched} "
          f"missing_allowed={missing_allowed} missing={missing} extra={extra} "
          f"verdict={'match' if ok else 'MISMATCH'}")
    return 0 if ok else 1


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--expected", required=True)
    p.add_argument("--actual", required=True)
    p.add_argument("--emitted-until-ms", type=int, default=None,
                   help="the engine's final watermark: windows ending after it may be missing")
    p.add_argument("--any-columns", action="store_true",
                   help="rows of any columns, compared whole as multisets (files or sink folders)")
    a = p.parse_args()
    if a.any_columns:
        return compare_any(a)
    try:
        exp, act = load(a.expected), load(a.actual)
    except OSError as e:
        print(f"compare: {e}", file=sys.stderr)
        return 2
    matched = different = extra = missing = missing_allowed = 0
    bad = []
    for key, count in act.items():
        if key not in exp:
            extra += 1
            bad.append(("extra", key, count))
        elif exp[key] != count:
            different += 1
            bad.append(("different", key, f"{count} vs expected {exp[key]}"))
        else:
            matched += 1
    for key, count in exp.items():
        if key in act:
            continue
        if a.emitted_until_ms is not None and end_ms(key[1]) > a.emitted_until_ms:
            missing_allowed += 1
        else:
            missing += 1
            bad.append(("missing", key, count))
    ok = extra == 0 and different == 0 and missing == 0
    for kind, key, detail in bad[:10]:
        print(f"compare: {kind}: {key} {detail}", file=sys.stderr)
    print(f"compare: expected={len(exp)} actual={len(act)} matched={matched} "
          f"missing_allowed={missing_allowed} missing={missing} extra={extra} "
          f"different={different} verdict={'match' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
