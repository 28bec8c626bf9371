"""Who cleaned the community over a period, people and rules side by side: the moderation half of the team report
(the response half is `response_times`). Undone actions are the ones someone took back: a rule's mistakes."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from chorus.inbox.models import MODERATED_AWAY, ON_THE_NETWORK, ModerationAction
from chorus.workspaces.services import ensure_can


@dataclass(frozen=True)
class ModerationRow:
    person: str  # a username, or "" for a rule
    rule: str  # a rule's name, or "" for a person
    hidden: int
    deleted: int
    banned: int
    undone: int


def done_on_the_network(workspace, since: datetime, until: datetime) -> QuerySet[ModerationAction]:
    """Hides, deletions and bans made in the period; dry runs and the network's refusals did nothing there."""
    return ModerationAction.objects.filter(item__workspace=workspace, done_at__gte=since, done_at__lt=until,
                                           action__in=ON_THE_NETWORK, dry_run=False, outcome="")


def moderation_report(*, actor, workspace, since: datetime, until: datetime) -> list[ModerationRow]:
    """What each person and each live rule hid, deleted and banned on the network in the period, people first."""
    ensure_can(actor, "inbox.view", workspace)
    done = (done_on_the_network(workspace, since, until)
            .values("by__username", "rule_name")
            .annotate(hidden=Count("pk", filter=Q(action="hide")), deleted=Count("pk", filter=Q(action="delete")),
                      banned=Count("pk", filter=Q(action="ban")),
                      undone=Count("pk", filter=Q(undone_at__isnull=False))))
    rows = [ModerationRow(person=row.pop("by__username") or "", rule=row.pop("rule_name"), **row) for row in done]
    return sorted(rows, key=lambda row: (not row.person, row.person or row.rule))


@dataclass(frozen=True)
class Cleaned:
    removed: int  # comments hidden or deleted, and not put back
    banned: int  # authors banned, and not unbanned


def cleaned(workspace, since: datetime, until: datetime) -> Cleaned:
    """What the team and its rules kept off the pages in the period, for the client's report (its caller checks
    the right to it)."""
    kept = done_on_the_network(workspace, since, until).filter(undone_at=None)
    return Cleaned(removed=kept.filter(action__in=MODERATED_AWAY).values("item").distinct().count(),
                   banned=kept.filter(action="ban").values("item__author").distinct().count())
