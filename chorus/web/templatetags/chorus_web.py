"""Small pieces every page repeats: a channel's name with its SANDBOX badge, a time in the workspace's zone."""

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

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


@register.filter
def duration(seconds) -> str:
    """Seconds as a person reads a response time: "45 min", "3 h 05 min", "2 d 4 h"; "—" when missing."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(d)d d %(h)d h") % {"d": hours // 24, "h": hours % 24}


@register.filter
def label_title(name: str) -> str:
    """An inbox label or mood as the reader's language says it; an unknown one as it is."""
    from chorus.inbox.models import LABEL_TITLES

    return LABEL_TITLES.get(name, name)
