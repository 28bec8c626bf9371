from django.core.management.base import CommandError

from chorus.channels.models import Channel
from chorus.channels.services import channel_for
from chorus.commandline import Answer, ChorusCommand, probability, whole_number
from chorus.sandbox.services import posts_on_network, set_channel_faults

FAULTS = ("error_before_send", "timeout_after_send", "rate_limit", "rate_limit_seconds", "rate_limit_scope",
          "latency_ms")


class Command(ChorusCommand):
    help = "The sandbox network: inject faults into a sandbox channel, see what exists on the network's side."
    subcommands = {"faults": "Set the faults a sandbox channel's page injects (unset ones stay as they are).",
                   "posts": "List the posts that exist on the sandbox's side for a channel."}

    def add_channel_arguments(self, parser) -> None:
        parser.add_argument("--channel", required=True, type=int, metavar="ID")
        self.add_acting_argument(parser)

    def channel_and_actor(self, options, action: str):
        found = Channel.objects.select_related("workspace").filter(pk=options["channel"]).first()
        if found is None:
            raise CommandError("No such channel.")
        actor = self.actor(options, found.workspace)
        return channel_for(actor, found.workspace, found.pk, action), actor

    def add_faults_arguments(self, parser):
        self.add_channel_arguments(parser)
        for name, meaning in [("error-before-send", "refuse before creating the post (503)"),
                              ("timeout-after-send", "create the post, then never answer"),
                              ("rate-limit", "answer 429 Too Many Requests")]:
            parser.add_argument(f"--{name}", type=probability, metavar="P", help=f"chance 0..1 to {meaning}")
        parser.add_argument("--rate-limit-seconds", type=whole_number, metavar="N", help="retry time a 429 asks for")
        parser.add_argument("--rate-limit-scope", choices=("channel", "app"),
                            help="whose limit a 429 reports: this channel's, or the application's (holds every "
                                 "sandbox channel)")
        parser.add_argument("--latency-ms", type=whole_number, metavar="N", help="added to every answer")

    def do_faults(self, options) -> Answer:
        channel, actor = self.channel_and_actor(options, "sandbox.faults")
        faults = set_channel_faults(actor=actor, channel=channel, **{name: options[name] for name in FAULTS})
        document = {"channel": channel.pk} | {name: getattr(faults, name) for name in FAULTS}
        return Answer(document, "\n".join(f"{name}: {value}" for name, value in document.items()))

    def add_posts_arguments(self, parser):
        self.add_channel_arguments(parser)

    def do_posts(self, options) -> Answer:
        channel, actor = self.channel_and_actor(options, "channel.view")
        posts = posts_on_network(actor, channel)
        return Answer([{"remote_id": p.remote_id, "text": p.text, "idempotency_key": p.idempotency_key,
                        "created_at": p.created_at} for p in posts],
                      "\n".join(f"{p.remote_id}\t{p.created_at:%Y-%m-%d %H:%M:%S}Z\t{p.text[:60]!r}" for p in posts))
