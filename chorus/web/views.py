"""The workstation's pages. Each view reads the request, calls a service verb and renders; nothing more."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from chorus.channels.services import channels_of
from chorus.publishing.models import PublishJob, Status
from chorus.publishing.services import needing_attention
from chorus.web.decorators import workspace_view
from chorus.workspaces.roles import can
from chorus.workspaces.services import choose_language, profile_of, workspaces_of


def _back(request, fallback: str = "home"):
    """Return to the page the form came from, but only if it is on this site."""
    target = request.POST.get("next") or request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@login_required
def home(request):
    last = profile_of(request.user).last_workspace
    workspaces = workspaces_of(request.user)
    if last in workspaces:
        return redirect("workspace-home", last.slug)
    if workspaces:
        return redirect("workspace-home", workspaces[0].slug)
    return render(request, "web/no_workspace.html")


@login_required
@require_POST
def language(request):
    try:
        choose_language(request.user, request.POST.get("language", ""))
    except ValidationError:
        pass  # an unknown code changes nothing; the page simply stays in its language
    return _back(request)


@workspace_view()
def workspace_home(request):
    workspace, now = request.workspace, timezone.now()
    context = {"channels": channels_of(request.user, workspace) if can(request.role, "channel.view") else []}
    if can(request.role, "post.view"):
        jobs = PublishJob.objects.filter(workspace=workspace).select_related("channel", "variant__post")
        context |= {
            "upcoming": jobs.filter(status=Status.SCHEDULED, due_at__lt=now + timedelta(days=7)).order_by("due_at"),
            "recent": jobs.exclude(status=Status.SCHEDULED).order_by("-updated_at")[:15],
            "attention": needing_attention(request.user, workspace)[:5],
        }
    return render(request, "web/workspace_home.html", context)
