from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from chorus.commandline import Answer, ChorusCommand, whole_number
from chorus.inbox import ingestion, services, spammers
from chorus.inbox.api import item_document
from chorus.inbox.models import ItemStatus
from chorus.inbox.services import InboxFilter
from chorus.workspaces.models import Membership


def item_line(item) -> str:
    text = item.text.replace("\n", " ")
    return f"{item.pk}\t{item.status}\t{item.kind}\t{item.author.name}\t{text[:80]}"


class Command(ChorusCommand):
    help = "Read the workspace's inbox: comments and messages from every channel."
    subcommands = {"list": "List inbox items, newest first, with their labels.",
                   "fetch": "Read new comments and messages from every channel now.",
                   "reply": "Answer an item; a worker sends it.",
                   "act": "Close, assign, hide or ban the authors of several items at once.",
                   "spammers": "Print the workspace's known spammers on a network, or add IDs from a file."}

    def add_list_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("--status", choices=ItemStatus.values, default="")
        parser.add_argument("--channel", type=int)
        parser.add_argument("--label", default="")
        parser.add_argument("--search", default="")
        parser.add_argument("--overdue", action="store_true", help="only open items past their response target")
        parser.add_argument("--rule", default="", help="only items this moderation rule (by name) acted on, "
                            "or in dry run would have")
        parser.add_argument("--limit", type=whole_number, default=100)

    def do_list(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        chosen = InboxFilter(channel=options["channel"], status=options["status"], label=options["label"],
                             search=options["search"], overdue=options["overdue"], rule=options["rule"])
        items = list(services.inbox_of(actor, workspace, chosen)[:options["limit"]])
        return Answer([item_document(i) for i in items], "\n".join(item_line(i) for i in items))

    def add_fetch_arguments(self, parser):
        self.add_workspace_arguments(parser)

    def do_fetch(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        services.inbox_of(actor, workspace)  # the same permission as reading the inbox
        arrived = [item for channel in ingestion.channels_with_conversations() if channel.workspace_id == workspace.pk
                   for item in ingestion.ingest_channel(channel)]
        return Answer({"arrived": len(arrived)}, f"{len(arrived)} new items")

    def add_reply_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("--item", type=int, required=True)
        parser.add_argument("--text", required=True)

    def do_reply(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        item = services.item_for(actor, workspace, options["item"], action="inbox.reply")
        reply = services.reply_to(actor=actor, item=item, text=options["text"])
        return Answer({"id": reply.pk, "status": reply.status}, f"Answer {reply.pk} queued")

    def add_act_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("action", choices=sorted(services.MANY_ACTIONS_NEED))
        parser.add_argument("--items", type=int, nargs="+", required=True, metavar="ID")
        parser.add_argument("--to", metavar="USERNAME", help="whom assign gives them to (none: to nobody)")

    def do_act(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        member = (Membership.objects.filter(workspace=workspace, user__username=options["to"]).first()
                  if options["to"] else None)
        if options["to"] and member is None:
            raise CommandError(_("%(user)s is not a member of this workspace.") % {"user": options["to"]})
        done = services.act_on_many(actor=actor, workspace=workspace, item_ids=options["items"],
                                    action=options["action"], assignee=member.user if member else None)
        lines = [f"{done.done} done", *(f"not done: {why}" for why in done.refused)]
        return Answer({"done": done.done, "refused": done.refused}, "\n".join(lines))

    def add_spammers_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("--network", required=True)
        parser.add_argument("--add", metavar="FILE", help="one ID per line; what follows # is a note")

    def do_spammers(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        if not options["add"]:
            listing = spammers.listing_of(actor=actor, workspace=workspace, network=options["network"])
            return Answer(listing.splitlines(), listing.rstrip("\n"))
        added = spammers.add_spammers(actor=actor, workspace=workspace, network=options["network"],
                                      listing=self.file_bytes(options["add"]).decode("utf-8", errors="replace"))
        lines = [_("Added to the list: %(added)d; already on it: %(already)d.")
                 % {"added": added.added, "already": added.already}, *added.problems]
        return Answer({"added": added.added, "already": added.already, "problems": added.problems}, "\n".join(lines))
