"""PUB-4: when no worker is running, people hear about it: a late post alarm, once, and a silent-worker flag."""

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from chorus.content.services import create_and_schedule
from chorus.notifications.models import Notification
from chorus.publishing import health
from chorus.workspaces.roles import MATRIX


def test_post_five_minutes_late_alerts_each_person_who_can_act_once(editor, team, workspace, channel):
    create_and_schedule(actor=editor, workspace=workspace, text="Кофе дня: колумбия", channel_ids=[channel.pk],
                        due_at=timezone.now() - timedelta(minutes=5))
    assert health.alert_late_posts() == 1
    assert health.alert_late_posts() == 0  # the next health check remembers it has already told them

    told = Counter(Notification.objects.filter(kind=Notification.Kind.POST_LATE).values_list("recipient__username",
                                                                                             flat=True))
    can_act = {user.username for role, user in team.items() if role in MATRIX["publication.resolve"]}
    assert told == dict.fromkeys(can_act, 1)
    assert "5 min late" in Notification.objects.filter(recipient=editor).get().message


def test_post_due_a_minute_ago_is_not_late_yet(editor, team, workspace, channel):
    create_and_schedule(actor=editor, workspace=workspace, text="Только что", channel_ids=[channel.pk],
                        due_at=timezone.now() - timedelta(minutes=1))
    assert health.alert_late_posts() == 0
    assert not Notification.objects.exists()


def test_workers_are_silent_after_ninety_seconds_without_a_beat(db):
    now = timezone.now()
    assert health.workers_silent(now)  # no worker has ever run
    health.record_beat("vm:101", now - timedelta(seconds=95))
    assert health.workers_silent(now)
    health.record_beat("vm:101", now - timedelta(seconds=1))
    assert not health.workers_silent(now)
    assert not health.workers_silent(now + timedelta(seconds=85))
    assert health.workers_silent(now + timedelta(seconds=95))
