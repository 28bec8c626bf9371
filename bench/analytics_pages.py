"""How long do the analytics pages take, rendered whole? Prints numbers, asserts nothing.

    .venv/bin/python bench/analytics_pages.py              # the Facebook page's 2014 (500 posts), copied ×1
    .venv/bin/python bench/analytics_pages.py --copies 10  # the same year imported 10 times over (5,000 posts)

The UCI Facebook metrics file is imported through the history import into one channel (each copy under other
post ids), then each page is fetched through Django's test client as its owner: the workspace and channel
dashboards for the year 2014, what works, and one table's XLSX. Median of --runs fetches after one warm-up.
"""

import argparse
import csv
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "facebook-metrics" / "dataset_Facebook.csv"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=1, help="how many times the year is imported")
    parser.add_argument("--runs", type=int, default=7, help="fetches timed per page")
    return parser.parse_args()


def prepare() -> None:
    os.environ.update(CHORUS_HOME=tempfile.mkdtemp(prefix="chorus-bench-pages-"), CHORUS_LOG_LEVEL="WARNING",
                      DJANGO_SETTINGS_MODULE="chorus.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def copy_of_year(copy: int) -> bytes:
    """The file with a post id per row, different in each copy, so that every copy adds its own posts."""
    rows = list(csv.DictReader(DATASET.open(newline="", encoding="utf-8")))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*rows[0], "Post id"])
    writer.writeheader()
    writer.writerows({**row, "Post id": f"{copy}-{line}"} for line, row in enumerate(rows))
    return out.getvalue().encode()


def main():
    args = parse_args()
    prepare()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from chorus.analytics import services
    from chorus.analytics.history_import import FACEBOOK_INSIGHTS
    from chorus.channels.services import connect_channel
    from chorus.workspaces.services import create_workspace

    owner = get_user_model().objects.create_user("bench-owner", password="x")
    workspace = create_workspace(owner=owner, name="Bench", slug="bench", timezone_name="Europe/Moscow",
                                 language="en")
    channel = connect_channel(actor=owner, workspace=workspace, network="sandbox", name="Facebook page")
    mapping = json.dumps({**FACEBOOK_INSIGHTS, "remote_id": "Post id"})
    began = time.perf_counter()
    for copy in range(args.copies):
        services.import_history(actor=owner, workspace=workspace, channel_id=channel.pk, source=copy_of_year(copy),
                                file_format="csv", mapping=mapping)
    posts = channel.published_posts.count()
    print(f"{posts:,} posts imported in {time.perf_counter() - began:.1f} s")
    client = Client()
    client.force_login(owner)
    year = "period=custom&from=2014-01-01&to=2014-12-31"
    pages = {"workspace dashboard, 2014": f"/w/bench/analytics/?{year}",
             "channel dashboard, 2014": f"/w/bench/analytics/channels/{channel.pk}/?{year}",
             "what works": f"/w/bench/analytics/channels/{channel.pk}/what-works/",
             "what works, hour table as XLSX": f"/w/bench/analytics/channels/{channel.pk}/what-works/"
                                               "?table=hour&export=xlsx"}
    for name, url in pages.items():
        assert client.get(url).status_code == 200, url
        times = []
        for _ in range(args.runs):
            began = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - began)
        print(f"{name}: median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
              f"over {len(times)}")


if __name__ == "__main__":
    main()
