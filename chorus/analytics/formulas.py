"""Every metric Chorus shows, with its formula, its denominator and the raw inputs behind each number (ANLT-2).

Conventions (docs/decisions.md, "Analytics"):
- interactions of a post = the network's own total where it reports one, otherwise likes + comments + reposts +
  saves of those the network gives; missing when it gives none of them.
- Rates are percentages (12.5 means 12.5 %). A rate whose numerator or denominator is missing, or whose
  denominator is 0, is missing (None) — never 0.
- Followers in a rate are the channel's followers when the post was published (`followers_at_post`).
- Averages over several posts are done two ways, each labelled: the mean of per-post rates, and pooled
  (sum of numerators / sum of denominators over the posts that have both).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from statistics import fmean
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

INTERACTION_PARTS = ("likes", "comments", "reposts", "saves")
PER_POST, POOLED = "per-post", "pooled"
AVERAGES = (PER_POST, POOLED)


def interactions(counters) -> int | None:
    """`counters`: anything with the post counters as attributes (a snapshot, a post rollup, a reading)."""
    total = getattr(counters, "total_interactions", None)
    if total is not None:
        return total
    parts = [getattr(counters, name) for name in INTERACTION_PARTS if getattr(counters, name) is not None]
    return sum(parts) if parts else None


def ratio(numerator: float | None, denominator: float | None, scale: float = 100.0) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator * scale


@dataclass(frozen=True)
class Metric:
    """A number per post: `numerator` (÷ `denominator` × 100 for a rate) read from the post's rollup."""

    slug: str
    name: Any
    numerator: str
    denominator: str | None
    formula: Any
    denominator_text: Any = ""

    @property
    def is_rate(self) -> bool:
        return self.denominator is not None

    def of(self, post) -> float | None:
        top = getattr(post, self.numerator)
        return ratio(top, getattr(post, self.denominator)) if self.is_rate else top

    def inputs_of(self, post) -> dict[str, Any]:
        names = (self.numerator, self.denominator) if self.is_rate else (self.numerator,)
        return {name: getattr(post, name) for name in names}


FOLLOWERS_AT_POST = _("followers of the channel when the post was published (nearest account snapshot within a "
                      "day, or the count the import reported)")
METRICS: dict[str, Metric] = {m.slug: m for m in (
    Metric("er-followers", _("ER by followers"), "interactions", "followers_at_post",
           _("interactions / followers at post time × 100"), FOLLOWERS_AT_POST),
    Metric("er-reach", _("ER by reach (ERR)"), "interactions", "reach",
           _("interactions / reach × 100"), _("reach: unique people who saw the post")),
    Metric("er-views", _("ER by views"), "interactions", "views",
           _("interactions / views × 100"), _("views (impressions) of the post")),
    Metric("love-rate", _("Love rate"), "likes", "followers_at_post",
           _("likes / followers at post time × 100"), FOLLOWERS_AT_POST),
    Metric("talk-rate", _("Talk rate"), "comments", "followers_at_post",
           _("comments / followers at post time × 100"), FOLLOWERS_AT_POST),
    Metric("amplification-rate", _("Amplification rate"), "reposts", "followers_at_post",
           _("reposts / followers at post time × 100"), FOLLOWERS_AT_POST),
    Metric("virality-rate", _("Virality rate"), "reposts", "views",
           _("reposts / views × 100"), _("views (impressions) of the post")),
    Metric("interactions", _("Interactions per post"), "interactions", None,
           _("the network's total interactions, or likes + comments + reposts + saves of those it gives")),
    Metric("reach", _("Reach per post"), "reach", None, _("reach as the network reports it")),
    Metric("views", _("Views per post"), "views", None, _("views as the network reports them")),
)}


@dataclass(frozen=True)
class Figure:
    """One number as shown, with how it was computed: the answer to "how is this computed?"."""

    metric: str
    label: str
    value: float | None
    formula: str
    denominator: str
    n: int  # posts (or days) behind the number
    inputs: dict[str, Any] = field(default_factory=dict)
    missing: str = ""  # why the value is None, when something more precise than "not reported" is known

    def as_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "label": self.label, "value": self.value, "formula": self.formula,
                "denominator": self.denominator, "n": self.n, "inputs": self.inputs, "missing": self.missing}


@lru_cache(maxsize=256)
def _label(slug: str, method: str, language: str | None) -> str:
    """A figure's label in the active language; cached, since a dashboard labels hundreds of figures."""
    how = {PER_POST: _("mean of per-post rates"), POOLED: _("pooled"), "": _("mean per post")}[method]
    return f"{METRICS[slug].name}, {how}"


def average(metric: Metric, posts: Sequence, method: str) -> Figure:
    """The metric over `posts` by `method` (PER_POST or POOLED); posts missing an input are left out and n says
    how many remained. For a count (no denominator) both methods are the mean per post."""
    if method not in AVERAGES:
        raise ValueError(f"unknown average {method!r}")
    if not metric.is_rate:
        values = [v for v in (metric.of(p) for p in posts) if v is not None]
        return Figure(metric.slug, _label(metric.slug, "", get_language()), fmean(values) if values else None,
                      f"Σ {metric.numerator} / n", "", len(values), {f"sum of {metric.numerator}": sum(values)})
    pairs = [(getattr(p, metric.numerator), getattr(p, metric.denominator)) for p in posts]
    pairs = [(top, bottom) for top, bottom in pairs if top is not None and bottom]
    if method == PER_POST:
        rates = [top / bottom * 100 for top, bottom in pairs]
        return Figure(metric.slug, _label(metric.slug, PER_POST, get_language()),
                      fmean(rates) if rates else None, f"Σ ({metric.formula}) / n", str(metric.denominator_text),
                      len(rates), {"sum of per-post rates": sum(rates)})
    top, bottom = sum(t for t, _b in pairs), sum(b for _t, b in pairs)
    return Figure(metric.slug, _label(metric.slug, POOLED, get_language()), ratio(top, bottom) if pairs else None,
                  f"Σ {metric.numerator} / Σ {metric.denominator} × 100", str(metric.denominator_text), len(pairs),
                  {f"sum of {metric.numerator}": top, f"sum of {metric.denominator}": bottom})


def per_post(metric: Metric, post) -> Figure:
    return Figure(metric.slug, str(metric.name), metric.of(post), str(metric.formula), str(metric.denominator_text),
                  1, metric.inputs_of(post))


def er_day(day) -> float | None:
    """ER of one day: the interactions of the posts published that day / the channel's followers that day."""
    return ratio(day.interactions, day.followers)


def er_by_days(days: Iterable) -> Figure:
    """Mean of daily ERs over the days that had posts and a follower count (NapoleonCat's period ER)."""
    rates = [r for r in (er_day(d) for d in days if d.posts) if r is not None]
    return Figure("er-day", str(_("ER by followers per day, mean of daily rates")), fmean(rates) if rates else None,
                  str(_("Σ (interactions of the day's posts / followers that day × 100) / days")),
                  str(_("followers at the day's last account snapshot")), len(rates),
                  {"sum of daily rates": sum(rates)})


def total(name: str, values: Iterable[int | None], formula: str, label: str = "") -> Figure:
    """A sum that stays missing when nothing reported it."""
    reported = [v for v in values if v is not None]
    return Figure(name, label or name, sum(reported) if reported else None, formula, "", len(reported), {})
