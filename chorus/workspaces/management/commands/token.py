from chorus.commandline import Answer, ChorusCommand
from chorus.workspaces.services import create_api_token, workspace_for


class Command(ChorusCommand):
    help = "API tokens: a token acts as its person, in one workspace."
    subcommands = {"create": "Create an API token; the token is printed once and never stored."}

    def add_create_arguments(self, parser):
        parser.add_argument("--workspace", required=True, metavar="SLUG")
        parser.add_argument("--user", required=True, metavar="USERNAME", help="whose token it is")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. 'reporting script'")

    def do_create(self, options) -> Answer:
        person = self.person(options["user"])
        workspace = workspace_for(person, options["workspace"])
        token, raw = create_api_token(actor=person, workspace=workspace, name=options["name"])
        return Answer({"token": raw, "name": token.name, "workspace": workspace.slug, "user": person.get_username()},
                      f"{raw}\nKeep it now: Chorus stores only its hash and cannot show it again.")
