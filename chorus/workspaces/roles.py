"""The role × action matrix (TEAM-2). UI, API and CLI all ask `can()`; nothing else decides."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    EDITOR = "editor", _("Editor")
    MODERATOR = "moderator", _("Moderator")
    ANALYST = "analyst", _("Analyst")
    CLIENT = "client", _("Client")
    CONTRACTOR = "contractor", _("Contractor")


OWNER, MANAGER, EDITOR, MODERATOR, ANALYST, CLIENT, CONTRACTOR = Role.values
EVERYONE = frozenset(Role.values)
STAFF = frozenset({OWNER, MANAGER})
WRITERS = STAFF | {EDITOR}
READERS = EVERYONE - {CONTRACTOR}

# The contractor sees only tasks assigned to them (TEAM-3), so none of the content actions.
MATRIX: dict[str, frozenset[str]] = {
    "workspace.view": EVERYONE,
    "workspace.settings": STAFF,
    "members.manage": STAFF,
    "channel.view": READERS,
    "channel.connect": STAFF,
    "channel.queue": WRITERS,
    "sandbox.faults": STAFF,
    "post.view": READERS,
    "post.create": WRITERS,
    "post.schedule": WRITERS,
    "post.delete": WRITERS,
    "post.import": WRITERS,
    "post.export": WRITERS | {ANALYST},
    "publication.resolve": WRITERS,
    "media.view": WRITERS | {CLIENT},
    "media.upload": WRITERS,
    "notification.view": EVERYONE,
    "token.create": EVERYONE,
    "source.view": READERS,
    "source.manage": WRITERS,
}


def can(role: str | None, action: str) -> bool:
    if action not in MATRIX:
        raise KeyError(f"unknown action {action!r}: add it to MATRIX")
    return role is not None and role in MATRIX[action]
