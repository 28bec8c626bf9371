"""What Chorus's own commands share: subcommands, `--json`, `--as`, finding the workspace, errors as messages.

`chorus post schedule …` is the `post` command with the `schedule` subcommand. With `--json` a subcommand
prints one JSON document on stdout and nothing else there; errors go to stderr with a non-zero exit.
Without `--as`, the command line is the server's operator and acts as the workspace's first owner; with
`--as USERNAME` it acts as that person, under the same role matrix as the UI and the API.
"""

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from django.utils.translation import gettext as _

from chorus.workspaces.models import Membership, Workspace
from chorus.workspaces.roles import Role
from chorus.workspaces.services import workspace_for


@dataclass(frozen=True)
class Answer:
    """What a subcommand produced: the `--json` document, the lines a person reads, and, when the work was
    refused after all (a bad import), why: the exit code is then non-zero."""

    document: Any
    text: str
    failure: str = ""


def probability(value: str) -> float:
    try:
        chance = float(value)
    except ValueError:
        chance = -1
    if not 0 <= chance <= 1:
        raise argparse.ArgumentTypeError(_("%(value)s is not a probability between 0 and 1") % {"value": value})
    return chance


def whole_number(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(_("%(value)s is not a whole number of 0 or more") % {"value": value})
    return int(value)


class ChorusCommand(BaseCommand):
    """A command made of subcommands: `subcommands` maps each name to its help; a subclass defines
    `add_<name>_arguments(parser)` and `do_<name>(options) -> Answer` for each ("mark-posted": `do_mark_posted`)."""

    subcommands: dict[str, str] = {}
    requires_system_checks = []

    def add_arguments(self, parser):
        chooser = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        for name, summary in self.subcommands.items():
            sub = chooser.add_parser(name, help=summary, description=summary)
            sub.add_argument("--json", action="store_true", help=_("print one JSON document and nothing else"))
            getattr(self, f"add_{name.replace('-', '_')}_arguments")(sub)

    def handle(self, *args, subcommand: str, **options):
        self.quiet = options["json"]
        try:
            answer = getattr(self, f"do_{subcommand.replace('-', '_')}")(options)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        except (PermissionDenied, Http404) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(answer.document, cls=DjangoJSONEncoder, ensure_ascii=False))
        elif answer.text:
            self.stdout.write(answer.text)
        if answer.failure:
            raise CommandError(answer.failure)

    # Arguments several commands take.

    @staticmethod
    def add_acting_argument(parser) -> None:
        parser.add_argument("--as", dest="as_user", metavar="USERNAME",
                            help=_("act as this person, with their role (default: the workspace's owner)"))

    def add_workspace_arguments(self, parser) -> None:
        parser.add_argument("--workspace", required=True, metavar="SLUG")
        self.add_acting_argument(parser)

    # Who acts, where.

    @staticmethod
    def person(username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user named %(name)s.") % {"name": username})
        return user

    def actor(self, options, workspace: Workspace):
        if options.get("as_user"):
            return self.person(options["as_user"])
        owner = (Membership.objects.filter(workspace=workspace, role=Role.OWNER).select_related("user")
                 .order_by("created_at", "pk").first())
        if owner is None:
            raise CommandError(_("Workspace %(slug)s has no owner: use --as.") % {"slug": workspace.slug})
        return owner.user

    def workspace_and_actor(self, options) -> tuple[Workspace, Any]:
        """The workspace named by --workspace and who acts in it; a non-member is told it does not exist."""
        workspace = Workspace.objects.filter(slug=options["workspace"]).first()
        if workspace is None:
            raise CommandError(_("No such workspace."))
        actor = self.actor(options, workspace)
        return workspace_for(actor, workspace.slug), actor

    @staticmethod
    def file_bytes(path: str) -> bytes:
        try:
            return Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(path)s: %(reason)s") % {"path": path, "reason": exc.strerror}) from exc

    def progress(self, message: str) -> None:
        """Say what long work is doing, on a terminal only: pipes and --json stay clean."""
        if not self.quiet and self.stderr.isatty():
            self.stderr.write(message)
