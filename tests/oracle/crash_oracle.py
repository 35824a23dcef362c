#!/usr/bin/env python3
"""Independent oracle for Spate's crash detector (and logs-processor).

Reads every record of a Kafka topic (through `kcat -J`) or a file of values (one per line) and
prints the rows the engine's file sink must contain, as sorted JSON lines:

  {"window_start":"2026-01-11 14:42:50","window_end":"2026-01-11 14:43:00","user_id":"user_1836","crash_count":5}

It shares no code with the C++ engine on purpose: Python standard library only, its own JSON
parser (the stdlib's), its own time arithmetic. Rules (docs/architecture.md "The data model"):

* A record is valid when its value is a JSON object (UTF-8) with
  - `timestamp`: a JSON integer in the signed 64-bit range (epoch ms), or an RFC 3339 /
    ISO-8601 string with a zone offset: YYYY-MM-DD, then `T`, `t` or a space, hh:mm:ss (ss may
    be 60, read as the next second), an optional fraction of 1-9 digits after `.` or `,`
    (truncated to ms), then `Z`, `z`, +hh:mm, +hhmm or +hh (or -), at most 23:59; years
    0000-9999, fields range-checked. JSON numbers written with a fraction or an exponent (1.0,
    1e3), booleans, NaN/Infinity and strings without an offset are malformed;
  - `severity`, `content` and the key field (`user_id`) that are JSON strings.
  Anything else is malformed: counted, never matched. With duplicate keys the first occurrence
  counts. A lone surrogate (\\ud800) anywhere in the value, or bytes that are not UTF-8, make it
  malformed.
* A valid record matches when severity equals one of --severities and content contains
  --keyword, both ASCII-case-insensitively.
* Windows are tumbling, epoch-aligned, --window-ms long, start = floor(ts / w) * w (so -1000 ms
  lies in [-10000, 0)). A (window, key) group with count > --threshold is a row. At the ends of
  the int64 range the start is clamped to INT64_MIN and the end saturates at INT64_MAX, and years
  print as the engine prints them ("-0001-12-31", "292278994-08-17"), as common/window.h says.

Exit status: 0 on success, 2 on a usage or input error (kcat failing, unreadable file).
Counts go to stderr; with --summary, stdout gets one JSON object of figures instead of rows.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Iterator

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MS_PER_DAY = 86_400_000

# The forms common/log_record.h documents for the engine (written again here, not shared):
# YYYY-MM-DD('T'|'t'|' ')hh:mm:ss[('.'|',')f{1,9}]('Z'|'z'|+hh:mm|-hh:mm|+hhmm|-hhmm|+hh|-hh)
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:[.,]([0-9]{1,9}))?(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)"
)

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """Lower-cases A-Z only, as a byte-oriented C++ matcher does."""
    return text.translate(_ASCII_LOWER)


# --- calendar arithmetic (proleptic Gregorian, any year; after H. Hinnant's algorithms) -------


def days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z: int) -> tuple[int, int, int]:
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def days_in_month(y: int, m: int) -> int:
    if m == 2:
        leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
        return 29 if leap else 28
    return 30 if m in (4, 6, 9, 11) else 31


def parse_rfc3339_ms(text: str) -> int | None:
    """Epoch milliseconds of an RFC 3339 instant with offset, or None if it is not one."""
    m = _RFC3339.fullmatch(text)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= month <= 12 and 1 <= day <= days_in_month(year, month)):
        return None
    if hour > 23 or minute > 59 or second > 60:  # 60: a leap second, read as the next second
        return None
    frac = m.group(7) or ""
    millis = int((frac + "000")[:3])
    offset_ms = 0
    if m.group(9):
        oh, om = int(m.group(10)), int(m.group(11) or 0)
        if oh > 23 or om > 59:
            return None
        offset_ms = (oh * 60 + om) * 60_000 * (1 if m.group(9) == "+" else -1)
    local = days_from_civil(year, month, day) * MS_PER_DAY + (
        (hour * 60 + minute) * 60 + second
    ) * 1000 + millis
    return local - offset_ms


def format_utc_seconds(ms: int) -> str:
    """'YYYY-MM-DD HH:MM:SS' (UTC) of epoch milliseconds, sub-second part dropped (floor)."""
    days, rem = divmod(ms, MS_PER_DAY)
    y, mo, d = civil_from_days(days)
    secs = rem // 1000
    year = ("-%04d" % -y) if y < 0 else ("%04d" % y)
    return "%s-%02d-%02d %02d:%02d:%02d" % (year, mo, d, secs // 3600, secs // 60 % 60, secs % 60)


# --- record evaluation ------------------------------------------------------------------------


def _reject_constant(name: str):
    raise ValueError("non-standard JSON constant " + name)


@dataclass
class Rules:
    window_ms: int = 10_000
    threshold: int = 2
    keyword: str = "crash"
    severities: tuple[str, ...] = ("high", "critical")  # ASCII-lower-cased
    key_field: str = "user_id"
    count_name: str = "crash_count"
    max_event_time_ms: int | None = None


@dataclass
class Tally:
    records: int = 0
    malformed: int = 0
    malformed_by_reason: Counter = field(default_factory=Counter)
    valid: int = 0
    matched: int = 0
    matched_at_window_first_ms: int = 0
    matched_at_window_last_ms: int = 0
    min_event_time_ms: int | None = None
    max_event_time_ms: int | None = None
    max_matched_event_time_ms: int | None = None
    groups: Counter = field(default_factory=Counter)  # (window_start_ms, key) -> count


class _BadEnvelope:
    """Stands for a kcat line that could not be decoded (counted as a malformed record)."""


BAD_ENVELOPE = _BadEnvelope()


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")  # lone surrogates: invalid bytes or a bad \u escape
        return True
    except UnicodeEncodeError:
        return False


def _first_wins(pairs: list) -> dict:
    out: dict = {}
    for k, v in pairs:
        out.setdefault(k, v)
    return out


class _LoneSurrogate(Exception):
    pass


def _first_wins_checked(pairs: list) -> dict:
    """_first_wins, raising _LoneSurrogate for a lone surrogate in any key or string value of
    this object, dropped duplicates and arrays included (nested objects check themselves)."""
    stack: list = []
    for k, v in pairs:
        stack.append(k)
        stack.append(v)
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            if not _is_utf8(x):
                raise _LoneSurrogate()
        elif isinstance(x, list):
            stack.extend(x)
    return _first_wins(pairs)


def classify(value, rules: Rules) -> tuple[str, int | None, str | None]:
    """('malformed:<reason>' | 'valid' | 'matched', event time ms, key) for one value."""
    if value is BAD_ENVELOPE:
        return "malformed:kcat_envelope", None, None
    if value is None:
        return "malformed:null_value", None, None
    if not _is_utf8(value):
        return "malformed:invalid_utf8", None, None
    # Only a \u escape can make a lone surrogate out of valid UTF-8 input.
    hook = _first_wins_checked if "\\u" in value else _first_wins
    try:
        obj = json.loads(value, parse_constant=_reject_constant, object_pairs_hook=hook)
    except _LoneSurrogate:
        return "malformed:invalid_utf8", None, None
    except (ValueError, RecursionError):
        return "malformed:not_json", None, None
    if not isinstance(obj, dict):
        return "malformed:not_object", None, None

    if "timestamp" not in obj:
        return "malformed:timestamp_missing", None, None
    ts = obj["timestamp"]
    if isinstance(ts, bool) or not isinstance(ts, (int, str)):
        return "malformed:timestamp_type", None, None
    if isinstance(ts, int):
        if not INT64_MIN <= ts <= INT64_MAX:
            return "malformed:timestamp_range", None, None
        event_ms = ts
    else:
        if not _is_utf8(ts):
            return "malformed:invalid_utf8", None, None
        parsed = parse_rfc3339_ms(ts)
        if parsed is None:
            return "malformed:timestamp_format", None, None
        event_ms = parsed

    for name in ("severity", "content", rules.key_field):
        label = "key" if name == rules.key_field else name
        if name not in obj:
            return "malformed:%s_missing" % label, None, None
        if not isinstance(obj[name], str):
            return "malformed:%s_type" % label, None, None
        if not _is_utf8(obj[name]):
            return "malformed:invalid_utf8", None, None

    key = obj[rules.key_field]
    if ascii_lower(obj["severity"]) in rules.severities and rules.keyword in ascii_lower(
        obj["content"]
    ):
        return "matched", event_ms, key
    return "valid", event_ms, key


def evaluate(values: Iterable, rules: Rules) -> Tally:
    tally = Tally()
    w = rules.window_ms
    for value in values:
        tally.records += 1
        kind, event_ms, key = classify(value, rules)
        if kind.startswith("malformed:"):
            tally.malformed += 1
            tally.malformed_by_reason[kind[len("malformed:") :]] += 1
            continue
        tally.valid += 1
        if tally.min_event_time_ms is None or event_ms < tally.min_event_time_ms:
            tally.min_event_time_ms = event_ms
        if tally.max_event_time_ms is None or event_ms > tally.max_event_time_ms:
            tally.max_event_time_ms = event_ms
        if kind != "matched":
            continue
        tally.matched += 1
        if tally.max_matched_event_time_ms is None or event_ms > tally.max_matched_event_time_ms:
            tally.max_matched_event_time_ms = event_ms
        offset = event_ms % w  # Python's % floors: always in [0, w)
        if offset == 0:
            tally.matched_at_window_first_ms += 1
        if offset == w - 1:
            tally.matched_at_window_last_ms += 1
        # Like the engine, a window start below INT64_MIN is clamped to it.
        tally.groups[(max(event_ms - offset, INT64_MIN), key)] += 1
    return tally


def window_end(window_start: int, rules: Rules) -> int:
    return min(window_start + rules.window_ms, INT64_MAX)  # saturates, as in the engine


def in_scope(window_start: int, rules: Rules) -> bool:
    return (rules.max_event_time_ms is None
            or window_end(window_start, rules) <= rules.max_event_time_ms)


def row_line(window_start: int, key: str, count: int, rules: Rules) -> str:
    row = {
        "window_start": format_utc_seconds(window_start),
        "window_end": format_utc_seconds(window_end(window_start, rules)),
        rules.key_field: key,
        rules.count_name: count,
    }
    return json.dumps(row, separators=(",", ":"), ensure_ascii=False)


def expected_rows(tally: Tally, rules: Rules) -> list[str]:
    """The rows, sorted as strings (the order of `LC_ALL=C sort` on the UTF-8 lines)."""
    lines = [
        row_line(ws, key, count, rules)
        for (ws, key), count in tally.groups.items()
        if count > rules.threshold and in_scope(ws, rules)
    ]
    return sorted(lines)


def summary(tally: Tally, rules: Rules) -> dict:
    scoped = {g: c for g, c in tally.groups.items() if in_scope(g[0], rules)}
    rows = {g: c for g, c in scoped.items() if c > rules.threshold}
    return {
        "records": tally.records,
        "malformed": tally.malformed,
        "malformed_by_reason": dict(sorted(tally.malformed_by_reason.items())),
        "valid": tally.valid,
        "matched": tally.matched,
        "groups": len(scoped),
        "rows": len(rows),
        "windows": len({ws for ws, _ in rows}),
        "keys": len({k for _, k in rows}),
        "rows_at_threshold": sum(1 for c in scoped.values() if c == rules.threshold),
        "rows_at_threshold_plus_one": sum(1 for c in scoped.values() if c == rules.threshold + 1),
        "max_count": max(scoped.values(), default=0),
        "rows_out_of_scope": sum(
            1 for g, c in tally.groups.items() if c > rules.threshold and not in_scope(g[0], rules)
        ),
        "matched_at_window_first_ms": tally.matched_at_window_first_ms,
        "matched_at_window_last_ms": tally.matched_at_window_last_ms,
        "min_event_time_ms": tally.min_event_time_ms,
        "max_event_time_ms": tally.max_event_time_ms,
        "max_matched_event_time_ms": tally.max_matched_event_time_ms,
        "window_ms": rules.window_ms,
        "threshold": rules.threshold,
    }


# --- input ------------------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    # surrogateescape keeps invalid UTF-8 visible to classify() as lone surrogates.
    return raw.decode("utf-8", errors="surrogateescape")


def values_from_file(path: str) -> Iterator[str]:
    """One value per line ('\\n'-separated; a final newline ends the last value, it does not
    start an empty one). Empty lines are values too (malformed ones)."""
    stream = sys.stdin.buffer if path == "-" else open(path, "rb")
    try:
        pending = None
        for raw in stream:
            if pending is not None:
                yield pending
            pending = _decode(raw[:-1] if raw.endswith(b"\n") else raw)
        if pending is not None:
            yield pending
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


class InputError(Exception):
    pass


def values_from_kafka(kcat: str, bootstrap: str, topic: str, timeout_s: float,
                      extra: list[str]) -> Iterator:
    """Every value of every partition from the beginning, through `kcat -J` (one JSON envelope
    per message, the value as an escaped string, so tabs and newlines in values are safe)."""
    cmd = [kcat, "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-J"]
    for x in extra:
        cmd += ["-X", x]
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        raise InputError("cannot run %s: %s" % (kcat, e)) from e
    timer = threading.Timer(timeout_s, proc.kill)
    timer.start()
    bad_envelopes = 0
    try:
        for raw in proc.stdout:
            line = _decode(raw.rstrip(b"\n"))
            if not line:
                continue
            try:
                env = json.loads(line)
                if not isinstance(env, dict) or "payload" not in env:
                    raise ValueError("no payload")
                payload = env["payload"]
            except ValueError:
                bad_envelopes += 1
                yield BAD_ENVELOPE
                continue
            yield payload if (payload is None or isinstance(payload, str)) else json.dumps(payload)
        err = proc.stderr.read().decode("utf-8", errors="replace")
        rc = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if bad_envelopes:
        print("crash_oracle: %d kcat envelopes could not be decoded" % bad_envelopes,
              file=sys.stderr)
    if rc != 0:
        raise InputError("%s exited with %d%s: %s" % (
            " ".join(cmd), rc, " (killed after %ss)" % timeout_s if rc < 0 else "", err.strip()))


# --- command line -----------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--topic", help="Kafka topic to read from the beginning to the end")
    src.add_argument("--input", help="file of values, one per line ('-' for stdin)")
    p.add_argument("--bootstrap", default="127.0.0.1:19092")
    p.add_argument("--kcat", default="kcat", help="kcat binary (default: kcat in PATH)")
    p.add_argument("--kcat-timeout-s", type=float, default=600.0)
    p.add_argument("--kcat-property", action="append", default=[], metavar="K=V",
                   help="extra librdkafka property for kcat -X (repeatable)")
    p.add_argument("--window-ms", type=int, default=10_000)
    p.add_argument("--threshold", type=int, default=2)
    p.add_argument("--keyword", default="crash")
    p.add_argument("--severities", default="High,Critical")
    p.add_argument("--key-field", default="user_id")
    p.add_argument("--count-name", default="crash_count")
    p.add_argument("--max-event-time-ms", type=int, default=None,
                   help="expect only windows whose end <= this")
    p.add_argument("--output", help="write rows to this file (default: stdout)")
    p.add_argument("--summary", action="store_true",
                   help="print a JSON object of figures on stdout instead of the rows")
    args = p.parse_args(argv)
    if args.window_ms <= 0:
        p.error("--window-ms must be positive")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    severities = tuple(ascii_lower(s.strip()) for s in args.severities.split(",") if s.strip())
    rules = Rules(window_ms=args.window_ms, threshold=args.threshold,
                  keyword=ascii_lower(args.keyword), severities=severities,
                  key_field=args.key_field, count_name=args.count_name,
                  max_event_time_ms=args.max_event_time_ms)
    try:
        if args.input is not None:
            values = values_from_file(args.input)
        else:
            values = values_from_kafka(args.kcat, args.bootstrap, args.topic,
                                       args.kcat_timeout_s, args.kcat_property)
        tally = evaluate(values, rules)
    except (InputError, OSError) as e:
        print("crash_oracle: error: %s" % e, file=sys.stderr)
        return 2

    rows = expected_rows(tally, rules)
    text = "".join(line + "\n" for line in rows)
    if args.output:
        with open(args.output, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
    if args.summary:
        print(json.dumps(summary(tally, rules), separators=(",", ":")))
    elif not args.output:
        sys.stdout.buffer.write(text.encode("utf-8", errors="surrogateescape"))
    reasons = ",".join("%s=%d" % kv for kv in sorted(tally.malformed_by_reason.items()))
    print("crash_oracle: records=%d malformed=%d%s matched=%d groups=%d rows=%d" % (
        tally.records, tally.malformed, " (%s)" % reasons if reasons else "", tally.matched,
        len(tally.groups), len(rows)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
