#!/usr/bin/env python3
"""Self-check of gen_records.py and oracle.py against hand-computed answers (python only, no
Kafka, no Spate). Run with the SQL tests' venv: $(tests/sql/venv.sh) tests/sql/test_oracle_selftest.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402

T0 = 1768142570000  # 2026-01-11 14:42:50 UTC


def rec(ts, **kw) -> dict:
    r = {"timestamp": ts}
    r.update(kw)
    r.setdefault("__partition", 0)
    return r


def load(records: list[dict], late_sim=None) -> oracle.Loaded:
    d = tempfile.mkdtemp(prefix="oracle-selftest-")
    path = os.path.join(d, "records.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for i, r in enumerate(records):
            r = dict(r)
            r.setdefault("__offset", i)
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return oracle.load(path, late_sim, d)


def rows(loaded, sql) -> list[str]:
    return sorted(oracle.dumps_row(r) for r in oracle.query_rows(loaded, sql))


class Formatting(unittest.TestCase):
    def test_timestamps_print_a_fraction_only_when_not_zero_trimmed(self):
        lo = load([rec(T0), rec(T0 + 120), rec(T0 + 5), rec(T0 + 999)])
        got = rows(lo, "SELECT rt FROM logs")
        self.assertEqual(got, sorted([
            '{"rt":"2026-01-11 14:42:50"}', '{"rt":"2026-01-11 14:42:50.12"}',
            '{"rt":"2026-01-11 14:42:50.005"}', '{"rt":"2026-01-11 14:42:50.999"}']))

    def test_unicode_and_escapes_round_trip(self):
        lo = load([rec(T0, user_id='q"u\\o\tté😀')])
        got = oracle.query_rows(lo, "SELECT user_id FROM logs")
        self.assertEqual(got, [{"user_id": 'q"u\\o\tté😀'}])


class Semantics(unittest.TestCase):
    def test_avg_int_truncates_toward_zero_and_avg_double_does_not(self):
        lo = load([rec(T0, latency_ms=1, bytes=1.0), rec(T0, latency_ms=2, bytes=2.0),
                   rec(T0, latency_ms=None), rec(T0 + 1, service="n", latency_ms=-3),
                   rec(T0 + 1, service="n", latency_ms=-4)])
        got = oracle.query_rows(lo, "SELECT service, avg_int(latency_ms) AS a, avg(bytes) AS b "
                                    "FROM logs GROUP BY service ORDER BY service NULLS FIRST")
        self.assertEqual(got[0]["a"], 1)  # (1 + 2) / 2 = 1.5 -> 1
        self.assertEqual(got[0]["b"], 1.5)
        self.assertIsInstance(got[0]["b"], oracle.Double)
        self.assertEqual(got[1]["a"], -3)  # -7 / 2 = -3.5 -> -3, not -4
        self.assertIsNone(got[1]["b"])

    def test_tumble_start_floors_for_any_sign(self):
        lo = load([rec(-1), rec(0), rec(9999), rec(10000), rec(-10000), rec(-10001)])
        got = oracle.query_rows(lo, 'SELECT "timestamp" AS t, tumble_start("timestamp", 10000) '
                                    "AS s FROM logs ORDER BY t")
        self.assertEqual([(r["t"], r["s"]) for r in got], [
            (-10001, -20000), (-10000, -10000), (-1, -10000), (0, 0), (9999, 0), (10000, 10000)])

    def test_hop_expansion_puts_a_record_in_size_over_slide_windows(self):
        lo = load([rec(T0 + 7000), rec(T0 + 5000), rec(T0 + 4999)])
        sql = ('SELECT ts3(tumble_start("timestamp", 5000) - j * 5000) AS ws, count(*) AS c '
               "FROM logs, range(0, 2) AS r(j) GROUP BY ALL ORDER BY ws")
        got = [(r["ws"], r["c"]) for r in oracle.query_rows(lo, sql)]
        self.assertEqual(got, [("2026-01-11 14:42:45", 1), ("2026-01-11 14:42:50", 3),
                               ("2026-01-11 14:42:55", 2)])

    def test_sessions_split_on_gaps_above_the_gap_and_merge_at_exactly_the_gap(self):
        ts = [0, 1000, 4000, 7001, 7500, 20000]  # 4000 - 1000 = 3000: same session
        lo = load([rec(T0 + t, user_id="u") for t in ts] + [rec(T0, user_id=None)])
        sql = """
          WITH s AS (SELECT user_id, "timestamp" AS t,
                       CASE WHEN "timestamp" - lag("timestamp") OVER w > 3000 THEN 1 ELSE 0 END AS n
                     FROM logs WINDOW w AS (PARTITION BY user_id ORDER BY "timestamp")),
               g AS (SELECT *, sum(n) OVER (PARTITION BY user_id ORDER BY t
                       ROWS UNBOUNDED PRECEDING) AS sid FROM s)
          SELECT user_id, ts3(min(t)) AS ws, ts3(max(t) + 3000) AS we, count(*) AS c
          FROM g GROUP BY user_id, sid"""
        got = rows(lo, sql)
        self.assertEqual(got, sorted([
            '{"user_id":"u","ws":"2026-01-11 14:42:50","we":"2026-01-11 14:42:57","c":3}',
            '{"user_id":"u","ws":"2026-01-11 14:42:57.001","we":"2026-01-11 14:43:00.5","c":2}',
            '{"user_id":"u","ws":"2026-01-11 14:43:10","we":"2026-01-11 14:43:13","c":1}',
            '{"user_id":null,"ws":"2026-01-11 14:42:50","we":"2026-01-11 14:42:53","c":1}']))

    def test_where_keeps_only_true_rows(self):
        lo = load([rec(T0, latency_ms=5, service="a"), rec(T0, latency_ms=None, service="a"),
                   rec(T0, latency_ms=50, service=None), rec(T0, latency_ms=50)])
        self.assertEqual(rows(lo, "SELECT count(*) AS c FROM logs WHERE latency_ms > 10 OR "
                                  "service = 'a'"), ['{"c":4}'])
        self.assertEqual(rows(lo, "SELECT count(*) AS c FROM logs WHERE NOT (service = 'a')"),
                         ['{"c":0}'])
        self.assertEqual(rows(lo, "SELECT count(*) AS c FROM logs WHERE latency_ms NOT IN (5, NULL)"),
                         ['{"c":0}'])

    def test_nested_http_null_missing_and_partial_are_null_status(self):
        lo = load([rec(T0, http={"status": 200, "method": "GET"}), rec(T0, http=None), rec(T0),
                   rec(T0, http={}), rec(T0, http={"method": "PUT"})])
        got = rows(lo, "SELECT http.status AS s, count(*) AS c FROM logs GROUP BY ALL")
        self.assertEqual(got, ['{"s":200,"c":1}', '{"s":null,"c":4}'])

    def test_division_by_zero_is_null(self):
        lo = load([rec(T0, latency_ms=0)])
        self.assertEqual(rows(lo, "SELECT 5 // latency_ms AS a, fdiv(5.0, latency_ms) AS b, "
                                  "-7 // 2 AS c FROM logs"),
                         ['{"a":null,"b":null,"c":-3}'])


class LateSimulation(unittest.TestCase):
    def test_records_behind_the_previous_batches_watermark_are_dropped(self):
        # Batches of 3 offsets, delay 5 s, 10 s windows.
        recs = [rec(T0 + 0), rec(T0 + 20000), rec(T0 + 31000),  # batch 0: no watermark
                rec(T0 + 1000),  # batch 1, wm = 31000 - 5000 = 26000 > window end 10000: late
                rec(T0 + 19999),  # window [10000, 20000): end 20000 <= 26000: late
                rec(T0 + 26000),  # window end 30000 > 26000: kept
                rec(T0 + 21000)]  # batch 2, wm = 26000 still: end 30000 kept
        lo = load(recs, {"max_offsets": 3, "delay_ms": 5000, "window_ms": 10000})
        self.assertEqual(lo.late_dropped, 2)
        self.assertEqual(lo.records, 5)

    def test_empty_batches_of_malformed_offsets_keep_the_watermark(self):
        recs = [rec(T0 + 30000, __offset=0), rec(T0, __offset=7)]  # offsets 1..6 malformed
        lo = load(recs, {"max_offsets": 2, "delay_ms": 5000, "window_ms": 10000})
        self.assertEqual(lo.late_dropped, 1)


class Compare(unittest.TestCase):
    D = oracle.Double

    def test_equal_multisets_in_any_order(self):
        e = [{"a": 1, "b": self.D(0.1)}, {"a": 1, "b": self.D(0.1)}, {"a": 2, "b": None}]
        a = [{"a": 2, "b": None}, {"a": 1, "b": 0.1 + 1e-12}, {"a": 1, "b": 0.1}]
        self.assertEqual(oracle.compare(e, a), "")

    def test_a_duplicate_row_is_a_difference(self):
        e = [{"a": 1}]
        diff = oracle.compare(e, [{"a": 1}, {"a": 1}])
        self.assertIn("1 unexpected", diff)
        self.assertIn("more than once", diff)

    def test_doubles_beyond_the_tolerance_differ(self):
        self.assertNotEqual(oracle.compare([{"b": self.D(1.0)}], [{"b": 1.0 + 1e-6}]), "")
        self.assertEqual(oracle.compare([{"b": self.D(1.0)}], [{"b": 1}]), "")

    def test_integers_booleans_and_missing_keys_are_exact(self):
        self.assertNotEqual(oracle.compare([{"a": 1}], [{"a": 1.0}]), "")
        self.assertNotEqual(oracle.compare([{"a": True}], [{"a": 1}]), "")
        self.assertNotEqual(oracle.compare([{"a": 1}], [{"a": 1, "b": None}]), "")
        self.assertNotEqual(oracle.compare([{"a": None}], [{}]), "")
        self.assertNotEqual(oracle.compare([{"t": "2026-01-11 14:42:50"}],
                                           [{"t": "2026-01-11 14:42:50.000"}]), "")

    def test_approximate_columns_use_their_tolerance(self):
        e = [{"k": "x", "n": 100}, {"k": "y", "n": 3}]
        self.assertEqual(oracle.compare(e, [{"k": "x", "n": 108}, {"k": "y", "n": 5}],
                                        approx={"n": 0.1}), "")
        self.assertNotEqual(oracle.compare(e, [{"k": "x", "n": 111}, {"k": "y", "n": 3}],
                                           approx={"n": 0.1}), "")


class Generator(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="gen-selftest-")
        gen = os.path.join(HERE, "gen_records.py")
        out = subprocess.run([sys.executable, gen, "generate", "--out", cls.dir, "--seed", "3",
                              "--count", "3000", "--malformed", "24"],
                             check=True, capture_output=True, text=True).stdout
        cls.meta = json.loads(out)
        cls.dir2 = tempfile.mkdtemp(prefix="gen-selftest-")
        subprocess.run([sys.executable, gen, "generate", "--out", cls.dir2, "--seed", "3",
                        "--count", "3000", "--malformed", "24"], check=True, capture_output=True)

    def test_same_seed_same_bytes(self):
        for name in sorted(os.listdir(self.dir)):
            with open(os.path.join(self.dir, name), "rb") as a, \
                    open(os.path.join(self.dir2, name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)

    def test_counts_add_up(self):
        m = self.meta
        self.assertEqual(m["good"], 3000)
        self.assertEqual(m["malformed"], 24)
        self.assertEqual(sum(m["per_partition"]), 3024)
        lines = 0
        for p in range(m["partitions"]):
            with open(os.path.join(self.dir, "part-%d.txt" % p), "rb") as f:
                lines += f.read().count(b"\n")
        self.assertEqual(lines, 3024)

    def test_kafka_values_decode_to_the_oracle_records_first_key_winning(self):
        good = {}
        with open(os.path.join(self.dir, "records.jsonl"), encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                good[(r.pop("__partition"), r.pop("__offset"))] = r
        bad = 0
        for p in range(self.meta["partitions"]):
            with open(os.path.join(self.dir, "part-%d.txt" % p), "rb") as f:
                for off, raw in enumerate(f.read().split(b"\n")[:-1]):
                    want = good.get((p, off))
                    try:
                        obj = json.loads(raw.decode("utf-8"), object_pairs_hook=lambda kv: {
                            k: v for k, v in reversed(kv)},  # first occurrence wins
                            parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
                        obj.get  # an object
                        ok = want is not None
                    except (ValueError, UnicodeDecodeError, AttributeError):
                        ok = False
                    if want is None:
                        bad += 1
                        continue
                    self.assertTrue(ok, raw)
                    for k in ("extra", "tags"):
                        obj.pop(k, None)
                    self.assertEqual(obj, want)
        self.assertEqual(bad, 24)

    def test_disorder_within_a_partition_is_bounded(self):
        worst = 0
        seen_max: dict[int, int] = {}
        with open(os.path.join(self.dir, "records.jsonl"), encoding="utf-8") as f:
            recs = sorted((json.loads(x) for x in f), key=lambda r: (r["__partition"], r["__offset"]))
        for r in recs:
            p, t = r["__partition"], r["timestamp"]
            if p in seen_max:
                worst = max(worst, seen_max[p] - t)
            seen_max[p] = max(seen_max.get(p, t), t)
        self.assertLessEqual(worst, self.meta["disorder_ms"])
        self.assertGreater(worst, 1000)
        self.assertGreater(self.meta["edge_records"], 0)


if __name__ == "__main__":
    unittest.main(verbosity=1)
