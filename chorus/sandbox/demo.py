"""The demo: two workspaces with sandbox channels, a team, 90 days of history and a week of scheduled posts.

The history is a seed, written directly (sandbox post, job, attempt) instead of going through the publishing path;
the coming week goes through `create_and_schedule`, so those posts really go out when due.
"""

import math
import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from chorus.analytics.collection import collect_channel
from chorus.analytics.store import AccountReading, store
from chorus.channels.models import Channel
from chorus.channels.services import connect_channel, set_queue_slots
from chorus.content.models import Post, Variant
from chorus.content.services import create_and_schedule
from chorus.inbox.ingestion import ingest_channel
from chorus.inbox.labelling import LIKELY
from chorus.inbox.models import Author, InboxItem, IngestTurn, ItemStatus, ModerationAction
from chorus.inbox.response_times import add_business_seconds, hours_of, set_business_hours, set_response_target
from chorus.inbox.rules import save_rule
from chorus.inbox.services import moderate, save_reply_template, suggest_replies
from chorus.inbox.spammers import mark_spammer
from chorus.inbox.states import OPEN, move
from chorus.notifications.models import Notification
from chorus.publishing.models import PublishAttempt, PublishJob, Status
from chorus.sandbox import audience, demo_content
from chorus.sandbox.models import SandboxPost
from chorus.sandbox.network import create_post, open_account, reply_to_comment, send_message
from chorus.workspaces.models import Membership, Workspace
from chorus.workspaces.roles import can
from chorus.workspaces.services import add_member, create_workspace

OWNER_LOGIN = "owner"
HISTORY_DAYS = 90
NEEDS_ANSWER = ("question", "complaint", "lead")
ANSWERED_DAYS = timedelta(days=31)
SCHEDULED_DAYS = 7
Outcome = PublishAttempt.Outcome


@dataclass
class DemoSummary:
    workspaces: list[str]
    channels: int = 0
    posts: int = 0
    login: str = OWNER_LOGIN
    password: str | None = None
    created: bool = True
    sandbox_posts: list[SandboxPost] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict:
        return {"workspaces": self.workspaces, "channels": self.channels, "posts": self.posts,
                "login": self.login, "password": self.password, "created": self.created}


def demo_exists() -> bool:
    return Workspace.objects.filter(slug__in=[w["slug"] for w in demo_content.WORKSPACES]).exists()


def new_owner_password() -> str:
    """Give the demo owner a fresh one-time password; only its hash is stored."""
    owner = get_user_model().objects.filter(username=OWNER_LOGIN).first()
    if owner is None:
        raise LookupError(f"There is no user {OWNER_LOGIN!r} yet: run `chorus demo` first.")
    password = secrets.token_urlsafe(12)
    owner.set_password(password)
    owner.save(update_fields=["password"])
    return password


def seed_demo(*, seed: int = 0, now: datetime | None = None, progress=lambda message: None) -> DemoSummary:
    """Create the demo once; a second call changes nothing and says so (`created` is False)."""
    slugs = [w["slug"] for w in demo_content.WORKSPACES]
    if demo_exists():
        return DemoSummary(workspaces=slugs, created=False)
    now = now or timezone.now()
    rng = random.Random(seed)
    summary = DemoSummary(workspaces=slugs)
    with transaction.atomic():
        owner = get_user_model().objects.create_user(OWNER_LOGIN, email="owner@example.com")
        summary.password = secrets.token_urlsafe(12)
        owner.set_password(summary.password)
        owner.save(update_fields=["password"])
        for spec in demo_content.WORKSPACES:
            progress(f"{spec['name']}: workspace, team and channels")
            workspace, channels = _open_workspace(owner, spec, now, rng)
            summary.channels += len(channels)
            progress(f"{spec['name']}: {HISTORY_DAYS} days of history")
            summary.posts += _write_history(owner, workspace, channels, spec, now, rng, summary.sandbox_posts)
            summary.posts += _leave_problems(owner, workspace, channels, spec, now, rng)
            progress(f"{spec['name']}: the coming week")
            summary.posts += _schedule_week(owner, workspace, channels, spec, now, rng)
        progress("the audience: views, likes, comments, messages and followers")
        audience.settle_posts(summary.sandbox_posts, now)
        for channel in Channel.objects.filter(workspace__slug__in=slugs):
            audience.record_follower_days(channel.connector._account(), now.date())
            audience.deliver_messages(channel.connector._account(), now)
            _collect_history(channel, now)
        progress("the inbox: saved replies, rules, response targets and what the audience wrote, labelled "
                 "(the first time, the labeller trains itself first: about half a minute)")
        for spec in demo_content.WORKSPACES:
            _set_up_inbox(owner, Workspace.objects.get(slug=spec["slug"]), spec["inbox"], now, rng)
    return summary


def _collect_history(channel: Channel, now: datetime) -> None:
    """What Chorus would have collected had it run through the demo's past: each day's follower count, new and lost
    followers and audience at the day's end, and every post's counters now; so the dashboards and reports have 90
    days to show from the first start."""
    account = channel.connector._account()
    audiences = dict(account.audience_days.values_list("day", "breakdown"))
    days = account.follower_days.filter(day__lt=now.date()).order_by("day")
    store.ingest_accounts(AccountReading(channel.pk, datetime.combine(day.day, time(23, 59), UTC),
                                         followers=day.followers, followers_gained=day.joined,
                                         followers_lost=day.left, followers_day=day.day,
                                         audience=audiences.get(day.day)) for day in days)
    collect_channel(channel, now, watched_for=timedelta(days=HISTORY_DAYS + 1))


def _set_up_inbox(owner, workspace: Workspace, spec: dict, now: datetime, rng: random.Random) -> None:
    for title, objection, text, labels, keywords in spec["saved_replies"]:
        save_reply_template(actor=owner, workspace=workspace, title=title, text=text, objection=objection,
                            labels=labels, keywords=keywords)
    for name, conditions, actions, dry_run in spec["rules"]:
        save_rule(actor=owner, workspace=workspace, name=name, conditions=conditions, actions=actions,
                  dry_run=dry_run)
    weekdays, opens, closes = spec["business_hours"]
    set_business_hours(actor=owner, workspace=workspace, weekdays=weekdays, opens=opens, closes=closes)
    members = Membership.objects.filter(workspace=workspace).select_related("user")
    team = {duty: [m.user for m in members if can(m.role, duty)] for duty in ("inbox.reply", "inbox.moderate")}
    for channel in workspace.channels.all():
        set_response_target(actor=owner, channel=channel, minutes=spec["target_minutes"], business_hours=True)
        # Chorus has read the page through the demo's whole past, so that past has targets and the team's answers.
        IngestTurn.objects.create(channel=channel, due_at=now, watching_since=now - timedelta(days=HISTORY_DAYS))
        ingest_channel(channel)
        _answer_the_past(channel, team, spec, hours_of(workspace), now, rng)
        ingest_channel(channel)  # the page's answers, read back, mark what they answered
    _list_the_loudest_spammer(owner, workspace)
    # The team has read the alerts about what it has handled since; those about items still waiting stay new, and
    # so do a rule's digests (the first read brought the month's matches in one wave), which open its finds.
    waiting = {f"/w/{workspace.slug}/inbox/{pk}/" for pk in InboxItem.objects.filter(
        workspace=workspace, status__in=OPEN).values_list("pk", flat=True)}
    Notification.objects.filter(workspace=workspace, read_at=None).exclude(link__in=waiting).exclude(
        link__contains="/inbox/?rule=").update(read_at=now)


def _list_the_loudest_spammer(owner, workspace: Workspace) -> None:
    """The team has put the author of the most spam on the list, so the list and its rule condition show."""
    loudest = (InboxItem.objects.filter(workspace=workspace, from_page=False, label_rows__name="spam")
               .values("author").annotate(spam=Count("pk")).order_by("-spam", "author").first())
    if loudest:
        mark_spammer(actor=owner, author=Author.objects.get(pk=loudest["author"]), known=True)


def _answer_the_past(channel: Channel, team: dict, spec: dict, hours, now: datetime, rng: random.Random) -> None:
    """What the team did with what came in before today, each within a median of `answer_minutes` of business
    time, by whoever was on duty: hid the spam and abuse, answered nearly every question, complaint, order and
    message (closing most of them later), and closed the rest. Today's items still wait, some of them late.
    Only the month the response report shows is played through one by one; older items are simply closed."""
    account = channel.connector._account()
    past = InboxItem.objects.filter(channel=channel, from_page=False, written_at__lt=now - timedelta(days=1))
    move(past.filter(written_at__lt=now - ANSWERED_DAYS), ItemStatus.CLOSED,
         resolved_at=F("written_at") + timedelta(hours=3))
    recent = past.filter(written_at__gte=now - ANSWERED_DAYS)
    for item in recent.select_related("author", "channel", "workspace").order_by("written_at"):
        delay = rng.lognormvariate(math.log(spec["answer_minutes"] * 60), 1.0)
        handled_at = add_business_seconds(item.written_at, delay, hours)
        if handled_at >= now:
            continue
        unwanted = any(item.labels.get(label, 0) >= LIKELY for label in ("spam", "abuse"))
        if unwanted and item.kind == "comment":
            hiding = moderate(actor=rng.choice(team["inbox.moderate"]), item=item, action="hide")
            # The log says when the team did it, not when the demo was made.
            ModerationAction.objects.filter(pk=hiding.pk).update(done_at=handled_at)
            InboxItem.objects.filter(pk=item.pk).update(resolved_at=handled_at)
        elif not unwanted and (item.kind == "message"
                               or any(item.labels.get(label, 0) >= LIKELY for label in NEEDS_ANSWER)):
            if rng.random() < 0.95:
                _answer_on_sandbox(account, item, _demo_answer(item, spec, rng), handled_at)
                InboxItem.objects.filter(pk=item.pk).update(first_response_by=rng.choice(team["inbox.reply"]))
                if rng.random() < 0.7:
                    move([item.pk], ItemStatus.CLOSED,
                         resolved_at=handled_at + timedelta(minutes=rng.randint(5, 8 * 60)))
        else:
            move([item.pk], ItemStatus.CLOSED, resolved_at=handled_at)


def _demo_answer(item: InboxItem, spec: dict, rng: random.Random) -> str:
    suggested = suggest_replies(item, limit=1)
    return suggested[0][1] if suggested else rng.choice(spec["plain_answers"])


def _answer_on_sandbox(account, item: InboxItem, text: str, at: datetime) -> None:
    key = f"demo-answer-{item.pk}"
    if item.kind == "message":
        send_message(account, item.author.remote_id, text, key, at=at)
    else:
        reply_to_comment(account, item.remote_id, text, key, at=at)


def _open_workspace(owner, spec: dict, now: datetime, rng: random.Random) -> tuple[Workspace, list[Channel]]:
    workspace = create_workspace(owner=owner, name=spec["name"], slug=spec["slug"], timezone_name=spec["timezone"],
                                 language=spec["language"], brand_color=spec["brand_color"])
    User = get_user_model()
    for username, role in spec["team"]:
        member = User.objects.filter(username=username).first() or User(username=username)
        member.set_unusable_password()
        member.save()
        add_member(actor=owner, workspace=workspace, user=member, role=role)
    channels = []
    slots = [(weekday, time(hour, minute)) for weekday in range(7) for hour, minute in demo_content.POSTING_TIMES]
    for name in spec["channels"]:
        account = open_account(name, seed=rng.randrange(10**6), followers=rng.randrange(800, 6000),
                               created_at=now - timedelta(days=HISTORY_DAYS + 1))
        channel = connect_channel(actor=owner, workspace=workspace, network="sandbox", name=name,
                                  external_id=account.external_id, credentials={"token": account.token})
        set_queue_slots(actor=owner, channel=channel, slots=slots)
        channels.append(channel)
    return workspace, channels


def _local_moment(workspace: Workspace, day: date, rng: random.Random) -> datetime:
    hour, minute = rng.choice(demo_content.POSTING_TIMES)
    return datetime.combine(day, time(hour, minute), ZoneInfo(workspace.timezone)).astimezone(ZoneInfo("UTC"))


def _past_post(owner, workspace, channels, text: str, at: datetime) -> list[Variant]:
    post = Post.objects.create(workspace=workspace, author=owner, text=text)
    Post.objects.filter(pk=post.pk).update(created_at=at - timedelta(hours=20), updated_at=at - timedelta(hours=20))
    return [Variant.objects.create(post=post, channel=channel) for channel in channels]


def _write_history(owner, workspace, channels, spec, now, rng, sandbox_posts: list) -> int:
    """Most days one post, some days two or none, each to one or more of the channels, published on time."""
    today = now.astimezone(ZoneInfo(workspace.timezone)).date()
    count = 0
    for days_ago in range(HISTORY_DAYS, 0, -1):
        for _ in range(rng.choices([0, 1, 2], [2, 6, 2])[0]):
            at = _local_moment(workspace, today - timedelta(days=days_ago), rng)
            targets = rng.sample(channels, rng.randint(1, len(channels)))
            for variant in _past_post(owner, workspace, targets, rng.choice(spec["posts"]), at):
                sandbox_posts.append(_published(workspace, variant, at, rng))
            count += 1
    return count


def _published(workspace, variant: Variant, at: datetime, rng: random.Random) -> SandboxPost:
    account = variant.channel.connector._account()
    sent_at = at + timedelta(seconds=rng.uniform(0.3, 2.5))
    job = PublishJob(workspace=workspace, variant=variant, channel=variant.channel, due_at=at, not_before=at,
                     status=Status.PUBLISHED, attempts=1, published_at=sent_at, sent_text=variant.effective_text)
    remote = create_post(account, text=variant.effective_text, media_count=0, idempotency_key=str(job.idempotency_key),
                         at=sent_at)
    remote.account = account
    job.remote_id, job.remote_url = remote.remote_id, f"sandbox://{account.external_id}/{remote.remote_id}"
    job.save()
    PublishAttempt.objects.create(job=job, number=1, worker="demo", started_at=at, finished_at=sent_at,
                                  outcome=Outcome.PUBLISHED)
    return remote


def _leave_problems(owner, workspace, channels, spec, now, rng) -> int:
    """One publication that failed for good and one whose outcome a person must decide: "needs attention"."""
    yesterday = now - timedelta(days=1)
    problems = [(Status.FAILED, 5, Outcome.FAILED, demo_content.FAILURE_REASON),
                (Status.NEEDS_REVIEW, 1, Outcome.NOT_FOUND, demo_content.REVIEW_REASON)]
    for hours, (status, attempts, outcome, reason) in enumerate(problems, start=2):
        at = yesterday - timedelta(hours=hours)
        [variant] = _past_post(owner, workspace, [rng.choice(channels)], rng.choice(spec["scheduled"]), at)
        job = PublishJob.objects.create(workspace=workspace, variant=variant, channel=variant.channel, due_at=at,
                                        not_before=at, status=status, attempts=attempts, last_error=reason)
        for number in range(1, attempts + 1):
            started = at + timedelta(minutes=2**number)
            PublishAttempt.objects.create(job=job, number=number, worker="demo", started_at=started,
                                          finished_at=started + timedelta(seconds=3), outcome=outcome, reason=reason)
    return len(problems)


def _schedule_week(owner, workspace, channels, spec, now, rng) -> int:
    today = now.astimezone(ZoneInfo(workspace.timezone)).date()
    count = 0
    for days_ahead in range(SCHEDULED_DAYS):
        due = _local_moment(workspace, today + timedelta(days=days_ahead), rng)
        if due < now + timedelta(minutes=15):
            due += timedelta(days=1)
        targets = rng.sample(channels, rng.randint(1, len(channels)))
        create_and_schedule(actor=owner, workspace=workspace, text=rng.choice(spec["scheduled"]),
                            channel_ids=[c.pk for c in targets], due_at=due)
        count += 1
    return count
