"""What the SQL test runners share: rendering a script, running spate-submit, reading the file
sink, asking the master about a job, and printing the verdict.

Python standard library only (the DuckDB side is oracle.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Env:
    bin_dir: str
    master: str  # spate://HOST:PORT or local[N]
    bootstrap: str
    work: str  # scratch directory of this run
    submit_args: list[str] = field(default_factory=list)  # added to every submission
    timeout_s: float = 120.0

    @property
    def local(self) -> bool:
        return self.master.startswith("local")

    def submit_bin(self) -> str:
        return os.path.join(self.bin_dir, "spate-submit")


def render(script: str, topic: str, bootstrap: str, out: str) -> str:
    return (script.replace("${topic}", topic).replace("${bootstrap}", bootstrap)
            .replace("${out}", out))


def directives(script: str) -> dict[str, str]:
    """`-- @name: value` comment lines of a case."""
    out = {}
    for line in script.splitlines():
        m = re.match(r"\s*--\s*@([a-z-]+)\s*:\s*(.*?)\s*$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def parse_kv_list(text: str) -> dict[str, float]:
    out = {}
    for part in text.split(","):
        part = part.strip()
        if part:
            k, _, v = part.partition("=")
            out[k.strip()] = float(v)
    return out


def supports_sql(env: Env) -> bool:
    """Whether this spate-submit knows --sql-file."""
    try:
        r = subprocess.run([env.submit_bin(), "--help"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--sql-file" in (r.stdout + r.stderr)


@dataclass
class SubmitResult:
    rc: int
    stdout: str
    stderr: str
    seconds: float
    job_id: str = ""
    timed_out: bool = False


def submit(env: Env, script_path: str, extra: list[str], trigger: str = "available-now",
           detach: bool = False, timeout_s: float | None = None) -> SubmitResult:
    cmd = [env.submit_bin(), "--master", env.master, "--sql-file", script_path, "--trigger",
           trigger]
    if not env.local:
        cmd += env.submit_args
    cmd += extra
    if detach:
        cmd.append("--detach")
    t = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                           timeout=timeout_s or env.timeout_s)
        r = SubmitResult(p.returncode, p.stdout, p.stderr, time.monotonic() - t)
    except subprocess.TimeoutExpired as e:
        r = SubmitResult(-9, _text(e.stdout), _text(e.stderr), time.monotonic() - t,
                         timed_out=True)
    m = re.search(r"submitted (job-[0-9]+-[0-9]+)", r.stderr)
    if m:
        r.job_id = m.group(1)
    elif detach and r.rc == 0 and r.stdout.strip().startswith("job-"):
        r.job_id = r.stdout.strip().splitlines()[0]
    return r


def _text(b) -> str:
    if b is None:
        return ""
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else b


def run_submit_cmd(env: Env, args: list[str], timeout_s: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([env.submit_bin(), "--master", env.master] + args, capture_output=True,
                          text=True, errors="replace", timeout=timeout_s)


def status_text(env: Env, job_id: str) -> str:
    if env.local or not job_id:
        return ""
    try:
        r = run_submit_cmd(env, ["--status", job_id], 30)
    except subprocess.TimeoutExpired:
        return ""
    return r.stdout if r.returncode == 0 else ""


def status_number(text: str, label: str) -> int:
    for line in text.splitlines():
        if line.startswith(label):
            m = re.match(r"\s*(-?\d+)", line[len(label):])
            return int(m.group(1)) if m else -1
    return -1


def read_sink(path: str) -> tuple[list[dict], list[str]]:
    """Rows of a file-sink directory (every line of every file whose name, and whose folders'
    names, do not begin with '.' or '_'), and the lines that are not JSON objects."""
    rows, bad = [], []
    if not os.path.isdir(path):
        return rows, bad
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        for name in sorted(files):
            if name.startswith((".", "_")):
                continue
            with open(os.path.join(root, name), "rb") as f:
                for raw in f.read().split(b"\n"):
                    if not raw.strip():
                        continue
                    try:
                        obj = json.loads(raw.decode("utf-8"))
                    except (UnicodeDecodeError, ValueError):
                        obj = None
                    if isinstance(obj, dict):
                        rows.append(obj)
                    else:
                        bad.append(raw.decode("utf-8", "replace")[:300])
    return rows, bad


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


class Verdicts:
    """PASS/FAIL lines as cases finish, and the closing count."""

    def __init__(self):
        self.passed: list[str] = []
        self.failed: list[tuple[str, str]] = []
        self.skipped: list[tuple[str, str]] = []

    def ok(self, name: str, note: str = ""):
        self.passed.append(name)
        print("PASS %s%s" % (name, " (" + note + ")" if note else ""), flush=True)

    def fail(self, name: str, why: str):
        self.failed.append((name, why))
        print("FAIL %s\n%s" % (name, "\n".join("    " + x for x in why.splitlines())), flush=True)

    def skip(self, name: str, why: str):
        self.skipped.append((name, why))
        print("SKIP %s: %s" % (name, why), flush=True)

    def summary(self, what: str) -> int:
        line = "%s: %d passed, %d failed" % (what, len(self.passed), len(self.failed))
        if self.skipped:
            line += ", %d skipped" % len(self.skipped)
        print(line, flush=True)
        for name, _ in self.failed:
            print("  failed: " + name, flush=True)
        return 1 if self.failed else 0
