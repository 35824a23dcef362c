#!/usr/bin/env python3
"""Recovery case: a stateful SQL job streams (1 s trigger, unbounded source) while the records
arrive in bursts; one worker is killed with SIGKILL (its work dir deleted) mid-run; once every
record is committed the job is stopped with --drain. Its rows must equal DuckDB's over all
records, each exactly once.

  recovery.py --script tests/sql/recovery/NAME.sql --dataset DIR:TOPIC --work SCRATCH \\
      --master spate://127.0.0.1:PORT --bootstrap B --bin-dir build/bin \\
      --kill-pid WORKER_PID [--kill-dir WORKER_WORK_DIR] [--bursts 5]

The data set (gen_records.py generate) must not be in the topic yet: burst 0 is produced before
the job starts (so every partition has event time from the first batch on), bursts 1.. while it
runs, about a second apart. Within a partition no record is further behind than the data's
disorder, below the script's watermark delay, so nothing is late; the source idle timeout is
raised so that a partition whose burst lands a moment after the others' never looks idle.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import oracle  # noqa: E402

JOB_ARGS = ["--num-executors", "2", "--executor-cores", "1", "--conf",
            "spate.sql.shuffle.partitions=4", "--conf", "spate.source.idle-timeout=600s"]


def produce(args, data_dir: str, topic: str, burst: int) -> None:
    subprocess.run([sys.executable, os.path.join(HERE, "gen_records.py"), "produce", "--dir",
                    data_dir, "--bootstrap", args.bootstrap, "--topic", topic, "--burst",
                    str(burst), "--bursts", str(args.bursts)], check=True, timeout=120)


def wait_for(pred, timeout_s: float, every_s: float = 0.2):
    deadline = time.monotonic() + timeout_s
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(every_s)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--script", required=True)
    ap.add_argument("--dataset", required=True, help="DIR:TOPIC")
    ap.add_argument("--work", required=True)
    ap.add_argument("--master", required=True)
    ap.add_argument("--bootstrap", default=os.environ.get("SPATE_BOOTSTRAP", "127.0.0.1:19092"))
    ap.add_argument("--bin-dir", default=os.environ.get("SPATE_BIN_DIR", "build/bin"))
    ap.add_argument("--kill-pid", type=int, required=True)
    ap.add_argument("--kill-dir")
    ap.add_argument("--bursts", type=int, default=5)
    ap.add_argument("--timeout-s", type=float, default=120)
    args = ap.parse_args(argv)

    name = "recovery-" + os.path.basename(args.script)[:-4]
    verdicts = harness.Verdicts()
    data_dir, _, topic = args.dataset.partition(":")
    with open(os.path.join(data_dir, "meta.json")) as f:
        meta = json.load(f)
    with open(args.script, encoding="utf-8") as f:
        script = f.read()
    with open(args.script[:-4] + ".oracle.sql", encoding="utf-8") as f:
        oracle_sql = f.read()
    d = harness.directives(script)
    expected = oracle.query_rows(oracle.load(os.path.join(data_dir, "records.jsonl")), oracle_sql)
    if len(expected) < int(d.get("min-rows", "1")):
        verdicts.fail(name, "the oracle gives only %d rows" % len(expected))
        return verdicts.summary(name)

    case_dir = os.path.join(args.work, name)
    os.makedirs(case_dir, exist_ok=True)
    out_dir = os.path.join(case_dir, "out")
    path = os.path.join(case_dir, "script.sql")
    with open(path, "w", encoding="utf-8") as f:
        f.write(harness.render(script, topic, args.bootstrap, out_dir))
    env = harness.Env(args.bin_dir, args.master, args.bootstrap, args.work, JOB_ARGS, 30)
    started = time.monotonic()
    notes = []

    produce(args, data_dir, topic, 0)
    r = harness.submit(env, path, ["--checkpoint-dir", os.path.join(case_dir, "checkpoint")],
                       trigger="processing-time=1s", detach=True, timeout_s=30)
    if r.rc != 0 or not r.job_id:
        verdicts.fail(name, "spate-submit --detach exited %d\n%s\n%s" % (
            r.rc, harness.tail(r.stdout), harness.tail(r.stderr)))
        return verdicts.summary(name)
    job = r.job_id

    def input_rows() -> int:
        return harness.status_number(harness.status_text(env, job), "input rows:")

    first = sum(n // args.bursts for n in meta["per_partition"])  # burst 0's records
    problems = []
    if not wait_for(lambda: input_rows() >= first, 60):
        problems.append("the job did not read burst 0 (%d records) within 60 s" % first)
    produce(args, data_dir, topic, 1)
    time.sleep(0.6)  # into the batches that read burst 1
    os.kill(args.kill_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    if args.kill_dir:
        shutil.rmtree(args.kill_dir, ignore_errors=True)
    notes.append("worker pid %d killed %.1f s after the start" % (args.kill_pid,
                                                                   killed_at - started))
    for b in range(2, args.bursts):
        time.sleep(1.0)
        produce(args, data_dir, topic, b)
    total = meta["total"]
    if not wait_for(lambda: input_rows() >= total, args.timeout_s, 0.5):
        problems.append("input rows %d after %.0f s, expected %d" % (input_rows(), args.timeout_s,
                                                                   total))
    stop = harness.run_submit_cmd(env, ["--stop", job, "--drain"], 60)
    if stop.returncode != 0:
        problems.append("--stop --drain exited %d: %s" % (stop.returncode, stop.stderr.strip()))
    finished = wait_for(lambda: harness.status_text(env, job).startswith("FINISHED"), 60, 0.5)
    status = harness.status_text(env, job)
    with open(os.path.join(case_dir, "status.txt"), "w", encoding="utf-8") as f:
        f.write(status)
    with open(os.path.join(case_dir, "expected.jsonl"), "w", encoding="utf-8") as f:
        f.write("".join(sorted(oracle.dumps_row(x) + "\n" for x in expected)))
    if not finished:
        problems.append("the job is not FINISHED after --stop --drain:\n" + status)
    actual, bad = harness.read_sink(out_dir)
    if bad:
        problems.append("%d sink lines are not JSON objects, e.g. %s" % (len(bad), bad[0]))
    diff = oracle.compare(expected, actual)
    if diff:
        problems.append(diff)
    if harness.status_number(status, "input rows:") != total:
        problems.append("--status input rows: %d, expected %d" % (
            harness.status_number(status, "input rows:"), total))
    if harness.status_number(status, "late rows:") != 0:
        problems.append("--status late rows: %d, expected 0" % harness.status_number(
            status, "late rows:"))
    rec = [x for x in status.splitlines() if x.startswith("recovery:")]
    notes.append(rec[0] if rec else "no recovery line in --status")
    if rec and rec[0].startswith("recovery:   0 "):
        problems.append("the job counted no recovery after the worker was killed")
    if problems:
        verdicts.fail(name, "\n".join(problems + notes) + "\n(logs in %s)" % case_dir)
    else:
        verdicts.ok(name, "%d rows, %.1f s; %s" % (len(actual), time.monotonic() - started,
                                                    "; ".join(notes)))
    return verdicts.summary(name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
