"""Stories of an editor who follows feeds: items already there are only remembered, new ones become posts."""

import threading
from datetime import time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connections

from chorus.channels.services import set_queue_slots
from chorus.content.models import Post
from chorus.publishing.models import PublishJob, Status
from chorus.sources.services import POLL_EVERY, add_feed, poll_due_feeds, poll_feed, save_rule
from chorus.sources.tasks import poll_feeds

FORMATS = {
    "rss": ("rss_1.xml", "rss_2.xml", "application/rss+xml; charset=utf-8"),
    "atom": ("atom_1.xml", "atom_2.xml", "application/atom+xml"),
    "json": ("json_1.json", "json_2.json", "application/feed+json"),
}
TASTING = "Кофе & чай: дегустация в субботу"


def follow(editor, workspace, feed_server, kind="rss", path="/feed", **route):
    first, _second, content_type = FORMATS[kind]
    url = feed_server.serve_fixture(path, first, content_type=content_type, **route)
    return add_feed(actor=editor, workspace=workspace, url=url)


def publish_next_item(feed_server, kind="rss", path="/feed", **route):
    _first, second, content_type = FORMATS[kind]
    feed_server.serve_fixture(path, second, content_type=content_type, **route)


def later(feed, minutes=16):
    return feed.last_checked_at + timedelta(minutes=minutes)


@pytest.mark.parametrize("kind", FORMATS)
def test_items_already_in_a_new_feed_are_only_marked_seen(editor, workspace, channel, feed_server, allow_private,
                                                           kind):
    feed = follow(editor, workspace, feed_server, kind)
    assert feed.title in {"Кофейня «Зерно» — новости", "Блог обжарщика", "Кофейный дайджест"}
    assert feed.items.count() >= 1 and feed.last_error == ""
    assert not Post.objects.filter(workspace=workspace).exists()


@pytest.mark.parametrize("kind", FORMATS)
def test_a_new_item_becomes_a_draft_on_the_rules_channels(editor, workspace, channel, second_channel, feed_server,
                                                          allow_private, kind):
    feed = follow(editor, workspace, feed_server, kind)
    save_rule(actor=editor, feed=feed, channel_ids=[channel.pk, second_channel.pk], template="{title}\n{link}",
              mode="draft", rubric="Новости")
    publish_next_item(feed_server, kind)

    [item] = poll_feed(feed, later(feed))

    [post] = item.posts.all()
    assert post.text == f"{TASTING}\n{item.link}" and "<" not in post.text
    assert post.author == editor
    assert {v.channel for v in post.variants.all()} == {channel, second_channel}
    assert not PublishJob.objects.filter(variant__post=post).exists()


def test_a_new_item_is_scheduled_right_away_on_the_rules_channel_only(editor, workspace, channel, second_channel,
                                                                      feed_server, allow_private):
    feed = follow(editor, workspace, feed_server)
    save_rule(actor=editor, feed=feed, channel_ids=[second_channel.pk], template="{title}: {summary}",
              mode="schedule_now")
    publish_next_item(feed_server)
    now = later(feed)

    [item] = poll_feed(feed, now)

    [job] = PublishJob.objects.filter(variant__post__in=item.posts.all())
    assert (job.channel, job.status, job.due_at) == (second_channel, Status.SCHEDULED, now)
    assert job.variant.effective_text == f"{TASTING}: Приходите к нам в 12:00."


def test_a_queue_rule_takes_the_next_slot_and_a_channel_without_slots_keeps_a_draft(
        editor, owner, workspace, channel, second_channel, feed_server, allow_private):
    set_queue_slots(actor=owner, channel=channel, slots=[(day, time(10, 0)) for day in range(7)])
    feed = follow(editor, workspace, feed_server)
    save_rule(actor=editor, feed=feed, channel_ids=[channel.pk], template="{title}", mode="queue")
    save_rule(actor=editor, feed=feed, channel_ids=[second_channel.pk], template="{link}", mode="queue")
    publish_next_item(feed_server)

    [item] = poll_feed(feed, later(feed))

    queued, kept = item.posts.order_by("pk")
    assert queued.variants.get().job.status == Status.SCHEDULED
    assert not PublishJob.objects.filter(variant__post=kept).exists()
    assert "Kept as a draft" in item.problem and "queue slots" in item.problem


def test_an_unchanged_feed_answers_304_and_nothing_is_created(editor, workspace, channel, feed_server,
                                                              allow_private):
    feed = follow(editor, workspace, feed_server, etag='"zerno-v1"')
    save_rule(actor=editor, feed=feed, channel_ids=[channel.pk], template="{title}", mode="draft")

    assert poll_feed(feed, later(feed)) == []

    assert feed_server.requests[-1]["If-None-Match"] == '"zerno-v1"'
    assert feed.items.count() == 2 and not Post.objects.exists()


def test_polling_the_same_items_again_creates_no_second_post(editor, workspace, channel, feed_server, allow_private):
    feed = follow(editor, workspace, feed_server)
    save_rule(actor=editor, feed=feed, channel_ids=[channel.pk], template="{title}", mode="draft")
    publish_next_item(feed_server)
    assert len(poll_feed(feed, later(feed))) == 1
    assert poll_feed(feed, later(feed, 32)) == []
    assert Post.objects.count() == 1


@pytest.mark.parametrize("target", ["http://127.0.0.1:{port}/feed", "http://169.254.169.254/latest/meta-data/",
                                    "http://localhost:{port}/feed"])
def test_a_feed_on_an_internal_address_is_refused(editor, workspace, feed_server, settings, target):
    settings.CHORUS_OUTBOUND_ALLOW_PRIVATE = False
    feed_server.serve_fixture("/feed", "rss_1.xml")
    with pytest.raises(ValidationError, match="internal address"):
        add_feed(actor=editor, workspace=workspace, url=target.format(port=feed_server.port))
    assert feed_server.hits["/feed"] == 0


def test_a_feed_redirecting_to_an_internal_address_is_refused(editor, workspace, feed_server, settings):
    settings.CHORUS_OUTBOUND_ALLOW_PRIVATE = False
    settings.CHORUS_OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the feed host itself is allowed
    url = feed_server.redirect("/feed", "http://169.254.169.254/latest/meta-data/iam/")
    with pytest.raises(ValidationError, match="internal address"):
        add_feed(actor=editor, workspace=workspace, url=url)


def test_an_oversized_feed_is_refused(editor, workspace, feed_server, allow_private):
    body = b"<rss version='2.0'><channel>" + b"<item><title>x</title></item>" * 200_000 + b"</channel></rss>"
    url = feed_server.serve("/huge", body, declare_length=False)
    with pytest.raises(ValidationError, match="larger than 5"):
        add_feed(actor=editor, workspace=workspace, url=url)


def test_a_broken_feed_records_its_error_and_the_others_are_still_polled(editor, workspace, channel, feed_server,
                                                                         allow_private):
    broken = follow(editor, workspace, feed_server, path="/broken")
    healthy = follow(editor, workspace, feed_server, "atom", path="/healthy")
    for feed in (broken, healthy):
        save_rule(actor=editor, feed=feed, channel_ids=[channel.pk], template="{title}", mode="draft")
    feed_server.serve_fixture("/broken", "not_a_feed.html", content_type="text/html")
    publish_next_item(feed_server, "atom", path="/healthy")

    assert poll_due_feeds(later(healthy)) == 2

    broken.refresh_from_db()
    assert "not an RSS, Atom or JSON feed" in broken.last_error
    assert [p.text for p in Post.objects.all()] == [TASTING]


def test_a_feed_the_server_has_lost_shows_the_status(editor, workspace, feed_server, allow_private):
    feed = follow(editor, workspace, feed_server)
    feed_server.serve("/feed", "gone", status=404, content_type="text/plain")
    assert poll_feed(feed, later(feed)) == []
    feed.refresh_from_db()
    assert feed.last_error == "The server answered 404 instead of the feed."


@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_never_take_the_same_feed(editor, workspace, channel, feed_server, allow_private):
    feeds = [follow(editor, workspace, feed_server, path=f"/feed-{n}") for n in range(8)]
    due = max(f.last_checked_at for f in feeds) + POLL_EVERY
    start, taken = threading.Barrier(2), {}

    def poller(name):
        try:
            start.wait()
            taken[name] = poll_due_feeds(due)
        finally:
            connections.close_all()  # each thread opened its own connection

    threads = [threading.Thread(target=poller, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(taken.values()) == len(feeds)
    assert {path: feed_server.hits[path] for path in feed_server.routes} == {f"/feed-{n}": 2 for n in range(8)}


def test_a_rule_with_an_unknown_placeholder_is_refused(editor, workspace, channel, feed_server, allow_private):
    feed = follow(editor, workspace, feed_server)
    with pytest.raises(ValidationError, match=r"\{author\}"):
        save_rule(actor=editor, feed=feed, channel_ids=[channel.pk], template="{title} by {author}", mode="draft")


def test_the_beat_task_polls_a_feed_once_it_is_due(editor, workspace, channel, feed_server, allow_private):
    feed = follow(editor, workspace, feed_server)
    save_rule(actor=editor, feed=feed, channel_ids=[channel.pk], template="{title}", mode="draft")
    publish_next_item(feed_server)
    assert poll_feeds() == 0  # checked a moment ago, when it was added
    with time_machine.travel(later(feed, 15), tick=False):
        assert poll_feeds() == 1
    assert [p.text for p in Post.objects.all()] == [TASTING]
