#!/usr/bin/env python3
"""Compares a peer engine's crash-detector rows with the oracle's (or Spate's).

Usage: bench/peers/compare_rows.py --expected ORACLE.jsonl --actual ENGINE.jsonl
                                   [--emitted-until-ms M]

Rows are JSON lines {"window_start","window_end","user_id","crash_count"} (UTC,
"YYYY-MM-DD HH:MM:SS"), compared as (window_start, window_end, user_id) -> crash_count.

Without --emitted-until-ms the two sets must be identical. With it (Spark under availableNow,
whose final watermark leaves the last windows unemitted), every actual row must be an expected
row, identical, and every expected row missing from the actual ones must lie in a window ending
after M (epoch ms): the windows the engine could not emit.

Prints one line `compare: expected=E actual=A matched=M missing_allowed=X missing=Y extra=Z
different=D verdict=match|MISMATCH` (and up to 10 offending rows on stderr). Exit 0 on match,
1 on a mismatch, 2 on a usage or input error.
"""

from __future__ import annotations

import argparse
import json
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
    dt = datetime.strptime(window_end, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--expected", required=True)
    p.add_argument("--actual", required=True)
    p.add_argument("--emitted-until-ms", type=int, default=None,
                   help="the engine's final watermark: windows ending after it may be missing")
    a = p.parse_args()
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
