"""A real worker is SIGKILLed in the middle of a batch; a new one takes over; nothing is posted twice or lost.

The worker is the real `chorus worker --beat` process on this test's database, with its own broker (SQLite
file by default, or the CI's Redis/RabbitMQ). Leases are shortened through the environment so it ends fast.
"""

import os
import signal
import subprocess
import time
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.utils import timezone

from chorus.channels.services import connect_channel
from chorus.content.services import create_and_schedule
from chorus.publishing.models import PublishJob, Status
from chorus.publishing.tests.conftest import CHORUS
from chorus.sandbox.models import SandboxPost
from chorus.sandbox.network import set_faults

IN_FLIGHT = [Status.SCHEDULED, Status.CLAIMED, Status.SENDING, Status.UNKNOWN]
FAST_LEASES = {"CHORUS_CLAIM_LEASE": "3", "CHORUS_SEND_LEASE": "5", "CHORUS_UNKNOWN_GRACE": "5"}
REDIS_TEST_DB = 13  # apart from the app's own, so a killed worker's leftovers never meet another run


def fresh_broker(env: dict) -> dict:
    """Point a shared broker (the CI's Redis or RabbitMQ) at an empty place, so old messages stay out."""
    url = env["CELERY_BROKER_URL"]
    if url.startswith("redis"):
        import redis

        url = urlunsplit(urlsplit(url)._replace(path=f"/{REDIS_TEST_DB}"))
        redis.Redis.from_url(url).flushdb()
    elif url.startswith("amqp"):
        from kombu import Connection

        with Connection(url) as broker:
            broker.SimpleQueue("celery").clear()
    return {**env, "CELERY_BROKER_URL": url}


@pytest.fixture
def start_worker(child_env, tmp_path):
    env = {**fresh_broker(child_env), **FAST_LEASES, "CHORUS_LOG_LEVEL": "INFO"}
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(started)}.log", "w")  # noqa: SIM115 - closed with the process
        worker = subprocess.Popen([CHORUS, "worker", "--beat", "--concurrency", "4"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        kill_group(worker)


def kill_group(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and its embedded beat: no shutdown handlers, messages in hand are lost."""
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    worker.wait(timeout=30)


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_posts_due_now_go_out_once_after_the_worker_is_killed_mid_batch(owner, workspace, start_worker, tmp_path):
    channels = [connect_channel(actor=owner, workspace=workspace, network="sandbox", name=f"Кофейня {n}")
                for n in range(5)]
    for channel in channels:  # a slow network keeps the batch in flight long enough to be interrupted
        set_faults(channel.connector._account(), latency_ms=200, honour_idempotency_key=False)
    for n in range(10):
        create_and_schedule(actor=owner, workspace=workspace, text=f"Акция дня №{n}",
                            channel_ids=[c.pk for c in channels], due_at=timezone.now() - timedelta(seconds=1))

    first = start_worker()
    wait_for(lambda: SandboxPost.objects.count() >= 5, 120, "the first worker has sent some posts")
    kill_group(first)
    out_at_kill = PublishJob.objects.filter(status=Status.PUBLISHED).count()
    assert out_at_kill < 50, "the worker finished the batch before it could be killed"

    start_worker()
    try:
        wait_for(lambda: not PublishJob.objects.filter(status__in=IN_FLIGHT).exists(), 240,
                 "every post is out or waiting for a person")
    except AssertionError:
        logs = "\n".join((tmp_path / f"worker-{n}.log").read_text()[-3000:] for n in range(2))
        raise AssertionError(f"{list(PublishJob.objects.values_list('status', flat=True))}\n{logs}") from None

    for job in PublishJob.objects.all():
        copies = list(SandboxPost.objects.filter(idempotency_key=job.idempotency_key))
        if job.status == Status.PUBLISHED:
            assert [p.remote_id for p in copies] == [job.remote_id], f"{job} must be out exactly once"
        else:
            assert job.status in {Status.NEEDS_REVIEW, Status.FAILED} and job.last_error
            assert len(copies) <= 1, f"{job} was posted {len(copies)} times"
    assert PublishJob.objects.filter(status=Status.PUBLISHED).count() > out_at_kill
