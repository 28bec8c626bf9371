from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.secrets import EncryptedJSONField
from chorus.workspaces.models import Workspace


class Notification(models.Model):
    """An in-app alert for one person (TEAM-5): a failed publication, a late post, a stopped worker."""

    class Kind(models.TextChoices):
        PUBLICATION_FAILED = "publication_failed", _("Publication failed")
        PUBLICATION_UNKNOWN = "publication_unknown", _("Publication needs a decision")
        POST_LATE = "post_late", _("Post is late")
        CHANNEL_BROKEN = "channel_broken", _("Channel needs reconnecting")
        WORKERS_SILENT = "workers_silent", _("Publishing has stopped")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    message = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]


class AlertOutlets(models.Model):
    """Where a workspace's inbox alerts go besides the bell: e-mail to the members who may act, a Telegram chat."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="alert_outlets")
    email = models.BooleanField(_("e-mail"), default=False)
    telegram_chat = models.CharField(_("Telegram chat"), max_length=64, blank=True,
                                     help_text=_("@channel, or the numeric id of a group or person"))
    # {"token": "123456:ABC…"}: encrypted like channel credentials, never shown back or logged.
    telegram_bot = EncryptedJSONField(default=dict, blank=True)

    @property
    def telegram(self) -> bool:
        return bool(self.telegram_chat and self.telegram_bot.get("token"))


class DeliveryStatus(models.TextChoices):
    """Where a message leaving Chorus (an alert, a report's e-mail) stands; a worker moves it by compare-and-swap."""

    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """A message on its way out of Chorus: its state, the last failure's reason, and when it went."""

    Status = DeliveryStatus

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]


class AlertDelivery(Delivery):
    """One alert on its way to one outlet; a failure stays here with its reason, for the settings page."""

    class Outlet(models.TextChoices):
        EMAIL = "email", _("E-mail")
        TELEGRAM = "telegram", _("Telegram")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="alert_deliveries")
    outlet = models.CharField(max_length=16, choices=Outlet.choices)
    kind = models.CharField(max_length=32)
    message = models.TextField()
    link = models.CharField(max_length=300, blank=True)
    recipients = models.JSONField(default=list, blank=True, help_text="e-mail addresses, for the e-mail outlet")

