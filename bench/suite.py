#!/usr/bin/env python3
"""Spate's benchmark suite. Started by scripts/bench.sh; see bench/README.md.

Sections, in this order (each can be left out):
  fill       a topic of N records (default 10 M, 8 partitions) from spate-loadgen --seed 42
  catchup    in R rounds, rotating the order: the ceilings (spate-bare-consumer: bare, --parse,
             --prefilter crash; Kafka's ConsumerPerformance) and Spate's crash-detector
             (available-now, a master + 2 workers x 1 core); batch durations from the master's
             /api/v1/jobs/JOB/progress, peak RSS (VmHWM) of master and workers
  oracle     Spate's rows against tests/oracle/crash_oracle.py
  peers      bench/peers/run_all.sh (Spark defaults/tuned, Flink plain/pre-filter) with Spate's
             rows as the expected ones: Flink identical, Spark identical up to its final watermark
  sustained  bench/sustained.sh, when it exists (its name=value lines are taken over)
  state      1 000 / 100 000 / 1 000 000 distinct users: throughput, state rows/bytes, peak RSS
  scaleout   workers 1, 2, 4 (one core each) and shuffle partitions 2, 4, 8, 16 (2 workers)

Writes to the results directory: summary.txt (name=value lines, also printed last),
summary.csv, results.json (everything), runs.csv (one line per timed run), batches.csv (one line
per Spate batch), logs/ and work/ (process logs, sink output). Every process it starts is stopped
by PID at the end, on Ctrl-C and on TERM; everything binds 127.0.0.1.
Exit status: 0, or 1 when a section failed or a row check did not match.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = 42
START_MS = 1768142570000
SECTIONS = ["fill", "catchup", "oracle", "peers", "sustained", "state", "scaleout"]
# The summary's first lines, in this order (the figures and ratios); the rest follow in
# the order they were measured.
HEADLINE = [
    "spate_rps", "consumer_ceiling_rps", "kafka_perf_rps", "parse_only_rps",
    "prefilter_parse_rps", "spark_rps", "spark_defaults_rps", "spark_tuned_rps", "flink_rps",
    "flink_plain_rps", "flink_prefilter_rps", "sustained_rps", "spark_sustained_rps",
    "loadgen_bare_rps", "spate_peak_rss_mb", "spark_peak_rss_mb", "flink_peak_rss_mb",
    "spate_vs_ceiling", "spate_vs_kafka_perf", "spate_vs_parse_only", "spate_vs_spark",
    "spate_vs_spark_defaults", "spate_vs_flink", "spate_rss_vs_spark", "spate_rss_vs_flink",
    "sustained_vs_loadgen_bare", "sustained_vs_spark", "rows_check",
]


def say(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kv_pairs(line: str) -> dict:
    """'a=1 b=x' -> {'a': '1', 'b': 'x'} (values without spaces)."""
    return dict(m.groups() for m in re.finditer(r"([A-Za-z_][A-Za-z0-9_.]*)=(\S*)", line))


def num(v):
    """A float from a string, or None."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def proc_status_mb(pid: int, field: str):
    """VmHWM / VmRSS of a live process in MB, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def proc_cpu_s(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def http_json(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


class Failure(Exception):
    pass


class Cluster:
    """A master and W workers with one core each, on free ports; stopped by PID."""

    def __init__(self, suite: "Suite", name: str, workers: int):
        self.suite, self.name, self.workers = suite, name, workers
        self.dir = os.path.join(suite.work, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port, self.ui_port = free_port(), free_port()
        self.master = suite.spawn(
            [suite.bin("spate-master"), "--port", str(self.port), "--ui-port", str(self.ui_port),
             "--state-dir", os.path.join(self.dir, "master")],
            os.path.join(suite.logs, f"{name}-master.log"))
        self.worker_procs = []
        for i in range(1, workers + 1):
            self.worker_procs.append(suite.spawn(
                [suite.bin("spate-worker"), "--master", f"spate://127.0.0.1:{self.port}",
                 "--port", str(free_port()), "--cores", "1", "--memory", "2G",
                 "--work-dir", os.path.join(self.dir, f"worker-{i}")],
                os.path.join(suite.logs, f"{name}-worker-{i}.log")))
        deadline = time.monotonic() + 60
        while True:
            try:
                if http_json(self.ui("/api/v1/cluster"), 2)["workersAlive"] >= workers:
                    break
            except Exception:  # noqa: BLE001 - not up yet
                pass
            for p in [self.master] + self.worker_procs:
                if p.poll() is not None:
                    raise Failure(f"{name}: a cluster process exited (logs in {suite.logs})")
            if time.monotonic() > deadline:
                raise Failure(f"{name}: {workers} workers did not register in 60 s")
            time.sleep(0.1)
        say(f"{name}: master spate://127.0.0.1:{self.port} (UI {self.ui_port}), "
            f"{workers} workers x 1 core")

    def ui(self, path: str) -> str:
        return f"http://127.0.0.1:{self.ui_port}{path}"

    def pids(self):
        return [self.master.pid] + [p.pid for p in self.worker_procs]

    def cpu_s(self) -> float:
        return sum(proc_cpu_s(p) for p in self.pids())

    def peak_rss(self) -> dict:
        """VmHWM in MB of the master and each worker (their peak since they started)."""
        out = {"master": proc_status_mb(self.master.pid, "VmHWM")}
        for i, p in enumerate(self.worker_procs, 1):
            out[f"worker-{i}"] = proc_status_mb(p.pid, "VmHWM")
        return out

    def stop(self) -> None:
        for p in reversed(self.worker_procs + [self.master]):
            self.suite.stop(p)
        shutil.rmtree(self.dir, ignore_errors=True)  # state and checkpoints; logs stay


class Suite:
    def __init__(self, a: argparse.Namespace):
        self.a = a
        self.out = a.out
        self.logs = os.path.join(self.out, "logs")
        self.work = os.path.join(self.out, "work")
        os.makedirs(self.logs, exist_ok=True)
        os.makedirs(self.work, exist_ok=True)
        self.bin_dir = os.path.abspath(a.bin_dir)
        self.procs: list[subprocess.Popen] = []
        self.runs: list[dict] = []      # one per timed run (runs.csv)
        self.batches: list[dict] = []   # one per Spate batch (batches.csv)
        self.summary: dict = {}         # name -> value (summary.txt)
        self.failures: list[str] = []
        self.mismatches: list[str] = []
        self.sections: dict = {}        # section -> ok | failed: ... | skipped
        self.started_kafka = False
        self.created_topics: list[str] = []
        self.spate_rows = None          # sorted rows of the first catch-up round
        self.main_topic_reused = False
        self.broker_pid = None
        self.t0 = time.monotonic()
        self.loadavg_start = open("/proc/loadavg").read().split()[:3]

    # --- processes ---------------------------------------------------------------------
    def bin(self, name: str) -> str:
        return os.path.join(self.bin_dir, name)

    def spawn(self, cmd, log_path, env=None) -> subprocess.Popen:
        with open(log_path, "ab") as log:
            p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True, env=env)
        self.procs.append(p)
        return p

    def stop(self, p: subprocess.Popen, timeout: float = 10) -> None:
        # Every child leads its own session (start_new_session): its process group holds it and
        # whatever it started (run_all.sh's JVMs), and is signalled by its PID.
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                say(f"pid {p.pid} still running {timeout} s after TERM: killing it")
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
            except ProcessLookupError:
                pass
        if p in self.procs:
            self.procs.remove(p)

    def run(self, cmd, name: str, timeout: float | None = None, env=None) -> dict:
        """Runs cmd to its end (stdout to logs/NAME.out, stderr to logs/NAME.log).

        Returns rc, wall_s, cpu_s (the child's and its waited-for children's user + system),
        peak_rss_mb (ru_maxrss of the child or its largest waited-for descendant), out, err paths.
        """
        out_path = os.path.join(self.logs, name + ".out")
        err_path = os.path.join(self.logs, name + ".log")
        b0 = self.broker_cpu_s()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            t0 = time.monotonic()
            p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                 start_new_session=True, env=env, cwd=ROOT)
        self.procs.append(p)
        result = []
        waiter = threading.Thread(target=lambda: result.append(os.wait4(p.pid, 0)), daemon=True)
        waiter.start()
        deadline = None if timeout is None else t0 + timeout
        timed_out = False
        while waiter.is_alive():
            waiter.join(0.2)
            if deadline is not None and time.monotonic() > deadline and waiter.is_alive():
                timed_out = True
                say(f"{name}: still running after {timeout:.0f} s: stopping it")
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    try:
                        os.killpg(p.pid, sig)  # its own session: the whole group it started
                    except ProcessLookupError:
                        pass
                    waiter.join(30)  # time for the command's own cleanup
                    if not waiter.is_alive():
                        break
        wall = time.monotonic() - t0
        b1 = self.broker_cpu_s()
        _, status, ru = result[0]
        p.returncode = os.waitstatus_to_exitcode(status)
        self.procs.remove(p)
        return {"rc": 124 if timed_out else p.returncode, "wall_s": wall,
                "cpu_s": ru.ru_utime + ru.ru_stime, "peak_rss_mb": ru.ru_maxrss / 1024.0,
                "broker_cpu_s": None if b0 is None or b1 is None else b1 - b0,
                "out": out_path, "err": err_path}

    def cleanup(self) -> None:
        # 30 s: a script such as bench/sustained.sh stops what it started in its own trap.
        for p in reversed(list(self.procs)):
            self.stop(p, 30)
        if not self.a.keep_topics:
            for t in self.created_topics:
                subprocess.run([self.bin("spate-topics"), "--bootstrap", self.a.bootstrap,
                                "delete", t, "--if-exists"], capture_output=True)
        if self.started_kafka:
            subprocess.run([os.path.join(ROOT, "scripts/kafka.sh"), "stop"], capture_output=True,
                           env=dict(os.environ, SPATE_KAFKA_PORT=self.a.bootstrap.rsplit(":", 1)[1]))
            say(f"stopped the broker it started on {self.a.bootstrap}")

    # --- results -------------------------------------------------------------------------
    def record(self, section: str, name: str, rnd, **fields) -> dict:
        row = {"section": section, "name": name, "round": rnd, **fields}
        self.runs.append(row)
        return row

    def put(self, name: str, value) -> None:
        if value is None:
            return
        if isinstance(value, float):
            value = round(value, 3) if abs(value) < 100 else round(value)
        self.summary[name] = value

    # --- broker and topics ---------------------------------------------------------------
    def broker_answers(self) -> bool:
        r = subprocess.run([self.bin("spate-topics"), "--bootstrap", self.a.bootstrap,
                            "--timeout", "3s", "list"], capture_output=True)
        return r.returncode == 0

    def ensure_broker(self) -> None:
        if self.broker_answers():
            say(f"using the broker at {self.a.bootstrap}")
            return
        host, port = self.a.bootstrap.rsplit(":", 1)
        if host not in ("127.0.0.1", "localhost"):
            raise Failure(f"no broker answers at {self.a.bootstrap}, and it is not local")
        say(f"no broker at {self.a.bootstrap}: starting one with scripts/kafka.sh")
        self.started_kafka = True
        r = subprocess.run([os.path.join(ROOT, "scripts/kafka.sh"), "start"],
                           env=dict(os.environ, SPATE_KAFKA_PORT=port), capture_output=True,
                           text=True)
        if r.returncode != 0:
            raise Failure("scripts/kafka.sh start failed:\n" + r.stderr[-2000:])

    def find_broker_pid(self) -> None:
        """The broker's PID when it is a scripts/kafka.sh broker here: its CPU is counted."""
        port = self.a.bootstrap.rsplit(":", 1)[1]
        d = os.environ.get("SPATE_KAFKA_DIR") or os.path.join(
            os.environ.get("TMPDIR", "/tmp"), f"spate-kafka-{port}")
        try:
            pid = int(open(os.path.join(d, "broker.pid")).read().strip())
            os.kill(pid, 0)
            self.broker_pid = pid
        except (OSError, ValueError):
            self.broker_pid = None

    def broker_cpu_s(self):
        return proc_cpu_s(self.broker_pid) if self.broker_pid else None

    def topic_records(self, topic: str):
        r = subprocess.run([self.bin("spate-topics"), "--bootstrap", self.a.bootstrap, "describe",
                            topic], capture_output=True, text=True)
        if r.returncode != 0:
            return None
        lo = sum(int(x) for x in re.findall(r"Low:\s*(-?\d+)", r.stdout))
        hi = sum(int(x) for x in re.findall(r"High:\s*(-?\d+)", r.stdout))
        return hi - lo

    def fill(self, topic: str, records: int, users: int | None, name: str,
             extra: list | None = None) -> dict:
        """Creates and fills `topic` (or reuses it with --reuse when it holds `records`)."""
        have = self.topic_records(topic)
        if self.a.reuse and have == records:
            say(f"reusing topic {topic} ({records} records)")
            return {"reused": True}
        if have is not None:
            say(f"deleting topic {topic} ({have} records)")
            subprocess.run([self.bin("spate-topics"), "--bootstrap", self.a.bootstrap, "delete",
                            topic], capture_output=True, check=True)
        subprocess.run([self.bin("spate-topics"), "--bootstrap", self.a.bootstrap, "create", topic,
                        "--partitions", str(self.a.partitions)], capture_output=True, check=True)
        self.created_topics.append(topic)
        cmd = [self.bin("spate-loadgen"), "--bootstrap", self.a.bootstrap, "--topic", topic,
               "--rate", "0", "--seed", str(SEED), "--start-ms", str(START_MS),
               "--count", str(records), "--progress-interval", "0"]
        if users is not None:
            cmd += ["--users", str(users)]
        cmd += extra or []
        say(f"filling {topic}: {' '.join(cmd[1:])}")
        r = self.run(cmd, name)
        if r["rc"] != 0:
            raise Failure(f"spate-loadgen failed (exit {r['rc']}, see {r['err']})")
        have = self.topic_records(topic)
        if have != records:
            raise Failure(f"topic {topic} holds {have} records, expected {records}")
        rps = records / r["wall_s"]
        self.record("fill", name, 1, records=records, seconds=r["wall_s"], records_per_s=rps,
                    cpu_s=r["cpu_s"], peak_rss_mb=r["peak_rss_mb"], broker_cpu_s=r["broker_cpu_s"],
                    note=f"users={users or 1000} {' '.join(extra or [])}".strip())
        return {"reused": False, "records_per_s": rps, "seconds": r["wall_s"]}

    # --- the engines ---------------------------------------------------------------------
    def run_consumer(self, mode: str, topic: str, rnd: int) -> dict:
        extra = {"bare": [], "parse": ["--parse"], "prefilter": ["--parse", "--prefilter", "crash"]}
        name = {"bare": "bare", "parse": "parse", "prefilter": "prefilter_parse"}[mode]
        cmd = [self.bin("spate-bare-consumer"), "--bootstrap", self.a.bootstrap, "--topic", topic,
               "--threads", str(self.a.threads)] + extra[mode] + self.a.bare_args
        r = self.run(cmd, f"{name}-r{rnd}", timeout=600)
        line = next((l for l in open(r["out"]) if l.startswith("summary:")), None)
        if r["rc"] != 0 or line is None:
            raise Failure(f"spate-bare-consumer {mode} failed (exit {r['rc']}, see {r['err']})")
        s = kv_pairs(line)
        return self.record("catchup", name, rnd, records=int(s["records"]),
                           seconds=float(s["seconds"]), records_per_s=float(s["records_per_s"]),
                           cpu_s=float(s["cpu_s"]), peak_rss_mb=r["peak_rss_mb"],
                           broker_cpu_s=r["broker_cpu_s"],
                           note=f"threads={s.get('threads')} parsed={s.get('parsed')} "
                                f"malformed={s.get('malformed')} mb_per_s={s.get('mb_per_s')}")

    def kafka_perf_available(self) -> bool:
        libs = os.path.join(self.a.cache_dir, "kafka-4.1.1", "libs")
        return os.path.isdir(libs) and any(f.startswith("kafka-tools-") for f in os.listdir(libs))

    def run_kafka_perf(self, topic: str, records: int, rnd: int) -> dict:
        libs = os.path.join(self.a.cache_dir, "kafka-4.1.1", "libs")
        cmd = ["java", "-Xms1g", "-Xmx1g", "-cp", os.path.join(libs, "*"),
               "org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server",
               self.a.bootstrap, "--topic", topic, "--messages", str(records), "--timeout", "60000",
               "--group", f"bench-perf-{os.getpid()}-{rnd}-{int(time.time())}"]
        r = self.run(cmd, f"kafka_perf-r{rnd}", timeout=600)
        # start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
        # rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
        lines = [l for l in open(r["out"]) if "," in l and not l.startswith("start.time")]
        if r["rc"] != 0 or not lines:
            raise Failure(f"ConsumerPerformance failed (exit {r['rc']}, see {r['err']})")
        f = [x.strip() for x in lines[-1].split(",")]
        n, rps = float(f[4]), float(f[5])
        return self.record("catchup", "kafka_perf", rnd, records=int(n),
                           seconds=n / rps if rps > 0 else None, records_per_s=rps,
                           cpu_s=r["cpu_s"], peak_rss_mb=r["peak_rss_mb"],
                           broker_cpu_s=r["broker_cpu_s"],
                           note=f"fetch_records_per_s={f[9]} rebalance_ms={f[6]} "
                                f"jvm_wall_s={r['wall_s']:.2f} (CPU and RSS include the JVM)")

    def run_spate(self, cluster: Cluster, topic: str, records: int, section: str, name: str,
                  rnd, executors: int, shuffle: int, keep_rows: bool = False) -> dict:
        sink = os.path.join(self.work, f"{name}-r{rnd}-sink")
        shutil.rmtree(sink, ignore_errors=True)
        os.makedirs(sink)
        cmd = [self.bin("spate-submit"), "--master", f"spate://127.0.0.1:{cluster.port}"]
        cmd += self.a.submit_args
        cmd += ["--num-executors", str(executors), "--executor-cores", "1",
                "--conf", f"spate.sql.shuffle.partitions={shuffle}",
                "--bootstrap", self.a.bootstrap, "--topic", topic, "--starting-offsets", "earliest",
                "--trigger", "available-now", "--sink", f"file:{sink}", "crash-detector"]
        c0 = cluster.cpu_s()
        r = self.run(cmd, f"{name}-r{rnd}", timeout=900)
        c1 = cluster.cpu_s()
        err = open(r["err"], errors="replace").read()
        m = re.search(r"^submitted (\S+)", err, re.M)
        job = m.group(1) if m else None
        if r["rc"] != 0:
            raise Failure(f"spate-submit ({name} round {rnd}) exited {r['rc']}: "
                          f"{err.strip().splitlines()[-1] if err.strip() else ''} (see {r['err']})")
        progress = []
        if job:
            try:
                progress = http_json(cluster.ui(f"/api/v1/jobs/{job}/progress"))
            except Exception as e:  # noqa: BLE001 - the figures are optional
                say(f"no progress for {job}: {e}")
            with open(os.path.join(self.logs, f"{name}-r{rnd}.progress.json"), "w") as f:
                json.dump(progress, f, indent=1)
        input_rows = sum(int(b.get("numInputRows", 0)) for b in progress)
        for b in progress:
            d = b.get("durationMs", {})
            self.batches.append({
                "section": section, "name": name, "round": rnd, "job": job,
                "batch_id": b.get("batchId"), "timestamp_ms": b.get("timestampMs"),
                "input_rows": b.get("numInputRows"), "planning_ms": d.get("planning"),
                "stage1_ms": d.get("stage1"), "stage2_ms": d.get("stage2"),
                "commit_ms": d.get("commit"), "total_ms": d.get("total"),
                "state_rows": b.get("stateRows"), "state_bytes": b.get("stateBytes"),
                "rows_emitted": b.get("rowsEmitted"), "shuffle_bytes": b.get("shuffleBytes"),
                "executor_task_ms": " ".join(str(e.get("taskTimeMs")) for e in b.get("executors", [])),
            })
        rows = []
        for fn in sorted(os.listdir(sink)):
            if fn.startswith((".", "_")):
                continue
            with open(os.path.join(sink, fn)) as f:
                rows += [l for l in f if l.strip()]
        rows.sort(key=lambda s: s.encode())  # LC_ALL=C order
        rows_path = os.path.join(self.work, f"{name}-r{rnd}.rows.jsonl")
        with open(rows_path, "w") as f:
            f.writelines(rows)
        if not keep_rows:
            shutil.rmtree(sink, ignore_errors=True)
        rss = cluster.peak_rss()
        if input_rows and input_rows != records:
            say(f"warning: {name} round {rnd} read {input_rows} input rows, expected {records}")
        totals = [b.get("durationMs", {}).get("total") or 0 for b in progress]
        return self.record(
            section, name, rnd, records=records, seconds=r["wall_s"],
            records_per_s=records / r["wall_s"], cpu_s=(c1 - c0) + r["cpu_s"],
            peak_rss_mb=sum(v or 0 for v in rss.values()), broker_cpu_s=r["broker_cpu_s"],
            rows=len(rows), job=job,
            input_rows=input_rows, batches=len(progress),
            batch_max_ms=max(totals) if totals else None,
            state_rows=max((b.get("stateRows") or 0 for b in progress), default=None),
            state_bytes=max((b.get("stateBytes") or 0 for b in progress), default=None),
            master_rss_mb=rss.get("master"),
            workers_rss_mb=sum(v or 0 for k, v in rss.items() if k != "master"),
            submit_rss_mb=r["peak_rss_mb"], executors=executors, shuffle_partitions=shuffle,
            rows_path=rows_path,
            note=f"workers={cluster.workers} executors={executors} shuffle={shuffle} "
                 f"peak RSS " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items() if v))

    # --- sections ------------------------------------------------------------------------
    def section(self, name: str, fn) -> None:
        if name in self.a.skip:
            self.sections[name] = "skipped"
            return
        t0 = time.monotonic()
        say(f"--- {name} ---")
        try:
            fn()
            self.sections[name] = "ok"
        except Failure as e:
            self.sections[name] = f"failed: {e}"
            self.failures.append(f"{name}: {e}")
            say(f"{name} FAILED: {e}")
        self.put(f"section_{name}_s", time.monotonic() - t0)

    def do_fill(self) -> None:
        r = self.fill(self.a.topic, self.a.records, None, "fill")
        self.main_topic_reused = r["reused"]
        if not r["reused"]:
            self.put("loadgen_fill_rps", r["records_per_s"])

    def do_catchup(self) -> None:
        engines = ["bare", "parse", "prefilter", "kafka", "spate"]
        if "kafka" in self.a.skip_engines or not self.kafka_perf_available():
            if "kafka" not in self.a.skip_engines:
                say("no kafka-tools jar in the kafka.sh cache: leaving ConsumerPerformance out")
            engines.remove("kafka")
        engines = [e for e in engines if e not in self.a.skip_engines]
        cluster = Cluster(self, "catchup", 2) if "spate" in engines else None
        errors = []  # a failed run is reported; the other engines and rounds still run
        try:
            for rnd in range(1, self.a.rounds + 1):
                k = rnd - 1
                for e in engines[k % len(engines):] + engines[:k % len(engines)]:
                    try:
                        if e == "kafka":
                            row = self.run_kafka_perf(self.a.topic, self.a.records, rnd)
                        elif e == "spate":
                            row = self.run_spate(cluster, self.a.topic, self.a.records, "catchup",
                                                 "spate", rnd, 2, 2)
                        else:
                            row = self.run_consumer(e, self.a.topic, rnd)
                    except Failure as err:
                        errors.append(str(err))
                        say(f"round {rnd}: {e} FAILED: {err}")
                        continue
                    say(f"round {rnd}: {row['name']}: {row['seconds'] or 0:.2f} s, "
                        f"{row['records_per_s'] / 1e6:.3f} M records/s, CPU {row['cpu_s']:.2f} s")
            if cluster:
                rss = cluster.peak_rss()
                self.put("spate_master_peak_rss_mb", rss["master"])
                self.put("spate_worker_peak_rss_mb",
                         max(v or 0 for k, v in rss.items() if k != "master"))
                self.put("spate_peak_rss_mb", sum(v or 0 for v in rss.values()))
        finally:
            if cluster:
                cluster.stop()
        by = lambda n: [r for r in self.runs if r["section"] == "catchup" and r["name"] == n]
        for name, key in [("bare", "consumer_ceiling"), ("parse", "parse_only"),
                          ("prefilter_parse", "prefilter_parse"), ("kafka_perf", "kafka_perf"),
                          ("spate", "spate")]:
            rs = by(name)
            if not rs:
                continue
            self.put(f"{key}_rps", median(r["records_per_s"] for r in rs))
            self.put(f"{key}_best_rps", max(r["records_per_s"] for r in rs))
            self.put(f"{key}_cpu_s", median(r["cpu_s"] for r in rs))
            self.put(f"{key}_broker_cpu_s", median(r.get("broker_cpu_s") for r in rs))
        spate = by("spate")
        if spate:
            self.put("spate_seconds", median(r["seconds"] for r in spate))
            self.put("spate_batches", round(median(r["batches"] for r in spate)))
            self.put("spate_batch_max_ms", median(r["batch_max_ms"] for r in spate))
            self.put("spate_submit_peak_rss_mb", max(r["submit_rss_mb"] for r in spate))
            self.put("spate_rows", spate[0]["rows"])
            self.spate_rows = spate[0]["rows_path"]
            differ = [r["round"] for r in spate[1:]
                      if open(r["rows_path"]).read() != open(self.spate_rows).read()]
            if differ:
                self.mismatches.append(f"Spate's rows differ between rounds 1 and {differ}")
            self.put("rows_spate_rounds_identical", "no" if differ else "yes")
        if errors:
            raise Failure("; ".join(errors))

    def do_oracle(self) -> None:
        if not self.spate_rows:
            raise Failure("no Spate rows to check (catch-up did not run)")
        cache = os.path.join(self.a.cache_dir, "bench")
        os.makedirs(cache, exist_ok=True)
        key = re.sub(r"[^0-9A-Za-z]", "_", self.a.bootstrap)
        expected = os.path.join(cache, f"oracle-{key}-{self.a.topic}-{self.a.records}.jsonl")
        # The cached rows hold while the topic is the same one: reused, not refilled.
        if not (self.main_topic_reused and os.path.exists(expected)):
            say("oracle: reading the topic through kcat and Python")
            r = self.run(["python3", os.path.join(ROOT, "tests/oracle/crash_oracle.py"),
                          "--bootstrap", self.a.bootstrap, "--topic", self.a.topic,
                          "--output", expected + ".tmp"], "oracle", timeout=1200)
            if r["rc"] != 0:
                raise Failure(f"the oracle failed (exit {r['rc']}, see {r['err']})")
            os.replace(expected + ".tmp", expected)
        r = subprocess.run([sys.executable, os.path.join(ROOT, "bench/peers/compare_rows.py"),
                            "--expected", expected, "--actual", self.spate_rows],
                           capture_output=True, text=True)
        verdict = r.stdout.strip()
        say(f"Spate vs oracle: {verdict}")
        with open(os.path.join(self.logs, "oracle-compare.txt"), "w") as f:
            f.write(verdict + "\n" + r.stderr)
        self.put("rows_oracle", kv_pairs(verdict).get("expected"))
        self.put("rows_spate_vs_oracle", "match" if r.returncode == 0 else "MISMATCH")
        if r.returncode != 0:
            self.mismatches.append(f"Spate's rows differ from the oracle's: {verdict}")

    def do_peers(self) -> None:
        if not self.spate_rows:
            raise Failure("no Spate rows to compare the peers with (catch-up did not run)")
        work = os.path.join(self.work, "peers")
        cmd = [os.path.join(ROOT, "bench/peers/run_all.sh"), "--bootstrap", self.a.bootstrap,
               "--topic", self.a.topic, "--expected", self.spate_rows, "--rounds",
               str(self.a.peer_rounds), "--work", work]
        if self.a.peers_only:
            cmd += ["--only", self.a.peers_only]
        r = self.run(cmd, "peers", timeout=3600)
        peers, verdicts, failed = {}, {}, []
        for line in open(r["out"]):
            if line.startswith("peer: "):
                s = kv_pairs(line)
                if "FAILED" in line:
                    failed.append(line.strip())
                    say(line.strip())
                    continue
                peers.setdefault(s["name"], []).append(s)
                say(f"{s['name']} round {s['round']}: {num(s.get('seconds')) or 0:.1f} s, "
                    f"{(num(s.get('records_per_s')) or 0) / 1e6:.3f} M records/s, JVM CPU "
                    f"{s.get('jvm_cpu_s')} s, peak RSS {s.get('peak_rss_mb')} MB")
                self.record("peers", s["name"], int(s["round"]), records=int(s["records"]),
                            seconds=num(s.get("seconds")), records_per_s=num(s.get("records_per_s")),
                            cpu_s=num(s.get("jvm_cpu_s")), peak_rss_mb=num(s.get("peak_rss_mb")),
                            note=f"jvm_start_s={s.get('jvm_start_s')} wall_s={s.get('wall_s')} "
                                 f"final_watermark_ms={s.get('final_watermark_ms', '-')}")
            elif line.startswith("rows: "):
                s = kv_pairs(line)
                verdicts.setdefault(s["name"], []).append(s)
                say(f"{s['name']} round {s['round']} rows vs Spate's: {line.split('compare: ')[-1].strip()}")
                for row in self.runs:
                    if row["section"] == "peers" and row["name"] == s["name"] and \
                            row["round"] == int(s["round"]):
                        row["rows"] = num(s.get("actual"))
                        row["verdict"] = s.get("verdict")
                if s.get("verdict") != "match":
                    self.mismatches.append(f"{s['name']} round {s['round']}: {line.strip()}")
        mismatched = any(v.get("verdict") != "match" for vs in verdicts.values() for v in vs)
        if r["rc"] != 0 and not mismatched and not failed:
            failed.append(f"bench/peers/run_all.sh exited {r['rc']} (see {r['out']})")

        def best(names):
            cands = [(median(num(x["records_per_s"]) for x in peers[n]), n) for n in names if n in peers]
            cands = [c for c in cands if c[0] is not None]
            return max(cands) if cands else (None, None)

        for n, key in [("spark-defaults", "spark_defaults"), ("spark-tuned", "spark_tuned"),
                       ("flink", "flink_plain"), ("flink-prefilter", "flink_prefilter")]:
            if n in peers:
                self.put(f"{key}_rps", median(num(x["records_per_s"]) for x in peers[n]))
                self.put(f"{key}_peak_rss_mb", max(num(x.get("peak_rss_mb")) or 0 for x in peers[n]))
                self.put(f"{key}_cpu_s", median(num(x.get("jvm_cpu_s")) for x in peers[n]))
                vs = [v.get("verdict") for v in verdicts.get(n, [])]
                self.put(f"rows_{key}_vs_spate", "match" if vs and all(v == "match" for v in vs)
                         else "MISMATCH" if vs else "not checked")
        for engine, names in [("spark", ["spark-defaults", "spark-tuned"]),
                              ("flink", ["flink", "flink-prefilter"])]:
            rps, n = best(names)
            if n is None:
                continue
            key = {"spark-defaults": "spark_defaults", "spark-tuned": "spark_tuned",
                   "flink": "flink_plain", "flink-prefilter": "flink_prefilter"}[n]
            self.put(f"{engine}_rps", rps)
            self.put(f"{engine}_best_config", n)
            # The memory of the configuration compared: the best one's.
            self.put(f"{engine}_peak_rss_mb", self.summary.get(f"{key}_peak_rss_mb"))
            self.put(f"{engine}_cpu_s", self.summary.get(f"{key}_cpu_s"))
        if failed:
            raise Failure("; ".join(failed))

    def do_sustained(self) -> None:
        script = os.path.join(ROOT, "bench/sustained.sh")
        if not os.access(script, os.X_OK):
            say("bench/sustained.sh not there (yet): sustained figures left out")
            self.sections["sustained"] = "absent"
            raise SkipSection()
        cmd = [script, "--bootstrap", self.a.bootstrap, "--out", os.path.join(self.out, "sustained")]
        if self.a.quick:
            cmd.append("--quick")
        elif "peers" in self.a.skip:
            cmd.append("--no-spark")  # no peers: no Spark there either
        cmd += self.a.sustained_args
        env = dict(os.environ, SPATE_BIN_DIR=self.bin_dir)
        r = self.run(cmd, "sustained", timeout=self.a.sustained_timeout, env=env)
        got = {}
        for line in open(r["out"]):
            m = re.fullmatch(r"([a-z][a-z0-9_]*)=(\S+)", line.strip())
            if m:
                got[m.group(1)] = m.group(2)
        for k, v in got.items():
            name = k if k not in self.summary else f"sustained_{k}"
            n = int(v) if re.fullmatch(r"-?\d+", v) else num(v)
            self.put(name, n if n is not None else v)
        self.record("sustained", "sustained", 1, records=None, seconds=r["wall_s"],
                    records_per_s=num(got.get("sustained_rps")), cpu_s=r["cpu_s"],
                    peak_rss_mb=None, note=f"exit {r['rc']}, {len(got)} figures")
        if r["rc"] != 0:
            raise Failure(f"bench/sustained.sh exited {r['rc']} (see {r['err']})")

    def do_state(self) -> None:
        for users in self.a.users:
            term = self.a.state_term_rate
            topic = f"{self.a.topic_prefix}-users{users}-{self.a.state_records}-t{term:g}"
            self.fill(topic, self.a.state_records, users, f"fill-users{users}",
                      ["--term", "crash", "--term-rate", f"{term:g}"] if term > 0 else [])
            cluster = Cluster(self, f"state-users{users}", 2)
            try:
                row = self.run_spate(cluster, topic, self.a.state_records, "state",
                                     f"users{users}", 1, 2, 2)
            finally:
                cluster.stop()
            if not self.a.keep_topics and topic in self.created_topics:
                subprocess.run([self.bin("spate-topics"), "--bootstrap", self.a.bootstrap,
                                "delete", topic], capture_output=True)
                self.created_topics.remove(topic)
            say(f"users {users}: {row['records_per_s'] / 1e6:.3f} M records/s, state "
                f"{row['state_rows']} rows / {row['state_bytes']} bytes, peak RSS "
                f"{row['peak_rss_mb']:.0f} MB")
            self.put(f"state_users_{users}_rps", row["records_per_s"])
            self.put(f"state_users_{users}_state_rows", row["state_rows"])
            self.put(f"state_users_{users}_state_bytes", row["state_bytes"])
            self.put(f"state_users_{users}_peak_rss_mb", row["peak_rss_mb"])

    def do_scaleout(self) -> None:
        for w in self.a.workers:
            shuffle = max(2, w)
            cluster = Cluster(self, f"scaleout-w{w}", w)
            try:
                for rnd in range(1, self.a.sweep_rounds + 1):
                    row = self.run_spate(cluster, self.a.topic, self.a.records, "scaleout",
                                         f"workers{w}", rnd, w, shuffle)
                    say(f"workers {w}: {row['records_per_s'] / 1e6:.3f} M records/s")
            finally:
                cluster.stop()
            rs = [r for r in self.runs if r["section"] == "scaleout" and r["name"] == f"workers{w}"]
            self.put(f"scaleout_workers_{w}_rps", median(r["records_per_s"] for r in rs))
        cluster = Cluster(self, "scaleout-shuffle", 2)
        try:
            for s in self.a.shuffle:
                for rnd in range(1, self.a.sweep_rounds + 1):
                    row = self.run_spate(cluster, self.a.topic, self.a.records, "scaleout",
                                         f"shuffle{s}", rnd, 2, s)
                    say(f"shuffle partitions {s}: {row['records_per_s'] / 1e6:.3f} M records/s")
                rs = [r for r in self.runs if r["section"] == "scaleout" and r["name"] == f"shuffle{s}"]
                self.put(f"scaleout_shuffle_{s}_rps", median(r["records_per_s"] for r in rs))
        finally:
            cluster.stop()

    # --- summary -------------------------------------------------------------------------
    def ratios(self) -> None:
        s = self.summary

        def ratio(name, a, b):
            if num(s.get(a)) and num(s.get(b)):
                self.put(name, num(s[a]) / num(s[b]))

        ratio("spate_vs_ceiling", "spate_rps", "consumer_ceiling_rps")
        ratio("spate_vs_ceiling_best", "spate_best_rps", "consumer_ceiling_best_rps")
        ratio("spate_vs_kafka_perf", "spate_rps", "kafka_perf_rps")
        ratio("spate_vs_parse_only", "spate_rps", "parse_only_rps")
        ratio("spate_vs_prefilter_parse", "spate_rps", "prefilter_parse_rps")
        ratio("spate_cpu_vs_ceiling", "spate_cpu_s", "consumer_ceiling_cpu_s")
        ratio("spate_vs_spark", "spate_rps", "spark_rps")
        ratio("spate_vs_spark_defaults", "spate_rps", "spark_defaults_rps")
        ratio("spate_vs_flink", "spate_rps", "flink_rps")
        ratio("spate_rss_vs_spark", "spate_peak_rss_mb", "spark_peak_rss_mb")
        ratio("spate_rss_vs_flink", "spate_peak_rss_mb", "flink_peak_rss_mb")
        if "sustained_vs_loadgen_bare" not in s:
            ratio("sustained_vs_loadgen_bare", "sustained_rps", "loadgen_bare_rps")
        if "sustained_vs_spark" not in s:
            ratio("sustained_vs_spark", "sustained_rps", "spark_sustained_rps")
        rss = [num(s.get(f"state_users_{u}_peak_rss_mb")) for u in self.a.users]
        if all(rss) and rss:
            ratio("state_rss_growth", f"state_users_{self.a.users[-1]}_peak_rss_mb",
                  f"state_users_{self.a.users[0]}_peak_rss_mb")
        # The targets, where both sides were measured: met / missed.
        for name, key, op, bound in [
                ("target_catchup_vs_ceiling", "spate_vs_ceiling", ">=", 0.8),
                ("target_vs_spark_best", "spate_vs_spark", ">=", 6),
                ("target_vs_spark_defaults", "spate_vs_spark_defaults", ">=", 10),
                ("target_vs_flink_best", "spate_vs_flink", ">=", 2),
                ("target_rss_vs_spark", "spate_rss_vs_spark", "<=", 0.25),
                ("target_rss_vs_flink", "spate_rss_vs_flink", "<=", 0.5),
                ("target_sustained_vs_loadgen_bare", "sustained_vs_loadgen_bare", ">=", 0.8),
                ("target_sustained_vs_spark", "sustained_vs_spark", ">=", 3)]:
            v = num(s.get(key))
            if v is not None:
                ok = v >= bound if op == ">=" else v <= bound
                self.put(name, "met" if ok else "missed")

    def write(self) -> None:
        checked = any(k.startswith("rows_") and k.endswith(("_vs_oracle", "_vs_spate"))
                      for k in self.summary)
        self.put("rows_check", "MISMATCH" if self.mismatches else "ok" if checked else
                 "not checked")
        self.put("failures", len(self.failures))
        self.put("suite_seconds", time.monotonic() - self.t0)
        self.put("records", self.a.records)
        self.put("partitions", self.a.partitions)
        self.put("rounds", self.a.rounds)
        self.put("cores", os.cpu_count())
        self.put("loadavg_start", self.loadavg_start[0])
        self.put("loadavg_end", open("/proc/loadavg").read().split()[0])
        first = {k: self.summary[k] for k in HEADLINE if k in self.summary}
        self.summary = {**first, **{k: v for k, v in self.summary.items() if k not in first}}
        runs_cols = ["section", "name", "round", "records", "seconds", "records_per_s", "cpu_s",
                     "broker_cpu_s", "peak_rss_mb", "rows", "verdict", "batches", "batch_max_ms", "state_rows",
                     "state_bytes", "master_rss_mb", "workers_rss_mb", "submit_rss_mb",
                     "executors", "shuffle_partitions", "job", "note"]
        with open(os.path.join(self.out, "runs.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, runs_cols, extrasaction="ignore")
            w.writeheader()
            for r in self.runs:
                w.writerow({k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()})
        batch_cols = ["section", "name", "round", "job", "batch_id", "timestamp_ms", "input_rows",
                      "planning_ms", "stage1_ms", "stage2_ms", "commit_ms", "total_ms",
                      "state_rows", "state_bytes", "rows_emitted", "shuffle_bytes",
                      "executor_task_ms"]
        with open(os.path.join(self.out, "batches.csv"), "w", newline="") as f:
            w = csv.DictWriter(f, batch_cols, extrasaction="ignore")
            w.writeheader()
            w.writerows(self.batches)
        with open(os.path.join(self.out, "summary.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["name", "value"])
            w.writerows(self.summary.items())
        with open(os.path.join(self.out, "summary.txt"), "w") as f:
            f.writelines(f"{k}={v}\n" for k, v in self.summary.items())
        git = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        meta = {
            "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join(sys.argv[1:]), "git": git, "bin_dir": self.bin_dir,
            "cores": os.cpu_count(), "loadavg_end": open("/proc/loadavg").read().split()[:3],
            "loadavg_start": self.loadavg_start, "bootstrap": self.a.bootstrap,
            "topic": self.a.topic, "records": self.a.records, "partitions": self.a.partitions,
            "rounds": self.a.rounds, "quick": self.a.quick,
            "submit_args": self.a.submit_args, "bare_args": self.a.bare_args,
        }
        with open(os.path.join(self.out, "results.json"), "w") as f:
            json.dump({"meta": meta, "sections": self.sections, "summary": self.summary,
                       "failures": self.failures, "mismatches": self.mismatches,
                       "runs": self.runs, "batches": self.batches}, f, indent=1, default=str)

    def main(self) -> int:
        for b in ["spate-bare-consumer", "spate-loadgen", "spate-topics", "spate-master",
                  "spate-worker", "spate-submit"]:
            if not os.access(self.bin(b), os.X_OK):
                say(f"{self.bin(b)} not found (build it, or set SPATE_BIN_DIR)")
                return 2
        say(f"results in {self.out}")
        interrupted = 0
        try:
            self.ensure_broker()
            self.find_broker_pid()
            for name in SECTIONS:
                if name in ("oracle", "peers") and not self.spate_rows and name not in self.a.skip:
                    if "catchup" in self.a.skip or "spate" in self.a.skip_engines:
                        self.sections[name] = "skipped (needs Spate's catch-up rows)"
                        continue
                try:
                    self.section(name, getattr(self, f"do_{name}"))
                except SkipSection:
                    pass
        except Failure as e:
            self.failures.append(str(e))
            say(f"FAILED: {e}")
        except (KeyboardInterrupt, SystemExit) as e:
            interrupted = 130 if isinstance(e, KeyboardInterrupt) else (e.code or 143)
            self.failures.append(f"interrupted (exit {interrupted})")
            say("interrupted: stopping what it started, writing what was measured")
        finally:
            # A second Ctrl-C or TERM must not cut the cleanup short.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            self.cleanup()
            self.ratios()
            self.write()
        print(f"\nresults: {self.out}")
        print("runs:")
        for r in self.runs:
            rps = r.get("records_per_s")
            print(f"  {r['section']:9} {r['name']:16} r{r['round']}  "
                  f"{(r.get('seconds') or 0):8.2f} s  "
                  f"{(rps or 0) / 1e6:7.3f} M/s  CPU {(r.get('cpu_s') or 0):6.2f} s  "
                  f"(broker {'%5.2f' % r['broker_cpu_s'] if r.get('broker_cpu_s') is not None else '    -'} s)  "
                  f"RSS {(r.get('peak_rss_mb') or 0):6.0f} MB  {r.get('note', '')}")
        for m in self.mismatches:
            print(f"ROW CHECK FAILED: {m}")
        for m in self.failures:
            print(f"FAILED: {m}")
        print("summary:")
        for k, v in self.summary.items():
            print(f"{k}={v}")
        if self.mismatches:
            print("\n*** ROW CHECK FAILED: see above and", os.path.join(self.logs, ""), "***")
        if interrupted:
            return interrupted
        return 1 if self.failures or self.mismatches else 0


class SkipSection(Exception):
    pass


def int_list(s: str) -> list[int]:
    return [int(x) for x in s.split(",") if x.strip()]


def parse_args(argv) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="scripts/bench.sh", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="See bench/README.md for what each figure means.")
    p.add_argument("--quick", action="store_true",
                   help="1 M records, 1 round, no peers, no state/scale-out sweeps (< 3 min)")
    p.add_argument("--records", type=int, help="records in the topic (default 10 000 000; "
                   "--quick 1 000 000)")
    p.add_argument("--partitions", type=int, default=8, help="partitions of every topic (8)")
    p.add_argument("--rounds", type=int, help="rounds of ceilings + Spate (default 3; --quick 1)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 2,
                   help="spate-bare-consumer threads: one consumer per core (default nproc)")
    p.add_argument("--topic", help="main topic (default bench-<records>-p<partitions>)")
    p.add_argument("--reuse", action="store_true",
                   help="keep topics that already hold the right number of records (and the "
                        "cached oracle rows); implies --keep-topics")
    p.add_argument("--keep-topics", action="store_true", help="do not delete the topics at the end")
    p.add_argument("--no-peers", action="store_true", help="leave out Spark and Flink")
    p.add_argument("--peer-rounds", type=int, default=1, help="rounds of the peers (1)")
    p.add_argument("--peers-only", default="",
                   help="peer configurations (run_all.sh --only), default all four")
    p.add_argument("--no-sweeps", action="store_true", help="leave out the state and scale-out sweeps")
    p.add_argument("--no-oracle", action="store_true", help="do not check Spate's rows against "
                   "tests/oracle/crash_oracle.py (minutes for 10 M records)")
    p.add_argument("--skip", default="", help="sections to leave out: " + ",".join(SECTIONS))
    p.add_argument("--skip-engines", default="",
                   help="catch-up engines to leave out: bare,parse,prefilter,kafka,spate")
    p.add_argument("--users", type=int_list, default=[1000, 100000, 1000000],
                   help="state sweep: distinct users per run (1000,100000,1000000)")
    p.add_argument("--state-records", type=int, default=3000000,
                   help="state sweep: records per topic (3 000 000)")
    p.add_argument("--state-term-rate", type=float, default=10000,
                   help="state topics: records per event-second that carry 'crash' "
                        "(spate-loadgen --term crash --term-rate; 10000 = every record, so that "
                        "the High/Critical ones, ~1/3, all reach the window state and state grows "
                        "with the users; 0 = the plain data mix, ~0.5 %% matching)")
    p.add_argument("--workers", type=int_list, default=[1, 2, 4],
                   help="scale-out sweep: workers of one core each (1,2,4)")
    p.add_argument("--shuffle", type=int_list, default=[2, 4, 8, 16],
                   help="scale-out sweep: shuffle partitions on 2 workers (2,4,8,16)")
    p.add_argument("--sweep-rounds", type=int, default=1, help="runs per scale-out point (1)")
    p.add_argument("--sustained-timeout", type=float, default=None,
                   help="seconds allowed to bench/sustained.sh (default 1200; --quick 180)")
    p.add_argument("--sustained-args", default="",
                   help="more bench/sustained.sh flags, e.g. '--steps 3 --measure 10'")
    p.add_argument("--bootstrap", default=os.environ.get("SPATE_BOOTSTRAP") or
                   f"127.0.0.1:{os.environ.get('SPATE_KAFKA_PORT', '19092')}",
                   help="broker (started with scripts/kafka.sh when none answers and it is local)")
    p.add_argument("--bin-dir", default=os.environ.get("SPATE_BIN_DIR") or
                   os.path.join(ROOT, "build/bin"))
    p.add_argument("--cache-dir", default=os.environ.get("SPATE_CACHE_DIR") or
                   os.path.expanduser("~/.cache/spate"))
    p.add_argument("--out", help="results directory (default bench/results/<UTC timestamp>)")
    p.add_argument("--no-plots", action="store_true",
                   help="(scripts/bench.sh) do not draw plots with bench/plot.py")
    a = p.parse_args(argv)
    a.records = a.records or (1000000 if a.quick else 10000000)
    a.rounds = a.rounds or (1 if a.quick else 3)
    a.topic = a.topic or f"bench-{a.records}-p{a.partitions}"
    a.topic_prefix = "bench"
    a.skip = {x.strip() for x in a.skip.split(",") if x.strip()}
    unknown = a.skip - set(SECTIONS)
    if unknown:
        p.error(f"unknown sections in --skip: {','.join(sorted(unknown))}")
    a.skip_engines = {x.strip() for x in a.skip_engines.split(",") if x.strip()}
    if a.quick or a.no_peers:
        a.skip.add("peers")
    if a.quick or a.no_sweeps:
        a.skip |= {"state", "scaleout"}
    if a.no_oracle:
        a.skip.add("oracle")
    if a.reuse:
        a.keep_topics = True
    if a.sustained_timeout is None:
        a.sustained_timeout = 180 if a.quick else 1200
    a.sustained_args = a.sustained_args.split()
    a.submit_args = os.environ.get("SPATE_SUBMIT_ARGS", "").split()
    a.bare_args = os.environ.get("BARE_CONSUMER_ARGS", "").split()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    a.out = os.path.abspath(a.out or os.path.join(ROOT, "bench/results", stamp))
    for v in ("records", "partitions", "rounds", "threads", "state_records"):
        if getattr(a, v) < 1:
            p.error(f"--{v.replace('_', '-')} must be positive")
    return a


def main() -> int:
    a = parse_args(sys.argv[1:])
    suite = Suite(a)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return suite.main()


if __name__ == "__main__":
    sys.exit(main())
