from celery import shared_task

from chorus.analytics import collection


@shared_task(name="chorus.analytics.tasks.collect_metrics", ignore_result=True)
def collect_metrics() -> int:
    return collection.collect_due()
