from chorus.commandline import Answer, ChorusCommand, whole_number
from chorus.inbox import ingestion, services
from chorus.inbox.api import item_document
from chorus.inbox.models import ItemStatus
from chorus.inbox.services import InboxFilter


def item_line(item) -> str:
    text = item.text.replace("\n", " ")
    return f"{item.pk}\t{item.status}\t{item.kind}\t{item.author.name}\t{text[:80]}"


class Command(ChorusCommand):
    help = "Read the workspace's inbox: comments and messages from every channel."
    subcommands = {"list": "List inbox items, newest first, with their labels.",
                   "fetch": "Read new comments and messages from every channel now.",
                   "reply": "Answer an item; a worker sends it."}

    def add_list_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("--status", choices=ItemStatus.values, default="")
        parser.add_argument("--channel", type=int)
        parser.add_argument("--label", default="")
        parser.add_argument("--search", default="")
        parser.add_argument("--limit", type=whole_number, default=100)

    def do_list(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        chosen = InboxFilter(channel=options["channel"], status=options["status"], label=options["label"],
                             search=options["search"])
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
