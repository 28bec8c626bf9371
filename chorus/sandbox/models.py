"""The sandbox network's own side (NET-SB): what exists "on the network", apart from Chorus's outbox."""

import uuid

from django.db import models
from django.utils import timezone


def new_external_id() -> str:
    return uuid.uuid4().hex[:12]


class SandboxAccount(models.Model):
    """A page on the simulated network. A Chorus channel connects to it by `external_id` and token."""

    external_id = models.CharField(max_length=40, unique=True, default=new_external_id)
    name = models.CharField(max_length=120)
    token = models.CharField(max_length=64)
    seed = models.IntegerField(default=0, help_text="makes the simulated audience deterministic")
    followers_at_start = models.PositiveIntegerField(default=1000)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class SandboxFaults(models.Model):
    """Fault injection for one account: probabilities 0..1 and an added latency."""

    account = models.OneToOneField(SandboxAccount, on_delete=models.CASCADE, related_name="faults")
    error_before_send = models.FloatField(default=0)
    timeout_after_send = models.FloatField(default=0)
    rate_limit = models.FloatField(default=0)
    rate_limit_seconds = models.PositiveIntegerField(default=30)
    # Whose limit a 429 says ran out: this page's, or the whole application's (every channel of the network).
    rate_limit_scope = models.CharField(max_length=8, choices=[("channel", "channel"), ("app", "app")],
                                        default="channel")
    latency_ms = models.PositiveIntegerField(default=0)
    # Off = behave like a network without server-side dedupe, to prove the outbox alone never posts twice.
    honour_idempotency_key = models.BooleanField(default=True)


class SandboxPost(models.Model):
    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="posts")
    remote_id = models.CharField(max_length=40, unique=True)
    text = models.TextField()
    media_count = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=64, blank=True, help_text="as the caller sent it")
    deduplicated = models.BooleanField(default=False, help_text="the key was honoured when this post was made")
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    views = models.PositiveIntegerField(default=0)
    likes = models.PositiveIntegerField(default=0)
    reposts = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "idempotency_key"], condition=models.Q(deduplicated=True),
                                    name="sandbox_one_post_per_key"),
        ]
        indexes = [models.Index(fields=["account", "created_at"])]


class SandboxFollowerDay(models.Model):
    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="follower_days")
    day = models.DateField()
    followers = models.PositiveIntegerField()
    joined = models.PositiveIntegerField(default=0)
    left = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="sandbox_one_count_per_day")]


class SandboxAudienceDay(models.Model):
    """Who the page's followers were on a day: dimension → bucket → followers (see audience.audience_of)."""

    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="audience_days")
    day = models.DateField()
    breakdown = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "day"], name="sandbox_one_audience_per_day")]


class SandboxComment(models.Model):
    """A comment under a page's post: from the simulated audience, or the page's own answer (`from_page`)."""

    post = models.ForeignKey(SandboxPost, on_delete=models.CASCADE, related_name="comment_set")
    remote_id = models.CharField(max_length=40, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author_id = models.CharField(max_length=40, blank=True)
    author_name = models.CharField(max_length=120)
    from_page = models.BooleanField(default=False)
    text = models.TextField()
    language = models.CharField(max_length=8)
    kind = models.CharField(max_length=16, help_text="what the simulation meant: question, praise, spam, ...")
    idempotency_key = models.CharField(max_length=64, blank=True, help_text="of the page's own answers")
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # What a reader "since a cursor" pages by: set on every insert and every change.
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)


class SandboxMessage(models.Model):
    """A direct message in the page's inbox: from a member of the audience, or the page's answer."""

    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="messages")
    remote_id = models.CharField(max_length=60, unique=True)
    author_id = models.CharField(max_length=40)
    author_name = models.CharField(max_length=120)
    from_page = models.BooleanField(default=False)
    text = models.TextField()
    language = models.CharField(max_length=8)
    kind = models.CharField(max_length=16)
    idempotency_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)


class SandboxBan(models.Model):
    """An author the page has banned: their comments stop arriving."""

    account = models.ForeignKey(SandboxAccount, on_delete=models.CASCADE, related_name="bans")
    author_id = models.CharField(max_length=40)
    banned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "author_id"], name="sandbox_one_ban_per_author")]
