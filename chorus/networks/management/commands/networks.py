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
            text = network["capabilities"]["text"]
            supported = [name for name, value in network["capabilities"].items() if value is True]
            self.stdout.write(f"{network['network']:<12} {network['label']:<14} "
                              + _("%(limit)d %(unit)s") % {"limit": text["limit"], "unit": text["unit"]}
                              + (f"; {', '.join(supported)}" if supported else ""))
