from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.secrets import EncryptedJSONField
from chorus.workspaces.models import Workspace


class Channel(models.Model):
    """A page, channel or community on one network that the workspace publishes to."""

    class Health(models.TextChoices):
        OK = "ok", _("Connected")
        BROKEN = "broken", _("Needs reconnecting")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    network = models.CharField(_("network"), max_length=32)
    name = models.CharField(_("name"), max_length=120)
    external_id = models.CharField(max_length=200, help_text="the page's id on its network")
    credentials = EncryptedJSONField(default=dict)
    # Settings that are not secret: an instance URL, a chat id, a community id.
    config = models.JSONField(default=dict, blank=True)
    health = models.CharField(max_length=16, choices=Health.choices, default=Health.OK)
    health_message = models.CharField(max_length=300, blank=True)
    health_checked_at = models.DateTimeField(null=True, blank=True)
    # The access end (Connector.access_ends_at) its owners were last warned of: each announced end is told once.
    access_end_warned = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def connector_class(self):
        from chorus.networks.registry import connector_class

        return connector_class(self.network)

    @property
    def connector(self):
        return self.connector_class(self)


class QueueSlot(models.Model):
    """A recurring time in the workspace's zone when this channel likes to post; "add to queue" fills them."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="queue_slots")
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday")
    time = models.TimeField()

    class Meta:
        ordering = ["weekday", "time"]
        constraints = [models.UniqueConstraint(fields=["channel", "weekday", "time"], name="one_slot_per_time")]


class NetworkApp(models.Model):
    """The application Chorus registered on a server that asks every client to register (a Mastodon instance),
    kept per server and callback address so each sign-in there does not register another one."""

    network = models.CharField(max_length=32)
    server = models.URLField(max_length=300)
    redirect_uri = models.URLField(max_length=500)
    client_id = models.CharField(max_length=300)
    credentials = EncryptedJSONField(default=dict)  # {"client_secret": ...}
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["network", "server", "redirect_uri"],
                                               name="one_app_per_server_and_callback")]

    def __str__(self) -> str:
        return f"{self.network} app on {self.server}"
