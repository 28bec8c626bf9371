"""`chorus networks`: every network Chorus speaks and what it declares it can do."""

import json

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from chorus.networks.registry import CONNECTORS


class Command(BaseCommand):
    help = _("List the networks and their declared capabilities.")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help=_("print one JSON document and nothing else"))

    def handle(self, *args, **options):
        networks = [{"network": key, "label": connector.label, "sandbox": connector.is_sandbox,
                     "capabilities": connector.capabilities.as_dict()}
                    for key, connector in sorted(CONNECTORS.items())]
        if options["json"]:
            self.stdout.write(json.dumps(networks, ensure_ascii=False))
            return
        for network in networks:
            text, video = network["capabilities"]["text"], network["capabilities"]["video"]
            supported = [name for name, value in network["capabilities"].items() if value is True]
            self.stdout.write(f"{network['network']:<12} {network['label']:<14} "
                              + _("%(limit)d %(unit)s") % {"limit": text["limit"], "unit": text["unit"]}
                              + (f"; {self._video(video)}" if video else "")
                              + (f"; {', '.join(supported)}" if supported else ""))

    @staticmethod
    def _video(rule: dict) -> str:
        length = (_("up to %(s)d s") % {"s": rule["max_seconds"]}) if rule["max_seconds"] else _("any length")
        return _("video: %(n)d of %(mb)d MB, %(length)s, %(formats)s%(mixed)s") % {
            "n": rule["max_count"], "mb": rule["max_bytes"] // 2**20, "length": length,
            "formats": "/".join(f.removeprefix("video/") for f in rule["formats"]),
            "mixed": _(", with images") if rule["with_images"] else ""}
