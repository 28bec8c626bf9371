"""What works (ANLT-3): a metric broken down by type, rubric, text length, hour, weekday or hour × weekday, and
the best times to post that follow from it.

Hours and weekdays are the post's in the workspace's zone, fixed at ingest from the exact instant (zoneinfo), so a
post at 10:30 local is in the 10 o'clock cell on either side of a clock change.

Thin cells are shrunk toward the channel's average (empirical Bayes, normal–normal):

    shrunk = (n · cell + k · channel) / (n + k),   k = σ² / τ²

σ² is the variance of the per-post values around their cell's mean (pooled over cells: the noise of one post), τ²
the variance of the true cell means around the channel's value, estimated by the method of moments as the variance
of the cell means less the average σ²/n. k is then "how many posts a cell needs before its own average counts as
much as the channel's". When τ² cannot be estimated (fewer than 3 cells, or τ² ≤ 0: the cells differ no more than
noise) k falls back to K_PRIOR; k is kept within [1, K_MAX]. The raw value, the shrunk one, n and k are all shown.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import fmean, pvariance

from django.utils.translation import gettext as _

from chorus.analytics import formulas

K_PRIOR, K_MAX = 5.0, 50.0
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LENGTH_BUCKETS = ((0, 0, "0"), (1, 100, "1-100"), (101, 160, "101-160"), (161, 500, "161-500"),
                  (501, 1000, "501-1000"), (1001, None, "1001+"))
UNKNOWN = "unknown"


def _length_bucket(post) -> str:
    if post.text_length is None:
        return UNKNOWN
    for low, high, name in LENGTH_BUCKETS:
        if post.text_length >= low and (high is None or post.text_length <= high):
            return name
    return UNKNOWN


def _paid(post) -> str:
    return UNKNOWN if post.paid is None else ("paid" if post.paid else "organic")


# dimension → (the cell of a post, the order cells are listed in)
DIMENSIONS: dict[str, Callable] = {
    "type": lambda p: p.kind or UNKNOWN,
    "rubric": lambda p: p.rubric or "none",
    "length": _length_bucket,
    "paid": _paid,
    "hour": lambda p: p.local_hour,
    "weekday": lambda p: WEEKDAYS[p.local_weekday],
    "hour-weekday": lambda p: f"{WEEKDAYS[p.local_weekday]} {p.local_hour:02d}",
}


def _order(by: str, key) -> tuple:
    if by == "weekday":
        return (WEEKDAYS.index(key),)
    if by == "hour-weekday":
        day, hour = key.split()
        return (WEEKDAYS.index(day), int(hour))
    if by == "length":
        names = [name for _l, _h, name in LENGTH_BUCKETS] + [UNKNOWN]
        return (names.index(key),)
    return (str(type(key)), key)


@dataclass(frozen=True)
class Cell:
    key: object
    n: int  # posts with the metric's inputs
    posts: int  # posts in the cell
    value: float | None
    shrunk: float | None

    def as_dict(self) -> dict:
        return {"key": self.key, "n": self.n, "posts": self.posts, "value": self.value, "shrunk": self.shrunk}


@dataclass(frozen=True)
class Breakdown:
    by: str
    metric: formulas.Metric
    average: str
    overall: formulas.Figure
    k: float
    cells: list[Cell]

    def as_dict(self) -> dict:
        return {"by": self.by, "metric": self.metric.slug, "average": self.average, "overall": self.overall.as_dict(),
                "shrinkage_k": self.k, "rows": [c.as_dict() for c in self.cells]}


def breakdown(posts: Sequence, by: str, metric: formulas.Metric, average: str) -> Breakdown:
    if by not in DIMENSIONS:
        raise ValueError(f"unknown breakdown {by!r}")
    cell_of = DIMENSIONS[by]
    groups: dict = defaultdict(list)
    for post in posts:
        groups[cell_of(post)].append(post)
    overall = formulas.average(metric, posts, average)
    figures = {key: formulas.average(metric, members, average) for key, members in groups.items()}
    k = shrinkage_k(metric, groups)
    cells = [Cell(key, figure.n, len(groups[key]), figure.value, shrink(figure.value, figure.n, overall.value, k))
             for key, figure in figures.items()]
    cells.sort(key=lambda c: _order(by, c.key))
    return Breakdown(by, metric, average, overall, k, cells)


def shrink(value: float | None, n: int, toward: float | None, k: float) -> float | None:
    if value is None or toward is None:
        return None
    return (n * value + k * toward) / (n + k)


def shrinkage_k(metric: formulas.Metric, groups: dict) -> float:
    """k = σ²/τ² by the method of moments over the cells' per-post values (see the module's docstring)."""
    samples = [[v for v in (metric.of(p) for p in members) if v is not None] for members in groups.values()]
    samples = [s for s in samples if s]
    if len(samples) < 3:
        return K_PRIOR
    means = [fmean(s) for s in samples]  # once per cell: inside the loop below it made k quadratic in posts
    within = [v - mean for s, mean in zip(samples, means, strict=True) for v in s]
    degrees = sum(len(s) for s in samples) - len(samples)
    if degrees <= 0:
        return K_PRIOR
    sigma2 = sum(d * d for d in within) / degrees
    tau2 = pvariance(means) - fmean([sigma2 / len(s) for s in samples])
    if tau2 <= 0:
        return K_MAX
    return min(max(sigma2 / tau2, 1.0), K_MAX)


# Best time to post -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    weekday: int  # 0 = Monday, as queue slots count
    hour: int
    n: int
    value: float
    lift: float | None  # shrunk value / channel average − 1
    sure: str  # high / medium / low

    def as_dict(self) -> dict:
        return {"weekday": self.weekday, "day": WEEKDAYS[self.weekday], "hour": self.hour, "n": self.n,
                "value": self.value, "lift": self.lift, "sure": self.sure}


BEST_TIME_METRICS = ("er-reach", "er-followers", "er-views", "interactions")
MIN_POSTS = 20  # below this a channel's own history says too little to suggest times


def usual_metric(posts: Sequence) -> formulas.Metric:
    """ER by reach, else by followers, else by views, else raw interactions: the first most posts have."""
    return next((formulas.METRICS[slug] for slug in BEST_TIME_METRICS
                 if sum(formulas.METRICS[slug].of(p) is not None for p in posts) * 2 >= max(len(posts), 1)),
                formulas.METRICS["interactions"])


def best_times(posts: Sequence, top: int = 3) -> dict:
    """The hour × weekday cells with the highest shrunk `usual_metric`, with how sure each one is.

    "Sure" compares the cell's own mean with the channel's: high when n ≥ 10 and it is at least two standard
    errors above, medium when n ≥ 5 and one standard error above, low otherwise. With fewer than MIN_POSTS posts
    the card says there is not enough history instead of suggesting anything."""
    metric = usual_metric(posts)
    values = [v for v in (metric.of(p) for p in posts) if v is not None]
    if len(values) < MIN_POSTS:
        return {"metric": metric.slug, "posts": len(values), "slots": [],
                "note": _("Not enough posts yet: at least %(min)d with %(metric)s are needed.")
                % {"min": MIN_POSTS, "metric": metric.name}}
    table = breakdown(posts, "hour-weekday", metric, formulas.PER_POST)
    spread = pvariance(values) ** 0.5
    overall = table.overall.value
    by_key = defaultdict(list)
    for post in posts:
        value = metric.of(post)
        if value is not None:
            by_key[DIMENSIONS["hour-weekday"](post)].append(value)
    slots = []
    for cell in sorted((c for c in table.cells if c.shrunk is not None), key=lambda c: c.shrunk, reverse=True)[:top]:
        day, hour = cell.key.split()
        errors_above = (fmean(by_key[cell.key]) - overall) / (spread / cell.n ** 0.5) if spread else 0.0
        sure = "high" if cell.n >= 10 and errors_above >= 2 else "medium" if cell.n >= 5 and errors_above >= 1 \
            else "low"
        slots.append(Slot(WEEKDAYS.index(day), int(hour), cell.n, cell.shrunk,
                          cell.shrunk / overall - 1 if overall else None, sure))
    return {"metric": metric.slug, "posts": len(values), "shrinkage_k": table.k, "channel_average": overall,
            "slots": [s.as_dict() for s in slots], "note": ""}
