"""The owner, in a real browser, writes a post, schedules it a minute ahead, finds it on the calendar and watches
a real worker publish it to the sandbox."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from chorus.publishing.models import PublishJob, Status
from chorus.sandbox.models import SandboxPost
from chorus.workspaces.timezones import to_local

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
PUBLISH_TIMEOUT = 150  # seconds: up to a minute until the due time, then the worker's one-second tick

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"),
]


def database_url() -> str:
    """The live server's test database, as the worker process must reach it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_argv() -> list[str]:
    chorus = Path(sys.executable).with_name("chorus")
    if chorus.exists():
        return [str(chorus), "worker", "--beat", "--concurrency", "2"]
    return [str(Path(sys.executable).with_name("celery")), "-A", "chorus", "worker", "-B", "--pool", "threads",
            "-c", "2", "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"]


@pytest.fixture
def worker(live_server, tmp_path):
    """A real Celery worker with its beat, on the same database as the live server; stopped after the story."""
    env = dict(os.environ, DATABASE_URL=database_url(), CHORUS_HOME=str(tmp_path),
               # Same keys as this process, or the worker could not read the channel's encrypted token.
               CHORUS_FIELD_KEYS=settings.FIELD_ENCRYPTION_KEYS, CHORUS_SECRET_KEY=settings.SECRET_KEY)
    env.setdefault("CELERY_BROKER_URL", f"sqla+sqlite:///{tmp_path}/broker.sqlite3")
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(worker_argv(), env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    process.log = log
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def sign_in(page, live_server, owner) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", owner.username)
    page.fill("#id_password", "olga-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/w/coffee/")


def wait_until_published(page, worker) -> None:
    deadline = time.monotonic() + PUBLISH_TIMEOUT
    while time.monotonic() < deadline:
        assert worker.poll() is None, "the worker died:\n" + worker.log.read_text()[-3000:]
        page.reload()
        if page.locator(".badge", has_text="Published").count():
            return
        time.sleep(2)
    pytest.fail("the post was not published in time; worker log:\n" + worker.log.read_text()[-3000:])


def test_owner_schedules_a_post_sees_it_on_the_calendar_and_then_published(live_server, coffee, worker):
    from playwright.sync_api import expect, sync_playwright

    owner, workspace, channel = coffee
    text = "Эфиопия Иргачефф снова в зерне <b>не жирным</b>"
    due = to_local(timezone.now() + timedelta(minutes=1), workspace.timezone).strftime("%Y-%m-%dT%H:%M")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        sign_in(page, live_server, owner)

        page.goto(f"{live_server.url}/w/coffee/posts/new/")
        page.fill("#composer-text", text)
        page.check(f"#channel-{channel.pk}")
        page.fill("#composer-when", due)
        page.click("button[name=intent][value=schedule]")
        page.wait_for_url("**/w/coffee/posts/*/")
        post_url = page.url

        page.goto(f"{live_server.url}/w/coffee/calendar/")
        event = page.locator(".fc-event", has_text=text)
        expect(event).to_be_visible()
        expect(event).to_contain_text("SANDBOX")
        expect(page.locator(".fc-event b")).to_have_count(0)  # the post's markup stayed text
        event.click()
        page.wait_for_url(post_url)

        wait_until_published(page, worker)
        browser.close()

    job = PublishJob.objects.get(channel=channel)
    assert job.status == Status.PUBLISHED
    assert to_local(job.due_at, workspace.timezone).strftime("%Y-%m-%dT%H:%M") == due
    assert list(SandboxPost.objects.values_list("text", flat=True)) == [text]
