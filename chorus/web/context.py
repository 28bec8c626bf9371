"""What every page's frame shows: the workspace switcher, counters in the navbar, the stopped-publishing banner."""

from chorus.notifications.services import notifications_of
from chorus.publishing import health
from chorus.publishing.services import needing_attention
from chorus.workspaces.roles import MATRIX, Role, can
from chorus.workspaces.services import workspaces_of


def workstation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    workspace = getattr(request, "workspace", None)
    role = getattr(request, "role", None)
    silent = health.workers_silent()
    if silent:
        health.alert_workers_silent()
    frame = {"workspaces": workspaces_of(user), "workspace": workspace, "role": role,
             "workers_silent": silent, "last_worker_beat": health.last_beat()}
    if workspace is not None:
        frame["unread_count"] = notifications_of(user, workspace, unread_only=True).count()
        frame["attention_count"] = needing_attention(user, workspace).count() if can(role, "post.view") else 0
        frame["role_label"] = Role(role).label if role else ""
        # Templates cannot look up dotted keys, so "post.view" is offered as may.post_view.
        grants = getattr(request, "grants", frozenset())
        frame["may"] = {action.replace(".", "_"): can(role, action, grants) for action in MATRIX}
    return frame
