from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.channels.models import Channel
from chorus.content.models import Post
from chorus.workspaces.models import Workspace


class Feed(models.Model):
    """An RSS, Atom or JSON feed the workspace follows; its new items become posts by the feed's rules."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="feeds")
    url = models.URLField(_("feed address"), max_length=2000)
    title = models.CharField(_("title"), max_length=300, blank=True)
    # What the server said last time, sent back so an unchanged feed answers 304 with no body.
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    # Also the claim: a poller takes the feed by moving this forward with a compare-and-swap.
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "url"]
        constraints = [models.UniqueConstraint(fields=["workspace", "url"], name="one_feed_per_url_per_workspace")]

    def __str__(self) -> str:
        return self.title or self.url


class FeedItem(models.Model):
    """One entry of a feed, remembered so it becomes posts at most once."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="items")
    # The entry's id, else its link, else a hash of title and link: whatever stays stable between polls.
    guid = models.CharField(max_length=500)
    link = models.URLField(max_length=2000, blank=True)
    title = models.CharField(max_length=500, blank=True)
    summary = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField()
    posts = models.ManyToManyField(Post, blank=True, related_name="feed_items")
    # Why a rule could not turn the item into a scheduled post (it may have become a draft instead).
    problem = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-seen_at", "-published_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["feed", "guid"], name="one_item_per_guid_per_feed")]

    def __str__(self) -> str:
        return self.title or self.link or self.guid


class FeedRule(models.Model):
    """What a new item of the feed becomes: text from a template, on which channels, and how it goes out."""

    class Mode(models.TextChoices):
        DRAFT = "draft", _("Draft for review")
        SCHEDULE_NOW = "schedule_now", _("Publish right away")
        QUEUE = "queue", _("Next free queue slot")

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="rules")
    channels = models.ManyToManyField(Channel, related_name="feed_rules")
    template = models.TextField(_("post template"), default="{title}\n\n{link}")
    mode = models.CharField(_("what to do"), max_length=16, choices=Mode.choices, default=Mode.DRAFT)
    rubric = models.CharField(_("rubric"), max_length=120, blank=True)
    active = models.BooleanField(default=True)
    # Posts are written in this person's name and with their rights; if they lose them, the rule stops.
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.feed}: {self.get_mode_display()}"
