"""Every network Chorus speaks, by key. Adding a network means adding a module and a line here."""

from chorus.networks.base import Connector
from chorus.networks.bluesky import BlueskyConnector
from chorus.networks.mastodon import MastodonConnector
from chorus.networks.ok import OkConnector
from chorus.networks.sandbox import SandboxConnector
from chorus.networks.telegram import TelegramConnector
from chorus.networks.vk import VkConnector
from chorus.networks.x import XConnector

CONNECTORS: dict[str, type[Connector]] = {c.network: c for c in (
    SandboxConnector,
    TelegramConnector,
    BlueskyConnector,
    MastodonConnector,
    OkConnector,
    VkConnector,
    XConnector,
)}


def connector_class(network: str) -> type[Connector]:
    try:
        return CONNECTORS[network]
    except KeyError:
        raise LookupError(f"unknown network {network!r}; known: {', '.join(sorted(CONNECTORS))}") from None


def connector_for(channel) -> Connector:
    return connector_class(channel.network)(channel)


def network_choices() -> list[tuple[str, str]]:
    return [(key, cls.label) for key, cls in CONNECTORS.items()]
