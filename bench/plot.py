#!/usr/bin/env python3
"""Draws the benchmark suite's plots from one results directory (scripts/bench.sh calls it).

Usage: bench/plot.py bench/results/<timestamp>

Reads summary.csv, runs.csv and batches.csv there (and, when bench/sustained.sh left them in
work/sustained/, CSV files with per-batch or per-row timings) and writes plots/*.png:
  throughput.png  records/s: the ceilings, Spate, Spark and Flink (median over rounds)
  memory.png      peak RSS: Spate (master + workers), Spark, Flink, the bare consumer
  batches.png     Spate's batch durations over time (stage 1 / stage 2 / commit per batch)
  state.png       distinct users vs records/s, state rows and peak RSS
  scaleout.png    records/s vs workers (one core each) and vs shuffle partitions
  sustained.png   batch duration and result latency over time, when the files exist
Needs matplotlib (scripts/bench.sh installs it into a virtualenv); draws what the files hold.
"""

from __future__ import annotations

import csv
import glob
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_csv(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def fnum(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def save(fig, path: str) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"plot.py: wrote {path}")


def bars(ax, labels, values, colors, fmt):
    b = ax.bar(range(len(values)), values, color=colors)
    ax.set_xticks(range(len(values)))
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    for rect, v in zip(b, values):
        ax.annotate(fmt(v), (rect.get_x() + rect.get_width() / 2, rect.get_height()),
                    ha="center", va="bottom", fontsize=7)


def throughput(summary: dict, out: str, title: str) -> None:
    items = [("bare consumer", "consumer_ceiling_rps", "#888888"),
             ("Kafka ConsumerPerformance", "kafka_perf_rps", "#aaaaaa"),
             ("consume + parse", "parse_only_rps", "#bbbbbb"),
             ("consume + pre-filter + parse", "prefilter_parse_rps", "#cccccc"),
             ("Spate", "spate_rps", "#d62728"),
             ("Flink pre-filter", "flink_prefilter_rps", "#1f77b4"),
             ("Flink", "flink_plain_rps", "#6baed6"),
             ("Spark tuned", "spark_tuned_rps", "#ff7f0e"),
             ("Spark defaults", "spark_defaults_rps", "#fdae6b"),
             ("Spate sustained", "sustained_rps", "#e377c2"),
             ("Spark sustained", "spark_sustained_rps", "#ffbb78"),
             ("loadgen + bare consumer", "loadgen_bare_rps", "#999999")]
    items = [(l, fnum(summary.get(k)), c) for l, k, c in items if fnum(summary.get(k))]
    if not items:
        return
    fig, ax = plt.subplots(figsize=(9, 4.5))
    bars(ax, [i[0] for i in items], [i[1] / 1e6 for i in items], [i[2] for i in items],
         lambda v: f"{v:.2f}")
    ax.set_ylabel("million records/s")
    ax.set_title(f"Throughput (median of rounds) - {title}", fontsize=10)
    save(fig, os.path.join(out, "throughput.png"))


def memory(summary: dict, out: str, title: str) -> None:
    items = [("Spate master + workers", "spate_peak_rss_mb", "#d62728"),
             ("Flink (best config)", "flink_peak_rss_mb", "#1f77b4"),
             ("Spark (best config)", "spark_peak_rss_mb", "#ff7f0e"),
             ("Spark defaults", "spark_defaults_peak_rss_mb", "#fdae6b"),
             ("Flink plain", "flink_plain_peak_rss_mb", "#6baed6")]
    items = [(l, fnum(summary.get(k)), c) for l, k, c in items if fnum(summary.get(k))]
    if not items:
        return
    fig, ax = plt.subplots(figsize=(7, 4))
    bars(ax, [i[0] for i in items], [i[1] for i in items], [i[2] for i in items],
         lambda v: f"{v:.0f}")
    ax.set_ylabel("peak RSS (MB)")
    ax.set_title(f"Peak resident memory - {title}", fontsize=10)
    save(fig, os.path.join(out, "memory.png"))


def batches_plot(batches: list[dict], out: str, title: str) -> None:
    runs = {}
    for b in batches:
        runs.setdefault((b["section"], b["name"], b["round"]), []).append(b)
    if not runs:
        return
    fig, ax = plt.subplots(figsize=(10, 4.5))
    labels, x = [], 0
    for (section, name, rnd), bs in runs.items():
        for b in bs:
            s1, s2, c = (fnum(b.get(k)) or 0 for k in ("stage1_ms", "stage2_ms", "commit_ms"))
            other = max(0.0, (fnum(b.get("total_ms")) or 0) - s1 - s2 - c)
            bottom = 0
            for v, color, lab in [(s1, "#d62728", "stage 1"), (s2, "#1f77b4", "stage 2"),
                                  (c, "#2ca02c", "commit"), (other, "#bbbbbb", "other")]:
                ax.bar(x, v, bottom=bottom, color=color, label=lab if x == 0 else None)
                bottom += v
            labels.append(f"{name} r{rnd} b{b['batch_id']}")
            x += 1
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=90, fontsize=6)
    ax.set_ylabel("batch duration (ms)")
    ax.legend(fontsize=8)
    ax.set_title(f"Spate batches in order (available-now: the backlog is batch 0) - {title}",
                 fontsize=10)
    save(fig, os.path.join(out, "batches.png"))


def state_plot(runs: list[dict], out: str, title: str) -> None:
    rows = [r for r in runs if r["section"] == "state"]
    if not rows:
        return
    users = [int(r["name"].replace("users", "")) for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    for ax, key, label, scale in [(axes[0], "records_per_s", "million records/s", 1e6),
                                  (axes[1], "state_rows", "state rows (max over batches)", 1),
                                  (axes[2], "peak_rss_mb", "peak RSS master + workers (MB)", 1)]:
        ax.plot(users, [(fnum(r[key]) or 0) / scale for r in rows], "o-", color="#d62728")
        ax.set_xscale("log")
        ax.set_xlabel("distinct users")
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
    fig.suptitle(f"Scale of state - {title}", fontsize=10)
    save(fig, os.path.join(out, "state.png"))


def scaleout_plot(runs: list[dict], out: str, title: str) -> None:
    rows = [r for r in runs if r["section"] == "scaleout"]
    if not rows:
        return

    def series(prefix):
        pts = {}
        for r in rows:
            if r["name"].startswith(prefix):
                pts.setdefault(int(r["name"][len(prefix):]), []).append(fnum(r["records_per_s"]))
        return sorted((k, statistics.median(v) / 1e6) for k, v in pts.items())

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for ax, prefix, xlabel in [(axes[0], "workers", "workers (1 core each; executors = workers)"),
                               (axes[1], "shuffle", "shuffle partitions (2 workers)")]:
        pts = series(prefix)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color="#d62728")
            ax.set_xscale("log", base=2)
            ax.set_xticks([p[0] for p in pts])
            ax.set_xticklabels([str(p[0]) for p in pts])
        ax.set_xlabel(xlabel)
        ax.set_ylabel("million records/s")
        ax.set_ylim(bottom=0)
    fig.suptitle(f"Scale-out on {os.cpu_count()} cores - {title}", fontsize=10)
    save(fig, os.path.join(out, "scaleout.png"))


def sustained_plot(results: str, out: str, title: str) -> None:
    """Best effort: CSV files left by bench/sustained.sh with a time column and a duration or
    latency column."""
    files = sorted(glob.glob(os.path.join(results, "work", "sustained", "**", "*.csv"),
                             recursive=True))
    series = []
    for path in files:
        rows = read_csv(path)
        if not rows:
            continue
        cols = rows[0].keys()
        tcol = next((c for c in cols if c in ("timestamp_ms", "time_ms", "t_ms", "time_s", "t_s")),
                    None)
        for ycol in cols:
            if ycol == tcol or not any(w in ycol for w in ("duration", "total_ms", "latency")):
                continue
            pts = [(fnum(r.get(tcol)) if tcol else i, fnum(r.get(ycol))) for i, r in enumerate(rows)]
            pts = [p for p in pts if p[0] is not None and p[1] is not None]
            if pts:
                t0 = pts[0][0]
                scale = 1000.0 if tcol and tcol.endswith("_ms") else 1.0
                series.append((f"{os.path.basename(path)}: {ycol}",
                               [(p[0] - t0) / scale for p in pts], [p[1] for p in pts]))
    if not series:
        return
    fig, ax = plt.subplots(figsize=(10, 4))
    for label, xs, ys in series[:8]:
        ax.plot(xs, ys, ".-", label=label, markersize=3)
    ax.set_xlabel("seconds (or row index)")
    ax.set_ylabel("ms")
    ax.legend(fontsize=7)
    ax.set_title(f"Sustained run - {title}", fontsize=10)
    save(fig, os.path.join(out, "sustained.png"))


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    results = sys.argv[1]
    summary = {r["name"]: r["value"] for r in read_csv(os.path.join(results, "summary.csv"))}
    runs = read_csv(os.path.join(results, "runs.csv"))
    batches = read_csv(os.path.join(results, "batches.csv"))
    out = os.path.join(results, "plots")
    os.makedirs(out, exist_ok=True)
    title = os.path.basename(os.path.normpath(results))
    throughput(summary, out, title)
    memory(summary, out, title)
    batches_plot([b for b in batches if b["section"] == "catchup"], out, title)
    state_plot(runs, out, title)
    scaleout_plot(runs, out, title)
    sustained_plot(results, out, title)
    return 0


if __name__ == "__main__":
    sys.exit(main())
