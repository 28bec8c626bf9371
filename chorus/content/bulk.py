"""Bulk import and export of posts (CONT-6): the UI, the CLI and scripts all call `import_posts`/`export_posts`.

Formats
-------
CSV: UTF-8 (with or without a BOM), columns separated by commas or by semicolons (Russian Excel writes those).
The first line names the columns:

- ``text``: the post's text (required column).
- ``channels``: channel ids or exact channel names of this workspace, separated by ``|`` (required column).
- ``at``: empty for a draft; ``queue`` for each channel's next free queue slot; a time with an offset
  (``2026-12-01T10:00+03:00``); or a wall-clock time in the workspace's zone (``2026-12-01 10:00``, also
  ``01.12.2026 10:00`` as Excel rewrites it). A time the clocks skip (DST) or a past time is reported; a time
  they repeat means its first occurrence.
- ``text:<channel id or name>``: optional; that channel's own text when it differs from the post's.

A text in double quotes may span several lines; errors still name the line of the file where the row starts.

JSON: an array of objects with the same keys (``channels`` as a list), or JSON Lines (one object per line).
Errors name the line where the object starts.

Export writes the same formats. Channels are written by name (by id when the name cannot find the channel back),
``at`` is filled when every channel of the post waits for the same time, and the read-only columns
``status:<channel>`` and ``due:<channel>`` (the workspace's zone) show each publication; import ignores them.
Exporting, then importing into a workspace with channels of the same names re-creates the posts.

Every row is checked completely before anything is written. With `keep_valid` the good rows are imported and the
bad ones reported; without it one bad row refuses the whole file. All writes of one import share one transaction
and go through the post verbs in `chorus.content.services`.
"""

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.channels.models import Channel
from chorus.content.models import Post, Variant
from chorus.content.services import add_to_queue, check_text, create_and_schedule, write_post
from chorus.imported_files import FileUnreadable, utf8_text
from chorus.publishing.models import Status
from chorus.workspaces.services import ensure_can
from chorus.workspaces.timezones import UTC, local_to_utc, to_local

MAX_BYTES = 5 * 2**20
MAX_ROWS = 10_000
PROGRESS_EVERY = 100  # posts written between two progress lines of a long import
FORMATS = ("auto", "csv", "json")
QUEUE = "queue"
VARIANT_PREFIX = "text:"
BASE_COLUMNS = ("text", "channels", "at")


@dataclass(frozen=True)
class RowError:
    line: int  # 1-based, as the user sees the file: CSV header is line 1, JSON the line where the object starts
    message: str


@dataclass(frozen=True)
class ImportReport:
    imported: int
    skipped: int
    errors: list[RowError]
    post_ids: list[int]
    refused: bool  # nothing was imported: the file could not be read, or a row was bad and keep_valid was off


@dataclass(frozen=True)
class _Row:
    """One row as the file has it, before it is checked against the workspace."""

    line: int
    text: str
    channels: list[str]
    at: str
    variant_texts: dict[str, str]  # channel id or name → text


@dataclass(frozen=True)
class _Plan:
    """A checked row: what will be written."""

    line: int
    text: str
    channels: list[Channel]
    variant_texts: dict[int, str]
    when: datetime | str | None  # None: draft; QUEUE; or the UTC instant


# Import

def import_posts(*, actor, workspace, source: str | bytes, file_format: str, keep_valid: bool,
                 progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Check every row of `source`, then import the valid ones (or none if `keep_valid` is off and any is bad).
    `progress(done, total)` hears of the writing every PROGRESS_EVERY posts."""
    ensure_can(actor, "post.import", workspace)
    try:
        rows = _read_rows(source, file_format)
    except FileUnreadable as exc:
        return ImportReport(0, 0, [RowError(exc.line, exc.messages[0])], [], refused=True)
    book = _ChannelBook(workspace)
    now = timezone.now()
    plans, errors = [], []
    for row in rows:
        if isinstance(row, RowError):
            errors.append(row)
            continue
        plan, problems = _plan(row, book, workspace.timezone, now)
        errors += [RowError(row.line, problem) for problem in problems]
        if plan is not None:
            plans.append(plan)
    if errors and not keep_valid:
        return ImportReport(0, len(rows), errors, [], refused=True)
    post_ids, write_errors = _write_all(actor, workspace, plans, keep_valid, progress)
    if write_errors and not keep_valid:
        return ImportReport(0, len(rows), write_errors, [], refused=True)
    return ImportReport(len(post_ids), len(rows) - len(post_ids), errors + write_errors, post_ids, refused=False)


def _read_rows(source: str | bytes, file_format: str) -> list["_Row | RowError"]:
    text = utf8_text(source, MAX_BYTES)
    if file_format not in FORMATS:
        raise FileUnreadable(_("Unknown format %(format)s: use one of %(formats)s.")
                             % {"format": file_format, "formats": ", ".join(FORMATS)})
    if file_format == "auto":
        file_format = "json" if text.lstrip()[:1] in ("[", "{") else "csv"
    rows = _json_rows(text) if file_format == "json" else _csv_rows(text)
    if not rows:
        raise FileUnreadable(_("The file has no posts in it."))
    if len(rows) > MAX_ROWS:
        raise FileUnreadable(_("The file has %(rows)d rows; at most %(max)d can be imported at once: split it.")
                             % {"rows": len(rows), "max": MAX_ROWS}, line=rows[MAX_ROWS].line)
    return rows


def _csv_rows(text: str) -> list["_Row | RowError"]:
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    columns = [_key(name) for name in next(reader, [])]
    missing = [name for name in ("text", "channels") if name not in columns]
    if missing:
        raise FileUnreadable(_("The first line must name the columns; missing: %(missing)s (found: %(found)s).")
                             % {"missing": ", ".join(missing), "found": ", ".join(columns) or "-"})
    rows, start = [], reader.line_num + 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append(_csv_row(start, columns, cells, delimiter))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise FileUnreadable(_("Cannot read the CSV from line %(line)d on: %(reason)s. Check the double quotes.")
                             % {"line": start, "reason": exc}, line=start) from exc
    return rows


def _delimiter(header_line: str) -> str:
    """The one under which the first line names the required columns (a channel name may hold either)."""
    for delimiter in (",", ";"):
        columns = {_key(name) for name in next(csv.reader([header_line], delimiter=delimiter), [])}
        if {"text", "channels"} <= columns:
            return delimiter
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _csv_row(line: int, columns: list[str], cells: list[str], delimiter: str) -> "_Row | RowError":
    if len(cells) > len(columns):
        return RowError(line, _("This row has %(cells)d cells but the first line names %(columns)d columns; put "
                                "a text that contains %(delimiter)s in double quotes.")
                        % {"cells": len(cells), "columns": len(columns), "delimiter": delimiter})
    return _row(line, dict(zip(columns, cells, strict=False)))


def _json_rows(text: str) -> list["_Row | RowError"]:
    if text.lstrip().startswith("["):
        return _json_array_rows(text)
    rows = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            rows.append(_json_row(number, json.loads(line)))
        except json.JSONDecodeError as exc:
            rows.append(RowError(number, _("Not valid JSON: %(reason)s (column %(column)d).")
                                 % {"reason": exc.msg, "column": exc.colno}))
    return rows


_SPACE = re.compile(r"\s*")


def _json_array_rows(text: str) -> list["_Row | RowError"]:
    """Walk the array one element at a time, so each row knows the line where its object starts."""
    decoder, rows = json.JSONDecoder(), []
    position = _SPACE.match(text, text.index("[") + 1).end()
    while position < len(text) and text[position] != "]":
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise FileUnreadable(_("Not valid JSON on line %(line)d: %(reason)s.")
                                 % {"line": exc.lineno, "reason": exc.msg}, line=exc.lineno) from exc
        rows.append(_json_row(text.count("\n", 0, position) + 1, value))
        position = _SPACE.match(text, end).end()
        if text.startswith(",", position):
            position = _SPACE.match(text, position + 1).end()
        elif not text.startswith("]", position):
            line = text.count("\n", 0, position) + 1
            raise FileUnreadable(_("Not valid JSON on line %(line)d: expected \",\" or \"]\" after an object.")
                                 % {"line": line}, line=line)
    if position >= len(text):
        line = text.count("\n") + 1
        raise FileUnreadable(_("Not valid JSON: the file ends before the closing \"]\"."), line=line)
    return rows


def _json_row(line: int, value) -> "_Row | RowError":
    if not isinstance(value, dict):
        return RowError(line, _('Expected an object like {"text": "…", "channels": ["…"], "at": "…"}.'))
    return _row(line, {_key(str(name)): cell for name, cell in value.items()})


def _key(name: str) -> str:
    """Column names are case-insensitive; the channel after "text:" is kept as written."""
    head, colon, rest = name.strip().partition(":")
    return head.strip().lower() + colon + rest.strip()


def _row(line: int, record: dict) -> "_Row | RowError":
    text, channels, at = record.get("text") or "", record.get("channels") or [], record.get("at") or ""
    variant_texts = {key[len(VARIANT_PREFIX):]: cell or "" for key, cell in record.items()
                     if key.startswith(VARIANT_PREFIX)}
    if isinstance(channels, str):
        channels = channels.split("|")
    if not all(isinstance(cell, str) for cell in [text, at, *variant_texts.values()]):
        return RowError(line, _('"text", "at" and "text:<channel>" must be strings.'))
    if not isinstance(channels, list) or not all(type(ref) in (str, int) for ref in channels):
        return RowError(line, _('"channels" must be a list of channel ids or names.'))
    refs = [str(ref).strip() for ref in channels if str(ref).strip()]
    return _Row(line, text, refs, at.strip(), variant_texts)


class _ChannelBook:
    """This workspace's channels by id or exact name; another workspace's ids are simply unknown here."""

    def __init__(self, workspace):
        self.channels = list(Channel.objects.filter(workspace=workspace).annotate(slot_count=Count("queue_slots")))
        self.by_id = {str(channel.pk): channel for channel in self.channels}
        self.by_name = defaultdict(list)
        for channel in self.channels:
            self.by_name[channel.name].append(channel)

    def find(self, ref: str) -> Channel:
        if ref in self.by_id:
            return self.by_id[ref]
        named = self.by_name.get(ref, [])
        if len(named) > 1:
            raise ValidationError(_("%(count)d channels are named \"%(ref)s\"; use the id of the one you mean "
                                    "(%(ids)s).") % {"count": len(named), "ref": ref,
                                                     "ids": ", ".join(str(c.pk) for c in named)})
        if not named:
            raise ValidationError(_("unknown channel \"%(ref)s\" in this workspace; use a channel id or its exact "
                                    "name.") % {"ref": ref})
        return named[0]

    def reference(self, channel: Channel) -> str | int:
        """How export names a channel: by name when the name finds it back (here and elsewhere), else by id."""
        name = channel.name
        if "|" in name or name.isdigit() or name != name.strip() or len(self.by_name[name]) != 1:
            return channel.pk
        return name


def _in_column(column: str, problem: str) -> str:
    return _("column \"%(column)s\": %(problem)s") % {"column": column, "problem": problem}


def _plan(row: _Row, book: _ChannelBook, zone: str, now: datetime) -> tuple[_Plan | None, list[str]]:
    """Check one row completely; return what to write, or every problem with what to fix."""
    problems, channels = [], []
    for ref in row.channels:
        try:
            channels.append(book.find(ref))
        except ValidationError as exc:
            problems.append(_in_column("channels", exc.messages[0]))
    if not row.channels:
        problems.append(_in_column("channels", _("empty; name at least one channel by id or exact name.")))
    channels = list(dict.fromkeys(channels))
    variant_texts = {}
    for ref, text in row.variant_texts.items():
        column = VARIANT_PREFIX + ref
        try:
            channel = book.find(ref) if text else None
        except ValidationError as exc:
            problems.append(_in_column(column, exc.messages[0]))
            continue
        if channel is not None and channel not in channels:
            problems.append(_in_column(column, _("this channel is not in the row's \"channels\".")))
        elif channel is not None:
            variant_texts[channel.pk] = text
    try:
        when = _when(row.at, zone, now)
    except ValidationError as exc:
        problems.append(_in_column("at", exc.messages[0]))
        when = None
    if when == QUEUE:
        problems += [_in_column("at", _("channel \"%(name)s\" has no queue slots yet; add some in its settings or "
                                        "give a time.") % {"name": c.name}) for c in channels if not c.slot_count]
    for channel in channels:
        check = check_text(channel, variant_texts.get(channel.pk) or row.text)
        problems += [_("channel \"%(name)s\": %(problem)s") % {"name": channel.name, "problem": p.message}
                     for p in check.problems]
    if problems:
        return None, problems
    return _Plan(row.line, row.text, channels, variant_texts, when), []


def _when(value: str, zone: str, now: datetime) -> datetime | str | None:
    if not value:
        return None
    if value.lower() == QUEUE:
        return QUEUE
    written = _read_time(value)
    if written is None:
        raise ValidationError(_("cannot read \"%(value)s\"; use 2026-12-01 10:00 (time in %(zone)s), "
                                "2026-12-01T10:00+03:00, \"queue\", or leave it empty for a draft.")
                              % {"value": value, "zone": zone})
    instant = written.astimezone(UTC) if written.tzinfo else local_to_utc(written, zone)[0]
    if instant < now:
        raise ValidationError(_("%(value)s is in the past; give a later time, \"queue\", or leave it empty for a "
                                "draft.") % {"value": value})
    return instant


def _read_time(value: str) -> datetime | None:
    if ":" not in value:  # a date alone would silently mean midnight
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.strptime(value, "%d.%m.%Y %H:%M")
    except ValueError:
        return None


class _Refused(Exception):
    """Raised inside the import's transaction to roll all of it back."""


def _write_all(actor, workspace, plans: list[_Plan], keep_valid: bool,
               progress: Callable[[int, int], None] | None) -> tuple[list[int], list[RowError]]:
    """One transaction for the whole import; a row the verbs still refuse is rolled back alone (or everything)."""
    post_ids, errors = [], []
    try:
        with transaction.atomic():
            for done, plan in enumerate(plans):
                if progress and done % PROGRESS_EVERY == 0:
                    progress(done, len(plans))
                try:
                    with transaction.atomic():
                        post_ids.append(_write(actor, workspace, plan).pk)
                except ValidationError as exc:
                    errors += [RowError(plan.line, message) for message in exc.messages]
                    if not keep_valid:
                        raise _Refused from exc
    except _Refused:
        return [], errors
    return post_ids, errors


def _write(actor, workspace, plan: _Plan) -> Post:
    post_fields = {"actor": actor, "workspace": workspace, "text": plan.text,
                   "channel_ids": [c.pk for c in plan.channels], "variant_texts": plan.variant_texts}
    if isinstance(plan.when, datetime):
        return create_and_schedule(**post_fields, due_at=plan.when)[0]
    post = write_post(**post_fields)
    if plan.when == QUEUE:
        add_to_queue(actor=actor, post=post)
    return post


# Export

def export_posts(*, actor, workspace, file_format: str) -> str:
    """Every post of the workspace, oldest first, in a file `import_posts` reads back."""
    ensure_can(actor, "post.export", workspace)
    if file_format not in ("csv", "json"):
        raise ValidationError(_("Export as csv or json."))
    book = _ChannelBook(workspace)
    variants = Variant.objects.select_related("channel", "job").order_by("channel__name", "channel_id")
    posts = (Post.objects.filter(workspace=workspace).order_by("created_at", "pk")
             .prefetch_related(Prefetch("variants", queryset=variants)))
    records = [_record(post, book, workspace.timezone) for post in posts]
    if file_format == "json":
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    return _csv_text(records)


def _record(post: Post, book: _ChannelBook, zone: str) -> dict:
    variants = list(post.variants.all())
    jobs = [getattr(variant, "job", None) for variant in variants]
    refs = [book.reference(variant.channel) for variant in variants]
    record = {"text": post.text, "channels": refs, "at": _common_due(jobs, zone)}
    record |= {f"{VARIANT_PREFIX}{ref}": v.text for ref, v in zip(refs, variants, strict=True) if v.text}
    for ref, job in zip(refs, jobs, strict=True):
        record[f"status:{ref}"] = job.status if job else ""
        record[f"due:{ref}"] = to_local(job.due_at, zone).strftime("%Y-%m-%d %H:%M") if job else ""
    return record


def _common_due(jobs: list, zone: str) -> str:
    """The post's time when all its channels still wait for the same one; otherwise it comes back as a draft."""
    if not jobs or any(job is None or job.status != Status.SCHEDULED for job in jobs):
        return ""
    due = {job.due_at for job in jobs}
    return to_local(due.pop(), zone).isoformat(timespec="minutes") if len(due) == 1 else ""


def _csv_text(records: list[dict]) -> str:
    columns = list(dict.fromkeys([*BASE_COLUMNS, *(key for record in records for key in record)]))
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="")
    writer.writeheader()
    for record in records:
        writer.writerow(record | {"channels": "|".join(str(ref) for ref in record["channels"])})
    return buffer.getvalue()
