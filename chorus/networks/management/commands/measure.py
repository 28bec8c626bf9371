"""`chorus measure --network x "text"`: the length of a text as a network counts it, and where it goes over."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from chorus.commandline import whole_number
from chorus.networks.text import measurable_networks, measure_for


class Command(BaseCommand):
    help = _("Count a text the way a network counts it and show what goes over its limit.")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--network", required=True, choices=measurable_networks(), metavar="NAME",
                            help=_("one of: %(names)s") % {"names": ", ".join(measurable_networks())})
        parser.add_argument("--limit", type=whole_number, help=_("the limit, when it differs (a Mastodon instance)"))
        parser.add_argument("--json", action="store_true", help=_("print one JSON document and nothing else"))
        parser.add_argument("text", help=_('the text; "-" reads it from standard input'))

    def handle(self, *args, network: str, limit: int | None, text: str, **options):
        if text == "-":
            text = sys.stdin.read()
        measure = measure_for(network, text, limit or None)
        document = {
            "network": network, "length": measure.length, "limit": measure.limit, "unit": measure.unit,
            "unit_label": measure.unit_label, "remaining": measure.remaining, "valid": not measure.problems,
            "over": [{"start": p.start, "end": p.end} for p in measure.problems if p.start is not None],
            "problems": [{"code": p.code, "message": p.message, "start": p.start, "end": p.end}
                         for p in measure.problems],
            "preview_fold": measure.preview_fold,
        }
        self.stdout.write(json.dumps(document, ensure_ascii=False) if options["json"] else self.summary(document))
        if measure.problems:  # like a linter: scripts can test the exit status
            raise CommandError(_("The text does not fit %(network)s.") % {"network": network})

    @staticmethod
    def summary(document: dict) -> str:
        lines = [_("%(length)d of %(limit)d %(unit)s") % {
            "length": document["length"], "limit": document["limit"], "unit": document["unit_label"]}]
        lines += [f"- {p['message']}" + (f" [{p['start']}, {p['end']})" if p["start"] is not None else "")
                  for p in document["problems"]]
        if document["preview_fold"] is not None:
            lines.append(_("The feed shows the first %(n)d before \"Show more\".") % {"n": document["preview_fold"]})
        return "\n".join(lines)

