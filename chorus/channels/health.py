"""Connection health: each channel is checked against its network before it can break a scheduled post."""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from chorus.channels.models import Channel
from chorus.networks import errors
from chorus.notifications.models import Notification
from chorus.notifications.services import notify
from chorus.publishing.models import PublishJob, Status

log = logging.getLogger(__name__)
EVERY = timedelta(hours=1)
EXPIRY_WARNING = timedelta(days=7)  # how long before its access ends a channel is flagged and its owners told


def claim_due(now: datetime, limit: int = 50) -> list[Channel]:
    due = Channel.objects.filter(Q(health_checked_at=None) | Q(health_checked_at__lte=now - EVERY))
    claimed = []
    for channel in due.select_related("workspace")[:limit]:
        # Two workers may pick the same channel; only the one whose UPDATE matches checks it.
        if Channel.objects.filter(pk=channel.pk, health_checked_at=channel.health_checked_at).update(
                health_checked_at=now):
            claimed.append(channel)
    return claimed


def check(channel: Channel, now: datetime) -> str:
    """Ask the network; returns the channel's health. A network that is merely busy or down proves nothing."""
    connector = channel.connector
    try:
        health = connector.check_health()
    except (errors.Transient, errors.RateLimited, errors.AmbiguousOutcome) as exc:
        log.info("health of channel %s unknown for now: %s", channel.pk, exc.reason)
        return channel.health
    except errors.NetworkError as exc:
        ok, message = False, exc.reason
    else:
        ok, message = health.ok, health.message
    if ok:
        ends = connector.access_ends_at()
        if ends and ends - now <= EXPIRY_WARNING:
            message = " ".join(filter(None, [_ends_message(channel, ends), message]))
            _warn_once(channel, ends, message)
        Channel.objects.filter(pk=channel.pk).update(health=Channel.Health.OK, health_message=message[:300])
        return Channel.Health.OK
    # Alert once, when it breaks; a channel that stays broken does not alert every hour.
    if Channel.objects.filter(pk=channel.pk, health=Channel.Health.OK).update(
            health=Channel.Health.BROKEN, health_message=message[:300]):
        notify(channel.workspace, Notification.Kind.CHANNEL_BROKEN,
               _("%(channel)s needs reconnecting (%(reason)s); %(n)d scheduled posts wait for it.")
               % {"channel": channel.name, "reason": message, "n": _waiting(channel)},
               link=reverse("channels", args=[channel.workspace.slug]), action="channel.connect")
    return Channel.Health.BROKEN


def _waiting(channel: Channel) -> int:
    return PublishJob.objects.filter(channel=channel, status=Status.SCHEDULED).count()


def _ends_message(channel: Channel, ends: datetime) -> str:
    day = date_format(ends.astimezone(ZoneInfo(channel.workspace.timezone)), "DATE_FORMAT")
    return _("Access expires on %(date)s: connect the channel again before then.") % {"date": day}


def _warn_once(channel: Channel, ends: datetime, message: str) -> None:
    """Tell the people who can reconnect it, once per announced end: the first check to stamp the date sends it."""
    if Channel.objects.filter(pk=channel.pk).exclude(access_end_warned=ends).update(access_end_warned=ends):
        notify(channel.workspace, Notification.Kind.CHANNEL_BROKEN,
               _("%(channel)s: %(warning)s %(n)d scheduled posts wait for it.")
               % {"channel": channel.name, "warning": message, "n": _waiting(channel)},
               link=reverse("channels", args=[channel.workspace.slug]), action="channel.connect")


def check_due(now: datetime | None = None) -> int:
    now = now or timezone.now()
    return sum(check(channel, now) == Channel.Health.BROKEN for channel in claim_due(now))
