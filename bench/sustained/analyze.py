#!/usr/bin/env python3
"""Figures and verdict of one sustained step, and the final report (bench/sustained.sh).

  analyze.py step --engine spate|spark|bare --input FILE --rate R --duration-s D --warmup-s W
                  --grace-ms G --trigger-ms T --start-ms S --end-ms E --loadgen-log LOG
                  [--label TEXT] >> steps.jsonl
      FILE: spate  the master's /api/v1/jobs/JOB/progress (a JSON array of batches)
            spark  one Spark StreamingQueryProgress JSON object a line
            bare   spate-follow-consumer's stdout (EPOCH_MS RECORDS MAX_LAG_MS lines, summary)
      Prints one JSON object: the step's figures and keeps_up (true/false) with the reasons.

  analyze.py report --steps steps.jsonl --out DIR [--quick] [--spark-trigger T]
      Writes DIR/steps.csv and DIR/summary.json, prints the name=value lines.

The definition of "keeps up" is in bench/sustained.sh's header and bench/README.md; in short, a
step at rate R (loadgen running D seconds, the first W of them warm-up) keeps up when
  1. the producer held the rate: acknowledged >= 0.98 * R * D (else: producer-limited);
  2. the lag stays bounded: when the load stops, the records not yet finished by the engine
     (rows of committed batches, or the bare consumer's count) are at most G ms of load
     (R * G / 1000), and G ms later it has finished >= 0.98 * acknowledged;
  3. its batches are short enough: p99 of the durations of the batches that started in the
     measured interval [start + W, end] <= the trigger interval (the bare consumer has no
     batches: its record lag is reported, not judged).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import sys
from datetime import datetime, timezone

PRODUCED_SHARE = 0.98
CONSUMED_SHARE = 0.98


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in [0, 100]); None for no values."""
    if not values:
        return None
    v = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(v)))
    return v[rank - 1]


def loadgen_summary(path: str) -> dict:
    """The figures of spate-loadgen's 'summary:' line (sent, acked, failed, seconds, ...)."""
    line = None
    with open(path, errors="replace") as f:
        for ln in f:
            if "summary:" in ln:
                line = ln
    if line is None:
        raise SystemExit(f"analyze.py: no summary line in {path}")
    out = {}
    for k, v in re.findall(r"(\w+)=([0-9.]+)", line.split("summary:", 1)[1]):
        out[k] = float(v)
    return out


def iso_ms(text: str) -> int:
    dt = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return int(round(dt.timestamp() * 1000))


def batches_of(engine: str, path: str) -> list[dict]:
    """Batches as dicts: start_ms, duration_ms, rows, result_latency_ms, emitted."""
    out = []
    if engine == "spate":
        with open(path) as f:
            for b in json.load(f):
                d = b.get("durationMs") or {}
                out.append({
                    "id": b.get("batchId"),
                    "start_ms": int(b["timestampMs"]),
                    "duration_ms": int(d.get("total", 0)),
                    "rows": int(b.get("numInputRows", 0)),
                    "emitted": int(b.get("rowsEmitted", 0)),
                    "result_latency_ms": b.get("resultLatencyMs"),
                    "has_latency_field": "resultLatencyMs" in b,
                })
    elif engine == "spark":
        with open(path) as f:
            for ln in f:
                ln = ln.strip()
                if not ln:
                    continue
                p = json.loads(ln)
                sink_rows = (p.get("sink") or {}).get("numOutputRows", -1)
                out.append({
                    "id": p.get("batchId"),
                    "start_ms": iso_ms(p["timestamp"]),
                    "duration_ms": int((p.get("durationMs") or {}).get("triggerExecution", 0)),
                    "rows": int(p.get("numInputRows", 0)),
                    "emitted": int(sink_rows) if sink_rows is not None else -1,
                    "result_latency_ms": None,
                    "has_latency_field": False,
                    "input_rps": p.get("inputRowsPerSecond"),
                    "processed_rps": p.get("processedRowsPerSecond"),
                })
    out.sort(key=lambda b: b["start_ms"])
    return out


def broker_fences(path: str | None, from_ms: int, to_ms: int) -> int | None:
    """How many times the broker log says the broker was fenced (its KRaft session timed out:
    on an overloaded machine the controller stalls for seconds, the partitions lose their
    leader and every client waits) between from_ms and to_ms; None when there is no log."""
    if not path or not os.path.isfile(path):
        return None
    n = 0
    with open(path, errors="replace") as f:
        for ln in f:
            if "Fencing broker" not in ln or not ln.startswith("["):
                continue
            try:  # "[2026-11-27 21:31:40,482] INFO ...", in the machine's local time
                t = datetime.strptime(ln[1:24], "%Y-%m-%d %H:%M:%S,%f")
            except ValueError:
                continue
            if from_ms <= t.timestamp() * 1000 <= to_ms:
                n += 1
    return n


def step(args: argparse.Namespace) -> dict:
    lg = loadgen_summary(args.loadgen_log)
    acked = int(lg.get("acked", 0))
    lg_seconds = lg.get("seconds", 0.0) or 1e-9
    target = args.rate * args.duration_s
    s, e = args.start_ms, args.end_ms
    m0 = s + int(args.warmup_s * 1000)  # start of the measured interval
    r = {
        "engine": args.engine,
        "label": args.label,
        "rate": args.rate,
        "duration_s": args.duration_s,
        "warmup_s": args.warmup_s,
        "trigger_ms": args.trigger_ms,
        "grace_ms": args.grace_ms,
        "start_ms": s,
        "end_ms": e,
        "produced": acked,
        "produce_failed": int(lg.get("failed", 0)),
        "input_rps": round(acked / lg_seconds),
    }
    reasons = []

    def backlog_s(done: list[tuple[int, int]]) -> float | None:
        """Largest (records produced by t - records done by t) / rate over (t, done) points,
        in seconds of load; produced(t) is taken as the rate times the time since the start,
        at most what was acknowledged. Reported, not judged."""
        if not done or args.rate <= 0:
            return None
        worst = max(min(acked, args.rate * (t - s) / 1000.0) - n for t, n in done)
        return round(max(0.0, worst) / args.rate, 3)

    if acked < PRODUCED_SHARE * target:
        reasons.append(f"producer-limited: {acked} of {target:.0f} records "
                       f"({acked / target:.3f} < {PRODUCED_SHARE})")

    if args.engine == "bare":
        points, summary = [], {}
        with open(args.input) as f:
            for ln in f:
                if ln.startswith("summary:"):
                    summary = {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.-]+)", ln)}
                    continue
                parts = ln.split()
                if len(parts) == 3:
                    points.append((int(parts[0]), int(parts[1]), int(parts[2])))

        def consumed(t: int) -> int:
            c = 0
            for ts, n, _ in points:
                if ts > t:
                    break
                c = n
            return c

        lags = [lag for ts, _, lag in points if m0 <= ts <= e and lag >= 0]
        r["max_backlog_s"] = backlog_s([(ts, n) for ts, n, _ in points if m0 <= ts <= e])
        r["consumed_at_end"] = consumed(e)
        r["consumed_after_grace"] = consumed(e + args.grace_ms)
        r["consumed_total"] = int(summary.get("records", consumed(1 << 62)))
        r["lag_p50_ms"] = percentile(lags, 50)
        r["lag_p99_ms"] = percentile(lags, 99)
        r["lag_record_p99_ms"] = summary.get("lag_p99_ms")
        r["lag_record_max_ms"] = summary.get("lag_max_ms")
        r["consumer_cpu_s"] = summary.get("cpu_s")
        r["batches"] = None
        r["batch_p50_ms"] = r["batch_p99_ms"] = r["batch_max_ms"] = None
        measured = (e - m0) / 1000.0
        r["process_rps"] = round((consumed(e) - consumed(m0)) / measured) if measured > 0 else None
        # The lag is reported, not judged: it starts when the producer hands a record to
        # librdkafka, so it holds the producer's and the broker's queueing, which an engine's
        # batch durations do not.
        if consumed(e) == 0:
            reasons.append("nothing consumed during the load")
    else:
        batches = batches_of(args.engine, args.input)

        # Rows committed before the load started (Spark's priming batch) are not the step's.
        before = sum(b["rows"] for b in batches if b["start_ms"] + b["duration_ms"] <= s)
        r["rows_before_load"] = before

        def committed(t: int) -> int:
            return sum(b["rows"] for b in batches
                       if b["start_ms"] + b["duration_ms"] <= t) - before

        inside = [b for b in batches if m0 <= b["start_ms"] <= e]
        batches = [b for b in batches if b["start_ms"] + b["duration_ms"] > s]
        # Just before each commit in the measured interval: what had been produced by then
        # against what had been committed.
        ends = [b["start_ms"] + b["duration_ms"] for b in batches]
        r["max_backlog_s"] = backlog_s([(t, committed(t - 1)) for t in ends if m0 <= t <= e])
        starts = [b["start_ms"] for b in batches if m0 <= b["start_ms"] <= e + args.grace_ms]
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        r["max_batch_gap_ms"] = max(gaps) if gaps else None
        durations = [b["duration_ms"] for b in inside]
        r["batches"] = len(inside)
        r["batches_total"] = len(batches)
        r["batch_p50_ms"] = percentile(durations, 50)
        r["batch_p99_ms"] = percentile(durations, 99)
        r["batch_max_ms"] = max(durations) if durations else None
        r["consumed_at_end"] = committed(e)
        r["consumed_after_grace"] = committed(e + args.grace_ms)
        r["consumed_total"] = sum(b["rows"] for b in batches) - before
        measured = (e - m0) / 1000.0
        r["process_rps"] = round((committed(e) - committed(m0)) / measured) if measured > 0 else None
        if args.engine == "spark":
            ins = [b["input_rps"] for b in inside if b.get("input_rps") is not None]
            pro = [b["processed_rps"] for b in inside if b.get("processed_rps") is not None]
            r["spark_input_rps_mean"] = round(sum(ins) / len(ins)) if ins else None
            r["spark_processed_rps_mean"] = round(sum(pro) / len(pro)) if pro else None
        lat = [b["result_latency_ms"] for b in batches
               if s <= b["start_ms"] <= e + args.grace_ms and b["result_latency_ms"] is not None]
        r["result_latency_samples"] = len(lat)
        r["result_latency_ms"] = lat
        r["result_latency_field"] = any(b["has_latency_field"] for b in batches)
        r["rows_emitted"] = sum(max(0, b["emitted"]) for b in batches)
        if not durations:
            reasons.append("no batch started in the measured interval")
        elif r["batch_p99_ms"] > args.trigger_ms:
            reasons.append(f"batch p99 {r['batch_p99_ms']} ms > trigger {args.trigger_ms} ms")
    r["backlog_at_end_s"] = round(max(0, acked - r["consumed_at_end"]) / args.rate, 3)
    if r["backlog_at_end_s"] * 1000 > args.grace_ms:
        reasons.append(f"lag: {acked - r['consumed_at_end']} records ({r['backlog_at_end_s']} s "
                       f"of load) not done when the load stopped > {args.grace_ms} ms")
    if r["consumed_after_grace"] < CONSUMED_SHARE * acked:
        reasons.append(f"backlog: {r['consumed_after_grace']} of {acked} records done "
                       f"{args.grace_ms} ms after the load stopped "
                       f"({r['consumed_after_grace'] / max(acked, 1):.3f} < {CONSUMED_SHARE})")
    fences = broker_fences(args.broker_log, s - 5000, e + args.grace_ms)
    r["broker_fenced"] = fences
    if fences:
        reasons.append(f"broker fenced {fences} time(s) during the step (its KRaft session "
                       "timed out: the machine is overloaded); the step does not count")
    for kv in args.set:
        k, _, v = kv.partition("=")
        try:
            r[k] = float(v) if "." in v else int(v)
        except ValueError:
            r[k] = v
    r["keeps_up"] = not reasons
    r["reasons"] = reasons
    return r


def fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.0f}" if abs(v) >= 100 else f"{v:.3g}"
    return str(v)


def report(args: argparse.Namespace) -> int:
    steps = []
    with open(args.steps) as f:
        for ln in f:
            ln = ln.strip()
            if ln:
                steps.append(json.loads(ln))
    os.makedirs(args.out, exist_ok=True)
    cols = ["engine", "label", "rate", "duration_s", "warmup_s", "trigger_ms", "produced",
            "input_rps", "process_rps", "consumed_at_end", "consumed_after_grace", "batches",
            "batch_p50_ms", "batch_p99_ms", "batch_max_ms", "max_batch_gap_ms", "max_backlog_s", "backlog_at_end_s",
            "lag_p50_ms", "lag_p99_ms",
            "result_latency_samples", "result_latency_p50_ms", "result_latency_p99_ms",
            "keeps_up", "reasons"]
    for st in steps:
        lat = st.get("result_latency_ms") or []
        st["result_latency_p50_ms"] = percentile(lat, 50)
        st["result_latency_p99_ms"] = percentile(lat, 99)
    with open(os.path.join(args.out, "steps.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for st in steps:
            w.writerow(["; ".join(st.get(c) or []) if c == "reasons" else
                        ("" if st.get(c) is None else st.get(c)) for c in cols])

    def best(engine: str) -> dict | None:
        ok = [st for st in steps if st["engine"] == engine and st["label"] == "search"
              and st["keeps_up"]]  # a step during which the broker was fenced never keeps up
        return max(ok, key=lambda st: st["rate"]) if ok else None

    def tried(engine: str) -> bool:
        return any(st["engine"] == engine for st in steps)

    res: dict[str, object] = {}
    b_spate, b_bare, b_spark = best("spate"), best("bare"), best("spark")
    res["sustained_rps"] = b_spate["rate"] if b_spate else (0 if tried("spate") else None)
    res["loadgen_bare_rps"] = b_bare["rate"] if b_bare else (0 if tried("bare") else None)
    res["spark_sustained_rps"] = b_spark["rate"] if b_spark else (0 if tried("spark") else None)
    res["spark_sustained_trigger"] = args.spark_trigger if tried("spark") else None
    res["sustained_batch_p50_ms"] = b_spate["batch_p50_ms"] if b_spate else None
    res["sustained_batch_p99_ms"] = b_spate["batch_p99_ms"] if b_spate else None
    res["sustained_input_rps"] = b_spate["input_rps"] if b_spate else None
    res["sustained_process_rps"] = b_spate["process_rps"] if b_spate else None
    res["spark_sustained_batch_p99_ms"] = b_spark["batch_p99_ms"] if b_spark else None
    # Result latency: the latency run (at half of sustained_rps); else the passing search step
    # nearest to half of it.
    lat_step = None
    runs = [st for st in steps if st["engine"] == "spate" and st["label"] == "latency"]
    if runs:
        lat_step = runs[-1]
    elif b_spate:
        half = b_spate["rate"] / 2
        cands = [st for st in steps if st["engine"] == "spate" and st["keeps_up"]
                 and st.get("result_latency_ms")]
        if cands:
            lat_step = min(cands, key=lambda st: abs(math.log(st["rate"] / half)))
    lat = (lat_step or {}).get("result_latency_ms") or []
    res["result_latency_p50_ms"] = percentile(lat, 50)
    res["result_latency_p99_ms"] = percentile(lat, 99)
    res["result_latency_samples"] = len(lat)
    res["result_latency_rate"] = lat_step["rate"] if lat_step else None
    res["result_latency_keeps_up"] = lat_step["keeps_up"] if lat_step else None
    if lat_step and not lat_step.get("result_latency_field"):
        res["result_latency_note"] = "the master reports no resultLatencyMs"

    def ratio(a, b):
        return round(a / b, 3) if a is not None and b else None

    res["broker_fenced_steps"] = sum(1 for st in steps if st.get("broker_fenced"))
    res["sustained_vs_bare"] = ratio(res["sustained_rps"], res["loadgen_bare_rps"])
    res["sustained_vs_spark"] = ratio(res["sustained_rps"], res["spark_sustained_rps"])
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump({"summary": res, "steps": steps}, f, indent=1)

    # The table, to stderr (stdout is the name=value lines).
    print(f"{'engine':6} {'label':7} {'rate':>9} {'input/s':>9} {'process/s':>9} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'lag p99':>7} keeps up", file=sys.stderr)
    for st in steps:
        print(f"{st['engine']:6} {st['label']:7} {st['rate']:>9.0f} {fmt(st['input_rps']):>9} "
              f"{fmt(st['process_rps']):>9} {fmt(st['batch_p50_ms']):>7} "
              f"{fmt(st['batch_p99_ms']):>7} {fmt(st.get('lag_p99_ms')):>7} "
              f"{'yes' if st['keeps_up'] else 'no: ' + '; '.join(st['reasons'])}",
              file=sys.stderr)
    for k, v in res.items():
        if isinstance(v, float) and v == int(v) and not k.startswith("sustained_vs_"):
            v = int(v)
        if isinstance(v, bool):
            v = "yes" if v else "no"
        print(f"{k}={'n/a' if v is None else v}")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("step")
    s.add_argument("--engine", choices=["spate", "spark", "bare"], required=True)
    s.add_argument("--input", required=True)
    s.add_argument("--label", default="search")
    s.add_argument("--rate", type=float, required=True)
    s.add_argument("--duration-s", type=float, required=True)
    s.add_argument("--warmup-s", type=float, required=True)
    s.add_argument("--grace-ms", type=int, required=True)
    s.add_argument("--trigger-ms", type=int, required=True)
    s.add_argument("--start-ms", type=int, required=True)
    s.add_argument("--end-ms", type=int, required=True)
    s.add_argument("--loadgen-log", required=True)
    s.add_argument("--broker-log", default=None,
                   help="the broker's log, to tell steps during which it was fenced")
    s.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="an extra field of the step (load average, CPU seconds, job id)")
    r = sub.add_parser("report")
    r.add_argument("--steps", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--spark-trigger", default=None)
    args = p.parse_args()
    if args.cmd == "step":
        print(json.dumps(step(args)), flush=True)
        return 0
    return report(args)


if __name__ == "__main__":
    sys.exit(main())
