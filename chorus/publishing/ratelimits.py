"""Per-channel and per-application "blocked until" windows (PUB-2), honoured by dispatcher and sender."""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from chorus.publishing.models import RateBlock


def channel_key(channel) -> str:
    return f"channel:{channel.pk}"


def app_key(network: str) -> str:
    return f"app:{network}"


def block(key: str, until: datetime, reason: str = "") -> None:
    """Extend, never shorten, the window: two 429s in a row keep the later retry time."""
    current = RateBlock.objects.filter(key=key).first()
    if current is None:
        RateBlock.objects.get_or_create(key=key, defaults={"blocked_until": until, "reason": reason[:300]})
    elif current.blocked_until < until:
        RateBlock.objects.filter(key=key, blocked_until__lt=until).update(blocked_until=until, reason=reason[:300])


def blocked_until(channel, now: datetime | None = None) -> datetime | None:
    now = now or timezone.now()
    keys = [channel_key(channel), app_key(channel.network)]
    return (RateBlock.objects.filter(key__in=keys, blocked_until__gt=now)
            .order_by("-blocked_until").values_list("blocked_until", flat=True).first())


def blocked_filter(now: datetime) -> Q:
    """A filter on PublishJob matching jobs whose channel or network application is blocked now."""
    keys = list(RateBlock.objects.filter(blocked_until__gt=now).values_list("key", flat=True))
    channel_ids = [int(k.split(":", 1)[1]) for k in keys if k.startswith("channel:")]
    networks = [k.split(":", 1)[1] for k in keys if k.startswith("app:")]
    return Q(channel_id__in=channel_ids) | Q(channel__network__in=networks)
