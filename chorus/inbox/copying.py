"""An agency sets up a new client's inbox from one it already runs: the saved replies and the moderation rules.

Copied rules start in dry run whatever they were, so they show on the new client's comments what they would do
before anyone lets them act. What cannot move is named with the reason, and the rest is copied.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from chorus.inbox.models import ModerationRule
from chorus.inbox.rules import save_rule
from chorus.inbox.services import save_reply_template
from chorus.workspaces.models import Membership, Workspace
from chorus.workspaces.roles import can
from chorus.workspaces.services import access_of, ensure_can, workspaces_of


@dataclass
class Copied:
    saved_replies: int = 0
    rules: int = 0
    left: list[str] = field(default_factory=list)  # each thing not copied, with why


def sources_for(actor, workspace) -> list[Workspace]:
    """The other workspaces whose inbox setup the person may copy: those where they set up the inbox too."""
    sources = []
    for other in workspaces_of(actor):
        role, grants = access_of(actor, other)
        if other != workspace and can(role, "inbox.rules", grants):
            sources.append(other)
    return sources


@transaction.atomic
def copy_inbox_setup(*, actor, source: Workspace, target: Workspace) -> Copied:
    ensure_can(actor, "inbox.rules", source)
    ensure_can(actor, "inbox.rules", target)
    ensure_can(actor, "inbox.templates", target)
    copied = Copied()
    replies = {saved.title: saved for saved in target.saved_replies.all()}
    for saved in source.saved_replies.all():
        if saved.title in replies:
            copied.left.append(_("Saved reply “%(title)s”: the workspace has one of that title.")
                               % {"title": saved.title})
            continue
        replies[saved.title] = save_reply_template(
            actor=actor, workspace=target, title=saved.title, text=saved.text, objection=saved.objection,
            labels=saved.labels, keywords=saved.keywords)
        copied.saved_replies += 1
    members = set(Membership.objects.filter(workspace=target).values_list("user_id", flat=True))
    for rule in source.moderation_rules.select_related("saved_reply"):
        if why := _why_not_copied(rule, members):
            copied.left.append(_("Rule “%(name)s”: %(why)s") % {"name": rule.name, "why": why})
            continue
        try:
            with transaction.atomic():
                save_rule(actor=actor, workspace=target, name=rule.name, conditions=rule.conditions,
                          actions=rule.actions, dry_run=True, stop=rule.stop, assignee=rule.assignee,
                          saved_reply=replies[rule.saved_reply.title] if rule.saved_reply else None)
        except ValidationError as exc:  # a name taken, business hours the new workspace has not set, …
            copied.left.append(_("Rule “%(name)s”: %(why)s") % {"name": rule.name, "why": " ".join(exc.messages)})
        else:
            copied.rules += 1
    return copied


def _why_not_copied(rule: ModerationRule, members: set[int]) -> str:
    """What `save_rule` could not know: a rule made for the other workspace's channel or people."""
    if rule.channel_id:
        return _("it is for one channel of the other workspace.")
    if "assign" in rule.actions and rule.assignee_id not in members:
        return _("the person it assigns to is not a member here.")
    return ""
