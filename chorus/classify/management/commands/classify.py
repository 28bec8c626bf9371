"""`chorus classify --input comments.jsonl --output labels.jsonl`: label comments offline.

Also `chorus classify build` (train the base model again) and `chorus classify retrain --workspace S
--input corrections.jsonl` (keep a workspace's own model, trained with its people's corrections).
"""

import time
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from chorus.classify import labeller
from chorus.classify.comment_files import BATCH, read_comments, read_corrections, write_jsonl
from chorus.commandline import Answer, ChorusCommand
from chorus.workspaces.models import Workspace

LABEL_HELP = _(
    "Read one JSON object per line with a \"text\" (and optionally a \"lang_hint\" such as \"ru\") and write the "
    "same objects with \"labels\" added. Lines that are not such objects are reported on stderr with their "
    "numbers; the good lines are still labelled and written, and the command then exits with status 1.")


class Command(ChorusCommand):
    help = _("Label comments offline: language, sentiment, spam, abuse, question, complaint, praise, lead.")
    subcommands = {"build": _("Train the base model from the project's corpus again."),
                   "retrain": _("Train a workspace's own model with its people's corrections.")}

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = f"{self.help} {LABEL_HELP}"
        return parser

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser._subparsers._group_actions[0].required = False  # no subcommand: label a file
        parser.add_argument("--input", type=Path, metavar="COMMENTS.jsonl", help=_("comments to label"))
        parser.add_argument("--output", type=Path, metavar="LABELS.jsonl", help=_("where to write them labelled"))
        parser.add_argument("--workspace", metavar="SLUG", help=_("use this workspace's own model, if it has one"))
        parser.add_argument("--json", action="store_true", help=_("print one JSON document and nothing else"))

    def handle(self, *args, subcommand: str | None = None, **options):
        if subcommand is None:
            subcommand = "label"
            self.subcommands = {**self.subcommands, "label": LABEL_HELP}
        return super().handle(*args, subcommand=subcommand, **options)

    def do_label(self, options) -> Answer:
        if not options["input"] or not options["output"]:
            raise CommandError(_("Give --input COMMENTS.jsonl and --output LABELS.jsonl (or a subcommand)."))
        slug = self.known_workspace(options["workspace"])
        rows, bad = read_comments(self.readable(options["input"]))
        records = [record for _number, record in rows]
        for start in range(0, len(records), BATCH):
            self.progress(_("%(done)d of %(total)d labelled") % {"done": start, "total": len(records)})
            batch = records[start:start + BATCH]
            found = labeller.label_texts([r["text"] for r in batch], [r.get("lang_hint") for r in batch], slug)
            for record, labels in zip(batch, found, strict=True):
                record["labels"] = labels.as_dict()
        write_jsonl(options["output"], records)
        for line in bad:
            self.stderr.write(f"{options['input']}: {line}")
        document = {"labelled": len(records), "output": str(options["output"]),
                    "bad_lines": [{"line": line.number, "problem": line.problem} for line in bad]}
        text = _("%(count)d comments labelled into %(path)s") % {"count": len(records), "path": options["output"]}
        failure = _("%(count)d lines could not be read and were left out.") % {"count": len(bad)} if bad else ""
        return Answer(document, text, failure=failure)

    def add_build_arguments(self, parser):
        parser.add_argument("--rescorer", action="store_true",
                            help=_("also build the background re-scorer's heads (chorus/classify/rescorer.npz): "
                                   "embeds the whole corpus once, about 15 minutes on one core"))

    def do_build(self, options) -> Answer:
        started = time.perf_counter()
        path = labeller.build()
        seconds = round(time.perf_counter() - started, 1)
        document = {"path": str(path), "seconds": seconds}
        text = _("Base model written to %(path)s in %(seconds)s s") % {"path": path, "seconds": seconds}
        if options.get("rescorer"):
            started = time.perf_counter()
            rescorer_path = labeller.build_rescorer(
                progress=lambda done, total: self.progress(_("%(done)d of %(total)d texts embedded")
                                                           % {"done": done, "total": total}))
            rescorer_seconds = round(time.perf_counter() - started, 1)
            document |= {"rescorer": str(rescorer_path), "rescorer_seconds": rescorer_seconds}
            text += "; " + _("re-scorer written to %(path)s in %(seconds)s s") % {"path": rescorer_path,
                                                                                  "seconds": rescorer_seconds}
        return Answer(document, text)

    def add_retrain_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("--input", type=Path, metavar="CORRECTIONS.jsonl",
                            help=_('more corrections besides those made in the inbox: one {"text": ..., "lang": ..., '
                                   '"labels": {"spam": 1}} per line; if any line is bad, nothing is retrained'))

    def do_retrain(self, options) -> Answer:
        from chorus.inbox.labelling import retrain_workspace

        workspace, actor = self.workspace_and_actor(options)
        extra = []
        if options["input"]:
            extra, bad = read_corrections(self.readable(options["input"]))
            if bad:
                lines = "\n".join(f"{options['input']}: {line}" for line in bad)
                raise CommandError(_("Nothing was retrained; fix these lines:") + "\n" + lines)
        self.progress(_("Training the model of %(slug)s…") % {"slug": workspace.slug})
        try:
            done = retrain_workspace(actor=actor, workspace=workspace, extra=extra)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        return Answer(done, _("%(corrections)d corrections: model for %(workspace)s written to %(path)s; "
                              "%(relabelled)d inbox items will be labelled again") % done)

    @staticmethod
    def known_workspace(slug: str | None) -> str | None:
        if slug and not Workspace.objects.filter(slug=slug).exists():
            raise CommandError(_("No such workspace."))
        return slug

    @staticmethod
    def readable(path: Path) -> Path:
        if not path.is_file():
            raise CommandError(_("Cannot read %(path)s.") % {"path": path})
        return path
