"""The sandbox's audience reacts to a post over days, the same way every time it is replayed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chorus.conftest import BUSY_PAGE_NOW
from chorus.sandbox import audience
from chorus.sandbox import comment_templates as voices
from chorus.sandbox.models import SandboxComment, SandboxFollowerDay, SandboxPost
from chorus.sandbox.network import create_post, delete_post, open_account
from chorus.sandbox.tasks import simulate_audience


@pytest.fixture
def published(db):
    """A coffee shop's sandbox page with 3,000 followers and one post made this morning."""
    now = timezone.now()
    account = open_account("Coffee VK (sandbox)", seed=42, followers=3000, created_at=now - timedelta(days=30))
    post = create_post(account, text="Новый сорт эфиопии уже в кофейне ☕ Пробовали?", media_count=1,
                       idempotency_key="k1", at=now - timedelta(hours=1))
    return account, post, now


def counters(post: SandboxPost) -> tuple:
    post.refresh_from_db()
    return post.views, post.likes, post.reposts, post.comments


def test_counters_grow_with_age_and_settle_after_three_days(published):
    _account, post, now = published
    seen = []
    for hours in (2, 12, 24, 72, 96):
        audience.settle_posts([post], post.created_at + timedelta(hours=hours))
        seen.append(counters(post))
    views = [s[0] for s in seen]
    assert views == sorted(views) and views[0] < views[2] < views[3]
    assert views[0] > 0
    assert views[4] - views[3] < views[3] * 0.03  # nearly everyone who will see it has seen it after 3 days
    assert all(likes <= v for v, likes, _r, _c in seen)


def test_replaying_the_same_moment_gives_the_same_numbers_and_no_new_comments(published):
    _account, post, now = published
    later = post.created_at + timedelta(days=2)
    audience.settle_posts([post], later)
    first, comments = counters(post), list(SandboxComment.objects.values_list("remote_id", "text", "author_name"))
    assert audience.settle_posts([post], later) == 0
    assert counters(post) == first
    assert list(SandboxComment.objects.values_list("remote_id", "text", "author_name")) == comments
    assert post.comments == len(comments)


def test_comments_arrive_over_time_in_the_post_language(published):
    _account, post, now = published
    audience.settle_posts([post], post.created_at + timedelta(hours=3))
    early = SandboxComment.objects.count()
    audience.settle_posts([post], post.created_at + timedelta(days=3))
    comments = list(SandboxComment.objects.all())
    assert len(comments) > early
    assert all(c.created_at <= post.created_at + timedelta(days=3) for c in comments)
    russian = [c for c in comments if c.language == "ru"]
    assert len(russian) > len(comments) / 2  # a Russian post draws mostly Russian comments


def test_the_beat_task_updates_recent_posts_and_todays_followers(published):
    account, post, now = published
    assert simulate_audience(now.isoformat()) >= 0
    once = counters(post)
    simulate_audience(now.isoformat())
    assert counters(post) == once
    assert once[0] > 0
    days = SandboxFollowerDay.objects.filter(account=account)
    assert days.count() == 31 and days.filter(day=now.date()).exists()
    today = days.get(day=now.date())
    yesterday = days.get(day=now.date() - timedelta(days=1))
    assert today.followers == yesterday.followers + today.joined - today.left


def test_a_different_seed_is_a_different_audience(db):
    now = timezone.now()
    views = []
    for seed in (1, 2):
        account = open_account(f"page {seed}", seed=seed, followers=3000, created_at=now - timedelta(days=5))
        post = create_post(account, text="Same text", media_count=0, idempotency_key="", at=now - timedelta(days=4))
        audience.settle_posts([post], now)
        views.append(counters(post)[0])
    assert views[0] != views[1]


def test_a_busy_week_is_settled_a_few_posts_at_a_time_with_the_same_audience(db, monkeypatch):
    """A page that posted a lot this week: each tick holds a few of its posts at a time, and the audience it
    gets is the one it would get with all of them at once."""
    now = timezone.now()
    account = open_account("Busy page (sandbox)", seed=7, followers=20000, created_at=now - timedelta(days=30))
    week = [create_post(account, text=f"Новинка недели №{n}: что скажете?", media_count=1, idempotency_key="",
                        at=now - timedelta(hours=7 * n + 2)) for n in range(5)]
    create_post(account, text="Old news", media_count=0, idempotency_key="", at=now - timedelta(days=9))
    removed = create_post(account, text="Oops", media_count=0, idempotency_key="", at=now - timedelta(hours=1))
    delete_post(account, removed.remote_id)

    assert [[p.pk for p in chunk] for chunk in audience.recent_posts_in_chunks(now, 2)] == [
        [week[0].pk, week[1].pk], [week[2].pk, week[3].pk], [week[4].pk]]

    audience.settle_posts(week, now)  # all at once
    at_once = [counters(post) for post in week], comments_of(account)
    SandboxComment.objects.all().delete()
    SandboxPost.objects.update(views=0, likes=0, reposts=0, comments=0)
    monkeypatch.setattr(audience, "SETTLE_CHUNK", 2)
    audience.simulate(now)
    assert ([counters(post) for post in week], comments_of(account)) == at_once
    assert sum(c[3] for c in at_once[0]) > 0


def comments_of(account) -> list[tuple]:
    return list(SandboxComment.objects.filter(post__account=account).order_by("remote_id")
                .values_list("remote_id", "text", "created_at"))


def test_each_regular_writes_in_character_so_their_history_reads_like_one_person(db):
    # A fixed moment: the audience is a function of the posts' times, so every run reads the same week.
    now = BUSY_PAGE_NOW
    account = open_account("Coffee VK (sandbox)", seed=42, followers=20000, created_at=now - timedelta(days=30))
    posts = [create_post(account, text=f"День {day}: новый десерт в меню", media_count=0, idempotency_key=f"d{day}",
                         at=now - timedelta(days=day, hours=2)) for day in range(1, 8)]
    audience.settle_posts(posts, now)
    kinds_by_person = {}
    for name, kind in SandboxComment.objects.values_list("author_name", "kind"):
        kinds_by_person.setdefault(name, []).append(kind)
    character = {name: who for people in voices.CHARACTERS.values() for who, names in people.items() for name in names}
    for name, kinds in kinds_by_person.items():
        if name in character:
            assert set(kinds) <= voices.WRITES[character[name]], name
    fans = [name for name in kinds_by_person if character.get(name) == "fan"]
    assert fans and not any("complaint" in kinds_by_person[name] for name in fans)
    # A troll comes back: more abusive comments from the regulars than there are trolls among them.
    trolls = [name for name in kinds_by_person if character.get(name) == "troll"]
    abuse = sum(kinds_by_person[name].count("abuse") for name in kinds_by_person if name in character)
    assert abuse == sum(kinds_by_person[name].count("abuse") for name in trolls) > len(trolls)
