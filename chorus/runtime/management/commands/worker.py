from django.core.management.base import BaseCommand

from chorus.runtime import processes


class Command(BaseCommand):
    help = "Run a Celery worker (threads pool). --beat embeds the scheduler: only one per deployment."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", "-c", type=int, default=4, help="worker threads (default 4)")
        parser.add_argument("--beat", action="store_true", help="also run the periodic ticks in this worker")

    def handle(self, *, concurrency: int, beat: bool, **options):
        processes.become(processes.worker_argv(concurrency, beat))
