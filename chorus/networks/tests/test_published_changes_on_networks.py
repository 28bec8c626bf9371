"""PUB-5 against network fakes over real HTTP: a published post edited and deleted through the API and the
command line on Mastodon, the network's refusals, and Bluesky, which cannot edit at all."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from chorus.channels.services import connect_channel
from chorus.content.services import create_and_schedule
from chorus.networks.tests.fakes.bluesky import FakeBluesky
from chorus.networks.tests.fakes.mastodon import FakeMastodon
from chorus.publishing import changes, dispatcher, sender
from chorus.publishing.models import PublishAttempt, PublishJob, Status

TEXT = "Новый сорт: Эфиопия ☕ https://example.com/menu"


@pytest.fixture
def mastodon(serve):
    return serve(FakeMastodon())


@pytest.fixture
def toots(mastodon, owner, workspace):
    return connect_channel(actor=owner, workspace=workspace, network="mastodon", name="Coffee on Mastodon",
                           credentials={"access_token": mastodon.token}, config={"instance_url": mastodon.url})


def published(owner, workspace, channel) -> PublishJob:
    _post, [job] = create_and_schedule(actor=owner, workspace=workspace, text=TEXT, channel_ids=[channel.pk],
                                       due_at=timezone.now())
    for job_id in dispatcher.claim_due("worker-a"):
        sender.send(job_id, "worker-a")
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED
    return job


def chorus(*args: str) -> dict:
    out = io.StringIO()
    call_command(*args, "--json", stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def api_as(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_editor_edits_a_toot_over_the_api_and_mastodon_shows_it_after_the_worker(mastodon, toots, owner, editor,
                                                                                 workspace):
    job = published(owner, workspace, toots)
    url = f"/api/v1/workspaces/coffee/publications/{job.pk}"
    answer = api_as(editor).post(f"{url}/edit", {"text": "Новый сорт: Колумбия ☕"}, content_type="application/json")
    assert answer.status_code == 202
    body = answer.json()
    assert (body["status"], body["sent_text"], body["text"]) == ("editing", TEXT, "Новый сорт: Колумбия ☕")
    assert [p["text"] for p in mastodon.remote_posts()] == [TEXT]

    changes.apply(job.pk, "worker-b")
    assert [p["text"] for p in mastodon.remote_posts()] == ["Новый сорт: Колумбия ☕"]
    body = api_as(editor).get(url).json()
    assert (body["status"], body["sent_text"]) == ("published", "Новый сорт: Колумбия ☕")
    assert body["log"][-1] | {"started_at": None, "finished_at": None} == {
        "number": 1, "action": "edit", "requested_by": editor.username, "worker": "worker-b",
        "outcome": "edited", "reason": "", "started_at": None, "finished_at": None}


def test_an_overlong_edit_is_refused_before_anything_reaches_mastodon(mastodon, toots, owner, editor, workspace):
    job = published(owner, workspace, toots)
    answer = api_as(editor).post(f"/api/v1/workspaces/coffee/publications/{job.pk}/edit", {"text": "я" * 501},
                                 content_type="application/json")
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["code"] == "too_long"
    assert not [r for r in mastodon.requests if r.method == "PUT"]


def test_the_command_line_edits_and_deletes_and_waits_for_mastodons_answer(mastodon, toots, owner, workspace):
    job = published(owner, workspace, toots)
    edited = chorus("post", "edit", "--job", str(job.pk), "--text", "Обновлено ☕")
    assert (edited["status"], edited["sent_text"]) == ("published", "Обновлено ☕")
    assert [p["text"] for p in mastodon.remote_posts()] == ["Обновлено ☕"]
    deleted = chorus("post", "delete", "--job", str(job.pk))
    assert deleted["status"] == "deleted" and deleted["deleted_at"]
    assert mastodon.remote_posts() == []


def test_mastodon_rate_limiting_an_edit_fails_the_command_and_keeps_the_toot_as_it_was(mastodon, toots, owner,
                                                                                      workspace):
    job = published(owner, workspace, toots)
    mastodon.fail_next("rate_limit")
    with pytest.raises(CommandError, match="Try again after"):
        chorus("post", "edit", "--job", str(job.pk), "--text", "Не успеем")
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED and job.sent_text == TEXT
    assert [p["text"] for p in mastodon.remote_posts()] == [TEXT]
    assert job.attempts_log.last().outcome == PublishAttempt.Outcome.FAILED


def test_mastodon_rejecting_an_edit_is_shown_with_its_reason(mastodon, toots, owner, workspace):
    job = published(owner, workspace, toots)
    mastodon.fail_next("reject")
    with pytest.raises(CommandError):
        chorus("post", "edit", "--job", str(job.pk), "--text", "Отклонят")
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED and job.last_error and job.sent_text == TEXT


def test_a_toot_deleted_on_mastodon_first_counts_as_deleted(mastodon, toots, owner, workspace):
    job = published(owner, workspace, toots)
    mastodon.statuses.clear()  # deleted in Mastodon's own app
    answer = api_as(owner).delete(f"/api/v1/workspaces/coffee/publications/{job.pk}")
    assert answer.status_code == 202 and answer.json()["status"] == "deleting"
    assert changes.apply(job.pk, "worker-b") == Status.DELETED
    assert job.attempts_log.last().reason == "The post was already gone from the network."


def test_editing_a_toot_gone_from_mastodon_says_so(mastodon, toots, owner, workspace):
    job = published(owner, workspace, toots)
    mastodon.statuses.clear()
    with pytest.raises(CommandError, match="no longer on the network"):
        chorus("post", "edit", "--job", str(job.pk), "--text", "Поздно")


def test_bluesky_cannot_edit_so_the_api_says_delete_and_publish_again_and_deleting_works(serve, owner, workspace):
    bluesky = serve(FakeBluesky())
    channel = connect_channel(actor=owner, workspace=workspace, network="bluesky", name="Coffee on Bluesky",
                              credentials={"app_password": bluesky.app_password},
                              config={"handle": bluesky.account_handle})
    job = published(owner, workspace, channel)
    url = f"/api/v1/workspaces/coffee/publications/{job.pk}"
    refused = api_as(owner).post(f"{url}/edit", {"text": "Новый текст"}, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["detail"] == ["Bluesky does not let a published post be changed. Delete it there and "
                                        "publish the new text as a new post."]
    saved = api_as(owner).post(f"{url}/edit", {"text": "Новый текст", "on_network": False},
                               content_type="application/json")
    assert saved.status_code == 202 and saved.json()["status"] == "published"
    assert bluesky.remote_posts()[0]["text"] == TEXT
    assert api_as(owner).delete(url).status_code == 202
    assert changes.apply(job.pk, "worker-b") == Status.DELETED
    assert bluesky.remote_posts() == []


def test_deleting_a_toot_thread_with_its_first_comment_removes_every_status_chorus_made(mastodon, toots, owner,
                                                                                        workspace):
    _post, [job] = create_and_schedule(actor=owner, workspace=workspace, text=TEXT, channel_ids=[toots.pk],
                                       variant_extras={toots.pk: {"thread": ["Часть 2: помол"],
                                                                  "first_comment": "Меню в профиле"}},
                                       due_at=timezone.now())
    for job_id in dispatcher.claim_due("worker-a"):
        sender.send(job_id, "worker-a")
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED and len(job.parts_out) == 3 and len(mastodon.own_parts()) == 3
    assert api_as(owner).delete(f"/api/v1/workspaces/coffee/publications/{job.pk}").status_code == 202
    assert changes.apply(job.pk, "worker-b") == Status.DELETED
    assert mastodon.own_parts() == []
