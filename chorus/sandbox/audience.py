"""NET-SB's simulated audience: views, likes, reposts, comments and followers that react over time.

Everything is a pure function of the account's seed, the post (its text and publication time) and `now`, so
replaying gives the same numbers and running twice changes nothing. A post collects its audience along a saturating
curve: about two thirds in the first day, nearly all of it within three days.
"""

import hashlib
import math
import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from chorus.sandbox import comment_templates as voices
from chorus.sandbox.models import (
    SandboxAccount,
    SandboxAudienceDay,
    SandboxBan,
    SandboxComment,
    SandboxFollowerDay,
    SandboxMessage,
    SandboxPost,
)

SETTLE_HOURS = 18  # the time constant of the curve: 1 - e^(-72/18) ≈ 98% after three days
ACTIVE_DAYS = 7  # posts older than this no longer change
SETTLE_CHUNK = 200  # posts settled at a time: a busy week's posts and their comments are never all in memory
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
HOSTILE_NAME_SHARE = 0.04
OTHER_LANGUAGE_SHARE = 0.12
EDITED_SHARE = 0.04  # authors who come back to fix a typo or add a thought
DELETED_SHARE = 0.02  # authors who think better of it


def _rng(*parts) -> random.Random:
    key = "|".join(str(p) for p in parts)
    return random.Random(hashlib.sha256(key.encode()).digest())


def settled_share(age: timedelta) -> float:
    """The share of a post's final audience that has seen it after `age`."""
    hours = max(age.total_seconds(), 0) / 3600
    return 1 - math.exp(-hours / SETTLE_HOURS)


def _age_for_share(share: float) -> timedelta:
    return timedelta(hours=-SETTLE_HOURS * math.log(1 - share))


def hour_appeal(hour: int) -> float:
    """Morning and evening (UTC, close enough for Europe) find more readers than the night."""
    if 6 <= hour < 10 or 15 <= hour < 20:
        return 1.25
    if hour >= 22 or hour < 5:
        return 0.6
    return 1.0


def text_appeal(text: str, media_count: int) -> float:
    """Medium-length posts with an image do best; a wall of text or a one-liner less so."""
    length = len(text)
    appeal = 1.0 if 80 <= length <= 700 else 0.75
    appeal *= 1.3 if media_count else 1.0
    appeal *= 1.1 if "#" in text else 1.0
    return appeal


@dataclass(frozen=True)
class Outlook:
    """What a post will collect once fully settled."""

    views: int
    like_rate: float
    repost_rate: float
    comment_count: int


def outlook(post: SandboxPost, seed: int, followers: int) -> Outlook:
    rng = _rng(seed, "post", post.created_at.isoformat(), post.text)
    reach = followers * rng.uniform(0.25, 0.7) * rng.lognormvariate(0, 0.35)
    views = int(reach * hour_appeal(post.created_at.hour) * text_appeal(post.text, post.media_count))
    asks = "?" in post.text
    comment_rate = rng.uniform(0.004, 0.012) * (1.6 if asks else 1.0)
    return Outlook(views=views, like_rate=rng.uniform(0.02, 0.08), repost_rate=rng.uniform(0.002, 0.012),
                   comment_count=min(40, int(views * comment_rate) + rng.randint(0, 3)))


def post_language(text: str) -> str:
    return "ru" if CYRILLIC.search(text) else "en"


@dataclass(frozen=True)
class PlannedComment:
    """A comment as it will arrive, and what its author will later do to it, if anything."""

    comment: SandboxComment
    edit_at: datetime | None = None
    edited_text: str = ""
    delete_at: datetime | None = None


def _author(rng: random.Random, kind: str, language: str) -> str:
    if kind in ("bot", "spam"):
        return rng.choice(voices.BOT_AUTHORS)
    if rng.random() < HOSTILE_NAME_SHARE:
        return rng.choice(voices.HOSTILE_AUTHORS)
    # One draw from the whole audience as before, so every later draw (texts, times) stays the same.
    return voices.person_writing(language, kind, rng.randrange(len(voices.AUTHORS[language])))


def planned_comments(post: SandboxPost, seed: int, count: int) -> list[PlannedComment]:
    """Every comment this post will ever get, each with the moment it arrives (and is edited or deleted)."""
    home = post_language(post.text)
    other = "en" if home == "ru" else "ru"
    plans = []
    for number in range(count):
        rng = _rng(seed, "comment", post.created_at.isoformat(), post.text, number)
        language = other if rng.random() < OTHER_LANGUAGE_SHARE else home
        kind = rng.choices(voices.KINDS, voices.KIND_WEIGHTS)[0]
        author = _author(rng, kind, language)
        arrives = post.created_at + _age_for_share(rng.uniform(0.001, 0.985))
        text = voices.compose(rng, language, kind)
        comment = SandboxComment(post=post, remote_id=f"{post.remote_id}c{number}", author_id=voices.author_id(author),
                                 author_name=author, language=language, kind=kind, text=text, created_at=arrives)
        fate = rng.random()
        if fate < EDITED_SHARE:
            plans.append(PlannedComment(comment, edit_at=arrives + timedelta(hours=rng.uniform(0.1, 6)),
                                        edited_text=f"{text} {voices.compose(rng, language, kind)}"))
        elif fate < EDITED_SHARE + DELETED_SHARE:
            plans.append(PlannedComment(comment, delete_at=arrives + timedelta(hours=rng.uniform(0.1, 12))))
        else:
            plans.append(PlannedComment(comment))
    return plans


def _banned_authors(posts: list[SandboxPost]) -> dict[int, dict[str, datetime]]:
    bans = SandboxBan.objects.filter(account__in={p.account_id for p in posts})
    banned: dict[int, dict[str, datetime]] = {}
    for ban in bans:
        banned.setdefault(ban.account_id, {})[ban.author_id] = ban.banned_at
    return banned


def _arrives(plan: PlannedComment, now: datetime, banned: dict[str, datetime]) -> bool:
    comment = plan.comment
    return comment.created_at <= now and not (comment.author_id in banned
                                              and comment.created_at > banned[comment.author_id])


def _apply_authors_changes(plans: list[PlannedComment], now: datetime) -> None:
    """Authors edit or delete some of their comments after a while; each change is seen once."""
    for plan in plans:
        live = SandboxComment.objects.filter(remote_id=plan.comment.remote_id, deleted_at=None)
        if plan.edit_at and plan.edit_at <= now:
            live.filter(edited_at=None).update(text=plan.edited_text, edited_at=plan.edit_at,
                                               changed_at=timezone.now())
        if plan.delete_at and plan.delete_at <= now:
            live.update(deleted_at=plan.delete_at, changed_at=timezone.now())


def settle_posts(posts: list[SandboxPost], now: datetime) -> int:
    """Bring the posts' counters and comments up to `now`. Returns how many comments were added."""
    histories = {}
    banned = _banned_authors(posts)
    arrived_plans, changed = [], []
    for post in posts:
        account = post.account
        if account.pk not in histories:
            histories[account.pk] = {c.day: c.followers for c in follower_history(account, now.date())}
        followers = histories[account.pk].get(post.created_at.date(), account.followers_at_start)
        plan = outlook(post, account.seed, followers)
        share = settled_share(now - post.created_at)
        arrived = [p for p in planned_comments(post, account.seed, plan.comment_count)
                   if _arrives(p, now, banned.get(account.pk, {}))]
        counted = (post.views, post.likes, post.reposts, post.comments)
        post.views = int(plan.views * share)
        post.likes = int(post.views * plan.like_rate)
        post.reposts = int(post.views * plan.repost_rate)
        post.comments = len(arrived)
        if counted != (post.views, post.likes, post.reposts, post.comments):
            changed.append(post)
        arrived_plans += arrived
    with transaction.atomic():
        # Most of a week's posts gain nothing in a minute: only those whose counters moved are written.
        SandboxPost.objects.bulk_update(changed, ["views", "likes", "reposts", "comments"], batch_size=500)
        before = SandboxComment.objects.filter(post__in=posts).count()
        SandboxComment.objects.bulk_create([p.comment for p in arrived_plans], batch_size=500,
                                           ignore_conflicts=True)
        added = SandboxComment.objects.filter(post__in=posts).count() - before
        _apply_authors_changes([p for p in arrived_plans if p.edit_at or p.delete_at], now)
        return added


def recent_posts_in_chunks(now: datetime, size: int):
    """The posts of the last week that are still up, `size` at a time (by id, so a chunk's writes never move
    the next chunk's start)."""
    recent = (SandboxPost.objects.select_related("account").order_by("pk")
              .filter(created_at__gte=now - timedelta(days=ACTIVE_DAYS), created_at__lte=now, deleted_at=None))
    last = 0
    while chunk := list(recent.filter(pk__gt=last)[:size]):
        yield chunk
        last = chunk[-1].pk


def planned_messages(account: SandboxAccount, day: date) -> list[SandboxMessage]:
    """The direct messages people send the page on `day`: a few a day, more for a bigger page."""
    rng = _rng(account.seed, "messages", day.isoformat())
    latest = account.posts.order_by("-created_at").values_list("text", flat=True).first()
    home = post_language(latest) if latest else "ru"
    count = rng.randint(0, 2 + min(account.followers_at_start // 2000, 4))
    messages = []
    for number in range(count):
        language = "en" if rng.random() < OTHER_LANGUAGE_SHARE * 2 else home
        kind = rng.choices(voices.MESSAGE_KINDS, voices.MESSAGE_WEIGHTS)[0]
        author = _author(rng, kind, language)
        sent = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(seconds=rng.randint(0, 86399))
        messages.append(SandboxMessage(
            account=account, remote_id=f"{account.external_id}m{day:%Y%m%d}n{number}",
            author_id=voices.author_id(author), author_name=author, text=voices.compose(rng, language, kind),
            language=language, kind=kind, created_at=sent))
    return messages


def deliver_messages(account: SandboxAccount, now: datetime) -> int:
    """The messages of the last week that have been sent by `now`, from authors the page has not banned."""
    banned = dict(account.bans.values_list("author_id", "banned_at"))
    due = [m for offset in range(ACTIVE_DAYS, -1, -1)
           for m in planned_messages(account, (now - timedelta(days=offset)).date())
           if m.created_at <= now and not (m.author_id in banned and m.created_at > banned[m.author_id])]
    before = account.messages.count()
    SandboxMessage.objects.bulk_create(due, batch_size=500, ignore_conflicts=True)
    return account.messages.count() - before


@dataclass(frozen=True)
class FollowerCount:
    day: date
    followers: int
    joined: int
    left: int


def follower_history(account: SandboxAccount, until: date) -> list[FollowerCount]:
    """Day by day from the account's first day: a steady trend of its own, weekly rhythm and daily noise."""
    trend = _rng(account.seed, "trend")
    join_rate = trend.uniform(0.002, 0.007)
    leave_rate = trend.uniform(0.001, 0.003)
    followers = account.followers_at_start
    history = []
    day = account.created_at.date()
    while day <= until:
        rng = _rng(account.seed, "day", day.isoformat())
        weekend = 0.7 if day.weekday() >= 5 else 1.0
        joined = max(0, int(followers * join_rate * weekend * rng.lognormvariate(0, 0.4)))
        left = max(0, int(followers * leave_rate * rng.lognormvariate(0, 0.4)))
        followers = max(0, followers + joined - left)
        history.append(FollowerCount(day, followers, joined, left))
        day += timedelta(days=1)
    return history


# Who follows a page, by the page's language: each bucket's base share of the followers. Gender, age and country
# place every follower; the cities listed place only some (like a network's "top cities"), the rest live elsewhere.
AUDIENCE_PROFILES = {
    "ru": {
        "gender": {"female": 0.58, "male": 0.42},
        "age": {"13-17": 0.04, "18-24": 0.17, "25-34": 0.34, "35-44": 0.25, "45-54": 0.12, "55+": 0.08},
        "country": {"Россия": 0.82, "Казахстан": 0.05, "Беларусь": 0.04, "Узбекистан": 0.02, "Германия": 0.02,
                    "Израиль": 0.015, "США": 0.015, "Грузия": 0.015},
        "city": {"Москва": 0.38, "Санкт-Петербург": 0.14, "Новосибирск": 0.04, "Екатеринбург": 0.04,
                 "Казань": 0.035, "Нижний Новгород": 0.03, "Алматы": 0.025, "Минск": 0.025},
    },
    "en": {
        "gender": {"female": 0.52, "male": 0.48},
        "age": {"13-17": 0.05, "18-24": 0.22, "25-34": 0.31, "35-44": 0.21, "45-54": 0.12, "55+": 0.09},
        "country": {"United States": 0.41, "United Kingdom": 0.27, "Canada": 0.09, "Australia": 0.07, "India": 0.06,
                    "Ireland": 0.04, "Germany": 0.03, "Netherlands": 0.03},
        "city": {"London": 0.16, "New York": 0.09, "Manchester": 0.04, "Toronto": 0.04, "Los Angeles": 0.035,
                 "Sydney": 0.03, "Chicago": 0.025, "Dublin": 0.02},
    },
}
AUDIENCE_SWING = 0.15  # a bucket's weight swings ±15 % around the page's own base ...
AUDIENCE_SWING_DAYS = 180  # ... over about half a year: under 1 % of its share from one day to the next


def audience_of(account: SandboxAccount, day: date, followers: int) -> dict[str, dict[str, int]]:
    """The page's `followers` on `day` by gender, age, country and city, as counts. A pure function of the seed
    and the day: each page leans its own way from its language's profile (the language of its name), and drifts
    slowly along a wave of its own."""
    profile = AUDIENCE_PROFILES[post_language(account.name)]
    breakdown = {}
    for dimension, shares in profile.items():
        weights = {}
        for bucket, share in shares.items():
            rng = _rng(account.seed, "audience", dimension, bucket)
            lean, phase = rng.uniform(0.7, 1.3), rng.uniform(0, 2 * math.pi)
            swing = 1 + AUDIENCE_SWING * math.sin(2 * math.pi * day.toordinal() / AUDIENCE_SWING_DAYS + phase)
            weights[bucket] = share * lean * swing
        placed = round(followers * sum(shares.values()))
        breakdown[dimension] = _apportion(weights, placed)
    return breakdown


def _apportion(weights: dict[str, float], total: int) -> dict[str, int]:
    """`total` split in proportion to `weights`, in whole people that add up to it (largest remainders)."""
    whole = sum(weights.values())
    exact = {bucket: total * weight / whole for bucket, weight in weights.items()}
    counts = {bucket: int(value) for bucket, value in exact.items()}
    by_remainder = sorted(exact, key=lambda bucket: exact[bucket] - counts[bucket], reverse=True)
    for bucket in by_remainder[:total - sum(counts.values())]:
        counts[bucket] += 1
    return counts


def record_follower_days(account: SandboxAccount, until: date) -> None:
    """Write the days up to `until` (followers and who they are), starting again from the last one written (the
    same numbers again)."""
    last = account.follower_days.order_by("-day").values_list("day", flat=True).first()
    counts = [c for c in follower_history(account, until) if last is None or c.day >= last]
    rows = [SandboxFollowerDay(account=account, day=c.day, followers=c.followers, joined=c.joined, left=c.left)
            for c in counts]
    SandboxFollowerDay.objects.bulk_create(rows, batch_size=500, update_conflicts=True,
                                           unique_fields=["account", "day"],
                                           update_fields=["followers", "joined", "left"])
    audiences = [SandboxAudienceDay(account=account, day=c.day, breakdown=audience_of(account, c.day, c.followers))
                 for c in counts]
    SandboxAudienceDay.objects.bulk_create(audiences, batch_size=500, update_conflicts=True,
                                           unique_fields=["account", "day"], update_fields=["breakdown"])


def simulate(now: datetime) -> int:
    """The periodic tick: posts of the last week catch up to `now`, the week's direct messages arrive, and today's
    follower count is written. Returns how many comments and messages arrived."""
    added = sum(settle_posts(chunk, now) for chunk in recent_posts_in_chunks(now, SETTLE_CHUNK))
    for account in SandboxAccount.objects.all():
        record_follower_days(account, now.date())
        added += deliver_messages(account, now)
    return added
