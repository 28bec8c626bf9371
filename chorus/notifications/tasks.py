from celery import shared_task

from chorus.networks import errors
from chorus.notifications import services

TRIES = 4


@shared_task(name="chorus.notifications.tasks.deliver_alert", ignore_result=True, bind=True, max_retries=TRIES)
def deliver_alert_task(self, delivery_id: int) -> None:
    try:
        services.deliver_alert(delivery_id, last_try=self.request.retries >= TRIES)
    except (errors.NetworkError, OSError) as exc:
        raise self.retry(countdown=min(30 * 2 ** self.request.retries, 600)) from exc
