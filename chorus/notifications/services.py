from django.utils import timezone

from chorus.notifications.models import Notification
from chorus.workspaces.models import Membership
from chorus.workspaces.roles import MATRIX
from chorus.workspaces.services import ensure_can


def notify(workspace, kind: str, message: str, *, link: str = "", action: str = "publication.resolve") -> int:
    """Alert every member whose role may act on it; returns how many people were told."""
    members = Membership.objects.filter(workspace=workspace, role__in=MATRIX[action])
    recipients = list(members.values_list("user_id", flat=True))
    Notification.objects.bulk_create(
        Notification(workspace=workspace, recipient_id=uid, kind=kind, message=message, link=link)
        for uid in recipients
    )
    return len(recipients)


def notifications_of(user, workspace, unread_only: bool = False):
    ensure_can(user, "notification.view", workspace)
    rows = Notification.objects.filter(recipient=user, workspace=workspace)
    return rows.filter(read_at=None) if unread_only else rows


def mark_read(user, workspace, ids=None) -> int:
    rows = notifications_of(user, workspace, unread_only=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())
