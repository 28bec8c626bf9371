"""The publication calendar (CONT-3): month, week and list of publish jobs, drag-and-drop to reschedule.

The browser never sees UTC. Every time crosses the wire as the workspace's wall-clock without an offset
("floating"), and FullCalendar runs in its 'UTC' mode so it shows such a time exactly as written, whatever the
browser's own zone is. This module is the only place that converts between the two.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chorus.channels.models import QueueSlot
from chorus.content.services import schedule_variant
from chorus.publishing.models import PublishJob, Status
from chorus.publishing.services import job_for
from chorus.web.decorators import workspace_view
from chorus.workspaces.roles import can
from chorus.workspaces.timezones import UTC, local_to_utc, to_local

# The legend and the event colours: what the SMM manager needs to tell apart at a glance.
STATUS_GROUPS = [
    (gettext_lazy("Scheduled"), "#0d6efd", {Status.SCHEDULED}),
    (gettext_lazy("Going out"), "#fd7e14", {Status.CLAIMED, Status.SENDING}),
    (gettext_lazy("Published"), "#198754", {Status.PUBLISHED, Status.EDITING}),
    (gettext_lazy("Needs attention"), "#dc3545", {Status.FAILED, Status.UNKNOWN, Status.NEEDS_REVIEW}),
    (gettext_lazy("Deleted from the network"), "#6c757d", {Status.DELETING, Status.DELETED}),
]
STATUS_COLOURS = {status: colour for _label, colour, statuses in STATUS_GROUPS for status in statuses}
QUEUE_SLOT_COLOUR = "#adb5bd"
# A person may still change their mind about these; the others are on their way out or already out.
MOVABLE = {Status.SCHEDULED, Status.FAILED, Status.NEEDS_REVIEW}
QUEUE_SLOT_MINUTES = 30


def floating(instant: datetime, zone_name: str) -> str:
    """A UTC instant as the workspace's wall-clock, ISO without an offset: what the calendar shows as is."""
    return to_local(instant, zone_name).replace(tzinfo=None).isoformat(timespec="seconds")


def parse_floating(value: str | None) -> datetime:
    """A wall-clock time from the calendar. The 'Z' FullCalendar appends in its UTC mode carries no meaning."""
    try:
        return datetime.fromisoformat((value or "").strip()).replace(tzinfo=None)
    except ValueError as exc:
        raise ValidationError(_("Cannot read the time %(value)s.") % {"value": value}) from exc


def range_in_utc(start: datetime, end: datetime, zone_name: str) -> tuple[datetime, datetime]:
    # Bounds of a visible range, not a user's choice: a bound inside a DST gap may land an hour off, harmlessly.
    zone = ZoneInfo(zone_name)
    return start.replace(tzinfo=zone).astimezone(UTC), end.replace(tzinfo=zone).astimezone(UTC)


def excerpt_of(text: str, length: int = 80) -> str:
    # Plain slicing: Truncator's per-character Unicode work cost a sixth of a thousand-post page.
    line = " ".join(text.split())
    return line if len(line) <= length else line[:length - 1] + "…"


def publication_event(job: PublishJob, workspace, may_schedule: bool, status_labels: dict) -> dict:
    channel, post = job.channel, job.variant.post
    sandbox = channel.connector_class.is_sandbox
    excerpt = excerpt_of(job.variant.effective_text)
    channel_mark = f"{channel.name} · SANDBOX" if sandbox else channel.name
    return {
        "id": str(job.pk),
        # The text leads: in a month cell only the first words fit, and the channel is in the tooltip too.
        "title": f"{excerpt} — {channel_mark}",
        "start": floating(job.due_at, workspace.timezone),
        "allDay": False,
        "color": STATUS_COLOURS[job.status],
        "url": reverse("post-detail", args=[workspace.slug, post.pk]),
        "startEditable": may_schedule and job.status in MOVABLE,
        "extendedProps": {"status": job.status, "statusLabel": status_labels[job.status], "channel": channel.name,
                          "sandbox": sandbox, "text": excerpt},
    }


def publication_events(request, start: datetime, end: datetime) -> list[dict]:
    """Every publication due in [start, end) of the workspace's wall-clock, in one query."""
    workspace = request.workspace
    since, until = range_in_utc(start, end, workspace.timezone)
    jobs = (PublishJob.objects.filter(workspace=workspace, due_at__gte=since, due_at__lt=until)
            .select_related("channel", "variant__post")
            .only("due_at", "status", "channel__name", "channel__network", "variant__text", "variant__post__text")
            .order_by("due_at", "pk"))
    may_schedule = can(request.role, "post.schedule")
    # Translated once per page, not once per publication: a thousand lazy lookups cost a third of the page.
    status_labels = {status: str(label) for status, label in Status.choices}
    return [publication_event(job, workspace, may_schedule, status_labels) for job in jobs]


def queue_slot_events(workspace) -> list[dict]:
    """Queue slots as weekly background events (week view), one per time with every channel that posts then."""
    channels_at: dict[tuple[int, str], list[str]] = {}
    for slot in QueueSlot.objects.filter(channel__workspace=workspace).select_related("channel"):
        channels_at.setdefault((slot.weekday, slot.time.strftime("%H:%M")), []).append(slot.channel.name)
    return [{
        "title": _("Queue: %(channels)s") % {"channels": ", ".join(names)},
        "daysOfWeek": [(weekday + 1) % 7],  # ours count from Monday, FullCalendar's from Sunday
        "startTime": at,
        "endTime": (datetime.strptime(at, "%H:%M") + timedelta(minutes=QUEUE_SLOT_MINUTES)).strftime("%H:%M"),
        "display": "background",
        "color": QUEUE_SLOT_COLOUR,
    } for (weekday, at), names in sorted(channels_at.items())]


def day_shown(request, today: date) -> date:
    """The first of ?month=YYYY-MM, else today, so that switching to the week view lands on this week."""
    try:
        return datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        return today


def month_grid(first: date) -> tuple[datetime, datetime]:
    """A range that covers the six-week month grid whichever weekday the week starts on."""
    next_first = (first + timedelta(days=32)).replace(day=1)
    return (datetime.combine(first - timedelta(days=7), datetime.min.time()),
            datetime.combine(next_first + timedelta(days=14), datetime.min.time()))


@workspace_view("post.view")
def calendar(request):
    workspace = request.workspace
    now = floating(timezone.now(), workspace.timezone)
    day = day_shown(request, date.fromisoformat(now[:10]))
    start, end = month_grid(day.replace(day=1))
    config = {
        "eventsUrl": reverse("calendar-events", args=[workspace.slug]),
        "moveUrl": reverse("calendar-move", args=[workspace.slug]),
        "csrfToken": get_token(request),
        "locale": "ru" if get_language() == "ru" else "en",
        "now": now,
        "initialDate": day.isoformat(),
        "embedded": {"start": start.isoformat(), "end": end.isoformat()},
        "queueSlots": queue_slot_events(workspace),
        "messages": {"loadFailed": _("Could not load the calendar. Reload the page to try again."),
                     "moveFailed": _("Could not move the post.")},
    }
    return render(request, "web/calendar.html", {
        "calendar_config": config, "calendar_events": publication_events(request, start, end),
        "legend": [(label, colour) for label, colour, _statuses in STATUS_GROUPS]
        + [(_("Queue slot"), QUEUE_SLOT_COLOUR)],
    })


@require_GET
@workspace_view("post.view")
def calendar_events(request):
    try:
        start, end = parse_floating(request.GET.get("start")), parse_floating(request.GET.get("end"))
    except ValidationError as exc:
        return JsonResponse({"error": exc.messages[0]}, status=400)
    return JsonResponse(publication_events(request, start, end), safe=False)


@workspace_view("post.schedule")
@require_POST
def calendar_move(request):
    workspace = request.workspace
    job = job_for(request.user, workspace, _job_id(request.POST.get("job")), "post.schedule")
    try:
        due_at, warnings = local_to_utc(parse_floating(request.POST.get("start")), workspace.timezone)
        if due_at < timezone.now():
            raise ValidationError(_("That time has already passed; choose a time in the future."))
        schedule_variant(actor=request.user, variant=job.variant, due_at=due_at)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    message = _("Moved to %(time)s.") % {"time": floating(due_at, workspace.timezone)[:16].replace("T", " ")}
    return JsonResponse({"message": message, "warnings": warnings})


def _job_id(value: str | None) -> int:
    # A malformed id is as unknown as another workspace's: job_for answers 404 for both.
    return int(value) if (value or "").isdigit() else 0
