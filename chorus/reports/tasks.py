"""Thin Celery wrappers: schedules' next run times decide what is due; the beat only asks."""

from celery import shared_task

from chorus.reports import services

TRIES = 4


@shared_task(name="chorus.reports.tasks.run_schedules", ignore_result=True)
def run_schedules() -> int:
    return services.run_due_schedules()


@shared_task(name="chorus.reports.tasks.deliver_report", ignore_result=True, bind=True, max_retries=TRIES)
def deliver_report_task(self, delivery_id: int) -> None:
    try:
        services.deliver_report(delivery_id, last_try=self.request.retries >= TRIES)
    except OSError as exc:
        raise self.retry(countdown=min(30 * 2 ** self.request.retries, 600)) from exc
