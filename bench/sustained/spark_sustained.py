#!/usr/bin/env python3
"""Spark side of bench/sustained.sh: one SparkSession that runs the crash detector on one fresh
topic per rate step, driven by commands on stdin.

The query is the one of bench/peers/spark/crash_detector.py (from_json, severity in
{High, Critical} and content contains 'crash', both case-insensitive, withWatermark 10 seconds,
groupBy(window 10 seconds, user_id).count(), count > 2, append mode, file sink), read from Kafka
with startingOffsets earliest (each step's topic is new and empty when its query starts) and a
processingTime trigger. Tuned as in the catch-up peers: local[2], 4 shuffle partitions by
default, driver bound to 127.0.0.1, UI off, session time zone UTC. Runs in the virtualenv and
with the four jars of bench/peers/spark/setup.sh.

Protocol (one line each way; the answers start with '@', anything else on stdout is noise):
  (at start)              -> @ready jvm_pid=P jvm_start_s=S
  start TOPIC DIR         -> @started        (the query runs; its checkpoint and sink go in DIR)
  progress                -> @progress batches=N rows=R   (of the running query so far)
  stop DIR                -> @stopped batches=N rows=R
                             (writes DIR/progress.jsonl: every StreamingQueryProgress as JSON)
  quit                    -> @bye peak_rss_mb=M jvm_cpu_s=C
Errors: '@error TEXT', and the script goes on reading commands.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
import time

T_SCRIPT = time.monotonic()


def answer(text: str) -> None:
    sys.stdout.write("@" + text + "\n")
    sys.stdout.flush()


def proc_figures(pid: int) -> tuple[float | None, float | None]:
    """(peak RSS MB, CPU seconds) of a process, None when unreadable."""
    rss = cpu = None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    rss = int(line.split()[1]) / 1024.0
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        pass
    return rss, cpu


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--jars", required=True, help="directory with the Kafka connector jars")
    p.add_argument("--trigger", default="5s", help="processing-time interval: 5s, 500ms, 1m")
    p.add_argument("--shuffle-partitions", type=int, default=4)
    p.add_argument("--master", default="local[2]")
    p.add_argument("--driver-memory", default="2g")
    p.add_argument("--watermark", default="10 seconds")
    p.add_argument("--window", default="10 seconds")
    args = p.parse_args()

    m = re.fullmatch(r"([0-9]+)(ms|s|m)", args.trigger)
    if not m:
        print(f"spark_sustained: bad --trigger {args.trigger}", file=sys.stderr)
        return 2
    interval = f"{m.group(1)} " + {"ms": "milliseconds", "s": "seconds", "m": "minutes"}[m.group(2)]
    jars = sorted(glob.glob(os.path.join(args.jars, "*.jar")))
    if len(jars) != 4:
        print(f"spark_sustained: expected 4 jars in {args.jars}, found {len(jars)}",
              file=sys.stderr)
        return 2
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    spark = (
        SparkSession.builder.appName("spark-crash-detector-sustained")
        .master(args.master)
        .config("spark.jars", ",".join(jars))
        .config("spark.driver.memory", args.driver_memory)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(args.shuffle_partitions))
        .config("spark.sql.streaming.numRecentProgressUpdates", "100000")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    jvm_pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
    answer(f"ready jvm_pid={jvm_pid} jvm_start_s={time.monotonic() - T_SCRIPT:.3f}")

    schema = StructType([
        StructField("timestamp", LongType()),
        StructField("severity", StringType()),
        StructField("user_id", StringType()),
        StructField("content", StringType()),
    ])

    def start(topic: str, out: str):
        rows = (
            spark.readStream.format("kafka")
            .option("kafka.bootstrap.servers", args.bootstrap)
            .option("subscribe", topic)
            .option("startingOffsets", "earliest")
            .option("failOnDataLoss", "false")
            .load()
            .select(F.from_json(F.col("value").cast("string"), schema).alias("r"))
            .select("r.*")
            .where(F.col("timestamp").isNotNull() & F.col("user_id").isNotNull())
            .where(F.lower(F.col("severity")).isin(["high", "critical"]))
            .where(F.lower(F.col("content")).contains("crash"))
            .select(F.timestamp_millis(F.col("timestamp")).alias("event_time"), "user_id")
            .withWatermark("event_time", args.watermark)
            .groupBy(F.window("event_time", args.window), F.col("user_id"))
            .count()
            .where(F.col("count") > 2)
            .select(
                F.date_format("window.start", "yyyy-MM-dd HH:mm:ss").alias("window_start"),
                F.date_format("window.end", "yyyy-MM-dd HH:mm:ss").alias("window_end"),
                F.col("user_id"),
                F.col("count").alias("crash_count"),
            )
        )
        return (
            rows.writeStream.format("json")
            .outputMode("append")
            .option("path", os.path.join(out, "sink"))
            .option("checkpointLocation", os.path.join(out, "checkpoint"))
            .trigger(processingTime=interval)
            .start()
        )

    query = None
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        try:
            if cmd[0] == "start" and len(cmd) == 3:
                if query is not None:
                    query.stop()
                os.makedirs(cmd[2], exist_ok=True)
                query = start(cmd[1], cmd[2])
                answer("started")
            elif cmd[0] == "stop" and len(cmd) == 2:
                if query is None:
                    answer("error no query")
                    continue
                query.stop()
                failed = query.exception()
                progress = query.recentProgress
                query = None
                with open(os.path.join(cmd[1], "progress.jsonl"), "w") as f:
                    for pr in progress:
                        # StreamingQueryProgress: a dict holding UUIDs; its .json is Spark's own.
                        f.write(json.dumps(json.loads(pr.json)) + "\n")
                rows = sum(int(pr.get("numInputRows", 0)) for pr in progress)
                if failed is not None:
                    answer(f"error query failed: {str(failed).splitlines()[0]}")
                else:
                    answer(f"stopped batches={len(progress)} rows={rows}")
            elif cmd[0] == "progress" and len(cmd) == 1:
                done = query.recentProgress if query is not None else []
                rows = sum(int(pr.get("numInputRows", 0)) for pr in done)
                answer(f"progress batches={len(done)} rows={rows}")
            elif cmd[0] == "quit":
                break
            else:
                answer(f"error unknown command: {line.strip()}")
        except Exception as e:  # noqa: BLE001 - report and go on; the caller decides
            answer("error " + str(e).splitlines()[0] if str(e) else "error " + type(e).__name__)
    if query is not None:
        query.stop()
    rss, cpu = proc_figures(jvm_pid)
    answer(f"bye peak_rss_mb={rss if rss is None else round(rss)} "
           f"jvm_cpu_s={cpu if cpu is None else round(cpu, 2)}")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
