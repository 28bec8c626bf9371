"""The workspace's own settings: its name, time zone and language (TEAM-1), for those who may workspace.settings.

The rules live in `update_workspace`, so the page, `PATCH /api/v1/workspaces/{slug}` and `chorus workspace update`
refuse the same things and move the same things when the zone changes.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from chorus.web.decorators import workspace_view
from chorus.workspaces.services import update_workspace
from chorus.workspaces.timezones import zone_names


def _page(request, form: dict, status: int = 200):
    return render(request, "web/workspace_settings.html", {
        "form": form, "zones": zone_names(), "languages": settings.LANGUAGES}, status=status)


@workspace_view("workspace.settings")
def workspace_settings(request):
    workspace = request.workspace
    if request.method != "POST":
        return _page(request, {"name": workspace.name, "timezone": workspace.timezone,
                               "language": workspace.language})
    form = {key: request.POST.get(key, "").strip() for key in ("name", "timezone", "language")}
    old_zone = workspace.timezone
    try:
        update_workspace(actor=request.user, workspace=workspace, name=form["name"],
                         timezone_name=form["timezone"], language=form["language"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return _page(request, form, status=422)
    messages.success(request, _("Workspace settings saved."))
    if workspace.timezone != old_zone:
        messages.info(request, _("The analytics are being recomputed in %(zone)s: posts move to their hours and "
                                 "days there within a few minutes.") % {"zone": workspace.timezone})
    return redirect("workspace-settings", workspace.slug)
