#!/usr/bin/env python3
"""Runs the SQL cases (tests/sql/cases/NAME.sql) on Spate and compares each sink's rows with
DuckDB's (NAME.oracle.sql over the same records, oracle.py). Plain python3 of the SQL tests'
venv; exit 1 on any mismatch, with a readable difference.

  test_sql_oracle.py --bin-dir build/bin --master spate://127.0.0.1:PORT --bootstrap B \\
      --dataset main=DATA_DIR:TOPIC [--dataset late=DATA_DIR:TOPIC] --work SCRATCH [NAME ...]
  test_sql_oracle.py --oracle-only --dataset main=DATA_DIR [NAME ...]

A case is a script in Flink's dialect with ${topic}, ${bootstrap} and ${out} placeholders and
`-- @name: value` directives in its comments:

  @dataset: main|late      which data set (default main)
  @min-rows: N             the oracle must give at least N rows (else the case proves nothing)
  @approx: col=tol,...     columns compared within a relative tolerance (at least +-2)
  @submit: ARGS            extra spate-submit arguments (e.g. --max-offsets-per-trigger 2000)
  @late-sim: K=V,...       the oracle drops what the batches' watermarks drop (oracle.py)
  @malformed: all|at-most  the job's malformed count must equal the data set's (default), or
                           not exceed it (a raw-byte pre-filter skips some records unparsed)

Each case runs `spate-submit --master M --sql-file SCRIPT --trigger available-now` (plus
--num-executors 2 --executor-cores 1 --conf spate.sql.shuffle.partitions=4 on a cluster); the
rows are every line of every file of the sink directory whose name does not begin with . or _.
On a cluster the job's `--status` must also count every record of the topic as input, the
malformed ones as malformed, and (with @late-sim) the dropped ones as late.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import oracle  # noqa: E402

CASES_DIR = os.path.join(HERE, "cases")
CLUSTER_ARGS = ["--num-executors", "2", "--executor-cores", "1", "--conf",
                "spate.sql.shuffle.partitions=4"]


class DataSet:
    def __init__(self, spec: str):
        name, _, rest = spec.partition("=")
        path, _, topic = rest.partition(":")
        self.name, self.dir, self.topic = name, path, topic
        with open(os.path.join(path, "meta.json")) as f:
            self.meta = json.load(f)
        self.records = os.path.join(path, "records.jsonl")
        self._loaded: dict[str, oracle.Loaded] = {}

    def load(self, late_sim: str | None) -> oracle.Loaded:
        key = late_sim or ""
        if key not in self._loaded:
            self._loaded[key] = oracle.load(self.records, oracle.parse_late_sim(late_sim))
        return self._loaded[key]


def list_cases(patterns: list[str]) -> list[str]:
    names = sorted(f[:-4] for f in os.listdir(CASES_DIR)
                   if f.endswith(".sql") and not f.endswith(".oracle.sql"))
    if not patterns:
        return names
    return [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]


def run_case(name: str, datasets: dict[str, DataSet], env: harness.Env | None,
             verdicts: harness.Verdicts, oracle_only: bool) -> None:
    with open(os.path.join(CASES_DIR, name + ".sql"), encoding="utf-8") as f:
        script = f.read()
    with open(os.path.join(CASES_DIR, name + ".oracle.sql"), encoding="utf-8") as f:
        oracle_sql = f.read()
    d = harness.directives(script)
    ds = datasets.get(d.get("dataset", "main"))
    if ds is None:
        verdicts.skip(name, "no data set %r given" % d.get("dataset", "main"))
        return
    loaded = ds.load(d.get("late-sim"))
    try:
        expected = oracle.query_rows(loaded, oracle_sql)
    except Exception as e:  # an oracle query that does not run is a harness bug: say so
        verdicts.fail(name, "oracle query failed: %s" % e)
        return
    min_rows = int(d.get("min-rows", "1"))
    if len(expected) < min_rows:
        verdicts.fail(name, "the oracle gives %d rows, fewer than @min-rows %d: the case proves "
                            "too little on this data" % (len(expected), min_rows))
        return
    if oracle_only:
        verdicts.ok(name, "oracle: %d rows%s" % (
            len(expected), ", %d late" % loaded.late_dropped if d.get("late-sim") else ""))
        return

    case_dir = os.path.join(env.work, name)
    os.makedirs(case_dir, exist_ok=True)
    out_dir = os.path.join(case_dir, "out")
    script_path = os.path.join(case_dir, "script.sql")
    with open(script_path, "w", encoding="utf-8") as f:
        f.write(harness.render(script, ds.topic, env.bootstrap, out_dir))
    with open(os.path.join(case_dir, "expected.jsonl"), "w", encoding="utf-8") as f:
        f.write("".join(sorted(oracle.dumps_row(r) + "\n" for r in expected)))
    extra = d.get("submit", "").split()
    r = harness.submit(env, script_path, extra)
    with open(os.path.join(case_dir, "submit.log"), "w", encoding="utf-8") as f:
        f.write("exit %d after %.1f s\n--- stdout\n%s\n--- stderr\n%s" % (
            r.rc, r.seconds, r.stdout, r.stderr))
    if r.timed_out:
        verdicts.fail(name, "spate-submit did not finish within %.0f s\n%s" % (
            env.timeout_s, harness.tail(r.stderr)))
        return
    if r.rc != 0:
        verdicts.fail(name, "spate-submit exited %d\n%s\n%s" % (
            r.rc, harness.tail(r.stdout, 10), harness.tail(r.stderr)))
        return
    actual, bad = harness.read_sink(out_dir)
    problems = []
    if bad:
        problems.append("%d sink lines are not JSON objects, e.g. %s" % (len(bad), bad[0]))
    diff = oracle.compare(expected, actual, harness.parse_kv_list(d.get("approx", "")))
    if diff:
        problems.append(diff)
    status = harness.status_text(env, r.job_id)
    if status:
        checks = [("input rows:", ds.meta["total"], "=="),
                  ("malformed:", ds.meta["malformed"],
                   "<=" if d.get("malformed") == "at-most" else "==")]
        if d.get("late-sim"):
            checks.append(("late rows:", loaded.late_dropped, "=="))
        for label, want, op in checks:
            got = harness.status_number(status, label)
            good = got == want if op == "==" else 0 <= got <= want
            if not good:
                problems.append("--status %s %d, expected %s %d" % (label, got, op, want))
    elif not env.local:
        problems.append("no --status for job %r" % r.job_id)
    if problems:
        verdicts.fail(name, "\n".join(problems) + "\n(script, expected rows and logs in %s)" %
                      case_dir)
    else:
        verdicts.ok(name, "%d rows, %.1f s" % (len(actual), r.seconds))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="case names or globs (default: all)")
    ap.add_argument("--dataset", action="append", default=[], metavar="NAME=DIR[:TOPIC]")
    ap.add_argument("--bin-dir", default=os.environ.get("SPATE_BIN_DIR", "build/bin"))
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--bootstrap", default=os.environ.get("SPATE_BOOTSTRAP", "127.0.0.1:19092"))
    ap.add_argument("--work", default=None, help="scratch directory")
    ap.add_argument("--timeout-s", type=float, default=120)
    ap.add_argument("--oracle-only", action="store_true",
                    help="only run the oracle queries (checks them and @min-rows)")
    args = ap.parse_args(argv)
    datasets = {}
    for spec in args.dataset:
        ds = DataSet(spec)
        datasets[ds.name] = ds
    if "main" not in datasets:
        ap.error("--dataset main=DIR[:TOPIC] is required")
    env = None
    if not args.oracle_only:
        if not args.work:
            ap.error("--work is required")
        env = harness.Env(args.bin_dir, args.master, args.bootstrap, args.work,
                          [] if args.master.startswith("local") else CLUSTER_ARGS,
                          args.timeout_s)
        os.makedirs(args.work, exist_ok=True)
    names = list_cases(args.names)
    if not names:
        ap.error("no case matches %s" % args.names)
    verdicts = harness.Verdicts()
    started = time.monotonic()
    for name in names:
        run_case(name, datasets, env, verdicts, args.oracle_only)
    print("cases took %.1f s" % (time.monotonic() - started))
    return verdicts.summary("sql cases")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
