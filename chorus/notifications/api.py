"""The caller's own notifications in a workspace: list, mark read."""

from datetime import datetime

from ninja import Router, Schema

from chorus.notifications.services import mark_read, notifications_of
from chorus.workspaces.api import answers, caller, workspace_of


class NotificationOut(Schema):
    id: int
    kind: str
    message: str
    link: str
    created_at: datetime
    read_at: datetime | None


class ReadIn(Schema):
    ids: list[int] | None = None  # none given = all of them


class ReadOut(Schema):
    marked: int


router = Router(tags=["notifications"])


@router.get("/workspaces/{slug}/notifications", response=answers(200, list[NotificationOut]),
            summary="My notifications")
def list_notifications(request, slug: str, unread: bool = False):
    return notifications_of(caller(request), workspace_of(request, slug), unread_only=unread)


@router.post("/workspaces/{slug}/notifications/read", response=answers(200, ReadOut),
             summary="Mark my notifications read")
def read(request, slug: str, payload: ReadIn):
    return ReadOut(marked=mark_read(caller(request), workspace_of(request, slug), payload.ids))
