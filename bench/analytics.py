"""How fast does analytics ingest and answer dashboards? Prints numbers, asserts nothing.

    .venv/bin/python bench/analytics.py                 # 1,000 channels, 100,000 posts, 10M post snapshots
    .venv/bin/python bench/analytics.py --scale 0.1     # a tenth of that
    .venv/bin/python bench/analytics.py --postgres      # a fresh chorus_bench_analytics database

A year of collection through `MetricsStore`: every post is snapshotted every 30 minutes for its first 100 turns
(≈ 2 days), streamed in collection order, plus one account snapshot per channel per day. 10 channels per
workspace. Ingest rate counts post snapshots per second including the rollup upkeep (posts and channel days),
in wall-clock time and per CPU-second (this process's; on PostgreSQL also with its backend's, read from /proc when
the server runs on this machine); RSS is sampled while ingesting. Then the channel and workspace dashboards for
the last 90 days of the year, and one workspace's move to another zone (its channels rebuilt, as the worker does).
Targets: ingest ≥ 50,000 rows/s; dashboards < 300 ms median.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import groupby
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
TURN = timedelta(minutes=30)
TURNS_PER_POST = 100
CHANNELS_PER_WORKSPACE = 10
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/chorus_bench_analytics"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 1,000 channels / 100,000 posts")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--queries", type=int, default=30, help="dashboards timed of each kind")
    return parser.parse_args()


def prepare(args) -> None:
    home = tempfile.mkdtemp(prefix="chorus-bench-analytics-")
    os.environ.update(CHORUS_HOME=home, CHORUS_LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="chorus.settings")
    if args.postgres:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS chorus_bench_analytics WITH (FORCE)")
            admin.execute("CREATE DATABASE chorus_bench_analytics")
        os.environ["DATABASE_URL"] = PG_BENCH
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def database_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend, read from /proc when the server runs on this machine
    (0 on SQLite, where the database's work is this process's own, or when it cannot be read)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def make_places(channels: int):
    """Workspaces of 10 channels each, one owner for all; returns (owner, [(workspace, channel)])."""
    from django.contrib.auth import get_user_model

    from chorus.channels.models import Channel
    from chorus.workspaces.models import Membership, Workspace

    owner = get_user_model().objects.create_user("bench-owner", password="x")
    workspaces = Workspace.objects.bulk_create(
        Workspace(name=f"Brand {n}", slug=f"brand-{n}", timezone="Europe/Moscow")
        for n in range(max(channels // CHANNELS_PER_WORKSPACE, 1)))
    Membership.objects.bulk_create(Membership(user=owner, workspace=w, role="owner") for w in workspaces)
    made = Channel.objects.bulk_create(
        Channel(workspace=workspaces[n % len(workspaces)], network="sandbox", name=f"Channel {n}",
                external_id=str(n)) for n in range(channels))
    return owner, [(c.workspace, c) for c in made]


def make_posts(places, per_channel: int, rng: random.Random):
    """Posts spread over the year, registered day by day as collection would meet them (so their ids follow
    publication time, as in a live system); returns [(first turn, post id, audience)] sorted by first turn."""
    from chorus.analytics.store import PostFacts, store

    year_turns = int(timedelta(days=365) / TURN)
    planned = sorted((rng.randrange(year_turns - TURNS_PER_POST), n, i)
                     for n in range(len(places)) for i in range(per_channel))
    turns_a_day = int(timedelta(days=1) / TURN)
    posts = []
    for _day, planned_today in groupby(planned, key=lambda plan: plan[0] // turns_a_day):
        todays = defaultdict(list)
        for start, n, i in planned_today:
            todays[n].append((start, i))
        for n, plan in todays.items():
            channel = places[n][1]
            facts = [PostFacts(published_at=YEAR_START + TURN * start - timedelta(minutes=rng.randrange(30)),
                               remote_id=f"{channel.pk}-{i}", kind=rng.choice(("photo", "video", "text")),
                               text_length=rng.randrange(20, 1500)) for start, i in plan]
            for (start, _i), post in zip(plan, store.register(channel, facts), strict=True):
                posts.append((start, post.pk, rng.randrange(500, 50_000)))
    posts.sort()
    return posts, year_turns


def readings(posts, year_turns: int):
    """Post snapshots in collection order: at each turn, every post within its first 100 turns."""
    from chorus.analytics.store import PostReading

    active, next_post = [], 0
    for turn in range(year_turns):
        while next_post < len(posts) and posts[next_post][0] == turn:
            active.append(posts[next_post])
            next_post += 1
        active = [p for p in active if turn - p[0] < TURNS_PER_POST]
        at = YEAR_START + TURN * turn
        for start, post_id, audience in active:
            age = turn - start + 1
            reach = audience * age // (age + 10)
            # reach and saves: saves are never given here, so they stay missing in every rollup
            yield PostReading(post_id, at, views=reach * 3 // 2, likes=reach // 25, reposts=reach // 400,
                              comments=reach // 300, reach=reach)


def accounts(places, day_count: int):
    from chorus.analytics.store import AccountReading

    for day in range(day_count):
        at = YEAR_START + timedelta(days=day, hours=12)
        for n, (_workspace, channel) in enumerate(places):
            yield AccountReading(channel.pk, at, followers=10_000 + n * 10 + day * 3)


def ingest(posts, year_turns, places):
    from chorus.analytics.store import BATCH, store

    account_time = time.perf_counter()
    account_rows = store.ingest_accounts(accounts(places, 365))
    account_time = time.perf_counter() - account_time
    rows, elapsed, cpu, database, batch, samples = 0, 0.0, 0.0, 0.0, [], [rss_mb()]

    def write(batch):
        # Only the store's work is timed: making up the readings is the bench's, not the ingest's.
        nonlocal rows, elapsed, cpu, database
        began_database = database_cpu()
        began, began_cpu = time.perf_counter(), time.process_time()
        rows += store.ingest_posts(batch)
        elapsed += time.perf_counter() - began
        cpu += time.process_time() - began_cpu
        database += database_cpu() - began_database

    for reading in readings(posts, year_turns):
        batch.append(reading)
        if len(batch) == BATCH:
            write(batch)
            batch = []
            if rows % (BATCH * 100) == 0:
                samples.append(rss_mb())
                print(f"  {rows:>11,} rows  {rows / elapsed:>9,.0f} rows/s  RSS {samples[-1]:.0f} MB", flush=True)
    write(batch)
    samples.append(rss_mb())
    return rows, elapsed, cpu, database, account_rows, account_time, samples


def time_dashboards(owner, places, count: int, rng: random.Random) -> tuple[list[float], list[float]]:
    from chorus.analytics import services

    last = date(2026, 12, 31)
    first = last - timedelta(days=89)
    channel_times, workspace_times = [], []
    workspaces = list({w.pk: w for w, _c in places}.values())
    for _ in range(count):
        workspace, channel = rng.choice(places)
        began = time.perf_counter()
        services.channel_dashboard(owner, workspace, channel.pk, first, last)
        channel_times.append(time.perf_counter() - began)
        workspace = rng.choice(workspaces)
        began = time.perf_counter()
        services.workspace_dashboard(owner, workspace, first, last)
        workspace_times.append(time.perf_counter() - began)
    return channel_times, workspace_times


def time_zone_move(places) -> tuple[float, int]:
    """One workspace moves to Novosibirsk: its channels rebuilt from their raw snapshots, as the worker does."""
    from chorus.analytics import services
    from chorus.workspaces.models import Workspace

    workspace = places[0][0]
    Workspace.objects.filter(pk=workspace.pk).update(timezone="Asia/Novosibirsk")
    began = time.perf_counter()
    posts = services.follow_zone(workspace.pk)
    return time.perf_counter() - began, posts


def main():
    args = parse_args()
    prepare(args)
    from django.db import connection

    rng = random.Random(20261207)
    channels = max(int(1000 * args.scale), CHANNELS_PER_WORKSPACE)
    per_channel = 100
    print(f"{connection.vendor}: {channels} channels, {channels * per_channel:,} posts, "
          f"{channels * per_channel * TURNS_PER_POST:,} post snapshots planned")
    began = time.perf_counter()
    owner, places = make_places(channels)
    posts, year_turns = make_posts(places, per_channel, rng)
    print(f"posts registered in {time.perf_counter() - began:.1f} s")
    rows, elapsed, cpu, database, account_rows, account_time, samples = ingest(posts, year_turns, places)
    print(f"account snapshots: {account_rows:,} in {account_time:.1f} s ({account_rows / account_time:,.0f} rows/s)")
    print(f"post snapshots: {rows:,} in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s incl. rollups "
          f"(target ≥ 50,000); per CPU-second of this process {rows / cpu:,.0f} rows/s "
          f"(the two differ when the machine is shared; the database's own work is in this process on SQLite)")
    if database:
        print(f"per CPU-second of this process and its PostgreSQL backend: {rows / (cpu + database):,.0f} rows/s "
              f"(the backend's {database:.1f} s read from /proc; the server's WAL writer and checkpointer not counted)")
    print(f"RSS while ingesting: start {samples[0]:.0f} MB, max {max(samples):.0f} MB, end {samples[-1]:.0f} MB")
    channel_times, workspace_times = time_dashboards(owner, places, args.queries, rng)
    for name, times in (("channel", channel_times), ("workspace", workspace_times)):
        print(f"{name} dashboard, 90 days: median {statistics.median(times) * 1000:.0f} ms, "
              f"max {max(times) * 1000:.0f} ms over {len(times)} (target < 300 ms median)")
    seconds, moved = time_zone_move(places)
    print(f"a workspace's zone change: {moved:,} posts of {CHANNELS_PER_WORKSPACE} channels and their "
          f"{moved * TURNS_PER_POST:,} snapshots rebuilt in {seconds:.1f} s")


if __name__ == "__main__":
    main()
