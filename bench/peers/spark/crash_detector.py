#!/usr/bin/env python3
"""Spark Structured Streaming peer of Spate's crash detector (bench/peers/README.md).

The same query as `spate-submit ... crash-detector`:

  Kafka topic -> from_json (no UDF) -> severity in {High, Critical} and content contains 'crash'
  (both case-insensitive) -> withWatermark(timestamp, 10 seconds)
  -> groupBy(window(timestamp, '10 seconds'), user_id).count() -> count > 2 -> append mode

written to Spark's file sink as JSON lines in the format of Spate's file sink and of
tests/oracle/crash_oracle.py (UTC):

  {"window_start":"2026-01-11 14:42:50","window_end":"2026-01-11 14:43:00","user_id":"user_1011","crash_count":4}

Runs in local[N] (default local[2]) with the driver bound to 127.0.0.1 and the UI off. Trigger
availableNow by default: reads the topic as it is at the start and stops. Note: with availableNow
and append mode Spark never emits the windows that end after its final watermark (the largest
event time that reached withWatermark, minus the delay); the summary prints that watermark so
rows can be compared with the oracle restricted to the windows Spark could emit.

--query severity-stats runs instead the DataFrame form of bench/sql/severity-stats.sql (the SQL
benchmark's non-selective query, bench/sql.sh): every record, withWatermark(event_time, 10 s),
groupBy(window(event_time, '10 seconds', '5 seconds'), severity) with count, sum / min / max of
char_length(content) and of timestamp % 1000, and their averages truncated toward zero as Flink's
AVG over integers is (sum div count), in the columns of that script's sink table.

Needs pyspark==4.0.0 and the four jars bench/peers/spark/setup.sh fetches (--jars DIR). Usually
started by bench/peers/spark/run.sh. Prints, as its last lines:

  spark: batch=I input_rows=N duration_ms=D watermark=... (one per micro-batch)
  summary: records=N seconds=S records_per_s=R jvm_start_s=J wall_s=W batches=B
           final_watermark_ms=M final_watermark=... peak_rss_mb=P jvm_cpu_s=C shuffle_partitions=K

seconds: from starting the query to its end (JVM start excluded; jvm_start_s is the time to
create the SparkSession, wall_s everything from this script's start). records: the sum of the
micro-batches' numInputRows. peak_rss_mb: the JVM's VmHWM; jvm_cpu_s: the JVM's user + system CPU seconds, its start included
(steadier than wall time on a shared machine).
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import sys
import time
from datetime import datetime, timezone

T_SCRIPT = time.monotonic()


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bootstrap", required=True, help="Kafka bootstrap servers")
    p.add_argument("--topic", required=True)
    p.add_argument("--out", required=True,
                   help="file sink directory (Spark's part files and _spark_metadata)")
    p.add_argument("--checkpoint", required=True, help="checkpoint directory (must be new)")
    p.add_argument("--jars", required=True, help="directory with the Kafka connector jars")
    p.add_argument("--shuffle-partitions", type=int, default=200,
                   help="spark.sql.shuffle.partitions (Spark's default 200; 4 is the tuned one)")
    p.add_argument("--master", default="local[2]")
    p.add_argument("--driver-memory", default="2g")
    p.add_argument("--trigger", default="availableNow",
                   help="availableNow, or processingTime=<interval>: 5s, 500ms or '5 seconds'")
    p.add_argument("--stop-after-idle-s", type=float, default=10.0,
                   help="processingTime only: stop after this long without input rows once "
                        "some were read (seconds then ends when the last input was seen)")
    p.add_argument("--max-offsets-per-trigger", type=int, default=0,
                   help="Kafka maxOffsetsPerTrigger (0: no limit, one batch for everything)")
    p.add_argument("--watermark", default="10 seconds", help="withWatermark delay")
    p.add_argument("--window", default="10 seconds")
    p.add_argument("--threshold", type=int, default=2, help="rows with count > threshold")
    p.add_argument("--keyword", default="crash")
    p.add_argument("--severities", default="High,Critical")
    p.add_argument("--state-store", choices=["hdfs", "rocksdb"], default="hdfs")
    p.add_argument("--starting-offsets", default="earliest")
    p.add_argument("--query", choices=["crash-detector", "severity-stats"],
                   default="crash-detector")
    return p.parse_args()


def jvm_cpu_s(spark) -> float | None:
    """CPU seconds (user + system) the JVM has used so far, its start included."""
    try:
        pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except Exception:  # noqa: BLE001 - a missing figure is not an error
        return None


def jvm_peak_rss_mb(spark) -> float | None:
    try:
        pid = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except Exception:  # noqa: BLE001 - a missing figure is not an error
        return None
    return None


def crash_detector(source, args):
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    schema = StructType([
        StructField("timestamp", LongType()),
        StructField("severity", StringType()),
        StructField("user_id", StringType()),
        StructField("content", StringType()),
    ])
    severities = [s.strip().lower() for s in args.severities.split(",") if s.strip()]
    return (
        source
        .select(F.from_json(F.col("value").cast("string"), schema).alias("r"))
        .select("r.*")
        .where(F.col("timestamp").isNotNull() & F.col("user_id").isNotNull())
        .where(F.lower(F.col("severity")).isin(severities))
        .where(F.lower(F.col("content")).contains(args.keyword.lower()))
        .select(F.timestamp_millis(F.col("timestamp")).alias("event_time"), "user_id")
        .withWatermark("event_time", args.watermark)
        .groupBy(F.window("event_time", args.window), F.col("user_id"))
        .count()
        .where(F.col("count") > args.threshold)
        .select(
            F.date_format("window.start", "yyyy-MM-dd HH:mm:ss").alias("window_start"),
            F.date_format("window.end", "yyyy-MM-dd HH:mm:ss").alias("window_end"),
            F.col("user_id"),
            F.col("count").alias("crash_count"),
        )
    )


def severity_stats(source, args):
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    schema = StructType([
        StructField("timestamp", LongType()),
        StructField("severity", StringType()),
        StructField("content", StringType()),
    ])

    def avg_int(total, n):  # Flink's AVG over integers: truncated toward zero; NULL when empty
        return F.when(F.col(n) > 0, F.expr(f"{total} div {n}"))

    return (
        source
        .select(F.from_json(F.col("value").cast("string"), schema).alias("r"))
        .select("r.*")
        .where(F.col("timestamp").isNotNull())
        .select(F.timestamp_millis(F.col("timestamp")).alias("event_time"), "severity",
                F.char_length("content").alias("chars"), (F.col("timestamp") % 1000).alias("ms"))
        .withWatermark("event_time", args.watermark)
        .groupBy(F.window("event_time", "10 seconds", "5 seconds"), F.col("severity"))
        .agg(F.count(F.lit(1)).alias("records"), F.sum("chars").alias("content_chars"),
             F.min("chars").alias("min_chars"), F.max("chars").alias("max_chars"),
             F.count("chars").alias("n_chars"), F.min("ms").alias("min_ms"),
             F.max("ms").alias("max_ms"), F.sum("ms").alias("sum_ms"), F.count("ms").alias("n_ms"))
        .select(
            F.date_format("window.start", "yyyy-MM-dd HH:mm:ss").alias("window_start"),
            F.date_format("window.end", "yyyy-MM-dd HH:mm:ss").alias("window_end"),
            "severity", "records", "content_chars", "min_chars", "max_chars",
            avg_int("content_chars", "n_chars").alias("avg_chars"), "min_ms", "max_ms",
            avg_int("sum_ms", "n_ms").alias("avg_ms"),
        )
    )


def main() -> int:
    args = parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    jars = sorted(glob.glob(os.path.join(args.jars, "*.jar")))
    if len(jars) != 4:
        print(f"crash_detector: expected 4 jars in {args.jars}, found {len(jars)}", file=sys.stderr)
        return 2

    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.appName(f"spark-{args.query}")
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
        .config("spark.sql.adaptive.enabled", "false")  # not applied to streaming anyway
    )
    if args.state_store == "rocksdb":
        builder = builder.config(
            "spark.sql.streaming.stateStore.providerClass",
            "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    t_session = time.monotonic()

    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", args.bootstrap)
        .option("subscribe", args.topic)
        .option("startingOffsets", args.starting_offsets)
        .option("failOnDataLoss", "false")
    )
    if args.max_offsets_per_trigger > 0:
        reader = reader.option("maxOffsetsPerTrigger", str(args.max_offsets_per_trigger))
    if args.query == "severity-stats":
        rows = severity_stats(reader.load(), args)
    else:
        rows = crash_detector(reader.load(), args)
    writer = (
        rows.writeStream.format("json")
        .outputMode("append")
        .option("path", args.out)
        .option("checkpointLocation", args.checkpoint)
    )
    processing = None
    if args.trigger == "availableNow":
        writer = writer.trigger(availableNow=True)
    elif args.trigger.startswith("processingTime="):
        processing = args.trigger.split("=", 1)[1]
        short = re.fullmatch(r"([0-9]+)(ms|s|m)", processing)  # Spark wants '5 seconds'
        if short:
            unit = {"ms": "milliseconds", "s": "seconds", "m": "minutes"}[short.group(2)]
            processing = f"{short.group(1)} {unit}"
        writer = writer.trigger(processingTime=processing)
    else:
        print(f"crash_detector: unknown --trigger {args.trigger}", file=sys.stderr)
        return 2

    t_start = time.monotonic()
    query = writer.start()
    if processing is None:
        query.awaitTermination()
    else:
        seen, last_input = 0, time.monotonic()
        while query.isActive:
            time.sleep(0.5)
            total = sum(p.get("numInputRows", 0) for p in query.recentProgress)
            if total > seen:
                seen, last_input = total, time.monotonic()
            elif seen > 0 and time.monotonic() - last_input > args.stop_after_idle_s:
                break
        query.stop()
    t_end = time.monotonic()
    if processing is not None and seen > 0:
        t_end = last_input  # leave out the idle wait (to within the 0.5 s polling)
    if query.exception() is not None:
        print(f"crash_detector: query failed: {query.exception()}", file=sys.stderr)
        return 1

    progress = query.recentProgress
    records = 0
    watermark = None
    for p in progress:
        n = int(p.get("numInputRows", 0))
        records += n
        wm = (p.get("eventTime") or {}).get("watermark")
        if wm:
            watermark = wm
        print(f"spark: batch={p.get('batchId')} input_rows={n} "
              f"duration_ms={(p.get('durationMs') or {}).get('triggerExecution')} "
              f"watermark={wm}")
    wm_ms = None
    if watermark:
        dt = datetime.strptime(watermark, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        wm_ms = int(dt.timestamp() * 1000)
    rss = jvm_peak_rss_mb(spark)
    cpu = jvm_cpu_s(spark)
    seconds = t_end - t_start
    fields = [
        f"records={records}",
        f"seconds={seconds:.3f}",
        f"records_per_s={records / seconds if seconds > 0 else 0:.0f}",
        f"jvm_start_s={t_session - T_SCRIPT:.3f}",
        f"wall_s={time.monotonic() - T_SCRIPT:.3f}",
        f"batches={len(progress)}",
        f"final_watermark_ms={wm_ms}",
        f"final_watermark={watermark}",
        f"peak_rss_mb={rss:.0f}" if rss is not None else "peak_rss_mb=unknown",
        f"jvm_cpu_s={cpu:.2f}" if cpu is not None else "jvm_cpu_s=unknown",
        f"shuffle_partitions={args.shuffle_partitions}",
    ]
    print("summary: " + " ".join(fields), flush=True)
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
