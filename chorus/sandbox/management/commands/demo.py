import json
import sys

from django.core.management.base import BaseCommand, CommandError

from chorus.sandbox import demo


class Command(BaseCommand):
    help = "Create the demo workspaces (sandbox channels, 90 days of history, a week of scheduled posts)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same demo")
        parser.add_argument("--json", action="store_true", dest="as_json", help="print one JSON document, no progress")
        parser.add_argument("--new-password", action="store_true",
                            help="give the demo owner a fresh one-time password and print it")

    def handle(self, *, seed: int, as_json: bool, new_password: bool, **options):
        if new_password:
            try:
                password = demo.new_owner_password()
            except LookupError as exc:
                raise CommandError(str(exc)) from exc
            self._answer(as_json, {"login": demo.OWNER_LOGIN, "password": password},
                         f"New one-time password for {demo.OWNER_LOGIN}: {password}")
            return
        summary = demo.seed_demo(seed=seed, progress=self._progress if not as_json else lambda message: None)
        if not summary.created:
            self._answer(as_json, summary.as_dict(), "The demo is already there; nothing changed. "
                         "`chorus demo --new-password` prints a fresh password for the owner.")
            return
        self._answer(as_json, summary.as_dict(),
                     f"Demo ready: {', '.join(summary.workspaces)} — {summary.channels} channels, "
                     f"{summary.posts} posts. Log in as {summary.login} with password {summary.password}")

    def _progress(self, message: str) -> None:
        if sys.stderr.isatty():
            self.stderr.write(f"… {message}")

    def _answer(self, as_json: bool, document: dict, sentence: str) -> None:
        self.stdout.write(json.dumps(document, ensure_ascii=False) if as_json else sentence)
