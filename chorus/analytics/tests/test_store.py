"""What the store promises an analyst: a snapshot counts once, numbers are kept as the network said them, a rate
uses the followers of the post's day, hours are the channel's own, and nothing missing turns into a zero."""

from datetime import UTC, date, datetime, timedelta

import pytest

from chorus.analytics import formulas, services
from chorus.analytics.models import DAY_SUMS, POST_COUNTERS, ChannelDay, PostSnapshot, PublishedPost
from chorus.analytics.store import AccountReading, PostFacts, PostReading, store

NOON = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def a_post(channel, at=NOON, remote_id="p1", **facts):
    return store.register(channel, [PostFacts(published_at=at, remote_id=remote_id, **facts)])[0]


def day_of(channel, post):
    return ChannelDay.objects.get(channel=channel, day=PublishedPost.objects.get(pk=post.pk).local_day)


def test_the_same_snapshot_ingested_twice_changes_nothing(channel):
    post = a_post(channel)
    readings = [PostReading(post.pk, NOON + timedelta(minutes=30), views=100, likes=7, reach=80),
                PostReading(post.pk, NOON + timedelta(hours=1), views=150, likes=9, reach=120)]
    assert store.ingest_posts(readings) == 2
    before = (list(PublishedPost.objects.values()), list(ChannelDay.objects.values()))
    assert store.ingest_posts(readings) == 0
    assert store.ingest_posts([readings[0]]) == 0
    assert (list(PublishedPost.objects.values()), list(ChannelDay.objects.values())) == before
    assert PostSnapshot.objects.count() == 2
    day = day_of(channel, post)
    assert (day.posts, day.views, day.likes, day.reach, day.interactions) == (1, 150, 9, 120, 9)


def test_counters_that_go_down_are_kept_as_reported_in_the_raw_history_and_the_rollups(channel):
    post = a_post(channel)
    store.ingest_posts([PostReading(post.pk, NOON + timedelta(minutes=30), likes=7)])
    store.ingest_posts([PostReading(post.pk, NOON + timedelta(hours=1), likes=5)])  # two likes taken back
    assert list(PostSnapshot.objects.order_by("collected_at").values_list("likes", flat=True)) == [7, 5]
    assert PublishedPost.objects.get(pk=post.pk).likes == 5 and day_of(channel, post).likes == 5


def test_a_late_arriving_older_snapshot_does_not_overwrite_the_latest_counts(channel):
    post = a_post(channel)
    store.ingest_posts([PostReading(post.pk, NOON + timedelta(hours=2), likes=9, views=200)])
    store.ingest_posts([PostReading(post.pk, NOON + timedelta(hours=1), likes=4, views=100, reach=90)])
    rollup = PublishedPost.objects.get(pk=post.pk)
    # The older one only fills what was never reported.
    assert (rollup.likes, rollup.views, rollup.reach) == (9, 200, 90)
    assert day_of(channel, post).reach == 90


def test_a_counter_a_later_snapshot_leaves_out_keeps_its_last_value(channel):
    post = a_post(channel)
    store.ingest_posts([PostReading(post.pk, NOON + timedelta(hours=1), views=100, likes=5, reach=80)])
    store.ingest_posts([PostReading(post.pk, NOON + timedelta(hours=2), views=150, reach=120)])  # likes not given
    assert list(PostSnapshot.objects.order_by("collected_at").values_list("likes", flat=True)) == [5, None]
    rollup = PublishedPost.objects.get(pk=post.pk)
    assert (rollup.views, rollup.likes, rollup.reach, rollup.interactions) == (150, 5, 120, 5)
    day = day_of(channel, post)
    assert (day.views, day.likes, day.reach, day.interactions) == (150, 5, 120, 5)


def test_a_catch_up_batch_folds_older_and_newer_readings_of_a_post_at_once(channel):
    """A history import or a collector catching up hands over many readings of one post at once, out of order."""
    at = [NOON + timedelta(hours=h) for h in range(5)]
    post = a_post(channel)
    store.ingest_posts([PostReading(post.pk, at[2], views=200, comments=2)])
    batch = [PostReading(post.pk, at[3], views=300, reach=200),
             PostReading(post.pk, at[1], views=100, likes=4, saves=1, comments=1),
             PostReading(post.pk, at[3], views=999, likes=999),  # the same moment twice: the first one counts
             PostReading(post.pk, at[0], clicks=7),
             PostReading(post.pk, at[4], views=350, likes=9, total_interactions=30),
             PostReading(post.pk + 1000, at[4], likes=1)]  # a post the store does not know
    assert store.ingest_posts(batch) == 4
    assert PostSnapshot.objects.get(collected_at=at[3]).views == 300
    rollup = PublishedPost.objects.get(pk=post.pk)
    # Older readings only fill what the post never had; newer ones replace what they give.
    assert rollup.collected_at == at[4]
    assert [getattr(rollup, c) for c in (*POST_COUNTERS, "interactions")] == [350, 9, None, 2, 200, 1, 7, 30, 30]
    day = day_of(channel, post)
    assert [day.posts, *(getattr(day, c) for c in DAY_SUMS)] == [1, 350, 9, None, 2, 200, 1, 7, 30]
    assert store.ingest_posts(batch) == 0
    assert [getattr(day_of(channel, post), c) for c in DAY_SUMS] == [350, 9, None, 2, 200, 1, 7, 30]


def test_er_by_followers_uses_the_followers_of_the_posts_day_not_todays(channel):
    store.ingest_accounts([AccountReading(channel.pk, NOON - timedelta(hours=3), followers=1000)])
    early = a_post(channel, remote_id="early")
    store.ingest_accounts([AccountReading(channel.pk, NOON + timedelta(days=20), followers=5000)])
    later = a_post(channel, at=NOON + timedelta(days=20, hours=1), remote_id="later")
    store.ingest_posts([PostReading(early.pk, NOON + timedelta(hours=1), likes=10, comments=5, reposts=5),
                        PostReading(later.pk, NOON + timedelta(days=20, hours=2), likes=10, comments=5, reposts=5)])
    early, later = PublishedPost.objects.get(pk=early.pk), PublishedPost.objects.get(pk=later.pk)
    er = formulas.METRICS["er-followers"]
    assert (early.followers_at_post, later.followers_at_post) == (1000, 5000)
    assert er.of(early) == pytest.approx(2.0) and er.of(later) == pytest.approx(0.4)
    # A count taken nearer to the post, arriving later, replaces the farther one.
    store.ingest_accounts([AccountReading(channel.pk, NOON + timedelta(minutes=10), followers=1010)])
    assert PublishedPost.objects.get(pk=early.pk).followers_at_post == 1010
    pooled = formulas.average(er, [PublishedPost.objects.get(pk=early.pk), later], formulas.POOLED)
    assert pooled.value == pytest.approx(40 / 6010 * 100) and pooled.inputs == {"sum of interactions": 40,
                                                                 "sum of followers_at_post": 6010}


def test_hours_are_the_workspaces_wall_clock_on_both_sides_of_a_clock_change(owner, workspace, channel):
    workspace.timezone = "Europe/Berlin"
    workspace.save()
    channel.refresh_from_db()
    # 10:30 in Berlin: UTC+1 before the clocks go forward on 29 March 2026, UTC+2 after.
    before = a_post(channel, at=datetime(2026, 3, 28, 9, 30, tzinfo=UTC), remote_id="before")
    after = a_post(channel, at=datetime(2026, 3, 30, 8, 30, tzinfo=UTC), remote_id="after")
    store.ingest_posts([PostReading(before.pk, datetime(2026, 3, 28, 12, tzinfo=UTC), reach=100, likes=5),
                        PostReading(after.pk, datetime(2026, 3, 30, 12, tzinfo=UTC), reach=100, likes=7)])
    table = services.channel_breakdown(owner, workspace, channel.pk, "hour", "er-reach", "per-post")
    assert [(c.key, c.n) for c in table.cells] == [(10, 2)]
    weekdays = services.channel_breakdown(owner, workspace, channel.pk, "weekday", "er-reach", "per-post")
    assert [(c.key, c.n, c.value) for c in weekdays.cells] == [("Mon", 1, pytest.approx(7.0)),
                                                               ("Sat", 1, pytest.approx(5.0))]
    # The workspace moves to Moscow (UTC+3): after a rebuild the same instants fall at 12 and 11.
    workspace.timezone = "Europe/Moscow"
    workspace.save()
    channel.refresh_from_db()
    store.rebuild(channel)
    table = services.channel_breakdown(owner, workspace, channel.pk, "hour", "er-reach", "per-post")
    assert [(c.key, c.n) for c in table.cells] == [(11, 1), (12, 1)]
    assert PublishedPost.objects.get(pk=after.pk).likes == 7


def test_a_metric_the_network_does_not_give_is_missing_never_zero(owner, workspace, channel):
    post = a_post(channel)
    store.ingest_posts([PostReading(post.pk, NOON + timedelta(hours=1), views=100, likes=4)])
    rollup = PublishedPost.objects.get(pk=post.pk)
    assert rollup.reach is None and rollup.interactions == 4
    assert formulas.METRICS["er-reach"].of(rollup) is None
    table = services.channel_breakdown(owner, workspace, channel.pk, "type", "er-reach", "pooled")
    assert [(c.key, c.n, c.posts, c.value) for c in table.cells] == [("unknown", 0, 1, None)]
    board = services.channel_dashboard(owner, workspace, channel.pk, date(2026, 11, 1), date(2026, 11, 30))
    figures = board["figures"]
    assert figures["reach"]["current"]["value"] is None and figures["views"]["current"]["value"] == 100
    assert figures["er-reach:pooled"]["current"]["value"] is None
    assert figures["er-views:pooled"]["current"]["value"] == pytest.approx(4.0)
    assert figures["followers"]["current"]["value"] is None  # no account snapshot yet: unknown, not 0
    assert figures["posts"]["previous"]["value"] == 0  # zero posts is a count, not a missing metric


def test_each_figure_says_how_it_is_computed(owner, workspace, channel):
    store.ingest_accounts([AccountReading(channel.pk, NOON, followers=2000)])
    posts = [a_post(channel, at=NOON + timedelta(hours=h), remote_id=f"p{h}") for h in (1, 2)]
    store.ingest_posts([PostReading(posts[0].pk, NOON + timedelta(hours=3), likes=30, reach=1000),
                        PostReading(posts[1].pk, NOON + timedelta(hours=3), likes=10, reach=100)])
    figures = services.channel_dashboard(owner, workspace, channel.pk, date(2026, 11, 1),
                                         date(2026, 11, 30))["figures"]
    per_post, pooled = figures["er-reach:per-post"]["current"], figures["er-reach:pooled"]["current"]
    assert per_post["value"] == pytest.approx((3.0 + 10.0) / 2) and "mean of per-post rates" in per_post["label"]
    assert pooled["value"] == pytest.approx(40 / 1100 * 100) and "pooled" in pooled["label"]
    assert pooled["inputs"] == {"sum of interactions": 40, "sum of reach": 1100} and pooled["n"] == 2
    assert "reach" in pooled["denominator"] and "Σ interactions / Σ reach" in pooled["formula"]
    explained = {m["metric"]: m for m in services.explain()}
    assert explained["er-followers"]["inputs"] == ["interactions", "followers_at_post"]


def test_the_workspace_dashboard_adds_its_channels_up_and_compares_with_the_previous_period(
        owner, workspace, channel, second_channel):
    for place, followers, likes, reach in ((channel, 1000, 30, 300), (second_channel, 3000, 10, 50)):
        store.ingest_accounts([AccountReading(place.pk, NOON - timedelta(days=40), followers=followers - 100),
                               AccountReading(place.pk, NOON, followers=followers)])
        post = a_post(place, remote_id=f"{place.pk}-now")
        old = a_post(place, at=NOON - timedelta(days=40), remote_id=f"{place.pk}-then")
        store.ingest_posts([PostReading(post.pk, NOON + timedelta(hours=1), likes=likes, reach=reach),
                            PostReading(old.pk, NOON - timedelta(days=39), likes=1, reach=100)])
    board = services.workspace_dashboard(owner, workspace, date(2026, 10, 20), date(2026, 11, 18))
    figures = board["figures"]
    assert figures["likes"]["current"]["value"] == 40 and figures["likes"]["previous"]["value"] == 2
    assert figures["likes"]["change"] == pytest.approx((40 - 2) / 2 * 100)
    assert figures["followers"]["current"]["value"] == 4000
    assert figures["followers-growth"]["current"]["inputs"] == {"start": 3800, "end": 4000}
    lines = {line["name"]: line["values"] for line in board["channels"]}
    assert lines[channel.name]["interactions"] == 30 and lines[second_channel.name]["followers"] == 3000
    assert board["ranked_by"] == "er-reach"  # ERR 20 % beats 10 %, though it has fewer likes
    assert [p["remote_id"] for p in board["top_posts"]] == [f"{second_channel.pk}-now", f"{channel.pk}-now"]
    assert [p["figure"]["value"] for p in board["bottom_posts"]] == [pytest.approx(10.0), pytest.approx(20.0)]
