"""The inbox's settings page: business hours, response targets, saved replies, moderation rules, alert
outlets, known spammers and retraining. Views stay thin; the verbs are in the domain modules."""

from dataclasses import dataclass, field
from datetime import time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chorus.channels.services import channel_for, channels_of
from chorus.inbox import copying, labelling, response_times, rules, services, spammers
from chorus.inbox.models import (
    AUTHOR_SIGN_TITLES,
    LABEL_TITLES,
    MODERATION_ACTION_TITLES,
    Author,
    BusinessHours,
    ItemKind,
    LabelCorrection,
    ModerationRule,
    ResponseTarget,
    SavedReply,
)
from chorus.inbox.views import number_from
from chorus.notifications import services as alerts
from chorus.notifications.models import AlertDelivery
from chorus.web.decorators import workspace_view
from chorus.workspaces.models import Membership
from chorus.workspaces.services import workspace_object
from chorus.workspaces.timezones import WEEKDAY_NAMES

SPAMMERS_SHOWN = 50  # the rest are in the downloaded list


def _labels_from(text: str) -> dict[str, float]:
    """ "spam:0.9, abuse:0.8" → {"spam": 0.9, "abuse": 0.8}; a bad part is said, not skipped."""
    labels = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _colon, least = part.partition(":")
        try:
            labels[labelling.label_code(name)] = float(least or 0.5)
        except ValueError as exc:
            raise ValidationError(_("Write labels as name:confidence, e.g. spam:0.9 (got %(part)s).")
                                  % {"part": part}) from exc
    return labels


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


@dataclass
class RuleDraft:
    """The rule form as the team fills it in: from the rule being edited, or from a refused post, so that a typo in
    a pattern does not cost everything else typed."""

    rule_id: int | None = None
    name: str = ""
    channel_id: int | None = None
    labels: str = ""
    keywords: str = ""
    pattern: str = ""
    authors: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    hours: str = ""
    actions: list[str] = field(default_factory=list)
    assignee_id: int | None = None
    saved_reply_id: int | None = None
    dry_run: bool = True
    stop: bool = True

    @classmethod
    def of_rule(cls, rule: ModerationRule) -> "RuleDraft":
        conditions = rule.conditions
        return cls(rule_id=rule.pk, name=rule.name, channel_id=rule.channel_id,
                   labels=", ".join(f"{LABEL_TITLES[name]}:{least}"
                                    for name, least in conditions.get("labels", {}).items()),
                   keywords=", ".join(conditions.get("keywords", [])), pattern=conditions.get("pattern", ""),
                   authors=conditions.get("authors", []), kinds=conditions.get("kinds", []),
                   hours=conditions.get("hours", ""), actions=rule.actions, assignee_id=rule.assignee_id,
                   saved_reply_id=rule.saved_reply_id, dry_run=rule.dry_run, stop=rule.stop)

    @classmethod
    def of_post(cls, post) -> "RuleDraft":
        return cls(rule_id=number_from(post.get("rule", "")), name=post.get("name", ""),
                   channel_id=number_from(post.get("channel", "")), labels=post.get("labels", ""),
                   keywords=post.get("keywords", ""), pattern=post.get("pattern", "").strip(),
                   authors=post.getlist("authors"), kinds=post.getlist("kinds"), hours=post.get("hours", ""),
                   actions=post.getlist("actions"), assignee_id=number_from(post.get("assignee", "")),
                   saved_reply_id=number_from(post.get("saved_reply", "")),
                   dry_run=bool(post.get("dry_run")), stop=bool(post.get("stop")))

    def save(self, actor, workspace) -> ModerationRule:
        conditions = {"labels": _labels_from(self.labels), "keywords": _words(self.keywords),
                      "pattern": self.pattern, "authors": self.authors, "kinds": self.kinds, "hours": self.hours}
        rule = (workspace_object(actor, workspace, ModerationRule.objects, self.rule_id, "inbox.rules",
                                 _("No such rule.")) if self.rule_id else None)
        return rules.save_rule(
            actor=actor, workspace=workspace, name=self.name, conditions={k: v for k, v in conditions.items() if v},
            actions=self.actions, rule=rule,
            channel=channel_for(actor, workspace, self.channel_id) if self.channel_id else None,
            dry_run=self.dry_run, stop=self.stop, assignee=services.assignee_of(workspace, self.assignee_id),
            saved_reply=workspace.saved_replies.filter(pk=self.saved_reply_id).first())


@dataclass
class ReplyDraft:
    """The saved-reply form: from the reply being edited, or from a refused post, kept as typed."""

    saved_id: int | None = None
    title: str = ""
    objection: str = ""
    text: str = ""
    labels: str = ""
    keywords: str = ""

    @classmethod
    def of_saved(cls, saved: SavedReply) -> "ReplyDraft":
        return cls(saved_id=saved.pk, title=saved.title, objection=saved.objection, text=saved.text,
                   labels=", ".join(str(LABEL_TITLES.get(name, name)) for name in saved.labels),
                   keywords=", ".join(saved.keywords))

    @classmethod
    def of_post(cls, post) -> "ReplyDraft":
        return cls(saved_id=number_from(post.get("saved", "")), title=post.get("title", ""),
                   objection=post.get("objection", ""), text=post.get("text", ""), labels=post.get("labels", ""),
                   keywords=post.get("keywords", ""))

    def save(self, actor, workspace) -> SavedReply:
        saved = (workspace_object(actor, workspace, SavedReply.objects, self.saved_id, "inbox.templates",
                                  _("No such saved reply.")) if self.saved_id else None)
        return services.save_reply_template(actor=actor, workspace=workspace, title=self.title, text=self.text,
                                            objection=self.objection, labels=_words(self.labels),
                                            keywords=_words(self.keywords), saved=saved)


@workspace_view("inbox.rules")
def inbox_settings(request):
    """`?edit=<rule>` or `?reply=<saved reply>` puts that one in its form."""
    workspace = request.workspace
    editing, reply = number_from(request.GET.get("edit", "")), number_from(request.GET.get("reply", ""))
    rule = workspace_object(request.user, workspace, ModerationRule.objects, editing, "inbox.rules",
                            _("No such rule.")) if editing else None
    saved = workspace_object(request.user, workspace, SavedReply.objects, reply, "inbox.templates",
                             _("No such saved reply.")) if reply else None
    return _settings_page(request, draft=RuleDraft.of_rule(rule) if rule else RuleDraft(),
                          reply_draft=ReplyDraft.of_saved(saved) if saved else ReplyDraft())


def _settings_page(request, *, draft: RuleDraft | None = None, reply_draft: ReplyDraft | None = None,
                   status: int = 200):
    workspace = request.workspace
    channels = channels_of(request.user, workspace)
    targets = {t.channel_id: t for t in ResponseTarget.objects.filter(channel__in=channels)}
    return render(request, "inbox/settings.html", {
        "hours": BusinessHours.objects.filter(workspace=workspace).first(),
        "weekdays": list(enumerate(WEEKDAY_NAMES)),
        "channel_targets": [(c, targets.get(c.pk)) for c in channels], "channels": channels,
        "rules": [(r, rules.summary(r), rules.track_record(r))
                  for r in workspace.moderation_rules.select_related("channel")],
        "draft": draft or RuleDraft(), "reply_draft": reply_draft or ReplyDraft(),
        "copy_sources": copying.sources_for(request.user, workspace),
        "saved_replies": workspace.saved_replies.all(), "actions": MODERATION_ACTION_TITLES.items(),
        "signs": AUTHOR_SIGN_TITLES.items(), "kinds": ItemKind.choices, "rule_hours": rules.HOURS_TITLES.items(),
        "members": Membership.objects.filter(workspace=workspace).select_related("user"),
        "corrections": LabelCorrection.objects.filter(item__workspace=workspace).count(),
        "spammers": spammers.known_spammers(workspace)[:SPAMMERS_SHOWN],
        "spammer_count": spammers.known_spammers(workspace).count(), "networks": spammers.networks_of(workspace),
        "outlets": alerts.outlets_of(workspace), "deliveries": alerts.recent_deliveries(request.user, workspace)},
        status=status)


@workspace_view("inbox.moderate")
@require_POST
def inbox_spammers_add(request):
    try:
        added = spammers.add_spammers(actor=request.user, workspace=request.workspace,
                                      network=request.POST.get("network", ""), listing=request.POST.get("ids", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Added to the list: %(added)d; already on it: %(already)d.")
                         % {"added": added.added, "already": added.already})
        for problem in added.problems:
            messages.warning(request, problem)
    return redirect(reverse("inbox-settings", args=[request.workspace.slug]) + "#spammers")


@workspace_view("inbox.moderate")
@require_POST
def inbox_spammer_off(request, author_id):
    author = workspace_object(request.user, request.workspace, Author.objects, author_id, "inbox.moderate",
                              _("No such author."))
    spammers.mark_spammer(actor=request.user, author=author, known=False)
    return redirect(reverse("inbox-settings", args=[request.workspace.slug]) + "#spammers")


@workspace_view("inbox.moderate")
def inbox_spammers_listing(request):
    network = request.GET.get("network", "")
    listing = spammers.listing_of(actor=request.user, workspace=request.workspace, network=network)
    response = HttpResponse(listing, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="spammers-{request.workspace.slug}-'
                                       f'{slugify(network)}.txt"')
    return response


@workspace_view("inbox.moderate")
@require_POST
def inbox_retrain(request):
    """A few seconds: the heads the corrections name are fitted again on the corpus plus the corrections."""
    return _saved(request, lambda: labelling.retrain_workspace(actor=request.user, workspace=request.workspace),
                  _("The workspace's model learnt its corrections; the inbox is being labelled again."))


def _saved(request, verb, done: str, kept: dict | None = None):
    """Do `verb` and say so; refused, the page says why, and with `kept` (a form's draft) it comes back with what
    was typed in that form instead of an empty one."""
    try:
        verb()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        if kept:
            return _settings_page(request, **kept, status=400)
    else:
        messages.success(request, done)
    return redirect("inbox-settings", request.workspace.slug)


def _time(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(_("Write times as HH:MM.")) from exc


@workspace_view("inbox.rules")
@require_POST
def inbox_alerts(request):
    post = request.POST
    return _saved(request, lambda: alerts.set_outlets(
        actor=request.user, workspace=request.workspace, email=bool(post.get("email")),
        telegram_chat=post.get("telegram_chat", ""), telegram_token=post.get("telegram_token", "")),
        _("Alert outlets saved."))


@workspace_view("inbox.rules")
@require_POST
def inbox_alerts_test(request):
    try:
        deliveries = alerts.send_test_alert(actor=request.user, workspace=request.workspace)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("inbox-settings", request.workspace.slug)
    for delivery in deliveries:
        outlet = delivery.get_outlet_display()
        if delivery.status == AlertDelivery.Status.SENT:
            messages.success(request, _("%(outlet)s: the test alert went out.") % {"outlet": outlet})
        else:
            messages.error(request, _("%(outlet)s: the test alert failed: %(reason)s")
                           % {"outlet": outlet, "reason": delivery.error})
    return redirect("inbox-settings", request.workspace.slug)


@workspace_view("inbox.rules")
@require_POST
def inbox_hours(request):
    post = request.POST
    return _saved(request, lambda: response_times.set_business_hours(
        actor=request.user, workspace=request.workspace, weekdays=[int(d) for d in post.getlist("weekdays")],
        opens=_time(post.get("opens", "")), closes=_time(post.get("closes", ""))), _("Business hours saved."))


@workspace_view("inbox.rules")
@require_POST
def inbox_target(request):
    channel = channel_for(request.user, request.workspace, number_from(request.POST.get("channel", "")) or 0)
    minutes = number_from(request.POST.get("minutes", "")) or 0
    if not minutes:
        ResponseTarget.objects.filter(channel=channel).delete()
        messages.success(request, _("Target removed."))
        return redirect("inbox-settings", request.workspace.slug)
    return _saved(request, lambda: response_times.set_response_target(
        actor=request.user, channel=channel, minutes=minutes, business_hours=bool(request.POST.get("business"))),
        _("Target saved."))


@workspace_view("inbox.templates")
@require_POST
def inbox_saved_reply(request):
    draft = ReplyDraft.of_post(request.POST)
    return _saved(request, lambda: draft.save(request.user, request.workspace), _("Saved reply saved."),
                  kept={"reply_draft": draft})


@workspace_view("inbox.templates")
@require_POST
def inbox_saved_reply_delete(request, saved_id):
    saved = workspace_object(request.user, request.workspace, SavedReply.objects, saved_id, "inbox.templates",
                             _("No such saved reply."))
    return _saved(request, lambda: services.delete_reply_template(actor=request.user, saved=saved),
                  _("Saved reply deleted."))


@workspace_view("inbox.rules")
@require_POST
def inbox_rule(request):
    draft = RuleDraft.of_post(request.POST)
    return _saved(request, lambda: draft.save(request.user, request.workspace), _("Rule saved."),
                  kept={"draft": draft})


@workspace_view("inbox.rules")
@require_POST
def inbox_copy_setup(request):
    source = next((w for w in copying.sources_for(request.user, request.workspace)
                   if w.slug == request.POST.get("source")), None)
    if source is None:
        messages.error(request, _("Choose a workspace whose inbox you set up."))
        return redirect("inbox-settings", request.workspace.slug)
    copied = copying.copy_inbox_setup(actor=request.user, source=source, target=request.workspace)
    messages.success(request, _("Copied from %(source)s: rules (in dry run) %(rules)d, saved replies %(replies)d.")
                     % {"source": source.name, "rules": copied.rules, "replies": copied.saved_replies})
    for left in copied.left:
        messages.warning(request, _("Not copied: %(what)s") % {"what": left})
    return redirect("inbox-settings", request.workspace.slug)


@workspace_view("inbox.rules")
@require_POST
def inbox_rule_switch(request, rule_id):
    rule = workspace_object(request.user, request.workspace, ModerationRule.objects, rule_id, "inbox.rules",
                                     _("No such rule."))
    switch = request.POST.get("switch", "")
    if switch == "delete":
        rule.delete()
    elif switch in ("up", "down"):
        rules.move_rule(actor=request.user, rule=rule, by=-1 if switch == "up" else 1)
    elif switch in ("active", "dry_run"):
        setattr(rule, switch, not getattr(rule, switch))
        rule.save(update_fields=[switch])
    return redirect("inbox-settings", request.workspace.slug)
