"""Analytics over the API: dashboards, breakdowns, best times and the formulas behind every number."""

from datetime import date
from typing import Any

from ninja import Router

from chorus.analytics import formulas, services
from chorus.workspaces.api import answers, caller, workspace_of
from chorus.workspaces.services import ensure_can

router = Router(tags=["analytics"])


@router.get("/workspaces/{slug}/analytics/dashboard", response=answers(200, dict[str, Any]),
            summary="Figures for a period against the previous one, series, top and bottom posts")
def dashboard(request, slug: str, first: date, last: date, channel: int | None = None):
    """The whole workspace, or one channel with `channel`. Every figure carries its formula, denominator and raw
    inputs; a metric no network gave is null, never 0."""
    workspace = workspace_of(request, slug)
    if channel is None:
        return services.workspace_dashboard(caller(request), workspace, first, last)
    return services.channel_dashboard(caller(request), workspace, channel, first, last)


@router.get("/workspaces/{slug}/analytics/metrics", response=answers(200, list[dict[str, Any]]),
            summary="Every metric's formula and denominator")
def metrics(request, slug: str):
    ensure_can(caller(request), "analytics.view", workspace_of(request, slug))
    return services.explain()


@router.get("/workspaces/{slug}/channels/{channel_id}/breakdown", response=answers(200, dict[str, Any]),
            summary="A metric by type, rubric, length, paid, hour, weekday or hour-weekday, n per cell")
def breakdown(request, slug: str, channel_id: int, by: str, metric: str, average: str = formulas.PER_POST,
              first: date | None = None, last: date | None = None):
    table = services.channel_breakdown(caller(request), workspace_of(request, slug), channel_id, by, metric,
                                       average, first, last)
    return table.as_dict()


@router.get("/workspaces/{slug}/channels/{channel_id}/best-time", response=answers(200, dict[str, Any]),
            summary="The channel's best hours to post and how sure each one is")
def best_time(request, slug: str, channel_id: int, days: int = 180):
    return services.best_time(caller(request), workspace_of(request, slug), channel_id, days)
