"""Automatic moderation (COMM-3): rules that clean spam, bots and abuse as items arrive, and leave critics to people.

A rule matches when every condition it has holds. Its actions run in order, or, in dry run, are only logged so
the team sees what it would have done. Whatever a rule says, an item that reads as an honest complaint (negative
or complaint, and not spam or abuse) is never hidden, deleted or banned by a rule: it goes to a person instead.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from chorus.inbox import states
from chorus.inbox.labelling import unknown_label
from chorus.inbox.models import (
    AUTHOR_SIGN_TITLES,
    LABEL_TITLES,
    MODERATION_ACTION_TITLES,
    ON_THE_NETWORK,
    InboxItem,
    ItemKind,
    ItemStatus,
    ModerationAction,
    ModerationRule,
)
from chorus.inbox.response_times import Hours, hours_of
from chorus.inbox.turns import history_before
from chorus.notifications.services import DIGEST_FROM, notify
from chorus.workspaces.services import ensure_can

ACTIONS = tuple(MODERATION_ACTION_TITLES)
# An away message: "outside" with a saved answer tells a night-time writer when the team is back.
HOURS_TITLES = {"": "", "inside": gettext_lazy("within business hours"),
                "outside": gettext_lazy("outside business hours")}
SPEAKING = {"reply", "alert"}  # never about a channel's history: see turns.HISTORY
AUTHOR_SIGNS = tuple(AUTHOR_SIGN_TITLES)
CRITIC_LABELS = ("negative", "complaint")
NOT_A_CRITIC_LABELS = ("spam", "abuse")
LIKELY = 0.5
LINK = re.compile(r"(https?://|www\.|t\.me/)\S+", re.IGNORECASE)
NEW_AUTHOR = timedelta(days=1)
AUTO_REPLY_EVERY = timedelta(days=1)  # a rule answers one author at most this often
REPEATS = 3
# Short phrases that many people write on their own ("Спасибо!", "Участвую", "Цена?") are not copy-paste.
COPY_LETTERS = 16
LETTER = re.compile(r"[^\W\d_]")


def check_rule(conditions: dict, actions: list[str]) -> None:
    """Refuse a rule that cannot work or would silence critics, saying what to fix."""
    unknown = [a for a in actions if a not in ACTIONS]
    if unknown or not actions:
        raise ValidationError(_("Choose actions among: %(actions)s.")
                              % {"actions": ", ".join(str(title) for title in MODERATION_ACTION_TITLES.values())})
    labels = conditions.get("labels", {})
    if unknown := sorted(set(labels) - set(LABEL_TITLES)):
        raise unknown_label(unknown[0])
    if any(not 0 <= float(v) <= 1 for v in labels.values()):
        raise ValidationError(_("A label's confidence is between 0 and 1."))
    if any(sign not in AUTHOR_SIGNS for sign in conditions.get("authors", [])):
        raise ValidationError(_("Author conditions are: %(signs)s.")
                              % {"signs": ", ".join(str(title) for title in AUTHOR_SIGN_TITLES.values())})
    try:
        re.compile(conditions.get("pattern", ""))
    except re.error as exc:
        raise ValidationError(_("The pattern is not a valid regular expression: %(error)s") % {"error": exc}) from exc
    if any(kind not in ItemKind.values for kind in conditions.get("kinds", [])):
        raise ValidationError(_("Item kinds are: %(kinds)s.") % {"kinds": ", ".join(ItemKind.values)})
    if conditions.get("hours", "") not in HOURS_TITLES:
        raise ValidationError(_("Business hours are either “inside” or “outside”."))
    if not any(conditions.get(part) for part in ("labels", "keywords", "pattern", "authors", "kinds", "hours")):
        raise ValidationError(_("Give the rule at least one condition."))
    if set(ON_THE_NETWORK) & set(actions) and set(labels) and set(labels) <= set(CRITIC_LABELS):
        raise ValidationError(_("A negative comment or complaint goes to a person, not out of sight: "
                                "use assign or alert for it."))


def save_rule(*, actor, workspace, name: str, conditions: dict, actions: list[str], channel=None,
              dry_run: bool = True, assignee=None, saved_reply=None, stop: bool = True,
              rule: ModerationRule | None = None) -> ModerationRule:
    ensure_can(actor, "inbox.rules", workspace)
    check_rule(conditions, actions)
    if "assign" in actions and assignee is None:
        raise ValidationError(_("Choose who gets the items this rule assigns."))
    if "reply" in actions and saved_reply is None:
        raise ValidationError(_("Choose the saved reply this rule sends."))
    if conditions.get("hours") and hours_of(workspace) is None:
        raise ValidationError(_("Set the workspace's business hours first: the rule reads them."))
    name = name.strip() or _("Rule")
    # The log and the rule's record go by name, so two rules may not share one.
    if workspace.moderation_rules.filter(name=name).exclude(pk=rule.pk if rule else None).exists():
        raise ValidationError(_("Another rule is called “%(name)s”; give this one its own name.") % {"name": name})
    rule = rule or ModerationRule(workspace=workspace, position=workspace.moderation_rules.count())
    if rule.pk and rule.name != name:  # renamed: its past keeps counting towards its record
        ModerationAction.objects.filter(item__workspace=workspace, rule_name=rule.name).update(rule_name=name)
    for field, value in {"name": name, "conditions": conditions, "actions": list(actions), "channel": channel,
                         "dry_run": dry_run, "assignee": assignee, "saved_reply": saved_reply, "stop": stop}.items():
        setattr(rule, field, value)
    rule.save()
    return rule


def move_rule(*, actor, rule: ModerationRule, by: int) -> None:
    """Move a rule up (-1) or down (+1) the order in which rules look at an arriving item."""
    ensure_can(actor, "inbox.rules", rule.workspace)
    ordered = list(rule.workspace.moderation_rules.all())
    at = ordered.index(rule)
    ordered.insert(max(0, min(len(ordered) - 1, at + by)), ordered.pop(at))
    for position, each in enumerate(ordered):
        each.position = position
    ModerationRule.objects.bulk_update(ordered, ["position"])


def summary(rule: ModerationRule) -> str:
    """The rule in the team's words, e.g. "spam ≥ 0.9 · author: new account, only a link → hide, ban the author"."""
    conditions = rule.conditions
    parts = [", ".join(f"{LABEL_TITLES[name]} ≥ {localize(float(least))}"
                       for name, least in conditions.get("labels", {}).items())]
    if conditions.get("keywords"):
        parts.append(_("words: %(words)s") % {"words": ", ".join(conditions["keywords"])})
    if conditions.get("pattern"):
        parts.append(_("pattern: %(pattern)s") % {"pattern": conditions["pattern"]})
    if conditions.get("authors"):
        parts.append(_("author: %(signs)s") % {"signs": ", ".join(str(AUTHOR_SIGN_TITLES[sign])
                                                                 for sign in conditions["authors"])})
    if conditions.get("kinds"):
        parts.append(", ".join(str(ItemKind(kind).label).lower() for kind in conditions["kinds"]))
    if conditions.get("hours"):
        parts.append(str(HOURS_TITLES[conditions["hours"]]))
    actions = ", ".join(str(MODERATION_ACTION_TITLES[action]) for action in rule.actions)
    return f"{' · '.join(part for part in parts if part)} → {actions}"


@dataclass(frozen=True)
class TrackRecord:
    """What a rule has done (or in dry run would have done), how much of it a person took back, and on how many of
    its items a person said the rule's reason was wrong: the counts a moderator weighs before letting it go live."""

    items: int = 0
    undone: int = 0
    marked_wrong: int = 0


def track_record(rule: ModerationRule) -> TrackRecord:
    """The rule's record; its log goes by the rule's name. A dry run cannot be undone, so a person's "not spam" on
    one of its finds is how the team tells it that it would have been wrong."""
    reasons = set(rule.conditions.get("labels", {}))
    if set(ON_THE_NETWORK) & set(rule.actions):
        reasons |= set(NOT_A_CRITIC_LABELS)
    said_wrong = Q(item__corrections__value="no", item__corrections__name__in=reasons)
    return TrackRecord(**ModerationAction.objects.filter(item__workspace_id=rule.workspace_id, rule_name=rule.name)
                       .aggregate(items=Count("item", distinct=True),
                                  undone=Count("pk", filter=Q(undone_at__isnull=False), distinct=True),
                                  marked_wrong=Count("item", filter=said_wrong, distinct=True)))


def author_signs(item: InboxItem) -> set[str]:
    signs = set()
    if item.author.known_spammer or item.author.banned_at:
        signs.add("known_spammer")
    if item.written_at - item.author.first_seen_at < NEW_AUTHOR and not InboxItem.objects.filter(
            author=item.author, from_page=False, written_at__lt=item.written_at - NEW_AUTHOR).exists():
        signs.add("new")
    if LINK.search(item.text) and len(LINK.sub("", item.text).split()) <= 3:
        signs.add("link_only")
    # Only what came before counts, so the first of several copies is not yet a repeat.
    same_text = InboxItem.objects.filter(workspace=item.workspace, text=item.text, pk__lt=item.pk, from_page=False,
                                         written_at__gte=item.written_at - timedelta(days=1))
    if len(LETTER.findall(item.text)) >= COPY_LETTERS and same_text.count() + 1 >= REPEATS:
        signs.add("repeated_text")
    return signs


def matches(rule: ModerationRule, item: InboxItem, hours: Hours | None = None) -> bool:
    """`hours`: the workspace's business hours, which a rule on "outside business hours" reads."""
    conditions = rule.conditions
    if rule.channel_id and rule.channel_id != item.channel_id:
        return False
    if conditions.get("kinds") and item.kind not in conditions["kinds"]:
        return False
    wanted_hours = conditions.get("hours")
    if wanted_hours and (hours is None or hours.is_open(item.written_at) != (wanted_hours == "inside")):
        return False
    if any(item.labels.get(name, 0) < float(least) for name, least in conditions.get("labels", {}).items()):
        return False
    text = item.text.lower()
    keywords = conditions.get("keywords", [])
    if keywords and not any(word.lower() in text for word in keywords):
        return False
    if conditions.get("pattern") and not re.search(conditions["pattern"], item.text, re.IGNORECASE):
        return False
    return not conditions.get("authors") or set(conditions["authors"]) <= author_signs(item)


def reads_as_critic(item: InboxItem) -> bool:
    return (any(item.labels.get(name, 0) >= LIKELY for name in CRITIC_LABELS)
            and all(item.labels.get(name, 0) < LIKELY for name in NOT_A_CRITIC_LABELS))


def apply_rules(items: list[InboxItem]) -> list[ModerationAction]:
    """Run the workspace's active rules on newly arrived items, in order; returns what was done or would be.
    A channel's history is cleaned, but no rule answers or alerts about it."""
    done = []
    rules_of, hours_at, history_of, alerting = {}, {}, {}, {}
    for item in items:
        if item.from_page:
            continue
        if item.workspace_id not in rules_of:
            rules_of[item.workspace_id] = list(ModerationRule.objects.filter(workspace_id=item.workspace_id,
                                                                            active=True))
            hours_at[item.workspace_id] = hours_of(item.workspace)
        if item.channel_id not in history_of:
            history_of[item.channel_id] = history_before(item.channel)
        is_history = item.written_at < history_of[item.channel_id]
        for rule in rules_of[item.workspace_id]:
            if matches(rule, item, hours_at[item.workspace_id]):
                done += [_carry_out(rule, item, action) for action in rule.actions
                         if not (is_history and action in SPEAKING)]
                if "alert" in rule.actions and not rule.dry_run and not is_history:
                    alerting.setdefault(rule, []).append(item)
                if rule.stop:
                    break
    for rule, matched in alerting.items():
        _alert(rule, matched)
    return done


def _alert(rule: ModerationRule, matched: list[InboxItem]) -> None:
    """One alert per item, or one for the lot when a wave arrives at once (a bot farm's spree)."""
    workspace = matched[0].workspace
    if len(matched) >= DIGEST_FROM:
        notify(workspace, "inbox.alert",
               ngettext("Rule %(rule)s: %(count)d new item; the first: %(text)s",
                        "Rule %(rule)s: %(count)d new items; the first: %(text)s", len(matched))
               % {"rule": rule.name, "count": len(matched), "text": matched[0].text[:120]},
               link=f"/w/{workspace.slug}/inbox/?{urlencode({'rule': rule.name})}", action="inbox.view",
               outlets=True)
        return
    for item in matched:
        notify(workspace, "inbox.alert", _("Rule %(rule)s: %(text)s") % {"rule": rule.name, "text": item.text[:120]},
               link=f"/w/{workspace.slug}/inbox/{item.pk}/", action="inbox.view", outlets=True)


def _carry_out(rule: ModerationRule, item: InboxItem, action: str) -> ModerationAction:
    from chorus.inbox.services import fill_placeholders, moderate, queue_reply

    if rule.dry_run:
        return ModerationAction.objects.create(item=item, action=action, rule_name=rule.name, dry_run=True)
    if action in ON_THE_NETWORK and reads_as_critic(item):
        notify(item.workspace, "inbox.critic", _("A complaint waits for a person: %(text)s")
               % {"text": item.text[:120]}, link=f"/w/{item.workspace.slug}/inbox/{item.pk}/", action="inbox.reply",
               outlets=True)
        return ModerationAction.objects.create(item=item, action=action, rule_name=rule.name,
                                               outcome=_("Not done: it reads as a complaint; sent to a person."))
    if action in ON_THE_NETWORK:
        try:
            return moderate(actor=None, item=item, action=action, rule_name=rule.name)
        except ValidationError:  # the refusal is logged with the network's reason by `moderate`
            return item.moderation_actions.filter(rule_name=rule.name, action=action).first()
    if action == "assign":
        states.move([item.pk], ItemStatus.ASSIGNED, assignee=rule.assignee)
    elif action == "reply" and rule.saved_reply:
        if _answered_lately(rule, item):
            return ModerationAction.objects.create(
                item=item, action=action, rule_name=rule.name,
                outcome=_("Not sent: the rule answered this author less than a day ago; a person may answer."))
        queue_reply(item=item, text=fill_placeholders(rule.saved_reply.text, item))
    return ModerationAction.objects.create(item=item, action=action, rule_name=rule.name)


def _answered_lately(rule: ModerationRule, item: InboxItem) -> bool:
    """The same saved answer twice to one person reads as a bot, and networks treat it as one."""
    return ModerationAction.objects.filter(rule_name=rule.name, action="reply", dry_run=False, outcome="",
                                           item__author=item.author,
                                           done_at__gte=timezone.now() - AUTO_REPLY_EVERY).exists()
