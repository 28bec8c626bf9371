"""A client revokes the page's token: the owner hears about it before the next post is due, once."""

from datetime import timedelta

from django.utils import timezone

from chorus.channels import health
from chorus.content.services import create_and_schedule
from chorus.networks import errors
from chorus.networks.sandbox import SandboxConnector
from chorus.notifications.models import Notification


def revoke(channel):
    account = channel.connector._account()
    account.token = "rotated-by-the-client"
    account.save()


def test_a_revoked_token_is_flagged_and_told_once_with_the_posts_waiting(owner, editor, workspace, channel):
    create_and_schedule(actor=editor, workspace=workspace, text="Завтрашний пост", channel_ids=[channel.pk],
                        due_at=timezone.now() + timedelta(days=1))
    revoke(channel)
    now = timezone.now()
    assert health.check_due(now) == 1
    channel.refresh_from_db()
    assert channel.health == channel.Health.BROKEN and "token" in channel.health_message
    [alert] = Notification.objects.filter(recipient=owner, kind=Notification.Kind.CHANNEL_BROKEN)
    assert "1 scheduled posts" in alert.message
    assert not Notification.objects.filter(recipient=editor, kind=Notification.Kind.CHANNEL_BROKEN).exists()
    health.check_due(now + timedelta(hours=2))  # still broken: no second alert
    assert Notification.objects.filter(recipient=owner, kind=Notification.Kind.CHANNEL_BROKEN).count() == 1


def test_a_channel_is_checked_once_an_hour_and_recovers_when_fixed(channel):
    now = timezone.now()
    assert [c.pk for c in health.claim_due(now)] == [channel.pk]
    assert health.claim_due(now + timedelta(minutes=10)) == []
    channel.health = channel.Health.BROKEN
    channel.save()
    health.check_due(now + timedelta(hours=1, minutes=1))
    channel.refresh_from_db()
    assert channel.health == channel.Health.OK


def test_a_network_that_is_merely_down_does_not_mark_the_channel_broken(channel, monkeypatch):
    def busy(self):
        raise errors.Transient("503 Service Unavailable")

    monkeypatch.setattr(SandboxConnector, "check_health", busy)
    assert health.check_due() == 0
    channel.refresh_from_db()
    assert channel.health == channel.Health.OK
