"""Wall-clock time in a workspace's zone ↔ UTC, DST-safe (PUB-3): no silent shifts."""

from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

UTC = ZoneInfo("UTC")
# Monday first, as `date.weekday()` counts: queue slots, business hours, breakdowns and reports name days so.
WEEKDAY_NAMES = (gettext_lazy("Mon"), gettext_lazy("Tue"), gettext_lazy("Wed"), gettext_lazy("Thu"),
                 gettext_lazy("Fri"), gettext_lazy("Sat"), gettext_lazy("Sun"))


@cache
def zone_names() -> list[str]:
    """The IANA zones this server knows, for choosing one from a list."""
    return sorted(available_timezones())


def _round_trips(local: datetime) -> bool:
    return local.astimezone(UTC).astimezone(local.tzinfo).replace(tzinfo=None) == local.replace(tzinfo=None)


def local_to_utc(naive: datetime, zone_name: str) -> tuple[datetime, list[str]]:
    """The UTC instant for a wall-clock time; raises for a time the clocks skip, warns for one they repeat."""
    zone = ZoneInfo(zone_name)
    first = naive.replace(tzinfo=zone, fold=0)
    if not _round_trips(first):
        before = (first - timedelta(hours=1)).replace(tzinfo=None)
        raise ValidationError(
            _("%(time)s does not exist on %(day)s in %(zone)s: the clocks jump forward that night. "
              "Choose a time before %(before)s or after the jump.")
            % {"time": naive.strftime("%H:%M"), "day": naive.date().isoformat(), "zone": zone_name,
               "before": before.strftime("%H:%M")}
        )
    second = naive.replace(tzinfo=zone, fold=1)
    warnings = []
    if first.utcoffset() != second.utcoffset():
        warnings.append(
            _("%(time)s happens twice on %(day)s in %(zone)s (the clocks go back); the first one, %(utc)s UTC, "
              "is used.") % {"time": naive.strftime("%H:%M"), "day": naive.date().isoformat(), "zone": zone_name,
                              "utc": first.astimezone(UTC).strftime("%H:%M")}
        )
    return first.astimezone(UTC), warnings


def parse_when(value: str, zone_name: str, now: datetime) -> tuple[datetime, list[str]]:
    """`now`, an ISO-8601 time with an offset (taken as is), or a wall-clock time in the workspace's zone."""
    if value.strip().lower() == "now":
        return now, []
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValidationError(_("Cannot read the time %(value)s: use ISO-8601 like 2026-12-01T10:00 or 'now'.")
                              % {"value": value}) from exc
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC), []
    return local_to_utc(parsed, zone_name)


def to_local(instant: datetime, zone_name: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone_name))
