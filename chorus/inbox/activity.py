"""Who cleaned the community over a period, people and rules side by side: the moderation half of the team report
(the response half is `response_times`). Undone actions are the ones someone took back: a rule's mistakes."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from chorus.inbox.models import ModerationAction
from chorus.inbox.services import ON_THE_NETWORK
from chorus.workspaces.services import ensure_can


@dataclass(frozen=True)
class ModerationRow:
    person: str  # a username, or "" for a rule
    rule: str  # a rule's name, or "" for a person
    hidden: int
    deleted: int
    banned: int
    undone: int


def moderation_report(*, actor, workspace, since: datetime, until: datetime) -> list[ModerationRow]:
    """What each person and each live rule hid, deleted and banned on the network in the period, people first;
    dry runs and the network's refusals did nothing there, so they are not counted."""
    ensure_can(actor, "inbox.view", workspace)
    done = (ModerationAction.objects
            .filter(item__workspace=workspace, done_at__gte=since, done_at__lt=until, action__in=ON_THE_NETWORK,
                    dry_run=False, outcome="")
            .values("by__username", "rule_name")
            .annotate(hidden=Count("pk", filter=Q(action="hide")), deleted=Count("pk", filter=Q(action="delete")),
                      banned=Count("pk", filter=Q(action="ban")),
                      undone=Count("pk", filter=Q(undone_at__isnull=False))))
    rows = [ModerationRow(person=row.pop("by__username") or "", rule=row.pop("rule_name"), **row) for row in done]
    return sorted(rows, key=lambda row: (not row.person, row.person or row.rule))
