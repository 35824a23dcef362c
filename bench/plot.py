#!/usr/bin/env python3
"""Draws the benchmark suite's plots from one results directory (scripts/bench.sh calls it).

Usage: bench/plot.py bench/results/<timestamp>

Reads summary.csv, runs.csv and batches.csv there (and sustained/steps.csv, left by
bench/sustained.sh) and writes plots/*.png:
  throughput.png  records/s: the ceilings, Spate, Spark and Flink (median over rounds)
  memory.png      peak RSS: Spate (master + workers), Spark, Flink, the bare consumer
  batches.png     Spate's batch durations over time (stage 1 / stage 2 / commit per batch)
  state.png       distinct users vs records/s, state rows and peak RSS
  scaleout.png    records/s vs workers (one core each) and vs shuffle partitions
  sustained.png   bench/sustained.sh's steps: process rate and batch p99 against the offered
                  rate per engine (from RESULTS/sustained/steps.csv, when it is there)
Needs matplotlib (scripts/bench.sh installs it into a virtualenv); draws what the files hold.
"""

from __future__ import annotations

import csv
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
        ys = [(fnum(r[key]) or 0) / scale for r in rows]
        ax.plot(users, ys, "o-", color="#d62728")
        ax.set_xscale("log")
        ax.set_xlabel("distinct users")
        ax.set_ylabel(label)
        ax.set_ylim(0, max(ys) * 1.15 or 1)
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
            ax.set_ylim(0, max(p[1] for p in pts) * 1.15 or 1)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("million records/s")
    fig.suptitle(f"Scale-out on {os.cpu_count()} cores - {title}", fontsize=10)
    save(fig, os.path.join(out, "scaleout.png"))


def sustained_plot(results: str, summary: dict, out: str, title: str) -> None:
    """From bench/sustained.sh's steps.csv: per engine, process rate and batch p99 against the
    offered rate, kept-up steps filled, the others hollow."""
    steps = read_csv(os.path.join(results, "sustained", "steps.csv"))
    if not steps:
        return
    colors = {"spate": "#d62728", "latency": "#e377c2", "spark": "#ff7f0e", "bare": "#888888"}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for engine in sorted({r["engine"] for r in steps}):
        rows = sorted((r for r in steps if r["engine"] == engine), key=lambda r: fnum(r["rate"]) or 0)
        c = colors.get(engine, None)
        for ax, key, scale in [(axes[0], "process_rps", 1e6), (axes[1], "batch_p99_ms", 1)]:
            pts = [(fnum(r["rate"]) / 1e6, fnum(r[key]) / scale, r.get("keeps_up") == "True")
                   for r in rows if fnum(r.get("rate")) and fnum(r.get(key)) is not None]
            if not pts:
                continue
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "-", color=c, alpha=0.5)
            ax.scatter([p[0] for p in pts if p[2]], [p[1] for p in pts if p[2]], color=c,
                       label=f"{engine} (kept up)")
            ax.scatter([p[0] for p in pts if not p[2]], [p[1] for p in pts if not p[2]],
                       facecolors="none", edgecolors=c, label=f"{engine} (did not)")
    axes[0].set_xlabel("offered rate (million records/s)")
    axes[0].set_ylabel("process rate (million records/s)")
    lim = max([fnum(r["rate"]) or 0 for r in steps]) / 1e6
    axes[0].plot([0, lim], [0, lim], ":", color="#999999")
    axes[0].legend(fontsize=7)
    axes[1].set_xlabel("offered rate (million records/s)")
    axes[1].set_ylabel("batch duration p99 (ms, log)")
    axes[1].set_yscale("log")
    axes[1].axhline(1000, ls=":", color="#999999")
    lat = [summary.get("result_latency_p50_ms"), summary.get("result_latency_p99_ms")]
    note = f"; result latency p50/p99 {lat[0]}/{lat[1]} ms" if any(fnum(x) for x in lat) else ""
    fig.suptitle(f"Sustained steps (bench/sustained.sh){note} - {title}", fontsize=10)
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
    sustained_plot(results, summary, out, title)
    return 0


if __name__ == "__main__":
    sys.exit(main())
