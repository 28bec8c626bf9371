"""The periods a report covers, in the workspace's own calendar: a month ("2026-10"), an ISO week ("2026-W44")
or any run of days ("2026-10-01..2026-10-15", both days included)."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from chorus.reports.models import Cadence

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
DAYS = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # the day after the last one
    cadence: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> "Period":
        """The period just before, of the same kind: the month before a month, the week before a week, as many
        days before a custom run of days."""
        if self.cadence == Cadence.MONTH:
            start = (self.start - timedelta(days=1)).replace(day=1)
            return Period(start, self.start, Cadence.MONTH)
        return Period(self.start - timedelta(days=self.days), self.start, self.cadence)

    def bounds(self, zone_name: str) -> tuple[datetime, datetime]:
        """The period's first instant and the instant after its last one: local midnights, DST-correct."""
        return local_midnight(self.start, zone_name), local_midnight(self.end, zone_name)

    def label(self) -> str:
        if self.cadence == Cadence.MONTH:
            return date_format(self.start, "F Y")
        last = self.end - timedelta(days=1)
        return f"{date_format(self.start, 'j E Y')} – {date_format(last, 'j E Y')}"

    def code(self) -> str:
        if self.cadence == Cadence.MONTH:
            return self.start.strftime("%Y-%m")
        if self.cadence == Cadence.WEEK:
            year, week, _day = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.isoformat()}..{(self.end - timedelta(days=1)).isoformat()}"


def local_midnight(day: date, zone_name: str) -> datetime:
    return datetime.combine(day, datetime.min.time(), ZoneInfo(zone_name))


def month_of(day: date) -> Period:
    start = day.replace(day=1)
    return Period(start, (start + timedelta(days=32)).replace(day=1), Cadence.MONTH)


def week_of(day: date) -> Period:
    start = day - timedelta(days=day.weekday())
    return Period(start, start + timedelta(days=7), Cadence.WEEK)


def parse_period(text: str) -> Period:
    text = text.strip()
    try:
        if found := MONTH.match(text):
            return month_of(date(int(found[1]), int(found[2]), 1))
        if found := WEEK.match(text):
            return week_of(date.fromisocalendar(int(found[1]), int(found[2]), 1))
        if found := DAYS.match(text):
            first, last = date.fromisoformat(found[1]), date.fromisoformat(found[2])
            if last < first:
                raise ValidationError(_("The period ends before it starts: %(period)s.") % {"period": text})
            if (last - first).days > 366:
                raise ValidationError(_("A report covers at most a year."))
            return Period(first, last + timedelta(days=1), Cadence.CUSTOM)
    except ValueError as exc:
        raise ValidationError(_("%(period)s is not a date that exists.") % {"period": text}) from exc
    raise ValidationError(_("Give the period as a month (2026-10), an ISO week (2026-W44) or days "
                            "(2026-10-01..2026-10-15)."))


def last_finished(cadence: str, today: date) -> Period:
    """The last whole week or month before `today`: what a schedule reports on."""
    current = month_of(today) if cadence == Cadence.MONTH else week_of(today)
    return current.previous()
