#!/usr/bin/env python3
"""Deterministic JSON log records for Spate's SQL tests, and a way to put them into Kafka.

  gen_records.py generate --out DIR [--seed S] [--count N] [--partitions P] [--malformed M] ...
  gen_records.py produce --dir DIR --bootstrap HOST:PORT --topic T [--burst K --bursts N]

`generate` writes, as a pure function of its options (Python's random.Random(seed), nothing
else):

  DIR/records.jsonl   the good records, one canonical JSON object a line (UTF-8, no escapes
                      but the ones JSON needs), for the oracle; each carries two extra fields,
                      `__partition` and `__offset`, saying where it lies in Kafka (the oracle
                      ignores them except for the late-data simulation).
  DIR/part-<p>.txt    the raw Kafka values of partition p in produce order, one a line (the
                      good records written in several equivalent ways -- \\u escapes, spaces,
                      duplicate keys whose first occurrence counts, unknown fields -- and the
                      malformed lines, some with bytes that are not UTF-8).
  DIR/meta.json       counts: good, malformed (by kind), per partition, event-time range.

The schema the tests declare:

  `timestamp` BIGINT (epoch ms), service STRING, severity STRING, user_id STRING,
  latency_ms INT, bytes DOUBLE, ok BOOLEAN, http ROW<status INT, method STRING>,
  content STRING

Every good record has an integer `timestamp`; any other field may be missing or JSON null, and
`http` may be missing, null, {} or partial. Record i's base time is start + i * span / count;
a fraction of records lie up to --disorder-ms before it, and some sit exactly on (or 1 ms
before) a multiple of 5 s, always within --disorder-ms of the base time. Record i goes to
partition i mod P, so within a partition no record is more than --disorder-ms behind the
largest event time before it: with a watermark delay above --disorder-ms nothing is late.

Malformed lines (exactly --malformed of them, spread over the partitions) are malformed for any
query: not JSON, JSON that is not an object, or objects in which every declared column has a
wrong type, bytes that are not UTF-8 or lone surrogates (so the count does not depend on which
columns a query reads).

--profile late: one partition, in order, no malformed lines, and --late records placed right
after offset --late-after whose event time is --late-behind-ms behind the largest before them
(the late-data case: see oracle.py --late-sim).

`produce` sends each partition's lines with `kcat -P -p <p> -l` (one kcat per partition, run
together), so the topic holds exactly the generated values in the generated order per partition.
With --bursts N --burst K it sends only the K-th of N contiguous slices of every partition
(K = 0..N-1), for tests that produce while a job runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

T0 = 1768142570000  # 2026-01-11 14:42:50 UTC, a 10 s window start

SERVICES = ["api", "api", "api", "web", "web", "db", "auth", "billing", "search", "Café-svc", "ÉTÉ"]
SEVERITIES = ["Low", "Low", "Medium", "Medium", "High", "High", "Critical", "HIGH", "critical",
              "hIgh", "Info"]
METHODS = ["GET", "GET", "GET", "POST", "POST", "PUT", "DELETE"]
STATUSES = [200, 200, 200, 200, 201, 204, 301, 404, 404, 500, 503]
SPECIAL_USERS = ['quo"te', "back\\slash", "café", "emoji😀", "ü-ser", "tab\tuser", "Zoë/ünïcode"]
CONTENTS = [
    "User login succeeded",
    "Application crash detected in module {m}",
    "CRASH in worker {m}",
    "Crashed unexpectedly after {m} retries",
    "cache miss for key {m}",
    "nothing to see here",
    "craSh loop back-off in pod {m}",
    "crush the numbers ({m})",
    "Überprüfung fehlgeschlagen: {m}",
    "emoji 💥 crash in {m}",
    'quoted "crash" and back\\slash {m}',
    "request served in {m} ms",
    "disk usage at {m} percent",
]


def weighted_user(rng: random.Random, users: int) -> str:
    # Zipf-like over user_0..user_{users-1}: a few users have many records, many have few.
    r = rng.random()
    if r < 0.04:
        return rng.choice(SPECIAL_USERS)
    k = int(users ** rng.random()) - 1  # log-uniform over 0 .. users-1
    return "user_%d" % max(0, min(users - 1, k))


def maybe(rng: random.Random, value, p_missing: float, p_null: float):
    """The value, or the marker MISSING, or None (JSON null)."""
    r = rng.random()
    if r < p_missing:
        return MISSING
    if r < p_missing + p_null:
        return None
    return value


class _Missing:
    pass


MISSING = _Missing()


def make_record(rng: random.Random, ts: int, users: int) -> dict:
    rec: dict = {"timestamp": ts}
    rec["service"] = maybe(rng, rng.choice(SERVICES), 0.02, 0.02)
    rec["severity"] = maybe(rng, rng.choice(SEVERITIES), 0.02, 0.02)
    rec["user_id"] = maybe(rng, weighted_user(rng, users), 0.01, 0.01)
    lat = int(rng.expovariate(1 / 300.0))
    if rng.random() < 0.005:
        lat = -rng.randint(1, 7)  # AVG over integers truncates toward zero, as Flink does
    rec["latency_ms"] = maybe(rng, lat, 0.02, 0.02)
    r = rng.random()
    if r < 0.1:
        b: float = float(rng.randint(0, 5000))  # integral doubles (written as 12 or 12.0)
    else:
        b = round(rng.uniform(0, 100000), rng.choice([0, 1, 3, 6]))
    rec["bytes"] = maybe(rng, b, 0.02, 0.02)
    rec["ok"] = maybe(rng, rng.random() < 0.8, 0.03, 0.03)
    r = rng.random()
    if r < 0.78:
        rec["http"] = {"status": rng.choice(STATUSES), "method": rng.choice(METHODS)}
    elif r < 0.88:
        rec["http"] = MISSING
    elif r < 0.94:
        rec["http"] = None
    elif r < 0.96:
        rec["http"] = {}
    elif r < 0.98:
        rec["http"] = {"method": rng.choice(METHODS)}
    else:
        rec["http"] = {"status": None, "method": rng.choice(METHODS)}
    rec["content"] = maybe(rng, rng.choice(CONTENTS).format(m=rng.randint(0, 99)), 0.02, 0.02)
    # Field order varies; absent fields are dropped.
    items = [(k, v) for k, v in rec.items() if v is not MISSING]
    if rng.random() < 0.3:
        rng.shuffle(items)
    return dict(items)


def canonical(rec: dict) -> str:
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"))


def payload(rng: random.Random, rec: dict) -> bytes:
    """One of several JSON texts for the same record."""
    r = rng.random()
    items = list(rec.items())
    extra = []
    if rng.random() < 0.1:
        extra.append(("extra", {"trace": [1, 2.5, {"a": None, "b": [True, False]}], "note": "x"}))
    if rng.random() < 0.05:
        extra.append(("tags", ["a", "b", "crash"]))
    for e in extra:
        items.insert(rng.randint(0, len(items)), e)

    def val(v, ascii_only: bool) -> str:
        if isinstance(v, float) and v.is_integer() and rng.random() < 0.5:
            return str(int(v))  # a JSON integer for a DOUBLE column
        return json.dumps(v, ensure_ascii=ascii_only, separators=(",", ":"))

    if r < 0.65:
        text = "{" + ",".join(json.dumps(k) + ":" + val(v, False) for k, v in items) + "}"
    elif r < 0.85:
        # \u escapes everywhere (é as \u00e9, emoji as a surrogate pair), spaces around tokens.
        text = "{ " + " , ".join(json.dumps(k) + " : " + val(v, True) for k, v in items) + " }"
    elif r < 0.92:
        # Escaped slashes and a tab between tokens.
        text = "{\t" + ",\t".join(
            json.dumps(k) + ":" + val(v, False).replace("/", "\\/") for k, v in items) + "}"
    else:
        # Duplicate keys: the first occurrence counts, a later one (same type) is ignored.
        dup = [(k, v) for k, v in rec.items() if isinstance(v, str) or
               (isinstance(v, int) and not isinstance(v, bool) and k != "timestamp")]
        parts = [json.dumps(k) + ":" + val(v, False) for k, v in items]
        for k, v in dup[:2]:
            bogus = "dup" if isinstance(v, str) else 999999
            parts.append(json.dumps(k) + ":" + json.dumps(bogus))
        text = "{" + ",".join(parts) + "}"
    return text.encode("utf-8")


# Malformed for every query: every declared column fails, or the value is not an object at all.
_ALL_WRONG = [
    b'not json at all',
    b'{"timestamp": 1768142570000, "service": "api"',
    b'[1, 2, 3]',
    b'42',
    b'"just a string"',
    b'null',
    b'{"timestamp": NaN, "service": "api"}',
    b'{"timestamp": 1768142570000} trailing',
    (b'{"timestamp":"soon","service":1,"severity":true,"user_id":{"a":1},"latency_ms":"12",'
     b'"bytes":"x","ok":"yes","http":{"status":"200","method":5},"content":[1]}'),
    (b'{"timestamp":1.5,"service":[],"severity":2,"user_id":3,"latency_ms":3000000000,'
     b'"bytes":true,"ok":1,"http":{"status":1.5,"method":false},"content":{}}'),
    (b'{"timestamp":"\xff\xfe","service":"\xc3\x28","severity":"\xe2\x82","user_id":"u\xff",'
     b'"latency_ms":"\xfe","bytes":"\xff","ok":"\xc0\xaf","http":{"status":"\xff","method":"\xfe"},'
     b'"content":"crash \xff"}'),
    (b'{"timestamp":"\\ud800","service":"\\ud800","severity":"\\udc00x","user_id":"a\\ud800",'
     b'"latency_ms":"\\ud800","bytes":"\\ud800","ok":"\\ud800",'
     b'"http":{"status":"\\ud800","method":"\\ud800"},"content":"crash \\ud800"}'),
]
MALFORMED_KINDS = ["not_json", "truncated", "array", "number", "string", "null", "nan",
                   "trailing", "wrong_types", "wrong_types_numbers", "invalid_utf8",
                   "lone_surrogate"]


def generate(args) -> dict:
    rng = random.Random(args.seed)
    parts: list[list[bytes]] = [[] for _ in range(args.partitions)]
    good: list[str] = []
    min_ts = max_ts = None
    edge_records = 0

    def emit(p: int, rec: dict, raw: bytes):
        nonlocal min_ts, max_ts
        out = dict(rec)
        out["__partition"] = p
        out["__offset"] = len(parts[p])
        good.append(canonical(out))
        parts[p].append(raw)
        ts = rec["timestamp"]
        min_ts = ts if min_ts is None else min(min_ts, ts)
        max_ts = ts if max_ts is None else max(max_ts, ts)

    # Where the malformed lines go: fixed positions in the stream of records.
    mal_at: dict[int, list[int]] = {}
    for j in range(args.malformed):
        mal_at.setdefault(rng.randrange(args.count + 1), []).append(j)
    malformed_by_kind: dict[str, int] = {}
    late_done = 0
    prev_max = None
    for i in range(args.count + 1):
        for j in mal_at.get(i, []):
            k = j % len(_ALL_WRONG)
            malformed_by_kind[MALFORMED_KINDS[k]] = malformed_by_kind.get(MALFORMED_KINDS[k], 0) + 1
            parts[rng.randrange(args.partitions)].append(_ALL_WRONG[k])
        if i == args.count:
            break
        base = args.start_ms + (i * args.span_ms) // args.count
        ts = base
        if rng.random() < args.disorder_fraction:
            ts = base - rng.randint(0, args.disorder_ms)
        if rng.random() < 0.04:
            # On a 5 s edge (or 1 ms before it) at most disorder_ms before the base time.
            edge = base - base % 5000
            cand = [e for e in (edge, edge - 1) if base - e <= args.disorder_ms]
            if cand:
                ts = rng.choice(cand)
                edge_records += 1
        p = i % args.partitions
        rec = make_record(rng, ts, args.users)
        emit(p, rec, payload(rng, rec))
        prev_max = ts if prev_max is None else max(prev_max, ts)
        if args.profile == "late" and i + 1 == args.late_after:
            for _ in range(args.late):
                lts = prev_max - args.late_behind_ms - rng.randint(0, 2000)
                lrec = make_record(rng, lts, args.users)
                lrec["service"] = "late-svc"
                emit(p, lrec, payload(rng, lrec))
                late_done += 1

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "records.jsonl"), "w", encoding="utf-8") as f:
        for line in good:
            f.write(line + "\n")
    for p, lines in enumerate(parts):
        with open(os.path.join(args.out, "part-%d.txt" % p), "wb") as f:
            for line in lines:
                assert b"\n" not in line
                f.write(line + b"\n")
    meta = {
        "seed": args.seed,
        "profile": args.profile,
        "partitions": args.partitions,
        "good": len(good),
        "malformed": sum(malformed_by_kind.values()),
        "malformed_by_kind": dict(sorted(malformed_by_kind.items())),
        "total": sum(len(x) for x in parts),
        "per_partition": [len(x) for x in parts],
        "late_inserted": late_done,
        "edge_records": edge_records,
        "min_ts": min_ts,
        "max_ts": max_ts,
        "disorder_ms": args.disorder_ms,
    }
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def produce(args) -> int:
    with open(os.path.join(args.dir, "meta.json")) as f:
        meta = json.load(f)
    procs = []
    with tempfile.TemporaryDirectory(prefix="spate-gen-") as tmp:
        for p in range(meta["partitions"]):
            with open(os.path.join(args.dir, "part-%d.txt" % p), "rb") as f:
                lines = f.read().split(b"\n")[:-1]
            lo = len(lines) * args.burst // args.bursts
            hi = len(lines) * (args.burst + 1) // args.bursts
            if hi <= lo:
                continue
            path = os.path.join(tmp, "p%d.txt" % p)
            with open(path, "wb") as f:
                f.write(b"".join(x + b"\n" for x in lines[lo:hi]))
            cmd = [args.kcat, "-P", "-b", args.bootstrap, "-t", args.topic, "-p", str(p),
                   "-X", "linger.ms=5", "-l", path]
            procs.append((cmd, subprocess.Popen(cmd, stderr=subprocess.PIPE)))
        rc = 0
        for cmd, proc in procs:
            try:
                _, err = proc.communicate(timeout=args.timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
                print("gen_records: %s timed out" % " ".join(cmd), file=sys.stderr)
                rc = 1
                continue
            if proc.returncode != 0:
                print("gen_records: %s exited %d: %s" % (" ".join(cmd), proc.returncode,
                                                        err.decode("utf-8", "replace")),
                      file=sys.stderr)
                rc = 1
    return rc


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--out", required=True)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--count", type=int, default=20000, help="good records (before --late ones)")
    g.add_argument("--partitions", type=int, default=4)
    g.add_argument("--start-ms", type=int, default=T0)
    g.add_argument("--span-ms", type=int, default=120_000)
    g.add_argument("--disorder-ms", type=int, default=2500)
    g.add_argument("--disorder-fraction", type=float, default=0.3)
    g.add_argument("--users", type=int, default=60)
    g.add_argument("--malformed", type=int, default=48)
    g.add_argument("--profile", choices=["main", "late"], default="main")
    g.add_argument("--late", type=int, default=0, help="late profile: late records to insert")
    g.add_argument("--late-after", type=int, default=0,
                   help="late profile: insert them after this many records")
    g.add_argument("--late-behind-ms", type=int, default=30_000)
    p = sub.add_parser("produce")
    p.add_argument("--dir", required=True)
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--burst", type=int, default=0)
    p.add_argument("--bursts", type=int, default=1)
    p.add_argument("--kcat", default="kcat")
    p.add_argument("--timeout-s", type=float, default=120)
    args = ap.parse_args(argv)
    if args.cmd == "generate":
        if args.profile == "late":
            if args.partitions != 1 or args.malformed != 0:
                ap.error("--profile late wants --partitions 1 --malformed 0")
            if not 0 < args.late_after <= args.count:
                ap.error("--profile late wants 0 < --late-after <= --count")
        meta = generate(args)
        print(json.dumps(meta))
        return 0
    if not 0 <= args.burst < args.bursts:
        ap.error("--burst must be in [0, --bursts)")
    return produce(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
