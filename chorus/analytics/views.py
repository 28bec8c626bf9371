"""Analytics pages (ANLT-1..4): dashboards, what works, history import and how each number is computed.

Each view reads the request, calls the service verbs and turns their answers into `exports.Table`s, which the
template shows and `?table=…&export=csv|xlsx` downloads: one set of numbers for both.
"""

import calendar
import json
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from chorus.analytics import breakdowns, formulas, history_import, services
from chorus.analytics.exports import Cell, Table, cell, change_cell, export, shown
from chorus.analytics.models import DAY_SUMS
from chorus.channels.services import channels_of
from chorus.web.decorators import workspace_view
from chorus.workspaces.timezones import WEEKDAY_NAMES

LAST_DAYS = ("7", "30", "90")
DEFAULT_DAYS = 30
FOLLOWERS = ("followers", "followers-growth", "followers-growth-rate", "new-followers", "lost-followers")
ACTIVITY = ("posts", *DAY_SUMS)
AUDIENCE_TITLES = {"gender": gettext_lazy("Gender"), "age": gettext_lazy("Age"), "country": gettext_lazy("Country"),
                   "city": gettext_lazy("City")}
# Gender buckets are the same two words on every network (networks.base.AccountCounters); the rest is its text.
GENDER_LABELS = {"female": gettext_lazy("women"), "male": gettext_lazy("men")}
WEEKDAY_LABELS = dict(zip(breakdowns.WEEKDAYS, WEEKDAY_NAMES, strict=True))
DIMENSIONS = {"type": gettext_lazy("Post type"), "rubric": gettext_lazy("Rubric"),
              "length": gettext_lazy("Text length, characters"), "hour": gettext_lazy("Hour of the day"),
              "weekday": gettext_lazy("Weekday"), "paid": gettext_lazy("Paid or organic")}
AVERAGE_LABELS = {formulas.PER_POST: gettext_lazy("mean of per-post values (each post counts the same)"),
                  formulas.POOLED: gettext_lazy("pooled: Σ numerator / Σ denominator (big posts weigh more)")}


# The period ---------------------------------------------------------------------------------------------------

def today_in(workspace) -> date:
    return timezone.now().astimezone(ZoneInfo(workspace.timezone)).date()


def period_from(query, workspace) -> tuple[date, date]:
    """The first and last day asked for: the last 7/30/90 days up to today in the workspace's zone, a month
    (YYYY-MM) or custom dates (ISO)."""
    choice = query.get("period", str(DEFAULT_DAYS))
    if choice == "month":
        try:
            year, month = (int(part) for part in query.get("month", "").split("-"))
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        except ValueError as exc:
            raise ValidationError(_("Choose a month like 2026-10.")) from exc
    if choice == "custom":
        try:
            return date.fromisoformat(query.get("from", "")), date.fromisoformat(query.get("to", ""))
        except ValueError as exc:
            raise ValidationError(_("Give both dates like 2026-10-01.")) from exc
    days = int(choice) if choice in LAST_DAYS else DEFAULT_DAYS
    last = today_in(workspace)
    return last - timedelta(days=days - 1), last


def _board_of(request, load) -> tuple[dict, dict]:
    """`load(first, last)` for the period asked for; a period that cannot be read is said, the default shown."""
    try:
        first, last = period_from(request.GET, request.workspace)
        return load(first, last), request.GET
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        first, last = period_from({}, request.workspace)
        return load(first, last), {}


def _query_without_export(request) -> str:
    query = request.GET.copy()
    for name in ("table", "export"):
        query.pop(name, None)
    return query.urlencode()


# Dashboards --------------------------------------------------------------------------------------------------

def _figure_row(line: dict) -> list[Cell]:
    now, then = line["current"], line["previous"]
    return [cell(now["label"]), cell(now["value"], now, now["missing"]), cell(then["value"], then, then["missing"]),
            change_cell(line["change"], _("no comparison: a period is missing it or it was 0"), " %")]


def figure_tables(board: dict) -> list[Table]:
    columns = [_("Metric"), _("This period"), _("Previous period"), _("Change, %")]
    engagement = [name for name in board["figures"] if name not in FOLLOWERS + ACTIVITY]
    return [Table(key, str(title), columns, [_figure_row(board["figures"][name]) for name in names
                                             if name in board["figures"]])
            for key, title, names in (("audience", _("Followers"), FOLLOWERS),
                                      ("activity", _("Posts, reach and interactions"), ACTIVITY),
                                      ("engagement", _("Engagement"), engagement))]


def post_tables(board: dict, workspace, names: dict[int, str]) -> list[Table]:
    zone = ZoneInfo(workspace.timezone)
    metric = formulas.METRICS[board["ranked_by"]]
    columns = [_("Published"), _("Channel"), _("Type"), _("Post on the network"), str(metric.name)]

    def row(line: dict) -> list[Cell]:
        when = line["published_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M")
        if line["date_is_approximate"]:
            when = _("≈ %(when)s (the source gave no exact date)") % {"when": when}
        return [cell(when), cell(names.get(line["channel"], "")), cell(line["type"] or _("unknown")),
                cell(line["remote_id"]), cell(line["figure"]["value"], line["figure"])]

    return [Table("top", _("Top posts"), columns, [row(line) for line in board["top_posts"]]),
            Table("bottom", _("Bottom posts"), columns, [row(line) for line in board["bottom_posts"]])]


def channel_table(board: dict) -> Table:
    names = [("followers", _("Followers")), ("followers-growth", _("Net growth")),
             ("new-followers", _("New followers")), ("lost-followers", _("Lost followers")), ("posts", _("Posts")),
             ("interactions", _("Interactions")), ("reach", _("Reach")), ("views", _("Views")),
             ("er-followers:pooled", _("ER by followers, pooled")), ("er-reach:pooled", _("ER by reach, pooled")),
             ("er-views:pooled", _("ER by views, pooled"))]
    rows = [[Cell(line["name"], link=("analytics-channel", line["channel"])),
             *(cell(line["values"].get(name), missing=line["missing"].get(name, "")) for name, _title in names)]
            for line in board["channels"]]
    return Table("channels", _("Channels"), [_("Channel"), *(title for _name, title in names)], rows)


def _bucket_shown(dimension: str, bucket: str) -> str:
    return str(GENDER_LABELS.get(bucket, bucket)) if dimension == "gender" else bucket


def audience_tables(board: dict) -> list[Table]:
    """One table per dimension of the followers' demographics: bucket, followers, share, and the share's change
    against the period before."""
    no_earlier = board["audience"]["previous_missing"]
    return [Table(f"audience-{dimension}", str(AUDIENCE_TITLES.get(dimension, dimension)),
                  [str(AUDIENCE_TITLES.get(dimension, dimension)), _("Followers"), _("Share, %"),
                   _("Change, pp")],
                  [[cell(_bucket_shown(dimension, line["bucket"])), cell(line["followers"]),
                    cell(line["share"], suffix=" %"), _share_change(line["change"], no_earlier)]
                   for line in lines])
            for dimension, lines in board["audience"]["dimensions"].items()]


def _share_change(change: float | None, no_earlier: str):
    return change_cell(change, no_earlier or _("not named in the previous period"), f" {_('pp')}")


def audience_chart(board: dict) -> dict:
    """The demographics' bar charts, for json_script: per dimension its buckets and shares, as the tables."""
    return {"dimensions": [{"id": dimension, "title": str(AUDIENCE_TITLES.get(dimension, dimension)),
                            "buckets": [_bucket_shown(dimension, line["bucket"]) for line in lines],
                            "shares": [shown(line["share"]) for line in lines],
                            "followers": [line["followers"] for line in lines]}
                           for dimension, lines in board["audience"]["dimensions"].items()],
            "labels": {"share": _("share, %"), "followers": _("followers")}}


def chart_data(board: dict, title: str) -> dict:
    """What the charts draw, for json_script: the service's daily series over every day of the period, a day
    without a row as a gap (null), never 0."""
    first, last = board["period"]["first"], board["period"]["last"]
    by_day = {line["day"]: line for line in board["series"]}
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def values(name: str) -> list:
        return [by_day[day][name] if day in by_day else None for day in days]

    return {"title": title, "days": [day.isoformat() for day in days], "followers": values("followers"),
            "gained": values("followers_gained"), "lost": values("followers_lost"),
            "interactions": values("interactions"), "posts": values("posts"),
            "labels": {"followers": _("Followers"), "gained": _("New followers"), "lost": _("Lost followers"),
                       "interactions": _("Interactions"), "posts": _("Posts"),
                       "empty": _("No days with data in this period.")}}


def _dashboard_page(request, board: dict, chosen, tables: list[Table], title: str, channel=None):
    period = board["period"]
    audience = audience_tables(board)
    if request.GET.get("export"):
        name = channel.pk if channel else request.workspace.slug
        return export(tables + audience, request.GET.get("table", ""), request.GET["export"],
                      f"{name}-{period['first']}-{period['last']}")
    return render(request, "analytics/dashboard.html", {
        "board": board, "tables": tables, "chart": chart_data(board, title), "title": title, "channel": channel,
        "audience": {**board["audience"], "tables": audience, "chart": audience_chart(board)},
        # The month and dates start from what is shown, so switching the picker needs no typing.
        "chosen": {"period": chosen.get("period", str(DEFAULT_DAYS)),
                   "month": chosen.get("month") or period["last"].strftime("%Y-%m"),
                   "from": chosen.get("from") or period["first"].isoformat(),
                   "to": chosen.get("to") or period["last"].isoformat()},
        "ranked_by": formulas.METRICS[board["ranked_by"]].name, "query": _query_without_export(request)})


@workspace_view("analytics.view")
def dashboard(request):
    board, chosen = _board_of(request, lambda first, last: services.workspace_dashboard(
        request.user, request.workspace, first, last))
    names = {line["channel"]: line["name"] for line in board["channels"]}
    tables = [*figure_tables(board), channel_table(board),
              *post_tables(board, request.workspace, names)]
    return _dashboard_page(request, board, chosen, tables, request.workspace.name)


@workspace_view("analytics.view")
def channel_dashboard(request, channel_id):
    channel = services.channel_for(request.user, request.workspace, channel_id)
    board, chosen = _board_of(request, lambda first, last: services.channel_dashboard(
        request.user, request.workspace, channel.pk, first, last))
    tables = [*figure_tables(board), *post_tables(board, request.workspace, {channel.pk: channel.name})]
    return _dashboard_page(request, board, chosen, tables, channel.name, channel)


# What works --------------------------------------------------------------------------------------------------

def _key_shown(by: str, key) -> str:
    if by == "hour":
        return f"{key:02d}:00"
    if by == "weekday":
        return str(WEEKDAY_LABELS[key])
    return str(key)


def breakdown_table(table: breakdowns.Breakdown) -> Table:
    overall = table.overall.as_dict()
    rows = [[cell(_key_shown(table.by, c.key)), cell(c.posts), cell(c.n), cell(c.value), cell(c.shrunk)]
            for c in table.cells]
    return Table(table.by, str(DIMENSIONS[table.by]),
                 [str(DIMENSIONS[table.by]), _("Posts"), _("n (posts with the metric)"), _("Raw value"),
                  _("Shrunk value")],
                 rows + [[cell(_("All posts")), cell(sum(c.posts for c in table.cells)), cell(overall["n"]),
                          cell(overall["value"], overall), cell(overall["value"], overall)]])


def heatmap_data(table: breakdowns.Breakdown, title: str) -> dict:
    """Hour × weekday for the chart: [hour, weekday, shrunk, n, raw] per cell that has posts."""
    cells = []
    for c in table.cells:
        day, hour = c.key.split()
        cells.append([int(hour), breakdowns.WEEKDAYS.index(day), shown(c.shrunk), c.n, shown(c.value)])
    return {"title": title, "metric": table.overall.label, "hours": [f"{h:02d}" for h in range(24)],
            "days": [str(WEEKDAY_LABELS[d]) for d in breakdowns.WEEKDAYS], "cells": cells,
            "labels": {"n": _("posts"), "raw": _("raw"), "shrunk": _("shrunk"), "missing": _("not reported")}}


def best_time_card(card: dict) -> dict:
    slots = [{**slot, "day": WEEKDAY_LABELS[slot["day"]], "value": shown(slot["value"]),
              "lift": shown(slot["lift"] * 100) if slot["lift"] is not None else None,
              "sure": breakdowns.SURE_LABELS[slot["sure"]]} for slot in card["slots"]]
    return {**card, "slots": slots, "metric_name": formulas.METRICS[card["metric"]].name}


@workspace_view("analytics.view")
def what_works(request, channel_id):
    channel = services.channel_for(request.user, request.workspace, channel_id)
    card = services.best_time(request.user, request.workspace, channel.pk)
    metric, average = request.GET.get("metric", card["metric"]), request.GET.get("average", formulas.PER_POST)

    def breakdowns_by(metric, average):
        return services.channel_breakdowns(request.user, request.workspace, channel.pk, (*DIMENSIONS, "hour-weekday"),
                                           metric, average)

    try:
        found = breakdowns_by(metric, average)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        metric, average = card["metric"], formulas.PER_POST
        found = breakdowns_by(metric, average)
    heat = found.pop("hour-weekday")
    tables = [breakdown_table(table) for table in found.values()]
    if request.GET.get("export"):
        return export(tables, request.GET.get("table", ""), request.GET["export"], f"{channel.pk}-what-works")
    return render(request, "analytics/what_works.html", {
        "channel": channel, "tables": tables, "heatmap": heatmap_data(heat, channel.name),
        "card": best_time_card(card), "k": shown(heat.k), "metric": metric, "average": average,
        "metrics": [(slug, m.name) for slug, m in formulas.METRICS.items()], "averages": AVERAGE_LABELS.items(),
        "query": _query_without_export(request), "k_prior": shown(breakdowns.K_PRIOR),
        "k_max": shown(breakdowns.K_MAX)})


@workspace_view("channel.queue")
@require_POST
def queue_best_times(request, channel_id):
    try:
        slots = services.queue_best_times(actor=request.user, workspace=request.workspace, channel_id=channel_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, ngettext(
            "The best times are in the channel's queue: %(count)d slot a week in all.",
            "The best times are in the channel's queue: %(count)d slots a week in all.", len(slots))
                         % {"count": len(slots)})
    return redirect("analytics-what-works", request.workspace.slug, channel_id)


# How is this computed ----------------------------------------------------------------------------------------

@workspace_view("analytics.view")
def how_computed(request):
    return render(request, "analytics/formulas.html", {"metrics": services.explain()})


# History import ----------------------------------------------------------------------------------------------

def _import_page(request, report=None, status=200):
    return render(request, "analytics/import.html", {
        "channels": channels_of(request.user, request.workspace), "formats": history_import.FORMATS,
        "mappings": services.mappings_of(request.user, request.workspace), "fields": history_import.FIELDS.items(),
        "report": report, "chosen": request.POST, "max_mb": history_import.MAX_BYTES // 2**20}, status=status)


@workspace_view("analytics.import")
def history(request):
    if request.method != "POST":
        return _import_page(request)
    upload = request.FILES.get("file")
    channel_id = request.POST.get("channel", "")
    try:
        if upload is None:
            raise ValidationError(_("Choose a CSV or XLSX file to import."))
        if not channel_id.isdigit():
            raise ValidationError(_("Choose the channel the posts were published in."))
        # One byte over the limit is enough for the import to say the file is too big.
        report = services.import_history(
            actor=request.user, workspace=request.workspace, channel_id=int(channel_id),
            source=upload.read(history_import.MAX_BYTES + 1), file_format=request.POST.get("format", ""),
            mapping=request.POST.get("columns", "").strip() or request.POST.get("preset", "") or None)
    except ValidationError as exc:
        messages.error(request, _("Nothing imported: %(reason)s") % {"reason": " ".join(exc.messages)})
        return _import_page(request, status=400)
    return _import_page(request, report)


@workspace_view("analytics.import")
@require_POST
def mapping_save(request):
    try:
        try:
            columns = json.loads(request.POST.get("columns", ""))
        except json.JSONDecodeError as exc:
            raise ValidationError(_("The mapping is not valid JSON: %(reason)s.") % {"reason": exc.msg}) from exc
        mapping = services.save_mapping(actor=request.user, workspace=request.workspace,
                                        name=request.POST.get("name", ""), columns=columns)
    except ValidationError as exc:
        messages.error(request, _("Mapping not saved: %(reason)s") % {"reason": " ".join(exc.messages)})
    else:
        messages.success(request, _("Mapping %(name)s saved.") % {"name": mapping.name})
    return redirect("analytics-import", request.workspace.slug)


@workspace_view("analytics.import")
@require_POST
def mapping_delete(request):
    services.delete_mapping(actor=request.user, workspace=request.workspace, name=request.POST.get("name", ""))
    messages.success(request, _("Mapping deleted."))
    return redirect("analytics-import", request.workspace.slug)
