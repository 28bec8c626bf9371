"""How late do scheduled posts go out? Prints numbers, asserts nothing.

    .venv/bin/python bench/publish.py                      # embedded: SQLite + sqla broker, one worker
    .venv/bin/python bench/publish.py --postgres --broker redis://127.0.0.1:6379/5   # two workers

Lag = when the sandbox network received the post (SandboxPost.created_at) − when it was due.
(a) one post at a quiet time; (b) 1,000 posts due at the same instant over 200 channels.
Targets: (a) ≤ 2 s; (b) all out within 30 s.
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

CHORUS = Path(sys.executable).with_name("chorus")
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/chorus_bench"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="use a fresh chorus_bench database")
    parser.add_argument("--broker", help="broker URL (default: sqla+sqlite in the temp home)")
    parser.add_argument("--workers", type=int, help="worker processes (default 1, or 2 with --postgres)")
    parser.add_argument("--concurrency", type=int, default=4, help="threads per worker")
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=200)
    return parser.parse_args()


def prepare_environment(args) -> str:
    home = tempfile.mkdtemp(prefix="chorus-bench-")
    os.environ.update(CHORUS_HOME=home, CHORUS_LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="chorus.settings",
                      CELERY_BROKER_URL=args.broker or f"sqla+sqlite:///{home}/broker.sqlite3")
    if args.postgres:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS chorus_bench WITH (FORCE)")
            admin.execute("CREATE DATABASE chorus_bench")
        os.environ["DATABASE_URL"] = PG_BENCH
    else:
        os.environ.pop("DATABASE_URL", None)
    if args.broker and args.broker.startswith("redis"):
        import redis

        redis.Redis.from_url(args.broker).flushdb()
    return home


def start_workers(count: int, concurrency: int, home: str) -> list[subprocess.Popen]:
    workers = []
    for n in range(count):
        argv = [CHORUS, "worker", "--concurrency", str(concurrency)] + (["--beat"] if n == 0 else [])
        log = open(Path(home) / f"worker-{n}.log", "w")  # noqa: SIM115 - lives as long as the worker
        workers.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


def lags(jobs) -> list[float]:
    from chorus.sandbox.models import SandboxPost

    arrived = dict(SandboxPost.objects.filter(idempotency_key__in=[j.idempotency_key for j in jobs])
                   .values_list("idempotency_key", "created_at"))
    return [(arrived[j.idempotency_key] - j.due_at).total_seconds() for j in jobs if j.idempotency_key in arrived]


def wait_until_out(jobs, timeout: float) -> list[float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        measured = lags(jobs)
        if len(measured) == len(jobs):
            return measured
        time.sleep(0.25)
    return lags(jobs)


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def main() -> None:
    args = parse_args()
    home = prepare_environment(args)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from chorus.channels.services import connect_channel
    from chorus.content.services import create_and_schedule
    from chorus.publishing.models import WorkerBeat
    from chorus.workspaces.services import create_workspace

    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("bench", password="bench-pass-123")
    workspace = create_workspace(owner=owner, name="Bench", slug="bench", timezone_name="UTC", language="en")
    channels = [connect_channel(actor=owner, workspace=workspace, network="sandbox", name=f"Bench {n}")
                for n in range(args.channels)]
    workers_count = args.workers or (2 if args.postgres else 1)
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{database}, broker {os.environ['CELERY_BROKER_URL'].split('://')[0]}, "
          f"{workers_count} worker(s) × {args.concurrency} threads, home {home}")

    workers = start_workers(workers_count, args.concurrency, home)
    try:
        started = time.monotonic()
        while not WorkerBeat.objects.exists():
            time.sleep(0.2)
        print(f"worker up and dispatching after {time.monotonic() - started:.1f} s")
        time.sleep(3)

        quiet_due = timezone.now() + timedelta(seconds=5)
        _post, [single] = create_and_schedule(actor=owner, workspace=workspace, text="One quiet post",
                                              channel_ids=[channels[0].pk], due_at=quiet_due)
        [lag] = wait_until_out([single], 60) or [float("nan")]
        print(f"(a) single post: lag {lag:.2f} s (target ≤ 2 s)")

        per_post = args.channels
        due = timezone.now() + timedelta(seconds=15 if args.posts <= 1000 else 60)
        began = time.monotonic()
        jobs = []
        for n in range(args.posts // per_post):
            jobs += create_and_schedule(actor=owner, workspace=workspace, text=f"Burst post {n}",
                                        channel_ids=[c.pk for c in channels], due_at=due)[1]
        spare = (due - timezone.now()).total_seconds()
        print(f"    scheduled {len(jobs)} posts in {time.monotonic() - began:.1f} s; {spare:.1f} s before due")
        measured = sorted(wait_until_out(jobs, 300))
        if len(measured) < len(jobs):
            print(f"(b) burst: only {len(measured)} of {len(jobs)} out after 300 s")
        if measured:
            print(f"(b) burst of {len(jobs)}: all out {measured[-1]:.1f} s after due (target ≤ 30 s); lag "
                  f"p50 {percentile(measured, 50):.1f} s, p95 {percentile(measured, 95):.1f} s, "
                  f"p99 {percentile(measured, 99):.1f} s, max {measured[-1]:.1f} s")
    finally:
        stop_workers(workers)


if __name__ == "__main__":
    main()
