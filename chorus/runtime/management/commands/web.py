from django.core.management.base import BaseCommand

from chorus.runtime import processes


class Command(BaseCommand):
    help = "Serve the web UI and API with gunicorn on 127.0.0.1 (CHORUS_PORT, default 8000)."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, help="overrides CHORUS_PORT")

    def handle(self, *, port: int | None, **options):
        processes.prepare_web()
        processes.become(processes.web_argv(processes.web_port(port)))
