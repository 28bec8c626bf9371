"""PUB-4: when no worker is running, people hear about it: a late post alarm, once, and a silent-worker alarm,
once per silence."""

from collections import Counter
from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from chorus.content.services import create_and_schedule
from chorus.notifications.models import Notification
from chorus.publishing import health
from chorus.workspaces.roles import MATRIX
from chorus.workspaces.services import choose_language


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


def silent_alarms():
    return Counter(Notification.objects.filter(kind=Notification.Kind.WORKERS_SILENT)
                   .values_list("recipient__username", flat=True))


def test_a_worker_gone_silent_is_announced_once_to_everyone_who_can_act(client, team, workspace, other_workspace):
    started = timezone.now()
    health.record_beat("vm:101", started)
    choose_language(team["editor"], "en")
    client.force_login(team["editor"])
    home = reverse("workspace-home", args=["coffee"])
    assert "Publishing is stopped" not in client.get(home).content.decode()
    with time_machine.travel(started + timedelta(minutes=5), tick=False):
        page = client.get(home).content.decode()
        assert "Publishing is stopped" in page
        client.get(reverse("posts", args=["coffee"]))  # a second page does not tell them again
    can_act = {user.username for role, user in team.items() if role in MATRIX["publication.resolve"]}
    tea_owner = other_workspace.memberships.get().user.username
    assert silent_alarms() == dict.fromkeys(can_act | {tea_owner}, 1)
    # Each workspace hears it in its own language: Rival Tea's is English.
    assert "no worker has run since" in Notification.objects.get(recipient__username=tea_owner).message

    # The worker comes back, then dies again: that is a new silence, told once more.
    with time_machine.travel(started + timedelta(minutes=6), tick=False):
        health.record_beat("vm:101")
    with time_machine.travel(started + timedelta(minutes=10), tick=False):
        client.get(home)
        client.get(home)
    assert silent_alarms() == dict.fromkeys(can_act | {tea_owner}, 2)


def test_a_fresh_install_whose_worker_never_beat_shows_the_banner_but_sends_no_alarm(client, team, workspace):
    choose_language(team["owner"], "en")
    client.force_login(team["owner"])
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        assert "Publishing is stopped" in client.get(reverse("workspace-home", args=["coffee"])).content.decode()
    assert not silent_alarms()
