"""Inbox list with 100,000 items in the workspace: first page and each filter (target: median < 300 ms each).

    .venv/bin/python bench/inbox.py [--items 100000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chorus_bench .venv/bin/python bench/inbox.py

Builds a throwaway install (SQLite under a temporary CHORUS_HOME unless DATABASE_URL is given): one workspace,
10 sandbox channels, 5,000 authors and ITEMS comments and messages over 90 days with labels, then GETs the inbox
page through django.test.Client with no filter and with each filter, RUNS times each, and prints the medians.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta

CHANNELS, AUTHORS, RUNS = 10, 5000, 15
FILTERS = {
    "first page": {}, "status=new": {"status": "new"}, "label=question": {"label": "question"},
    "language=en": {"language": "en"}, "channel": {"channel": "{channel}"}, "kind=message": {"kind": "message"},
    "assignee=nobody": {"assignee": "nobody"}, "waiting>24h": {"waiting": "24h"},
    "overdue": {"waiting": "overdue"}, "search": {"q": "доставка"},
    "label+status+language": {"label": "complaint", "status": "new", "language": "ru"},
    "rule (dry run)": {"rule": "Спам и боты"}, "author": {"author": "{author}"},
}
SETTINGS = "/w/coffee/inbox/settings/"  # each rule's record: its log joined with the team's corrections


def prepare(home: str) -> None:
    os.environ["CHORUS_HOME"] = home
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{home}/chorus.sqlite3")
    os.environ["DJANGO_SETTINGS_MODULE"] = "chorus.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(items: int):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from chorus.channels.services import connect_channel
    from chorus.inbox.ingestion import settle_statistics
    from chorus.inbox.models import Author, InboxItem, ItemLabel, LabelCorrection, ModerationAction, searchable
    from chorus.inbox.rules import save_rule
    from chorus.sandbox import comment_templates as voices
    from chorus.workspaces.services import create_workspace

    rng = random.Random(7)
    owner = get_user_model().objects.create_user("olga", password="bench-pass-123")
    workspace = create_workspace(owner=owner, name="Bench Coffee", slug="coffee", timezone_name="Europe/Moscow",
                                 language="ru")
    channels = [connect_channel(actor=owner, workspace=workspace, network="sandbox", name=f"Channel {n}")
                for n in range(CHANNELS)]
    save_rule(actor=owner, workspace=workspace, name="Спам и боты", conditions={"labels": {"spam": 0.9}},
              actions=["hide", "ban"])  # in dry run: it logs what it would have done to every spam item
    now = timezone.now()
    authors = Author.objects.bulk_create(
        Author(workspace=workspace, network="sandbox", remote_id=f"a{n}", name=f"Автор {n}", first_seen_at=now)
        for n in range(AUTHORS))
    for start in range(0, items, 5000):
        batch = []
        for n in range(start, min(items, start + 5000)):
            language = "ru" if rng.random() < 0.8 else "en"
            kind = rng.choice(voices.KINDS)
            written_at = now - timedelta(minutes=rng.randint(0, 90 * 24 * 60))
            batch.append(InboxItem(
                workspace=workspace, channel=channels[n % CHANNELS], kind="message" if n % 7 == 0 else "comment",
                remote_id=f"r{n}", author=authors[n % AUTHORS], text=(text := voices.compose(rng, language, kind)),
                search_text=searchable(text, authors[n % AUTHORS].name),
                written_at=written_at, respond_by=written_at + timedelta(hours=1), thread_key=f"post:p{n % 3000}",
                post_remote_id=f"p{n % 3000}", status=rng.choice(["new", "new", "answered", "closed", "assigned"]),
                language=language, labels={kind: 0.9}))
        created = InboxItem.objects.bulk_create(batch)
        ItemLabel.objects.bulk_create(ItemLabel(item=i, name=next(iter(i.labels)), confidence=0.9) for i in created)
        ModerationAction.objects.bulk_create(
            ModerationAction(item=i, action=action, rule_name="Спам и боты", dry_run=True)
            for i in created if "spam" in i.labels or "bot" in i.labels for action in ("hide", "ban"))
        LabelCorrection.objects.bulk_create(  # a reviewer said "not spam" to one find in twenty
            LabelCorrection(item=i, name="spam", value="no") for i in created[::20] if "spam" in i.labels)
        print(f"  {min(items, start + 5000)}/{items} items", file=sys.stderr)
    # Bulk-created here, not read by a turn, so nothing analysed them. Measured before autovacuum has, the
    # planner believed the inbox held 41 rows: 250 ms for the first page, minutes for the rule filter.
    started = time.perf_counter()
    settle_statistics()
    print(f"statistics settled in {(time.perf_counter() - started) * 1000:.0f} ms", file=sys.stderr)
    return owner, channels[0], authors[0]


def measure(owner, channel, author) -> None:
    from django.test import Client

    client = Client()
    client.force_login(owner)
    pages = [(name, "/w/coffee/inbox/", {k: {"{channel}": str(channel.pk), "{author}": str(author.pk)}.get(v, v)
                                         for k, v in query.items()}) for name, query in FILTERS.items()]
    for name, path, query in [*pages, ("settings and rule records", SETTINGS, {})]:
        assert client.get(path, query).status_code == 200
        timings = []
        for _run in range(RUNS):
            started = time.perf_counter()
            response = client.get(path, query)
            timings.append((time.perf_counter() - started) * 1000)
        shown = response.content.count(b"data-item=")
        print(f"{name:26} median {statistics.median(timings):7.1f} ms  max {max(timings):7.1f} ms  "
              f"({shown} rows on the page)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chorus-bench-inbox-") as home:
        prepare(home)
        print(f"inbox list, {arguments.items} items, {os.environ['DATABASE_URL'].split(':')[0]}")
        measure(*fill(arguments.items))
