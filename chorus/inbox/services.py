"""The inbox's verbs (COMM-1, COMM-4): what views, API, CLI and tasks all call."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.inbox import states
from chorus.inbox.labelling import label_code
from chorus.inbox.models import (
    MODERATED_AWAY,
    ON_THE_NETWORK,
    Author,
    InboxItem,
    InboxNote,
    InboxReply,
    ItemKind,
    ItemLabel,
    ItemStatus,
    ModerationAction,
    ReplyStatus,
    SavedReply,
    searchable,
)
from chorus.networks import errors
from chorus.networks.base import Conversation
from chorus.workspaces.models import Membership
from chorus.workspaces.services import ensure_can, workspace_object

MAX_REPLY = 10_000
MANY_AT_ONCE = 200
MANY_ACTIONS_NEED = {"close": "inbox.reply", "assign": "inbox.assign", "hide": "inbox.moderate",
                     "ban": "inbox.moderate"}


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox list is narrowed to; every field optional."""

    channel: int | None = None
    status: str = ""
    label: str = ""
    language: str = ""
    assignee: int | None = None  # a user id; 0 means "nobody"
    kind: str = ""
    older_than: timedelta | None = None  # open and waiting longer than this
    newer_than: timedelta | None = None
    search: str = ""
    after: int | None = None  # only items received after this item id: what the live list adds on top
    overdue: bool = False  # open and past the channel's first-response target
    rule: str = ""  # what this moderation rule (by name) did, or in dry run would have done
    author: int | None = None  # everything one author wrote, to clean up after a bot in one go


def inbox_of(actor, workspace, given: InboxFilter = InboxFilter()) -> QuerySet[InboxItem]:
    """The workspace's items, newest first, narrowed by `given`. The page's own answers are not items to act on."""
    ensure_can(actor, "inbox.view", workspace)
    # One author's items are all in their workspace. Asked through the author, SQLite (no statistics) reads the
    # author's index; asked through the workspace as well, it walked the workspace's (291 ms → 32 over 100,000).
    items = (InboxItem.objects.filter(author__workspace=workspace, author_id=given.author) if given.author
             else InboxItem.objects.filter(workspace=workspace)).filter(from_page=False)
    now = timezone.now()
    narrowing = {
        "channel_id": given.channel, "status": given.status or None, "language": given.language or None,
        "kind": given.kind or None, "written_at__lte": now - given.older_than if given.older_than else None,
        "written_at__gte": now - given.newer_than if given.newer_than else None, "pk__gt": given.after,
    }
    items = items.filter(**{field: value for field, value in narrowing.items() if value is not None})
    if given.older_than and not given.status:
        items = items.filter(status__in=states.OPEN)
    if given.overdue:
        items = items.filter(status__in=states.OPEN, respond_by__lt=now)
    if given.assignee is not None:
        items = items.filter(assignee_id=given.assignee or None)
    if given.label:
        items = items.filter(label_rows__name=given.label)
    if given.rule:
        items = items.filter(pk__in=ModerationAction.objects.filter(item__workspace=workspace, rule_name=given.rule)
                             .values("item_id"))
    for word in searchable(given.search).split()[:5]:
        items = items.filter(search_text__contains=word)
    return items.select_related("channel", "author", "assignee", "job__variant__post").prefetch_related("label_rows")


def position_of(item: InboxItem) -> str:
    """Where an item stands in the newest-first list, for "older than this" links."""
    return f"{item.written_at.isoformat()}|{item.pk}"


def older_than_position(position: str) -> Q | None:
    moment, _bar, pk = position.partition("|")
    try:
        at = datetime.fromisoformat(moment)
    except ValueError:
        return None
    return Q(written_at__lt=at) | Q(written_at=at, pk__lt=int(pk) if pk.isdigit() else 0)


def item_for(actor, workspace, item_id, action: str = "inbox.view") -> InboxItem:
    items = InboxItem.objects.select_related("channel", "author", "job__variant__post")
    return workspace_object(actor, workspace, items, item_id, action, _("No such inbox item."))


def thread_of(item: InboxItem) -> QuerySet[InboxItem]:
    """The item among the others of its post (or its direct-message conversation), oldest first."""
    return (InboxItem.objects.filter(channel=item.channel, thread_key=item.thread_key)
            .select_related("author").order_by("written_at", "pk"))


def author_history(item: InboxItem, limit: int = 20) -> QuerySet[InboxItem]:
    """What this author wrote to the workspace before, on any of its channels of the same network."""
    return (written_by(item.author).exclude(pk=item.pk)
            .select_related("channel").prefetch_related("label_rows").order_by("-written_at")[:limit])


@dataclass(frozen=True)
class AuthorRecord:
    """An author's whole record in the workspace, what a moderator weighs before a ban: a troll's abuse, a
    regular's praise and questions, a critic's complaints."""

    items: int
    labels: list[tuple[str, int]]  # (label, how many of the items carry it), most frequent first
    hidden: int
    answered: int


def written_by(author: Author) -> QuerySet[InboxItem]:
    # A direct-message thread is kept under the person, the page's own messages in it included: they are not theirs.
    return InboxItem.objects.filter(author=author, from_page=False)


def author_record(author: Author) -> AuthorRecord:
    written = written_by(author)
    counts = written.aggregate(items=Count("pk"), hidden=Count("pk", filter=Q(hidden=True)),
                               answered=Count("pk", filter=Q(first_response_at__isnull=False)))
    labels = (ItemLabel.objects.filter(item__in=written).values_list("name").annotate(times=Count("pk"))
              .order_by("-times", "name"))
    return AuthorRecord(labels=list(labels), **counts)


def assignee_of(workspace, user_id: int | None):
    """Whom an assignment names by id: nobody for none; an id that is not a member's is refused, never read as
    "nobody", which would take the items off everyone."""
    if user_id is None:
        return None
    member = Membership.objects.filter(workspace=workspace, user_id=user_id).select_related("user").first()
    if member is None:
        raise ValidationError(_("Only a member of this workspace can be assigned."))
    return member.user


def assign(*, actor, item: InboxItem, assignee) -> InboxItem:
    ensure_can(actor, "inbox.assign", item.workspace)
    if assignee is not None and not Membership.objects.filter(workspace=item.workspace, user=assignee).exists():
        raise ValidationError(_("Only a member of this workspace can be assigned."))
    if assignee is None:
        states.move([item.pk], ItemStatus.NEW, assignee=None)
    else:
        states.move([item.pk], ItemStatus.ASSIGNED, assignee=assignee)
    item.refresh_from_db()
    return item


def close(*, actor, item: InboxItem) -> InboxItem:
    ensure_can(actor, "inbox.reply", item.workspace)
    states.move([item.pk], ItemStatus.CLOSED, resolved_at=timezone.now())
    item.refresh_from_db()
    return item


@dataclass(frozen=True)
class ManyDone:
    """What acting on several items did: how many it did, and each item it left, with why."""

    done: int
    refused: list[str]


def act_on_many(*, actor, workspace, item_ids, action: str, assignee=None) -> ManyDone:
    """Close, assign, hide or ban the authors of the chosen items at once (a morning's "thanks!", a bot farm's
    wave), each through its own verb, so every rule of that verb holds; an item that cannot be done is named with
    the reason, the rest go ahead. Each author is banned once, however many of their items are chosen."""
    banned = set()

    def ban(item):
        if item.author_id not in banned:
            moderate(actor=actor, item=item, action="ban")
            banned.add(item.author_id)

    verbs = {"close": lambda item: close(actor=actor, item=item),
             "assign": lambda item: assign(actor=actor, item=item, assignee=assignee),
             "hide": lambda item: moderate(actor=actor, item=item, action="hide"), "ban": ban}
    if action not in verbs:
        raise ValidationError(_("Choose what to do with them: close, assign, hide or ban the authors."))
    ensure_can(actor, MANY_ACTIONS_NEED[action], workspace)
    ids = list(dict.fromkeys(int(i) for i in item_ids))
    if not ids or len(ids) > MANY_AT_ONCE:
        raise ValidationError(_("Choose from 1 to %(n)d items.") % {"n": MANY_AT_ONCE})
    done, refused = 0, []
    for item in InboxItem.objects.filter(workspace=workspace, from_page=False, pk__in=ids).select_related(
            "channel", "author", "workspace"):
        try:
            verbs[action](item)
        except ValidationError as exc:
            refused.append(f"“{item.text[:40]}”: {' '.join(exc.messages)}")
        else:
            done += 1
    return ManyDone(done, refused)


def reopen(*, actor, item: InboxItem) -> InboxItem:
    ensure_can(actor, "inbox.reply", item.workspace)
    states.move([item.pk], ItemStatus.NEW, resolved_at=None)
    item.refresh_from_db()
    return item


def add_note(*, actor, item: InboxItem, text: str) -> InboxNote:
    ensure_can(actor, "inbox.view", item.workspace)
    if not text.strip():
        raise ValidationError(_("The note is empty."))
    return InboxNote.objects.create(item=item, author=actor, text=text.strip())


def reply_to(*, actor, item: InboxItem, text: str, seen_reply: int | None = None) -> InboxReply:
    """Queue an answer; a worker sends it (see `send_reply`) and the item shows its delivery state. With
    `seen_reply` (the newest answer the person saw), a colleague's answer sent since is said first, so two people
    on one shift do not both answer; sending again with the newer one seen goes ahead."""
    ensure_can(actor, "inbox.reply", item.workspace)
    text = text.strip()
    if not text:
        raise ValidationError(_("The answer is empty."))
    if len(text) > MAX_REPLY:
        raise ValidationError(_("The answer is longer than %(n)d characters.") % {"n": MAX_REPLY})
    if item.deleted_on_network:
        raise ValidationError(_("This comment was deleted on the network; there is nothing to answer."))
    if not item.channel.connector_class.capabilities.comments and item.kind != ItemKind.MESSAGE:
        raise ValidationError(_("This network does not take answers to comments from Chorus."))
    meanwhile = (item.replies.filter(pk__gt=seen_reply).exclude(author=actor).select_related("author").last()
                 if seen_reply is not None else None)
    if meanwhile:
        raise ValidationError(_("%(person)s answered this meanwhile: “%(text)s”. Send again to send yours too.")
                              % {"person": meanwhile.author.get_username() if meanwhile.author else _("A rule"),
                                 "text": meanwhile.text[:200]})
    return queue_reply(item=item, text=text, author=actor)


def queue_reply(*, item: InboxItem, text: str, author=None) -> InboxReply:
    """Put an answer on the way; `author` None is a rule answering on the team's behalf."""
    from chorus.inbox.tasks import send_reply_task

    reply = InboxReply.objects.create(item=item, author=author, text=text)
    transaction.on_commit(lambda: send_reply_task.delay(reply.pk))
    return reply


def as_conversation(item: InboxItem) -> Conversation:
    return Conversation(kind=item.kind, remote_id=item.remote_id, author_id=item.author.remote_id,
                        author_name=item.author.name, text=item.text, created_at=item.written_at,
                        post_remote_id=item.post_remote_id, parent_remote_id=item.parent_remote_id)


def send_reply(reply_id: int) -> InboxReply:
    """Send a queued answer once: claimed by compare-and-swap, the network's dedupe key is the reply's own."""
    if not InboxReply.objects.filter(pk=reply_id, status=ReplyStatus.QUEUED).update(status=ReplyStatus.SENDING):
        return InboxReply.objects.get(pk=reply_id)
    reply = InboxReply.objects.select_related("item__channel", "item__author").get(pk=reply_id)
    item = reply.item
    try:
        remote_id = item.channel.connector.reply(as_conversation(item), reply.text, str(reply.idempotency_key))
    except errors.NetworkError as exc:
        # The key makes a second try safe, so a transient failure goes back to the queue for the task's retry.
        status = ReplyStatus.QUEUED if exc.retryable else ReplyStatus.FAILED
        InboxReply.objects.filter(pk=reply.pk).update(status=status, error=exc.reason[:300])
        reply.refresh_from_db()
        if exc.retryable:
            raise
        return reply
    now = timezone.now()
    with transaction.atomic():
        InboxReply.objects.filter(pk=reply.pk).update(status=ReplyStatus.SENT, remote_id=remote_id, sent_at=now,
                                                      error="")
        _record_own_answer(item, remote_id, reply.text, now)
        InboxItem.objects.filter(pk=item.pk, first_response_at=now).update(first_response_by=reply.author)
    reply.refresh_from_db()
    return reply


def _record_own_answer(item: InboxItem, remote_id: str, text: str, at: datetime) -> None:
    """The answer joins the thread now; when the network is read again it is the same item, not a new one."""
    from chorus.inbox.ingestion import record_conversations

    in_messages = item.kind == ItemKind.MESSAGE
    # A direct conversation is keyed by the person, so the page's answer carries their id, as networks report it.
    answer = Conversation(kind=ItemKind.MESSAGE if in_messages else ItemKind.REPLY, remote_id=remote_id,
                          author_id=item.author.remote_id if in_messages else f"page:{item.channel.pk}",
                          author_name=item.channel.name, text=text, created_at=at,
                          post_remote_id=item.post_remote_id, parent_remote_id=item.remote_id, from_page=True)
    record_conversations(item.channel, [answer])


def moderate(*, actor, item: InboxItem, action: str, rule_name: str = "") -> ModerationAction:
    """Hide, delete or ban on the network, and log it; a refusal is logged with the network's reason."""
    if actor is not None:
        ensure_can(actor, "inbox.moderate", item.workspace)
    if action not in item.channel.connector_class.capabilities.moderation:
        raise ValidationError(_("%(network)s cannot %(action)s.") % {"network": item.channel.connector_class.label,
                                                                     "action": action})
    log = ModerationAction(item=item, action=action, by=actor, rule_name=rule_name)
    try:
        item.channel.connector.moderate(as_conversation(item), action)
    except errors.RemoteNotFound:
        pass  # already gone on the network: the goal is reached
    except errors.NetworkError as exc:
        log.outcome = exc.reason[:300]
        log.save()
        raise ValidationError(_("The network refused: %(reason)s") % {"reason": exc.reason}) from exc
    log.save()
    if action == "hide":
        InboxItem.objects.filter(pk=item.pk).update(hidden=True)
    elif action == "delete":
        InboxItem.objects.filter(pk=item.pk).update(deleted_on_network=True)
    elif action == "ban":
        Author.objects.filter(pk=item.author_id).update(banned_at=log.done_at)
    if action in MODERATED_AWAY:
        # Out of sight needs no answer: it leaves the queue, and its target and overdue alert with it.
        states.move(InboxItem.objects.filter(pk=item.pk, status__in=states.OPEN), ItemStatus.CLOSED,
                    resolved_at=log.done_at)
    item.refresh_from_db()
    return log


UNDONE_AS = {"hide": "unhide", "ban": "unban"}


def why_not_undone(action: ModerationAction) -> str:
    """Why this logged action cannot be taken back, or "" when it can; the page and `undo_moderation` both ask."""
    if action.action not in ON_THE_NETWORK:
        return ""  # assign, reply, alert, unhide, unban: nothing to offer
    if action.dry_run:
        return _("A dry run did nothing on the network; there is nothing to undo.")
    if action.undone_at:
        return _("Already undone.")
    if action.outcome:
        return _("It was not done, so there is nothing to undo.")
    if action.action == "delete":
        return _("A deleted comment cannot be brought back.")
    connector = action.item.channel.connector_class
    if action.action not in connector.capabilities.undo:
        return _("%(network)s cannot take back a %(action)s.") % {"network": connector.label,
                                                                  "action": action.action}
    return ""


def moderation_action_for(actor, workspace, action_id: int) -> ModerationAction:
    ensure_can(actor, "inbox.moderate", workspace)
    found = ModerationAction.objects.filter(item__workspace=workspace, pk=action_id).select_related(
        "item__channel", "item__author").first()
    if found is None:
        raise Http404(_("No such moderation action."))
    return found


def undo_moderation(*, actor, action: ModerationAction) -> ModerationAction:
    """Take back a hide or a ban on the network where it allows, and log the undo beside the action."""
    item = action.item
    ensure_can(actor, "inbox.moderate", item.workspace)
    reason = why_not_undone(action) or ("" if action.action in ON_THE_NETWORK else _("There is nothing to undo."))
    if reason:
        raise ValidationError(reason)
    # Two people pressing Undo at once: only one UPDATE matches, the other is told it is done.
    now = timezone.now()
    if not ModerationAction.objects.filter(pk=action.pk, undone_at=None).update(undone_at=now):
        raise ValidationError(_("Already undone."))
    log = ModerationAction(item=item, action=UNDONE_AS[action.action], by=actor)
    try:
        item.channel.connector.undo(as_conversation(item), action.action)
    except errors.RemoteNotFound as exc:
        if action.action == "hide":  # the comment is gone since: nothing left to show
            ModerationAction.objects.filter(pk=action.pk).update(undone_at=None)
            raise ValidationError(_("The network no longer has this comment.")) from exc
    except errors.NetworkError as exc:
        ModerationAction.objects.filter(pk=action.pk).update(undone_at=None)
        log.outcome = exc.reason[:300]
        log.save()
        raise ValidationError(_("The network refused: %(reason)s") % {"reason": exc.reason}) from exc
    log.save()
    if action.action == "hide":
        InboxItem.objects.filter(pk=item.pk).update(hidden=False)
        # Back in sight, back in the queue, if the hide is what closed it.
        states.move(InboxItem.objects.filter(pk=item.pk, status=ItemStatus.CLOSED, resolved_at=action.done_at),
                    ItemStatus.NEW, resolved_at=None)
    else:
        # One unban lifts every ban of this author, whichever of their comments it was pressed on.
        ModerationAction.objects.filter(item__author=item.author, action="ban", dry_run=False, outcome="",
                                        undone_at=None).update(undone_at=now)
        Author.objects.filter(pk=item.author_id).update(banned_at=None)
    action.refresh_from_db()
    item.refresh_from_db()
    return log


PLACEHOLDER = re.compile(r"\{(author|product|channel)\}")


def fill_placeholders(template: str, item: InboxItem) -> str:
    first_name = item.author.name.split()[0] if item.author.name.split() else ""
    values = {"author": first_name, "product": item.workspace.name, "channel": item.channel.name}
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def suggest_replies(item: InboxItem, limit: int = 3) -> list[tuple[SavedReply, str]]:
    """Saved replies that fit the item: its labels first, then words of an objection or keyword found in it."""
    labels = set(item.label_rows.values_list("name", flat=True))
    text = item.text.lower()
    scored = []
    for saved in SavedReply.objects.filter(workspace=item.workspace):
        score = 2 * len(labels & set(saved.labels))
        score += sum(1 for word in saved.keywords if word.lower() in text)
        if score:
            scored.append((score, saved.title, saved))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [(saved, fill_placeholders(saved.text, item)) for _score, _title, saved in scored[:limit]]


def save_reply_template(*, actor, workspace, title: str, text: str, objection: str = "", labels=(),
                        keywords=(), saved: SavedReply | None = None) -> SavedReply:
    """Add a saved reply, or change `saved`; a placeholder we cannot fill would reach the customer as typed."""
    ensure_can(actor, "inbox.templates", workspace)
    title, text, objection = title.strip(), text.strip(), objection.strip()
    if not title or not text:
        raise ValidationError(_("A saved reply needs a title and a text."))
    for field, value in (("title", title), ("objection", objection)):
        if len(value) > (most := SavedReply._meta.get_field(field).max_length):
            raise ValidationError(_("The %(field)s is at most %(most)d characters.")
                                  % {"field": SavedReply._meta.get_field(field).verbose_name, "most": most})
    if unknown := [found for found in re.findall(r"\{[^{}]*\}", text) if not PLACEHOLDER.fullmatch(found)]:
        raise ValidationError(_("%(placeholder)s is not a placeholder we can fill; use {author}, {product} or "
                                "{channel}.") % {"placeholder": unknown[0]})
    saved = saved or SavedReply(workspace=workspace)
    saved.title, saved.text, saved.objection = title, text, objection
    saved.labels = [label_code(x) for x in labels if x.strip()]
    saved.keywords = [x.strip() for x in keywords if x.strip()]
    saved.save()
    return saved


def delete_reply_template(*, actor, saved: SavedReply) -> None:
    """Refused while a rule answers with it: the rule would go quiet without a word."""
    ensure_can(actor, "inbox.templates", saved.workspace)
    if user := saved.workspace.moderation_rules.filter(saved_reply=saved).first():
        raise ValidationError(_("The rule “%(rule)s” answers with it; change the rule first.") % {"rule": user.name})
    saved.delete()
