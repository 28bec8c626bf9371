from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.channels.models import Channel
from chorus.workspaces.models import Workspace


class MediaTag(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="media_tags")
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="one_tag_name_per_workspace")]

    def __str__(self) -> str:
        return self.name


def media_path(asset: "MediaAsset", filename: str) -> str:
    return f"workspaces/{asset.workspace_id}/media/{filename}"


class MediaAsset(models.Model):
    """An image or a video in the workspace's media library (CONT-2)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to=media_path)
    original_name = models.CharField(max_length=255)
    mime = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)  # a video's length, read from its headers
    tags = models.ManyToManyField(MediaTag, blank=True, related_name="media")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_video(self) -> bool:
        return self.mime.startswith("video/")


class Post(models.Model):
    """One idea, written once; each channel gets its own variant (CONT-1)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return self.text[:60]


class Variant(models.Model):
    """The post as it goes to one channel: its own text (blank = the post's) and media."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="variants")
    text = models.TextField(_("text for this channel"), blank=True)
    media = models.ManyToManyField(MediaAsset, blank=True, through="VariantMedia", related_name="variants")
    # {"question", "options": [...], "multiple": bool, "closes_in_seconds": int | None}, where the network has polls
    poll = models.JSONField(_("poll"), null=True, blank=True)
    thread = models.JSONField(_("thread"), default=list, blank=True)  # follow-up parts, posted as replies in order
    first_comment = models.TextField(_("first comment"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "channel"], name="one_variant_per_channel")]

    @property
    def effective_text(self) -> str:
        return self.text or self.post.text


class VariantMedia(models.Model):
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE)
    asset = models.ForeignKey(MediaAsset, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
