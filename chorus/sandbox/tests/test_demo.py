"""A new user's first look: the demo workspaces, their history, their coming week, their audience."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import authenticate, get_user_model

from chorus.channels.models import Channel
from chorus.inbox import response_times
from chorus.inbox.models import InboxItem, ModerationAction
from chorus.notifications.models import Notification
from chorus.publishing.models import PublishJob, Status
from chorus.publishing.services import needing_attention
from chorus.sandbox import demo
from chorus.sandbox.models import SandboxAccount, SandboxComment, SandboxPost
from chorus.workspaces.models import Workspace

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_once(module_db):
    # Seeding takes a quarter of a minute: the stories share one demo, and each one's changes are undone.
    return demo.seed_demo(seed=7, now=NOW)


@pytest.fixture
def seeded(demo_once, db):
    return demo_once


def test_owner_finds_two_demo_workspaces_with_their_zones_languages_and_channels(seeded):
    coffee = Workspace.objects.get(slug="demo-coffee")
    books = Workspace.objects.get(slug="northwind-books")
    assert (coffee.name, coffee.timezone, coffee.language) == ("Demo Coffee", "Europe/Moscow", "ru")
    assert (books.name, books.timezone, books.language) == ("Northwind Books", "Europe/London", "en")
    assert coffee.channels.count() == 3 and books.channels.count() == 2
    assert all(c.network == "sandbox" and c.queue_slots.exists() for c in Channel.objects.all())
    owner = authenticate(username="owner", password=seeded.password)
    assert owner is not None
    roles = set(coffee.memberships.values_list("role", flat=True))
    assert {"owner", "editor", "client"} <= roles
    assert not get_user_model().objects.get(username="marina").has_usable_password()


def test_ninety_days_of_published_history_with_an_audience(seeded):
    published = PublishJob.objects.filter(status=Status.PUBLISHED)
    assert published.count() >= 60
    first, last = min(j.published_at for j in published), max(j.published_at for j in published)
    assert last - first > timedelta(days=80) and last < NOW
    for job in published:
        remote = SandboxPost.objects.get(remote_id=job.remote_id)
        assert remote.text == job.variant.effective_text
        assert remote.views > 0
    comments = SandboxComment.objects.all()
    assert {"ru", "en"} <= set(comments.values_list("language", flat=True))
    for language in ("ru", "en"):
        kinds = set(comments.filter(language=language).values_list("kind", flat=True))
        assert {"question", "complaint", "praise", "lead", "spam", "abuse", "bot", "neutral"} <= kinds
    assert comments.filter(kind="spam", text__contains="http").exists()
    assert comments.filter(author_name__contains="<").exists()  # the pages showing them must escape them
    assert SandboxAccount.objects.get(name__contains="VK").follower_days.count() >= 90


def test_the_dashboards_show_the_ninety_days_from_the_first_start(seeded):
    from chorus.analytics.models import PublishedPost
    from chorus.analytics.services import workspace_figures

    coffee = Workspace.objects.get(slug="demo-coffee")
    assert PublishedPost.objects.filter(workspace=coffee).count() == PublishJob.objects.filter(
        workspace=coffee, status=Status.PUBLISHED).count()
    board = workspace_figures(coffee, (NOW - timedelta(days=60)).date(), (NOW - timedelta(days=31)).date())
    figures = board["figures"]
    assert figures["followers"]["current"]["value"] > 0 and figures["followers"]["previous"]["value"] > 0
    assert figures["posts"]["current"]["value"] > 0 and figures["views"]["current"]["value"] > 0
    assert figures["er-followers:per-post"]["current"]["value"] > 0  # followers known at each post's time
    sandbox = SandboxAccount.objects.get(name__contains="VK")
    line = next(c for c in board["channels"] if c["name"] == sandbox.name)
    last_day = sandbox.follower_days.filter(day__lte=(NOW - timedelta(days=31)).date()).order_by("-day").first()
    assert line["values"]["followers"] == last_day.followers  # as the sandbox counted them that day
    first, last = (NOW - timedelta(days=60)).date(), (NOW - timedelta(days=31)).date()
    days = sandbox.follower_days.filter(day__gte=first, day__lte=last)
    assert line["values"]["new-followers"] == sum(d.joined for d in days)
    assert line["values"]["lost-followers"] == sum(d.left for d in days)
    assert figures["new-followers"]["previous"]["value"] > 0
    # Who follows a coffee shop in Moscow: a Russian-speaking audience, as of the period's last day.
    assert board["audience"]["as_of"] == last and board["audience"]["channels"] == 3
    assert board["audience"]["dimensions"]["city"][0]["bucket"] == "Москва"


def test_the_inbox_is_full_its_rules_and_replies_ready_and_its_past_answered(seeded, client):
    coffee = Workspace.objects.get(slug="demo-coffee")
    items = InboxItem.objects.filter(workspace=coffee)
    assert items.filter(kind="comment").count() > 50 and items.filter(kind="message").exists()
    assert coffee.moderation_rules.filter(dry_run=True).exists() and coffee.saved_replies.count() >= 3
    assert all((c.response_target.minutes, c.response_target.business_hours) == (60, True)
               for c in coffee.channels.all())
    assert coffee.business_hours.weekdays == [0, 1, 2, 3, 4, 5, 6]  # the shop's team answers all week
    # Labelled as they arrived, so the dry-run spam rule already shows what it would have hidden.
    assert not items.filter(labelled_at=None, from_page=False).exists()
    assert items.filter(label_rows__name="spam").exists() and items.filter(label_rows__name="question").exists()
    assert ModerationAction.objects.filter(item__workspace=coffee, rule_name="Спам и боты", dry_run=True).exists()
    [listed] = coffee.authors.filter(known_spammer=True)  # the author of the most spam, put on the list by the team
    assert listed.items.filter(label_rows__name="spam").count() > 1
    client.force_login(get_user_model().objects.get(username="owner"))
    page = client.get("/w/demo-coffee/inbox/").content.decode()
    assert "data-item=" in page and "<script>alert" not in page

    # The team has handled the past, so the response report has something to say.
    owner = get_user_model().objects.get(username="owner")
    report = response_times.response_report(actor=owner, workspace=coffee, since=NOW - timedelta(days=30),
                                           until=NOW, business_hours=True)
    assert {row.key for row in report["people"]} == {"owner", "marina"}  # the client answers nobody
    for row in report["channels"]:
        assert row.answered > 20 and 0.5 < row.within_target < 1  # mostly on time, some late, as teams are
        assert 10 * 60 < row.first_response_median < 60 * 60  # about the 25 minutes the demo's team takes
    today = InboxItem.objects.filter(workspace=coffee, from_page=False, written_at__gte=NOW - timedelta(days=1))
    assert today.exists() and not today.exclude(status="new").exists()  # today's still wait for the team
    hidden = InboxItem.objects.filter(workspace=coffee, hidden=True)
    assert hidden.exists() and not hidden.exclude(status="closed").exists()
    for item in hidden:  # the log tells when the team hid it, after it was written and before today
        hiding = item.moderation_actions.get(action="hide", dry_run=False)
        assert item.written_at < hiding.done_at == item.resolved_at < NOW
        assert hiding.by.username in {"owner", "marina"}
    unread = Notification.objects.filter(recipient=owner, workspace=coffee, read_at=None)
    open_items = InboxItem.objects.filter(workspace=coffee, status__in=["new", "assigned"])
    waiting = {f"/w/demo-coffee/inbox/{pk}/" for pk in open_items.values_list("pk", flat=True)}
    unread_links = set(unread.values_list("link", flat=True))
    digests = {link for link in unread_links if "/inbox/?rule=" in link}  # a rule's wave, opening its finds
    assert unread.exists() and unread_links - digests <= waiting  # alerts on handled items were read


def test_the_coming_week_is_scheduled_and_problems_need_attention(seeded):
    waiting = PublishJob.objects.filter(status=Status.SCHEDULED)
    assert waiting.exists()
    assert all(NOW < j.due_at < NOW + timedelta(days=8) for j in waiting)
    owner = get_user_model().objects.get(username="owner")
    coffee = Workspace.objects.get(slug="demo-coffee")
    statuses = set(j.status for j in needing_attention(owner, coffee))
    assert {Status.FAILED, Status.NEEDS_REVIEW} <= statuses


def test_a_second_demo_changes_nothing(seeded):
    posts, comments = SandboxPost.objects.count(), SandboxComment.objects.count()
    again = demo.seed_demo(seed=7, now=NOW)
    assert not again.created and again.password is None
    assert (SandboxPost.objects.count(), SandboxComment.objects.count()) == (posts, comments)
    assert Workspace.objects.count() == 2


def audience_snapshot() -> list[tuple]:
    return sorted(SandboxPost.objects.values_list("account__name", "created_at", "text", "views", "likes",
                                                  "reposts", "comments"))


def test_the_same_seed_gives_the_same_demo(seeded):
    first = audience_snapshot()
    Workspace.objects.all().delete()
    SandboxAccount.objects.all().delete()
    get_user_model().objects.all().delete()
    demo.seed_demo(seed=7, now=NOW)
    assert audience_snapshot() == first


def test_a_new_password_replaces_the_old_one(seeded):
    fresh = demo.new_owner_password()
    assert fresh != seeded.password
    assert authenticate(username="owner", password=fresh) is not None
    assert authenticate(username="owner", password=seeded.password) is None
