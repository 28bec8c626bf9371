"""An editor puts videos in the library and schedules them: Chorus reads each clip's own headers, and a channel
whose network cannot take a clip says why before anything is scheduled."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chorus.channels.models import Channel
from chorus.channels.services import connect_channel
from chorus.content.media import upload_media
from chorus.content.services import PostInvalid, check_draft, create_and_schedule
from chorus.content.tests.clips import box, mp4_bytes, upload, webm_bytes
from chorus.content.tests.test_media import png
from chorus.content.video import VideoUnreadable, read_video
from chorus.networks.base import MediaFacts, MediaRule, Publication, media_problems
from chorus.networks.telegram import TelegramConnector
from chorus.networks.tests.conftest import serve  # noqa: F401 (the fixture that runs a fake network)
from chorus.networks.tests.fakes.bluesky import FakeBluesky
from chorus.networks.tests.fakes.mastodon import FakeMastodon
from chorus.networks.tests.fakes.x import FakeX
from chorus.publishing import dispatcher, sender
from chorus.publishing.models import PublishJob, Status
from chorus.sandbox.models import SandboxPost


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def clip(editor, workspace, content=None, name="pour-over.mp4"):
    return upload_media(actor=editor, workspace=workspace, uploaded_file=upload(content or mp4_bytes(), name))


# The library reads the clip -------------------------------------------------------------------------------------

def test_editor_uploads_an_mp4_and_chorus_reads_its_length_and_picture_size(editor, workspace):
    asset = clip(editor, workspace, mp4_bytes(seconds=12.5, width=1280, height=720))
    assert (asset.mime, asset.width, asset.height, asset.seconds) == ("video/mp4", 1280, 720, 12.5)
    assert asset.is_video and asset.file.name.endswith(".mp4") and "pour-over" not in asset.file.name


@pytest.mark.parametrize("content, facts", [
    (mp4_bytes(seconds=95, brand=b"qt  "), ("video/quicktime", 95.0, 1280, 720)),
    (mp4_bytes(seconds=30, width=1920, height=1080, quarter_turn=True), ("video/mp4", 30.0, 1080, 1920)),
    (mp4_bytes(seconds=3600.25, version=1, moov_last=True), ("video/mp4", 3600.25, 1280, 720)),
    (webm_bytes(seconds=8, width=640, height=360), ("video/webm", 8.0, 640, 360)),
], ids=["mov", "phone-portrait", "long-64-bit-times-moov-last", "webm"])
def test_the_container_length_and_upright_size_come_from_the_files_own_headers(content, facts):
    video = read_video(io.BytesIO(content))
    assert (video.mime, video.seconds, video.width, video.height) == facts


@pytest.mark.parametrize("content, said", [
    (mp4_bytes()[:-1000], "cut short"),
    (mp4_bytes(with_video=False), "no video track"),
    (webm_bytes(doc_type=b"matroska"), "Matroska"),
    (webm_bytes(seconds=None), "length is not written"),
    (box(b"ftyp", b"isom") + box(b"mdat", bytes(64)), "no movie header"),
], ids=["truncated", "sound-only", "mkv", "webm-without-length", "no-moov"])
def test_a_damaged_or_unsupported_video_is_refused_with_the_reason(editor, workspace, content, said):
    with pytest.raises(ValidationError, match=said) as refused:
        clip(editor, workspace, content, "broken.mp4")
    assert "broken.mp4" in str(refused.value) and "MP4" in str(refused.value)
    with pytest.raises(VideoUnreadable):
        read_video(io.BytesIO(content))


def test_a_text_file_named_mp4_is_neither_image_nor_video(editor, workspace):
    with pytest.raises(ValidationError, match="not an image or a video"):
        clip(editor, workspace, b"definitely not a movie", "trailer.mp4")


# Networks refuse what they cannot take, before anything is scheduled ---------------------------------------------

@pytest.fixture
def bluesky(serve, owner, workspace):  # noqa: F811
    api = serve(FakeBluesky())
    return connect_channel(actor=owner, workspace=workspace, network="bluesky", name="Coffee on Bluesky",
                           credentials={"app_password": api.app_password}, config={"handle": api.account_handle})


@pytest.fixture
def x(serve, owner, workspace):  # noqa: F811
    api = serve(FakeX())
    return connect_channel(actor=owner, workspace=workspace, network="x", name="Coffee on X",
                           credentials={"access_token": api.access_token, "refresh_token": api.refresh_token},
                           config={"client_id": api.client_id})


def test_a_clip_longer_than_bluesky_takes_is_refused_with_both_lengths(editor, workspace, bluesky):
    long_clip = clip(editor, workspace, mp4_bytes(seconds=200))
    [check] = check_draft(actor=editor, workspace=workspace, text="Как мы варим пуровер", channel_ids=[bluesky.pk],
                          media_ids=[long_clip.pk])
    assert [p.message for p in check.problems] == ["Bluesky takes videos up to 180 s; pour-over.mp4 is 200 s."]
    with pytest.raises(PostInvalid, match="up to 180 s"):
        create_and_schedule(actor=editor, workspace=workspace, text="Как мы варим пуровер", channel_ids=[bluesky.pk],
                            media_ids=[long_clip.pk], due_at=timezone.now())
    assert not PublishJob.objects.filter(channel=bluesky).exists()


def test_x_takes_a_video_alone_and_the_sandbox_takes_it_beside_a_photo(editor, workspace, x, channel):
    video = clip(editor, workspace)
    photo = upload_media(actor=editor, workspace=workspace, uploaded_file=png())
    checks = {c.channel.pk: c for c in check_draft(actor=editor, workspace=workspace, text="Новый сорт",
                                                   channel_ids=[x.pk, channel.pk], media_ids=[video.pk, photo.pk])}
    assert [p.code for p in checks[x.pk].problems] == ["video_alone"]
    assert checks[x.pk].problems[0].message == "X (Twitter) takes a video alone: remove the images or the video."
    assert checks[channel.pk].ok


def test_a_network_that_declares_no_video_says_so_by_name():
    video = MediaFacts("video/mp4", 2**20, 1280, 720, "reel.mp4", 30)
    [problem] = media_problems("Threads", [video], MediaRule(max_count=10, max_bytes=2**20), None)
    assert (problem.code, problem.message) == ("no_video", "Threads does not take videos from Chorus.")


def test_telegram_refuses_a_mov_and_a_clip_over_the_bots_50_mb():
    mov = MediaFacts("video/quicktime", 5 * 2**20, 1280, 720, "reel.mov", 30)
    huge = MediaFacts("video/mp4", 60 * 2**20, 1280, 720, "reel.mp4", 30)
    problems = TelegramConnector.validate(Publication("Рилс", media=[mov, huge]))
    assert [p.code for p in problems] == ["media_format", "media_size"]
    assert "reel.mp4 is 60.0 MB; the limit is 50.0 MB." in problems[1].message


def test_a_telegram_channel_with_its_own_bot_api_server_takes_a_clip_over_50_mb(owner, workspace):
    channel = Channel(workspace=workspace, network="telegram", name="Coffee", config={"api_url": ""})
    big = Publication("Рилс", media=[MediaFacts("video/mp4", 300 * 2**20, 1280, 720, "reel.mp4", 30)])
    assert [p.code for p in channel.connector.validate_publication(big)] == ["media_size"]
    channel.config["api_url"] = "https://bots.coffee.example"
    assert channel.connector.validate_publication(big) == []


def test_mastodon_takes_what_its_instance_lists_and_one_video_alone(serve, owner, editor, workspace):  # noqa: F811
    api = serve(FakeMastodon())
    mastodon = connect_channel(actor=owner, workspace=workspace, network="mastodon", name="Coffee on Mastodon",
                               credentials={"access_token": api.token}, config={"instance_url": api.url})
    mov, mp4 = clip(editor, workspace, mp4_bytes(brand=b"qt  "), "reel.mov"), clip(editor, workspace)
    [check] = check_draft(actor=editor, workspace=workspace, text="Ролик", channel_ids=[mastodon.pk],
                          media_ids=[mov.pk, mp4.pk])
    assert sorted(p.code for p in check.problems) == ["media_format", "too_many_videos"]


# The practice network carries it out ----------------------------------------------------------------------------

def test_a_scheduled_post_with_a_video_goes_out_to_the_sandbox_once(editor, owner, workspace, channel):
    video = clip(editor, workspace)
    _post, [job] = create_and_schedule(actor=owner, workspace=workspace, text="Как мы варим пуровер",
                                       channel_ids=[channel.pk], media_ids=[video.pk], due_at=timezone.now())
    for job_id in dispatcher.claim_due("video-worker"):
        sender.send(job_id, "video-worker")
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED
    [post] = SandboxPost.objects.filter(remote_id=job.remote_id)
    assert post.media_count == 1

