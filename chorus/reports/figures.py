"""What a client report says about a period: the workspace dashboard's figures (`chorus.analytics.services`,
the same numbers and formulas the dashboards show), dressed for a client — the period before beside each number,
charts, the top posts with their text and picture, each channel's best times, and the community's answers."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from chorus.analytics import formulas
from chorus.analytics.breakdowns import SURE_LABELS
from chorus.analytics.models import PublishedPost
from chorus.analytics.services import channel_best_time, workspace_figures
from chorus.channels.models import Channel
from chorus.content.models import MediaAsset
from chorus.inbox import activity
from chorus.inbox.response_times import workspace_response_row
from chorus.reports import rendering
from chorus.reports.periods import Period
from chorus.workspaces.timezones import WEEKDAY_NAMES

# The dashboard's figures a client report leads with, in this order.
SUMMARY = ("followers", "followers-growth", "posts", "views", "reach", "interactions", "er-followers:per-post",
           "er-reach:per-post")
CHANNEL_COLUMNS = ("followers", "followers-growth", "posts", "interactions", "er-followers:pooled")


@dataclass(frozen=True)
class Line:
    """One headline number of the period, the same number for the period before, and the change: the dashboard's
    per cent for a count, percentage points for a rate (a client reads "ER +0.4 pp", not "+11 %")."""

    key: str  # the dashboard's name of the figure
    label: str
    value: float | None
    previous: float | None
    change: float | None
    formula: str
    is_rate: bool = False


def _summary(figures: dict) -> list[Line]:
    lines = []
    for name in SUMMARY:
        current, previous = figures[name]["current"], figures[name]["previous"]
        is_rate = ":" in name
        change = figures[name]["change"]
        if is_rate:
            change = None if None in (current["value"], previous["value"]) else current["value"] - previous["value"]
        lines.append(Line(name, current["label"], current["value"], previous["value"], change, current["formula"],
                          is_rate))
    return lines


def _charts(series: list[dict], colour: str) -> list[str]:
    return [rendering.line_chart([(d["day"], d["followers"]) for d in series], name="followers", colour=colour,
                                 title=_("Followers")),
            rendering.line_chart([(d["day"], d["interactions"]) for d in series], name="interactions",
                                 colour=colour, title=_("Interactions of the day's posts"))]


def _top_posts(lines: list[dict]) -> list[dict]:
    # Each post's pictures in the order the post shows them, read with the posts rather than one query each.
    pictures = Prefetch("job__variant__media", to_attr="pictures", queryset=MediaAsset.objects.filter(
        mime__startswith="image/").order_by("variantmedia__position"))
    posts = PublishedPost.objects.select_related("channel", "job__variant__post").prefetch_related(pictures).in_bulk(
        [line["post"] for line in lines])
    rows = []
    for line in lines:
        post = posts[line["post"]]
        variant = post.job.variant if post.job_id else None
        picture = variant.pictures[0] if variant and variant.pictures else None
        rows.append({"post": post, "figure": line["figure"],
                     "text": (post.job.sent_text or variant.effective_text) if variant else "",
                     "thumbnail": rendering.thumbnail(picture) if picture else ""})
    return rows


def _best_times(channels: list[Channel]) -> list[dict]:
    """Each channel's strongest posting slots, in words: "Tue 19:00 (12 posts, sure: high)"."""
    found = []
    for channel in channels:
        card = channel_best_time(channel)
        if card["slots"]:
            slots = [_("%(day)s %(hour)02d:00 (%(n)d posts, sure: %(sure)s)")
                     % {"day": WEEKDAY_NAMES[s["weekday"]], "hour": s["hour"], "n": s["n"],
                        "sure": SURE_LABELS[s["sure"]]} for s in card["slots"]]
            found.append({"channel": channel, "slots": slots})
    return found


def _community(workspace, period: Period) -> dict | None:
    since, until = period.bounds(workspace.timezone)
    row = workspace_response_row(workspace, since, until)
    if row is None:
        return None
    return {"items": row.items, "answered": row.answered,
            "first_median": row.first_response_median, "first_p90": row.first_response_p90,
            "within_target": None if row.within_target is None else row.within_target * 100,
            "cleaned": activity.cleaned(workspace, since, until)}


def report_figures(workspace, period: Period) -> dict:
    last_day = period.end - timedelta(days=1)
    figures = workspace_figures(workspace, period.start, last_day)
    channels = {c.pk: c for c in Channel.objects.filter(workspace=workspace)}
    return {
        "summary": _summary(figures["figures"]),
        "previous": period.previous(),
        "channels": [{"channel": channels[line["channel"]], "network": channels[line["channel"]].connector_class.label,
                      **{name.split(":")[0].replace("-", "_"): line["values"][name] for name in CHANNEL_COLUMNS}}
                     for line in figures["channels"]],
        "charts": _charts(figures["series"], workspace.brand_color),
        "top_posts": _top_posts(figures["top_posts"]),
        "ranked_by": str(formulas.METRICS[figures["ranked_by"]].name),
        "best_times": _best_times(sorted(channels.values(), key=lambda c: c.name)),
        "community": _community(workspace, period),
    }
