"""Answering on time (COMM-5): first-response targets, overdue alerts, and the response-time report.

Times are measured either on the clock or in the workspace's business hours (its own zone, DST-correct: each
day's opening and closing are placed on that day's wall clock).
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby
from operator import attrgetter
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chorus.inbox import states
from chorus.inbox.models import BusinessHours, InboxItem, ResponseTarget
from chorus.notifications.services import DIGEST_FROM, notify
from chorus.workspaces.services import ensure_can

ALERTED_AT_ONCE = 2000  # one beat tick's share; the rest wait for the next tick


@dataclass(frozen=True)
class Hours:
    weekdays: frozenset[int]
    opens: time
    closes: time
    zone: ZoneInfo

    def windows(self, first: date, last: date):
        """Each working day's (start, end) instants from `first` to `last`, inclusive."""
        day = first
        while day <= last:
            if day.weekday() in self.weekdays:
                yield (datetime.combine(day, self.opens, tzinfo=self.zone),
                       datetime.combine(day, self.closes, tzinfo=self.zone))
            day += timedelta(days=1)

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone).date()
        return any(opens <= at < closes for opens, closes in self.windows(local, local))


def hours_of(workspace) -> Hours | None:
    found = BusinessHours.objects.filter(workspace=workspace).first()
    if found is None or not found.weekdays:
        return None
    return Hours(frozenset(found.weekdays), found.opens, found.closes, ZoneInfo(workspace.timezone))


def business_seconds(start: datetime, end: datetime, hours: Hours) -> float:
    """How much of [start, end] falls inside business hours."""
    if end <= start:
        return 0.0
    zone = hours.zone
    total = 0.0
    for opens, closes in hours.windows(start.astimezone(zone).date(), end.astimezone(zone).date()):
        total += max(0.0, (min(end, closes) - max(start, opens)).total_seconds())
    return total


def add_business_seconds(start: datetime, seconds: float, hours: Hours) -> datetime:
    """The instant when `seconds` of business time have passed since `start`."""
    day = start.astimezone(hours.zone).date()
    for _week in range(520):  # ten years of weeks: a target that never comes due is a configuration error
        for opens, closes in hours.windows(day, day + timedelta(days=6)):
            begin = max(start, opens)
            if begin >= closes:
                continue
            room = (closes - begin).total_seconds()
            if seconds <= room:
                return begin + timedelta(seconds=seconds)
            seconds -= room
        day += timedelta(days=7)
    raise ValueError("business hours never open")


def elapsed(start: datetime, end: datetime, hours: Hours | None) -> float:
    return business_seconds(start, end, hours) if hours else (end - start).total_seconds()


def respond_by(item: InboxItem, target: ResponseTarget | None, hours: Hours | None) -> datetime | None:
    if target is None:
        return None
    seconds = target.minutes * 60
    if target.business_hours and hours:
        return add_business_seconds(item.written_at, seconds, hours)
    return item.written_at + timedelta(seconds=seconds)


def set_response_target(*, actor, channel, minutes: int, business_hours: bool = False) -> ResponseTarget:
    ensure_can(actor, "inbox.rules", channel.workspace)
    if minutes <= 0:
        raise ValidationError(_("A response target is a number of minutes above zero."))
    if business_hours and hours_of(channel.workspace) is None:
        raise ValidationError(_("Set the workspace's business hours first."))
    target, _created = ResponseTarget.objects.update_or_create(
        channel=channel, defaults={"minutes": minutes, "business_hours": business_hours})
    return target


def set_business_hours(*, actor, workspace, weekdays: list[int], opens: time, closes: time) -> BusinessHours:
    ensure_can(actor, "inbox.rules", workspace)
    if closes <= opens or not weekdays or any(d not in range(7) for d in weekdays):
        raise ValidationError(_("Business hours need working days and a closing time after the opening time."))
    hours, _created = BusinessHours.objects.update_or_create(
        workspace=workspace, defaults={"weekdays": sorted(set(weekdays)), "opens": opens, "closes": closes})
    return hours


def alert_overdue(now: datetime | None = None) -> int:
    """Tell the team once about each open item past its target; returns how many items were alerted. Many at
    once in one channel (a busy evening, a worker back after an outage) make one alert, not a flood."""
    now = now or timezone.now()
    due = InboxItem.objects.filter(status__in=states.OPEN, respond_by__lt=now, overdue_alerted_at=None,
                                   from_page=False)
    seen = list(due.values_list("pk", flat=True)[:ALERTED_AT_ONCE])
    # Two beat ticks may see the same items: each stamps them with its own moment and alerts only what it stamped.
    InboxItem.objects.filter(pk__in=seen, overdue_alerted_at=None).update(overdue_alerted_at=now)
    claimed = (InboxItem.objects.filter(pk__in=seen, overdue_alerted_at=now)
               .select_related("workspace", "channel").order_by("channel_id", "respond_by"))
    alerted = 0
    for channel, waiting in groupby(claimed, key=attrgetter("channel")):
        waiting = list(waiting)
        if len(waiting) >= DIGEST_FROM:
            _alert_many(channel, waiting)
        else:
            for item in waiting:
                _alert_one(item)
        alerted += len(waiting)
    return alerted


def _alert_one(item: InboxItem) -> None:
    notify(item.workspace, "inbox.overdue",
           _("No answer yet in %(channel)s: %(text)s") % {"channel": item.channel.name, "text": item.text[:100]},
           link=f"/w/{item.workspace.slug}/inbox/{item.pk}/", action="inbox.reply", outlets=True)


def _alert_many(channel, waiting: list[InboxItem]) -> None:
    workspace = channel.workspace
    notify(workspace, "inbox.overdue",
           ngettext("%(count)d comment or message in %(channel)s waits past its target; the oldest: %(text)s",
                    "%(count)d comments and messages in %(channel)s wait past their target; the oldest: %(text)s",
                    len(waiting)) % {"count": len(waiting), "channel": channel.name, "text": waiting[0].text[:100]},
           link=f"/w/{workspace.slug}/inbox/?channel={channel.pk}&waiting=overdue", action="inbox.reply",
           outlets=True)


@dataclass(frozen=True)
class ResponseRow:
    """Response times of one channel or one person, in seconds."""

    key: str
    items: int
    answered: int
    first_response_median: float | None
    first_response_p90: float | None
    resolution_median: float | None
    resolution_p90: float | None
    within_target: float | None  # share of items with a target answered in time, 0..1


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def _row(key: str, items: list[InboxItem], hours: Hours | None) -> ResponseRow:
    firsts = [elapsed(i.written_at, i.first_response_at, hours) for i in items if i.first_response_at]
    # A hidden or deleted comment was cleaned away, not resolved: counted, it would flatter the resolution time.
    resolutions = [elapsed(i.written_at, i.resolved_at, hours) for i in items
                   if i.resolved_at and not (i.hidden or i.deleted_on_network)]
    # Hidden, deleted or closed without an answer: it needed none, so it is neither on time nor late.
    targeted = [i for i in items if i.respond_by and (i.first_response_at or i.status in states.OPEN)]
    in_time = [i for i in targeted if i.first_response_at and i.first_response_at <= i.respond_by]
    return ResponseRow(key, len(items), len(firsts), statistics.median(firsts) if firsts else None, _p90(firsts),
                       statistics.median(resolutions) if resolutions else None, _p90(resolutions),
                       len(in_time) / len(targeted) if targeted else None)


def _written_between(workspace, since: datetime, until: datetime) -> list[InboxItem]:
    return list(InboxItem.objects.filter(workspace=workspace, from_page=False, written_at__gte=since,
                                         written_at__lt=until).select_related("channel", "first_response_by"))


def workspace_response_row(workspace, since: datetime, until: datetime) -> ResponseRow | None:
    """The whole workspace's community figures on the clock, for its client report; None when nothing came in.
    Callers check their own right to the report this goes into."""
    items = _written_between(workspace, since, until)
    return _row(_("All channels"), items, None) if items else None


def response_report(*, actor, workspace, since: datetime, until: datetime,
                    business_hours: bool = False) -> dict[str, list[ResponseRow]]:
    """First-response and resolution times per channel and per person (who answered first)."""
    ensure_can(actor, "inbox.view", workspace)
    hours = hours_of(workspace) if business_hours else None
    if business_hours and hours is None:
        raise ValidationError(_("Set the workspace's business hours first."))
    items = _written_between(workspace, since, until)
    by_channel, by_person = defaultdict(list), defaultdict(list)
    for item in items:
        by_channel[item.channel.name].append(item)
        if item.first_response_by:
            by_person[item.first_response_by.get_username()].append(item)
    return {"channels": [_row(key, rows, hours) for key, rows in sorted(by_channel.items())],
            "people": [_row(key, rows, hours) for key, rows in sorted(by_person.items())]}
