"""The publish job's state machine: the table of moves, and the only function that changes a status."""

from django.db.models import F
from django.utils import timezone

from chorus.publishing.models import PublishJob, Status

S = Status
MOVES: dict[str, set[str]] = {
    S.SCHEDULED: {S.CLAIMED, S.SCHEDULED},
    S.CLAIMED: {S.SENDING, S.SCHEDULED},
    # A post of several parts whose first is out but a later one is missing (PartialPublication) goes back to the
    # outbox when every part has its own key, else to a person; the job keeps the parts out (`parts_out`), and
    # the next send goes on after them. Unknown → scheduled only for such a post: its first part was found, or
    # a send that went on from it was cut off, and the rest goes on under the parts' keys.
    S.SENDING: {S.PUBLISHED, S.SCHEDULED, S.FAILED, S.UNKNOWN, S.NEEDS_REVIEW},
    S.UNKNOWN: {S.PUBLISHED, S.NEEDS_REVIEW, S.SCHEDULED},
    S.NEEDS_REVIEW: {S.PUBLISHED, S.SCHEDULED},
    S.FAILED: {S.SCHEDULED, S.PUBLISHED},
    # An edit or a deletion of a published post holds the job until the network answers (PUB-5); an edit that
    # did not land, or a deletion the network refused, leaves the post published as it was. Published → deleted:
    # a slow deletion the reconciler handed back, then confirmed by the network's answer.
    S.PUBLISHED: {S.EDITING, S.DELETING, S.DELETED},
    S.EDITING: {S.PUBLISHED},
    S.DELETING: {S.DELETED, S.PUBLISHED},
    S.DELETED: set(),
}
WAITING_FOR_HUMAN = {S.FAILED, S.NEEDS_REVIEW}
CHANGING = {S.EDITING, S.DELETING}  # a change of a published post is on its way to the network


def move(job_id: int, source: str | set[str], target: str, **fields) -> bool:
    """Compare-and-swap: change the status only if it is still `source`; True if this call made the move.

    Two workers (or a worker and a person) may race for the same job; exactly one UPDATE can match.
    """
    sources = {source} if isinstance(source, str) else set(source)
    illegal = [s for s in sources if target not in MOVES[s]]
    if illegal:
        raise ValueError(f"no move {illegal} → {target}")
    if target == S.SENDING:
        fields.setdefault("attempts", F("attempts") + 1)
    return PublishJob.objects.filter(pk=job_id, status__in=sources).update(
        status=target, updated_at=timezone.now(), **fields
    ) == 1
