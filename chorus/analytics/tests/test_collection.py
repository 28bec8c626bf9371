"""Every half hour Chorus asks each network for its posts' counters and keeps what it said, with the time."""

from datetime import timedelta

from django.utils import timezone

from chorus.analytics.collection import claim_due_channels, collect_due
from chorus.analytics.models import AccountSnapshot, CollectionTurn, PostSnapshot
from chorus.content.services import create_and_schedule
from chorus.publishing import dispatcher, sender
from chorus.sandbox.models import SandboxPost


def publish_two_posts(editor, workspace, channel):
    for text in ("Капучино дня", "Новая обжарка"):
        create_and_schedule(actor=editor, workspace=workspace, text=text, channel_ids=[channel.pk],
                            due_at=timezone.now())
    for job_id in dispatcher.claim_due("w"):
        sender.send(job_id, "w")


def test_counters_are_kept_as_reported_and_missing_ones_stay_missing(editor, workspace, channel):
    publish_two_posts(editor, workspace, channel)
    SandboxPost.objects.update(views=120, likes=7)
    now = timezone.now()
    assert collect_due(now) == 2
    snapshots = PostSnapshot.objects.filter(channel=channel)
    assert {(s.views, s.likes, s.reach, s.saves) for s in snapshots} == {(120, 7, None, None)}
    assert all(s.post.job and s.collected_at == now for s in snapshots)
    assert AccountSnapshot.objects.get(channel=channel).followers > 0


def test_a_channel_is_collected_once_per_turn_and_counters_that_drop_are_kept(editor, workspace, channel):
    publish_two_posts(editor, workspace, channel)
    SandboxPost.objects.update(likes=7)
    now = timezone.now()
    collect_due(now)
    assert collect_due(now + timedelta(minutes=1)) == 0  # not due again yet
    SandboxPost.objects.update(likes=5)  # two people took their like back
    collect_due(now + timedelta(minutes=31))
    history = list(PostSnapshot.objects.filter(post__remote_id=SandboxPost.objects.first().remote_id)
                   .order_by("collected_at").values_list("likes", flat=True))
    assert history == [7, 5]


def test_two_workers_never_take_the_same_turn(channel):
    now = timezone.now()
    first, second = claim_due_channels(now), claim_due_channels(now)
    assert [c.pk for c in first] == [channel.pk] and second == []


def test_a_refused_token_is_noted_on_the_turn_and_the_next_turn_tries_again(editor, workspace, channel):
    publish_two_posts(editor, workspace, channel)
    channel.credentials = {"token": "revoked"}
    channel.save()
    now = timezone.now()
    assert collect_due(now) == 0
    turn = CollectionTurn.objects.get(channel=channel)
    assert "token" in turn.last_error and turn.due_at > now
