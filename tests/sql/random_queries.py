#!/usr/bin/env python3
"""Differential test: seeded random queries in Flink's dialect, each run on Spate and on DuckDB
(oracle.py) over the same records, compared as multisets of rows.

  random_queries.py --seed S [--count 20] [--only I] --dataset DIR:TOPIC --work SCRATCH \\
      --bin-dir build/bin --master spate://127.0.0.1:PORT --bootstrap B
  random_queries.py --seed S --print [--only I]     (the queries, nothing run)
  random_queries.py --seed S --oracle-only --dataset DIR

Query i is a pure function of (seed, i): a window (none, TUMBLE, HOP or SESSION, of random
sizes), 0-2 group keys among the string, integer, boolean and nested columns (and expressions
of them), 1-3 aggregates, a random WHERE (AND/OR/NOT over comparisons that are NULL on NULL
input, IN, BETWEEN, LIKE, ILIKE, IS [NOT] NULL, IS NOT TRUE...) and sometimes HAVING. SESSION
queries have no WHERE (Spate filters before sessionizing, the SQL standard after: the two
differ, so that case is covered with a view in cases/session_over_view.sql) and partition by
plain columns. On a mismatch it prints the seed, the query's index, both queries and the
difference; --only I reruns one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import oracle  # noqa: E402

SOURCE_DDL = """CREATE TABLE logs (
  `timestamp` BIGINT,
  service STRING,
  severity STRING,
  user_id STRING,
  latency_ms INT,
  `bytes` DOUBLE,
  ok BOOLEAN,
  http ROW<status INT, method STRING>,
  content STRING,
  rt AS TO_TIMESTAMP_LTZ(`timestamp`, 3),
  WATERMARK FOR rt AS rt - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${topic}',
  'properties.bootstrap.servers' = '${bootstrap}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'json'
);
"""

# (Flink expression, DuckDB expression, type); `plain` keys may partition a SESSION.
KEYS = [
    ("service", "service", "STRING", True),
    ("severity", "severity", "STRING", True),
    ("user_id", "user_id", "STRING", True),
    ("ok", "ok", "BOOLEAN", True),
    ("http.status", "http.status", "INT", False),
    ("http.method", "http.method", "STRING", False),
    ("UPPER(severity)", "upper(severity)", "STRING", False),
    ("latency_ms / 500", "latency_ms // 500", "INT", False),
    ("COALESCE(http.status, -1)", "coalesce(http.status, -1)", "INT", False),
    ("CHAR_LENGTH(user_id)", "length(user_id)", "INT", False),
]

# (Flink, DuckDB, result type, approximate?)
AGGS = [
    ("COUNT(*)", "count(*)", "BIGINT"),
    ("COUNT(latency_ms)", "count(latency_ms)", "BIGINT"),
    ("COUNT(http.status)", "count(http.status)", "BIGINT"),
    ("COUNT(ok)", "count(ok)", "BIGINT"),
    ("COUNT(user_id)", "count(user_id)", "BIGINT"),
    ("COUNT(DISTINCT user_id)", "count(DISTINCT user_id)", "BIGINT"),
    ("COUNT(DISTINCT service)", "count(DISTINCT service)", "BIGINT"),
    ("COUNT(DISTINCT http.status)", "count(DISTINCT http.status)", "BIGINT"),
    ("SUM(latency_ms)", "sum(latency_ms)", "BIGINT"),
    ("SUM(`bytes`)", "sum(bytes)", "DOUBLE"),
    ("MIN(latency_ms)", "min(latency_ms)", "INT"),
    ("MAX(latency_ms)", "max(latency_ms)", "INT"),
    ("MIN(`bytes`)", "min(bytes)", "DOUBLE"),
    ("MAX(`bytes`)", "max(bytes)", "DOUBLE"),
    ("MIN(user_id)", "min(user_id)", "STRING"),
    ("MAX(service)", "max(service)", "STRING"),
    ("MIN(`timestamp`)", 'min("timestamp")', "BIGINT"),
    ("MAX(`timestamp`)", 'max("timestamp")', "BIGINT"),
    ("AVG(latency_ms)", "avg_int(latency_ms)", "INT"),
    ("AVG(`bytes`)", "avg(bytes)", "DOUBLE"),
    ("AVG(http.status)", "avg_int(http.status)", "INT"),
    ("APPROX_COUNT_DISTINCT(user_id)", "count(DISTINCT user_id)", "BIGINT~"),
]


def atom(rng: random.Random) -> tuple[str, str]:
    """One predicate (Flink, DuckDB); most are NULL for NULL input."""
    c = rng.randint(50, 1500)
    b = rng.choice([1000, 5000, 20000, 50000, 90000])
    lo = rng.randint(0, 600)
    hi = lo + rng.randint(0, 900)
    st = rng.choice([200, 301, 404, 500])
    svc = rng.choice(["'api'", "'web'", "'db'", "'ÉTÉ'", "'Café-svc'"])
    options = [
        ("latency_ms > %d" % c, None),
        ("latency_ms <= %d" % c, None),
        ("`bytes` < %d" % b, "bytes < %d" % b),
        ("`bytes` >= %d.5" % b, "bytes >= %d.5" % b),
        ("service = %s" % svc, None),
        ("service <> %s" % svc, None),
        ("service IN ('api', 'db', %s)" % svc, None),
        ("service NOT IN ('web', %s)" % svc, None),
        ("UPPER(severity) IN ('HIGH', 'CRITICAL')", "upper(severity) IN ('HIGH', 'CRITICAL')"),
        ("severity = 'Low'", None),
        ("ok", None),
        ("NOT ok", None),
        ("ok IS NULL", None),
        ("ok IS NOT TRUE", None),
        ("ok = FALSE", None),
        ("http.status >= 400", None),
        ("http.status = %d" % st, None),
        ("http.status IS NULL", None),
        ("http.method = 'GET'", None),
        ("http.method IS NOT NULL", None),
        ("user_id LIKE 'user_1%'", None),
        ("user_id IS NOT NULL", None),
        ("CHAR_LENGTH(user_id) > 6", "length(user_id) > 6"),
        ("content ILIKE '%crash%'", None),
        ("LOWER(content) LIKE '%crash%'", "lower(content) LIKE '%crash%'"),
        ("content LIKE 'C%'", None),
        ("REGEXP_LIKE(content, '[0-9]{2}$')", "regexp_matches(content, '[0-9]{2}$')"),
        ("latency_ms BETWEEN %d AND %d" % (lo, hi), None),
        ("latency_ms NOT BETWEEN %d AND %d" % (lo, hi), None),
        ("COALESCE(http.status, 0) < 300", "coalesce(http.status, 0) < 300"),
        ("`timestamp` %% 1000 < %d" % rng.randint(100, 900), None),
        ("latency_ms IN (%d, %d, NULL)" % (rng.randint(0, 300), rng.randint(0, 300)), None),
    ]
    f, d = rng.choice(options)
    if d is None:
        d = f.replace("`timestamp`", '"timestamp"').replace("%%", "%")
        f = f.replace("%%", "%")
    return f, d


def predicate(rng: random.Random, depth: int = 0) -> tuple[str, str]:
    r = rng.random()
    if depth >= 2 or r < 0.4:
        return atom(rng)
    if r < 0.55:
        f, d = predicate(rng, depth + 1)
        return "NOT (%s)" % f, "NOT (%s)" % d
    op = "AND" if r < 0.8 else "OR"
    f1, d1 = predicate(rng, depth + 1)
    f2, d2 = predicate(rng, depth + 1)
    return "(%s %s %s)" % (f1, op, f2), "(%s %s %s)" % (d1, op, d2)


class Query:
    def __init__(self, index: int, sub_seed: int):
        self.index, self.sub_seed = index, sub_seed
        rng = random.Random(sub_seed)
        r = rng.random()
        if r < 0.2:
            self.window = ("none",)
        elif r < 0.55:
            self.window = ("tumble", rng.choice([5, 10, 20, 30]) * 1000)
        elif r < 0.8:
            self.window = ("hop",) + rng.choice([(10, 5), (20, 10), (30, 10), (15, 5)])
            self.window = ("hop", self.window[1] * 1000, self.window[2] * 1000)
        else:
            self.window = ("session", rng.choice([1, 2, 3, 5]) * 1000)
        pool = [k for k in KEYS if k[3]] if self.window[0] == "session" else KEYS
        nkeys = rng.choice([0, 1, 1, 1, 2, 2]) if self.window[0] != "none" else rng.choice([0, 1, 1, 2])
        self.keys = rng.sample(pool, nkeys)
        self.aggs = rng.sample(AGGS, rng.randint(1, 3))
        self.where = None
        if self.window[0] != "session" and rng.random() < 0.85:
            self.where = predicate(rng)
        self.having = None
        if rng.random() < 0.3:
            k = rng.randint(1, 6)
            self.having = rng.choice([
                ("COUNT(*) > %d" % k, "count(*) > %d" % k),
                ("SUM(latency_ms) > %d" % (k * 400), "sum(latency_ms) > %d" % (k * 400)),
                ("MAX(latency_ms) - MIN(latency_ms) >= %d" % (k * 100),
                 "max(latency_ms) - min(latency_ms) >= %d" % (k * 100)),
            ])

    def columns(self) -> list[tuple[str, str]]:
        cols = []
        if self.window[0] != "none":
            cols += [("window_start", "TIMESTAMP(3)"), ("window_end", "TIMESTAMP(3)")]
        cols += [("k%d" % i, k[2]) for i, k in enumerate(self.keys)]
        cols += [("a%d" % i, a[2].rstrip("~")) for i, a in enumerate(self.aggs)]
        return cols

    def approx(self) -> dict[str, float]:
        return {"a%d" % i: 0.1 for i, a in enumerate(self.aggs) if a[2].endswith("~")}

    def flink(self) -> str:
        sink = "CREATE TABLE out_rows (\n  %s\n) WITH ('connector' = 'filesystem', " \
               "'path' = '${out}', 'format' = 'json');\n" % ",\n  ".join(
                   "%s %s" % c for c in self.columns())
        sel = []
        group = []
        w = self.window
        if w[0] != "none":
            sel += ["window_start", "window_end"]
            group += ["window_start", "window_end"]
        sel += ["%s AS k%d" % (k[0], i) for i, k in enumerate(self.keys)]
        group += [k[0] for k in self.keys]
        sel += ["%s AS a%d" % (a[0], i) for i, a in enumerate(self.aggs)]
        if w[0] == "none":
            src = "logs"
        elif w[0] == "tumble":
            src = "TABLE(TUMBLE(TABLE logs, DESCRIPTOR(rt), INTERVAL '%d' SECOND))" % (w[1] // 1000)
        elif w[0] == "hop":
            src = "TABLE(HOP(TABLE logs, DESCRIPTOR(rt), INTERVAL '%d' SECOND, INTERVAL '%d' " \
                  "SECOND))" % (w[2] // 1000, w[1] // 1000)
        else:
            part = ""
            if len(self.keys) == 1:
                part = " PARTITION BY %s" % self.keys[0][0]
            elif self.keys:
                part = " PARTITION BY (%s)" % ", ".join(k[0] for k in self.keys)
            src = "TABLE(SESSION(TABLE logs%s, DESCRIPTOR(rt), INTERVAL '%d' SECOND))" % (
                part, w[1] // 1000)
        q = "INSERT INTO out_rows\nSELECT %s\nFROM %s" % (", ".join(sel), src)
        if self.where:
            q += "\nWHERE %s" % self.where[0]
        if group:
            q += "\nGROUP BY %s" % ", ".join(group)
        if self.having:
            q += "\nHAVING %s" % self.having[0]
        return "-- random query %d (sub-seed %d)\n%s%s%s;\n" % (
            self.index, self.sub_seed, SOURCE_DDL, sink, q)

    def duck(self) -> str:
        w = self.window
        inner_cols = ["*"] + ["%s AS __k%d" % (k[1], i) for i, k in enumerate(self.keys)]
        where = " WHERE %s" % self.where[1] if self.where else ""
        keys = ["__k%d" % i for i in range(len(self.keys))]
        sel_keys = ["__k%d AS k%d" % (i, i) for i in range(len(self.keys))]
        aggs = ["%s AS a%d" % (a[1], i) for i, a in enumerate(self.aggs)]
        having = [self.having[1]] if self.having else []
        if w[0] == "none":
            q = "SELECT %s FROM (SELECT %s FROM logs%s) t" % (
                ", ".join(sel_keys + aggs), ", ".join(inner_cols), where)
            if keys:
                q += " GROUP BY %s" % ", ".join(keys)
            else:
                having.append("count(*) > 0")  # no input, no group, no row (as streaming)
        elif w[0] in ("tumble", "hop"):
            if w[0] == "tumble":
                size, slide = w[1], w[1]
            else:
                size, slide = w[1], w[2]
            inner = 'SELECT %s, tumble_start("timestamp", %d) - j * %d AS __ws FROM logs, ' \
                    "range(0, %d) AS r(j)%s" % (", ".join(inner_cols), slide, slide,
                                               size // slide, where)
            q = "SELECT ts3(__ws) AS window_start, ts3(__ws + %d) AS window_end, %s FROM (%s) t " \
                "GROUP BY %s" % (size, ", ".join(sel_keys + aggs), inner, ", ".join(["__ws"] + keys))
        else:
            gap = w[1]
            part = ("PARTITION BY %s " % ", ".join(keys)) if keys else ""
            q = ("WITH k AS (SELECT %s FROM logs%s), "
                 's AS (SELECT *, CASE WHEN "timestamp" - lag("timestamp") OVER w > %d THEN 1 '
                 "ELSE 0 END AS __new FROM k WINDOW w AS (%sORDER BY \"timestamp\")), "
                 "g AS (SELECT *, sum(__new) OVER (%sORDER BY \"timestamp\" ROWS UNBOUNDED "
                 "PRECEDING) AS __sid FROM s) "
                 'SELECT ts3(min("timestamp")) AS window_start, ts3(max("timestamp") + %d) AS '
                 "window_end, %s FROM g GROUP BY %s") % (
                     ", ".join(inner_cols), where, gap, part, part, gap,
                     ", ".join(sel_keys + aggs), ", ".join(keys + ["__sid"]))
        if having:
            q += " HAVING %s" % " AND ".join("(%s)" % h for h in having)
        return q


def queries(seed: int, count: int) -> list[Query]:
    rng = random.Random(seed)
    return [Query(i, rng.randrange(2**31)) for i in range(count)]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SPATE_SQL_SEED", "20261203")))
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--only", type=int, action="append", default=[], help="run query I only")
    ap.add_argument("--dataset", help="DIR[:TOPIC] of gen_records.py")
    ap.add_argument("--bin-dir", default=os.environ.get("SPATE_BIN_DIR", "build/bin"))
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--bootstrap", default=os.environ.get("SPATE_BOOTSTRAP", "127.0.0.1:19092"))
    ap.add_argument("--work")
    ap.add_argument("--timeout-s", type=float, default=60)
    ap.add_argument("--print", action="store_true", help="print the queries, run nothing")
    ap.add_argument("--oracle-only", action="store_true")
    args = ap.parse_args(argv)
    qs = queries(args.seed, max(args.count, max(args.only, default=-1) + 1))
    if args.only:
        qs = [qs[i] for i in args.only]
    if args.print:
        for q in qs:
            print(q.flink())
            print("-- DuckDB:\n" + q.duck() + "\n")
        return 0
    if not args.dataset:
        ap.error("--dataset is required")
    data_dir, _, topic = args.dataset.partition(":")
    with open(os.path.join(data_dir, "meta.json")) as f:
        meta = json.load(f)
    loaded = oracle.load(os.path.join(data_dir, "records.jsonl"))
    env = None
    if not args.oracle_only:
        if not args.work or not topic:
            ap.error("--work and --dataset DIR:TOPIC are required")
        os.makedirs(args.work, exist_ok=True)
        env = harness.Env(args.bin_dir, args.master, args.bootstrap, args.work,
                          [] if args.master.startswith("local") else
                          ["--num-executors", "2", "--executor-cores", "1", "--conf",
                           "spate.sql.shuffle.partitions=3"], args.timeout_s)
    verdicts = harness.Verdicts()
    started = time.monotonic()
    print("random queries: seed %d, %d queries" % (args.seed, len(qs)), flush=True)
    for q in qs:
        name = "random-%d" % q.index
        header = "seed %d, query %d (rerun: random_queries.py --seed %d --only %d)\n%s\n" \
                 "-- DuckDB:\n%s\n" % (args.seed, q.index, args.seed, q.index, q.flink(), q.duck())
        try:
            expected = oracle.query_rows(loaded, q.duck())
            # A query with no rows proves little: take the next sub-seed (still a function of
            # the seed and the data).
            for _ in range(8):
                if expected:
                    break
                q = Query(q.index, q.sub_seed + 1)
                expected = oracle.query_rows(loaded, q.duck())
        except Exception as e:
            verdicts.fail(name, header + "oracle query failed: %s" % e)
            continue
        header = "seed %d, query %d (rerun: random_queries.py --seed %d --only %d)\n%s\n" \
                 "-- DuckDB:\n%s\n" % (args.seed, q.index, args.seed, q.index, q.flink(), q.duck())
        if args.oracle_only:
            verdicts.ok(name, "%s, oracle %d rows" % (q.window[0], len(expected)))
            continue
        case_dir = os.path.join(env.work, name)
        os.makedirs(case_dir, exist_ok=True)
        out_dir = os.path.join(case_dir, "out")
        script = os.path.join(case_dir, "script.sql")
        with open(script, "w", encoding="utf-8") as f:
            f.write(harness.render(q.flink(), topic, env.bootstrap, out_dir))
        r = harness.submit(env, script, [])
        with open(os.path.join(case_dir, "submit.log"), "w", encoding="utf-8") as f:
            f.write("exit %d\n--- stdout\n%s\n--- stderr\n%s" % (r.rc, r.stdout, r.stderr))
        if r.rc != 0:
            verdicts.fail(name, header + "spate-submit exited %d%s\n%s" % (
                r.rc, " (timed out)" if r.timed_out else "", harness.tail(r.stderr)))
            continue
        actual, bad = harness.read_sink(out_dir)
        diff = oracle.compare(expected, actual, q.approx())
        if bad:
            diff = ("%d sink lines are not JSON objects, e.g. %s\n" % (len(bad), bad[0])) + diff
        if diff:
            verdicts.fail(name, header + diff)
        else:
            verdicts.ok(name, "%s, %d rows, %.1f s" % (q.window[0], len(actual), r.seconds))
    print("random queries took %.1f s (%d records)" % (time.monotonic() - started, meta["good"]))
    return verdicts.summary("random queries")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
