"""Several dispatchers at once (threads of one worker, or separate worker processes) never claim a job twice.

Runs on the file SQLite test database (compare-and-swap under IMMEDIATE transactions) and, when DATABASE_URL
points there, on PostgreSQL (SELECT … FOR UPDATE SKIP LOCKED, then the same compare-and-swap).
"""

import json
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from chorus.channels.services import connect_channel
from chorus.content.services import create_and_schedule
from chorus.publishing import dispatcher
from chorus.publishing.models import PublishJob, Status
from chorus.publishing.tests.conftest import CHORUS

CLAIM_UNTIL_EMPTY = """
import json, os, time
from chorus.publishing.tests.test_concurrent_claims import claim_until_empty
time.sleep(max(0, float(os.environ["CLAIM_AT"]) - time.time()))
print(json.dumps(claim_until_empty(os.environ["CLAIM_AS"])))
"""


@pytest.fixture
def two_hundred_due_posts(owner, workspace):
    """Olga's morning: 20 posts across 10 channels, all due a minute ago."""
    channels = [connect_channel(actor=owner, workspace=workspace, network="sandbox", name=f"Channel {n}")
                for n in range(10)]
    due = timezone.now() - timedelta(minutes=1)
    for n in range(20):
        create_and_schedule(actor=owner, workspace=workspace, text=f"Утренний пост {n}",
                            channel_ids=[c.pk for c in channels], due_at=due)
    ids = set(PublishJob.objects.values_list("pk", flat=True))
    assert len(ids) == 200
    return ids


def claim_until_empty(worker: str) -> list[int]:
    claimed = []
    while PublishJob.objects.filter(status=Status.SCHEDULED).exists():
        claimed += dispatcher.claim_due(worker, limit=5)
    return claimed


def assert_claimed_once_each(claims: list[int], due: set[int]) -> None:
    twice = [job for job, n in Counter(claims).items() if n > 1]
    assert twice == []
    assert set(claims) == due
    assert PublishJob.objects.filter(status=Status.CLAIMED).count() == len(due)


@pytest.mark.django_db(transaction=True)
def test_four_dispatcher_threads_claim_each_due_post_once(two_hundred_due_posts):
    start = threading.Barrier(4)
    claims: dict[str, list[int]] = {}

    def dispatcher_thread(name: str) -> None:
        try:
            start.wait()
            claims[name] = claim_until_empty(name)
        finally:
            connections.close_all()  # each thread opened its own connection

    threads = [threading.Thread(target=dispatcher_thread, args=(f"thread-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert set(claims) == {f"thread-{n}" for n in range(4)}, "a dispatcher thread crashed"
    assert_claimed_once_each([job for ids in claims.values() for job in ids], two_hundred_due_posts)


@pytest.mark.django_db(transaction=True)
def test_three_worker_processes_claim_each_due_post_once(two_hundred_due_posts, child_env):
    # Every process boots Django first, then all start claiming at the same moment.
    claim_at = str(time.time() + 5)
    workers = [subprocess.Popen([CHORUS, "shell", "-c", CLAIM_UNTIL_EMPTY], text=True,
                                env={**child_env, "CLAIM_AT": claim_at, "CLAIM_AS": f"process-{n}"},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for n in range(3)]
    claims = []
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err
        claims += json.loads(out.strip().splitlines()[-1])
    assert_claimed_once_each(claims, two_hundred_due_posts)
    assert {j.claimed_by for j in PublishJob.objects.all()} <= {f"process-{n}" for n in range(3)}
