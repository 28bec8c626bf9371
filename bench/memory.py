"""Resident memory of the embedded mode (web + worker + beat): with the demo loaded and idle, then while
1,000 posts go out at once, then idle again.

Starts `chorus up` in a temporary CHORUS_HOME on a free port, waits for the login page, samples the summed RSS
of its whole process tree every second for ~30 s, schedules 1,000 posts due now over the demo's channels and
samples until every one is published, then samples idle again. Prints, asserts nothing.
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
BURST = 1000
SCHEDULE_BURST = f"""
from django.utils import timezone
from chorus.channels.models import Channel
from chorus.content.services import create_and_schedule
channels = list(Channel.objects.select_related("workspace"))
for n in range({BURST}):
    channel = channels[n % len(channels)]
    owner = channel.workspace.memberships.get(role="owner").user
    create_and_schedule(actor=owner, workspace=channel.workspace, text=f"Burst post {{n}}",
                        channel_ids=[channel.pk], due_at=timezone.now())
"""
COUNT_WAITING = ("from chorus.publishing.models import PublishJob; "
                 "print(PublishJob.objects.filter(variant__post__text__startswith='Burst post')"
                 ".exclude(status='published').count())")


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


def sample(pid: int, seconds: int) -> list[float]:
    samples = []
    for _ in range(seconds):
        samples.append(sum(rss_kib(p) for p in tree(pid)) / 1024)
        time.sleep(1)
    return samples


def show_processes(pid: int) -> None:
    for child in sorted(tree(pid)):
        print(f"  {rss_kib(child) / 1024:7.1f} MB  {describe(child)}")


def report(phase: str, samples: list[float]) -> None:
    print(f"embedded mode RSS, {phase}: min {min(samples):.0f} MB, median {statistics.median(samples):.0f} MB, "
          f"max {max(samples):.0f} MB ({len(samples)} samples)")


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
            idle = sample(up.pid, SAMPLE_SECONDS)
            show_processes(up.pid)
            report("demo loaded, idle", idle)
            subprocess.run([CHORUS, "shell", "--no-imports", "-c", SCHEDULE_BURST], env=env, check=True)
            started, burst = time.monotonic(), []
            waiting = [CHORUS, "shell", "--no-imports", "-c", COUNT_WAITING]
            while int(subprocess.run(waiting, env=env, capture_output=True,
                                     text=True, check=True).stdout or 0):
                burst += sample(up.pid, 2)
            print(f"{BURST} posts out {time.monotonic() - started:.0f} s after scheduling")
            report(f"while {BURST} posts go out", burst)
            report("idle again", sample(up.pid, SAMPLE_SECONDS))
            show_processes(up.pid)  # which process kept what it grew
        finally:
            up.send_signal(signal.SIGINT)
            up.wait(timeout=60)


if __name__ == "__main__":
    main()
