"""Analytics verbs (ANLT-1..4): dashboards, breakdowns, best times, history import and its saved mappings.

Dashboards read the rollups only: `ChannelDay` for totals and series, `PublishedPost` rows (each post's rollup)
for rates and top posts. Every number comes as a `formulas.Figure`: value, formula, denominator, raw inputs.
"""

from collections import defaultdict, namedtuple
from dataclasses import replace
from datetime import date, time, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.analytics import breakdowns, formulas, history_import
from chorus.analytics.models import DAY_SUMS, ImportMapping
from chorus.analytics.store import store
from chorus.channels.models import Channel
from chorus.channels.services import set_queue_slots
from chorus.networks.base import AUDIENCE_DIMENSIONS, Capabilities
from chorus.networks.registry import connector_class
from chorus.workspaces.services import ensure_can, workspace_object

RATES = ("er-followers", "er-reach", "er-views", "love-rate", "talk-rate", "amplification-rate", "virality-rate")
POST_FIELDS = ("pk", "channel_id", "remote_id", "job_id", "published_at", "date_is_approximate", "local_day",
               "local_hour", "local_weekday", "kind", "rubric", "text_length", "paid", "views", "likes", "reposts",
               "comments", "reach", "saves", "clicks", "total_interactions", "interactions", "followers_at_post")
TOP = 5
SUM_LABELS = {"views": gettext_lazy("Views"), "likes": gettext_lazy("Likes"), "reposts": gettext_lazy("Reposts"),
              "comments": gettext_lazy("Comments"), "reach": gettext_lazy("Reach"), "saves": gettext_lazy("Saves"),
              "clicks": gettext_lazy("Clicks"), "interactions": gettext_lazy("Interactions")}


def channel_for(actor, workspace, channel_id: int, action: str = "analytics.view") -> Channel:
    return workspace_object(actor, workspace, Channel.objects.select_related("workspace"), channel_id, action,
                            _("No such channel in this workspace."))


def explain() -> list[dict]:
    """Every metric's formula and denominator: the "how is this computed" page."""
    return [{"metric": m.slug, "name": str(m.name), "formula": str(m.formula), "denominator": str(m.denominator_text),
             "inputs": [m.numerator, m.denominator] if m.denominator else [m.numerator]}
            for m in formulas.METRICS.values()]


def follow_zone(workspace_id: int) -> int:
    """Every channel's posts at their local day, hour and weekday in the workspace's zone as it is now, and the
    rollups again (after the zone changed); returns how many posts were placed. Each channel reads the zone
    afresh, so of two quick moves the later one wins."""
    placed = 0
    for channel_id in Channel.objects.filter(workspace_id=workspace_id).values_list("pk", flat=True):
        placed += store.rebuild(Channel.objects.select_related("workspace").get(pk=channel_id))
    return placed


# Dashboards --------------------------------------------------------------------------------------------------

def previous_period(first: date, last: date) -> tuple[date, date]:
    length = (last - first).days + 1
    return first - timedelta(days=length), first - timedelta(days=1)


def channel_dashboard(actor, workspace, channel_id: int, first: date, last: date) -> dict:
    channel = channel_for(actor, workspace, channel_id)
    return _dashboard({channel.pk: channel.network}, first, last)


def workspace_dashboard(actor, workspace, first: date, last: date) -> dict:
    """The workspace's totals over its channels, and each channel's own line."""
    ensure_can(actor, "analytics.view", workspace)
    return workspace_figures(workspace, first, last)


def workspace_figures(workspace, first: date, last: date) -> dict:
    """The workspace dashboard for a caller that checked its own right to it (a client report)."""
    channels = list(Channel.objects.filter(workspace=workspace).values_list("pk", "name", "network"))
    answer = _dashboard({pk: network for pk, _name, network in channels}, first, last, per_channel=True)
    names = {pk: name for pk, name, _network in channels}
    for line in answer["channels"]:
        line["name"] = names[line["channel"]]
    return answer


def _dashboard(networks: dict[int, str], first: date, last: date, per_channel: bool = False) -> dict:
    """The figures of the channels in `networks` (channel → its network, which says what it gives)."""
    if last < first:
        raise ValidationError(_("The period ends before it starts."))
    channel_ids = list(networks)
    gives = {pk: connector_class(network).capabilities for pk, network in networks.items()}
    before_first, before_last = previous_period(first, last)
    days = [_Day(*row) for row in store.days(channel_ids, before_first - timedelta(days=30), last)
            .values_list(*_Day._fields)]
    posts = [_Post(row) for row in store.posts(channel_ids, before_first, last).values_list(*POST_FIELDS)]
    now_posts = [p for p in posts if p.local_day >= first]
    then_posts = [p for p in posts if p.local_day < first]
    current = _period_figures(gives, days, now_posts, first, last)
    previous = _period_figures(gives, days, then_posts, before_first, before_last)
    answer = {
        "period": {"first": first, "last": last}, "previous_period": {"first": before_first, "last": before_last},
        "figures": {name: {"current": figure.as_dict(), "previous": previous[name].as_dict(),
                           "change": _change(figure.value, previous[name].value)}
                    for name, figure in current.items()},
        "series": _series(days, first, last),
        "audience": _audience(gives, (first, last), (before_first, before_last)),
        **_top_and_bottom(now_posts),
    }
    if per_channel:
        by_channel_days, by_channel_posts = defaultdict(list), defaultdict(list)
        for day in days:
            by_channel_days[day.channel_id].append(day)
        for post in now_posts:
            by_channel_posts[post.channel_id].append(post)
        # Each channel's line: its values only; the formulas are the workspace's figures' of the same name.
        answer["channels"] = [_channel_line(pk, _period_figures(
            {pk: gives[pk]}, by_channel_days[pk], by_channel_posts[pk], first, last, CHANNEL_LINE))
            for pk in channel_ids]
    return answer


CHANNEL_LINE = ("followers", "followers-growth", "new-followers", "lost-followers", "posts", "interactions",
                "reach", "views", "er-followers:pooled", "er-reach:pooled", "er-views:pooled")


def _channel_line(pk: int, figures: dict[str, formulas.Figure]) -> dict:
    return {"channel": pk, "values": {name: figure.value for name, figure in figures.items()},
            "missing": {name: figure.missing for name, figure in figures.items() if figure.missing}}


def _period_figures(gives: dict[int, Capabilities], days, posts, first: date, last: date,
                    only: tuple[str, ...] | None = None) -> dict[str, formulas.Figure]:
    """`gives`: each channel's network's capabilities, which say what account metrics it gives."""
    inside = [d for d in days if first <= d.day <= last]
    figures = {**_followers(list(gives), days, first, last), **_new_and_lost(gives, inside)}
    figures["posts"] = formulas.Figure("posts", str(_("Posts")), len(posts), str(_("posts published in the period")),
                                       "", len(posts), {})
    for name in DAY_SUMS:
        if only is None or name in only:
            figures[name] = formulas.total(name, (getattr(d, name) for d in inside),
                                           str(_("the sum over the posts published in the period, as the network "
                                                 "reports them")), label=str(SUM_LABELS[name]))
    for slug in RATES:
        for method in formulas.AVERAGES:
            if only is None or f"{slug}:{method}" in only:
                figures[f"{slug}:{method}"] = formulas.average(formulas.METRICS[slug], posts, method)
    if only is None:
        figures["er-day"] = formulas.er_by_days(inside)
    return {name: figure for name, figure in figures.items() if only is None or name in only}


def _followers(channel_ids, days, first: date, last: date) -> dict[str, formulas.Figure]:
    """Followers at the end of the period and at its start (the last count before it, else its first), summed
    over the channels that have both; growth is net (new and lost followers are `_new_and_lost`)."""
    start, end = {}, {}
    for day in sorted((d for d in days if d.followers is not None and d.day <= last), key=lambda d: d.day):
        if day.day < first or day.channel_id not in start:
            start[day.channel_id] = day.followers
        end[day.channel_id] = day.followers
    both = [pk for pk in channel_ids if pk in start and pk in end]
    at_end = sum(end[pk] for pk in both) if both else None
    at_start = sum(start[pk] for pk in both) if both else None
    net = at_end - at_start if both else None
    return {
        "followers": formulas.Figure("followers", str(_("Followers")), at_end,
                                     str(_("followers at the period's last account snapshot")), "", len(both), {}),
        "followers-growth": formulas.Figure(
            "followers-growth", str(_("Net follower growth")), net, str(_("followers at end − followers at start")),
            "", len(both), {"start": at_start, "end": at_end}),
        "followers-growth-rate": formulas.Figure(
            "followers-growth-rate", str(_("Net growth rate")), formulas.ratio(net, at_start),
            str(_("(followers at end − at start) / followers at start × 100")), str(_("followers at start")),
            len(both), {"start": at_start, "end": at_end}),
    }


NEW_AND_LOST = (("new-followers", "followers_gained", gettext_lazy("New followers"),
                 gettext_lazy("Σ people who followed, per day of the period, as the network counts its days")),
                ("lost-followers", "followers_lost", gettext_lazy("Lost followers"),
                 gettext_lazy("Σ people who unfollowed, per day of the period, as the network counts its days")))


def _new_and_lost(gives: dict[int, Capabilities], days) -> dict[str, formulas.Figure]:
    """New and lost followers summed over the period's days of the channels whose network gives them; n is the
    days counted. Missing with its reason when no network gives them or none counted a day of the period."""
    figures = {}
    for name, column, label, formula in NEW_AND_LOST:
        giving = {pk for pk, capabilities in gives.items() if column in capabilities.account_metrics}
        figure = formulas.total(name, (getattr(d, column) for d in days if d.channel_id in giving), str(formula),
                                label=str(label))
        if not giving:
            figure = replace(figure, missing=str(_("not given by the network")))
        elif figure.value is None:
            figure = replace(figure, missing=str(_("the network counted no day of this period")))
        if giving and len(giving) < len(gives):
            figure = replace(figure, inputs={"channels whose network gives it": len(giving),
                                             "channels": len(gives)})
        figures[name] = figure
    return figures


def _audience(gives: dict[int, Capabilities], period: tuple[date, date], before: tuple[date, date]) -> dict:
    """Who the followers are: each channel's latest audience in the period (of those whose network gives one),
    summed by dimension and bucket; a bucket's share is of the followers the network placed in that dimension,
    and its change is in percentage points against the latest audience of the period before, of the same
    channels (None where there is none to compare with, or that one did not name the bucket: a network names only
    its largest cities)."""
    giving = [pk for pk, capabilities in gives.items() if capabilities.audience]
    answer = {"channels": 0, "of": len(gives), "as_of": None, "previous_as_of": None, "previous_missing": "",
              "dimensions": {}, "missing": ""}
    if not giving:
        return {**answer, "missing": str(_("not given by the network"))}
    latest = store.latest_audiences(giving, *period)
    if not latest:
        return {**answer, "missing": str(_("the network gave no audience in this period"))}
    earlier = store.latest_audiences(giving, *before)
    unlike = _unlike_audiences(latest, earlier)
    now, then = _summed_audience(latest), {} if unlike else _summed_audience(earlier)
    dimensions = {dimension: _audience_lines(dimension, now[dimension], then.get(dimension, {}))
                  for dimension in AUDIENCE_DIMENSIONS if dimension in now}
    return {**answer, "channels": len(latest), "as_of": max(row.day for row in latest),
            "previous_as_of": None if unlike else max(row.day for row in earlier), "previous_missing": unlike,
            "dimensions": dimensions}


def _audience_lines(dimension: str, buckets: dict[str, int], before: dict[str, int]) -> list[dict]:
    total, before_total = sum(buckets.values()), sum(before.values())
    # Gender and age read in their own order; countries and cities from the largest.
    order = sorted(buckets) if dimension in ("gender", "age") else sorted(buckets, key=lambda b: (-buckets[b], b))
    lines = []
    for bucket in order:
        share = formulas.ratio(buckets[bucket], total)
        share_before = formulas.ratio(before[bucket], before_total) if bucket in before else None
        lines.append({"bucket": bucket, "followers": buckets[bucket], "share": share,
                      "change": share - share_before if share is not None and share_before is not None else None})
    return lines


def _unlike_audiences(latest, earlier) -> str:
    """Why the two periods' audiences cannot be compared, or "": shares summed over other channels would move
    with the channels, not with the people."""
    if not earlier:
        return str(_("no audience in the previous period"))
    if {row.channel_id for row in latest} != {row.channel_id for row in earlier}:
        return str(_("the previous period's audience is of other channels"))
    return ""


def _summed_audience(rows) -> dict[str, dict[str, int]]:
    summed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        for dimension, buckets in row.breakdown.items():
            for bucket, followers in buckets.items():
                summed[dimension][bucket] += followers
    return summed


def _change(now: float | None, then: float | None) -> float | None:
    return formulas.ratio(now - then, abs(then)) if now is not None and then is not None else None


def _series(days, first: date, last: date) -> list[dict]:
    """Per day, summed over channels: followers, new and lost ones, posts, the sums and ER of the day."""
    merged: dict[date, dict] = {}
    for day in days:
        if not first <= day.day <= last:
            continue
        line = merged.setdefault(day.day, {"day": day.day, "followers": None, "followers_gained": None,
                                           "followers_lost": None, "posts": 0, **dict.fromkeys(DAY_SUMS)})
        line["posts"] += day.posts
        for name in ("followers", "followers_gained", "followers_lost", *DAY_SUMS):
            value = getattr(day, name)
            if value is not None:
                line[name] = (line[name] or 0) + value
    for line in merged.values():
        line["er_day"] = formulas.ratio(line["interactions"], line["followers"])
    return [merged[d] for d in sorted(merged)]


def _top_and_bottom(posts: list) -> dict:
    metric = breakdowns.usual_metric(posts)
    ranked = sorted((p for p in posts if metric.of(p) is not None), key=metric.of, reverse=True)
    return {"ranked_by": metric.slug,
            "top_posts": [_post_line(p, metric) for p in ranked[:TOP]],
            "bottom_posts": [_post_line(p, metric) for p in ranked[::-1][:TOP]]}


def _post_line(post, metric) -> dict:
    return {"post": post.pk, "channel": post.channel_id, "remote_id": post.remote_id, "job": post.job_id,
            "published_at": post.published_at, "date_is_approximate": post.date_is_approximate, "type": post.kind,
            "figure": formulas.per_post(metric, post).as_dict()}


_Day = namedtuple("_Day", ("channel_id", "day", "followers", "followers_gained", "followers_lost", "posts",
                           *DAY_SUMS))


class _Post:
    """A post's rollup as read for a dashboard (a plain row, no model instance)."""

    __slots__ = POST_FIELDS

    def __init__(self, row):
        for name, value in zip(POST_FIELDS, row, strict=True):
            setattr(self, name, value)


# What works --------------------------------------------------------------------------------------------------

def _history(channel: Channel, first: date | None, last: date | None) -> list:
    return [_Post(row) for row in store.posts([channel.pk], first, last).values_list(*POST_FIELDS)]


def channel_breakdown(actor, workspace, channel_id: int, by: str, metric: str, average: str,
                      first: date | None = None, last: date | None = None) -> breakdowns.Breakdown:
    channel = channel_for(actor, workspace, channel_id)
    _check_breakdown(by, metric, average)
    return breakdowns.breakdown(_history(channel, first, last), by, formulas.METRICS[metric], average)


def channel_breakdowns(actor, workspace, channel_id: int, bys: tuple[str, ...], metric: str, average: str,
                       first: date | None = None, last: date | None = None) -> dict[str, breakdowns.Breakdown]:
    """`channel_breakdown` for several dimensions from one read of the channel's history (the what-works page
    shows them side by side)."""
    channel = channel_for(actor, workspace, channel_id)
    for by in bys:
        _check_breakdown(by, metric, average)
    posts = _history(channel, first, last)
    return {by: breakdowns.breakdown(posts, by, formulas.METRICS[metric], average) for by in bys}


def _check_breakdown(by: str, metric: str, average: str) -> None:
    if by not in breakdowns.DIMENSIONS:
        raise ValidationError(_("Unknown breakdown %(by)s: use one of %(known)s.")
                              % {"by": by, "known": ", ".join(breakdowns.DIMENSIONS)})
    if metric not in formulas.METRICS:
        raise ValidationError(_("Unknown metric %(metric)s: use one of %(known)s.")
                              % {"metric": metric, "known": ", ".join(formulas.METRICS)})
    if average not in formulas.AVERAGES:
        raise ValidationError(_("Unknown average %(average)s: use per-post or pooled.") % {"average": average})


def best_time(actor, workspace, channel_id: int, days: int = 180) -> dict:
    """The channel's best slots over the `days` up to its latest post (recent habits of its audience)."""
    return channel_best_time(channel_for(actor, workspace, channel_id), days)


def queue_best_times(*, actor, workspace, channel_id: int) -> list:
    """Add the channel's best slots to its posting queue, so "add to queue" in the composer fills them first."""
    channel = channel_for(actor, workspace, channel_id, "channel.queue")
    card = channel_best_time(channel)
    if not card["slots"]:
        raise ValidationError(card["note"])
    kept = [(slot.weekday, slot.time) for slot in channel.queue_slots.all()]
    best = [(slot["weekday"], time(slot["hour"])) for slot in card["slots"]]
    return set_queue_slots(actor=actor, channel=channel, slots=kept + best)


def channel_best_time(channel: Channel, days: int = 180) -> dict:
    """best_time for a caller that checked its own right to the channel (a client report)."""
    latest = store.posts([channel.pk]).order_by("-local_day").values_list("local_day", flat=True).first()
    posts = _history(channel, latest - timedelta(days=days - 1), latest) if latest else []
    return {"channel": channel.pk, "zone": channel.workspace.timezone, "days": days, **breakdowns.best_times(posts)}


# History import ----------------------------------------------------------------------------------------------

def import_history(*, actor, workspace, channel_id: int, source: bytes, file_format: str,
                   mapping: str | None) -> history_import.HistoryReport:
    channel = channel_for(actor, workspace, channel_id, "analytics.import")
    columns = history_import.resolve_mapping(workspace, file_format, mapping)
    return history_import.import_history(channel, source, columns)


def save_mapping(*, actor, workspace, name: str, columns) -> ImportMapping:
    """Save (or replace) a named column mapping for later imports."""
    ensure_can(actor, "analytics.import", workspace)
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the mapping a name."))
    history_import.check_mapping(columns)
    try:
        with transaction.atomic():
            mapping, _created = ImportMapping.objects.update_or_create(
                workspace=workspace, name=name, defaults={"columns": columns, "created_by": actor})
    except IntegrityError as exc:  # two saves of one new name at once: the other one won
        raise ValidationError(_("A mapping named %(name)s was just saved; try again.") % {"name": name}) from exc
    return mapping


def mappings_of(actor, workspace) -> list[ImportMapping]:
    ensure_can(actor, "analytics.view", workspace)
    return list(ImportMapping.objects.filter(workspace=workspace))


def delete_mapping(*, actor, workspace, name: str) -> None:
    ensure_can(actor, "analytics.import", workspace)
    if not ImportMapping.objects.filter(workspace=workspace, name=name).delete()[0]:
        raise Http404(_("No saved mapping named %(name)s.") % {"name": name})
