"""Channels: connect, list, queue slots. Every edge calls these."""

import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.channels.models import Channel, QueueSlot
from chorus.networks import errors
from chorus.networks.registry import CONNECTORS, connector_class
from chorus.workspaces.services import ensure_can, workspace_object
from chorus.workspaces.timezones import local_to_utc


def channels_of(actor, workspace) -> list[Channel]:
    ensure_can(actor, "channel.view", workspace)
    return list(workspace.channels.all())


def channel_for(actor, workspace, channel_id, action: str = "channel.view") -> Channel:
    return workspace_object(actor, workspace, Channel.objects, channel_id, action,
                            _("No such channel in this workspace."))


def split_connect_fields(network: str, given: dict[str, str]) -> tuple[dict, dict]:
    """What a person typed for a network's connect fields: the secrets apart (encrypted), the rest as config."""
    credentials, config = {}, {}
    fields = connector_class(network).connect_fields if network in CONNECTORS else ()
    for field in fields:
        value = str(given.get(field.name, "")).strip()
        if value:
            (credentials if field.secret else config)[field.name] = value
    return credentials, config


def connect_channel(*, actor, workspace, network: str, name: str, external_id: str = "",
                    credentials: dict | None = None, config: dict | None = None) -> Channel:
    """Connect a page: checked against the network before it is saved, so a wrong token is said at once.

    For the sandbox with no account given, a fresh sandbox page is opened for it.
    """
    ensure_can(actor, "channel.connect", workspace)
    try:
        connector = connector_class(network)
    except LookupError as exc:
        raise ValidationError(str(exc)) from exc
    if not name.strip():
        raise ValidationError(_("Give the channel a name."))
    given = {**(credentials or {}), **(config or {})}
    missing = [f.label for f in connector.connect_fields if f.required and not str(given.get(f.name, "")).strip()]
    if missing:
        raise ValidationError(_("Fill in: %(fields)s.") % {"fields": ", ".join(map(str, missing))})
    if connector.is_sandbox and not external_id:
        from chorus.sandbox.network import open_account

        account = open_account(name)
        external_id, credentials = account.external_id, {"token": account.token}
    channel = Channel(workspace=workspace, network=network, name=name.strip(), external_id=external_id,
                      credentials=credentials or {}, config=config or {})
    health = channel.connector.check_health()
    if not health.ok:
        raise ValidationError(_("Could not connect: %(reason)s") % {"reason": health.message})
    channel.save()
    return channel


def rotate_credentials(channel: Channel, token_field: str, refresh) -> dict:
    """Refresh a channel's credentials without losing a rotating refresh token (Bluesky, X) to a race.

    The stored credentials are re-read under a row lock (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the
    IMMEDIATE transaction takes the write lock first, which serialises writers the same way). If another worker
    rotated `token_field` since this one read it, the stored credentials are taken as they are; otherwise
    `refresh(token)` runs inside the lock and what it returns is merged in and stored before the lock is let go.
    """
    seen = channel.credentials.get(token_field, "")
    if channel.pk is None:  # still connecting: nothing stored that another worker could use
        channel.credentials = {**channel.credentials, **refresh(seen)}
        return channel.credentials
    with transaction.atomic():
        stored = Channel.objects.select_for_update().only("credentials").get(pk=channel.pk).credentials
        if stored.get(token_field, "") == seen:
            stored = {**stored, **refresh(seen)}
            Channel.objects.filter(pk=channel.pk).update(credentials=stored)
    channel.credentials = stored
    return stored


def enable_push(*, actor, channel: Channel, base_url: str) -> Channel:
    """Have the network call Chorus with each new comment and message (Telegram webhook, VK Callback API)."""
    ensure_can(actor, "channel.connect", channel.workspace)
    if not channel.connector_class.capabilities.push:
        raise ValidationError(_("%(network)s cannot call Chorus; its comments are read on a schedule.")
                              % {"network": channel.connector_class.label})
    secret = secrets.token_urlsafe(24)
    channel.credentials = {**channel.credentials, "push_secret": secret}
    url = f"{base_url.rstrip('/')}/hooks/{channel.pk}/"
    try:
        added = channel.connector.start_push(url, secret)
    except errors.NetworkError as exc:
        raise ValidationError(_("The network refused: %(reason)s") % {"reason": exc.reason}) from exc
    channel.config = {**channel.config, **added, "push": True, "push_url": url}
    channel.save(update_fields=["credentials", "config"])
    return channel


def set_queue_slots(*, actor, channel: Channel, slots: list[tuple[int, time]]) -> list[QueueSlot]:
    ensure_can(actor, "channel.queue", channel.workspace)
    channel.queue_slots.all().delete()
    return [QueueSlot.objects.create(channel=channel, weekday=w, time=t) for w, t in sorted(set(slots))]


def next_free_slot(channel: Channel, taken: set[datetime], after: datetime | None = None) -> datetime:
    """The first queue slot after `after` (UTC) that no scheduled post of this channel occupies."""
    slots = list(channel.queue_slots.all())
    if not slots:
        raise ValidationError(_("Channel %(name)s has no queue slots yet: add some in its settings.")
                              % {"name": channel.name})
    zone = ZoneInfo(channel.workspace.timezone)
    start = (after or timezone.now()).astimezone(zone)
    for day_offset in range(0, 366):
        day = (start + timedelta(days=day_offset)).date()
        for slot in slots:
            if slot.weekday != day.weekday():
                continue
            try:
                candidate, _warnings = local_to_utc(datetime.combine(day, slot.time), channel.workspace.timezone)
            except ValidationError:  # the slot falls into the hour the clocks skip
                continue
            if candidate > start and candidate not in taken:
                return candidate
    raise ValidationError(_("Every queue slot of the coming year is taken."))
