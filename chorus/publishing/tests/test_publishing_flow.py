"""An editor schedules a post; dispatcher, sender and reconciler take it to the sandbox once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from chorus.content.services import create_and_schedule
from chorus.notifications.models import Notification
from chorus.publishing import dispatcher, reconciler, sender, services
from chorus.publishing.models import PublishAttempt, RateBlock, Status
from chorus.sandbox import network as remote
from chorus.sandbox.models import SandboxPost
from chorus.sandbox.network import set_faults
from chorus.workspaces.services import NotAllowed


def schedule_now(editor, workspace, channels, text="Новый сорт эфиопии уже в кофейне ☕"):
    post, jobs = create_and_schedule(actor=editor, workspace=workspace, text=text,
                                     channel_ids=[c.pk for c in channels], due_at=timezone.now())
    return post, jobs


def run_worker_once():
    for job_id in dispatcher.claim_due("test-worker"):
        sender.send(job_id, "test-worker")


def test_editor_post_goes_out_once_to_each_channel(editor, workspace, channel, second_channel):
    post, jobs = schedule_now(editor, workspace, [channel, second_channel])
    run_worker_once()
    run_worker_once()  # a second pass finds nothing to do
    for job in jobs:
        job.refresh_from_db()
        assert job.status == Status.PUBLISHED
        assert job.attempts == 1
        remote = SandboxPost.objects.get(remote_id=job.remote_id)
        assert remote.text == post.text
        assert remote.idempotency_key == job.idempotency_key
    assert SandboxPost.objects.count() == 2


def test_post_due_tomorrow_is_not_claimed_today(editor, workspace, channel):
    create_and_schedule(actor=editor, workspace=workspace, text="Завтра", channel_ids=[channel.pk],
                        due_at=timezone.now() + timedelta(days=1))
    assert dispatcher.claim_due("w") == []


def test_refused_send_is_retried_later_and_logged(editor, workspace, channel):
    set_faults(channel.connector._account(), error_before_send=1)
    _post, [job] = schedule_now(editor, workspace, [channel])
    run_worker_once()
    job.refresh_from_db()
    assert job.status == Status.SCHEDULED
    assert job.not_before > timezone.now() + timedelta(seconds=20)
    assert "503" in job.last_error
    attempt = job.attempts_log.get()
    assert attempt.outcome == PublishAttempt.Outcome.RETRY
    assert SandboxPost.objects.count() == 0


def test_rate_limit_blocks_the_channel_until_retry_time(editor, workspace, channel):
    set_faults(channel.connector._account(), rate_limit=1, rate_limit_seconds=45)
    _post, [job] = schedule_now(editor, workspace, [channel])
    run_worker_once()
    schedule_now(editor, workspace, [channel], text="Второй пост")
    assert dispatcher.claim_due("w") == []  # the second post waits for the window too
    job.refresh_from_db()
    assert job.status == Status.SCHEDULED
    assert job.not_before >= timezone.now() + timedelta(seconds=40)


def test_an_application_rate_limit_holds_every_channel_of_the_network(editor, workspace, channel, second_channel):
    # The sandbox answers 429 for the whole application: every page Chorus posts to through it must wait.
    set_faults(channel.connector._account(), rate_limit=1, rate_limit_seconds=120, rate_limit_scope="app")
    _post, jobs = schedule_now(editor, workspace, [channel, second_channel])
    limited, held = sorted(jobs, key=lambda job: job.channel_id != channel.pk)
    claimed = dispatcher.claim_due("test-worker")
    assert set(claimed) == {limited.pk, held.pk}  # nothing was blocked yet when both were claimed
    assert sender.send(limited.pk, "test-worker") == Status.SCHEDULED
    assert RateBlock.objects.get().key == "app:sandbox"
    # The sender holds the other channel's job it had already claimed, without calling the network.
    assert sender.send(held.pk, "test-worker") == Status.SCHEDULED
    held.refresh_from_db()
    assert held.not_before >= timezone.now() + timedelta(seconds=110)
    assert not held.attempts_log.exists() and held.attempts == 0
    # The dispatcher does not claim anything for that network until the window has passed.
    schedule_now(editor, workspace, [second_channel], text="Пока лимит")
    assert dispatcher.claim_due("test-worker") == []
    assert SandboxPost.objects.count() == 0
    set_faults(channel.connector._account(), rate_limit=0)
    later = timezone.now() + timedelta(seconds=121)
    assert len(dispatcher.claim_due("test-worker", now=later)) == 3


@pytest.mark.django_db(transaction=True)
def test_the_attempt_is_committed_before_the_network_is_called(editor, workspace, channel, monkeypatch):
    seen_from_elsewhere = []
    create_post = remote.create_post

    def network_that_looks_at_our_log(account, **kwargs):
        # Another connection, as another process would see the database: only committed rows are visible.
        def look():
            try:
                seen_from_elsewhere.extend(PublishAttempt.objects.filter(job__idempotency_key=kwargs["idempotency_key"])
                                           .values_list("outcome", "job__status"))
            finally:
                connection.close()

        reader = threading.Thread(target=look)
        reader.start()
        reader.join()
        return create_post(account, **kwargs)

    monkeypatch.setattr(remote, "create_post", network_that_looks_at_our_log)
    _post, [job] = schedule_now(editor, workspace, [channel])
    run_worker_once()
    assert seen_from_elsewhere == [(PublishAttempt.Outcome.IN_FLIGHT, Status.SENDING)]
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED
    assert job.attempts_log.get().outcome == PublishAttempt.Outcome.PUBLISHED


def test_timeout_after_send_is_found_by_reconciler_not_resent(editor, workspace, channel):
    set_faults(channel.connector._account(), timeout_after_send=1)
    _post, [job] = schedule_now(editor, workspace, [channel])
    run_worker_once()
    job.refresh_from_db()
    assert job.status == Status.UNKNOWN
    run_worker_once()
    assert SandboxPost.objects.count() == 1  # never retried blindly
    set_faults(channel.connector._account(), timeout_after_send=0)
    reconciler.reconcile()
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED
    assert job.remote_id == SandboxPost.objects.get().remote_id


def test_unknown_that_is_not_on_the_network_goes_to_a_human(editor, workspace, channel, settings, team):
    settings.CHORUS_UNKNOWN_GRACE = 0
    _post, [job] = schedule_now(editor, workspace, [channel])
    [job_id] = dispatcher.claim_due("w")
    # The worker died after claiming and moving to sending, before the network call.
    from chorus.publishing import states

    states.move(job_id, Status.CLAIMED, Status.SENDING, lease_until=timezone.now() - timedelta(seconds=1))
    result = reconciler.reconcile(timezone.now() + timedelta(seconds=1))
    assert result["crashed"] == 1 and result["needs_review"] == 1
    job.refresh_from_db()
    assert job.status == Status.NEEDS_REVIEW
    assert Notification.objects.filter(recipient=editor, kind=Notification.Kind.PUBLICATION_UNKNOWN).exists()
    assert job in services.needing_attention(editor, workspace)
    services.retry(actor=editor, job=job)
    run_worker_once()
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED
    assert SandboxPost.objects.count() == 1


def test_expired_token_fails_and_flags_the_channel(editor, workspace, channel):
    channel.credentials = {"token": "revoked"}
    channel.save()
    _post, [job] = schedule_now(editor, workspace, [channel])
    run_worker_once()
    job.refresh_from_db()
    channel.refresh_from_db()
    assert job.status == Status.FAILED
    assert channel.health == channel.Health.BROKEN
    assert "token" in job.last_error


def test_client_cannot_mark_a_failed_post_as_posted_but_the_editor_can(editor, team, workspace, channel):
    set_faults(channel.connector._account(), error_before_send=1)
    _post, [job] = schedule_now(editor, workspace, [channel])
    from chorus.publishing import states

    states.move(job.pk, Status.SCHEDULED, Status.CLAIMED)
    states.move(job.pk, Status.CLAIMED, Status.SENDING)
    states.move(job.pk, Status.SENDING, Status.FAILED, last_error="gave up")
    with pytest.raises(NotAllowed):
        services.mark_as_posted(actor=team["client"], job=job)
    services.mark_as_posted(actor=editor, job=job, remote_url="https://vk.com/wall-1_2")
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED
    assert job.attempts_log.last().outcome == PublishAttempt.Outcome.MANUAL
