"""An editor writes a post once, sees it per channel as it is typed, and schedules it in the workspace's time."""

import io
from datetime import UTC, datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from chorus.channels.services import set_queue_slots
from chorus.content.media import upload_media
from chorus.content.models import Post
from chorus.content.tests.clips import mp4_bytes, upload
from chorus.publishing import dispatcher, sender
from chorus.publishing.models import PublishJob, Status
from chorus.sandbox.models import SandboxPost

NEW = reverse("composer", args=["coffee"])


def test_editor_schedules_at_ten_moscow_time_and_the_job_waits_for_seven_utc(signed_in, editor, workspace, channel):
    client = signed_in(editor)
    assert "Europe/Moscow" in client.get(NEW).content.decode()
    response = client.post(NEW, {"text": "Осенний латте уже в меню", "channels": [channel.pk],
                                 "when": "2030-10-01T10:00", "intent": "schedule"})
    post = Post.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("post-detail", args=["coffee", post.pk])
    job = PublishJob.objects.get()
    assert job.due_at == datetime(2030, 10, 1, 7, 0, tzinfo=UTC)
    assert job.channel == channel


def test_a_post_over_the_limit_shows_the_problem_and_keeps_the_text(signed_in, editor, workspace, channel):
    client = signed_in(editor)
    too_long = "Кофе " * 1000
    response = client.post(NEW, {"text": too_long, "channels": [channel.pk], "when": "2030-10-01T10:00",
                                 "intent": "schedule"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "over the limit of 4000" in page
    assert too_long.strip() in page
    assert not Post.objects.exists() and not PublishJob.objects.exists()


def test_a_time_the_clocks_skip_is_refused_with_the_reason(signed_in, other_workspace):
    london_owner = other_workspace.memberships.get().user
    from chorus.channels.services import connect_channel

    tea = connect_channel(actor=london_owner, workspace=other_workspace, network="sandbox", name="Tea news")
    client = signed_in(london_owner)
    response = client.post(reverse("composer", args=["tea"]),
                           {"text": "Spring tea", "channels": [tea.pk], "when": "2030-03-31T01:30",
                            "intent": "schedule"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "does not exist" in page and "Spring tea" in page
    assert not PublishJob.objects.exists()


def test_a_repeated_time_is_scheduled_with_a_warning(signed_in, other_workspace):
    london_owner = other_workspace.memberships.get().user
    from chorus.channels.services import connect_channel

    tea = connect_channel(actor=london_owner, workspace=other_workspace, network="sandbox", name="Tea news")
    client = signed_in(london_owner)
    response = client.post(reverse("composer", args=["tea"]),
                           {"text": "Autumn tea", "channels": [tea.pk], "when": "2030-10-27T01:30",
                            "intent": "schedule"}, follow=True)
    assert "happens twice" in response.content.decode()
    assert PublishJob.objects.get().due_at == datetime(2030, 10, 27, 0, 30, tzinfo=UTC)


def test_live_check_counts_per_channel_and_cuts_the_preview_at_show_more(signed_in, editor, channel, second_channel):
    client = signed_in(editor)
    text = "а" * 300
    response = client.post(reverse("composer-check", args=["coffee"]),
                           {"text": text, "channels": [channel.pk, second_channel.pk],
                            f"variant-{second_channel.pk}": "Коротко"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "300 / 4000" in page and "7 / 4000" in page
    assert "а" * 280 + "<span class=\"preview-fold\">" in page


def test_saving_a_draft_keeps_variant_text_and_schedules_nothing(signed_in, editor, channel, second_channel):
    client = signed_in(editor)
    client.post(NEW, {"text": "Общий текст", "channels": [channel.pk, second_channel.pk],
                      f"variant-{second_channel.pk}": "Только для TG", "intent": "draft"})
    post = Post.objects.get()
    assert post.variants.get(channel=second_channel).text == "Только для TG"
    assert not PublishJob.objects.exists()
    edit = client.get(reverse("post-edit", args=["coffee", post.pk])).content.decode()
    assert "Только для TG" in edit and "Общий текст" in edit


def test_add_to_queue_takes_the_next_free_slot(signed_in, editor, channel):
    from datetime import time

    set_queue_slots(actor=editor, channel=channel, slots=[(d, time(9, 0)) for d in range(7)])
    client = signed_in(editor)
    client.post(NEW, {"text": "В очередь", "channels": [channel.pk], "intent": "queue"})
    job = PublishJob.objects.get()
    assert job.due_at.astimezone(UTC).time().hour == 6  # 09:00 in Moscow


def test_add_to_queue_without_slots_keeps_the_text_and_says_why(signed_in, editor, channel):
    client = signed_in(editor)
    response = client.post(NEW, {"text": "Без слотов", "channels": [channel.pk], "intent": "queue"})
    assert response.status_code == 422
    page = response.content.decode()
    assert "no queue slots" in page and "Без слотов" in page
    assert not Post.objects.exists()


def test_client_may_read_posts_but_not_open_the_composer(signed_in, team, channel):
    client = signed_in(team["client"])
    assert client.get(NEW).status_code == 403
    assert client.get(reverse("posts", args=["coffee"])).status_code == 200


def test_russian_speaking_editor_sees_the_composer_in_russian(signed_in, editor, channel):
    client = signed_in(editor, language="ru")
    page = client.get(NEW).content.decode()
    assert "Новый пост" in page and "Запланировать" in page


def library_image(person, workspace, name="latte-art.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), "peru").save(buffer, "PNG")
    return upload_media(actor=person, workspace=workspace,
                        uploaded_file=SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png"))


def test_editor_picks_a_library_video_sees_it_in_the_composer_and_a_too_long_clip_is_refused_live(
        signed_in, editor, workspace, channel):
    clip = upload_media(actor=editor, workspace=workspace, uploaded_file=upload(mp4_bytes(seconds=700), "talk.mp4"))
    client = signed_in(editor)
    page = client.get(NEW).content.decode()
    assert f'<video class="thumb rounded" src="{reverse("media-file", args=["coffee", clip.pk])}"' in page
    assert f'name="media" value="{clip.pk}"' in page
    response = client.post(NEW, {"text": "Доклад о кофе", "channels": [channel.pk], "media": [clip.pk],
                                 "intent": "now"})
    assert "Sandbox takes videos up to 600 s; talk.mp4 is 700 s." in response.content.decode()
    assert not PublishJob.objects.exists()


def test_editor_attaches_a_library_image_and_the_sandbox_post_carries_it(signed_in, editor, workspace, channel):
    latte = library_image(editor, workspace)
    client = signed_in(editor)
    assert f'name="media" value="{latte.pk}"' in client.get(NEW).content.decode()
    response = client.post(NEW, {"text": "Латте-арт по субботам", "channels": [channel.pk], "media": [latte.pk],
                                 "intent": "now"})
    assert response.status_code == 302
    for job_id in dispatcher.claim_due("test-worker"):
        sender.send(job_id, "test-worker")
    job = PublishJob.objects.get()
    assert job.status == Status.PUBLISHED
    assert SandboxPost.objects.get(remote_id=job.remote_id).media_count == 1


def test_an_image_from_another_workspace_is_refused_and_the_text_kept(signed_in, editor, channel, other_workspace):
    tea_image = library_image(other_workspace.memberships.get().user, other_workspace, name="tea.png")
    response = signed_in(editor).post(NEW, {"text": "Чужая картинка", "channels": [channel.pk],
                                            "media": [tea_image.pk], "intent": "now"})
    page = response.content.decode()
    assert response.status_code == 422
    assert f"Unknown media: {tea_image.pk}" in page and "Чужая картинка" in page
    assert "tea.png" not in page
    assert not Post.objects.exists() and not PublishJob.objects.exists()
