from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
