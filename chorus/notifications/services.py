"""Alerts (TEAM-5): an in-app row for every member who may act, and for inbox alerts also e-mail and a Telegram
chat where the workspace asked for them. Those leave from a worker after the commit, so a slow Telegram never holds
up ingestion, and each one is an `AlertDelivery` whose failure stays visible with its reason."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.networks import errors
from chorus.networks import telegram as telegram_api
from chorus.notifications.models import AlertDelivery, AlertOutlets, Notification
from chorus.workspaces.models import Membership
from chorus.workspaces.roles import MATRIX
from chorus.workspaces.services import ensure_can

log = logging.getLogger(__name__)
OUTLETS_ACTION = "inbox.rules"  # who sets where alerts go: the people who set up the inbox
DIGEST_FROM = 4  # this many alerts about one thing at once (a channel's overdue items, a rule's finds) go as one


def notify(workspace, kind: str, message: str, *, link: str = "", action: str = "publication.resolve",
           outlets: bool = False) -> int:
    """Alert every member whose role may act on it; returns how many people were told. With `outlets`, the
    workspace's e-mail and Telegram outlets get it too."""
    members = Membership.objects.filter(workspace=workspace, role__in=MATRIX[action])
    recipients = list(members.values_list("user_id", flat=True))
    Notification.objects.bulk_create(
        Notification(workspace=workspace, recipient_id=uid, kind=kind, message=message, link=link)
        for uid in recipients
    )
    if outlets:
        send_out(workspace, kind, message, link=link, recipients=recipients)
    return len(recipients)


def outlets_of(workspace) -> AlertOutlets:
    return AlertOutlets.objects.filter(workspace=workspace).first() or AlertOutlets(workspace=workspace)


def send_out(workspace, kind: str, message: str, *, link: str = "", recipients=()) -> list[AlertDelivery]:
    """Queue the alert for each outlet the workspace set; a worker sends it once the transaction commits."""
    from chorus.notifications.tasks import deliver_alert_task

    deliveries = _queue(workspace, kind, message, link, recipients)
    for delivery in deliveries:
        transaction.on_commit(lambda pk=delivery.pk: deliver_alert_task.delay(pk))
    return deliveries


def _queue(workspace, kind: str, message: str, link: str, recipients) -> list[AlertDelivery]:
    outlets = outlets_of(workspace)
    deliveries = []
    if outlets.email:
        addresses = sorted(set(get_user_model().objects.filter(pk__in=recipients).exclude(email="")
                               .values_list("email", flat=True)))
        if addresses:
            deliveries.append(AlertDelivery(workspace=workspace, outlet=AlertDelivery.Outlet.EMAIL, kind=kind,
                                            message=message, link=link, recipients=addresses))
    if outlets.telegram:
        deliveries.append(AlertDelivery(workspace=workspace, outlet=AlertDelivery.Outlet.TELEGRAM, kind=kind,
                                        message=message, link=link))
    for delivery in deliveries:
        delivery.save()
    return deliveries


def _absolute(link: str) -> str:
    return f"{settings.CHORUS_PUBLIC_URL.rstrip('/')}{link}" if link and settings.CHORUS_PUBLIC_URL else link


def _send(delivery: AlertDelivery) -> None:
    text = "\n".join(filter(None, [delivery.message, _absolute(delivery.link)]))
    if delivery.outlet == AlertDelivery.Outlet.EMAIL:
        subject = _("[Chorus] %(workspace)s: %(message)s") % {"workspace": delivery.workspace.name,
                                                             "message": delivery.message[:60]}
        for address in delivery.recipients:  # one letter each: members do not see each other's addresses
            EmailMessage(" ".join(subject.split()), text, to=[address]).send()
        return
    outlets = outlets_of(delivery.workspace)
    if not outlets.telegram:
        raise errors.ValidationRejected(_("The Telegram outlet was switched off before the alert left."))
    try:
        telegram_api.send_alert(outlets.telegram_bot["token"], outlets.telegram_chat,
                                f"{delivery.workspace.name}: {text}")
    except errors.AuthExpired as exc:
        raise errors.AuthExpired(_("Telegram does not accept the bot token (revoked or mistyped): paste a new one "
                                   "from @BotFather.")) from exc


def deliver_alert(delivery_id: int, *, last_try: bool = True) -> AlertDelivery:
    """Send one queued alert, once (claimed by compare-and-swap). A passing failure goes back to the queue unless
    this is the last try; any other failure is kept with its reason and logged (never the bot token)."""
    if not AlertDelivery.objects.filter(pk=delivery_id, status=AlertDelivery.Status.QUEUED).update(
            status=AlertDelivery.Status.SENDING):
        return AlertDelivery.objects.get(pk=delivery_id)
    delivery = AlertDelivery.objects.select_related("workspace").get(pk=delivery_id)
    try:
        _send(delivery)
    except (errors.NetworkError, OSError) as exc:
        reason = (exc.reason if isinstance(exc, errors.NetworkError) else f"{type(exc).__name__}: {exc}")[:300]
        again = not last_try and (not isinstance(exc, errors.NetworkError) or exc.retryable)
        status = AlertDelivery.Status.QUEUED if again else AlertDelivery.Status.FAILED
        AlertDelivery.objects.filter(pk=delivery.pk).update(status=status, error=reason,
                                                            attempts=delivery.attempts + 1)
        log.warning("alert %s to %s of workspace %s failed%s: %s", delivery.pk, delivery.outlet,
                    delivery.workspace.slug, " (will retry)" if again else "", reason)
        delivery.refresh_from_db()
        if again:
            raise
        return delivery
    AlertDelivery.objects.filter(pk=delivery.pk).update(status=AlertDelivery.Status.SENT, sent_at=timezone.now(),
                                                        error="", attempts=delivery.attempts + 1)
    delivery.refresh_from_db()
    return delivery


def set_outlets(*, actor, workspace, email: bool, telegram_chat: str = "", telegram_token: str = "") -> AlertOutlets:
    """Where inbox alerts go. An empty token keeps the stored one; an empty chat switches Telegram off."""
    ensure_can(actor, OUTLETS_ACTION, workspace)
    outlets = outlets_of(workspace)
    chat, token = telegram_chat.strip(), telegram_token.strip()
    if token and ":" not in token:
        raise ValidationError(_("A bot token looks like 123456:ABC-DEF…, as @BotFather gives it."))
    if chat and not (token or outlets.telegram_bot.get("token")):
        raise ValidationError(_("Give the bot token that writes to the Telegram chat."))
    outlets.email = email
    outlets.telegram_chat = chat
    outlets.telegram_bot = {"token": token or outlets.telegram_bot.get("token", "")} if chat else {}
    outlets.save()
    return outlets


def send_test_alert(*, actor, workspace) -> list[AlertDelivery]:
    """Send a test alert through every outlet now, while the person waits, and say how each went."""
    ensure_can(actor, OUTLETS_ACTION, workspace)
    message = _("Test alert from Chorus: the inbox alerts of %(workspace)s arrive here.") % {
        "workspace": workspace.name}
    members = Membership.objects.filter(workspace=workspace, role__in=MATRIX["inbox.moderate"])
    queued = _queue(workspace, "test", message, "", list(members.values_list("user_id", flat=True)))
    if not queued:
        raise ValidationError(_("No outlet is set yet: choose e-mail or a Telegram chat and save first."))
    return [deliver_alert(delivery.pk) for delivery in queued]


def recent_deliveries(actor, workspace, limit: int = 10):
    ensure_can(actor, OUTLETS_ACTION, workspace)
    return AlertDelivery.objects.filter(workspace=workspace)[:limit]


def notifications_of(user, workspace, unread_only: bool = False):
    ensure_can(user, "notification.view", workspace)
    rows = Notification.objects.filter(recipient=user, workspace=workspace)
    return rows.filter(read_at=None) if unread_only else rows


def mark_read(user, workspace, ids=None) -> int:
    rows = notifications_of(user, workspace, unread_only=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())
