"""Reads every channel's comments and messages into the inbox on a schedule; the same comment twice is one item."""

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from chorus.channels.models import Channel
from chorus.inbox import labelling, response_times, rules, states
from chorus.inbox.models import (
    Author,
    InboxItem,
    IngestTurn,
    ItemKind,
    ItemLabel,
    ItemStatus,
    ModerationAction,
    ResponseTarget,
    searchable,
)
from chorus.inbox.turns import history_before, turn_of
from chorus.networks import errors
from chorus.networks.base import Conversation
from chorus.publishing.models import PublishJob

log = logging.getLogger(__name__)
EVERY = timedelta(minutes=2)
MAX_PAGES = 50  # one turn reads at most this many pages; the cursor keeps the rest for the next turn
# A turn that brings this many items (a page's backlog on its first read) outdates the database's statistics.
BULK = 1000


def channels_with_conversations():
    return [c for c in Channel.objects.select_related("workspace")
            if c.connector_class.capabilities.comments or c.connector_class.capabilities.messages]


def claim_due_channels(now: datetime, limit: int = 50) -> list[Channel]:
    for channel in channels_with_conversations():
        IngestTurn.objects.get_or_create(channel=channel, defaults={"due_at": now})
    claimed = []
    for turn in IngestTurn.objects.filter(due_at__lte=now).select_related("channel__workspace")[:limit]:
        # Another worker may take the same turn between our read and this write: only one UPDATE matches.
        if IngestTurn.objects.filter(pk=turn.pk, due_at=turn.due_at).update(due_at=now + EVERY):
            claimed.append(turn.channel)
    return claimed


def ingest_channel(channel: Channel) -> list[InboxItem]:
    """Read what arrived since the channel's cursor; returns the items that are new to the inbox."""
    turn = turn_of(channel)
    cursor, arrived = turn.cursor, []
    try:
        for _page in range(MAX_PAGES):
            page = channel.connector.conversations(cursor)
            if not page.items:
                break
            with transaction.atomic():
                arrived += record_conversations(channel, page.items)
                # Saved with the page's items: a crash re-reads at most this page, and re-reading changes nothing.
                IngestTurn.objects.filter(pk=turn.pk).update(cursor=page.cursor, last_error="")
            if page.cursor == cursor:
                break
            cursor = page.cursor
    except errors.NetworkError as exc:
        log.info("conversations of channel %s not read: %s", channel.pk, exc.reason)
        IngestTurn.objects.filter(pk=turn.pk).update(last_error=exc.reason[:300])
    settle_arrivals(channel, arrived)
    if len(arrived) >= BULK:
        settle_statistics()
    return arrived


def settle_statistics() -> None:
    """Bring PostgreSQL's picture of the inbox up to date after a big read: before autovacuum did, its planner
    believed 100,000 items were 41 and ran a rule's finds for minutes (bench/inbox.py). SQLite is left without
    statistics: with them it chose worse plans for most filters (bench/inbox.py, docs/decisions.md)."""
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(model._meta.db_table)
                           for model in (InboxItem, ItemLabel, Author, ModerationAction))
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")


def settle_arrivals(channel: Channel, arrived: list[InboxItem]) -> None:
    """New items are labelled (and edited ones labelled again) before the rules look at their labels."""
    labelling.label_items(arrived)
    labelling.label_pending(channel)
    rules.apply_rules(arrived)


def ingest_due(now: datetime | None = None) -> int:
    now = now or timezone.now()
    return sum(len(ingest_channel(channel)) for channel in claim_due_channels(now))


def record_conversations(channel: Channel, conversations: list[Conversation]) -> list[InboxItem]:
    """Store or update each conversation; the page's own answers mark what they answer as answered."""
    jobs = dict(PublishJob.objects.filter(channel=channel, remote_id__in={c.post_remote_id for c in conversations
                                                                           if c.post_remote_id})
                .values_list("remote_id", "pk"))
    # One query for the page, not one per conversation.
    known = {item.remote_id: item for item in InboxItem.objects.filter(
        channel=channel, remote_id__in={c.remote_id for c in conversations})}
    new_items = []
    target = ResponseTarget.objects.filter(channel=channel).first()
    hours = response_times.hours_of(channel.workspace) if target and target.business_hours else None
    history = history_before(channel) if target else None
    for conversation in conversations:
        existing = known.get(conversation.remote_id)
        if existing is None and conversation.deleted:
            continue  # gone before the inbox ever saw it: nothing to show or do
        item, created = _upsert(channel, conversation, existing, jobs.get(conversation.post_remote_id))
        known[conversation.remote_id] = item  # the same comment twice in one page is still one item
        if created and not conversation.from_page and target and item.written_at >= history:
            item.respond_by = response_times.respond_by(item, target, hours)
            InboxItem.objects.filter(pk=item.pk).update(respond_by=item.respond_by)
        if created and conversation.from_page:
            _mark_answered(item)
        elif created:
            new_items.append(item)
    return new_items


def thread_key(conversation: Conversation) -> str:
    if conversation.kind == ItemKind.MESSAGE:
        return f"dm:{conversation.author_id}"
    return f"post:{conversation.post_remote_id or conversation.parent_remote_id or conversation.remote_id}"


def _author(channel: Channel, conversation: Conversation, at: datetime) -> Author:
    author, created = Author.objects.get_or_create(
        workspace=channel.workspace, network=channel.network, remote_id=conversation.author_id or "unknown",
        defaults={"name": conversation.author_name[:200], "first_seen_at": at})
    if not created and author.name != conversation.author_name[:200] and not conversation.from_page:
        Author.objects.filter(pk=author.pk).update(name=conversation.author_name[:200])
    return author


def _upsert(channel: Channel, conversation: Conversation, existing: InboxItem | None,
            job_id: int | None) -> tuple[InboxItem, bool]:
    changes = {"text": conversation.text, "edited_at": conversation.edited_at, "hidden": conversation.hidden,
               "deleted_on_network": conversation.deleted,
               "search_text": searchable(conversation.text, conversation.author_name)}
    if existing:
        # A deletion is never undone by a later read that no longer shows the text.
        changes["deleted_on_network"] = existing.deleted_on_network or conversation.deleted
        if conversation.deleted:
            changes.pop("text")
            changes.pop("search_text")
        elif conversation.text != existing.text:
            changes["labelled_at"] = None  # edited: its labels are read again
        InboxItem.objects.filter(pk=existing.pk).update(**changes)
        return existing, False
    item = InboxItem.objects.create(
        workspace=channel.workspace, channel=channel, kind=conversation.kind, remote_id=conversation.remote_id,
        author=_author(channel, conversation, conversation.created_at), written_at=conversation.created_at,
        thread_key=thread_key(conversation), post_remote_id=conversation.post_remote_id, job_id=job_id,
        parent_remote_id=conversation.parent_remote_id, from_page=conversation.from_page,
        status=ItemStatus.CLOSED if conversation.from_page else ItemStatus.NEW, **changes)
    return item, True


def _mark_answered(answer: InboxItem) -> None:
    """An answer the page wrote (here or on the network itself) answers its parent, or the person's messages."""
    if answer.kind == ItemKind.MESSAGE:
        answered = InboxItem.objects.filter(channel=answer.channel, thread_key=answer.thread_key, from_page=False,
                                            written_at__lte=answer.written_at)
    else:
        answered = InboxItem.objects.filter(channel=answer.channel, remote_id=answer.parent_remote_id)
    answered.filter(first_response_at=None).update(first_response_at=answer.written_at)
    states.move(answered.filter(status__in=states.OPEN), ItemStatus.ANSWERED)
