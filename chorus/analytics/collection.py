"""Collects post and account counters from every channel's network on a schedule (issue 3, point 4)."""

import logging
from dataclasses import asdict
from datetime import datetime, timedelta

from django.utils import timezone

from chorus.analytics.models import CollectionTurn
from chorus.analytics.store import AccountReading, PostReading, store
from chorus.channels.models import Channel
from chorus.networks import errors
from chorus.publishing.models import PublishJob, Status

log = logging.getLogger(__name__)
EVERY = timedelta(minutes=30)
POSTS_WATCHED_FOR = timedelta(days=30)  # counters of older posts barely move; their last snapshot stands
BATCH = 100


def claim_due_channels(now: datetime, limit: int = 50) -> list[Channel]:
    for channel in Channel.objects.filter(collection_turn=None):
        CollectionTurn.objects.get_or_create(channel=channel, defaults={"due_at": now})
    claimed = []
    for turn in CollectionTurn.objects.filter(due_at__lte=now).select_related("channel")[:limit]:
        # Another worker may take the same turn between our read and this write: only one UPDATE matches.
        if CollectionTurn.objects.filter(pk=turn.pk, due_at=turn.due_at).update(due_at=now + EVERY):
            claimed.append(turn.channel)
    return claimed


def collect_channel(channel: Channel, now: datetime, watched_for: timedelta = POSTS_WATCHED_FOR) -> int:
    """Snapshot the channel's posts of the last `watched_for` and its account; returns how many post snapshots
    were taken."""
    capabilities = channel.connector_class.capabilities
    connector = channel.connector
    taken = 0
    try:
        if capabilities.metrics:
            # A post being edited is still out there; one deleted (or being deleted) has nothing left to count.
            jobs = {job.remote_id: job for job in PublishJob.objects.filter(
                channel=channel, status__in=[Status.PUBLISHED, Status.EDITING],
                published_at__gte=now - watched_for).exclude(remote_id="")}
            remote_ids = list(jobs)
            for start in range(0, len(remote_ids), BATCH):
                counters = [c for c in connector.fetch_counters(remote_ids[start:start + BATCH]) if c.remote_id in jobs]
                posts = store.register(channel, [store.facts_of_job(jobs[c.remote_id]) for c in counters])
                store.ingest_posts(PostReading(post_id=post.pk, collected_at=now,
                                               **{k: v for k, v in asdict(c).items() if k != "remote_id"})
                                   for post, c in zip(posts, counters, strict=True))
                taken += len(counters)
        if capabilities.account_metrics:
            store.ingest_accounts([AccountReading(channel.pk, now, **asdict(connector.account_counters()))])
    except errors.NetworkError as exc:
        # The next turn tries again; a broken token is already flagged by the publishing path and health checks.
        log.info("metrics of channel %s not collected: %s", channel.pk, exc.reason)
        CollectionTurn.objects.filter(channel=channel).update(last_error=exc.reason[:300])
        return taken
    CollectionTurn.objects.filter(channel=channel).update(last_error="")
    return taken


def collect_due(now: datetime | None = None) -> int:
    now = now or timezone.now()
    return sum(collect_channel(channel, now) for channel in claim_due_channels(now))
