"""The inbox over the REST API: list and read items, answer, assign, moderate, correct labels."""

from datetime import datetime

from ninja import Router, Schema

from chorus.inbox import labelling, services, spammers
from chorus.inbox.services import InboxFilter
from chorus.workspaces.api import answers, caller, workspace_of


class InboxItemOut(Schema):
    id: int
    channel: int
    kind: str
    status: str
    author: str
    author_id: str
    text: str
    written_at: datetime
    post_remote_id: str
    language: str
    sentiment: str
    labels: dict[str, float]
    assignee: int | None
    hidden: bool
    deleted_on_network: bool


class AuthorOut(Schema):
    name: str
    author_id: str
    first_seen_at: datetime
    banned_at: datetime | None
    known_spammer: bool
    items: int
    answered: int
    hidden: int
    labels: dict[str, int]  # how many of their items carry each label
    history: list[InboxItemOut]  # their other items, newest first (at most 20)


def item_document(item) -> dict:
    """One item as the API and `chorus inbox list --json` show it."""
    return {"id": item.pk, "channel": item.channel_id, "kind": item.kind, "status": item.status,
            "author": item.author.name, "author_id": item.author.remote_id, "text": item.text,
            "written_at": item.written_at, "post_remote_id": item.post_remote_id, "language": item.language,
            "sentiment": item.sentiment, "labels": item.labels, "assignee": item.assignee_id,
            "hidden": item.hidden, "deleted_on_network": item.deleted_on_network}


class ReplyIn(Schema):
    text: str
    seen_reply: int | None = None  # the newest answer id the writer saw: a colleague's newer one refuses this (400)


class ReplyOut(Schema):
    id: int
    status: str
    text: str
    error: str


class ModerateIn(Schema):
    action: str


class ModerationActionOut(Schema):
    id: int
    item: int
    action: str
    rule_name: str
    dry_run: bool
    outcome: str
    done_at: datetime
    undone_at: datetime | None


def action_document(action) -> dict:
    return {"id": action.pk, "item": action.item_id, "action": action.action, "rule_name": action.rule_name,
            "dry_run": action.dry_run, "outcome": action.outcome, "done_at": action.done_at,
            "undone_at": action.undone_at}


class LabelIn(Schema):
    name: str  # spam, abuse, question, complaint, praise, lead, or sentiment
    value: str  # yes/no for a label; negative/neutral/positive for sentiment


class SpammerIn(Schema):
    known: bool = True


class AssignIn(Schema):
    user_id: int | None = None


class ManyIn(Schema):
    items: list[int]
    action: str  # close, assign, hide or ban (each author once)
    user_id: int | None = None  # whom "assign" gives them to; none takes them off everyone


class ManyDoneOut(Schema):
    done: int
    refused: list[str]


router = Router(tags=["inbox"])


@router.get("/workspaces/{slug}/inbox", response=answers(200, list[InboxItemOut]), summary="Inbox items")
def list_items(request, slug: str, status: str = "", channel: int | None = None, label: str = "", kind: str = "",
               language: str = "", q: str = "", overdue: bool = False, rule: str = "", limit: int = 100):
    chosen = InboxFilter(channel=channel, status=status, label=label, kind=kind, language=language, search=q,
                         overdue=overdue, rule=rule)
    items = services.inbox_of(caller(request), workspace_of(request, slug), chosen)[:max(1, min(limit, 500))]
    return [item_document(item) for item in items]


# Declared before the item routes, whose {item_id} would otherwise take "many".
@router.post("/workspaces/{slug}/inbox/many", response=answers(200, ManyDoneOut),
             summary="Close, assign, hide or ban the authors of several items at once; each refused one is named "
                     "with the reason")
def act_on_many(request, slug: str, payload: ManyIn):
    actor = caller(request)
    workspace = workspace_of(request, slug)
    done = services.act_on_many(actor=actor, workspace=workspace, item_ids=payload.items, action=payload.action,
                                assignee=services.assignee_of(workspace, payload.user_id))
    return {"done": done.done, "refused": done.refused}


@router.get("/workspaces/{slug}/inbox/{item_id}", response=answers(200, InboxItemOut), summary="One inbox item")
def get_item(request, slug: str, item_id: int):
    return item_document(services.item_for(caller(request), workspace_of(request, slug), item_id))


@router.get("/workspaces/{slug}/inbox/{item_id}/author", response=answers(200, AuthorOut),
            summary="Who wrote an item: their record in the workspace and their other items")
def get_author(request, slug: str, item_id: int):
    return author_document(services.item_for(caller(request), workspace_of(request, slug), item_id))


@router.post("/workspaces/{slug}/inbox/{item_id}/author/spammer", response=answers(200, AuthorOut),
             summary="Put the item's author on the workspace's list of known spammers, or take them off")
def mark_spammer(request, slug: str, item_id: int, payload: SpammerIn):
    actor = caller(request)
    item = services.item_for(actor, workspace_of(request, slug), item_id, action="inbox.moderate")
    spammers.mark_spammer(actor=actor, author=item.author, known=payload.known)
    return author_document(item)


def author_document(item) -> dict:
    author, record = item.author, services.author_record(item.author)
    return {"name": author.name, "author_id": author.remote_id, "first_seen_at": author.first_seen_at,
            "banned_at": author.banned_at, "known_spammer": author.known_spammer, "items": record.items,
            "answered": record.answered, "hidden": record.hidden, "labels": dict(record.labels),
            "history": [item_document(past) for past in services.author_history(item)]}


@router.post("/workspaces/{slug}/inbox/{item_id}/reply", response=answers(202, ReplyOut),
             summary="Answer an item (sent by a worker)")
def reply(request, slug: str, item_id: int, payload: ReplyIn):
    actor = caller(request)
    item = services.item_for(actor, workspace_of(request, slug), item_id, action="inbox.reply")
    return 202, services.reply_to(actor=actor, item=item, text=payload.text, seen_reply=payload.seen_reply)


@router.post("/workspaces/{slug}/inbox/{item_id}/moderate", response=answers(200, InboxItemOut),
             summary="Hide, delete or ban on the network")
def moderate(request, slug: str, item_id: int, payload: ModerateIn):
    actor = caller(request)
    item = services.item_for(actor, workspace_of(request, slug), item_id, action="inbox.moderate")
    services.moderate(actor=actor, item=item, action=payload.action)
    return item_document(item)


@router.post("/workspaces/{slug}/inbox/actions/{action_id}/undo", response=answers(200, ModerationActionOut),
             summary="Undo a hide or a ban where the network allows (logged as unhide or unban)")
def undo(request, slug: str, action_id: int):
    actor = caller(request)
    action = services.moderation_action_for(actor, workspace_of(request, slug), action_id)
    return action_document(services.undo_moderation(actor=actor, action=action))


@router.post("/workspaces/{slug}/inbox/{item_id}/assign", response=answers(200, InboxItemOut),
             summary="Assign an item to a member, or to nobody")
def assign(request, slug: str, item_id: int, payload: AssignIn):
    actor = caller(request)
    workspace = workspace_of(request, slug)
    item = services.item_for(actor, workspace, item_id, action="inbox.assign")
    return item_document(services.assign(actor=actor, item=item,
                                         assignee=services.assignee_of(workspace, payload.user_id)))


@router.post("/workspaces/{slug}/inbox/{item_id}/label", response=answers(200, InboxItemOut),
             summary="Correct one label of an item (kept on relabelling, learnt at retraining)")
def correct_label(request, slug: str, item_id: int, payload: LabelIn):
    actor = caller(request)
    item = services.item_for(actor, workspace_of(request, slug), item_id, action="inbox.moderate")
    labelling.correct_label(actor=actor, item=item, name=payload.name, value=payload.value)
    item.refresh_from_db()
    return item_document(item)
