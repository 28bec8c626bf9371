"""The post page and the attention list: what happened to each publication, and what a person can do about it."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from chorus.channels.services import connect_channel
from chorus.content.services import create_and_schedule
from chorus.publishing import dispatcher, sender
from chorus.publishing.models import PublishJob, Status
from chorus.sandbox.models import SandboxPost
from chorus.sandbox.network import set_faults
from chorus.web.views import sandbox_account


def send_now(editor, workspace, channel, text="Новый сорт эфиопии"):
    post, [job] = create_and_schedule(actor=editor, workspace=workspace, text=text, channel_ids=[channel.pk],
                                      due_at=timezone.now())
    for job_id in dispatcher.claim_due("test-worker"):
        sender.send(job_id, "test-worker")
    job.refresh_from_db()
    return post, job


@pytest.fixture
def failed(settings, editor, workspace, channel):
    settings.CHORUS_MAX_ATTEMPTS = 1
    set_faults(sandbox_account(channel), error_before_send=1)
    post, job = send_now(editor, workspace, channel)
    assert job.status == Status.FAILED
    return post, job


def test_post_page_shows_the_publication_log_with_the_error(signed_in, editor, failed):
    post, job = failed
    page = signed_in(editor).get(reverse("post-detail", args=["coffee", post.pk])).content.decode()
    assert "Failed" in page and "503" in page
    assert "test-worker" in page
    assert reverse("publication-retry", args=["coffee", job.pk]) in page


def test_editor_retries_a_failed_publication_from_the_post_page(signed_in, editor, channel, failed):
    post, job = failed
    set_faults(sandbox_account(channel), error_before_send=0)
    response = signed_in(editor).post(reverse("publication-retry", args=["coffee", job.pk]))
    job.refresh_from_db()
    assert response.status_code == 302
    assert job.status == Status.SCHEDULED
    assert job.attempts_log.last().reason.startswith("Retry requested by")


def test_editor_marks_a_failed_publication_as_posted_with_its_link(signed_in, editor, failed):
    post, job = failed
    client = signed_in(editor)
    client.post(reverse("publication-mark-posted", args=["coffee", job.pk]),
                {"remote_url": "https://vk.example/wall-1_2"})
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED and job.remote_url == "https://vk.example/wall-1_2"
    assert client.get(reverse("attention", args=["coffee"])).content.decode().count("Mark as posted") == 0


def test_editor_edits_and_reschedules_a_failed_post_from_its_page_and_it_goes_out_once(signed_in, editor, channel,
                                                                                       failed):
    post, job = failed
    client = signed_in(editor)
    page = client.get(reverse("post-detail", args=["coffee", post.pk])).content.decode()
    edit = reverse("post-edit", args=["coffee", post.pk])
    assert "Edit and reschedule" in page and edit in page
    assert "Новый сорт эфиопии" in client.get(edit).content.decode()

    response = client.post(edit, {"text": "Новый сорт эфиопии — теперь и в зерне", "channels": [channel.pk],
                                  "when": "2030-10-01T10:00", "intent": "schedule"})
    assert response.status_code == 302 and response.url == reverse("post-detail", args=["coffee", post.pk])
    job.refresh_from_db()
    assert (job.status, job.last_error) == (Status.SCHEDULED, "")
    assert job.due_at == datetime(2030, 10, 1, 7, 0, tzinfo=UTC)
    assert PublishJob.objects.filter(variant__post=post).count() == 1  # the same job, moved, not a second one
    assert job.attempts_log.get().outcome == "failed"  # the failure stays in the log

    set_faults(sandbox_account(channel), error_before_send=0)
    with time_machine.travel(datetime(2030, 10, 1, 7, 1, tzinfo=UTC)):
        for job_id in dispatcher.claim_due("test-worker"):
            sender.send(job_id, "test-worker")
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED
    assert SandboxPost.objects.get().text == "Новый сорт эфиопии — теперь и в зерне"


def test_the_failed_publication_is_listed_as_needing_attention(signed_in, editor, failed):
    post, job = failed
    page = signed_in(editor).get(reverse("attention", args=["coffee"])).content.decode()
    assert reverse("post-detail", args=["coffee", post.pk]) in page
    assert reverse("publication-mark-posted", args=["coffee", job.pk]) in page


def test_analyst_sees_the_post_but_cannot_retry(signed_in, team, failed):
    post, job = failed
    client = signed_in(team["analyst"])
    assert "Retry" not in client.get(reverse("post-detail", args=["coffee", post.pk])).content.decode()
    assert client.post(reverse("publication-retry", args=["coffee", job.pk])).status_code == 403


def test_editor_unschedules_a_waiting_post(signed_in, editor, workspace, channel):
    post, [job] = create_and_schedule(actor=editor, workspace=workspace, text="Позже", channel_ids=[channel.pk],
                                      due_at=timezone.now() + timezone.timedelta(days=2))
    client = signed_in(editor)
    client.post(reverse("post-unschedule", args=["coffee", post.pk]))
    assert not PublishJob.objects.filter(variant__post=post).exists()


def test_contractor_gets_403_on_posts(signed_in, team):
    assert signed_in(team["contractor"]).get(reverse("posts", args=["coffee"])).status_code == 403


def test_member_of_another_workspace_guessing_a_post_id_gets_404(signed_in, editor, workspace, channel,
                                                                 other_workspace):
    post, _job = send_now(editor, workspace, channel)
    stranger = signed_in(other_workspace.memberships.get().user)
    assert stranger.get(reverse("post-detail", args=["coffee", post.pk])).status_code == 404
    assert stranger.get(reverse("post-detail", args=["tea", post.pk])).status_code == 404


def test_html_in_post_text_and_channel_name_is_shown_as_text(signed_in, owner, editor, workspace):
    evil = connect_channel(actor=owner, workspace=workspace, network="sandbox", name="<script>alert('ch')</script>")
    post, _job = send_now(editor, workspace, evil, text="<script>alert('post')</script> <b>bold</b>")
    client = signed_in(editor)
    for url in (reverse("post-detail", args=["coffee", post.pk]), reverse("posts", args=["coffee"]),
                reverse("workspace-home", args=["coffee"]), reverse("channels", args=["coffee"])):
        page = client.get(url).content.decode()
        assert "<script>alert" not in page, url
        assert "&lt;script&gt;alert(" in page, url


def test_posts_list_filters_by_status(signed_in, editor, workspace, channel):
    send_now(editor, workspace, channel, text="Уже вышел")
    create_and_schedule(actor=editor, workspace=workspace, text="Ещё ждёт", channel_ids=[channel.pk],
                        due_at=timezone.now() + timezone.timedelta(days=2))
    page = signed_in(editor).get(reverse("posts", args=["coffee"]), {"status": "scheduled"}).content.decode()
    assert "Ещё ждёт" in page and "Уже вышел" not in page
