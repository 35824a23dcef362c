#!/usr/bin/env python3
"""Compares a Spate file sink with the oracle's rows; prints one `name=value` line per figure.

  compare_rows.py --expected exp.jsonl --sink DIR [--label L] [--drain-batch N]

Figures: rows the oracle expects, rows the sink holds, rows identical to the oracle's, rows
missing, rows with a lower count than the oracle's (some of their records were dropped),
rows that the oracle does not have (there must be none), and the delay from each window's end
to its row becoming visible in the sink: the mtime of the batch file minus the window end, for
rows of batches before --drain-batch (the drain emits every open window at once, so it says
nothing about latency). With wall-clock event time (spate-loadgen without --start-ms) that delay
is what a reader of the sink waits after a window closes.
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import re
import statistics
import sys
import time


def key(r: dict) -> tuple:
    return (r["window_start"], r["window_end"], r["user_id"])


def utc_ms(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")) * 1000


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--sink", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("--drain-batch", type=int, default=None)
    args = ap.parse_args()
    prefix = args.label + "_" if args.label else ""

    with open(args.expected) as f:
        expected = {key(r): r["crash_count"] for r in map(json.loads, filter(str.strip, f))}
    got: dict[tuple, int] = {}
    delays: list[float] = []
    for name in sorted(os.listdir(args.sink)):
        if name.startswith((".", "_")):
            continue
        m = re.match(r"batch-(\d+)(?:-\d+)?\.jsonl$", name)
        path = os.path.join(args.sink, name)
        mtime_ms = os.stat(path).st_mtime * 1000
        with open(path) as f:
            for line in filter(str.strip, f):
                r = json.loads(line)
                got[key(r)] = r["crash_count"]
                if m and (args.drain_batch is None or int(m.group(1)) < args.drain_batch):
                    delays.append((mtime_ms - utc_ms(r["window_end"])) / 1000)
    same = sum(1 for k, c in got.items() if expected.get(k) == c)
    missing = sum(1 for k in expected if k not in got)
    lower = sum(1 for k, c in got.items() if k in expected and c < expected[k])
    extra = sum(1 for k in got if k not in expected or got[k] > expected[k])
    out = {
        "rows_expected": len(expected),
        "rows_emitted": len(got),
        "rows_identical": same,
        "rows_missing": missing,
        "rows_undercounted": lower,
        "rows_wrong": extra,
    }
    if delays:
        delays.sort()
        out["visible_after_window_end_p50_s"] = round(statistics.median(delays), 2)
        out["visible_after_window_end_max_s"] = round(delays[-1], 2)
        out["visible_after_window_end_rows"] = len(delays)
    for k, v in out.items():
        print(f"{prefix}{k}={v}")
    return 0 if extra == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
