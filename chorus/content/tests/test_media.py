"""The media library: what gets in is a real image, named by us, tagged and listed per workspace."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from chorus.content.media import MAX_UPLOAD_BYTES, media_of, tag_media, upload_media


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png(name="latte.png", size=(64, 32), content_type="image/png"):
    buffer = io.BytesIO()
    Image.new("RGB", size, "brown").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def test_editor_uploads_a_png_and_chorus_reads_its_real_format_and_size(editor, workspace):
    asset = upload_media(actor=editor, workspace=workspace, uploaded_file=png(content_type="text/plain"),
                         tags=["autumn", " latte "])
    assert (asset.mime, asset.width, asset.height) == ("image/png", 64, 32)
    assert asset.original_name == "latte.png"
    assert asset.file.name.endswith(".png") and "latte" not in asset.file.name
    assert sorted(asset.tags.values_list("name", flat=True)) == ["autumn", "latte"]


def test_a_jpeg_named_png_is_stored_as_the_jpeg_it_is(editor, workspace):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "JPEG")
    asset = upload_media(actor=editor, workspace=workspace,
                         uploaded_file=SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png"))
    assert asset.mime == "image/jpeg" and asset.file.name.endswith(".jpg")


def test_a_text_file_renamed_png_is_refused(editor, workspace):
    fake = SimpleUploadedFile("invoice.png", b"this is not a picture", content_type="image/png")
    with pytest.raises(ValidationError, match="not an image"):
        upload_media(actor=editor, workspace=workspace, uploaded_file=fake)
    assert not media_of(editor, workspace).exists()


def test_a_file_over_twenty_megabytes_is_refused(editor, workspace):
    huge = SimpleUploadedFile("huge.png", b"0" * (MAX_UPLOAD_BYTES + 1), content_type="image/png")
    with pytest.raises(ValidationError, match="20 MB"):
        upload_media(actor=editor, workspace=workspace, uploaded_file=huge)


def test_an_analyst_may_not_upload(team, workspace):
    with pytest.raises(PermissionDenied):
        upload_media(actor=team["analyst"], workspace=workspace, uploaded_file=png())


def test_editor_filters_the_library_by_tag_after_retagging(editor, workspace):
    latte = upload_media(actor=editor, workspace=workspace, uploaded_file=png("latte.png"), tags=["autumn"])
    upload_media(actor=editor, workspace=workspace, uploaded_file=png("beans.png"), tags=["beans"])
    tag_media(actor=editor, asset=latte, add=["menu"], remove=["autumn"])
    assert [a.original_name for a in media_of(editor, workspace, tag="menu")] == ["latte.png"]
    assert not media_of(editor, workspace, tag="autumn").exists()


def test_another_workspace_does_not_see_our_media(editor, workspace, other_workspace):
    upload_media(actor=editor, workspace=workspace, uploaded_file=png())
    stranger = other_workspace.memberships.get().user
    assert not media_of(stranger, other_workspace).exists()
