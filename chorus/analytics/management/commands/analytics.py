from datetime import date

from django.core.management.base import CommandError

from chorus.analytics import breakdowns, formulas, services
from chorus.analytics.store import store
from chorus.channels.models import Channel
from chorus.commandline import Answer, ChorusCommand


def day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value} is not a date like 2026-12-01") from exc


class Command(ChorusCommand):
    help = "Analytics: breakdowns, best times, dashboards and how each number is computed."
    subcommands = {
        "breakdown": "A metric by type, rubric, length, paid, hour, weekday or hour × weekday, with n per cell.",
        "best-time": "A channel's best hours to post, with how sure each one is.",
        "dashboard": "A channel's or the workspace's figures for a period, against the previous period.",
        "explain": "Every metric's formula and denominator.",
        "rebuild": "Recompute a channel's rollups from its raw snapshots (after changing the workspace's zone).",
    }

    def channel_options(self, parser, required=True):
        self.add_acting_argument(parser)
        parser.add_argument("--channel", required=required, type=int, metavar="ID")

    def channel_and_actor(self, options):
        found = Channel.objects.select_related("workspace").filter(pk=options["channel"]).first()
        if found is None:
            raise CommandError("No such channel.")
        return found.workspace, self.actor(options, found.workspace)

    def add_breakdown_arguments(self, parser):
        self.channel_options(parser)
        parser.add_argument("--by", required=True, choices=list(breakdowns.DIMENSIONS))
        parser.add_argument("--metric", required=True, choices=list(formulas.METRICS))
        parser.add_argument("--average", default=formulas.PER_POST, choices=formulas.AVERAGES)
        parser.add_argument("--from", dest="first", type=day, metavar="DATE")
        parser.add_argument("--to", dest="last", type=day, metavar="DATE")

    def do_breakdown(self, options) -> Answer:
        workspace, actor = self.channel_and_actor(options)
        table = services.channel_breakdown(actor, workspace, options["channel"], options["by"], options["metric"],
                                           options["average"], options["first"], options["last"])
        overall = table.overall
        lines = [f"{overall.label}: {_shown(overall.value)} over {overall.n} post(s); {overall.formula}",
                 f"shrinkage k = {table.k:.1f}", f"{'key':>10} {'n':>5} {'value':>12} {'shrunk':>12}"]
        lines += [f"{c.key!s:>10} {c.n:>5} {_shown(c.value):>12} {_shown(c.shrunk):>12}" for c in table.cells]
        return Answer(table.as_dict(), "\n".join(lines))

    def add_best_time_arguments(self, parser):
        self.channel_options(parser)
        parser.add_argument("--days", type=int, default=180, help="history to learn from, up to the latest post")

    def do_best_time(self, options) -> Answer:
        workspace, actor = self.channel_and_actor(options)
        card = services.best_time(actor, workspace, options["channel"], options["days"])
        lines = [card["note"]] if card["note"] else [
            f"{s['day']} {s['hour']:02d}:00  {card['metric']} {s['value']:.3f} (n={s['n']}, {s['sure']})"
            for s in card["slots"]]
        return Answer(card, "\n".join(lines))

    def add_dashboard_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("--channel", type=int, metavar="ID", help="one channel (default: the whole workspace)")
        parser.add_argument("--from", dest="first", type=day, required=True, metavar="DATE")
        parser.add_argument("--to", dest="last", type=day, required=True, metavar="DATE")

    def do_dashboard(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        if options["channel"]:
            board = services.channel_dashboard(actor, workspace, options["channel"], options["first"],
                                               options["last"])
        else:
            board = services.workspace_dashboard(actor, workspace, options["first"], options["last"])
        lines = [f"{f['current']['label']}: {_shown(f['current']['value'])} "
                 f"(previous {_shown(f['previous']['value'])})" for f in board["figures"].values()]
        audience = board["audience"]
        lines += [f"Audience by {dimension}: " + ", ".join(f"{b['bucket']} {_shown(b['share'])} %" for b in buckets)
                  for dimension, buckets in audience["dimensions"].items()] or [f"Audience: {audience['missing']}"]
        return Answer(board, "\n".join(lines))

    def add_explain_arguments(self, parser):
        pass

    def do_explain(self, options) -> Answer:
        metrics = services.explain()
        return Answer(metrics, "\n".join(f"{m['metric']}: {m['formula']}" + (f"  [{m['denominator']}]"
                                                                            if m["denominator"] else "")
                                         for m in metrics))

    def add_rebuild_arguments(self, parser):
        self.channel_options(parser)

    def do_rebuild(self, options) -> Answer:
        workspace, actor = self.channel_and_actor(options)
        channel = services.channel_for(actor, workspace, options["channel"], "analytics.import")
        posts = store.rebuild(channel)
        return Answer({"channel": channel.pk, "posts": posts}, f"Rebuilt the rollups of {posts} post(s).")


def _shown(value) -> str:
    return "missing" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)
