"""Small pieces every page repeats: a channel's name with its SANDBOX badge, a time in the workspace's zone."""

from django import template
from django.utils import formats

from chorus.workspaces.timezones import to_local

register = template.Library()


@register.inclusion_tag("web/_channel_label.html")
def channel_label(channel):
    return {"channel": channel, "is_sandbox": channel.connector_class.is_sandbox}


@register.filter
def in_zone(instant, workspace):
    """A UTC instant as wall-clock time in the workspace's zone, the way the team plans."""
    if not instant:
        return ""
    return formats.date_format(to_local(instant, workspace.timezone), "Y-m-d H:i")


@register.filter
def safe_link(url: str) -> str:
    """The link if it is http(s) or a path on this site, else "": a typed-in `javascript:` link must never run."""
    if isinstance(url, str) and (url.lower().startswith(("https://", "http://"))
                                 or (url.startswith("/") and not url.startswith("//"))):
        return url
    return ""
