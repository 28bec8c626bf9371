"""The media library (CONT-2): upload images and videos, tag them, list them. Every edge calls these."""

import uuid

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from chorus.content.models import MediaAsset, MediaTag
from chorus.content.video import VideoUnreadable, read_video
from chorus.pictures import UnreadablePicture, read_picture
from chorus.workspaces.services import ensure_can, workspace_object

MAX_UPLOAD_BYTES = 20 * 2**20
MAX_VIDEO_BYTES = 512 * 2**20  # X's limit for a post's video, the largest a network here takes through its API
VIDEO_SIGNATURES = (b"ftyp", b"\x1a\x45\xdf\xa3")  # at byte 4 in MP4/MOV, at byte 0 in WebM
# What Pillow calls a format → how networks name it. Only web image formats: the networks take nothing else.
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "GIF": ("image/gif", "gif"),
           "WEBP": ("image/webp", "webp")}


def _read_image(uploaded_file: UploadedFile) -> tuple[str, str, int, int]:
    try:
        image_format, width, height = read_picture(uploaded_file)
    except UnreadablePicture as exc:
        raise ValidationError(_("%(name)s is not an image or a video Chorus can read.")
                              % {"name": uploaded_file.name}) from exc
    if image_format not in FORMATS:
        raise ValidationError(_("%(name)s is a %(format)s image; upload JPEG, PNG, GIF or WebP.")
                              % {"name": uploaded_file.name, "format": image_format})
    mime, extension = FORMATS[image_format]
    return mime, extension, width, height


def _looks_like_video(uploaded_file: UploadedFile) -> bool:
    uploaded_file.seek(0)
    head = uploaded_file.read(8)
    uploaded_file.seek(0)
    return head[4:8] == VIDEO_SIGNATURES[0] or head[:4] == VIDEO_SIGNATURES[1]


def _read_video(uploaded_file: UploadedFile) -> tuple[str, str, int, int, float]:
    """The container, picture size and length from the file's own headers (no ffprobe on the server)."""
    try:
        video = read_video(uploaded_file)
    except VideoUnreadable as exc:
        raise ValidationError(_("%(name)s is not a video Chorus can read: %(why)s. Upload an MP4 (H.264), MOV or "
                                "WebM file.") % {"name": uploaded_file.name, "why": exc}) from exc
    if not (video.width and video.height and video.seconds > 0):
        raise ValidationError(_("%(name)s has no picture size or length in its headers; export it again as MP4.")
                              % {"name": uploaded_file.name})
    return video.mime, video.extension, video.width, video.height, video.seconds


def upload_media(*, actor, workspace, uploaded_file: UploadedFile, tags=()) -> MediaAsset:
    ensure_can(actor, "media.upload", workspace)
    is_video = _looks_like_video(uploaded_file)
    limit = MAX_VIDEO_BYTES if is_video else MAX_UPLOAD_BYTES
    if uploaded_file.size > limit:
        raise ValidationError(_("%(name)s is %(mb).1f MB; files up to %(limit)d MB are accepted.")
                              % {"name": uploaded_file.name, "mb": uploaded_file.size / 2**20,
                                 "limit": limit // 2**20})
    mime, extension, width, height, seconds = (_read_video(uploaded_file) if is_video
                                               else (*_read_image(uploaded_file), None))
    asset = MediaAsset(workspace=workspace, original_name=(uploaded_file.name or "")[:255], mime=mime,
                       size=uploaded_file.size, width=width, height=height, seconds=seconds, uploaded_by=actor)
    with transaction.atomic():
        # Our own name on disk: the uploaded one may hold path tricks or clash with another file.
        asset.file.save(f"{uuid.uuid4().hex}.{extension}", uploaded_file, save=False)
        asset.save()
        if tags:
            _add_tags(asset, tags)
    return asset


def _clean_tag_names(names) -> list[str]:
    return sorted({name.strip()[:60] for name in names if name and name.strip()})


def _add_tags(asset: MediaAsset, names) -> None:
    asset.tags.add(*[MediaTag.objects.get_or_create(workspace=asset.workspace, name=name)[0]
                     for name in _clean_tag_names(names)])


def tag_media(*, actor, asset: MediaAsset, add=(), remove=()) -> MediaAsset:
    ensure_can(actor, "media.upload", asset.workspace)
    with transaction.atomic():
        _add_tags(asset, add)
        asset.tags.remove(*asset.tags.filter(name__in=_clean_tag_names(remove)))
    return asset


def media_of(actor, workspace, tag: str = ""):
    ensure_can(actor, "media.view", workspace)
    assets = MediaAsset.objects.filter(workspace=workspace).prefetch_related("tags")
    return assets.filter(tags__name=tag) if tag else assets


def media_for(actor, workspace, asset_id, action: str = "media.view") -> MediaAsset:
    return workspace_object(actor, workspace, MediaAsset.objects, asset_id, action,
                            _("No such media in this workspace."))


def tags_of(actor, workspace):
    ensure_can(actor, "media.view", workspace)
    return MediaTag.objects.filter(workspace=workspace)
