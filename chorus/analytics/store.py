"""MetricsStore: the one way metrics get in (raw snapshots) and the rollups dashboards read are kept up to date.

Ingest is idempotent: a snapshot already stored for the same post (or channel) and time is skipped, and the
rollups only ever see rows that were new. Counters are kept as reported, including ones that went down.

Writes use multi-row SQL (`INSERT … ON CONFLICT`) that SQLite ≥ 3.24 and PostgreSQL both understand, so that
ingest keeps ahead of collection at scale (bench/analytics.py); on PostgreSQL post snapshots are COPYed to a
staging table and folded by one statement instead (the end of this file). Reads go through the ORM.
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, reduce
from itertools import islice
from operator import attrgetter, itemgetter, or_
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Max, Q

from chorus.analytics import formulas
from chorus.analytics.models import (
    DAY_SUMS,
    POST_COUNTERS,
    AccountSnapshot,
    AudienceDay,
    ChannelDay,
    PostSnapshot,
    PublishedPost,
)
from chorus.channels.models import Channel

BATCH = 20_000  # readings per transaction: fewer, larger rollup updates (bench/analytics.py)
BUCKETS_KEPT = 100  # of one audience dimension, the largest: a network may list every city its followers live in
BUCKET_LENGTH = 200  # characters of a bucket's name kept
FOLLOWERS_WITHIN = timedelta(days=1)  # an account count further than this from a post says nothing about it


class PostReading(NamedTuple):
    """One post snapshot to ingest; None = the network did not give that counter. A tuple: ingest is hot."""

    post_id: int
    collected_at: datetime
    views: int | None = None
    likes: int | None = None
    reposts: int | None = None
    comments: int | None = None
    reach: int | None = None
    saves: int | None = None
    clicks: int | None = None
    total_interactions: int | None = None


_collected_at = attrgetter("collected_at")
# A post's rollup as the ingest reads it.
_ROLLUP = ("pk", "channel_id", "workspace_id", "local_day", "collected_at", *POST_COUNTERS, "interactions")
# The counters a post adds to its day (DAY_SUMS less Chorus's own interactions, which follow them).
_summed_counters = itemgetter(*(POST_COUNTERS.index(name) for name in DAY_SUMS if name != "interactions"))


@dataclass(frozen=True)
class AccountReading:
    """One account snapshot to ingest: networks.base.AccountCounters with whose and when. Gained and lost count
    `followers_day` (the day of `collected_at` in the workspace's zone when the network names none)."""

    channel_id: int
    collected_at: datetime
    followers: int | None = None
    following: int | None = None
    posts: int | None = None
    followers_gained: int | None = None
    followers_lost: int | None = None
    followers_day: date | None = None
    audience: dict[str, dict[str, int]] | None = None


@dataclass(frozen=True)
class PostFacts:
    """What is known about a post besides its counters (registering it, or importing it)."""

    published_at: datetime
    remote_id: str = ""
    import_key: str = ""
    job_id: int | None = None
    date_is_approximate: bool = False
    kind: str = ""
    rubric: str = ""
    text_length: int | None = None
    paid: bool | None = None
    followers_reported: int | None = None


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


# The day columns that take the day's latest reading, by what writes them, and the time that says which is latest.
LATEST_OF_DAY = {"followers": ("followers",), "gained": ("followers_gained", "followers_lost")}
_AT = {"followers": "followers_at", "gained": "gained_at"}


def _clean_audience(audience: dict) -> dict[str, dict[str, int]]:
    """A network's audience as stored: names as text cut to BUCKET_LENGTH, counts whole and not negative, and of
    each dimension only the BUCKETS_KEPT largest buckets."""
    cleaned = {}
    for dimension, buckets in audience.items():
        counts = [(str(bucket)[:BUCKET_LENGTH], max(int(count), 0)) for bucket, count in buckets.items()
                  if count is not None]
        cleaned[str(dimension)[:BUCKET_LENGTH]] = dict(sorted(counts, key=lambda c: -c[1])[:BUCKETS_KEPT])
    return cleaned


class MetricsStore:
    """The analytics storage behind one interface; `collection`, the history import and the bench all write
    through it, and the dashboard services read the rollups it keeps."""

    # Posts --------------------------------------------------------------------------------------------------

    def register(self, channel: Channel, facts: list[PostFacts]) -> list[PublishedPost]:
        """The posts for `facts`, created when new (found by job, remote id or import key otherwise). A new post
        counts in its day's `posts` and takes the nearest follower count."""
        zone = ZoneInfo(channel.workspace.timezone)
        found, new = [], []
        existing = self._existing_posts(channel, facts)
        counts = self._follower_counts(channel, [f.published_at for f in facts if f.followers_reported is None])
        for fact in facts:
            post = existing.get(("job", fact.job_id)) or existing.get(("remote", fact.remote_id)) or \
                existing.get(("key", fact.import_key))
            if post is None:
                local = fact.published_at.astimezone(zone)
                post = PublishedPost(
                    workspace_id=channel.workspace_id, channel=channel, job_id=fact.job_id, remote_id=fact.remote_id,
                    import_key=fact.import_key, published_at=fact.published_at,
                    date_is_approximate=fact.date_is_approximate, local_day=local.date(), local_hour=local.hour,
                    local_weekday=local.weekday(), kind=fact.kind, rubric=fact.rubric, text_length=fact.text_length,
                    paid=fact.paid, followers_reported=fact.followers_reported)
                if fact.followers_reported is not None:
                    post.followers_at_post, post.followers_gap = fact.followers_reported, 0
                else:
                    post.followers_at_post, post.followers_gap = _nearest(counts, fact.published_at)
                new.append(post)
                for kind, value in (("job", fact.job_id), ("remote", fact.remote_id), ("key", fact.import_key)):
                    if value:
                        existing[(kind, value)] = post
            found.append(post)
        with transaction.atomic():
            PublishedPost.objects.bulk_create(new, batch_size=500)
            per_day: dict[date, int] = defaultdict(int)
            for post in new:
                per_day[post.local_day] += 1
            self._upsert_days("posts", [(channel.workspace_id, channel.pk, day, {"posts": count})
                                        for day, count in per_day.items()])
        return found

    @staticmethod
    def facts_of_job(job) -> PostFacts:
        return PostFacts(published_at=job.published_at or job.due_at, remote_id=job.remote_id, job_id=job.pk,
                         text_length=len(job.sent_text) if job.sent_text else None)

    @staticmethod
    def _existing_posts(channel: Channel, facts: list[PostFacts]) -> dict:
        jobs = [f.job_id for f in facts if f.job_id]
        remote = [f.remote_id for f in facts if f.remote_id]
        keys = [f.import_key for f in facts if f.import_key]
        found = {}
        for post in PublishedPost.objects.filter(
                Q(job_id__in=jobs) | Q(remote_id__in=remote) | Q(import_key__in=keys), channel=channel):
            found[("job", post.job_id)] = post
            if post.remote_id:
                found[("remote", post.remote_id)] = post
            if post.import_key:
                found[("key", post.import_key)] = post
        found.pop(("job", None), None)
        return found

    @staticmethod
    def _follower_counts(channel: Channel, moments: list[datetime]) -> list[tuple[datetime, int]]:
        """(time, followers) of the channel's account snapshots around `moments`, in time order."""
        if not moments:
            return []
        return list(AccountSnapshot.objects.filter(
            channel=channel, followers__isnull=False, collected_at__gte=min(moments) - FOLLOWERS_WITHIN,
            collected_at__lte=max(moments) + FOLLOWERS_WITHIN).order_by("collected_at")
            .values_list("collected_at", "followers"))

    # Post snapshots -------------------------------------------------------------------------------------------

    def ingest_posts(self, readings: Iterable[PostReading]) -> int:
        """Store the new snapshots among `readings` and fold them into the rollups; returns how many were new."""
        return sum(self._ingest_post_batch(batch) for batch in _chunks(readings, BATCH))

    def _ingest_post_batch(self, batch: list[PostReading]) -> int:
        if connection.vendor == "postgresql":
            return _ingest_post_batch_set_based(batch)
        post_ids = {r.post_id for r in batch}
        with transaction.atomic():
            _roomy_cache()
            posts = {row[0]: row for row in PublishedPost.objects.filter(pk__in=post_ids).values_list(*_ROLLUP)}
            stored = set(PostSnapshot.objects.filter(
                post_id__in=post_ids, collected_at__gte=min(r.collected_at for r in batch),
                collected_at__lte=max(r.collected_at for r in batch)).values_list("post_id", "collected_at"))
            new = []
            for reading in batch:
                key = reading[:2]
                if key not in stored and reading.post_id in posts:
                    stored.add(key)
                    new.append(reading)
            if not new:
                return 0
            self._insert_post_snapshots(new, posts)
            self._roll_up_posts(new, posts)
        return len(new)

    @staticmethod
    def _insert_post_snapshots(new: list[PostReading], posts: dict) -> None:
        adapt = _Adapter()
        stored_as = {at: adapt(at) for at in {r[1] for r in new}}
        columns = ("post_id", "channel_id", "collected_at", *POST_COUNTERS)
        rows = [(r[0], posts[r[0]][1], stored_as[r[1]], *r[2:]) for r in new]
        places = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {_table(PostSnapshot)} ({', '.join(columns)}) VALUES ({places}) "
                               f"ON CONFLICT (post_id, collected_at) DO NOTHING", rows)

    def _roll_up_posts(self, new: list[PostReading], posts: dict) -> None:
        """Fold the new readings into each post's latest counters (a reading older than the latest only fills
        counters the post never had; a counter a newer one leaves out keeps its last reported value) and add the
        change to the post's day."""
        by_post: dict[int, list[PostReading]] = defaultdict(list)
        for reading in new:
            by_post[reading.post_id].append(reading)
        updates, day_changes = [], defaultdict(lambda: [None] * len(DAY_SUMS))
        adapt = _Adapter()
        for post_id, readings in by_post.items():
            _pk, channel_id, workspace_id, day, latest_at, *counters, interactions = posts[post_id]
            before = (*_summed_counters(counters), interactions)
            readings.sort(key=_collected_at)
            for reading in readings:
                if latest_at is None or reading.collected_at >= latest_at:
                    counters = [n if n is not None else o for n, o in zip(reading[2:], counters, strict=True)]
                    latest_at = reading.collected_at
                else:
                    counters = [o if o is not None else n for n, o in zip(reading[2:], counters, strict=True)]
            interactions = formulas.interactions(PostReading(0, latest_at, *counters))
            after = (*_summed_counters(counters), interactions)
            updates.append((adapt(latest_at), *counters, interactions, post_id))
            if after != before:
                change = day_changes[(channel_id, workspace_id, day)]
                for i, (old, now) in enumerate(zip(before, after, strict=True)):
                    if now is not None:  # a delta of 0 still says "reported": the day's sum is no longer missing
                        change[i] = (change[i] or 0) + now - (old or 0)
        assignments = ", ".join(f"{name} = %s" for name in ("collected_at", *POST_COUNTERS, "interactions"))
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {_table(PublishedPost)} SET {assignments} WHERE id = %s", updates)
        self._upsert_days("sums", [(workspace_id, channel_id, day, dict(zip(DAY_SUMS, change, strict=True)))
                                   for (channel_id, workspace_id, day), change in day_changes.items()])

    # Account snapshots ----------------------------------------------------------------------------------------

    def ingest_accounts(self, readings: Iterable[AccountReading]) -> int:
        return sum(self._ingest_account_batch(batch) for batch in _chunks(readings, BATCH))

    def _ingest_account_batch(self, batch: list[AccountReading]) -> int:
        channel_ids = {r.channel_id for r in batch}
        with transaction.atomic():
            stored = set(AccountSnapshot.objects.filter(
                channel_id__in=channel_ids, collected_at__gte=min(r.collected_at for r in batch),
                collected_at__lte=max(r.collected_at for r in batch)).values_list("channel_id", "collected_at"))
            new = []
            for reading in batch:
                if (reading.channel_id, reading.collected_at) not in stored:
                    stored.add((reading.channel_id, reading.collected_at))
                    new.append(reading)
            if not new:
                return 0
            adapt = _Adapter()
            columns = ("channel_id", "collected_at", "followers", "following", "posts", "followers_gained",
                       "followers_lost", "followers_day")
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {_table(AccountSnapshot)} ({', '.join(columns)}) "
                    f"VALUES ({', '.join(['%s'] * len(columns))}) ON CONFLICT (channel_id, collected_at) DO NOTHING",
                    [(r.channel_id, adapt(r.collected_at), r.followers, r.following, r.posts, r.followers_gained,
                      r.followers_lost, connection.ops.adapt_datefield_value(r.followers_day)) for r in new])
            where = {pk: (workspace_id, ZoneInfo(zone)) for pk, workspace_id, zone in Channel.objects.filter(
                pk__in=channel_ids).values_list("pk", "workspace_id", "workspace__timezone")}
            self._roll_up_accounts(new, where)
        return len(new)

    def _roll_up_accounts(self, readings: list[AccountReading], where: dict[int, tuple[int, ZoneInfo]]) -> None:
        """Each reading's day takes its follower count and its new and lost followers when it is the day's latest;
        its audience goes to its day; posts near it take its count."""
        def local_day(r: AccountReading) -> date:
            return r.collected_at.astimezone(where[r.channel_id][1]).date()

        counted = [r for r in readings if r.followers is not None]
        self._upsert_days("followers", [(where[r.channel_id][0], r.channel_id, local_day(r),
                                         {"followers": r.followers, "followers_at": r.collected_at})
                                        for r in counted])
        self._upsert_days("gained", [
            (where[r.channel_id][0], r.channel_id, r.followers_day or local_day(r),
             {"followers_gained": r.followers_gained, "followers_lost": r.followers_lost, "gained_at": r.collected_at})
            for r in readings if r.followers_gained is not None or r.followers_lost is not None])
        self._keep_audiences([(where[r.channel_id][0], r, local_day(r)) for r in readings if r.audience])
        self._offer_followers(counted)

    @staticmethod
    def _keep_audiences(readings: list[tuple[int, AccountReading, date]]) -> None:
        """The latest audience of each channel's day, its buckets as text (the largest BUCKETS_KEPT of each)."""
        latest: dict[tuple[int, date], tuple[int, AccountReading]] = {}
        for workspace_id, reading, day in readings:
            held = latest.get((reading.channel_id, day))
            if held is None or reading.collected_at >= held[1].collected_at:
                latest[(reading.channel_id, day)] = (workspace_id, reading)
        if not latest:
            return
        stored = {(channel_id, day): at for channel_id, day, at in AudienceDay.objects.filter(
            channel_id__in={key[0] for key in latest}, day__in={key[1] for key in latest}).values_list(
            "channel_id", "day", "collected_at")}
        rows = [AudienceDay(workspace_id=workspace_id, channel_id=channel_id, day=day,
                            collected_at=reading.collected_at, breakdown=_clean_audience(reading.audience))
                for (channel_id, day), (workspace_id, reading) in latest.items()
                if (channel_id, day) not in stored or reading.collected_at >= stored[(channel_id, day)]]
        AudienceDay.objects.bulk_create(rows, batch_size=500, update_conflicts=True, unique_fields=["channel", "day"],
                                        update_fields=["collected_at", "breakdown"])

    @staticmethod
    def _offer_followers(readings: list[AccountReading]) -> None:
        """Posts within a day of these counts take the nearest one when it is nearer than the one they have."""
        if not readings:
            return
        counts = defaultdict(list)
        for reading in sorted(readings, key=lambda r: r.collected_at):
            counts[reading.channel_id].append((reading.collected_at, reading.followers))
        changed = []
        for pk, channel_id, published_at, had_gap in PublishedPost.objects.filter(
                channel_id__in=counts, published_at__gte=min(r.collected_at for r in readings) - FOLLOWERS_WITHIN,
                published_at__lte=max(r.collected_at for r in readings) + FOLLOWERS_WITHIN).values_list(
                "pk", "channel_id", "published_at", "followers_gap"):
            followers, gap = _nearest(counts[channel_id], published_at)
            if gap is not None and (had_gap is None or gap < had_gap):
                changed.append((followers, gap, pk))
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {_table(PublishedPost)} SET followers_at_post = %s, followers_gap = %s "
                               f"WHERE id = %s", changed)

    # Channel days ---------------------------------------------------------------------------------------------

    @staticmethod
    def _upsert_days(what: str, days: list[tuple[int, int, date, dict]]) -> None:
        """Add to a channel's days: "posts" and "sums" add (a NULL sum stays NULL until something is reported);
        "followers" and "gained" keep what the day's latest reading said."""
        if not days:
            return
        table = _table(ChannelDay)
        adapt = _Adapter()
        update = _day_update(what)
        if what in LATEST_OF_DAY:
            columns = (*LATEST_OF_DAY[what], _AT[what])
        elif what == "posts":
            columns = ("posts",)
        else:
            columns = DAY_SUMS
        rows = []
        for workspace_id, channel_id, day, values in days:
            row = [workspace_id, channel_id, connection.ops.adapt_datefield_value(day)]
            row += [adapt(values[c]) if c in _AT.values() else values[c] for c in columns]
            if what != "posts":
                row.append(0)
            rows.append(row)
        all_columns = ("workspace_id", "channel_id", "day", *columns, *(() if what == "posts" else ("posts",)))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(all_columns)}) VALUES ({', '.join(['%s'] * len(all_columns))}) "
                f"ON CONFLICT (channel_id, day) DO UPDATE SET {update}", rows)

    # Rebuilding ---------------------------------------------------------------------------------------------

    def rebuild(self, channel: Channel) -> int:
        """Recompute the channel's rollups from its raw snapshots (after a time-zone change or an upgrade)."""
        zone = ZoneInfo(channel.workspace.timezone)
        with transaction.atomic():
            ChannelDay.objects.filter(channel=channel).delete()
            posts = list(PublishedPost.objects.filter(channel=channel))
            per_day: dict[date, int] = defaultdict(int)
            for post in posts:
                local = post.published_at.astimezone(zone)
                post.local_day, post.local_hour, post.local_weekday = local.date(), local.hour, local.weekday()
                post.collected_at = post.interactions = None
                for name in POST_COUNTERS:
                    setattr(post, name, None)
                if post.followers_reported is None:
                    post.followers_at_post = post.followers_gap = None
                per_day[post.local_day] += 1
            PublishedPost.objects.bulk_update(posts, ["local_day", "local_hour", "local_weekday", "collected_at",
                                                      "interactions", "followers_at_post", "followers_gap",
                                                      *POST_COUNTERS], batch_size=500)
            self._upsert_days("posts", [(channel.workspace_id, channel.pk, day, {"posts": count})
                                        for day, count in per_day.items()])
            # The audience days stay as they are: their snapshots are the days themselves.
            readings = [AccountReading(s.channel_id, s.collected_at, s.followers, followers_gained=s.followers_gained,
                                       followers_lost=s.followers_lost, followers_day=s.followers_day)
                        for s in AccountSnapshot.objects.filter(channel=channel).order_by("collected_at")]
            self._roll_up_accounts(readings, {channel.pk: (channel.workspace_id, zone)})
            snapshots = PostSnapshot.objects.filter(post__channel=channel).order_by("collected_at").values_list(
                "post_id", "collected_at", *POST_COUNTERS)
            for batch in _chunks(snapshots.iterator(chunk_size=BATCH), BATCH):
                readings = [PostReading(*row) for row in batch]
                rows = {row[0]: row for row in PublishedPost.objects.filter(
                    pk__in={r.post_id for r in readings}).values_list(*_ROLLUP)}
                self._roll_up_posts(readings, rows)
        return len(posts)

    # Reading ------------------------------------------------------------------------------------------------

    @staticmethod
    def days(channel_ids: list[int], first: date, last: date):
        return ChannelDay.objects.filter(channel_id__in=channel_ids, day__gte=first, day__lte=last).order_by("day")

    @staticmethod
    def latest_audiences(channel_ids: list[int], first: date, last: date) -> list[AudienceDay]:
        """Each channel's latest audience day within first..last (channels with none are left out)."""
        inside = AudienceDay.objects.filter(channel_id__in=channel_ids, day__gte=first, day__lte=last)
        latest = inside.values("channel_id").annotate(last=Max("day")).values_list("channel_id", "last")
        if not latest:
            return []
        return list(inside.filter(reduce(or_, (Q(channel_id=pk, day=day) for pk, day in latest))))

    @staticmethod
    def posts(channel_ids: list[int], first: date | None = None, last: date | None = None):
        found = PublishedPost.objects.filter(channel_id__in=channel_ids)
        if first is not None:
            found = found.filter(local_day__gte=first)
        if last is not None:
            found = found.filter(local_day__lte=last)
        return found


def _day_update(what: str) -> str:
    """The `ON CONFLICT (channel_id, day) DO UPDATE SET` clause that adds `excluded` to a channel's day."""
    table = _table(ChannelDay)
    if what in LATEST_OF_DAY:  # the day's latest reading wins, whichever arrives first
        at = _AT[what]
        newer = f"{table}.{at} IS NULL OR excluded.{at} >= {table}.{at}"
        return ", ".join(f"{c} = CASE WHEN {newer} THEN excluded.{c} ELSE {table}.{c} END"
                         for c in (*LATEST_OF_DAY[what], at))
    if what == "posts":
        return f"posts = {table}.posts + excluded.posts"
    return ", ".join(f"{c} = CASE WHEN excluded.{c} IS NULL THEN {table}.{c} "
                     f"ELSE COALESCE({table}.{c}, 0) + excluded.{c} END" for c in DAY_SUMS)


# PostgreSQL: set-based post ingest ------------------------------------------------------------------------------
# One statement per row costs PostgreSQL a parse, a plan and a round trip each (about 11,000 rows/s); instead a
# batch is COPYed into a session-private staging table and folded by one statement, with the same results as
# `_roll_up_posts` (the analytics stories run on both databases).

_STAGING = "analytics_post_readings"


def _ingest_post_batch_set_based(batch: list[PostReading]) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        # Temporary: private to this connection and not WAL-logged.
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} (post_id bigint, collected_at timestamptz, "
                       f"{', '.join(f'{c} bigint' for c in POST_COUNTERS)})")
        cursor.execute(f"TRUNCATE {_STAGING}")
        staged = set()
        with cursor.copy(f"COPY {_STAGING} FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "timestamptz", *["int8"] * len(POST_COUNTERS)])
            for reading in batch:
                if reading[:2] not in staged:  # of two readings for the same post and time the first counts
                    staged.add(reading[:2])
                    copy.write_row(reading)
        # The posts' rows stay locked until commit, in one order: a concurrent ingest of the same posts waits
        # here and then sees this one's snapshots, so the insert below needs no ON CONFLICT (a third of its cost).
        # The ids go as an array so that the posts are found by their index however many there are.
        post_ids = sorted({post_id for post_id, _at in staged})
        cursor.execute(f"SELECT id FROM {_table(PublishedPost)} WHERE id = ANY(%s::bigint[]) ORDER BY id "
                       f"FOR NO KEY UPDATE", [post_ids])
        cursor.execute(_set_based_ingest_sql(), {"posts": post_ids})
        return cursor.fetchone()[0]


@cache
def _set_based_ingest_sql() -> str:
    """Insert the staged readings that are new (of posts that exist, not stored before: RETURNING gives the rollups
    only those), fold them into their posts and add the changes to the posts' days.

    A post's counter becomes the last one reported by a reading at or after the post's latest, else stays, else
    takes the first one reported by an older reading: what `_roll_up_posts` gets reading by reading. `max`/`min`
    over [time in µs, value] pick them without sorting each post's readings."""
    posts, snapshots, days = _table(PublishedPost), _table(PostSnapshot), _table(ChannelDay)
    counters = ", ".join(POST_COUNTERS)
    newer = "(p.collected_at IS NULL OR new.collected_at >= p.collected_at)"
    folded = ", ".join(
        f"COALESCE((max(ARRAY[new.at_us, new.{c}]) FILTER (WHERE new.{c} IS NOT NULL AND {newer}))[2], p.{c}, "
        f"(min(ARRAY[new.at_us, new.{c}]) FILTER (WHERE new.{c} IS NOT NULL AND NOT {newer}))[2]) AS {c}"
        for c in POST_COUNTERS)
    parts = formulas.INTERACTION_PARTS
    interactions = (f"COALESCE(total_interactions, CASE WHEN {' AND '.join(f'{c} IS NULL' for c in parts)} "
                    f"THEN NULL ELSE {' + '.join(f'COALESCE({c}, 0)' for c in parts)} END)")
    # A NULL change leaves the day's sum as it was; sum() skips the posts that still lack the counter.
    changes = ", ".join(f"sum({c} - COALESCE(was_{c}, 0))" for c in DAY_SUMS)
    held = ("id", "workspace_id", "channel_id", "local_day", "collected_at", *POST_COUNTERS, "interactions")
    return f"""
        WITH post AS MATERIALIZED (
            SELECT {', '.join(held)} FROM {posts} WHERE id = ANY(%(posts)s::bigint[])
        ), new AS (
            INSERT INTO {snapshots} (post_id, channel_id, collected_at, {counters})
            SELECT r.post_id, p.channel_id, r.collected_at, {', '.join(f'r.{c}' for c in POST_COUNTERS)}
            FROM {_STAGING} r JOIN post p ON p.id = r.post_id
            WHERE NOT EXISTS (SELECT FROM {snapshots} s WHERE s.post_id = r.post_id AND s.collected_at = r.collected_at)
            RETURNING post_id, collected_at, {counters},
                (extract(epoch FROM collected_at) * 1000000)::bigint AS at_us
        ), folded AS (
            SELECT p.id, p.workspace_id, p.channel_id, p.local_day,
                GREATEST(p.collected_at, max(new.collected_at)) AS collected_at, {folded},
                {', '.join(f'p.{c} AS was_{c}' for c in DAY_SUMS)}
            FROM new JOIN post p ON p.id = new.post_id
            GROUP BY {', '.join(f'p.{c}' for c in held)}
        ), rolled AS (
            SELECT *, {interactions} AS interactions FROM folded
        ), updated AS (
            UPDATE {posts} p SET collected_at = rolled.collected_at,
                {', '.join(f'{c} = rolled.{c}' for c in (*POST_COUNTERS, 'interactions'))}
            FROM rolled WHERE p.id = rolled.id AND p.id = ANY(%(posts)s::bigint[])
        ), summed AS (
            INSERT INTO {days} (workspace_id, channel_id, day, {', '.join(DAY_SUMS)}, posts)
            SELECT workspace_id, channel_id, local_day, {changes}, 0
            FROM rolled
            WHERE ({', '.join(DAY_SUMS)}) IS DISTINCT FROM ({', '.join(f'was_{c}' for c in DAY_SUMS)})
            GROUP BY workspace_id, channel_id, local_day
            ON CONFLICT (channel_id, day) DO UPDATE SET {_day_update("sums")}
        )
        SELECT count(*) FROM new"""


def _roomy_cache() -> None:
    """SQLite's default 2 MB page cache makes every insert into a large index a disk read; ingest is the one place
    that writes millions of rows, so its connection gets 128 MB (a no-op once set)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -131072")


def _nearest(counts: list[tuple[datetime, int]], at: datetime) -> tuple[int | None, int | None]:
    """The count nearest to `at` within FOLLOWERS_WITHIN among time-ordered (time, followers), and its gap (s)."""
    at_or_after = bisect_left(counts, (at,))
    candidates = counts[max(at_or_after - 1, 0):at_or_after + 1]
    best = min(candidates, key=lambda c: abs(c[0] - at), default=None)
    if best is None or abs(best[0] - at) > FOLLOWERS_WITHIN:
        return None, None
    return best[1], int(abs(best[0] - at).total_seconds())


class _Adapter:
    """Datetimes as the database backend stores them, each distinct one adapted once per batch."""

    def __init__(self):
        self.seen: dict = {}

    def __call__(self, value):
        if value is None:
            return None
        if value not in self.seen:
            self.seen[value] = connection.ops.adapt_datetimefield_value(value)
        return self.seen[value]


store = MetricsStore()
