#!/usr/bin/env python3
"""DuckDB oracle for Spate's SQL tests: expected rows of a query over generated records.

  oracle.py --records DIR/records.jsonl --query CASE.oracle.sql [--late-sim K=V,...]
            [--output rows.jsonl]

Loads the good records (gen_records.py's records.jsonl) into the DuckDB table `logs`, with the
column types the test scripts declare:

  "timestamp" BIGINT, service VARCHAR, severity VARCHAR, user_id VARCHAR, latency_ms INTEGER,
  bytes DOUBLE, ok BOOLEAN, http STRUCT(status INTEGER, method VARCHAR), content VARCHAR,
  rt TIMESTAMP (= epoch_ms("timestamp"), UTC), __partition INTEGER, __offset BIGINT

runs the query (DuckDB SQL, one SELECT) and prints its rows as Spate's file sink writes them:
one JSON object a line keyed by column name, TIMESTAMP as "YYYY-MM-DD HH:MM:SS" with a fraction
only when it is not zero, trailing zeros trimmed ("14:42:50.12"), DOUBLE and DECIMAL results as
JSON numbers (compared with a relative tolerance, see compare()).

Helpers defined on the connection (Flink's semantics where DuckDB's differ):

  tumble_start(ts_ms, size_ms)   floor(ts / size) * size, for any sign of ts
  ts3(ms)                        epoch ms -> TIMESTAMP
  avg_int(x)                     AVG over an integer column as Flink types it: the sum divided by
                                 the count, truncated toward zero; NULL without values
  x // 0 is NULL (as in Spate's plan), not an error; Flink's "/" of integers (truncating) is
                                 written "//" here, and of doubles fdiv(a, b) (NULL for b = 0)

Windows are written in the oracle queries themselves: TUMBLE by tumble_start, HOP by joining
range(0, size / slide) and subtracting j * slide from tumble_start(ts, slide), SESSION by gaps
and islands (a new session where ts - lag(ts) > gap per key, Flink merging windows that touch).

--late-sim max_offsets=M,delay_ms=D,window_ms=W drops the records a micro-batch engine drops as
late when it reads a one-partition topic in batches of M offsets: batch k reads offsets
[k*M, (k+1)*M) and runs under the watermark max(event time of batches < k) - D (none for batch
0); a record is dropped when its tumbling window's end <= that watermark. The number dropped is
in the summary (stderr) and in the `late_dropped` attribute of load().
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import math
import os
import sys
from collections import defaultdict

import duckdb

COLUMNS = {
    "timestamp": "BIGINT",
    "service": "VARCHAR",
    "severity": "VARCHAR",
    "user_id": "VARCHAR",
    "latency_ms": "INTEGER",
    "bytes": "DOUBLE",
    "ok": "BOOLEAN",
    "http": "STRUCT(status INTEGER, method VARCHAR)",
    "content": "VARCHAR",
    "__partition": "INTEGER",
    "__offset": "BIGINT",
}

MACROS = [
    "CREATE MACRO tumble_start(ts, size) AS ts - (((ts % size) + size) % size)",
    "CREATE MACRO ts3(ms) AS epoch_ms(ms)",
    "CREATE MACRO fdiv(a, b) AS CASE WHEN b = 0 THEN NULL ELSE a / b END",
    "CREATE MACRO avg_int(x) AS CASE WHEN count(x) = 0 THEN NULL "
    "ELSE CAST(sum(x) // count(x) AS BIGINT) END",
]


class Loaded:
    """A DuckDB connection holding `logs`, and what loading it found."""

    def __init__(self, con, records: int, late_dropped: int):
        self.con = con
        self.records = records
        self.late_dropped = late_dropped


def parse_late_sim(text: str | None) -> dict | None:
    if not text:
        return None
    out = {}
    for part in text.replace(" ", ",").split(","):
        if not part:
            continue
        k, _, v = part.partition("=")
        out[k.strip()] = int(v)
    for k in ("max_offsets", "delay_ms", "window_ms"):
        if k not in out:
            raise ValueError("--late-sim needs %s" % k)
    return out


def simulate_late(lines: list[str], sim: dict) -> tuple[list[str], int]:
    """The records that survive the batches' watermarks (see the module doc), and how many not."""
    recs = [(json.loads(line), line) for line in lines]
    if any(r["__partition"] != 0 for r, _ in recs):
        raise ValueError("--late-sim works on one-partition data only")
    recs.sort(key=lambda x: x[0]["__offset"])
    m, d, w = sim["max_offsets"], sim["delay_ms"], sim["window_ms"]
    kept, dropped = [], 0
    watermark = None  # of the batch being read
    batch, batch_max, seen_max = 0, None, None
    for r, line in recs:
        b = r["__offset"] // m
        while b > batch:  # batch `batch` ended: the next runs under the max so far minus D
            if batch_max is not None:
                seen_max = batch_max if seen_max is None else max(seen_max, batch_max)
            if seen_max is not None:
                wm = seen_max - d
                watermark = wm if watermark is None else max(watermark, wm)
            batch, batch_max = batch + 1, None
        ts = r["timestamp"]
        end = ts - ts % w + w
        if watermark is not None and end <= watermark:
            dropped += 1
        else:
            kept.append(line)
        batch_max = ts if batch_max is None else max(batch_max, ts)
    return kept, dropped


def load(records_path: str, late_sim: dict | None = None, tmp_dir: str | None = None) -> Loaded:
    con = duckdb.connect()
    con.execute("SET error_on_division_by_zero = false")
    for m in MACROS:
        con.execute(m)
    path = records_path
    dropped = 0
    if late_sim:
        with open(records_path, encoding="utf-8") as f:
            lines = [x for x in f.read().split("\n") if x]
        kept, dropped = simulate_late(lines, late_sim)
        path = os.path.join(tmp_dir or os.path.dirname(os.path.abspath(records_path)),
                            "records.kept.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(x + "\n" for x in kept))
    cols = ", ".join("%s: '%s'" % (json.dumps(k), v) for k, v in COLUMNS.items())
    con.execute(
        "CREATE TABLE logs AS SELECT * EXCLUDE (\"timestamp\"), \"timestamp\", "
        "epoch_ms(\"timestamp\") AS rt FROM read_json(?, format = 'newline_delimited', "
        "columns = {%s})" % cols, [path])
    n = con.execute("SELECT count(*) FROM logs").fetchall()[0][0]
    return Loaded(con, n, dropped)


# --- formatting ------------------------------------------------------------------------------


def format_timestamp(t: dt.datetime) -> str:
    s = t.strftime("%Y-%m-%d %H:%M:%S")
    if t.microsecond:
        s += ("." + "%06d" % t.microsecond).rstrip("0")
    return s


class Double(float):
    """A value that compares with a tolerance (DOUBLE and DECIMAL results)."""


def to_json_value(v, type_name: str):
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return format_timestamp(v)
    if isinstance(v, (dt.date, dt.time)):
        return str(v)
    if isinstance(v, decimal.Decimal) or type_name in ("DOUBLE", "FLOAT"):
        return Double(float(v))
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, str):
        return v
    raise TypeError("oracle: unsupported result value %r of type %s" % (v, type_name))


def query_rows(loaded: Loaded, sql: str) -> list[dict]:
    rel = loaded.con.sql(sql)
    names = rel.columns
    types = [str(t) for t in rel.types]
    rows = []
    for tup in rel.fetchall():
        rows.append({n: to_json_value(v, t) for n, v, t in zip(names, tup, types)})
    return rows


def dumps_row(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


# --- comparison ------------------------------------------------------------------------------


def close(expected: float, actual, rel: float, abs_tol: float = 1e-12) -> bool:
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return False
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    return abs(expected - actual) <= max(rel * max(abs(expected), abs(actual)), abs_tol)


def same_exact(e, a) -> bool:
    # JSON true is not 1, 1 is not 1.0 for an integer column.
    if type(e) is bool or type(a) is bool:
        return type(e) is type(a) and e == a
    if isinstance(e, int) and isinstance(a, float):
        return False
    return e == a


def compare(expected: list[dict], actual: list[dict], approx: dict[str, float] | None = None,
            rel_tol: float = 1e-9, show: int = 15) -> str:
    """'' when `actual` equals `expected` as multisets of rows, else a readable difference.

    Columns whose expected value is a Double compare with a relative tolerance `rel_tol`;
    columns in `approx` (name -> relative tolerance) compare with theirs, at least +-2;
    everything else exactly (key sets included: a missing key is not a null)."""
    approx = approx or {}

    # Columns compared with a tolerance: the approximate ones and those with a Double anywhere.
    tolerant = set(approx) | {k for e in expected for k, v in e.items() if isinstance(v, Double)}

    # Bucket by the exactly-compared part; within a bucket pair rows greedily by tolerance.
    def exact_key(row: dict) -> str:
        return json.dumps(sorted((k, v) for k, v in row.items() if k not in tolerant),
                          ensure_ascii=False, default=str)

    def loose_ok(e: dict, a: dict) -> bool:
        if set(e) != set(a):
            return False
        for k, ev in e.items():
            av = a[k]
            if k in approx:
                if ev is None or av is None:
                    if ev is not av:
                        return False
                elif not (isinstance(av, (int, float)) and not isinstance(av, bool) and
                          abs(av - ev) <= max(2, approx[k] * abs(ev))):
                    return False
            elif k in tolerant and ev is not None:
                if av is None or not close(float(ev), av, rel_tol):
                    return False
            elif not same_exact(ev, av):
                return False
        return True

    buckets: dict[str, list[dict]] = defaultdict(list)
    for e in expected:
        buckets[exact_key(e)].append(e)
    unmatched_actual = []
    for a in actual:
        cand = buckets.get(exact_key(a))
        hit = None
        if cand:
            for i, e in enumerate(cand):
                if loose_ok(e, a):
                    hit = i
                    break
        if hit is None:
            unmatched_actual.append(a)
        else:
            cand.pop(hit)
    missing = [e for rows in buckets.values() for e in rows]
    if not missing and not unmatched_actual:
        return ""
    out = ["expected %d rows, got %d: %d missing, %d unexpected" % (
        len(expected), len(actual), len(missing), len(unmatched_actual))]
    missing_s = sorted(dumps_row(x) for x in missing)
    unexp_s = sorted(dumps_row(x) for x in unmatched_actual)
    for x in missing_s[:show]:
        out.append("  missing:    " + x)
    if len(missing_s) > show:
        out.append("  ... %d more missing" % (len(missing_s) - show))
    for x in unexp_s[:show]:
        out.append("  unexpected: " + x)
    if len(unexp_s) > show:
        out.append("  ... %d more unexpected" % (len(unexp_s) - show))
    dups = duplicates(actual)
    if dups:
        out.append("  rows written more than once: %d (e.g. %s)" % (len(dups), dups[0]))
    return "\n".join(out)


def duplicates(rows: list[dict]) -> list[str]:
    seen: dict[str, int] = defaultdict(int)
    for r in rows:
        seen[json.dumps(r, sort_keys=True, ensure_ascii=False)] += 1
    return [k for k, n in seen.items() if n > 1]


# --- command line ----------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", required=True)
    ap.add_argument("--query", required=True, help="file with one DuckDB SELECT")
    ap.add_argument("--late-sim", help="max_offsets=M,delay_ms=D,window_ms=W")
    ap.add_argument("--output", help="rows file (default stdout)")
    args = ap.parse_args(argv)
    with open(args.query, encoding="utf-8") as f:
        sql = f.read()
    loaded = load(args.records, parse_late_sim(args.late_sim))
    rows = query_rows(loaded, sql)
    text = "".join(sorted(dumps_row(r) + "\n" for r in rows))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    print("oracle: records=%d late_dropped=%d rows=%d" % (loaded.records, loaded.late_dropped,
                                                         len(rows)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
