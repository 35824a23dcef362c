#!/usr/bin/env python3
"""Figures from a job's batch progress (the master's /api/v1/jobs/ID/progress), as name=value.

  curl -s $API/jobs/$JOB/progress | progress_stats.py [--label L] [--skip-first N]

Over the batches that read records (the empty batches that only move the watermark are left
out; --skip-first leaves out the first N as well, e.g. a warm-up): batches, records, batch
duration p50 / p99 / max, the median of each phase (planning, stage 1, stage 2, commit), the
phase that is largest in the most batches, input rate and process rate (medians, rows/s),
shuffle bytes per input record, and the skew of records read between executors (the largest
executor's total over the smallest's).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    if not v:
        return 0.0
    k = min(len(v) - 1, max(0, int(round(p / 100 * (len(v) - 1)))))
    return v[k]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--label", default="")
    ap.add_argument("--skip-first", type=int, default=0)
    args = ap.parse_args()
    prefix = args.label + "_" if args.label else ""
    batches = [b for b in json.load(sys.stdin) if b.get("numInputRows", 0) > 0][args.skip_first:]
    out: dict[str, object] = {"batches": len(batches)}
    if batches:
        total = [b["durationMs"]["total"] for b in batches]
        records = sum(b["numInputRows"] for b in batches)
        out["records"] = records
        out["batch_p50_ms"] = pct(total, 50)
        out["batch_p99_ms"] = pct(total, 99)
        out["batch_max_ms"] = max(total)
        out["batch_records_p50"] = int(pct([b["numInputRows"] for b in batches], 50))
        phases = ("planning", "stage1", "stage2", "commit")
        for ph in phases:
            out[f"{ph}_p50_ms"] = pct([b["durationMs"][ph] for b in batches], 50)
        largest = [max(phases, key=lambda ph: b["durationMs"][ph]) for b in batches]
        out["largest_phase"] = max(phases, key=largest.count)
        out["largest_phase_share"] = round(largest.count(out["largest_phase"]) / len(batches), 2)
        rates_in = [b["inputRowsPerSecond"] for b in batches if b["inputRowsPerSecond"] > 0]
        out["input_rate_p50"] = int(statistics.median(rates_in)) if rates_in else 0
        out["process_rate_p50"] = int(statistics.median(b["processedRowsPerSecond"] for b in batches))
        shuffle = sum(b.get("shuffleBytes", 0) for b in batches)
        out["shuffle_bytes"] = shuffle
        out["shuffle_bytes_per_record"] = round(shuffle / records, 4)
        per_exec: dict[str, int] = {}
        for b in batches:
            for e in b.get("executors", []):
                per_exec[e["executorId"]] = per_exec.get(e["executorId"], 0) + e["recordsRead"]
        if len(per_exec) > 1 and min(per_exec.values()) > 0:
            out["read_skew"] = round(max(per_exec.values()) / min(per_exec.values()), 2)
        else:
            out["read_skew"] = 1.0
        out["records_by_executor"] = ",".join(f"{k}:{v}" for k, v in sorted(per_exec.items()))
    for k, v in out.items():
        print(f"{prefix}{k}={v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
