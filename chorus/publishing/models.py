import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chorus.channels.models import Channel
from chorus.content.models import Variant
from chorus.workspaces.models import Workspace


class Status(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CLAIMED = "claimed", _("Being picked up")
    SENDING = "sending", _("Sending")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Outcome unknown")
    NEEDS_REVIEW = "needs_review", _("Needs your decision")
    EDITING = "editing", _("Updating on the network")
    DELETING = "deleting", _("Deleting from the network")
    DELETED = "deleted", _("Deleted from the network")


class PublishJob(models.Model):
    """The outbox row for one variant on one channel (PUB-1). Its status moves only through `states.move`."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="publish_jobs")
    variant = models.OneToOneField(Variant, on_delete=models.CASCADE, related_name="job")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="publish_jobs")
    due_at = models.DateTimeField(help_text="when the user wants it out (UTC)")
    # Equal to due_at, or later after a retry backoff or a rate-limit block; the dispatcher reads this one.
    not_before = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    idempotency_key = models.CharField(max_length=64, unique=True, default=uuid.uuid4)
    attempts = models.PositiveIntegerField(default=0)
    claimed_by = models.CharField(max_length=120, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    remote_id = models.CharField(max_length=200, blank=True)
    # A post of several parts (a thread, a first comment, Telegram's poll): the remote id of each part known to be
    # on the network, in order. Set while some are missing, a later send goes on after them instead of from the
    # start; a job with a remote id and missing parts is live but not whole.
    parts_out = models.JSONField(default=list, blank=True)
    remote_url = models.CharField(max_length=500, blank=True)
    # What the network shows: the text that went out, or the last edit that landed. The variant's text may be
    # newer (edited in Chorus, not yet on the network); the post page shows both until they agree.
    sent_text = models.TextField(blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    published_at = models.DateTimeField(null=True, blank=True, help_text="when the network accepted it")
    last_error = models.TextField(blank=True)
    late_alerted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "not_before"]),
            models.Index(fields=["workspace", "due_at"]),
            models.Index(fields=["status", "lease_until"]),
        ]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.status})"

    @property
    def shown_text(self) -> str:
        """What the post says on the network, or will say once it is out."""
        return self.sent_text or self.variant.effective_text


class PublishAttempt(models.Model):
    """One try at the network, written before the call so a crash mid-call leaves a trace (PUB-4 log)."""

    class Outcome(models.TextChoices):
        IN_FLIGHT = "in_flight", _("In flight")
        PUBLISHED = "published", _("Published")
        PARTIAL = "partial", _("Partly published")
        RETRY = "retry", _("Failed, will retry")
        RATE_LIMITED = "rate_limited", _("Rate-limited, will retry")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown")
        FOUND = "found", _("Found on the network")
        NOT_FOUND = "not_found", _("Not found on the network")
        MANUAL = "manual", _("Resolved by a person")
        EDITED = "edited", _("Updated on the network")
        DELETED = "deleted", _("Deleted from the network")

    class Action(models.TextChoices):
        # Nouns in the publication log ("Удаление"), not the buttons' verbs ("Удалить").
        PUBLISH = "publish", pgettext_lazy("attempt action", "Publish")
        EDIT = "edit", pgettext_lazy("attempt action", "Edit")
        DELETE = "delete", pgettext_lazy("attempt action", "Delete")

    job = models.ForeignKey(PublishJob, on_delete=models.CASCADE, related_name="attempts_log")
    number = models.PositiveIntegerField()
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.PUBLISH)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", help_text="the person who asked for an edit or a deletion")
    worker = models.CharField(max_length=120, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.IN_FLIGHT)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "pk"]


class RateBlock(models.Model):
    """"Blocked until" for one channel (`channel:<id>`) or one network application (`app:<network>`)."""

    key = models.CharField(max_length=120, unique=True)
    blocked_until = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)


class WorkerBeat(models.Model):
    """The last time a worker ran the dispatcher; silence means publishing has stopped (dead-worker alarm)."""

    worker = models.CharField(max_length=120, unique=True)
    seen_at = models.DateTimeField()
    # Set when people were told this worker went silent; a new beat clears it, so each silence is told once.
    silence_alerted_at = models.DateTimeField(null=True, blank=True)
