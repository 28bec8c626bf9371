"""Metric history (ANLT-1): raw snapshots exactly as each network reported them, with when they were taken, and
the rollups dashboards read, kept up to date at ingest by `chorus.analytics.store.MetricsStore`.

A metric the network does not give is NULL, never 0. Counters that go down (unlikes, unfollows) are kept as
reported. Every table reaches its workspace directly or through its channel.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chorus.channels.models import Channel
from chorus.publishing.models import PublishJob
from chorus.workspaces.models import Workspace

# The counters a post snapshot may carry, in the order the store writes them.
POST_COUNTERS = ("views", "likes", "reposts", "comments", "reach", "saves", "clicks", "total_interactions")
# What a channel's day sums over the posts published that day.
DAY_SUMS = ("views", "likes", "reposts", "comments", "reach", "saves", "clicks", "interactions")


class Counters(models.Model):
    """The counters networks report for a post (NULL: not given), as snapshots, rollups and day sums hold them."""

    views = models.BigIntegerField(null=True)
    likes = models.BigIntegerField(null=True)
    reposts = models.BigIntegerField(null=True)
    comments = models.BigIntegerField(null=True)
    reach = models.BigIntegerField(null=True)
    saves = models.BigIntegerField(null=True)
    clicks = models.BigIntegerField(null=True)

    class Meta:
        abstract = True


class PublishedPost(Counters):
    """A post as it stands on a network: sent by Chorus (`job`) or imported from the channel's history.

    Besides what is known about the post, the row holds its rollup: the latest counters (a counter a later
    snapshot leaves out keeps its last reported value), interactions by `formulas.interactions`, and the channel's
    followers when it was published (reported by the import, or the nearest account snapshot within a day).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="published_posts")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="published_posts")
    job = models.OneToOneField(PublishJob, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="published_post")
    remote_id = models.CharField(max_length=200, blank=True)
    import_key = models.CharField(max_length=64, blank=True, help_text="what makes an imported row the same row")
    published_at = models.DateTimeField()
    date_is_approximate = models.BooleanField(default=False)
    # In the workspace's zone at ingest, so breakdowns by hour and weekday need no time-zone arithmetic in SQL.
    local_day = models.DateField()
    local_hour = models.PositiveSmallIntegerField()
    local_weekday = models.PositiveSmallIntegerField(help_text="0 = Monday")
    kind = models.CharField(_("type"), max_length=32, blank=True)
    rubric = models.CharField(_("rubric"), max_length=120, blank=True)
    text_length = models.PositiveIntegerField(null=True, blank=True)
    paid = models.BooleanField(null=True)
    followers_reported = models.BigIntegerField(null=True, help_text="followers when posted, as the source gave")
    # Rollup, besides the latest counters (Counters).
    collected_at = models.DateTimeField(null=True, help_text="when the latest counters were taken")
    total_interactions = models.BigIntegerField(null=True, help_text="the network's own total, where it gives one")
    interactions = models.BigIntegerField(null=True)
    followers_at_post = models.BigIntegerField(null=True)
    followers_gap = models.PositiveIntegerField(null=True, help_text="seconds between the post and that count")

    class Meta:
        indexes = [models.Index(fields=["channel", "published_at"]),
                   models.Index(fields=["workspace", "published_at"])]
        constraints = [
            models.UniqueConstraint(fields=["channel", "remote_id"], condition=~Q(remote_id=""),
                                    name="one_post_per_remote_id"),
            models.UniqueConstraint(fields=["channel", "import_key"], condition=~Q(import_key=""),
                                    name="one_post_per_import_key"),
        ]

    def __str__(self) -> str:
        return f"post {self.remote_id or self.import_key[:8]} on channel {self.channel_id}"


class PostSnapshot(Counters):
    """What the network said about a post at one moment. Millions of rows: only the (post, time) index, which
    ingest needs to stay idempotent; dashboards read the rollups, never this table.

    No foreign-key constraints in the database: checking them was half of PostgreSQL's ingest time, and the store
    writes a snapshot only for a post it has just read (locked, on PostgreSQL). Deleting a post or channel still
    deletes its snapshots (Django's CASCADE)."""

    post = models.ForeignKey(PublishedPost, on_delete=models.CASCADE, related_name="snapshots", db_index=False,
                             db_constraint=False)
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="post_snapshots", db_index=False,
                                db_constraint=False)
    collected_at = models.DateTimeField()
    total_interactions = models.BigIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "collected_at"], name="one_post_snapshot_per_time")]


class AccountSnapshot(models.Model):
    """What the network said about an account at one moment; gained and lost count the network's `followers_day`
    (see networks.base.AccountCounters)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="account_snapshots")
    collected_at = models.DateTimeField()
    followers = models.BigIntegerField(null=True)
    following = models.BigIntegerField(null=True)
    posts = models.BigIntegerField(null=True)
    followers_gained = models.BigIntegerField(null=True)
    followers_lost = models.BigIntegerField(null=True)
    followers_day = models.DateField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "collected_at"],
                                               name="one_account_snapshot_per_time")]


class ChannelDay(Counters):
    """One channel's day in the workspace's zone: followers at the day's last account snapshot, the posts
    published that day and the sums of their latest counters (NULL where no post of the day reported one).

    New and lost followers are the network's count for its day of the same date, as its latest snapshot of that
    day said (`gained_at`): a network counts them in its own day, which Chorus cannot cut at another midnight."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channel_days")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    followers = models.BigIntegerField(null=True)
    followers_at = models.DateTimeField(null=True)
    followers_gained = models.BigIntegerField(null=True)
    followers_lost = models.BigIntegerField(null=True)
    gained_at = models.DateTimeField(null=True)
    posts = models.PositiveIntegerField(default=0)
    interactions = models.BigIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "day"])]
        constraints = [models.UniqueConstraint(fields=["channel", "day"], name="one_row_per_channel_day")]


class AudienceDay(models.Model):
    """Who a channel's followers were on a day (the workspace's zone), as its latest account snapshot that day
    said: {dimension: {bucket: followers}}. Buckets are the network's own names: untrusted text."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="audience_days")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="audience_days")
    day = models.DateField()
    collected_at = models.DateTimeField()
    breakdown = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "day"], name="one_audience_per_channel_day")]


class CollectionTurn(models.Model):
    """When a channel's metrics are next due; claimed by compare-and-swap so two workers never collect one twice."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="collection_turn")
    due_at = models.DateTimeField()
    last_error = models.CharField(max_length=300, blank=True)


class ImportMapping(models.Model):
    """A saved column mapping for history import: which column of the user's file holds which field."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="import_mappings")
    name = models.CharField(_("name"), max_length=80)
    columns = models.JSONField(help_text='{"field": "column name", ...}; see history_import.FIELDS')
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="one_mapping_name_per_workspace")]

    def __str__(self) -> str:
        return self.name
