"""NET-TG against a fake Bot API: the shared contract, then what only Telegram has (HTML mode, captions, albums,
polls, the admin check, the 48-hour delete limit, comments in the discussion group)."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import httpx
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from chorus.channels.services import connect_channel
from chorus.content.services import create_and_schedule
from chorus.content.tests.clips import mp4_bytes
from chorus.inbox import services as inbox
from chorus.inbox.ingestion import record_conversations
from chorus.networks import errors, telegram_preview
from chorus.networks.base import MediaFacts, Poll, Publication
from chorus.networks.telegram import TelegramConnector
from chorus.networks.tests.contract import TEXT, ConnectorContract
from chorus.networks.tests.fakes.telegram import CHANNEL, GROUP, TOKEN, FakeTelegram
from chorus.networks.tests.fakes.telegram_web import START, FakeTelegramWeb
from chorus.publishing import dispatcher, reconciler, sender, services
from chorus.publishing.models import Status


@pytest.fixture
def web(serve):
    return serve(FakeTelegramWeb())


@pytest.fixture
def api(serve, web):
    return serve(FakeTelegram())


def connect(owner, workspace, token=TOKEN, chat="@demo_coffee"):
    return connect_channel(actor=owner, workspace=workspace, network="telegram", name="Demo Coffee",
                           credentials={"token": token}, config={"chat": chat})


@pytest.fixture
def channel(api, owner, workspace):
    return connect(owner, workspace)


class TestTelegramContract(ConnectorContract):
    pass


def photos(tmp_path, count: int) -> list[str]:
    paths = []
    for n in range(count):
        path = tmp_path / f"beans-{n}.jpg"
        path.write_bytes(b"\xff\xd8\xff\xe0 a small jpeg " + bytes([n]))
        paths.append(str(path))
    return paths


def facts(count: int) -> list[MediaFacts]:
    return [MediaFacts("image/jpeg", 20_000, 1080, 1080, f"beans-{n}.jpg") for n in range(count)]


# Connecting: the bot must be an admin allowed to post ------------------------------------------------------------
def test_olga_cannot_connect_a_channel_where_the_bot_is_not_an_admin(api, owner, workspace):
    api.member = {"user": {"id": 123456}, "status": "member"}
    with pytest.raises(ValidationError, match="not an administrator"):
        connect(owner, workspace)


def test_a_mistyped_token_is_refused_without_echoing_it(api, owner, workspace):
    with pytest.raises(ValidationError) as refused:
        connect(owner, workspace, token="123456:wrong-secret")
    assert "bot token" in str(refused.value) and "wrong-secret" not in str(refused.value)


def test_an_unknown_channel_is_named_in_the_refusal(api, owner, workspace):
    with pytest.raises(ValidationError, match="@no_such_channel"):
        connect(owner, workspace, chat="@no_such_channel")


def test_a_bot_that_may_post_but_not_delete_connects_with_a_warning(api, channel):
    api.member = {**api.member, "can_delete_messages": False}
    health = channel.connector.check_health()
    assert health.ok and "delete" in health.message and health.followers == 1520


def test_a_private_channel_by_numeric_id_gets_a_t_me_c_link(api, owner, workspace):
    channel = connect(owner, workspace, chat=str(CHANNEL["id"]))
    remote = channel.connector.publish(Publication(TEXT), "key")
    assert remote.url == f"https://t.me/demo_coffee/{remote.remote_id}"  # the fake channel has a username
    assert TelegramConnector._url({"message_id": 7, "chat": {"id": -1005550001}}) == "https://t.me/c/5550001/7"


# Text: HTML mode, counted on what a reader sees ------------------------------------------------------------------
def test_formatting_goes_out_and_stray_brackets_and_ampersands_stay_as_written(api, channel):
    channel.connector.publish(Publication("<b>Скидки</b> на R&D-зёрна: цена < 300 ₽ <3"), "key")
    assert api.remote_posts()[0]["text"] == "Скидки на R&D-зёрна: цена < 300 ₽ <3"


def test_the_composer_counts_the_visible_text_not_the_markup():
    exact = TelegramConnector.measure("<b>" + "я" * 4096 + "</b>")
    assert (exact.length, exact.limit, exact.problems) == (4096, 4096, [])
    over = TelegramConnector.measure("<i>" + "я" * 4097 + "</i>")
    assert [p.code for p in over.problems] == ["too_long"]
    assert TelegramConnector.measure("R&D <3 <not-a-tag>").length == len("R&D <3 <not-a-tag>")  # sent as written


def test_a_caption_under_photos_is_held_to_1024_characters():
    assert TelegramConnector.capabilities.caption.limit == 1024
    long_caption = Publication("☕" * 1025, media=facts(1))
    [problem] = TelegramConnector.validate(long_caption)
    assert (problem.code, problem.start, problem.end) == ("too_long", 1024, 1025)
    assert TelegramConnector.validate(Publication("☕" * 1025)) == []


def test_telegram_refusing_a_long_message_is_a_definite_validation_failure(api, channel):
    with pytest.raises(errors.ValidationRejected, match="too long"):
        channel.connector.publish(Publication("я" * 4097), "key")
    assert api.remote_posts() == []


# Photos, albums, polls -------------------------------------------------------------------------------------------
def test_one_photo_goes_out_with_its_caption(api, channel, tmp_path):
    remote = channel.connector.publish(Publication("Новый лот", media=facts(1), media_paths=photos(tmp_path, 1)),
                                       "key")
    [post] = api.remote_posts()
    assert post == {"remote_id": remote.remote_id, "text": "Новый лот"}


def test_a_photo_and_a_video_go_out_as_one_album_and_the_video_says_its_size_and_length(api, channel, tmp_path):
    clip = tmp_path / "pour-over.mp4"
    clip.write_bytes(mp4_bytes(seconds=12.4))
    video = MediaFacts("video/mp4", clip.stat().st_size, 1280, 720, "pour-over.mp4", 12.4)
    remote = channel.connector.publish(Publication("Как мы варим", media=[*facts(1), video],
                                                   media_paths=[*photos(tmp_path, 1), str(clip)]), "key")
    first, second = (api.messages[(CHANNEL["id"], int(m))] for m in remote.remote_id.split(","))
    assert first["media_group_id"] == second["media_group_id"] and "photo" in first
    assert {k: second["video"][k] for k in ("width", "height", "duration")} == {"width": 1280, "height": 720,
                                                                               "duration": 12}
    assert api.posted_videos() == [clip.read_bytes()] and first["caption"] == "Как мы варим"


def test_a_lone_video_goes_by_send_video_and_a_file_over_the_bots_50_mb_never_posts(api, channel, tmp_path):
    clip = tmp_path / "reel.mp4"
    clip.write_bytes(mp4_bytes())
    video = MediaFacts("video/mp4", clip.stat().st_size, 720, 1280, "reel.mp4", 12.5)
    channel.connector.publish(Publication("Рилс", media=[video], media_paths=[str(clip)]), "key")
    assert [r.path.rsplit("/", 1)[-1] for r in api.requests][-1] == "sendVideo"
    with clip.open("r+b") as grown:  # the library refuses it first; a bot upload of this size is refused too
        grown.truncate(51 * 2**20)
    with pytest.raises(errors.NetworkError, match="Request Entity Too Large"):
        channel.connector.publish(Publication("Рилс 2", media=[video], media_paths=[str(clip)]), "key-2")
    assert len(api.remote_posts()) == 1


def test_an_album_of_three_is_one_post_and_is_deleted_whole(api, channel, tmp_path):
    album = Publication("Три сорта недели", media=facts(3), media_paths=photos(tmp_path, 3))
    remote = channel.connector.publish(album, "key")
    assert len(remote.remote_id.split(",")) == 3
    assert [p["text"] for p in api.remote_posts()] == ["Три сорта недели", "", ""]
    channel.connector.edit(remote.remote_id, Publication("Три сорта недели — успейте", media=facts(3)))
    assert api.remote_posts()[0]["text"] == "Три сорта недели — успейте"
    channel.connector.delete(remote.remote_id)
    assert api.remote_posts() == []


def test_a_poll_follows_its_text(api, channel):
    poll = Poll("Какой сорт взять?", ("Эфиопия", "Колумбия", "Кения"))
    remote = channel.connector.publish(Publication("Голосуем за кофе недели", poll=poll), "key")
    assert [p["text"] for p in api.remote_posts()] == ["Голосуем за кофе недели", "Какой сорт взять?"]
    assert len(remote.remote_id.split(",")) == 2


def test_a_poll_with_one_option_is_caught_before_sending():
    problems = TelegramConnector.validate(Publication("", poll=Poll("Да?", ("Да",))))
    assert [p.code for p in problems] == ["poll"]


def test_a_poll_that_fails_after_its_text_went_out_is_reported_with_the_text_made(api, channel):
    api.fail_next("pass", "rate_limit")  # the text passes, the poll is rate-limited
    with pytest.raises(errors.PartialPublication, match="^part 2 of 2 did not go out: Telegram asks to wait") as sent:
        channel.connector.publish(Publication("Голосуем", poll=Poll("Сорт?", ("А", "Б"))), "key")
    assert [p["text"] for p in api.remote_posts()] == ["Голосуем"]
    assert sent.value.made == ("101",) and sent.value.post.url == "https://t.me/demo_coffee/101"
    assert isinstance(sent.value.cause, errors.RateLimited)


def test_a_poll_rate_limited_after_its_text_waits_for_olga_and_her_retry_sends_only_the_poll(
        api, channel, owner, workspace):
    """The auditor's story: before, the job ended published with the poll never sent and nobody told."""
    _post, [job] = create_and_schedule(actor=owner, workspace=workspace, text="Голосуем", channel_ids=[channel.pk],
                                       variant_extras={channel.pk: {"poll": {"question": "Сорт?",
                                                                             "options": ["А", "Б"]}}},
                                       due_at=timezone.now())
    api.fail_next("pass", "rate_limit")
    for job_id in dispatcher.claim_due("tg-worker"):
        sender.send(job_id, "tg-worker")
    reconciler.reconcile(timezone.now() + timedelta(seconds=1))
    job.refresh_from_db()
    assert job.status == Status.NEEDS_REVIEW
    assert (job.remote_id, job.remote_url, job.parts_out) == ("101", "https://t.me/demo_coffee/101", ["101"])
    assert job.last_error.startswith("part 2 of 2 did not go out: Telegram asks to wait 7 s")
    assert "Retry sends what is missing, from part 2 on" in job.last_error
    assert job in services.needing_attention(owner, workspace)

    services.retry(actor=owner, job=job)
    with time_machine.travel(timezone.now() + timedelta(seconds=8), tick=True):  # after Telegram's retry_after
        for job_id in dispatcher.claim_due("tg-worker"):
            sender.send(job_id, "tg-worker")
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED and job.remote_id == "101,102" and job.parts_out == ["101", "102"]
    assert [p["text"] for p in api.remote_posts()] == ["Голосуем", "Сорт?"]  # the text once, the poll once


def test_a_bad_gateway_after_telegram_made_the_post_is_read_back_never_sent_again(api, channel, owner, workspace):
    """Before, a 502 on sendMessage was transient: the outbox sent the post again and it went out twice."""
    _post, [job] = create_and_schedule(actor=owner, workspace=workspace, text=TEXT, channel_ids=[channel.pk],
                                       due_at=timezone.now())
    api.fail_next("error_after")
    for job_id in dispatcher.claim_due("tg-worker"):
        sender.send(job_id, "tg-worker")
    job.refresh_from_db()
    assert job.status == Status.UNKNOWN and "Telegram is unavailable" in job.last_error
    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=True):  # past every backoff
        reconciler.reconcile()
        assert dispatcher.claim_due("tg-worker") == []
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED and [p["remote_id"] for p in api.remote_posts()] == [job.remote_id]


@pytest.mark.parametrize("answer", [httpx.Response(502, json={"ok": False, "error_code": 502,
                                                              "description": "Bad Gateway"}),
                                    httpx.Response(200, content=b"<html>cut")])
def test_a_server_error_or_an_unreadable_answer_is_ambiguous_on_a_send_and_transient_on_a_read(channel, answer):
    connector = channel.connector
    with mock.patch("chorus.networks.telegram.call", return_value=answer):
        with pytest.raises(errors.AmbiguousOutcome):
            connector._call("sendMessage", changes_state=True, chat_id="@demo_coffee", text="Привет")
        with pytest.raises(errors.Transient):
            connector._call("getChat", chat_id="@demo_coffee")


# Edit and delete -----------------------------------------------------------------------------------------------
def test_saving_an_edit_with_the_same_text_is_not_an_error(api, channel):
    remote = channel.connector.publish(Publication(TEXT), "key")
    channel.connector.edit(remote.remote_id, Publication(TEXT))
    assert api.remote_posts()[0]["text"] == TEXT


def test_a_post_older_than_48_hours_cannot_be_deleted_by_a_bot_without_the_right(api, channel):
    remote = channel.connector.publish(Publication(TEXT), "key")
    api.member = {**api.member, "can_delete_messages": False}
    api.age(int(remote.remote_id), hours=49)
    with pytest.raises(errors.ValidationRejected, match="48 hours"):
        channel.connector.delete(remote.remote_id)
    assert len(api.remote_posts()) == 1


def test_deleting_a_post_someone_already_removed_says_not_found(api, channel):
    with pytest.raises(errors.RemoteNotFound):
        channel.connector.delete("424242")


# Errors ----------------------------------------------------------------------------------------------------------
def test_a_rate_limit_carries_telegrams_retry_after(api, channel):
    api.fail_next("rate_limit")
    before = datetime.now(UTC)
    with pytest.raises(errors.RateLimited) as limited:
        channel.connector.publish(Publication(TEXT), "key")
    assert before + timedelta(seconds=6) < limited.value.retry_at <= datetime.now(UTC) + timedelta(seconds=7)


def test_a_bot_removed_from_the_channel_is_a_missing_permission(api, channel):
    api.member = {**api.member, "status": "left"}
    with pytest.raises(errors.PermissionMissing, match="removed"):
        channel.connector.publish(Publication(TEXT), "key")
    assert not channel.connector.check_health().ok


def test_a_bot_demoted_to_no_post_right_is_a_missing_permission(api, channel):
    api.member = {**api.member, "can_post_messages": False}
    with pytest.raises(errors.PermissionMissing):
        channel.connector.publish(Publication(TEXT), "key")


def test_a_channel_that_no_longer_exists_is_not_found(api, channel):
    channel.config["chat"] = "@renamed_away"
    with pytest.raises(errors.RemoteNotFound, match="chat not found"):
        channel.connector.publish(Publication(TEXT), "key")


def test_a_revoked_token_is_auth_expired_on_every_call(api, channel):
    api.token = "123456:a-new-token"
    with pytest.raises(errors.AuthExpired):
        channel.connector.account_counters()


# Reading back: the bot sees its posts only as their forwards into the discussion group ----------------------------
def test_an_interrupted_post_is_found_through_the_discussion_group(api, channel):
    since = datetime.now(UTC) - timedelta(seconds=5)
    api.fail_next("hang_up")
    with pytest.raises(errors.AmbiguousOutcome):
        channel.connector.publish(Publication("<b>Открылись</b> в 8:00"), "key")
    found = channel.connector.find_published("key", "<b>Открылись</b> в 8:00", since)
    assert found.remote_id == api.remote_posts()[0]["remote_id"]
    assert found.url == f"https://t.me/demo_coffee/{found.remote_id}"


def test_a_post_from_before_the_send_or_with_other_text_is_not_taken_for_it(api, channel):
    api.post_as_person("Открылись в 8:00")
    later = datetime.now(UTC) + timedelta(seconds=2)
    assert channel.connector.find_published("key", "Открылись в 8:00", later) is None
    assert channel.connector.find_published("key", "Закрылись", datetime.now(UTC) - timedelta(minutes=1)) is None


def test_a_post_made_by_a_person_is_seen_as_a_channel_post(api, channel):
    api.linked = False
    post = api.post_as_person("Сегодня без выпечки")
    found = channel.connector.find_published("key", "Сегодня без выпечки", datetime.now(UTC) - timedelta(minutes=1))
    assert found.remote_id == str(post["message_id"])


def test_without_a_discussion_group_an_interrupted_post_goes_to_a_person(api, channel, owner, workspace, settings):
    api.linked = False
    _post, [job] = create_and_schedule(actor=owner, workspace=workspace, text=TEXT, channel_ids=[channel.pk],
                                       due_at=timezone.now())
    api.fail_next("hang_up")
    for job_id in dispatcher.claim_due("tg-worker"):
        sender.send(job_id, "tg-worker")
    reconciler.reconcile(timezone.now() + timedelta(seconds=settings.CHORUS_UNKNOWN_GRACE + 1))
    job.refresh_from_db()
    assert job.status == Status.NEEDS_REVIEW and len(api.remote_posts()) == 1


# Counters -------------------------------------------------------------------------------------------------------
def test_subscribers_are_the_only_counter_the_bot_api_gives(api, channel):
    assert channel.connector.account_counters().followers == 1520
    assert TelegramConnector.capabilities.metrics == ()


# Comments in the discussion group ---------------------------------------------------------------------------------
def test_olga_answers_a_comment_and_a_reply_to_a_comment_is_told_apart(api, channel):
    remote = channel.connector.publish(Publication(TEXT), "key")
    comment_id = api.add_comment(remote.remote_id, "Max", "Есть без кофеина?")
    [comment] = channel.connector.conversations("").items
    answer_id = channel.connector.reply(comment, "Да, колумбийский декаф", "reply-key")
    answer = api.messages[(GROUP["id"], int(answer_id))]
    assert answer["reply_to_message"]["message_id"] == int(comment_id) and answer["text"] == "Да, колумбийский декаф"
    assert comment.kind == "comment" and comment.post_remote_id == remote.remote_id


def test_a_spammer_is_deleted_and_banned_from_the_discussion_group(api, channel):
    remote = channel.connector.publish(Publication(TEXT), "key")
    api.add_comment(remote.remote_id, "Spam Bot", "Заработок без вложений")
    [spam] = channel.connector.conversations("").items
    channel.connector.moderate(spam, "delete")
    channel.connector.moderate(spam, "ban")
    assert (GROUP["id"], int(spam.remote_id)) not in api.messages and int(spam.author_id) in api.banned


def test_a_ban_is_lifted_in_the_discussion_group_but_a_delete_stays(api, channel, owner):
    remote = channel.connector.publish(Publication(TEXT), "key")
    api.add_comment(remote.remote_id, "Max", "Это не спам, честно")
    [item] = record_conversations(channel, channel.connector.conversations("").items)
    delete = inbox.moderate(actor=owner, item=item, action="delete")
    ban = inbox.moderate(actor=owner, item=item, action="ban")
    inbox.undo_moderation(actor=owner, action=ban)
    assert int(item.author.remote_id) not in api.banned | api.kicked  # only_if_banned: a member is not kicked out
    with pytest.raises(ValidationError, match="cannot be brought back"):
        inbox.undo_moderation(actor=owner, action=delete)
    assert TelegramConnector.capabilities.undo == ("ban",)  # nothing is ever hidden in a Telegram group


def test_a_bot_without_the_ban_right_is_told_why_the_unban_failed(api, channel, owner):
    remote = channel.connector.publish(Publication(TEXT), "key")
    api.add_comment(remote.remote_id, "Max", "Спам")
    [item] = record_conversations(channel, channel.connector.conversations("").items)
    ban = inbox.moderate(actor=owner, item=item, action="ban")
    api.may_restrict = False
    with pytest.raises(ValidationError, match="lacks a right"):
        inbox.undo_moderation(actor=owner, action=ban)
    assert int(item.author.remote_id) in api.banned


def test_a_channel_without_a_discussion_group_has_no_comments_to_list(api, channel):
    api.linked = False
    assert channel.connector.conversations("").items == []


def test_a_webhook_set_elsewhere_is_explained(api, channel):
    api.webhook = True
    with pytest.raises(errors.PermissionMissing, match="webhook"):
        channel.connector.conversations("")


def test_the_composer_shows_the_caption_limit_when_a_photo_is_attached(channel, editor, workspace, settings,
                                                                       tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from chorus.content.media import upload_media
    from chorus.content.services import check_text

    settings.MEDIA_ROOT = tmp_path
    png = io.BytesIO()
    Image.new("RGB", (40, 30)).save(png, "PNG")
    photo = upload_media(actor=editor, workspace=workspace,
                         uploaded_file=SimpleUploadedFile("cover.png", png.getvalue(), content_type="image/png"))
    text = "Подпись " * 150  # 1,200 characters: fine as a message, too long under a photo
    assert check_text(channel, text).ok
    assert not check_text(channel, text, [photo]).ok


# First comment: a reply to the post's copy in the discussion group ------------------------------------------------
def test_a_first_comment_answers_the_posts_copy_in_the_discussion_group(api, channel):
    remote = channel.connector.publish(Publication("Новый сорт", first_comment="Меню: https://example.com/menu"),
                                       "first-comment")
    [comment] = api.comments_under(remote.remote_id)
    assert comment["text"] == "Меню: https://example.com/menu" and comment["from"]["is_bot"]
    assert remote.remote_id == "101" and remote.parts == ("101", f"{GROUP['id']}:{comment['message_id']}")
    assert [p["text"] for p in api.remote_posts()] == ["Новый сорт"]  # the comment is not a channel post


def test_a_post_with_a_poll_and_a_first_comment_is_three_parts_and_deleted_whole(api, channel):
    poll = Poll("Какой сорт взять?", ("Эфиопия", "Кения"))
    publication = Publication("Голосуем", poll=poll, first_comment="Итоги в пятницу")
    assert TelegramConnector.part_count(publication) == 3
    remote = channel.connector.publish(publication, "poll-and-comment")
    assert remote.remote_id == "101,102" and len(remote.parts) == 3
    channel.connector.delete(remote.remote_id, parts=remote.parts)
    assert api.own_parts() == []


def test_without_a_discussion_group_a_first_comment_is_refused_before_anything_goes_out(api, channel):
    api.linked = False
    with pytest.raises(errors.ValidationRejected, match="discussion group"):
        channel.connector.publish(Publication("Новый сорт", first_comment="Меню"), "no-group")
    assert api.remote_posts() == []


def test_a_copy_telegram_has_not_made_yet_leaves_the_comment_out_and_the_retry_sends_only_it(api, channel):
    api.forwards_late = True
    with mock.patch("chorus.networks.telegram.time.sleep") as slept, \
            pytest.raises(errors.PartialPublication) as partial:
        channel.connector.publish(Publication("Новый сорт", first_comment="Меню"), "late-copy")
    assert partial.value.made == ("101",) and isinstance(partial.value.cause, errors.Transient)
    assert slept.call_count == 4 and api.comments_under("101") == []
    api.forwards_late = False
    api._forward(api.messages[(CHANNEL["id"], 101)])  # Telegram makes the copy after all
    remote = channel.connector.publish(Publication("Новый сорт", first_comment="Меню"), "late-copy",
                                       already=partial.value.made)
    assert [m["text"] for m in api.comments_under("101")] == ["Меню"] and len(remote.parts) == 2
    assert [p["text"] for p in api.remote_posts()] == ["Новый сорт"]


# Competitors: a public channel read from its web preview (t.me/s/<channel>) ---------------------------------------
def test_a_competitors_channel_is_read_from_its_public_preview_with_rounded_counts(web, channel):
    page = channel.connector.public_page("https://t.me/rival_tea")
    assert (page.handle, page.name, page.url) == ("rival_tea", "Rival Tea & Co", "https://t.me/rival_tea")
    assert page.followers == 12_500 and page.rounded  # 12,480 subscribers, which Telegram shows as "12.5K"
    assert [(p.remote_id, p.text, p.counters.views) for p in page.posts] == [
        ("3", "Улун недели №3", 3_400_000), ("2", "Улун недели №2", 1_200), ("1", "Улун недели №1", 812)]
    assert page.posts[0].url == "https://t.me/rival_tea/3" and page.posts[0].published_at == START + timedelta(hours=3)
    assert page.posts[0].counters.likes is None  # the preview shows views only


def test_a_preview_post_is_stored_as_its_text_without_markup_or_the_message_it_quotes(web, channel):
    web.add_post("rival_tea", '<b>Скидка</b> 20%<br/>на <a href="https://example.com/tea">улуны</a> &amp; пуэры '
                              '<i class="emoji" style="background-image:url(x)"><b>🍵</b></i><br/>'
                              "&lt;script&gt;alert(1)&lt;/script&gt;", views=None, reply_to="Старый пост про улун")
    [post] = channel.connector.public_page("@rival_tea", limit=1).posts
    assert post.text == "Скидка 20%\nна улуны & пуэры 🍵\n<script>alert(1)</script>"  # text, escaped when shown
    assert post.counters.views is None  # no views shown: missing, not 0


def test_more_posts_than_one_preview_page_are_read_page_by_page(web, channel):
    for n in range(4, 31):
        web.add_post("rival_tea", f"Пост {n}", views=n)
    page = channel.connector.public_page("t.me/s/rival_tea/30", limit=25)
    assert [p.remote_id for p in page.posts] == [str(n) for n in range(30, 5, -1)]
    asked = [r.query.get("before") for r in web.requests if r.path == "/s/rival_tea"]
    assert asked == [None, "11"]


@pytest.mark.parametrize("handle", ["@nobody_here", "rival_tea_chat"])
def test_a_missing_channel_or_a_group_has_no_public_page(web, channel, handle):
    with pytest.raises(errors.RemoteNotFound, match="private, a group, or no channel has this name"):
        channel.connector.public_page(handle)


def test_a_private_channels_invite_link_and_a_mistyped_name_are_told_apart(web, channel):
    with pytest.raises(errors.RemoteNotFound, match="private channel's invite link"):
        channel.connector.public_page("https://t.me/+AbCdEf123")
    with pytest.raises(errors.ValidationRejected, match="not a public Telegram channel"):
        channel.connector.public_page("кофе рядом")
    assert not [r for r in web.requests if r.path != "/s/rival_tea"]


def test_a_preview_page_is_fetched_through_the_outbound_guard_capped_in_size(web, channel, settings, monkeypatch):
    monkeypatch.setattr(telegram_preview, "PAGE_BYTES", 4_000)
    with pytest.raises(errors.ValidationRejected, match="larger than"):
        channel.connector.public_page("rival_tea")
    settings.CHORUS_OUTBOUND_ALLOWED_NETWORKS = []
    with pytest.raises(errors.ValidationRejected, match="internal address"):
        channel.connector.public_page("rival_tea")


@pytest.mark.parametrize("shown, count", [("812", 812), ("1.2K", 1_200), ("12.5K", 12_500), ("3.4M", 3_400_000),
                                          ("1,5K", 1_500), ("12 345", 12_345), ("views", None), ("", None)])
def test_counts_are_read_as_telegram_shows_them(shown, count):
    assert telegram_preview.shown_count(shown) == count
