"""Resident memory of the embedded mode (web + worker + beat) with the demo loaded and idle.

Starts `chorus up` in a temporary CHORUS_HOME on a free port, waits for the login page, then samples the summed
RSS of its whole process tree every second for ~30 s and prints min / median / max. Prints, asserts nothing.
"""

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHORUS = str(Path(sys.executable).with_name("chorus"))
SAMPLE_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tree(pid: int) -> set[int]:
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    found = {int(p) for p in children.split()}
    return {pid}.union(*(tree(p) for p in found))


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def describe(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")[:90]
    except FileNotFoundError:
        return "?"


def main() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
        env.update(CHORUS_HOME=home, CHORUS_PORT=str(port))
        up = subprocess.Popen([CHORUS, "up"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5)  # warm both web workers a bit
            time.sleep(5)
            samples = []
            for _ in range(SAMPLE_SECONDS):
                samples.append(sum(rss_kib(p) for p in tree(up.pid)) / 1024)
                time.sleep(1)
            for pid in sorted(tree(up.pid)):
                print(f"  {rss_kib(pid) / 1024:7.1f} MB  {describe(pid)}")
            print(f"embedded mode RSS over {SAMPLE_SECONDS} s, demo loaded, idle: min {min(samples):.0f} MB, "
                  f"median {statistics.median(samples):.0f} MB, max {max(samples):.0f} MB")
        finally:
            up.send_signal(signal.SIGINT)
            up.wait(timeout=60)


if __name__ == "__main__":
    main()
