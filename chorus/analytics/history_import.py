"""Importing a channel's history from a file (ANLT-1): posts with their counters, from CSV or XLSX.

A mapping says which column holds which field (FIELDS). `facebook-insights` is the layout of Facebook's post
export as published in the UCI "Facebook metrics" set: month, weekday and hour but no day. Such a post is placed
on a date of that year consistent with all three, spread over the month's matching weekdays in the file's order,
and marked approximate; weekday 1 is Monday (ISO 8601), hours are wall-clock in the workspace's zone.

An empty counter cell stays missing (a warning, never 0); a cell that cannot be read skips its row (an error with
the line). Re-importing the same file adds nothing: a row is the same row by its remote id, or else by its cells;
a known post whose counters changed gets one more snapshot.
"""

import calendar
import csv
import hashlib
import io
import json
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.analytics.models import ImportMapping, PublishedPost
from chorus.analytics.store import AccountReading, PostFacts, PostReading, store
from chorus.imported_files import check_size, utf8_text
from chorus.workspaces.timezones import UTC, local_to_utc

MAX_BYTES = 20 * 2**20
MAX_ROWS = 100_000
WRITE_BATCH = 2000  # rows written together: their keys stay within SQLite's limit on query parameters
COUNTERS = {"views": "views", "likes": "likes", "reposts": "reposts", "comments": "comments", "reach": "reach",
            "saves": "saves", "clicks": "clicks", "interactions": "total_interactions"}
# field → what it is; every field names a column except the settings at the end.
FIELDS = {
    "published_at": "date and time of the post (ISO-8601, or 'YYYY-MM-DD HH:MM' / 'DD.MM.YYYY HH:MM' local)",
    "month": "month 1–12, when there is no date", "weekday": "weekday 1–7 (1 = Monday), when there is no date",
    "hour": "hour 0–23, when there is no date", "remote_id": "the post's id on the network",
    "type": "post type (photo, video, link, status, …)", "rubric": "rubric", "text": "the post's text",
    "text_length": "length of the text in characters", "paid": "promoted: 1/0, yes/no, true/false",
    "followers": "the channel's followers when the post was published",
    **{name: f"{name} counter" for name in COUNTERS},
    "year": "setting: the year of posts that have no date (a number, not a column)",
    "newest_first": "setting: true when the file lists the newest posts first",
}
SETTINGS = ("year", "newest_first")
FORMATS = ("facebook-insights", "csv")
FACEBOOK_INSIGHTS = {
    "followers": "Page total likes", "type": "Type", "rubric": "Category", "month": "Post Month",
    "weekday": "Post Weekday", "hour": "Post Hour", "paid": "Paid", "reach": "Lifetime Post Total Reach",
    "views": "Lifetime Post Total Impressions", "clicks": "Lifetime Post Consumptions", "comments": "comment",
    "likes": "like", "reposts": "share", "interactions": "Total Interactions", "year": 2014, "newest_first": True,
}


@dataclass(frozen=True)
class Note:
    line: int
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "message": self.message}


@dataclass
class HistoryReport:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    warnings: list[Note] = field(default_factory=list)
    errors: list[Note] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"imported": self.imported, "updated": self.updated, "skipped": self.skipped,
                "warnings": [w.as_dict() for w in self.warnings], "errors": [e.as_dict() for e in self.errors]}


class RowInvalid(ValueError):
    pass


def check_mapping(columns) -> dict:
    """A mapping as the user gave it, or a ValidationError that says what to fix."""
    if not isinstance(columns, dict) or not columns:
        raise ValidationError(_('A mapping is a JSON object like {"published_at": "Date", "likes": "Likes"}.'))
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise ValidationError(_("Unknown field(s) %(unknown)s; known: %(known)s.")
                              % {"unknown": ", ".join(unknown), "known": ", ".join(FIELDS)})
    for name, column in columns.items():
        if name == "year" and not (isinstance(column, int) and 1990 <= column <= 2100):
            raise ValidationError(_('"year" must be a year such as 2014.'))
        if name == "newest_first" and not isinstance(column, bool):
            raise ValidationError(_('"newest_first" must be true or false.'))
        if name not in SETTINGS and not (isinstance(column, str) and column.strip()):
            raise ValidationError(_('Field "%(field)s" must name a column.') % {"field": name})
    if "published_at" not in columns and not {"month", "weekday", "hour"} <= set(columns):
        raise ValidationError(_('Map "published_at", or "month", "weekday" and "hour" (with "year").'))
    return columns


def resolve_mapping(workspace, file_format: str, mapping: str | None) -> dict:
    """The mapping for an import: the format's own, overlaid by a saved preset's name or a JSON object."""
    if file_format not in FORMATS:
        raise ValidationError(_("Unknown format %(format)s: use one of %(formats)s.")
                              % {"format": file_format, "formats": ", ".join(FORMATS)})
    columns = dict(FACEBOOK_INSIGHTS) if file_format == "facebook-insights" else {}
    if mapping:
        if mapping.lstrip().startswith("{"):
            try:
                given = json.loads(mapping)
            except json.JSONDecodeError as exc:
                raise ValidationError(_("The mapping is not valid JSON: %(reason)s.") % {"reason": exc.msg}) from exc
        else:
            preset = ImportMapping.objects.filter(workspace=workspace, name=mapping).first()
            if preset is None:
                raise ValidationError(_('No saved mapping named "%(name)s" in this workspace.') % {"name": mapping})
            given = preset.columns
        columns.update(check_mapping(given))
    if not columns:
        raise ValidationError(_("A csv import needs --mapping: a saved mapping's name or a JSON object."))
    return check_mapping(columns)


# Reading the file --------------------------------------------------------------------------------------------

def read_table(source: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header's columns and (line, {column: cell}) for every non-empty row after it; XLSX is recognised by its
    content."""
    check_size(source, MAX_BYTES)
    rows = _xlsx_rows(source) if source[:4] == b"PK\x03\x04" else _csv_rows(source)
    header = next(rows, None)
    if header is None:
        raise ValidationError(_("The file is empty."))
    columns = [str(c or "").strip() for c in header[1]]
    table = []
    for line, cells in rows:
        if any(str(c or "").strip() for c in cells):
            table.append((line, dict(zip(columns, (str(c if c is not None else "").strip() for c in cells),
                                         strict=False))))
        if len(table) > MAX_ROWS:
            raise ValidationError(_("More than %(max)d rows: split the file.") % {"max": MAX_ROWS})
    return columns, table


def _csv_rows(source: bytes):
    text = utf8_text(source, MAX_BYTES)
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if first.count(";") > first.count(",") else ",")
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ValidationError(_("Cannot read the CSV from line %(line)d on: %(reason)s.")
                              % {"line": start, "reason": exc}) from exc


def _xlsx_rows(source: bytes):
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(source), read_only=True, data_only=True).worksheets[0]
    except (zipfile.BadZipFile, KeyError, OSError, IndexError) as exc:
        raise ValidationError(_("The file looks like a workbook but cannot be opened as XLSX.")) from exc
    for number, cells in enumerate(sheet.iter_rows(values_only=True), 1):
        yield number, [_cell_text(c) for c in cells]


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return "" if value is None else str(value)


# Reading one row ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Row:
    line: int
    key: str
    facts: PostFacts
    counters: dict[str, int | None]
    approximate_slot: tuple[int, int, int, int] | None  # (year, month, weekday 0-6, hour) when the date is to place


def _whole(line: int, column: str, cell: str, warnings: list[Note], low: int = 0, high: int | None = None):
    if cell == "":
        warnings.append(Note(line, _('column "%(column)s" is empty: left missing, not 0.') % {"column": column}))
        return None
    try:
        # Spreadsheets write 1 200 (a space, or a no-break space, between thousands) and 12.0.
        number = float(cell.replace(" ", "").replace("\u00a0", ""))
    except ValueError:
        number = None
    if number is None or not number.is_integer():
        raise RowInvalid(_('column "%(column)s": "%(cell)s" is not a whole number.')
                         % {"column": column, "cell": cell[:40]})
    number = int(number)
    if number < low or (high is not None and number > high):
        raise RowInvalid(_('column "%(column)s": %(number)d is outside %(low)d–%(high)s.')
                         % {"column": column, "number": number, "low": low, "high": high if high is not None else "…"})
    return number


TRUE, FALSE = {"1", "true", "yes", "y", "да"}, {"0", "false", "no", "n", "нет"}


def _flag(line: int, column: str, cell: str, warnings: list[Note]) -> bool | None:
    if cell == "":
        warnings.append(Note(line, _('column "%(column)s" is empty: left unknown.') % {"column": column}))
        return None
    if cell.lower() in TRUE | FALSE:
        return cell.lower() in TRUE
    raise RowInvalid(_('column "%(column)s": "%(cell)s" is not yes/no (1/0).') % {"column": column, "cell": cell[:40]})


DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%m/%d/%Y %H:%M")


def _when(cell: str, column: str, zone: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(cell)
    except ValueError:
        parsed = None
        for pattern in DATE_FORMATS:
            try:
                parsed = datetime.strptime(cell, pattern)
                break
            except ValueError:
                continue
    if parsed is None:
        raise RowInvalid(_('column "%(column)s": cannot read the time "%(cell)s"; use 2026-12-01 10:00 or ISO-8601.')
                         % {"column": column, "cell": cell[:40]})
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    try:
        return local_to_utc(parsed, zone)[0]
    except ValidationError as exc:
        raise RowInvalid(exc.messages[0]) from exc


def _read_row(line: int, cells: dict[str, str], columns: dict, zone: str, warnings: list[Note]) -> _Row:
    def cell(name: str) -> str:
        return cells.get(columns[name], "") if name in columns else ""

    missing = [columns[n] for n in columns if n not in SETTINGS and columns[n] not in cells]
    if missing:
        raise RowInvalid(_("the row ends before column %(columns)s.") % {"columns": ", ".join(map(repr, missing))})
    counters = {COUNTERS[name]: _whole(line, columns[name], cell(name), warnings)
                for name in COUNTERS if name in columns}
    text = cell("text")
    length = len(text) if "text" in columns else (
        _whole(line, columns["text_length"], cell("text_length"), []) if "text_length" in columns else None)
    slot = None
    if "published_at" in columns:
        if not cell("published_at"):
            raise RowInvalid(_('column "%(column)s" is empty: a post needs its time.')
                             % {"column": columns["published_at"]})
        published_at, approximate = _when(cell("published_at"), columns["published_at"], zone), False
    else:
        month = _required(line, columns["month"], cell("month"), 1, 12)
        weekday = _required(line, columns["weekday"], cell("weekday"), 1, 7)
        hour = _required(line, columns["hour"], cell("hour"), 0, 23)
        slot = (columns.get("year") or timezone.now().year, month, weekday - 1, hour)
        published_at, approximate = datetime(slot[0], month, 1, tzinfo=UTC), True  # placed later
    facts = PostFacts(
        published_at=published_at, remote_id=cell("remote_id"), date_is_approximate=approximate,
        kind=cell("type").lower()[:32], rubric=cell("rubric")[:120], text_length=length,
        paid=_flag(line, columns["paid"], cell("paid"), warnings) if "paid" in columns else None,
        followers_reported=_whole(line, columns["followers"], cell("followers"), warnings)
        if "followers" in columns else None)
    key = cell("remote_id") or hashlib.sha256(
        "\x1f".join(f"{k}={v}" for k, v in sorted(cells.items())).encode()).hexdigest()[:40]
    return _Row(line, key, facts, counters, slot)


def _required(line: int, column: str, cell: str, low: int, high: int) -> int:
    if cell == "":
        raise RowInvalid(_('column "%(column)s" is empty: it places the post in time.') % {"column": column})
    return _whole(line, column, cell, [], low, high)


def _place(rows: list[_Row], zone: str, newest_first: bool, errors: list[Note]) -> list[_Row]:
    """Give each undated row a day: the month's days with its weekday, shared out in the file's order (oldest
    first), at its hour in the workspace's zone; a wall-clock hour the clocks skip moves to the next such day."""
    groups: dict[tuple, list[_Row]] = defaultdict(list)
    placed = [row for row in rows if row.approximate_slot is None]
    for row in (reversed(rows) if newest_first else rows):
        if row.approximate_slot is not None:
            groups[row.approximate_slot[:3]].append(row)
    for (year, month, weekday), members in groups.items():
        days = [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)
                if date(year, month, d).weekday() == weekday]
        for rank, row in enumerate(members):
            first = rank * len(days) // len(members)
            for day in days[first:] + days[:first]:
                try:
                    at, _warnings = local_to_utc(datetime(year, month, day.day, row.approximate_slot[3]), zone)
                except ValidationError:
                    continue
                placed.append(replace(row, facts=replace(row.facts, published_at=at)))
                break
            else:
                errors.append(Note(row.line, _("no day of that month has this hour (clock change).")))
    return sorted(placed, key=lambda r: r.line)


# Importing ---------------------------------------------------------------------------------------------------

def import_history(channel, source: bytes, columns: dict) -> HistoryReport:
    """Read every row, then write the good ones; the caller has checked the actor may import here."""
    zone = channel.workspace.timezone
    header, table = read_table(source)
    absent = [column for name, column in columns.items() if name not in SETTINGS and column not in header]
    if absent:
        raise ValidationError(_("The file has no column %(absent)s (it has: %(found)s). Fix the mapping or the file.")
                              % {"absent": ", ".join(map(repr, absent)), "found": ", ".join(header) or "-"})
    report = HistoryReport()
    rows, occurrences = [], Counter()
    for line, cells in table:
        warnings: list[Note] = []
        try:
            row = _read_row(line, cells, columns, zone, warnings)
        except RowInvalid as exc:
            report.errors.append(Note(line, str(exc)))
            continue
        report.warnings += warnings
        occurrences[row.key] += 1
        # Two identical rows are two posts (same numbers happen); the n-th copy stays the n-th on re-import.
        key = row.key if occurrences[row.key] == 1 or row.facts.remote_id else f"{row.key}#{occurrences[row.key]}"
        rows.append(replace(row, key=key, facts=replace(row.facts, import_key="" if row.facts.remote_id else key)))
    rows = _place(rows, zone, bool(columns.get("newest_first")), report.errors)
    report.skipped = len(table) - len(rows)
    now = timezone.now()
    with transaction.atomic():  # a file goes in whole or not at all: a crash midway leaves no half of it
        for start in range(0, len(rows), WRITE_BATCH):
            _write(channel, rows[start:start + WRITE_BATCH], now, report)
        store.ingest_accounts(AccountReading(channel.pk, row.facts.published_at,
                                             followers=row.facts.followers_reported)
                              for row in rows if row.facts.followers_reported is not None)
    return report


def _write(channel, rows: list[_Row], now: datetime, report: HistoryReport) -> None:
    """New posts with their first snapshot; known ones get a snapshot only when the file's counters changed."""
    known = _known_posts(channel, rows)
    readings = []
    for row, post in zip(rows, store.register(channel, [row.facts for row in rows]), strict=True):
        previous = known.get(post.pk)
        if previous is not None and previous == row.counters:
            report.skipped += 1
            continue
        if previous is None:
            report.imported += 1
        else:
            report.updated += 1
        readings.append(PostReading(post.pk, now, **row.counters))
    store.ingest_posts(readings)


def _known_posts(channel, rows: list[_Row]) -> dict[int, dict]:
    """Posts of these rows already imported, with their latest counters as the import would write them."""
    keys = [r.facts.import_key for r in rows if r.facts.import_key]
    remote = [r.facts.remote_id for r in rows if r.facts.remote_id]
    names = list(COUNTERS.values())
    found = PublishedPost.objects.filter(channel=channel, import_key__in=keys) | \
        PublishedPost.objects.filter(channel=channel, remote_id__in=remote)
    mapped = {name for row in rows for name in row.counters}
    return {row[0]: {n: v for n, v in zip(names, row[1:], strict=True) if n in mapped}
            for row in found.values_list("pk", *names)}
