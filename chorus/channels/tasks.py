from celery import shared_task

from chorus.channels import health


@shared_task(name="chorus.channels.tasks.check_connections", ignore_result=True)
def check_connections() -> int:
    return health.check_due()
