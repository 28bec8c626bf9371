"""An editor schedules a Mastodon post with a poll, a two-part thread and a first comment; the outbox sends it and
the instance ends up with each of them exactly once, the replies in order."""

from django.utils import timezone

from chorus.channels.services import connect_channel
from chorus.content.services import create_and_schedule
from chorus.networks.tests.fakes.mastodon import FakeMastodon
from chorus.publishing import dispatcher, sender
from chorus.publishing.models import PublishJob, Status


def test_a_scheduled_thread_with_a_poll_and_a_first_comment_goes_out_once(serve, owner, editor, workspace):
    api = serve(FakeMastodon())
    channel = connect_channel(actor=owner, workspace=workspace, network="mastodon", name="Coffee on Mastodon",
                              credentials={"access_token": api.token}, config={"instance_url": api.url})
    extras = {"poll": {"question": "Какой сорт взять?", "options": ["Эфиопия", "Колумбия", "Кения"],
                       "multiple": False, "closes_in_seconds": 3600},
              "thread": ["Часть 2: про обжарку", "Часть 3: про помол"],
              "first_comment": "Меню: https://example.com/menu"}
    create_and_schedule(actor=editor, workspace=workspace, text="Голосуем за сорт недели!", channel_ids=[channel.pk],
                        variant_extras={channel.pk: extras}, due_at=timezone.now())

    for job_id in dispatcher.claim_due("worker-1"):
        sender.send(job_id, "worker-1")
    assert dispatcher.claim_due("worker-1") == []  # nothing left to send twice

    job = PublishJob.objects.get()
    assert job.status == Status.PUBLISHED
    [root] = api.remote_posts()
    assert root["remote_id"] == job.remote_id
    status = api.statuses[job.remote_id]
    assert [o["title"] for o in status["poll"]["options"]] == ["Эфиопия", "Колумбия", "Кения"]
    assert status["poll"]["multiple"] is False and status["poll"]["expires_in"] == 3600
    [second] = api.replies_to(status["id"])
    [third] = api.replies_to(second["id"])
    [comment] = api.replies_to(third["id"])
    assert api.replies_to(comment["id"]) == []
    assert (second["text"], third["text"], comment["text"]) == ("Часть 2: про обжарку", "Часть 3: про помол",
                                                                "Меню: https://example.com/menu")
    own = [s for s in api.statuses.values() if s["account_id"] == api.me]
    assert len(own) == 4  # the post, two parts, the first comment: each once
