#!/usr/bin/env python3
"""Screenshots of the master's page with headless Chromium, whole pages or single panels.

Drives Debian's `chromium` through its DevTools protocol over a pipe (--remote-debugging-pipe:
commands on fd 3, replies on fd 4, each JSON message ended by a NUL byte), so it needs nothing
but the Python standard library. The page refreshes every two seconds; the script presses its
Pause button before measuring and capturing, so a picture shows one consistent moment.

  shoot.py --url http://127.0.0.1:28080/#/jobs/ID --out DIR \
      --shot job-top.png=top:900 --shot stages.png=panel:Stages --shot phases.png="panel:Time per phase"

A shot is NAME=WHAT, WHAT one of
  page            the whole page (as tall as its content)
  top:H           the first H pixels
  panel:TITLE     the panel (section) whose heading starts with TITLE
  panels:T1|T2    the smallest rectangle holding both panels
The page is laid out --viewport pixels wide (default 1400, so that wide tables fit) and the
pictures are scaled to --width pixels (default 1200); pngquant compresses them when installed.
Exit status 0 when every shot was written, 1 otherwise.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def _high(fd: int) -> int:
    """Returns a duplicate of `fd` numbered 10 or more and closes `fd`."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class Browser:
    def __init__(self, chromium: str, width: int, height: int):
        self.profile = tempfile.mkdtemp(prefix="spate-shoot-")
        # Pipe ends moved above 9 first, so that putting them on 3 and 4 in the child never
        # clobbers one of them.
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        to_chrome_r, from_chrome_w = _high(to_chrome_r), _high(from_chrome_w)

        def child_fds():
            os.dup2(to_chrome_r, 3)  # dup2 leaves 3 and 4 inheritable across exec
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", "--remote-debugging-pipe", f"--user-data-dir={self.profile}",
             f"--window-size={width},{height}", "about:blank"],
            preexec_fn=child_fds, close_fds=False, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]

    def call(self, method: str, params: dict | None = None, timeout: float = 60) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply.get("result", {})
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method}: no reply in {timeout} s")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk

    def eval(self, expression: str):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"page script failed: {r['exceptionDetails']}")
        return r.get("result", {}).get("value")

    def close(self):
        try:
            os.close(self.to_chrome)
        except OSError:
            pass
        try:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


RECT_JS = """
(() => {
  const want = %s;
  const rects = [];
  for (const title of want) {
    const s = [...document.querySelectorAll('section')].find((x) => {
      const h = x.querySelector('h2');
      return h && h.textContent.trim().startsWith(title);
    });
    if (!s) return null;
    const r = s.getBoundingClientRect();
    rects.push([r.left + window.scrollX, r.top + window.scrollY, r.right + window.scrollX, r.bottom + window.scrollY]);
  }
  return rects;
})()
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--shot", action="append", default=[], help="NAME=WHAT (repeatable)")
    ap.add_argument("--width", type=int, default=1200, help="width of the pictures")
    ap.add_argument("--viewport", type=int, default=1400, help="width the page is laid out at")
    ap.add_argument("--wait-for", default="document.querySelector('[data-view]') !== null",
                    help="JavaScript condition the page must meet before the shots")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    vw = args.viewport
    scale = args.width / vw
    b = Browser(args.chromium, vw, 1000)
    failed = 0
    try:
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": vw, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        b.call("Page.enable")
        b.call("Page.navigate", {"url": args.url})
        deadline = time.monotonic() + 30
        while not b.eval(f"!!({args.wait_for})"):
            if time.monotonic() > deadline:
                print(f"shoot: the page never met: {args.wait_for}", file=sys.stderr)
                return 1
            time.sleep(0.3)
        time.sleep(1.0)  # charts drawn after the first data
        b.eval("(() => { const p = [...document.querySelectorAll('button')]"
               ".find((x) => x.textContent.trim() === 'Pause'); if (p) p.click(); return !!p; })()")
        time.sleep(0.3)
        full_h = int(b.eval("document.documentElement.scrollHeight"))
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": vw, "height": full_h, "deviceScaleFactor": 1, "mobile": False})
        time.sleep(0.5)
        for spec in args.shot:
            name, _, what = spec.partition("=")
            kind, _, arg = what.partition(":")
            if kind == "page":
                clip = [0, 0, vw, int(b.eval("document.documentElement.scrollHeight"))]
            elif kind == "top":
                clip = [0, 0, vw, int(arg)]
            elif kind in ("panel", "panels"):
                rects = b.eval(RECT_JS % json.dumps(arg.split("|")))
                if not rects:
                    print(f"shoot: no panel titled {arg!r} on {args.url}", file=sys.stderr)
                    failed += 1
                    continue
                pad = 6
                clip = [max(0, min(r[0] for r in rects) - pad), max(0, min(r[1] for r in rects) - pad),
                        min(vw, max(r[2] for r in rects) + pad), max(r[3] for r in rects) + pad]
            else:
                print(f"shoot: unknown shot {what!r}", file=sys.stderr)
                failed += 1
                continue
            x0, y0, x1, y1 = clip
            shot = b.call("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0, "scale": scale}})
            path = os.path.join(args.out, name)
            with open(path, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            if shutil.which("pngquant"):
                subprocess.run(["pngquant", "--force", "--quality=65-95", "--speed", "1",
                                "--output", path, path], check=False)
            print(f"shoot: {os.path.relpath(path)} ({int((x1 - x0) * scale)}x{int((y1 - y0) * scale)}, "
                  f"{os.path.getsize(path)} bytes)")
    finally:
        b.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
