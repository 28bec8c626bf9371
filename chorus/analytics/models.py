"""Metric history (ANLT-1): raw snapshots exactly as each network reported them, with when they were taken.

A metric the network does not give is NULL, never 0. Counters that go down (unlikes, unfollows) are kept as
reported. Rollups for dashboards are built from these (the analytics issue).
"""

from django.db import models

from chorus.channels.models import Channel
from chorus.publishing.models import PublishJob


class PostSnapshot(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="post_snapshots")
    job = models.ForeignKey(PublishJob, null=True, on_delete=models.SET_NULL, related_name="snapshots")
    remote_id = models.CharField(max_length=200)
    collected_at = models.DateTimeField()
    views = models.BigIntegerField(null=True)
    likes = models.BigIntegerField(null=True)
    reposts = models.BigIntegerField(null=True)
    comments = models.BigIntegerField(null=True)
    reach = models.BigIntegerField(null=True)
    saves = models.BigIntegerField(null=True)
    clicks = models.BigIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "collected_at"]), models.Index(fields=["job", "collected_at"])]


class AccountSnapshot(models.Model):
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="account_snapshots")
    collected_at = models.DateTimeField()
    followers = models.BigIntegerField(null=True)
    following = models.BigIntegerField(null=True)
    posts = models.BigIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "collected_at"])]


class CollectionTurn(models.Model):
    """When a channel's metrics are next due; claimed by compare-and-swap so two workers never collect one twice."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="collection_turn")
    due_at = models.DateTimeField()
    last_error = models.CharField(max_length=300, blank=True)
