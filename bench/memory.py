"""Resident memory of the embedded mode (web + worker + beat): with the demo loaded and idle, then while
1,000 posts go out at once, then idle again once their first comments have come in.

Starts `chorus up` in a temporary CHORUS_HOME on a free port, waits for the login page, lets every periodic task
run once (the audience, ingestion and the re-scorer load what they load), then samples the summed RSS of the whole
process tree every second: idle, while 1,000 posts due now go out, while the audience and the inbox take in their
first comments, and idle again. Ends with one verdict line per target of issue #2:

  idle    the highest summed RSS while idle with the demo loaded is under IDLE_LIMIT_MB;
  return  the median summed RSS while idle after the burst is at most RETURN_TOLERANCE above the median before.

Point CHORUS_CLASSIFY_MODELS at a directory holding a trained model (`chorus classify build`), or the first start
trains one (a minute of CPU) and that lands in the measurement. Sum of PSS is printed too: RSS counts pages that
processes share (Python's own code, the forked gunicorn workers) once per process, PSS splits them.
"""

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

CHORUS = str(Path(sys.executable).with_name("chorus"))
IDLE_LIMIT_MB = 600
RETURN_TOLERANCE = 0.05
WARM_UP_SECONDS = 75  # every minute's tasks (audience, ingestion, re-scorer) run at least once before "idle"
IDLE_SECONDS = 120  # two whole cycles of the minute's tasks in each idle window: the worker swings ±20 MB within one
AFTERMATH_SECONDS = 150  # two audience ticks and several ingestion turns take in the burst's first comments
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


def memory_kib(pid: int, field: str, source: str = "status") -> int:
    """`VmRSS` from /proc/PID/status, or `Pss` from /proc/PID/smaps_rollup; 0 for a process that just ended."""
    try:
        for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def describe(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")[:90]
    except FileNotFoundError:
        return "?"


class Sampler(threading.Thread):
    """Sums the tree's RSS (and PSS) once a second, filed under whichever phase is current."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.phase = pid, ""
        self.rss: dict[str, list[float]] = {}
        self.pss: dict[str, list[float]] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(1):
            family, phase = tree(self.pid), self.phase
            if phase:
                self.rss.setdefault(phase, []).append(sum(memory_kib(p, "VmRSS") for p in family) / 1024)
                self.pss.setdefault(phase, []).append(
                    sum(memory_kib(p, "Pss", "smaps_rollup") for p in family) / 1024)

    def during(self, phase: str, seconds: float) -> None:
        self.phase = phase
        time.sleep(seconds)


def show_processes(pid: int) -> None:
    for child in sorted(tree(pid)):
        print(f"  {memory_kib(child, 'VmRSS') / 1024:7.1f} MB  {describe(child)}")


def report(sampler: Sampler, phase: str) -> None:
    rss, pss = sampler.rss[phase], sampler.pss[phase]
    print(f"embedded mode RSS, {phase}: min {min(rss):.0f} MB, median {statistics.median(rss):.0f} MB, "
          f"max {max(rss):.0f} MB ({len(rss)} samples); PSS median {statistics.median(pss):.0f} MB")


def verdict(before: list[float], after: list[float]) -> None:
    idle_ok = max(before) < IDLE_LIMIT_MB
    print(f"verdict idle:   {'PASS' if idle_ok else 'FAIL'}  max {max(before):.0f} MB while idle with the demo "
          f"(target: under {IDLE_LIMIT_MB} MB)")
    then, now = statistics.median(before), statistics.median(after)
    back = now <= then * (1 + RETURN_TOLERANCE)
    print(f"verdict return: {'PASS' if back else 'FAIL'}  median {now:.0f} MB idle after the burst vs "
          f"{then:.0f} MB before ({(now / then - 1) * 100:+.1f}%; target: at most {RETURN_TOLERANCE:.0%} above)")


def wait_for_login(port: int) -> None:
    deadline = time.monotonic() + 300  # the first start creates the demo
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the login page never answered")


def run_burst(env: dict, sampler: Sampler) -> None:
    sampler.phase = f"while {BURST} posts go out"
    started = time.monotonic()
    subprocess.run([CHORUS, "shell", "--no-imports", "-c", SCHEDULE_BURST], env=env, check=True)
    waiting = [CHORUS, "shell", "--no-imports", "-c", COUNT_WAITING]
    while int(subprocess.run(waiting, env=env, capture_output=True, text=True, check=True).stdout or 0):
        time.sleep(1)
    print(f"{BURST} posts out {time.monotonic() - started:.0f} s after scheduling began")


def main() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
        env.update(CHORUS_HOME=home, CHORUS_PORT=str(port))
        up = subprocess.Popen([CHORUS, "up"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sampler = Sampler(up.pid)
        try:
            wait_for_login(port)
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5)  # warm both web workers a bit
            time.sleep(WARM_UP_SECONDS)
            sampler.start()
            sampler.during("demo loaded, idle", IDLE_SECONDS)
            show_processes(up.pid)
            run_burst(env, sampler)
            sampler.during("taking in the burst's first comments", AFTERMATH_SECONDS)
            sampler.during("idle again", IDLE_SECONDS)
            sampler.done.set()
            sampler.join()
            show_processes(up.pid)  # which process kept what it grew
            for phase in sampler.rss:
                report(sampler, phase)
            verdict(sampler.rss["demo loaded, idle"], sampler.rss["idle again"])
        finally:
            up.send_signal(signal.SIGINT)
            up.wait(timeout=60)


if __name__ == "__main__":
    main()
