"""Every page inside a workspace, opened by every role and by a stranger, answers as MATRIX says.

The pages are found by walking the URL configuration, so a new page is covered the day it is added.
"""

import io
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from PIL import Image

from chorus.conftest import make_user
from chorus.content.media import upload_media
from chorus.content.services import create_and_schedule
from chorus.inbox.ingestion import record_conversations
from chorus.inbox.models import ModerationAction, ModerationRule, SavedReply
from chorus.networks.base import Conversation
from chorus.reports.models import Report
from chorus.sources.models import Feed
from chorus.workspaces.roles import Role, can

# What each page needs, by the product's rules; MATRIX then says which roles have it.
PAGE_ACTIONS = {
    "workspace-home": "workspace.view", "workspace-settings": "workspace.settings",
    "channels": "channel.view", "channel-connect": "channel.connect", "channel-slots": "channel.queue",
    "channel-faults": "sandbox.faults", "channel-push": "channel.connect",
    "channel-oauth-start": "channel.connect",
    "posts": "post.view", "post-detail": "post.view", "composer": "post.create", "composer-check": "post.create",
    "post-edit": "post.create", "post-unschedule": "post.schedule",
    "publication-retry": "publication.resolve", "publication-mark-posted": "publication.resolve",
    "publication-edit": "publication.edit", "publication-delete": "publication.delete",
    "attention": "post.view", "notifications": "notification.view", "tokens": "token.create",
    "media": "media.view", "media-tags": "media.upload", "media-file": "media.view",
    "calendar": "post.view", "calendar-events": "post.view", "calendar-move": "post.schedule",
    "bulk-import": "post.import", "bulk-export": "post.export",
    "members": "members.manage", "member-add": "members.manage", "member-role": "members.manage",
    "member-grants": "members.manage", "member-remove": "members.manage",
    "sources": "source.view", "source-add": "source.manage", "source-detail": "source.view",
    "source-rules": "source.manage", "source-check": "source.manage",
    "inbox": "inbox.view", "inbox-new": "inbox.view", "inbox-many": "inbox.view", "inbox-item": "inbox.view",
    "inbox-note": "inbox.view",
    "inbox-reply": "inbox.reply", "inbox-assign": "inbox.assign", "inbox-status": "inbox.reply",
    "inbox-moderate": "inbox.moderate", "inbox-label": "inbox.moderate", "inbox-settings": "inbox.rules",
    "inbox-hours": "inbox.rules", "inbox-target": "inbox.rules", "inbox-saved-reply": "inbox.templates",
    "inbox-rule": "inbox.rules", "inbox-retrain": "inbox.moderate",
    "inbox-rule-switch": "inbox.rules", "inbox-response-times": "inbox.view", "inbox-undo": "inbox.moderate",
    "inbox-alerts": "inbox.rules", "inbox-alerts-test": "inbox.rules", "inbox-spammer": "inbox.moderate",
    "inbox-spammers-add": "inbox.moderate", "inbox-spammers-listing": "inbox.moderate",
    "inbox-spammer-off": "inbox.moderate", "inbox-saved-reply-delete": "inbox.templates",
    "inbox-copy-setup": "inbox.rules",
    "analytics": "analytics.view", "analytics-channel": "analytics.view", "analytics-what-works": "analytics.view",
    "analytics-formulas": "analytics.view", "analytics-import": "analytics.import",
    "analytics-mapping-save": "analytics.import",
    "analytics-queue-best-times": "channel.queue", "analytics-mapping-delete": "analytics.import",
    "reports": "report.view", "report-build": "report.build", "report-schedule": "report.schedule",
    "report-branding": "workspace.settings", "report-page": "report.view", "report-pdf": "report.view",
    "report-email": "report.schedule",
}


def workspace_pages(patterns=None, prefix=""):
    """(url name, route) for every page under /w/<slug>/."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from workspace_pages(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and prefix.startswith("w/"):
            yield entry.name, prefix + str(entry.pattern)


PAGES = sorted(set(workspace_pages()))


@pytest.fixture
def places(workspace, team, channel):
    """Real objects of the workspace, so every id in a URL exists and only permissions decide."""
    post, [job] = create_and_schedule(actor=team[Role.EDITOR], workspace=workspace, text="Пост",
                                      channel_ids=[channel.pk], due_at=timezone.now() + timedelta(days=1))
    png = io.BytesIO()
    Image.new("RGB", (4, 3)).save(png, "PNG")
    png = SimpleUploadedFile("cover.png", png.getvalue(), content_type="image/png")
    asset = upload_media(actor=team[Role.EDITOR], workspace=workspace, uploaded_file=png)
    # A followed feed as it stands after a fetch; adding one for real needs an HTTP server (sources' own tests).
    feed = Feed.objects.create(workspace=workspace, url="https://zerno.example/feed.xml", title="Зерно")
    item = record_conversations(channel, [Conversation("comment", "c1", "u1", "Анна", "Во сколько открываетесь?",
                                                       timezone.now(), post_remote_id="p1")])[0]
    rule = ModerationRule.objects.create(workspace=workspace, name="Спам", conditions={"labels": {"spam": 0.9}},
                                         actions=["hide"])
    ban = ModerationAction.objects.create(item=item, action="ban", rule_name="Спам")
    saved = SavedReply.objects.create(workspace=workspace, title="Часы", text="С 8 до 22")
    # A report as kept after building; building one for real is the reports app's own story.
    report = Report(workspace=workspace, cadence="month", period_start=date(2026, 10, 1),
                    period_end=date(2026, 11, 1), title="Отчёт", language="ru", page="<p>Отчёт</p>")
    report.pdf.save("report.pdf", ContentFile(b"%PDF-1.7"), save=True)
    return {"slug": workspace.slug, "post_id": post.pk, "job_id": job.pk, "channel_id": channel.pk,
            "asset_id": asset.pk, "file_format": "csv", "feed_id": feed.pk,
            "item_id": item.pk, "author_id": item.author_id, "rule_id": rule.pk, "action_id": ban.pk,
            "saved_id": saved.pk,
            "user_id": team[Role.CLIENT].pk, "report_id": report.pk}


def url_of(route: str, places: dict) -> str:
    for name, value in places.items():
        route = route.replace(f"<slug:{name}>", str(value)).replace(f"<int:{name}>", str(value))
    assert "<" not in route, f"add a real object for {route} to the places fixture"
    return "/" + route


def test_every_workspace_page_has_its_rule_written_down():
    assert {name for name, _route in PAGES} == set(PAGE_ACTIONS)


@pytest.mark.parametrize("role", [*Role.values, "stranger"])
def test_each_person_gets_what_their_role_allows_on_every_page(client, team, places, role):
    person = make_user("stranger") if role == "stranger" else team[role]
    client.force_login(person)
    for name, route in PAGES:
        action = PAGE_ACTIONS[name]
        status = client.get(url_of(route, places)).status_code
        if role == "stranger":
            expected = "404"
        else:
            expected = "allowed" if can(role, action) else "403"
        answer = {404: "404", 403: "403"}.get(status, "allowed")
        assert answer == expected, f"{role} on {route} ({action}): got {status}"


def test_a_visitor_who_is_not_signed_in_is_sent_to_log_in(client, places):
    for _name, route in PAGES:
        response = client.get(url_of(route, places))
        assert response.status_code == 302 and response.url.startswith("/login/"), route
