from pathlib import Path

from chorus.commandline import Answer, ChorusCommand
from chorus.reports import services
from chorus.reports.models import Cadence
from chorus.reports.periods import parse_period


def report_document(report) -> dict:
    return {"id": report.pk, "title": report.title, "cadence": report.cadence,
            "period_start": report.period_start, "period_end": report.period_end, "built_at": report.built_at}


class Command(ChorusCommand):
    help = "Client reports: build one for a period (PDF or HTML), list them, schedule them by e-mail."
    subcommands = {"build": "Build the workspace's report for a period and write it to a file.",
                   "list": "List the reports built so far, newest first.",
                   "schedule": "E-mail the last week's or month's report every week or month."}

    def add_build_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("--period", required=True, help="2026-10, 2026-W44 or 2026-10-01..2026-10-15")
        parser.add_argument("--format", choices=["pdf", "html"], default="pdf")
        parser.add_argument("--output", required=True, metavar="FILE")

    def do_build(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        period = parse_period(options["period"])
        self.progress(f"Building the report for {period.code()}…")
        report = services.build_report(actor=actor, workspace=workspace, period=period)
        output = Path(options["output"])
        if options["format"] == "pdf":
            with report.pdf.open("rb") as pdf:
                output.write_bytes(pdf.read())
        else:
            output.write_text(report.page, encoding="utf-8")
        return Answer({**report_document(report), "output": str(output), "format": options["format"],
                       "bytes": output.stat().st_size}, f"Wrote {output} ({report.title}).")

    def add_list_arguments(self, parser):
        self.add_workspace_arguments(parser)

    def do_list(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        reports = list(services.reports_of(actor, workspace))
        return Answer([report_document(r) for r in reports],
                      "\n".join(f"{r.pk}\t{r.built_at:%Y-%m-%d %H:%M}\t{r.title}" for r in reports))

    def add_schedule_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("--cadence", choices=[Cadence.WEEK, Cadence.MONTH], required=True)
        parser.add_argument("--to", required=True, help="e-mail addresses, separated by commas")
        parser.add_argument("--pause", action="store_true")

    def do_schedule(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        schedule = services.save_schedule(actor=actor, workspace=workspace, cadence=options["cadence"],
                                          recipients=options["to"], active=not options["pause"])
        return Answer({"cadence": schedule.cadence, "recipients": schedule.recipients, "active": schedule.active,
                       "next_run_at": schedule.next_run_at},
                      f"{schedule.get_cadence_display()}: next {schedule.next_run_at:%Y-%m-%d %H:%M} UTC")
