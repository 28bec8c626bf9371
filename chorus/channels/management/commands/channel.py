import sys

from django.core.management.base import CommandError

from chorus.channels.models import Channel
from chorus.channels.services import channels_of, connect_channel, split_connect_fields
from chorus.commandline import Answer, ChorusCommand
from chorus.networks.registry import network_choices


def channel_document(channel: Channel) -> dict:
    return {"id": channel.pk, "name": channel.name, "network": channel.network}


def channel_line(channel: Channel) -> str:
    return f"{channel.pk}\t{channel.network}\t{channel.name}"


class Command(ChorusCommand):
    help = "Connect and list a workspace's channels."
    subcommands = {"add": "Connect a channel (the sandbox opens a fresh page for it).",
                   "list": "List the workspace's channels."}

    def add_add_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("--network", required=True, choices=[key for key, _label in network_choices()])
        parser.add_argument("--name", required=True)
        parser.add_argument("--field", action="append", default=[], metavar="NAME=VALUE",
                            help="a connect field of the network (see `chorus networks --json`); "
                                 "VALUE '-' reads it from standard input, keeping tokens out of shell history")

    def do_add(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        credentials, config = split_connect_fields(options["network"], self._fields(options["field"]))
        channel = connect_channel(actor=actor, workspace=workspace, network=options["network"], name=options["name"],
                                  credentials=credentials, config=config)
        return Answer(channel_document(channel), f"Connected: {channel_line(channel)}")

    @staticmethod
    def _fields(pairs: list[str]) -> dict[str, str]:
        fields = {}
        for pair in pairs:
            name, sep, value = pair.partition("=")
            if not sep:
                raise CommandError(f"--field {pair}: write it as NAME=VALUE")
            fields[name.strip()] = sys.stdin.readline().strip() if value == "-" else value
        return fields

    def add_list_arguments(self, parser):
        self.add_workspace_arguments(parser)

    def do_list(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        channels = channels_of(actor, workspace)
        return Answer([channel_document(c) for c in channels], "\n".join(channel_line(c) for c in channels))
