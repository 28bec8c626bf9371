from django.conf import settings
from django.utils.translation import gettext as _

from chorus.commandline import Answer, ChorusCommand
from chorus.workspaces.models import Workspace
from chorus.workspaces.services import create_workspace, local_operator, update_workspace, workspaces_of


def workspace_document(workspace: Workspace) -> dict:
    return {"slug": workspace.slug, "name": workspace.name, "timezone": workspace.timezone,
            "language": workspace.language}


def workspace_line(workspace: Workspace) -> str:
    return f"{workspace.slug}\t{workspace.name}\t{workspace.timezone}\t{workspace.language}"


class Command(ChorusCommand):
    help = "Create, change and list workspaces."
    subcommands = {"create": "Create a workspace.", "list": "List workspaces.",
                   "update": "Rename a workspace, move its time zone or change its language."}

    def add_create_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--timezone", required=True, metavar="TZ", help="IANA zone, e.g. Europe/Moscow")
        parser.add_argument("--language", required=True, choices=[code for code, _name in settings.LANGUAGES])
        parser.add_argument("--owner", metavar="USERNAME", help="default: the local 'operator' user")

    def do_create(self, options) -> Answer:
        owner = self.person(options["owner"]) if options["owner"] else local_operator()
        workspace = create_workspace(owner=owner, name=options["name"], slug=options["slug"],
                                     timezone_name=options["timezone"], language=options["language"])
        return Answer(workspace_document(workspace),
                      f"Created workspace {workspace.slug} ({workspace.name}), owner {owner.get_username()}.")

    def add_list_arguments(self, parser):
        self.add_acting_argument(parser)

    def do_list(self, options) -> Answer:
        """The operator sees every workspace; `--as` someone, only theirs."""
        found = workspaces_of(self.person(options["as_user"])) if options["as_user"] else Workspace.objects.all()
        return Answer([workspace_document(w) for w in found],
                      "\n".join(workspace_line(w) for w in found))

    def add_update_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("--name")
        parser.add_argument("--timezone", metavar="TZ", help="IANA zone, e.g. Asia/Novosibirsk; the analytics "
                                                             "hours and days are recomputed in the background")
        parser.add_argument("--language", choices=[code for code, _name in settings.LANGUAGES])

    def do_update(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        old_zone = workspace.timezone
        update_workspace(actor=actor, workspace=workspace, name=options["name"], timezone_name=options["timezone"],
                         language=options["language"])
        lines = [workspace_line(workspace)]
        if workspace.timezone != old_zone:
            lines.append(_("The analytics hours and days are being recomputed in %(zone)s by a worker.")
                         % {"zone": workspace.timezone})
        return Answer(workspace_document(workspace), "\n".join(lines))
