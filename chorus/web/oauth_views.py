"""Connecting a channel through the network's sign-in page: the button's POST sends the person there, and the
network sends them back to the callback. The verbs are in chorus.channels.oauth."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chorus.channels.oauth import OAuthRefused, finish_oauth, start_oauth
from chorus.web.decorators import workspace_view


def callback_url(request) -> str:
    """The address the network sends the person back to, the same for every workspace; register it in the
    network app's settings."""
    path = reverse("channel-oauth-callback")
    if settings.CHORUS_PUBLIC_URL:
        return settings.CHORUS_PUBLIC_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


@workspace_view("channel.connect")
@require_POST
def channel_oauth_start(request):
    network = request.POST.get("network", "")
    prefix = f"oauth-{network}-"
    given = {k.removeprefix(prefix): v for k, v in request.POST.items() if k.startswith(prefix)}
    try:
        url = start_oauth(actor=request.user, workspace=request.workspace, network=network,
                          name=request.POST.get("name", ""), given=given,
                          redirect_uri=callback_url(request), session=request.session)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("channels", request.workspace.slug)
    return redirect(url)


@login_required
@require_GET
def channel_oauth_callback(request):
    try:
        channel = finish_oauth(actor=request.user, session=request.session, callback=request.GET.dict())
    except OAuthRefused as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("channels", exc.workspace.slug) if exc.workspace else redirect("home")
    messages.success(request, _("Channel %(name)s connected.") % {"name": channel.name})
    return redirect("channels", channel.workspace.slug)
