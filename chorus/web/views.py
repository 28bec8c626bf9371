"""The workstation's pages. Each view reads the request, calls a service verb and renders; nothing more."""

from datetime import time, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from chorus.channels.oauth import oauth_networks
from chorus.channels.services import (
    channel_for,
    channels_of,
    connect_channel,
    enable_push,
    set_queue_slots,
    split_connect_fields,
)
from chorus.content.media import media_for, media_of, tag_media, tags_of, upload_media
from chorus.content.services import PostInvalid, media_facts, post_for, posts_of, unschedule_post
from chorus.networks.registry import CONNECTORS
from chorus.notifications.services import mark_read, notifications_of
from chorus.publishing.models import PublishJob, Status
from chorus.publishing.services import (
    cannot_edit_reason,
    delete_published,
    edit_published,
    job_for,
    mark_as_posted,
    needing_attention,
    retry,
)
from chorus.publishing.states import CHANGING
from chorus.web.byte_ranges import file_response
from chorus.web.composer import Draft, channel_rows, ids_of, previews, submit
from chorus.web.decorators import workspace_view
from chorus.web.oauth_views import callback_url
from chorus.workspaces.models import ApiToken
from chorus.workspaces.roles import can
from chorus.workspaces.services import choose_language, create_api_token, profile_of, workspaces_of
from chorus.workspaces.timezones import WEEKDAY_NAMES

# A post can be rewritten while none of its publications is on its way out (the rule lives in write_post).
EDITABLE = {Status.SCHEDULED, Status.FAILED, Status.NEEDS_REVIEW}


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


# Channels -------------------------------------------------------------------------------------------------------

def _slot_times(channel) -> list[str]:
    """Each weekday's queue times as the editor shows them: "09:00, 18:30"."""
    by_day = [[] for _day in WEEKDAY_NAMES]
    for slot in channel.queue_slots.all():
        by_day[slot.weekday].append(slot.time.strftime("%H:%M"))
    return [", ".join(times) for times in by_day]


@workspace_view("channel.view")
def channels(request):
    rows = [{"channel": channel, "slots": list(zip(WEEKDAY_NAMES, _slot_times(channel), strict=True)),
             "push": channel.connector_class.capabilities.push,
             "faults": sandbox_account(channel).faults if channel.connector_class.is_sandbox else None}
            for channel in channels_of(request.user, request.workspace)]
    networks = [(key, connector.label, connector.connect_fields) for key, connector in CONNECTORS.items()]
    return render(request, "web/channels.html", {
        "rows": rows, "networks": networks, "oauth_networks": oauth_networks(),
        "oauth_callback": callback_url(request)})


def sandbox_account(channel):
    from chorus.sandbox.network import authenticate

    return authenticate(channel.external_id, channel.credentials.get("token", ""))


@workspace_view("channel.connect")
@require_POST
def channel_connect(request):
    network = request.POST.get("network", "")
    prefix = f"{network}-"
    credentials, config = split_connect_fields(
        network, {k.removeprefix(prefix): v for k, v in request.POST.items() if k.startswith(prefix)})
    try:
        channel = connect_channel(actor=request.user, workspace=request.workspace, network=network,
                                  name=request.POST.get("name", ""), credentials=credentials, config=config)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Channel %(name)s connected.") % {"name": channel.name})
    return redirect("channels", request.workspace.slug)


def _read_slots(form) -> list[tuple[int, time]]:
    slots = []
    for weekday in range(7):
        for value in form.get(f"day-{weekday}", "").replace(";", ",").split(","):
            if value.strip():
                try:
                    slots.append((weekday, time.fromisoformat(value.strip())))
                except ValueError as exc:
                    raise ValidationError(_("Cannot read the time %(value)s: write it like 09:30.")
                                          % {"value": value.strip()}) from exc
    return slots


@workspace_view("channel.queue")
@require_POST
def channel_slots(request, channel_id):
    channel = channel_for(request.user, request.workspace, channel_id, action="channel.queue")
    try:
        set_queue_slots(actor=request.user, channel=channel, slots=_read_slots(request.POST))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Queue slots of %(name)s saved.") % {"name": channel.name})
    return redirect("channels", request.workspace.slug)


@workspace_view("channel.connect")
@require_POST
def channel_push(request, channel_id):
    channel = channel_for(request.user, request.workspace, channel_id, action="channel.connect")
    base_url = settings.CHORUS_PUBLIC_URL or request.build_absolute_uri("/")
    try:
        enable_push(actor=request.user, channel=channel, base_url=base_url)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(name)s now calls Chorus with each new comment.") % {"name": channel.name})
    return redirect("channels", request.workspace.slug)


def _probability(form, name: str) -> float:
    try:
        return float(form.get(name) or 0)
    except ValueError as exc:
        raise ValidationError(_("%(value)s is not a number.") % {"value": form.get(name)}) from exc


@workspace_view("sandbox.faults")
@require_POST
def channel_faults(request, channel_id):
    from chorus.sandbox.network import set_faults

    channel = channel_for(request.user, request.workspace, channel_id, action="sandbox.faults")
    if not channel.connector_class.is_sandbox:
        raise Http404(_("Faults can only be injected into sandbox channels."))
    try:
        set_faults(sandbox_account(channel),
                   error_before_send=_probability(request.POST, "error_before_send"),
                   timeout_after_send=_probability(request.POST, "timeout_after_send"),
                   rate_limit=_probability(request.POST, "rate_limit"),
                   latency_ms=int(_probability(request.POST, "latency_ms")))
    except (ValidationError, ValueError) as exc:
        messages.error(request, _("Faults not saved: %(reason)s")
                       % {"reason": " ".join(getattr(exc, "messages", [str(exc)]))})
    else:
        messages.success(request, _("Sandbox faults of %(name)s saved.") % {"name": channel.name})
    return redirect("channels", request.workspace.slug)


# Composer -------------------------------------------------------------------------------------------------------

def _composer_page(request, draft: Draft, post=None, errors=(), channel_errors=None, status=200):
    workspace = request.workspace
    all_channels = channels_of(request.user, workspace)
    media = list(media_of(request.user, workspace)[:60]) if can(request.role, "media.view") else []
    return render(request, "web/composer.html", {
        "draft": draft, "post": post, "errors": errors, "zone": workspace.timezone,
        "channel_rows": channel_rows(draft, all_channels, channel_errors),
        "media": media, "previews": previews(draft, all_channels, media),
    }, status=status)


def _compose(request, post=None):
    if request.method != "POST":
        return _composer_page(request, Draft.from_post(post) if post else Draft(), post)
    draft = Draft.from_form(request.POST)
    try:
        post, warnings = submit(actor=request.user, workspace=request.workspace, draft=draft,
                                intent=request.POST.get("intent", "draft"), post=post)
    except PostInvalid as exc:
        channel_errors = {check.channel.pk: [p.message for p in check.problems] for check in exc.checks}
        return _composer_page(request, draft, post, errors=[_("Some channels do not accept this post yet.")],
                              channel_errors=channel_errors, status=422)
    except ValidationError as exc:
        return _composer_page(request, draft, post, errors=exc.messages, status=422)
    for warning in warnings:
        messages.warning(request, warning)
    messages.success(request, _("Post saved."))
    return redirect("post-detail", request.workspace.slug, post.pk)


@workspace_view("post.create")
def composer(request):
    again = request.GET.get("again", "")
    if request.method != "POST" and again.isdigit():
        job = job_for(request.user, request.workspace, int(again), action="post.create")
        return _composer_page(request, Draft.from_variant(job.variant))
    return _compose(request)


@workspace_view("post.create")
def post_edit(request, post_id):
    return _compose(request, post_for(request.user, request.workspace, post_id, action="post.create"))


@workspace_view("post.create")
@require_POST
def composer_check(request):
    draft = Draft.from_form(request.POST)
    media = list(media_of(request.user, request.workspace)) if draft.media_ids else []
    return render(request, "web/_composer_checks.html",
                  {"previews": previews(draft, channels_of(request.user, request.workspace), media)})


# Posts and publications -----------------------------------------------------------------------------------------

@workspace_view("post.view")
def posts(request):
    workspace = request.workspace
    rows = posts_of(request.user, workspace)
    status, channel_id = request.GET.get("status", ""), request.GET.get("channel", "")
    if status:
        rows = rows.filter(variants__job__status=status).distinct()
    if channel_id.isdigit():
        rows = rows.filter(variants__channel_id=channel_id).distinct()
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    # An <option> holds text only, so the filter spells the SANDBOX badge out, as the calendar does.
    choices = [(c, c.connector_class.is_sandbox) for c in channels_of(request.user, workspace)]
    return render(request, "web/posts.html", {
        "page": page, "statuses": Status.choices, "channel_choices": choices,
        "status": status, "channel_id": channel_id,
    })


@workspace_view("post.view")
def post_detail(request, post_id):
    post = post_for(request.user, request.workspace, post_id)
    variants = post.variants.select_related("channel", "job__deleted_by").prefetch_related(
        "media", "job__attempts_log__requested_by")
    rows = [_publication_row(v, getattr(v, "job", None)) for v in variants]
    waiting = [row["job"] for row in rows if row["job"] and row["job"].status == Status.SCHEDULED]
    editable = all(row["job"] is None or row["job"].status in EDITABLE for row in rows)
    changing = any(row["job"] and row["job"].status in CHANGING for row in rows)
    return render(request, "web/post_detail.html", {"post": post, "rows": rows, "editable": editable,
                                                    "has_waiting": bool(waiting), "changing": changing})


def _publication_row(variant, job) -> dict:
    """One channel's card: the variant, its job, and what may be done with it once it is out."""
    row = {"variant": variant, "job": job}
    if job is not None and job.status in {Status.PUBLISHED, *CHANGING}:
        capabilities = variant.channel.connector_class.capabilities
        row.update(out=True, cannot_edit=cannot_edit_reason(job), can_delete=capabilities.delete,
                   # The text in Chorus moved on and the network has not caught up (yet).
                   differs=job.sent_text != variant.effective_text)
    return row


@workspace_view("post.schedule")
@require_POST
def post_unschedule(request, post_id):
    post = post_for(request.user, request.workspace, post_id, action="post.schedule")
    removed = unschedule_post(actor=request.user, post=post)
    messages.success(request, ngettext("%(n)d publication taken off the schedule.",
                                       "%(n)d publications taken off the schedule.", removed) % {"n": removed})
    return redirect("post-detail", request.workspace.slug, post.pk)


def _resolve(request, job_id, decide, action: str = "publication.resolve"):
    job = job_for(request.user, request.workspace, job_id, action=action)
    try:
        decide(job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return _back(request, reverse("post-detail", args=[request.workspace.slug, job.variant.post_id]))


@workspace_view("publication.resolve")
@require_POST
def publication_retry(request, job_id):
    def decide(job):
        retry(actor=request.user, job=job)
        messages.success(request, _("Sending again to %(channel)s.") % {"channel": job.channel.name})

    return _resolve(request, job_id, decide)


@workspace_view("publication.resolve")
@require_POST
def publication_mark_posted(request, job_id):
    def decide(job):
        mark_as_posted(actor=request.user, job=job, remote_url=request.POST.get("remote_url", "").strip())
        messages.success(request, _("Marked as posted on %(channel)s.") % {"channel": job.channel.name})

    return _resolve(request, job_id, decide)


@workspace_view("publication.edit")
@require_POST
def publication_edit(request, job_id):
    def decide(job):
        on_network = request.POST.get("on_network") == "1"
        edit_published(actor=request.user, job=job, text=request.POST.get("text", ""), on_network=on_network)
        if on_network:
            done = _("Sending the new text to %(channel)s.")
        else:
            done = _("Text saved in Chorus; %(channel)s still shows the old one.")
        messages.success(request, done % {"channel": job.channel.name})

    return _resolve(request, job_id, decide, action="publication.edit")


@workspace_view("publication.delete")
@require_POST
def publication_delete(request, job_id):
    def decide(job):
        delete_published(actor=request.user, job=job)
        messages.success(request, _("Deleting the post from %(channel)s.") % {"channel": job.channel.name})

    return _resolve(request, job_id, decide, action="publication.delete")


@workspace_view("post.view")
def attention(request):
    return render(request, "web/attention.html", {"jobs": needing_attention(request.user, request.workspace)})


# Notifications and API tokens -----------------------------------------------------------------------------------

@workspace_view("notification.view")
def notifications(request):
    if request.method == "POST":
        ids = ids_of(request.POST.getlist("ids"))
        mark_read(request.user, request.workspace, ids or None)
        return redirect("notifications", request.workspace.slug)
    rows = notifications_of(request.user, request.workspace)[:200]
    return render(request, "web/notifications.html", {"rows": rows})


@workspace_view("token.create")
def tokens(request):
    raw_key = ""
    if request.method == "POST":
        name = request.POST.get("name", "").strip() or _("Unnamed token")
        _token, raw_key = create_api_token(actor=request.user, workspace=request.workspace, name=name[:80])
    own = ApiToken.objects.filter(user=request.user, workspace=request.workspace).order_by("-created_at")
    return render(request, "web/tokens.html", {"tokens": own, "raw_key": raw_key})


# Media library --------------------------------------------------------------------------------------------------

@workspace_view("media.view")
def media(request):
    workspace = request.workspace
    if request.method == "POST":
        _upload(request)
        return redirect("media", workspace.slug)
    tag = request.GET.get("tag", "")
    networks = {c.network: c.connector_class for c in channels_of(request.user, workspace)}
    rows = [{"asset": asset, "checks": [(cls.label, cls.check_media(media_facts([asset])))
                                        for cls in networks.values()]}
            for asset in media_of(request.user, workspace, tag=tag)[:200]]
    return render(request, "web/media.html", {"rows": rows, "tags": tags_of(request.user, workspace), "tag": tag})


def _upload(request) -> None:
    tags = request.POST.get("tags", "").split(",")
    uploaded = 0
    for uploaded_file in request.FILES.getlist("files"):
        try:
            upload_media(actor=request.user, workspace=request.workspace, uploaded_file=uploaded_file, tags=tags)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            uploaded += 1
    if uploaded:
        messages.success(request, ngettext("%(n)d file uploaded.", "%(n)d files uploaded.", uploaded)
                         % {"n": uploaded})


@workspace_view("media.upload")
@require_POST
def media_tags(request, asset_id):
    asset = media_for(request.user, request.workspace, asset_id, action="media.upload")
    tag_media(actor=request.user, asset=asset, add=request.POST.get("add", "").split(","),
              remove=request.POST.getlist("remove"))
    return _back(request, reverse("media", args=[request.workspace.slug]))


@workspace_view("media.view")
def media_file(request, asset_id):
    """Media are served through the workspace check, never from a public folder; a video player's byte ranges
    are honoured, so a clip can be seeked and plays in Safari."""
    asset = media_for(request.user, request.workspace, asset_id)
    return file_response(request, asset.file.open("rb"), asset.file.size, asset.mime)
