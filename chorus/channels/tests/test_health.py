"""A client revokes the page's token: the owner hears about it before the next post is due, once."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from chorus.channels import health
from chorus.channels.services import connect_channel
from chorus.content.services import create_and_schedule
from chorus.networks import errors
from chorus.networks.sandbox import SandboxConnector
from chorus.networks.tests.conftest import serve  # noqa: F401 (the fixture that runs a fake network)
from chorus.networks.tests.fakes.x import FakeX
from chorus.notifications.models import Notification
from chorus.workspaces.services import choose_language


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


def connect_x(api, owner, workspace):
    return connect_channel(actor=owner, workspace=workspace, network="x", name="Coffee on X",
                           credentials={"access_token": api.access_token, "refresh_token": api.refresh_token},
                           config={"client_id": api.client_id})


def test_a_channel_whose_access_ends_within_a_week_shows_the_date_and_its_owners_hear_once(
        serve, owner, editor, workspace, client):  # noqa: F811
    api = serve(FakeX())
    api.refresh_days = 5  # X's token answer says the new refresh token ends in five days
    channel = connect_x(api, owner, workspace)
    create_and_schedule(actor=editor, workspace=workspace, text="Пост через неделю", channel_ids=[channel.pk],
                        due_at=timezone.now() + timedelta(days=8))
    api.expire_access_tokens()  # the check's first call renews the access token
    now = timezone.now()
    assert health.check_due(now) == 0
    channel.refresh_from_db()
    ends = datetime.fromtimestamp(channel.credentials["access_ends_at"], UTC)
    day = date_format(ends.astimezone(ZoneInfo("Europe/Moscow")), "DATE_FORMAT")
    assert channel.health == channel.Health.OK
    assert channel.health_message == f"Access expires on {day}: connect the channel again before then."
    [alert] = Notification.objects.filter(recipient=owner, kind=Notification.Kind.CHANNEL_BROKEN)
    assert alert.message.startswith(f"Coffee on X: Access expires on {day}") and "1 scheduled posts" in alert.message
    assert not Notification.objects.filter(recipient=editor).exists()
    choose_language(owner, "en")
    client.force_login(owner)
    page = client.get(reverse("channels", args=[workspace.slug])).content.decode()
    assert f"Access expires on {day}: connect the channel again before then." in page
    health.check_due(now + timedelta(hours=2))  # the same end: told already
    assert Notification.objects.filter(recipient=owner, kind=Notification.Kind.CHANNEL_BROKEN).count() == 1


def test_an_access_that_ends_in_a_month_is_not_an_alarm_yet(serve, owner, workspace):  # noqa: F811
    api = serve(FakeX())
    api.refresh_days = 30
    channel = connect_x(api, owner, workspace)
    api.expire_access_tokens()
    health.check_due(timezone.now())
    channel.refresh_from_db()
    assert channel.credentials["access_ends_at"] and channel.health_message == ""
    assert not Notification.objects.exists()
