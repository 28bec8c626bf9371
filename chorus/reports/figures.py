"""What a client report says about a period: the workspace dashboard's figures (`chorus.analytics.services`,
the same numbers and formulas the dashboards show), dressed for a client — the period before beside each number,
charts, the top posts with their text and picture, each channel's best times, and the community's answers."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext as _

from chorus.analytics import formulas
from chorus.analytics.breakdowns import WEEKDAYS
from chorus.analytics.models import PublishedPost
from chorus.analytics.services import channel_best_time, workspace_figures
from chorus.channels.models import Channel
from chorus.inbox.response_times import workspace_response_row
from chorus.reports import rendering
from chorus.reports.periods import Period

# The dashboard's figures a client report leads with, in this order.
SUMMARY = ("followers", "followers-growth", "posts", "views", "reach", "interactions", "er-followers:per-post",
           "er-reach:per-post")
CHANNEL_COLUMNS = ("followers", "followers-growth", "posts", "interactions", "er-followers:pooled")


@dataclass(frozen=True)
class Line:
    """One headline number of the period and the same number for the period before."""

    key: str  # the dashboard's name of the figure
    label: str
    value: float | None
    previous: float | None
    formula: str
    is_rate: bool = False

    @property
    def change(self) -> float | None:
        """Percentage points for a rate, per cent for a count; missing when either side is."""
        if self.value is None or self.previous is None:
            return None
        if self.is_rate:
            return self.value - self.previous
        return formulas.ratio(self.value - self.previous, abs(self.previous))


def _summary(figures: dict) -> list[Line]:
    lines = []
    for name in SUMMARY:
        current, previous = figures[name]["current"], figures[name]["previous"]
        lines.append(Line(name, current["label"], current["value"], previous["value"], current["formula"],
                          is_rate=":" in name))
    return lines


def _charts(series: list[dict], colour: str) -> list[str]:
    return [rendering.line_chart([(d["day"], d["followers"]) for d in series], colour=colour, title=_("Followers")),
            rendering.line_chart([(d["day"], d["interactions"]) for d in series], colour=colour,
                                 title=_("Interactions of the day's posts"))]


def _top_posts(lines: list[dict]) -> list[dict]:
    posts = PublishedPost.objects.select_related("channel", "job__variant__post").in_bulk(
        [line["post"] for line in lines])
    rows = []
    for line in lines:
        post = posts[line["post"]]
        variant = post.job.variant if post.job_id else None
        picture = variant.media.filter(mime__startswith="image/").first() if variant else None
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
                     % {"day": _(WEEKDAYS[s["weekday"]]), "hour": s["hour"], "n": s["n"], "sure": _(s["sure"])}
                     for s in card["slots"]]
            found.append({"channel": channel, "slots": slots})
    return found


def duration_text(seconds: float | None) -> str:
    """"42 min", "3 h 05 min", "2 d 4 h": response times as a client reads them; a dash when missing."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}


def _community(workspace, period: Period) -> dict | None:
    since, until = period.bounds(workspace.timezone)
    row = workspace_response_row(workspace, since, until)
    if row is None:
        return None
    return {"items": row.items, "answered": row.answered,
            "first_median": duration_text(row.first_response_median),
            "first_p90": duration_text(row.first_response_p90),
            "within_target": None if row.within_target is None else row.within_target * 100}


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
