"""Posts of several parts that go out only in part: the first part is live, the job says so and stays incomplete
until every part is out once, or Olga decides. Real HTTP to the X and Bluesky fakes, the real outbox."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from chorus.channels.services import connect_channel
from chorus.content.services import (
    create_and_schedule,
    delete_post,
    schedule_variant,
    unschedule_post,
    write_post,
)
from chorus.networks.tests.conftest import serve  # noqa: F401 (the fixture that runs a fake network)
from chorus.networks.tests.fakes.bluesky import FakeBluesky
from chorus.networks.tests.fakes.x import FakeX
from chorus.notifications.models import Notification
from chorus.publishing import dispatcher, reconciler, sender, services
from chorus.publishing.models import PublishAttempt, PublishJob, Status
from chorus.workspaces.services import choose_language

THREAD = ["Часть 2 про помол", "Часть 3 про воду"]


@pytest.fixture
def x(serve):  # noqa: F811
    return serve(FakeX())


@pytest.fixture
def x_channel(x, owner, workspace):
    return connect_channel(actor=owner, workspace=workspace, network="x", name="Coffee on X",
                           credentials={"access_token": x.access_token, "refresh_token": x.refresh_token},
                           config={"client_id": x.client_id})


@pytest.fixture
def bluesky(serve):  # noqa: F811
    return serve(FakeBluesky())


@pytest.fixture
def bluesky_channel(bluesky, owner, workspace):
    return connect_channel(actor=owner, workspace=workspace, network="bluesky", name="Coffee on Bluesky",
                           credentials={"app_password": bluesky.app_password},
                           config={"handle": bluesky.account_handle})


def schedule_thread(editor, workspace, channel) -> PublishJob:
    _post, [job] = create_and_schedule(actor=editor, workspace=workspace, text="Часть 1 про обжарку",
                                       channel_ids=[channel.pk], variant_extras={channel.pk: {"thread": THREAD}},
                                       due_at=timezone.now())
    return job


def send_due() -> None:
    for job_id in dispatcher.claim_due("worker"):
        sender.send(job_id, "worker")


def own_texts(api) -> list[str]:
    return sorted(part["text"] for part in api.own_parts())


def test_olga_sees_why_an_x_thread_stopped_on_the_post_page_and_in_needs_attention(x, x_channel, owner, editor,
                                                                                   workspace, client):
    job = schedule_thread(editor, workspace, x_channel)
    x.fail_next("pass", "hang_up")
    send_due()
    reconciler.reconcile(timezone.now() + timedelta(hours=1))
    job.refresh_from_db()
    assert job.status == Status.NEEDS_REVIEW and job.remote_id == job.parts_out[0]
    assert job.published_at is not None and job.sent_text == "Часть 1 про обжарку"
    reason = job.last_error
    assert reason.startswith("part 2 of 3 did not go out: the network did not answer")
    assert "look at the post there first" in reason and "Retry sends what is missing, from part 2 on" in reason
    assert job.attempts_log.get().outcome == PublishAttempt.Outcome.PARTIAL
    assert Notification.objects.filter(kind=Notification.Kind.PUBLICATION_UNKNOWN, message__contains="part 2 of 3")

    choose_language(owner, "en")
    client.force_login(owner)
    post_page = client.get(reverse("post-detail", args=[workspace.slug, job.variant.post_id])).content.decode()
    attention = client.get(reverse("attention", args=[workspace.slug])).content.decode()
    assert "part 2 of 3 did not go out" in post_page and "Retry" in post_page and job.remote_url in post_page
    assert "part 2 of 3 did not go out" in attention
    assert own_texts(x) == ["Часть 1 про обжарку", "Часть 2 про помол"]  # nothing went out twice


def test_a_partly_published_post_cannot_be_rewritten_moved_unscheduled_or_deleted(x, x_channel, owner, editor,
                                                                                 workspace):
    job = schedule_thread(editor, workspace, x_channel)
    x.fail_next("pass", "refuse")
    send_due()
    job.refresh_from_db()
    post = job.variant.post
    with pytest.raises(ValidationError):
        write_post(actor=editor, workspace=workspace, text="Новый текст", channel_ids=[x_channel.pk], post=post)
    with pytest.raises(ValidationError, match="already on the network"):
        schedule_variant(actor=editor, variant=job.variant, due_at=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError):
        delete_post(actor=owner, post=post)
    assert unschedule_post(actor=editor, post=post) == 0
    job.refresh_from_db()
    assert job.status == Status.NEEDS_REVIEW and job.variant.post.text == "Часть 1 про обжарку"


def test_marking_a_partly_published_post_as_posted_keeps_the_link_of_its_first_part(x, x_channel, owner, editor,
                                                                                    workspace):
    job = schedule_thread(editor, workspace, x_channel)
    x.fail_next("pass", "rate_limit")
    send_due()
    job.refresh_from_db()
    first_url, first_at = job.remote_url, job.published_at
    assert job.status == Status.NEEDS_REVIEW and "too many requests" in job.last_error
    job = services.mark_as_posted(actor=owner, job=job)
    assert (job.status, job.remote_url, job.published_at, job.last_error) == (Status.PUBLISHED, first_url,
                                                                              first_at, "")


def test_a_bluesky_thread_with_a_lost_second_part_goes_on_by_itself_and_ends_whole(bluesky, bluesky_channel,
                                                                                 owner, editor, workspace):
    job = schedule_thread(editor, workspace, bluesky_channel)
    bluesky.fail_next("pass", "hang_up")
    send_due()
    job.refresh_from_db()
    # Live but not whole: the first part is recorded, the job is back on the outbox and Olga can see why.
    assert job.status == Status.SCHEDULED and job.remote_id == job.parts_out[0] and job.remote_url
    assert job.last_error.startswith("part 2 of 3 did not go out")
    assert "The rest goes out by itself at" in job.last_error
    assert job in services.needing_attention(owner, workspace)
    assert unschedule_post(actor=editor, post=job.variant.post) == 0  # its live part is not forgotten
    first_url = job.remote_url

    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=True):  # past the backoff
        send_due()
    job.refresh_from_db()
    assert (job.status, job.remote_url, job.last_error) == (Status.PUBLISHED, first_url, "")
    assert len(job.parts_out) == 3 and job not in services.needing_attention(owner, workspace)
    assert own_texts(bluesky) == ["Часть 1 про обжарку", "Часть 2 про помол", "Часть 3 про воду"]


def test_a_worker_dying_while_a_thread_goes_on_is_finished_under_the_keys_or_handed_to_olga(
        bluesky, bluesky_channel, x, x_channel, owner, editor, workspace, settings):
    jobs = {}
    for api, channel in ((bluesky, bluesky_channel), (x, x_channel)):
        jobs[channel.network] = schedule_thread(editor, workspace, channel)
        api.fail_next("pass", "rate_limit")
    send_due()
    assert {PublishJob.objects.get(pk=j.pk).status for j in jobs.values()} == {Status.SCHEDULED, Status.NEEDS_REVIEW}
    services.retry(actor=owner, job=jobs["x"])
    later = timezone.now() + timedelta(minutes=16)  # past X's fifteen-minute window
    with time_machine.travel(later, tick=True):
        # Both go on from their first part; the worker is killed before either call returns.
        ids = dispatcher.claim_due("doomed")
        assert sorted(ids) == sorted(j.pk for j in jobs.values())
        for job_id in ids:
            PublishJob.objects.filter(pk=job_id).update(status=Status.SENDING, lease_until=later)
    with time_machine.travel(later + timedelta(seconds=settings.CHORUS_SEND_LEASE + 1), tick=True):
        reconciler.reconcile()
        send_due()
    bluesky_job, x_job = (PublishJob.objects.get(pk=jobs[n].pk) for n in ("bluesky", "x"))
    assert bluesky_job.status == Status.PUBLISHED and len(bluesky_job.parts_out) == 3
    assert own_texts(bluesky) == ["Часть 1 про обжарку", "Часть 2 про помол", "Часть 3 про воду"]
    assert x_job.status == Status.NEEDS_REVIEW and x_job.remote_id == x_job.parts_out[0]
    assert x_job.last_error.startswith("Parts on the network: 1 of 3; the send of the rest was interrupted.")
    assert own_texts(x) == ["Часть 1 про обжарку"]
