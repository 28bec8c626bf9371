from django.conf import settings

from chorus.commandline import Answer, ChorusCommand
from chorus.workspaces.models import Workspace
from chorus.workspaces.services import create_workspace, local_operator, workspaces_of


def workspace_document(workspace: Workspace) -> dict:
    return {"slug": workspace.slug, "name": workspace.name, "timezone": workspace.timezone,
            "language": workspace.language}


class Command(ChorusCommand):
    help = "Create and list workspaces."
    subcommands = {"create": "Create a workspace.", "list": "List workspaces."}

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
                      "\n".join(f"{w.slug}\t{w.name}\t{w.timezone}\t{w.language}" for w in found))
