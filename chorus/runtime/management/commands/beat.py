from django.core.management.base import BaseCommand

from chorus.runtime import processes


class Command(BaseCommand):
    help = "Run Celery beat, the periodic ticks (dispatch, reconcile, health, audience). One per deployment."
    requires_system_checks = []

    def handle(self, **options):
        processes.become(processes.beat_argv())
