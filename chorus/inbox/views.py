"""Inbox pages: the list with its filters and live additions, one item with its thread, and the team report.
Views stay thin; the settings page is `settings_views`."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from chorus.channels.services import channels_of
from chorus.inbox import activity, labelling, response_times, services, spammers
from chorus.inbox.models import (
    MODERATION_ACTION_TITLES,
    ON_THE_NETWORK,
    ItemKind,
    ItemStatus,
)
from chorus.inbox.services import InboxFilter
from chorus.web.decorators import workspace_view
from chorus.workspaces.models import Membership
from chorus.workspaces.roles import can

AGES = {"1h": timedelta(hours=1), "4h": timedelta(hours=4), "24h": timedelta(days=1), "7d": timedelta(days=7)}
PAGE = 50


def number_from(value: str) -> int | None:
    """A form's or query's id or count; anything else is None."""
    return int(value) if value.isdigit() else None


def filter_from(query) -> InboxFilter:
    assignee = query.get("assignee", "")
    return InboxFilter(
        channel=number_from(query.get("channel", "")), status=query.get("status", ""), label=query.get("label", ""),
        language=query.get("language", ""), kind=query.get("kind", ""),
        assignee=0 if assignee == "nobody" else number_from(assignee), older_than=AGES.get(query.get("waiting", "")),
        search=query.get("q", "")[:200], after=number_from(query.get("after", "")),
        overdue=query.get("waiting", "") == "overdue", rule=query.get("rule", "")[:120],
        author=number_from(query.get("author", "")))


def _may(request, action: str) -> bool:
    return can(request.role, action, request.grants)


@workspace_view("inbox.view")
def inbox(request):
    """One page of PAGE items; "older" continues after the last one shown (no count over a big inbox)."""
    items = services.inbox_of(request.user, request.workspace, filter_from(request.GET))
    newest = items.order_by("-pk").values_list("pk", flat=True).first() or 0
    before = services.older_than_position(request.GET.get("before", ""))
    page = list((items.filter(before) if before else items)[:PAGE + 1])
    query = request.GET.copy()
    query.pop("before", None)
    query.pop("after", None)
    everyone = query.copy()
    everyone.pop("author", None)
    return render(request, "inbox/inbox.html", {
        "page": page[:PAGE], "older": services.position_of(page[PAGE - 1]) if len(page) > PAGE else "",
        "first_page": before is None, "newest": newest, "query": query.urlencode(), "chosen": request.GET,
        "channels": channels_of(request.user, request.workspace), "statuses": ItemStatus.choices,
        "kinds": ItemKind.choices, "labels": labelling.SHOWN, "ages": list(AGES),
        "rule_names": request.workspace.moderation_rules.values_list("name", flat=True),
        "author": request.workspace.authors.filter(pk=number_from(request.GET.get("author", ""))).first(),
        "everyone": everyone.urlencode(),
        "members": Membership.objects.filter(workspace=request.workspace).select_related("user")})


@workspace_view("inbox.view")
def inbox_new(request):
    """What the open list polls for: items newer than the newest it shows, and the next poll."""
    after = number_from(request.GET.get("after", "")) or 0
    items = list(services.inbox_of(request.user, request.workspace, filter_from(request.GET))[:50])
    query = request.GET.copy()
    query["after"] = max([after, *(i.pk for i in items)])
    return render(request, "inbox/_new_items.html", {"items": items, "query": query.urlencode()})


@workspace_view("inbox.view")
@require_POST
def inbox_many(request):
    """The list's "with the chosen ones" bar; back to the same filtered list, saying what was and was not done."""
    post = request.POST
    try:
        done = services.act_on_many(actor=request.user, workspace=request.workspace,
                                    item_ids=[i for i in post.getlist("items") if i.isdigit()],
                                    action=post.get("action", ""),
                                    assignee=services.assignee_of(request.workspace,
                                                                  number_from(post.get("assignee", ""))))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, ngettext("%(n)d item done.", "%(n)d items done.", done.done) % {"n": done.done})
        for why in done.refused:
            messages.warning(request, _("Not done: %(why)s") % {"why": why})
    return redirect(f"{reverse('inbox', args=[request.workspace.slug])}?{post.get('query', '')}")


@workspace_view("inbox.view")
def inbox_item(request, item_id):
    return _item_page(request, services.item_for(request.user, request.workspace, item_id))


def _item_page(request, item, answer: str = "", status: int = 200):
    """The item with its thread and author; `answer` is a refused answer's text, put back in the box."""
    replies = list(item.replies.select_related("author"))
    return render(request, "inbox/item.html", {
        "answer": answer, "seen_reply": max((reply.pk for reply in replies), default=0), "replies": replies,
        "item": item, "thread": services.thread_of(item), "history": services.author_history(item),
        "author_record": services.author_record(item.author),
        "notes": item.notes.select_related("author"),
        "actions": [(action, action.action in ON_THE_NETWORK, services.why_not_undone(action))
                    for action in item.moderation_actions.select_related("by", "item__channel")],
        "may_undo": _may(request, "inbox.moderate"),
        "suggestions": services.suggest_replies(item) if _may(request, "inbox.reply") else [],
        "moderation": [(action, capfirst(MODERATION_ACTION_TITLES[action]))
                       for action in item.channel.connector_class.capabilities.moderation]
        if _may(request, "inbox.moderate") else (),
        "may_reply": _may(request, "inbox.reply"), "may_assign": _may(request, "inbox.assign"),
        "members": Membership.objects.filter(workspace=request.workspace).select_related("user"),
        "labels": item.label_rows.order_by("-confidence"), "may_correct": _may(request, "inbox.moderate"),
        "board": labelling.label_board(item), "sentiments": labelling.sentiment_choices()}, status=status)


def _act(request, item_id, verb, done: str):
    item = services.item_for(request.user, request.workspace, item_id)
    try:
        verb(item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("inbox-item", request.workspace.slug, item.pk)


@workspace_view("inbox.reply")
@require_POST
def inbox_reply(request, item_id):
    """A refused answer comes back in the box with the reason, including "a colleague answered meanwhile"."""
    item = services.item_for(request.user, request.workspace, item_id)
    text = request.POST.get("text", "")
    try:
        services.reply_to(actor=request.user, item=item, text=text,
                          seen_reply=number_from(request.POST.get("seen_reply", "")))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _item_page(request, item, answer=text, status=400)
    messages.success(request, _("The answer is on its way."))
    return redirect("inbox-item", request.workspace.slug, item.pk)


@workspace_view("inbox.view")
@require_POST
def inbox_note(request, item_id):
    text = request.POST.get("text", "")
    return _act(request, item_id, lambda item: services.add_note(actor=request.user, item=item, text=text),
                _("Note added."))


@workspace_view("inbox.assign")
@require_POST
def inbox_assign(request, item_id):
    user_id = number_from(request.POST.get("assignee", ""))
    return _act(request, item_id, lambda item: services.assign(
        actor=request.user, item=item, assignee=services.assignee_of(request.workspace, user_id)), _("Assigned."))


@workspace_view("inbox.reply")
@require_POST
def inbox_status(request, item_id):
    verb = services.reopen if request.POST.get("status") == ItemStatus.NEW else services.close
    return _act(request, item_id, lambda item: verb(actor=request.user, item=item), _("Saved."))


@workspace_view("inbox.moderate")
@require_POST
def inbox_label(request, item_id):
    name, _colon, value = request.POST.get("verdict", "").partition(":")  # "spam:no", "sentiment:positive"
    return _act(request, item_id, lambda item: labelling.correct_label(actor=request.user, item=item, name=name,
                                                                       value=value),
                _("Label corrected; the workspace's model learns it at the next retraining."))


@workspace_view("inbox.moderate")
@require_POST
def inbox_moderate(request, item_id):
    action = request.POST.get("action", "")
    return _act(request, item_id, lambda item: services.moderate(actor=request.user, item=item, action=action),
                _("Done on the network."))


@workspace_view("inbox.moderate")
@require_POST
def inbox_undo(request, action_id):
    action = services.moderation_action_for(request.user, request.workspace, action_id)
    try:
        services.undo_moderation(actor=request.user, action=action)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Undone on the network."))
    return redirect("inbox-item", request.workspace.slug, action.item_id)


@workspace_view("inbox.moderate")
@require_POST
def inbox_spammer(request, item_id):
    known = request.POST.get("known") == "1"
    return _act(request, item_id, lambda item: spammers.mark_spammer(actor=request.user, author=item.author,
                                                                     known=known),
                _("On the list of known spammers.") if known else _("Taken off the list of known spammers."))


@workspace_view("inbox.view")
def inbox_response_times(request):
    days = number_from(request.GET.get("days", "")) or 30
    until = timezone.now()
    period = {"actor": request.user, "workspace": request.workspace, "since": until - timedelta(days=days),
              "until": until}
    business = bool(request.GET.get("business"))
    try:
        report = response_times.response_report(**period, business_hours=business)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        report, business = response_times.response_report(**period), False
    return render(request, "inbox/response_times.html", {"report": report, "days": days, "business": business,
                                                         "moderation": activity.moderation_report(**period)})
