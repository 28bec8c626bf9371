from celery import shared_task

from chorus.inbox import ingestion, labelling, response_times, services
from chorus.networks import errors


@shared_task(name="chorus.inbox.tasks.ingest_conversations", ignore_result=True)
def ingest_conversations() -> int:
    return ingestion.ingest_due()


@shared_task(name="chorus.inbox.tasks.send_reply", ignore_result=True, bind=True, max_retries=5)
def send_reply_task(self, reply_id: int) -> None:
    try:
        services.send_reply(reply_id)
    except errors.NetworkError as exc:
        raise self.retry(countdown=min(30 * 2 ** self.request.retries, 600)) from exc


@shared_task(name="chorus.inbox.tasks.alert_overdue", ignore_result=True)
def alert_overdue() -> int:
    return response_times.alert_overdue()


@shared_task(name="chorus.inbox.tasks.rescore_uncertain", ignore_result=True)
def rescore_uncertain() -> int:
    return labelling.rescore_uncertain()
