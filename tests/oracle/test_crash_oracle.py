#!/usr/bin/env python3
"""Self-check of crash_oracle.py on hand-written inputs with known answers (run by ctest)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import random
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.path.join(HERE, "crash_oracle.py")

_spec = importlib.util.spec_from_file_location("crash_oracle", ORACLE)
oracle = importlib.util.module_from_spec(_spec)
sys.modules["crash_oracle"] = oracle  # dataclasses look the module up by name
_spec.loader.exec_module(oracle)

T0 = 1768142570000  # 2026-01-11 14:42:50 UTC, a window start


def rec(ts, severity="High", content="App crash", user="u1", **extra) -> str:
    obj = {"timestamp": ts, "severity": severity, "content": content, "user_id": user}
    obj.update(extra)
    return json.dumps(obj)


def row(start: str, end: str, key: str, count: int, key_field="user_id",
        count_name="crash_count") -> str:
    return json.dumps({"window_start": start, "window_end": end, key_field: key,
                       count_name: count}, separators=(",", ":"), ensure_ascii=False)


def run(values, *args: str) -> tuple[list[str], dict]:
    """Runs the oracle CLI on `values` (str lines or raw bytes); returns (rows, summary)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "in.txt")
        with open(path, "wb") as f:
            if isinstance(values, bytes):
                f.write(values)
            else:
                f.write("".join(v + "\n" for v in values).encode("utf-8"))
        out = os.path.join(d, "rows.jsonl")
        proc = subprocess.run([sys.executable, ORACLE, "--input", path, "--output", out,
                               "--summary", *args], capture_output=True, timeout=60)
        if proc.returncode != 0:
            raise AssertionError("oracle failed: %s" % proc.stderr.decode())
        with open(out, encoding="utf-8") as f:
            rows = f.read().splitlines()
        return rows, json.loads(proc.stdout)


class ThresholdAndWindows(unittest.TestCase):
    def test_count_at_threshold_is_not_a_row_and_one_above_is(self):
        values = [rec(T0 + i, user="at") for i in range(2)] + \
                 [rec(T0 + i, user="above") for i in range(3)]
        rows, s = run(values)
        self.assertEqual(rows, [row("2026-01-11 14:42:50", "2026-01-11 14:43:00", "above", 3)])
        self.assertEqual(s["rows_at_threshold"], 1)
        self.assertEqual(s["rows_at_threshold_plus_one"], 1)
        self.assertEqual((s["records"], s["matched"], s["groups"], s["rows"]), (5, 5, 2, 1))

    def test_threshold_three_moves_the_boundary(self):
        values = [rec(T0, user="three")] * 3 + [rec(T0, user="four")] * 4
        rows, s = run(values, "--threshold", "3")
        self.assertEqual(rows, [row("2026-01-11 14:42:50", "2026-01-11 14:43:00", "four", 4)])
        self.assertEqual(s["rows_at_threshold"], 1)

    def test_window_edges_at_0000_and_9999_ms(self):
        values = (
            [rec(T0, user="e"), rec(T0 + 5000, user="e"), rec(T0 + 9999, user="e")]  # one window
            + [rec(T0 + 10000, user="e")] * 3  # the next, starting exactly at ...0000
            + [rec(T0 - 1, user="e"), rec(T0 - 10000, user="e"), rec(T0 - 5000, user="e")]
        )
        rows, s = run(values)
        self.assertEqual(rows, [
            row("2026-01-11 14:42:40", "2026-01-11 14:42:50", "e", 3),
            row("2026-01-11 14:42:50", "2026-01-11 14:43:00", "e", 3),
            row("2026-01-11 14:43:00", "2026-01-11 14:43:10", "e", 3),
        ])
        self.assertEqual(s["matched_at_window_first_ms"], 5)
        self.assertEqual(s["matched_at_window_last_ms"], 2)
        self.assertEqual(s["windows"], 3)

    def test_negative_timestamps_use_floor_division(self):
        values = ([rec(t, user="n") for t in (-1000, -1, -10000)]
                  + [rec(t, user="n") for t in (-10001, -20000, -15000)]
                  + [rec(t, user="n") for t in (0, 1, 9999)])
        rows, _ = run(values)
        self.assertEqual(rows, [
            row("1969-12-31 23:59:40", "1969-12-31 23:59:50", "n", 3),
            row("1969-12-31 23:59:50", "1970-01-01 00:00:00", "n", 3),
            row("1970-01-01 00:00:00", "1970-01-01 00:00:10", "n", 3),
        ])

    def test_other_window_sizes_align_to_the_epoch(self):
        values = [rec(T0 + 59_999, user="m")] * 3 + [rec(T0 - 10_000, user="m")]
        rows, _ = run(values, "--window-ms", "60000")
        # 14:42:50 +59.999 s = 14:43:49.999, in the minute [14:43, 14:44).
        self.assertEqual(rows, [row("2026-01-11 14:43:00", "2026-01-11 14:44:00", "m", 3)])

    def test_max_event_time_keeps_only_windows_that_ended(self):
        values = [rec(T0, user="a")] * 3 + [rec(T0 + 10_000, user="a")] * 3
        rows, s = run(values, "--max-event-time-ms", str(T0 + 10_000))
        self.assertEqual(rows, [row("2026-01-11 14:42:50", "2026-01-11 14:43:00", "a", 3)])
        self.assertEqual(s["rows_out_of_scope"], 1)
        rows, _ = run(values, "--max-event-time-ms", str(T0 + 9_999))
        self.assertEqual(rows, [])


class Timestamps(unittest.TestCase):
    def test_iso_strings_with_offsets_land_in_the_right_window(self):
        same_window = [
            "2026-01-11T14:42:50Z",
            "2026-01-11T16:42:59.999+02:00",
            "2026-01-11T09:42:55.5-05:00",
            "2026-01-11t14:42:51z",
            "2026-01-11 14:42:52.123456789+00:00",
            "2026-01-11T14:42:53-00:00",
            "2026-01-12T00:12:50+09:30",
            "2026-01-11T16:42:54+0200",
            "2026-01-11T12:42:55-02",
            "2026-01-11T14:42:56,25Z",
            "2026-01-11T14:42:57.123456789Z",
            "2026-01-11T14:42:59.99999999Z",
            "2026-01-11T14:42:59+00:00",
            "2026-01-11T14:42:59.999z",
        ]
        values = [rec(ts, user="iso") for ts in same_window]
        values += [rec("2026-01-11T14:42:49.9999999Z", user="prev")] * 3  # truncated, not rounded
        values += [rec("2026-01-11T14:43:00.000+00:00", user="next")] * 2
        values += [rec("2026-01-11T14:42:60Z", user="next")]  # leap second: 14:43:00
        rows, s = run(values)
        self.assertEqual(rows, [
            row("2026-01-11 14:42:40", "2026-01-11 14:42:50", "prev", 3),
            row("2026-01-11 14:42:50", "2026-01-11 14:43:00", "iso", 14),
            row("2026-01-11 14:43:00", "2026-01-11 14:43:10", "next", 3),
        ])
        self.assertEqual(s["malformed"], 0)

    def test_parse_rfc3339_exact_values(self):
        p = oracle.parse_rfc3339_ms
        self.assertEqual(p("1970-01-01T00:00:00Z"), 0)
        self.assertEqual(p("1969-12-31T23:59:59.999Z"), -1)
        self.assertEqual(p("1970-01-01T01:00:00+01:00"), 0)
        self.assertEqual(p("2026-01-11T14:42:50.123Z"), T0 + 123)
        self.assertEqual(p("2000-02-29T00:00:00Z"), 951782400000)
        self.assertEqual(p("0001-01-01T00:00:00Z"), -62135596800000)
        self.assertEqual(p("0000-03-01T00:00:00Z"), -62162035200000)  # year 0 is a leap year
        self.assertEqual(p("2026-01-11T14:42:50+0230"), T0 - 150 * 60_000)
        self.assertEqual(p("2026-01-11T14:42:50-01"), T0 + 3_600_000)
        self.assertEqual(p("2026-01-11T14:42:50,5Z"), T0 + 500)
        self.assertEqual(p("2026-01-11T14:42:50.05Z"), T0 + 50)
        self.assertEqual(p("2026-01-11T14:42:50.000000001Z"), T0)
        self.assertEqual(p("2016-12-31T23:59:60Z"), 1483228800000)  # leap second: next second
        self.assertEqual(p("2026-01-11T14:42:60.5+00:00"), T0 + 10_500)

    def test_bad_time_strings_are_malformed(self):
        bad = [
            "2026-01-11T14:42:50",  # no offset
            "2026-01-11T14:42:50+2",
            "2026-01-11T14:42:50+02:",
            "2026-01-11T14:42:50+02:0",
            "2026-01-11T14:42:50+020",
            "2026-01-11T14:42:50+02:00:00",
            "2026-01-11T14:42:50+2400",
            "2026-01-11T14:42:50.1234567890Z",  # 10 fraction digits
            "2026-01-11T14:42:50.+00:00",
            "2026-01-11T14:42:50;5Z",
            "2026-01-11T14:42:50 Z",
            "2026-01-11T14:42:50UTC",
            "2026-01-11T14:42:50GMT+2",
            "2026-02-30T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-01-11T24:00:00Z",
            "2026-01-11T14:60:00Z",
            "2026-01-11T14:42:61Z",
            "2026-01-11T14:42:50.Z",
            "2026-01-11T14:42:50+24:00",
            "2026-01-11T14:42:50+02:60",
            "2026-1-11T14:42:50Z",
            "2026-01-11T14:42:50.Z",
            "2026-01-11T14:42Z",
            "2026-01-11",
            "1768142570000",
            "",
            " 2026-01-11T14:42:50Z",
            "2026-01-11T14:42:50Z ",
            "2026-01-11T14:42:50Z\n",
            "\uff12\uff10\uff12\uff16-01-11T14:42:50Z",  # full-width digits
            "+2026-01-11T14:42:50Z",
        ]
        for text in bad:
            self.assertIsNone(oracle.parse_rfc3339_ms(text), text)
        rows, s = run([rec(t, user="bad") for t in bad])
        self.assertEqual(rows, [])
        self.assertEqual(s["malformed_by_reason"], {"timestamp_format": len(bad)})

    def test_time_arithmetic_agrees_with_datetime(self):
        rng = random.Random(7)
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
        lo, hi = -62135596800000, 253402300799999  # 0001-01-01 .. 9999-12-31
        for _ in range(20000):
            ms = rng.randint(lo, hi)
            instant = epoch + dt.timedelta(milliseconds=ms)
            self.assertEqual(oracle.format_utc_seconds(ms), "%04d-%02d-%02d %02d:%02d:%02d" % (
                instant.year, instant.month, instant.day, instant.hour, instant.minute,
                instant.second))
            off = rng.randint(-23 * 60 - 59, 23 * 60 + 59)
            local = instant + dt.timedelta(minutes=off)
            if not 1 <= local.year <= 9999:
                continue
            sign = "+" if off >= 0 else "-"
            text = "%04d-%02d-%02dT%02d:%02d:%02d.%03d%s%02d:%02d" % (
                local.year, local.month, local.day, local.hour, local.minute, local.second,
                local.microsecond // 1000, sign, abs(off) // 60, abs(off) % 60)
            self.assertEqual(oracle.parse_rfc3339_ms(text), ms, text)

    def test_extreme_instants_format_as_the_engine_prints_them(self):
        f = oracle.format_utc_seconds
        self.assertEqual(f(-(2**63)), "-292275055-05-16 16:47:04")
        self.assertEqual(f(2**63 - 1), "292278994-08-17 07:12:55")
        self.assertEqual(f(-62135596800001), "0000-12-31 23:59:59")
        self.assertEqual(f(-62167219200001), "-0001-12-31 23:59:59")
        self.assertEqual(f(253402300800000), "10000-01-01 00:00:00")
        # The last window saturates at INT64_MAX; the first is clamped to INT64_MIN.
        rows, _ = run([rec(2**63 - 1, user="max")] * 3 + [rec(-(2**63), user="min")] * 3,
                      "--window-ms", "7")
        self.assertEqual(rows, [
            row("-292275055-05-16 16:47:04", "-292275055-05-16 16:47:04", "min", 3),
            row("292278994-08-17 07:12:55", "292278994-08-17 07:12:55", "max", 3),
        ])

    def test_integer_range_is_signed_64_bit(self):
        values = [rec(2**63 - 1, user="x"), rec(-(2**63), user="x"),
                  rec(2**63, user="y"), rec(-(2**63) - 1, user="y")]
        _, s = run(values, "--threshold", "5")
        self.assertEqual(s["valid"], 2)
        self.assertEqual(s["malformed_by_reason"], {"timestamp_range": 2})
        self.assertEqual(s["min_event_time_ms"], -(2**63))
        self.assertEqual(s["max_event_time_ms"], 2**63 - 1)


class Matching(unittest.TestCase):
    def test_severity_and_keyword_match_case_insensitively(self):
        values = [
            rec(T0, "HIGH", "CRASH", "c"),
            rec(T0, "high", "Crashed", "c"),
            rec(T0, "CrItIcAl", "xcrAshy", "c"),
            rec(T0, "critical", "crash", "c"),
        ]
        rows, _ = run(values)
        self.assertEqual(rows, [row("2026-01-11 14:42:50", "2026-01-11 14:43:00", "c", 4)])

    def test_records_that_do_not_match_are_valid_not_malformed(self):
        values = [
            rec(T0, "Medium", "crash", "f"), rec(T0, "Highest", "crash", "f"),
            rec(T0, " High", "crash", "f"), rec(T0, "Low", "crash", "f"),
            rec(T0, "", "crash", "f"), rec(T0, "High", "crush", "f"),
            rec(T0, "High", "cra sh", "f"), rec(T0, "High", "", "f"),
            rec(T0, "H\u0130GH", "crash", "f"),  # non-ASCII: no Unicode case folding
        ]
        rows, s = run(values, "--threshold", "0")
        self.assertEqual(rows, [])
        self.assertEqual((s["valid"], s["matched"], s["malformed"]), (len(values), 0, 0))

    def test_severities_and_keyword_options(self):
        values = [rec(T0, "Medium", "disk full", "k")] * 2 + [rec(T0, "High", "disk full", "k")]
        rows, _ = run(values, "--severities", " medium , ", "--keyword", "DISK", "--threshold", "1")
        self.assertEqual(rows, [row("2026-01-11 14:42:50", "2026-01-11 14:43:00", "k", 2)])

    def test_logs_processor_mode_counts_per_source_ip(self):
        def lp(ts, sev, content, ip):
            return json.dumps({"timestamp": ts, "severity": sev, "content": content,
                               "source_ip": ip})
        values = [lp(T0, "High", "Vulnerability scan", "10.0.0.1"),
                  lp(T0 + 1, "high", "VULNERABILITY", "10.0.0.2"),
                  lp(T0 + 2, "high", "vulnerability", "10.0.0.2"),
                  lp(T0, "Critical", "vulnerability", "10.0.0.3"),
                  lp(T0, "High", "crash", "10.0.0.4"),
                  json.dumps({"timestamp": T0, "severity": "High", "content": "vulnerability",
                              "user_id": "u"})]  # no source_ip: malformed here
        rows, s = run(values, "--key-field", "source_ip", "--keyword", "vulnerability",
                      "--severities", "High", "--threshold", "0", "--count-name", "count")
        w = ("2026-01-11 14:42:50", "2026-01-11 14:43:00")
        self.assertEqual(rows, [row(*w, "10.0.0.1", 1, "source_ip", "count"),
                                row(*w, "10.0.0.2", 2, "source_ip", "count")])
        self.assertEqual(s["malformed_by_reason"], {"key_missing": 1})


class Malformed(unittest.TestCase):
    def test_every_kind_of_malformed_record_is_counted_and_excluded(self):
        good = {"timestamp": T0, "severity": "High", "content": "crash", "user_id": "bad"}

        def without(k):
            return json.dumps({f: v for f, v in good.items() if f != k})

        def with_(k, v):
            return json.dumps({**good, k: v})

        cases = {
            "not_json": ["garbage", "", "{", rec(T0, user="bad") + " x",
                         '{"timestamp":NaN,"severity":"High","content":"crash","user_id":"bad"}',
                         '{"timestamp":Infinity,"severity":"High","content":"crash","user_id":"b"}',
                         '{"timestamp":1,"severity":"High","content":"cr\tash","user_id":"bad"}',
                         "{'timestamp': 1}"],
            "not_object": ["[1]", '"crash"', "42", "null", "true",
                           "[" + rec(T0, user="bad") + "]"],
            "timestamp_missing": [without("timestamp")],
            "timestamp_type": [with_("timestamp", True), with_("timestamp", None),
                               with_("timestamp", 1.5), with_("timestamp", [T0]),
                               with_("timestamp", {"ms": T0}),
                               '{"timestamp":1768142570000.0,"severity":"High","content":"crash",'
                               '"user_id":"bad"}',
                               '{"timestamp":1e3,"severity":"High","content":"crash",'
                               '"user_id":"bad"}',
                               '{"timestamp":1E400,"severity":"High","content":"crash",'
                               '"user_id":"bad"}'],
            "timestamp_range": [with_("timestamp", 2**64)],
            "timestamp_format": [with_("timestamp", "abc"), with_("timestamp", "2026-01-11")],
            "severity_missing": [without("severity")],
            "severity_type": [with_("severity", 5), with_("severity", None),
                              with_("severity", ["High"])],
            "content_missing": [without("content")],
            "content_type": [with_("content", ["crash"]), with_("content", None),
                             with_("content", {"text": "crash"})],
            "key_missing": [without("user_id")],
            "key_type": [with_("user_id", 5), with_("user_id", None), with_("user_id", ["u"])],
            "invalid_utf8": [json.dumps({**good, "user_id": "\ud800"}),  # lone surrogate escape
                             json.dumps({**good, "extra": ["x\udfff"]}),  # even when ignored
                             json.dumps({**good, "\ud801": 1}),
                             # in a duplicate key's ignored second value too
                             json.dumps(good)[:-1] + ', "user_id": "\\udc00"}'],
        }
        lines = [v for vs in cases.values() for v in vs]
        data = "".join(v + "\n" for v in lines).encode("utf-8")
        # Invalid UTF-8 bytes inside a string value.
        data += b'{"timestamp":1,"severity":"High","content":"cr\xffash","user_id":"bad"}\n'
        # Unknown fields are ignored: these three form a row, so exclusion is visible.
        valid = [rec(T0, user="ok", extra={"nested": [1, 2]}, status="ERROR")] * 3
        data += "".join(v + "\n" for v in valid).encode("utf-8")
        rows, s = run(data)
        self.assertEqual(rows, [row("2026-01-11 14:42:50", "2026-01-11 14:43:00", "ok", 3)])
        expected = {k: len(v) for k, v in cases.items()}
        expected["invalid_utf8"] += 1
        self.assertEqual(s["malformed_by_reason"], expected)
        self.assertEqual(s["malformed"], sum(expected.values()))
        self.assertEqual(s["records"], s["malformed"] + 3)

    def test_blank_lines_are_malformed_values_but_the_final_newline_is_not_a_value(self):
        _, s = run(b"\n" + rec(T0).encode() + b"\n\n")
        self.assertEqual((s["records"], s["malformed"]), (3, 2))
        _, s = run(rec(T0).encode())  # no final newline
        self.assertEqual((s["records"], s["malformed"]), (1, 0))


class DuplicateKeys(unittest.TestCase):
    def test_the_first_occurrence_of_a_key_counts(self):
        head = '{"timestamp":%d,"severity":"High","content":"crash","user_id":"first"' % T0
        values = [head + ',"user_id":"second"}'] * 3
        values += ['{"severity":"Low","severity":"High","timestamp":%d,"content":"crash",'
                   '"user_id":"x"}' % T0] * 3  # Low counts: not matched
        values += ['{"timestamp":"bad","timestamp":%d,"severity":"High","content":"crash",'
                   '"user_id":"y"}' % T0]  # the first timestamp is malformed
        rows, s = run(values)
        self.assertEqual(rows, [row("2026-01-11 14:42:50", "2026-01-11 14:43:00", "first", 3)])
        self.assertEqual((s["matched"], s["valid"], s["malformed"]), (3, 6, 1))


class OutputFormat(unittest.TestCase):
    def test_rows_are_compact_json_in_key_order_and_sorted(self):
        values = ([rec(T0 + 10_000, user="user_9")] * 3 + [rec(T0, user="user_10")] * 3
                  + [rec(T0, user="user_1")] * 4 + [rec(T0, user="us\u00e9r \"q\"")] * 3)
        rows, s = run(values)
        self.assertEqual(rows, [
            '{"window_start":"2026-01-11 14:42:50","window_end":"2026-01-11 14:43:00",'
            '"user_id":"user_1","crash_count":4}',
            '{"window_start":"2026-01-11 14:42:50","window_end":"2026-01-11 14:43:00",'
            '"user_id":"user_10","crash_count":3}',
            '{"window_start":"2026-01-11 14:42:50","window_end":"2026-01-11 14:43:00",'
            '"user_id":"us\u00e9r \\"q\\"","crash_count":3}',
            '{"window_start":"2026-01-11 14:43:00","window_end":"2026-01-11 14:43:10",'
            '"user_id":"user_9","crash_count":3}',
        ])
        self.assertEqual(rows, sorted(rows))
        self.assertEqual((s["rows"], s["windows"], s["keys"], s["max_count"]), (4, 2, 4, 4))

    def test_rows_go_to_stdout_without_summary(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("".join(rec(T0) + "\n" for _ in range(3)))
        try:
            proc = subprocess.run([sys.executable, ORACLE, "--input", f.name],
                                  capture_output=True, text=True, timeout=60)
        finally:
            os.unlink(f.name)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, row("2026-01-11 14:42:50", "2026-01-11 14:43:00", "u1", 3)
                         + "\n")
        self.assertIn("records=3 malformed=0 matched=3", proc.stderr)

    def test_usage_and_input_errors_exit_2(self):
        for args in (["--input", "/nonexistent/values.txt"], ["--input", "-", "--window-ms", "0"],
                     []):
            proc = subprocess.run([sys.executable, ORACLE, *args], capture_output=True,
                                  text=True, timeout=60, input="")
            self.assertEqual(proc.returncode, 2, args)


FAKE_KCAT = r'''#!/usr/bin/env python3
import json, sys
args = sys.argv[1:]
log = open(sys.argv[0] + ".args", "w"); log.write(json.dumps(args)); log.close()
if "fail" in args:
    sys.stderr.write("% ERROR: Topic fail error: Broker: Unknown topic or partition\n")
    sys.exit(1)
good = {"timestamp": 1768142570000, "severity": "High", "content": "crash", "user_id": "k"}
values = [
    json.dumps(good),                                   # plain
    json.dumps(good, indent=1),                         # newlines inside the value
    json.dumps(good).replace(", ", ",\t"),             # tabs inside the value
    json.dumps({**good, "content": "line1\nline2 crash\ttab"}),
    None,                                               # a tombstone
]
out = sys.stdout.buffer
for i, v in enumerate(values):
    env = {"topic": args[args.index("-t") + 1], "partition": i % 2, "offset": i,
           "tstype": "create", "ts": 1, "broker": 0, "key": None, "payload": v}
    out.write(json.dumps(env).encode() + b"\n")
out.write(b'{"topic": "t", "partition": 0, "payload": "\xff\xfe"}\n')  # raw invalid bytes
out.write(b"not an envelope\n")
'''


class KafkaInput(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.kcat = os.path.join(self.dir.name, "kcat")
        with open(self.kcat, "w") as f:
            f.write(FAKE_KCAT)
        os.chmod(self.kcat, os.stat(self.kcat).st_mode | stat.S_IEXEC)

    def tearDown(self):
        self.dir.cleanup()

    def oracle(self, topic):
        return subprocess.run([sys.executable, ORACLE, "--kcat", self.kcat, "--bootstrap",
                               "127.0.0.1:1", "--topic", topic, "--summary"],
                              capture_output=True, text=True, timeout=60)

    def test_values_with_tabs_and_newlines_survive_the_json_envelope(self):
        proc = self.oracle("logs")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        s = json.loads(proc.stdout)
        self.assertEqual(s["records"], 7)
        self.assertEqual(s["matched"], 4)
        self.assertEqual(s["rows"], 1)
        self.assertEqual(s["malformed_by_reason"],
                         {"invalid_utf8": 1, "kcat_envelope": 1, "null_value": 1})
        with open(self.kcat + ".args") as f:
            args = json.load(f)
        self.assertEqual(args, ["-C", "-b", "127.0.0.1:1", "-t", "logs", "-o", "beginning",
                                "-e", "-q", "-J"])

    def test_a_failing_kcat_is_an_error(self):
        proc = self.oracle("fail")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("Unknown topic", proc.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=1)
