from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections

from chorus.runtime import processes
from chorus.sandbox import demo
from chorus.workspaces.models import Workspace


class Command(BaseCommand):
    help = "Migrate, create the demo on the first start, and run web + worker + beat until Ctrl-C."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, help="overrides CHORUS_PORT")

    def handle(self, *, port: int | None, **options):
        port = processes.web_port(port)
        call_command("migrate", verbosity=0, interactive=False)
        first_start = not Workspace.objects.exists()
        summary = demo.seed_demo(progress=self._progress) if first_start else None
        processes.prepare_web()
        connections.close_all()  # the children open their own
        # One web process: a small team's clicks do not need a second copy of Django (docs/decisions.md).
        children = {"web": processes.web_argv(port, workers=1), "worker": processes.worker_argv(beat=True)}
        processes.supervise(children, port, self._welcome(port, summary.password if summary else None))

    def _progress(self, message: str) -> None:
        self.stderr.write(f"First start, creating the demo: {message}")

    @staticmethod
    def _welcome(port: int, password: str | None) -> str:
        lines = [
            "",
            f"  Chorus is running: http://127.0.0.1:{port}",
            f"  Login:             {demo.OWNER_LOGIN}",
            f"  Password:          {password}   (one-time: only its hash is kept, note it now)" if password else
            "  Password:          forgot it? `chorus demo --new-password` prints a fresh one",
            "  Stop:              Ctrl-C",
            "",
        ]
        return "\n".join(lines)
