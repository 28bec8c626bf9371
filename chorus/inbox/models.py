"""The unified inbox (COMM-1): every comment, reply, mention and direct message of a workspace's channels."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chorus.channels.models import Channel
from chorus.publishing.models import PublishJob
from chorus.workspaces.models import Workspace


class Author(models.Model):
    """A person (or bot) who writes to the workspace on one network; their history is every item they wrote."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="authors")
    network = models.CharField(max_length=32)
    remote_id = models.CharField(max_length=120)
    name = models.CharField(max_length=200)  # as the network gave it: untrusted, escaped when shown
    first_seen_at = models.DateTimeField()
    known_spammer = models.BooleanField(default=False)
    banned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "network", "remote_id"],
                                               name="one_author_per_network_id")]


class ItemStatus(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class ItemKind(models.TextChoices):
    COMMENT = "comment", _("Comment")
    REPLY = "reply", _("Reply")
    MENTION = "mention", _("Mention")
    MESSAGE = "message", _("Direct message")


def searchable(*parts: str) -> str:
    """Case and "ё" folded, the way people type a search: "Ёлка" is found by "елка"."""
    return " ".join(parts).casefold().replace("ё", "е")


class InboxItem(models.Model):
    """One comment or message as the network reported it, with what the team did about it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="inbox_items")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="inbox_items")
    kind = models.CharField(max_length=16, choices=ItemKind.choices)
    remote_id = models.CharField(max_length=120)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="items")
    text = models.TextField()
    # The text and the author's name as `searchable` folds them: SQLite's LIKE ignores case in ASCII only, so
    # "доставка" would miss "Доставка" in the default install.
    search_text = models.TextField(blank=True, editable=False)
    written_at = models.DateTimeField(help_text="when the network says it was written")
    received_at = models.DateTimeField(auto_now_add=True)
    # Comments group under their post; direct messages under the person (see `thread_key`).
    thread_key = models.CharField(max_length=160)
    post_remote_id = models.CharField(max_length=120, blank=True)
    job = models.ForeignKey(PublishJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    parent_remote_id = models.CharField(max_length=120, blank=True)
    from_page = models.BooleanField(default=False, help_text="the page's own answer")
    edited_at = models.DateTimeField(null=True, blank=True)
    hidden = models.BooleanField(default=False)
    deleted_on_network = models.BooleanField(default=False)

    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.NEW)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                          on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    respond_by = models.DateTimeField(null=True, blank=True, help_text="the channel's first-response target")
    overdue_alerted_at = models.DateTimeField(null=True, blank=True)

    language = models.CharField(max_length=8, blank=True)
    sentiment = models.CharField(max_length=10, blank=True)
    labels = models.JSONField(default=dict, blank=True, help_text="label name → confidence 0..1")
    labelled_at = models.DateTimeField(null=True, blank=True)
    # The fast labels were unsure: the background re-scorer (slower, better) looks at it again.
    rescore_pending = models.BooleanField(default=False)

    class Meta:
        ordering = ["-written_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["channel", "remote_id"], name="one_item_per_remote_id")]
        indexes = [
            models.Index(fields=["workspace", "-written_at", "-id"]),
            models.Index(fields=["workspace", "status", "-written_at"]),
            models.Index(fields=["workspace", "thread_key"]),
            models.Index(fields=["author", "-written_at"]),
            # The re-scoring pass asks for the newest unsure items up to a dozen times a minute.
            models.Index(fields=["-written_at"], condition=models.Q(rescore_pending=True),
                         name="inbox_item_rescore_pending"),
        ]


    @property
    def overdue(self) -> bool:
        return bool(self.respond_by and self.status in (ItemStatus.NEW, ItemStatus.ASSIGNED)
                    and self.respond_by < timezone.now())


# The labels the classifier gives (COMM-2), as people read them; sentiment's three moods come first.
LABEL_TITLES = {
    "negative": _("negative"), "neutral": _("neutral"), "positive": _("positive"), "spam": _("spam"),
    "abuse": _("abuse"), "question": _("question"), "complaint": _("complaint"), "praise": _("praise"),
    "lead": _("order / lead"),
}

# What a moderation rule can do, and the author signs it can ask for (COMM-3), as people read them.
MODERATION_ACTION_TITLES = {
    "hide": pgettext_lazy("moderation action", "hide"), "delete": pgettext_lazy("moderation action", "delete"),
    "ban": pgettext_lazy("moderation action", "ban the author"), "assign": pgettext_lazy("moderation action", "assign"),
    "reply": pgettext_lazy("moderation action", "answer with a saved reply"),
    "alert": pgettext_lazy("moderation action", "alert"),
}
ON_THE_NETWORK = ("hide", "delete", "ban")  # done on the network itself, so a person may want them undone
MODERATED_AWAY = ("hide", "delete")
AUTHOR_SIGN_TITLES = {
    "new": _("new account"), "link_only": _("only a link"), "repeated_text": _("repeats one text"),
    "known_spammer": _("known spammer"),
}


class ItemLabel(models.Model):
    """A label an item carries (confidence over the threshold, or set by a person) — what filters search."""

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="label_rows")
    name = models.CharField(max_length=24)
    confidence = models.FloatField()
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "name"], name="one_row_per_item_label")]
        indexes = [models.Index(fields=["name", "item"])]


class LabelCorrection(models.Model):
    """A person's verdict on one label of one item: it wins over the model, and retraining learns from it."""

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="corrections")
    name = models.CharField(max_length=24, help_text="a label (spam, question, …) or \"sentiment\"")
    value = models.CharField(max_length=16, help_text="yes/no for a label; negative/neutral/positive for sentiment")
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    corrected_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "name"], name="one_correction_per_item_label")]


class InboxNote(models.Model):
    """An internal note on an item: seen by the team, never sent to the network."""

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]


class ReplyStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class InboxReply(models.Model):
    """An answer written in Chorus, on its way to the network (COMM-4)."""

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField()
    idempotency_key = models.CharField(max_length=64, unique=True, default=uuid.uuid4)
    status = models.CharField(max_length=10, choices=ReplyStatus.choices, default=ReplyStatus.QUEUED)
    remote_id = models.CharField(max_length=120, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]


class SavedReply(models.Model):
    """A template answer; with an objection it is a playbook entry (objection → suggested answer)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="saved_replies")
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"), help_text=_("Placeholders: {author}, {product}, {channel}."))
    objection = models.CharField(_("objection"), max_length=200, blank=True)
    labels = models.JSONField(_("labels"), default=list, blank=True,
                              help_text=_("Suggested for items with these labels, e.g. complaint, question."))
    keywords = models.JSONField(_("keywords"), default=list, blank=True)

    class Meta:
        ordering = ["title"]


class IngestTurn(models.Model):
    """When a channel's comments and messages are next read, and from where (the connector's cursor)."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="ingest_turn")
    watching_since = models.DateTimeField(default=timezone.now, help_text="when the inbox first read the channel")
    due_at = models.DateTimeField()
    cursor = models.TextField(blank=True)
    last_error = models.CharField(max_length=300, blank=True)


class ModerationAction(models.Model):
    """Something done to an item on the network (hide, delete, ban), by a person or a rule; undone where possible."""

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="moderation_actions")
    action = models.CharField(max_length=16)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    rule_name = models.CharField(max_length=120, blank=True)
    dry_run = models.BooleanField(default=False)
    outcome = models.CharField(max_length=300, blank=True, help_text="the network's refusal, when it refused")
    done_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-done_at"]

    @property
    def title(self) -> str:
        return MODERATION_ACTION_TITLES.get(self.action, self.action)


class ModerationRule(models.Model):
    """COMM-3: when an arriving item matches `conditions`, do `actions` (or only log them, in dry run).

    conditions: {"labels": {"spam": 0.9}, "keywords": [...], "pattern": "regex", "authors": ["new", "link_only",
    "repeated_text", "known_spammer"]}; every part given must match. actions: of "hide", "delete", "ban",
    "assign", "reply", "alert".
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="moderation_rules")
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                help_text="empty: every channel of the workspace")
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    dry_run = models.BooleanField(_("dry run"), default=True, help_text=_("Only log what the rule would do."))
    conditions = models.JSONField(default=dict)
    actions = models.JSONField(default=list)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    saved_reply = models.ForeignKey(SavedReply, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    stop = models.BooleanField(default=True, help_text="no later rule runs on an item this one matched")

    class Meta:
        ordering = ["position", "pk"]


class BusinessHours(models.Model):
    """When the workspace's team is at work, in its time zone; response times may count only these hours."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="business_hours")
    weekdays = models.JSONField(default=list, help_text="0 = Monday … 6 = Sunday")
    opens = models.TimeField()
    closes = models.TimeField()


class ResponseTarget(models.Model):
    """COMM-5: how soon a channel's comments and messages should get a first answer."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="response_target")
    minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(default=False, help_text="count only the workspace's business hours")
