"""Feeds as a source of posts (NET-RSS): add a feed, write its rules, poll it. Every edge calls these."""

import logging
import re
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus import outbound
from chorus.content.services import add_to_queue, create_and_schedule, write_post
from chorus.sources.formats import FeedDocument, FeedUnreadable, read_feed
from chorus.sources.models import Feed, FeedItem, FeedRule
from chorus.workspaces.services import ensure_can, workspace_object

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 5 * 1024 * 1024
FETCH_TIMEOUT = 10.0
POLL_EVERY = timedelta(minutes=15)
PLACEHOLDERS = ("title", "link", "summary")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class FeedProblem(Exception):
    """The feed could not be fetched or read; `reason` is for the person who added it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def feeds_of(actor, workspace):
    ensure_can(actor, "source.view", workspace)
    return Feed.objects.filter(workspace=workspace).prefetch_related("rules__channels")


def feed_for(actor, workspace, feed_id, action: str = "source.view") -> Feed:
    return workspace_object(actor, workspace, Feed.objects, feed_id, action, _("No such feed in this workspace."))


def latest_items(actor, feed: Feed, limit: int = 50):
    ensure_can(actor, "source.view", feed.workspace)
    return feed.items.prefetch_related("posts")[:limit]


def add_feed(*, actor, workspace, url: str) -> Feed:
    """Follow a feed. Items already in it are remembered as seen, so only items published later become posts."""
    ensure_can(actor, "source.manage", workspace)
    url = url.strip()
    if len(url) > Feed._meta.get_field("url").max_length:
        raise ValidationError(_("This address is too long for a feed."))
    if Feed.objects.filter(workspace=workspace, url=url).exists():
        raise ValidationError(_("This workspace already follows %(url)s.") % {"url": url})
    feed = Feed(workspace=workspace, url=url, added_by=actor)
    try:
        fetched, document = _fetch(feed)
    except FeedProblem as exc:
        raise ValidationError(_("Could not add the feed: %(reason)s") % {"reason": exc.reason}) from exc
    now = timezone.now()
    with transaction.atomic():
        _remember_answer(feed, fetched, document, now)
        FeedItem.objects.bulk_create(_item(feed, entry, now) for entry in document.entries)
    return feed


def save_rule(*, actor, feed: Feed, channel_ids, template: str, mode: str, rubric: str = "", active: bool = True,
              rule: FeedRule | None = None) -> FeedRule:
    """Create or rewrite one rule of the feed; its posts are written in `actor`'s name from then on."""
    ensure_can(actor, "source.manage", feed.workspace)
    channels = list(feed.workspace.channels.filter(pk__in=[int(c) for c in channel_ids]))
    if not channels or len(channels) != len(set(map(int, channel_ids))):
        raise ValidationError(_("Choose at least one channel of this workspace."))
    unknown = sorted({name for name in PLACEHOLDER.findall(template) if name not in PLACEHOLDERS})
    if unknown:
        raise ValidationError(_("Unknown placeholders %(unknown)s; use %(known)s.")
                              % {"unknown": ", ".join(f"{{{n}}}" for n in unknown),
                                 "known": ", ".join(f"{{{n}}}" for n in PLACEHOLDERS)})
    if not template.strip():
        raise ValidationError(_("Write a template, e.g. {title} {link}."))
    if mode not in FeedRule.Mode.values:
        raise ValidationError(_("Unknown mode %(mode)s.") % {"mode": mode})
    rule = rule or FeedRule(feed=feed)
    if rule.feed_id != feed.pk:
        raise Http404(_("No such rule for this feed."))
    rule.template, rule.mode, rule.rubric, rule.active, rule.author = template, mode, rubric.strip(), active, actor
    with transaction.atomic():
        rule.save()
        rule.channels.set(channels)
    return rule


def rule_for(actor, feed: Feed, rule_id) -> FeedRule:
    ensure_can(actor, "source.manage", feed.workspace)
    rule = feed.rules.filter(pk=rule_id).first()
    if rule is None:
        raise Http404(_("No such rule for this feed."))
    return rule


def render(template: str, item: FeedItem) -> str:
    values = {"title": item.title, "link": item.link, "summary": item.summary}
    return PLACEHOLDER.sub(lambda m: values.get(m[1], m[0]), template).strip()


# Polling ----------------------------------------------------------------------------------------------------------

def due_feeds(now: datetime):
    return Feed.objects.filter(active=True).filter(
        Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=now - POLL_EVERY)).order_by("pk")


def claim(feed: Feed, now: datetime) -> bool:
    # Another poller may have taken the feed since we read it: only one UPDATE can match the old value.
    taken = Feed.objects.filter(pk=feed.pk, last_checked_at=feed.last_checked_at).update(last_checked_at=now) == 1
    if taken:
        feed.last_checked_at = now
    return taken


def poll_due_feeds(now: datetime | None = None) -> int:
    """Poll every active feed not checked for POLL_EVERY; returns how many this poller took."""
    now = now or timezone.now()
    taken = 0
    for feed in due_feeds(now):
        if not claim(feed, now):
            continue
        taken += 1
        try:
            poll_feed(feed, now)
        except Exception:  # noqa: BLE001 - one broken feed must not stop the others; the log keeps the traceback
            log.exception("polling feed %s failed", feed.pk)
            Feed.objects.filter(pk=feed.pk).update(last_error=_("Checking failed unexpectedly; see the server log."))
    return taken


def poll_now(*, actor, feed: Feed) -> list[FeedItem]:
    """Check a feed at once (the "Check now" button); if a poller holds it right now, nothing more happens."""
    ensure_can(actor, "source.manage", feed.workspace)
    now = timezone.now()
    return poll_feed(feed, now) if claim(feed, now) else []


def poll_feed(feed: Feed, now: datetime) -> list[FeedItem]:
    """Fetch the feed (conditional GET) and turn each item not seen before into posts by the feed's rules."""
    try:
        fetched, document = _fetch(feed, conditional=True)
    except FeedProblem as exc:
        Feed.objects.filter(pk=feed.pk).update(last_error=exc.reason[:500])
        feed.last_error = exc.reason[:500]
        return []
    if document is None:  # 304: nothing changed since last time
        Feed.objects.filter(pk=feed.pk).update(last_error="")
        return []
    known = set(feed.items.filter(guid__in=[e.guid for e in document.entries]).values_list("guid", flat=True))
    rules = list(feed.rules.filter(active=True).select_related("author").prefetch_related("channels"))
    new = []
    # Feeds list newest first; going oldest first keeps posts (and queue slots) in publishing order.
    for entry in reversed(document.entries):
        if entry.guid in known:
            continue
        known.add(entry.guid)
        with transaction.atomic():
            item = _item(feed, entry, now)
            item.save()
            _apply_rules(item, rules, now)
        new.append(item)
    with transaction.atomic():
        _remember_answer(feed, fetched, document, now)
    return new


def _fetch(feed: Feed, conditional: bool = False) -> tuple[outbound.Fetched, FeedDocument | None]:
    try:
        fetched = outbound.fetch(feed.url, max_bytes=MAX_FEED_BYTES, timeout=FETCH_TIMEOUT,
                                 headers={"Accept": "application/rss+xml, application/atom+xml, "
                                                    "application/feed+json, application/xml;q=0.9, */*;q=0.5"},
                                 etag=feed.etag if conditional else None,
                                 last_modified=feed.last_modified if conditional else None)
    except outbound.OutboundError as exc:
        raise FeedProblem(exc.reason) from exc
    if fetched.not_modified:
        return fetched, None
    if fetched.status >= 400:
        raise FeedProblem(_("The server answered %(status)d instead of the feed.") % {"status": fetched.status})
    try:
        return fetched, read_feed(fetched.body, content_type=fetched.headers.get("content-type", ""),
                                  url=fetched.final_url)
    except FeedUnreadable as exc:
        raise FeedProblem(exc.reason) from exc


def _remember_answer(feed: Feed, fetched: outbound.Fetched, document: FeedDocument, now: datetime) -> None:
    feed.title = document.title[:300] or feed.title
    feed.etag = fetched.headers.get("etag", "")[:300]
    feed.last_modified = fetched.headers.get("last-modified", "")[:100]
    feed.last_checked_at, feed.last_error = now, ""
    # Only the fields a poll owns: someone may be pausing the feed at this very moment.
    feed.save(update_fields=None if feed.pk is None else
              ["title", "etag", "last_modified", "last_checked_at", "last_error"])


def _item(feed: Feed, entry, now: datetime) -> FeedItem:
    return FeedItem(feed=feed, guid=entry.guid, link=entry.link[:2000], title=entry.title[:500],
                    summary=entry.summary, published_at=entry.published_at, seen_at=now)


def _apply_rules(item: FeedItem, rules: list[FeedRule], now: datetime) -> None:
    problems = []
    for rule in rules:
        post, problem = _post_by_rule(rule, item, now)
        if post is not None:
            item.posts.add(post)
        if problem:
            problems.append(problem)
    if problems:
        item.problem = " ".join(problems)[:500]
        item.save(update_fields=["problem"])


def _post_by_rule(rule: FeedRule, item: FeedItem, now: datetime):
    """(post, problem). A post the rule cannot schedule (too long, no free slot) is kept as a draft and said so."""
    draft = {"actor": rule.author, "workspace": item.feed.workspace, "text": render(rule.template, item),
             "channel_ids": [c.pk for c in rule.channels.all()]}
    try:
        if rule.mode == FeedRule.Mode.DRAFT:
            return write_post(**draft), ""
        try:
            with transaction.atomic():
                if rule.mode == FeedRule.Mode.SCHEDULE_NOW:
                    return create_and_schedule(**draft, due_at=now)[0], ""
                post = write_post(**draft)
                add_to_queue(actor=rule.author, post=post)
                return post, ""
        except ValidationError as exc:
            return write_post(**draft), _("Kept as a draft: %(reason)s") % {"reason": " ".join(exc.messages)}
    except ValidationError as exc:
        return None, _("No post: %(reason)s") % {"reason": " ".join(exc.messages)}
    except (PermissionDenied, Http404):
        return None, _("No post: the rule's author may no longer write posts here; save the rule again.")
