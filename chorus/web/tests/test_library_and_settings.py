"""Channels, the media library, notifications and API tokens, as the team uses them."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from chorus.channels.models import Channel
from chorus.content.models import MediaAsset
from chorus.content.tests.clips import mp4_bytes, upload
from chorus.notifications.models import Notification
from chorus.notifications.services import notify
from chorus.sources.models import Feed
from chorus.web.views import sandbox_account
from chorus.workspaces.models import ApiToken
from chorus.workspaces.services import token_owner

CHANNELS = reverse("channels", args=["coffee"])
MEDIA = reverse("media", args=["coffee"])


def png_file(name="latte.png", size=(1200, 800)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "brown").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_owner_connects_a_sandbox_channel_and_sees_its_badge(signed_in, owner, workspace):
    client = signed_in(owner)
    client.post(reverse("channel-connect", args=["coffee"]), {"network": "sandbox", "name": "Coffee OK"})
    assert Channel.objects.get().name == "Coffee OK"
    page = client.get(CHANNELS).content.decode()
    assert "Coffee OK" in page and "SANDBOX" in page


def test_a_sandbox_channel_is_labelled_wherever_its_name_is_listed(signed_in, editor, workspace, channel):
    feed = Feed.objects.create(workspace=workspace, url="https://zerno.example/feed.xml", title="Зерно")
    client = signed_in(editor)
    badge = 'Coffee VK (sandbox) <span class="badge text-bg-warning"'
    assert badge in client.get(reverse("bulk-import", args=["coffee"])).content.decode()
    assert badge in client.get(reverse("source-detail", args=["coffee", feed.pk])).content.decode()
    # A filter's <option> holds text only: the badge is spelled out as the calendar does.
    assert "Coffee VK (sandbox) · SANDBOX</option>" in client.get(reverse("posts", args=["coffee"])).content.decode()


def test_editor_may_not_connect_channels(signed_in, editor, workspace):
    response = signed_in(editor).post(reverse("channel-connect", args=["coffee"]),
                                      {"network": "sandbox", "name": "Side channel"})
    assert response.status_code == 403 and not Channel.objects.exists()


def test_editor_sets_queue_slots_per_weekday(signed_in, editor, channel):
    client = signed_in(editor)
    client.post(reverse("channel-slots", args=["coffee", channel.pk]), {"day-0": "09:00, 18:30", "day-4": "12:00"})
    assert [(s.weekday, s.time.strftime("%H:%M")) for s in channel.queue_slots.all()] == [
        (0, "09:00"), (0, "18:30"), (4, "12:00")]
    assert 'value="09:00, 18:30"' in client.get(CHANNELS).content.decode()


def test_a_badly_written_slot_time_is_refused_and_the_old_slots_stay(signed_in, editor, channel):
    client = signed_in(editor)
    client.post(reverse("channel-slots", args=["coffee", channel.pk]), {"day-0": "09:00"})
    response = client.post(reverse("channel-slots", args=["coffee", channel.pk]), {"day-0": "nine"}, follow=True)
    assert "Cannot read the time nine" in response.content.decode()
    assert channel.queue_slots.count() == 1


def test_owner_injects_sandbox_faults_and_editor_cannot(signed_in, owner, editor, channel):
    url = reverse("channel-faults", args=["coffee", channel.pk])
    assert signed_in(editor).post(url, {"error_before_send": "1"}).status_code == 403
    signed_in(owner).post(url, {"error_before_send": "0.5", "timeout_after_send": "0.1", "rate_limit": "0",
                                "latency_ms": "200"})
    faults = sandbox_account(channel).faults
    assert (faults.error_before_send, faults.timeout_after_send, faults.latency_ms) == (0.5, 0.1, 200)


def test_editor_uploads_two_images_and_sees_each_checked_against_the_sandbox(signed_in, editor, channel):
    client = signed_in(editor)
    response = client.post(MEDIA, {"files": [png_file("latte.png"), png_file("beans.png")], "tags": "autumn"},
                           follow=True)
    page = response.content.decode()
    assert "2 files uploaded" in page
    assert "latte.png" in page and "✓ Sandbox" in page
    asset = MediaAsset.objects.get(original_name="latte.png")
    served = client.get(reverse("media-file", args=["coffee", asset.pk]))
    assert served["Content-Type"] == "image/png"


def test_editor_uploads_a_clip_and_sees_it_play_with_its_length_and_each_networks_verdict(signed_in, editor,
                                                                                        channel):
    client = signed_in(editor)
    page = client.post(MEDIA, {"files": [upload(mp4_bytes(seconds=200), '<i onmouseover=x>reel.mp4')]},
                       follow=True).content.decode()
    asset = MediaAsset.objects.get()
    source = reverse("media-file", args=["coffee", asset.pk])
    assert "1 file uploaded" in page and f'<video class="thumb rounded" src="{source}"' in page
    assert "video/mp4 · 1280×720 · 200 s" in page and "✓ Sandbox" in page
    assert "<i onmouseover" not in page and "&lt;i onmouseover=x&gt;reel.mp4" in page
    assert client.get(source)["Content-Type"] == "video/mp4"


def test_the_clip_plays_in_a_browser_that_asks_for_byte_ranges(signed_in, editor, channel):
    client = signed_in(editor)
    clip = mp4_bytes(seconds=20)
    client.post(MEDIA, {"files": [upload(clip, "reel.mp4")]})
    source = reverse("media-file", args=["coffee", MediaAsset.objects.get().pk])

    whole = client.get(source)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == clip

    # Safari first asks for two bytes, then seeks to the middle, then to the end.
    probe = client.get(source, HTTP_RANGE="bytes=0-1")
    assert probe.status_code == 206 and probe["Content-Range"] == f"bytes 0-1/{len(clip)}"
    assert b"".join(probe.streaming_content) == clip[:2] and probe["Content-Length"] == "2"
    middle = client.get(source, HTTP_RANGE=f"bytes={len(clip) // 2}-")
    assert b"".join(middle.streaming_content) == clip[len(clip) // 2:]
    tail = client.get(source, HTTP_RANGE="bytes=-100")
    assert tail["Content-Range"] == f"bytes {len(clip) - 100}-{len(clip) - 1}/{len(clip)}"
    assert b"".join(tail.streaming_content) == clip[-100:]

    past_the_end = client.get(source, HTTP_RANGE="bytes=10-999999999")
    assert past_the_end["Content-Range"] == f"bytes 10-{len(clip) - 1}/{len(clip)}"
    beyond = client.get(source, HTTP_RANGE=f"bytes={len(clip)}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(clip)}"
    several = client.get(source, HTTP_RANGE="bytes=0-1,5-9")  # not read: the whole file, as the RFC allows
    assert several.status_code == 200 and b"".join(several.streaming_content) == clip


def test_a_text_file_renamed_png_is_refused_with_a_message(signed_in, editor, workspace):
    fake = SimpleUploadedFile("invoice.png", b"Total: 100 RUB", content_type="image/png")
    page = signed_in(editor).post(MEDIA, {"files": [fake]}, follow=True).content.decode()
    assert "invoice.png is not an image or a video Chorus can read" in page
    assert not MediaAsset.objects.exists()


def test_html_in_an_uploaded_file_name_is_shown_as_text(signed_in, editor, workspace):
    client = signed_in(editor)
    client.post(MEDIA, {"files": [png_file('<img src=x onerror="alert(1)">.png')]})
    page = client.get(MEDIA).content.decode()
    assert '<img src=x onerror' not in page and "&lt;img src=x onerror" in page


def test_editor_tags_an_image_and_filters_by_the_tag(signed_in, editor, workspace):
    client = signed_in(editor)
    client.post(MEDIA, {"files": [png_file("latte.png")]})
    client.post(MEDIA, {"files": [png_file("beans.png")]})
    latte = MediaAsset.objects.get(original_name="latte.png")
    client.post(reverse("media-tags", args=["coffee", latte.pk]), {"add": "menu, autumn"})
    client.post(reverse("media-tags", args=["coffee", latte.pk]), {"remove": "autumn"})
    page = client.get(MEDIA, {"tag": "menu"}).content.decode()
    assert "latte.png" in page and "beans.png" not in page
    assert list(latte.tags.values_list("name", flat=True)) == ["menu"]


def test_media_of_one_workspace_is_not_served_to_another(signed_in, editor, workspace, other_workspace):
    signed_in(editor).post(MEDIA, {"files": [png_file()]})
    asset = MediaAsset.objects.get()
    stranger = signed_in(other_workspace.memberships.get().user)
    assert stranger.get(reverse("media-file", args=["tea", asset.pk])).status_code == 404


def test_editor_reads_a_notification_and_the_counter_drops(signed_in, editor, workspace):
    notify(workspace, Notification.Kind.POST_LATE, "A post to <b>VK</b> is 5 min late", link="/w/coffee/posts/")
    client = signed_in(editor)
    page = client.get(reverse("notifications", args=["coffee"])).content.decode()
    assert "&lt;b&gt;VK&lt;/b&gt;" in page and 'href="/w/coffee/posts/"' in page
    client.post(reverse("notifications", args=["coffee"]))
    assert not Notification.objects.filter(recipient=editor, read_at=None).exists()


def test_a_client_creates_an_api_token_and_sees_the_key_once(signed_in, team):
    client = signed_in(team["client"])
    page = client.post(reverse("tokens", args=["coffee"]), {"name": "Report script"}).content.decode()
    raw = page.split('user-select-all">')[1].split("<")[0]
    assert token_owner(raw).user == team["client"]
    again = client.get(reverse("tokens", args=["coffee"])).content.decode()
    assert raw not in again and "Report script" in again
    assert ApiToken.objects.count() == 1
