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
    # Changing what is already in front of the audience: the people who may publish, as for post.schedule.
    "publication.edit": WRITERS,
    "publication.delete": WRITERS,
    "media.view": WRITERS | {CLIENT},
    "media.upload": WRITERS,
    "notification.view": EVERYONE,
    "token.create": EVERYONE,
    "source.view": READERS,
    "source.manage": WRITERS,
    # The inbox (COMM-1..5): moderators live there; editors answer but do not moderate unless granted.
    "inbox.view": STAFF | {EDITOR, MODERATOR, ANALYST},
    "inbox.reply": STAFF | {EDITOR, MODERATOR},
    "inbox.assign": STAFF | {MODERATOR},
    "inbox.moderate": STAFF | {MODERATOR},
    "inbox.rules": STAFF | {MODERATOR},
    "inbox.templates": STAFF | {MODERATOR},
    # Analytics (ANLT): everyone who reads the workspace's content reads its numbers; the contractor does not.
    "analytics.view": READERS,
    "analytics.import": WRITERS | {ANALYST},
    # Client reports (ANLT-7): the client reads them; who measures makes and sends them.
    "report.view": READERS,
    "report.build": STAFF | {ANALYST},
    "report.schedule": STAFF | {ANALYST},
}

# What an owner may grant a member beyond their role, per role. A contractor is never granted the inbox.
GRANTABLE: dict[str, frozenset[str]] = {
    EDITOR: frozenset({"inbox.moderate", "inbox.assign"}),
    CLIENT: frozenset({"inbox.view"}),
    ANALYST: frozenset({"inbox.reply"}),
}


def can(role: str | None, action: str, grants=()) -> bool:
    if action not in MATRIX:
        raise KeyError(f"unknown action {action!r}: add it to MATRIX")
    if role is None:
        return False
    return role in MATRIX[action] or (action in grants and action in GRANTABLE.get(role, ()))
