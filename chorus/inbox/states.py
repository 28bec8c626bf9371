"""An inbox item's status: the table of moves, and the only function that changes a status."""

from chorus.inbox.models import InboxItem, ItemStatus

S = ItemStatus
MOVES: dict[str, set[str]] = {
    S.NEW: {S.ASSIGNED, S.ANSWERED, S.CLOSED},
    S.ASSIGNED: {S.NEW, S.ASSIGNED, S.ANSWERED, S.CLOSED},
    S.ANSWERED: {S.ASSIGNED, S.CLOSED, S.NEW},
    S.CLOSED: {S.NEW, S.ASSIGNED},
}
OPEN = {S.NEW, S.ASSIGNED}


def sources_of(target: str) -> set[str]:
    return {source for source, targets in MOVES.items() if target in targets}


def move(items, target: str, **fields) -> int:
    """Compare-and-swap for every item in `items` that may move to `target` now; returns how many moved."""
    return InboxItem.objects.filter(pk__in=items.values("pk") if hasattr(items, "values") else items,
                                    status__in=sources_of(target)).update(status=target, **fields)
