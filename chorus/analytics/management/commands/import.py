import json

from django.core.management.base import CommandError

from chorus.analytics import history_import, services
from chorus.commandline import Answer, ChorusCommand


class Command(ChorusCommand):
    help = "Import a channel's history of posts and counters, and keep column mappings for it."
    subcommands = {
        "history": "Import posts with their counters from a CSV or XLSX file into a channel's analytics.",
        "save-mapping": "Save a column mapping under a name, for --mapping NAME later.",
        "mappings": "List the workspace's saved column mappings.",
    }

    def add_history_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("--channel", required=True, type=int, metavar="ID")
        parser.add_argument("--format", default="csv", choices=history_import.FORMATS,
                            help="facebook-insights: Facebook's post export (month, weekday, hour); "
                                 "csv: any table, with --mapping")
        parser.add_argument("--mapping", metavar="M",
                            help='a saved mapping\'s name, or JSON like {"published_at": "Date", "likes": "Likes"}')
        parser.add_argument("file", metavar="FILE", help="CSV (UTF-8, comma or semicolon) or XLSX")

    def do_history(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        source = self.file_bytes(options["file"])
        self.progress(f"Importing {options['file']}…")
        report = services.import_history(actor=actor, workspace=workspace, channel_id=options["channel"],
                                         source=source, file_format=options["format"], mapping=options["mapping"])
        lines = [f"Imported {report.imported} post(s), updated {report.updated}, skipped {report.skipped}."]
        lines += [f"line {e.line}: {e.message}" for e in report.errors]
        lines += [f"line {w.line} (warning): {w.message}" for w in report.warnings]
        return Answer(report.as_dict(), "\n".join(lines))

    def add_save_mapping_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("--name", required=True)
        parser.add_argument("--columns", required=True, metavar="JSON",
                            help=f'{{"field": "column", ...}}; fields: {", ".join(history_import.FIELDS)}')

    def do_save_mapping(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        try:
            columns = json.loads(options["columns"])
        except json.JSONDecodeError as exc:
            raise CommandError(f"--columns is not valid JSON: {exc.msg}") from exc
        mapping = services.save_mapping(actor=actor, workspace=workspace, name=options["name"], columns=columns)
        return Answer({"name": mapping.name, "columns": mapping.columns}, f"Saved mapping {mapping.name}.")

    def add_mappings_arguments(self, parser):
        self.add_workspace_arguments(parser)

    def do_mappings(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        mappings = services.mappings_of(actor, workspace)
        return Answer([{"name": m.name, "columns": m.columns} for m in mappings],
                      "\n".join(f"{m.name}: {json.dumps(m.columns, ensure_ascii=False)}" for m in mappings))
