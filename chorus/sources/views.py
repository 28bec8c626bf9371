"""Pages of the feeds a workspace follows. Each view reads the request, calls a service verb and renders."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from chorus.channels.services import channels_of
from chorus.sources import services
from chorus.sources.models import FeedRule
from chorus.web.decorators import workspace_view
from chorus.workspaces.roles import can


@workspace_view("source.view")
def sources(request):
    return render(request, "sources/feeds.html", {"feeds": services.feeds_of(request.user, request.workspace),
                                                  "may_manage": can(request.role, "source.manage")})


@workspace_view("source.manage")
@require_POST
def source_add(request):
    try:
        feed = services.add_feed(actor=request.user, workspace=request.workspace, url=request.POST.get("url", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("sources", request.workspace.slug)
    seen = feed.items.count()
    messages.success(request, ngettext(
        "Feed %(title)s added. The %(count)d item already in it is marked as seen; only newer items become posts.",
        "Feed %(title)s added. The %(count)d items already in it are marked as seen; only newer items become posts.",
        seen) % {"title": feed, "count": seen})
    return redirect("source-detail", request.workspace.slug, feed.pk)


@workspace_view("source.view")
def source_detail(request, feed_id):
    feed = services.feed_for(request.user, request.workspace, feed_id)
    return render(request, "sources/feed_detail.html", {
        "feed": feed, "items": services.latest_items(request.user, feed),
        "rules": feed.rules.prefetch_related("channels"), "channels": channels_of(request.user, request.workspace),
        "modes": FeedRule.Mode.choices, "placeholders": [f"{{{name}}}" for name in services.PLACEHOLDERS],
        "may_manage": can(request.role, "source.manage")})


@workspace_view("source.manage")
@require_POST
def source_rules(request, feed_id):
    feed = services.feed_for(request.user, request.workspace, feed_id, action="source.manage")
    rule_id = request.POST.get("rule", "")
    rule = services.rule_for(request.user, feed, int(rule_id)) if rule_id.isdigit() else None
    try:
        services.save_rule(actor=request.user, feed=feed, channel_ids=request.POST.getlist("channels"),
                  template=request.POST.get("template", ""), mode=request.POST.get("mode", ""),
                  rubric=request.POST.get("rubric", ""), active=bool(request.POST.get("active")), rule=rule)
    except ValidationError as exc:
        messages.error(request, _("Rule not saved: %(reason)s") % {"reason": " ".join(exc.messages)})
    else:
        messages.success(request, _("Rule saved. New items of this feed follow it from the next check."))
    return redirect("source-detail", request.workspace.slug, feed.pk)


@workspace_view("source.manage")
@require_POST
def source_check(request, feed_id):
    feed = services.feed_for(request.user, request.workspace, feed_id, action="source.manage")
    new = services.poll_now(actor=request.user, feed=feed)
    feed.refresh_from_db()
    if feed.last_error:
        messages.error(request, _("Checking failed: %(reason)s") % {"reason": feed.last_error})
    else:
        messages.success(request, ngettext("%(count)d new item.", "%(count)d new items.", len(new))
                         % {"count": len(new)})
    return redirect("source-detail", request.workspace.slug, feed.pk)
