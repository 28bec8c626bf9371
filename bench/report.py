"""How long does a monthly client report take to build? Prints numbers, asserts nothing.

    .venv/bin/python bench/report.py                 # a workspace of 10 channels, a month of history
    .venv/bin/python bench/report.py --channels 30 --runs 5

Each channel gets 4 posts a day (a picture on every other one), snapshots every 30 minutes for their first two
days and an account count per hour, all through `MetricsStore`; then the month's report is built --runs times
(page, two charts, thumbnails, PDF), as a schedule would. Target: under 10 s for 10 channels.
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MONTH_START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS, POSTS_PER_DAY, TURNS = 31, 4, 96


def prepare() -> None:
    home = tempfile.mkdtemp(prefix="chorus-bench-report-")
    os.environ.update(CHORUS_HOME=home, CHORUS_LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="chorus.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def picture():
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1200, 800), "#c69c6d").save(out, format="JPEG")
    return SimpleUploadedFile("cup.jpg", out.getvalue(), content_type="image/jpeg")


def seed(channels: int):
    from django.contrib.auth import get_user_model

    from chorus.analytics.store import AccountReading, PostReading, store
    from chorus.channels.services import connect_channel
    from chorus.content.media import upload_media
    from chorus.content.services import create_and_schedule
    from chorus.publishing.models import PublishJob, Status
    from chorus.workspaces.services import create_workspace

    owner = get_user_model().objects.create_user("bench-owner")
    workspace = create_workspace(owner=owner, name="Кофейня «Зерно»", slug="zerno", timezone_name="Europe/Moscow",
                                 language="ru")
    cup = upload_media(actor=owner, workspace=workspace, uploaded_file=picture())
    for number in range(channels):
        channel = connect_channel(actor=owner, workspace=workspace, network="sandbox", name=f"Канал {number + 1}")
        store.ingest_accounts(AccountReading(channel.pk, MONTH_START - timedelta(days=31) + timedelta(hours=h),
                                             followers=10_000 + 3 * h) for h in range(62 * 24))
        facts = []
        for slot in range(DAYS * POSTS_PER_DAY):
            at = MONTH_START + timedelta(hours=6 * slot + 3)
            _post, (job,) = create_and_schedule(actor=owner, workspace=workspace, channel_ids=[channel.pk],
                                                text=f"Новое меню, день {slot // 4 + 1}", due_at=at,
                                                media_ids=[cup.pk] if slot % 2 else [])
            PublishJob.objects.filter(pk=job.pk).update(status=Status.PUBLISHED, remote_id=f"{number}-{slot}",
                                                        published_at=at)
            facts.append(store.facts_of_job(PublishJob.objects.get(pk=job.pk)))
        posts = store.register(channel, facts)
        store.ingest_posts(PostReading(post.pk, post.published_at + timedelta(minutes=30 * turn), views=50 * turn,
                                       likes=turn, comments=turn // 10, reposts=turn // 20, reach=40 * turn)
                           for post in posts for turn in range(1, TURNS + 1))
    return owner, workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    prepare()
    from chorus.reports.periods import parse_period
    from chorus.reports.services import build_report

    started = time.perf_counter()
    owner, workspace = seed(args.channels)
    print(f"seeded {args.channels} channels × {DAYS * POSTS_PER_DAY} posts in {time.perf_counter() - started:.1f} s")
    timings = []
    for _run in range(args.runs):
        started = time.perf_counter()
        report = build_report(actor=owner, workspace=workspace, period=parse_period("2026-10"))
        timings.append(time.perf_counter() - started)
    print(f"monthly report, {args.channels} channels: first {timings[0]:.2f} s (imports included), "
          f"median {statistics.median(timings):.2f} s over {args.runs} runs; PDF {report.pdf.size / 1000:.0f} KB "
          f"(target < 10 s)")


if __name__ == "__main__":
    main()
