"""The sandbox's periodic work: its simulated audience reacts to what was published."""

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from chorus.sandbox import audience


@shared_task(name="chorus.sandbox.tasks.simulate_audience", ignore_result=True)
def simulate_audience(now: str | None = None) -> int:
    """`now` (ISO 8601) replays the audience at another moment; by default it is the present."""
    moment = datetime.fromisoformat(now) if now else timezone.now()
    return audience.simulate(moment)
