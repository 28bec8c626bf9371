"""Thin Celery wrappers. The schedule lives in the database; these only ask it what is due."""

import logging
import os
import socket

from celery import shared_task

from chorus.publishing import changes, dispatcher, health, reconciler, sender

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@shared_task(name="chorus.publishing.tasks.dispatch_due", ignore_result=True)
def dispatch_due() -> int:
    worker = worker_name()
    health.record_beat(worker)
    claimed = dispatcher.claim_due(worker)
    for job_id in claimed:
        publish_job.delay(job_id)
    return len(claimed)


@shared_task(name="chorus.publishing.tasks.publish_job", ignore_result=True, acks_late=True)
def publish_job(job_id: int) -> str:
    return sender.send(job_id, worker_name())


@shared_task(name="chorus.publishing.tasks.change_published", ignore_result=True, acks_late=True)
def change_published(job_id: int) -> str:
    return changes.apply(job_id, worker_name())


def queue_change(job_id: int) -> None:
    try:
        change_published.delay(job_id)
    except Exception:  # noqa: BLE001 - the lease runs out and the reconciler hands the change back with a reason
        log.warning("could not queue the change of job %s", job_id, exc_info=True)


@shared_task(name="chorus.publishing.tasks.reconcile", ignore_result=True)
def reconcile() -> dict:
    return reconciler.reconcile()


@shared_task(name="chorus.publishing.tasks.check_health", ignore_result=True)
def check_health() -> int:
    return health.alert_late_posts()


def nudge_dispatcher() -> None:
    """Ask for a dispatch now instead of at the next tick; if the broker is away the tick still comes."""
    from django.conf import settings

    if not getattr(settings, "CHORUS_NUDGE_DISPATCHER", True):
        return
    try:
        dispatch_due.apply_async(expires=10)
    except Exception:  # noqa: BLE001 - the beat tick is the fallback; a nudge must never fail a user's action
        log.warning("could not nudge the dispatcher; the next tick will pick the post up", exc_info=True)
