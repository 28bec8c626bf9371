"""Calendar month view with 1,000 posts: how long the server takes to render the page (target: median < 300 ms).

    .venv/bin/python bench/calendar_month.py

Builds a throwaway embedded install (SQLite under a temporary CHORUS_HOME): one workspace in Europe/Moscow,
20 sandbox channels, 1,000 posts scheduled over next month, then GETs the month page 30 times through
django.test.Client and prints the median, the p95 and the number of SQL queries per page.
"""

import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta

POSTS, CHANNELS, RUNS = 1000, 20, 30


def prepare(home: str) -> None:
    os.environ["CHORUS_HOME"] = home
    os.environ["DATABASE_URL"] = f"sqlite:///{home}/chorus.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "chorus.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill_month():
    """The owner, the workspace, its channels and POSTS scheduled across next month; returns (owner, month)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from chorus.channels.services import connect_channel
    from chorus.content.services import create_and_schedule
    from chorus.workspaces.services import create_workspace
    from chorus.workspaces.timezones import local_to_utc, to_local

    owner = get_user_model().objects.create_user("olga", password="bench-pass-123")
    workspace = create_workspace(owner=owner, name="Bench Coffee", slug="coffee", timezone_name="Europe/Moscow",
                                 language="ru")
    channels = [connect_channel(actor=owner, workspace=workspace, network="sandbox", name=f"Channel {n}")
                for n in range(CHANNELS)]
    today = to_local(timezone.now(), workspace.timezone).date()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    for n in range(POSTS):
        # Spread over 28 days, 09:00–20:59, so every month has them all inside.
        local = datetime(first.year, first.month, 1 + n % 28, 9 + n % 12, n % 60)
        due_at, _warnings = local_to_utc(local, workspace.timezone)
        create_and_schedule(actor=owner, workspace=workspace, text=f"Post {n}: <b>новый сорт</b> ☕ " * 3,
                            channel_ids=[channels[n % CHANNELS].pk], due_at=due_at)
        if n % 100 == 99:
            print(f"  {n + 1}/{POSTS} posts scheduled", file=sys.stderr)
    return owner, first.strftime("%Y-%m")


def measure(owner, month: str) -> None:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(owner)
    url = f"{reverse('calendar', args=['coffee'])}?month={month}"
    queries = []
    # Counted at the driver: the test client resets Django's own query log at the start of each request.
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        first = client.get(url)
    assert first.status_code == 200, first.status_code
    events = first.content.count(b'"startEditable"')
    timings = []
    for _run in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    timings.sort()
    p95 = timings[int(0.95 * (RUNS - 1))]
    print(f"calendar month page, {events} publications embedded, {len(queries)} SQL queries per page")
    print(f"median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms over {RUNS} GETs "
          f"(target: median < 300 ms)")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="chorus-bench-calendar-") as home:
        prepare(home)
        measure(*fill_month())
