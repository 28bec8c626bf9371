"""Thin Celery wrapper: the feeds' last check times decide what is due; the beat only asks."""

from celery import shared_task

from chorus.sources import services


@shared_task(name="chorus.sources.tasks.poll_feeds", ignore_result=True)
def poll_feeds() -> int:
    return services.poll_due_feeds()
