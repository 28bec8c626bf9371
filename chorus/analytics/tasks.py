from celery import shared_task

from chorus.analytics import collection, services


@shared_task(name="chorus.analytics.tasks.collect_metrics", ignore_result=True)
def collect_metrics() -> int:
    return collection.collect_due()


@shared_task(name="chorus.analytics.tasks.follow_zone", ignore_result=True)
def follow_zone_task(workspace_id: int) -> int:
    return services.follow_zone(workspace_id)
