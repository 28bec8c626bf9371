"""NET-VK against its fake: the shared contract, then VK's own traps (guid, error codes, two keys, uploads)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from chorus.channels.services import connect_channel
from chorus.inbox import services as inbox
from chorus.inbox.ingestion import record_conversations
from chorus.networks import errors
from chorus.networks.base import Poll, Publication
from chorus.networks.tests.contract import TEXT, ConnectorContract
from chorus.networks.tests.fakes.vk import COMMUNITY_TOKEN, GROUP_ID, STATS, USER_TOKEN, FakeVk
from chorus.networks.vk import VkConnector, next_moscow_midnight

MOSCOW = ZoneInfo("Europe/Moscow")
CONFIG = {"group_id": str(GROUP_ID)}


@pytest.fixture
def api(serve):
    return serve(FakeVk())


def connect(owner, workspace, **credentials):
    return connect_channel(actor=owner, workspace=workspace, network="vk", name="Demo Coffee VK",
                           credentials=credentials, config=CONFIG)


@pytest.fixture
def channel(api, owner, workspace):
    return connect(owner, workspace, user_token=USER_TOKEN, community_token=COMMUNITY_TOKEN)


class TestVkContract(ConnectorContract):
    pass


# Connecting ---------------------------------------------------------------------------------------------------
def test_owner_connects_with_the_user_token_alone_and_sees_the_followers(api, owner, workspace):
    channel = connect(owner, workspace, user_token=USER_TOKEN)
    assert channel.credentials == {"user_token": USER_TOKEN} and channel.config == CONFIG
    assert channel.connector.account_counters().followers == 1520


def test_a_community_key_in_the_user_token_field_is_refused_at_connect(api, owner, workspace):
    """VK's trap: the community key cannot call wall.post, so it must not pass as the user token."""
    with pytest.raises(ValidationError, match="27"):
        connect(owner, workspace, user_token=COMMUNITY_TOKEN)


def test_a_token_without_the_wall_right_is_named_at_connect(api, owner, workspace):
    api.app_rights = 4 | 262144
    with pytest.raises(ValidationError, match="wall"):
        connect(owner, workspace, user_token=USER_TOKEN)


def test_a_token_without_the_media_and_stats_rights_connects_and_names_what_it_cannot_do(api, owner, workspace):
    api.app_rights = 8192 | 262144
    api.community_rights = ["messages"]
    channel = connect(owner, workspace, user_token=USER_TOKEN, community_token=COMMUNITY_TOKEN)
    health = channel.connector.check_health()
    assert health.ok and health.message == (
        "Cannot publish photos: the user token lacks the photos right. Cannot publish videos: the user token lacks "
        "the video right. Cannot count post reach: the user token lacks the stats right. Cannot have comments and "
        "messages pushed the moment they come (Callback API): the community key lacks the manage right.")


def test_a_user_who_is_not_an_admin_cannot_connect_the_community(api, owner, workspace):
    api.is_admin = False
    with pytest.raises(ValidationError):
        connect(owner, workspace, user_token=USER_TOKEN)


def test_a_community_key_without_the_messages_right_is_named_at_connect(api, owner, workspace):
    api.community_rights = ["manage"]
    with pytest.raises(ValidationError, match="messages"):
        connect(owner, workspace, user_token=USER_TOKEN, community_token=COMMUNITY_TOKEN)


def test_the_connect_form_says_which_key_each_feature_needs():
    fields = {f.name: f for f in VkConnector.connect_fields}
    assert fields["user_token"].secret and fields["community_token"].secret and not fields["group_id"].secret
    assert not fields["community_token"].required
    assert "wall" in str(fields["user_token"].help) and "messages" in str(fields["community_token"].help)


# Publishing ---------------------------------------------------------------------------------------------------
def test_a_post_goes_to_the_community_wall_with_guid_as_the_key(api, channel):
    remote = channel.connector.publish(Publication(TEXT), "job-41")
    [sent] = [r for r in api.requests if r.path == "/method/wall.post"]
    assert sent.form["owner_id"] == f"-{GROUP_ID}" and sent.form["from_group"] == "1"
    assert sent.form["guid"] == "job-41" and sent.form["v"] == "5.199"
    assert remote.url == f"https://vk.com/wall-{GROUP_ID}_{remote.remote_id.split('_')[1]}"


def test_images_are_uploaded_and_attached_to_the_post(api, channel, tmp_path):
    photos = []
    for name in ("beans.jpg", "cup.png"):
        photos.append(tmp_path / name)
        photos[-1].write_bytes(b"\xff\xd8 not really a jpeg")
    channel.connector.publish(Publication("Два снимка", media_paths=[str(p) for p in photos]), "job-photos")
    [post] = api.remote_posts()
    assert post["attachments"].count("photo") == 2 and len(api.photos) == 2


def test_a_poll_is_created_and_attached(api, channel):
    channel.connector.publish(Publication("Что заварить?", poll=Poll("Ваш выбор", ("Пуэр", "Улун"))), "job-poll")
    [poll] = api.polls.values()
    assert poll["answers"] == ["Пуэр", "Улун"]
    assert api.remote_posts()[0]["attachments"] == f"poll-{GROUP_ID}_{poll['id']}"


def test_the_lost_post_is_found_by_its_text_even_with_other_spacing(api, channel):
    since = datetime.now(UTC) - timedelta(seconds=5)
    remote = channel.connector.publish(Publication("Скидка  10%\nсегодня"), "job-spacing")
    assert channel.connector.find_published("job-spacing", "Скидка 10% сегодня", since).remote_id == remote.remote_id
    assert channel.connector.find_published("job-other", "Совсем другой текст", since) is None


def test_editing_a_deleted_post_says_not_found(api, channel):
    remote = channel.connector.publish(Publication(TEXT), "job-gone")
    channel.connector.delete(remote.remote_id)
    with pytest.raises(errors.RemoteNotFound):
        channel.connector.edit(remote.remote_id, Publication("новый текст"))


# Errors -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("code", "expected"), [
    (14, errors.CaptchaRequired), (5, errors.AuthExpired), (15, errors.PermissionMissing),
    (7, errors.PermissionMissing), (100, errors.ValidationRejected), (10, errors.Transient),
    (214, errors.ContentRejected),
])
def test_vk_error_codes_reach_the_scheduler_as_the_shared_errors(api, channel, code, expected):
    api.error_codes.append(code)
    with pytest.raises(expected) as raised:
        channel.connector.publish(Publication(TEXT), f"job-error-{code}")
    assert type(raised.value) is expected and api.remote_posts() == []


def test_captcha_is_left_to_a_human_and_never_retried(api, channel):
    api.error_codes.append(14)
    with pytest.raises(errors.CaptchaRequired) as raised:
        channel.connector.publish(Publication(TEXT), "job-captcha")
    assert not raised.value.retryable


def test_too_many_requests_per_second_waits_a_second_on_this_channel(api, channel):
    api.error_codes.append(6)
    with pytest.raises(errors.RateLimited) as limited:
        channel.connector.publish(Publication(TEXT), "job-6")
    assert limited.value.scope == "channel"
    assert limited.value.retry_at <= datetime.now(UTC) + timedelta(seconds=2)


def test_flood_control_waits_long(api, channel):
    api.error_codes.append(9)
    with pytest.raises(errors.RateLimited) as limited:
        channel.connector.publish(Publication(TEXT), "job-9")
    assert limited.value.scope == "channel" and limited.value.retry_at > datetime.now(UTC) + timedelta(minutes=30)


def test_the_daily_limit_stops_the_whole_app_until_the_next_moscow_day(api, channel):
    api.error_codes.append(29)
    with pytest.raises(errors.RateLimited) as limited:
        channel.connector.publish(Publication(TEXT), "job-29")
    assert limited.value.scope == "app" and limited.value.retry_at == next_moscow_midnight(datetime.now(UTC))


def test_next_moscow_midnight_is_21_utc():
    assert next_moscow_midnight(datetime(2026, 3, 1, 22, 30, tzinfo=UTC)) == datetime(2026, 3, 2, 21, tzinfo=UTC)


def test_tokens_never_appear_in_error_reasons(api, channel):
    api.error_codes.append(5)
    with pytest.raises(errors.AuthExpired) as raised:
        channel.connector.publish(Publication(TEXT), "job-secret")
    assert USER_TOKEN not in raised.value.reason and COMMUNITY_TOKEN not in raised.value.reason


# Counters, comments, messages, competitors -------------------------------------------------------------------
def test_counters_come_from_wall_get_by_id(api, channel):
    remote = channel.connector.publish(Publication(TEXT), "job-views")
    post = api.walls[-GROUP_ID][int(remote.remote_id.split("_")[1])]
    post.update(views=310, likes=12, reposts=3)
    api.add_comment(remote.remote_id, "Max", "Отлично!")
    [counters] = channel.connector.fetch_counters([remote.remote_id])
    assert (counters.views, counters.likes, counters.reposts, counters.comments) == (310, 12, 3, 1)


def test_a_reply_in_a_comment_thread_arrives_with_its_parent_and_our_answers_do_not(api, channel):
    remote = channel.connector.publish(Publication(TEXT), "job-thread")
    first = api.add_comment(remote.remote_id, "Max", "Есть без кофеина?")
    page = channel.connector.conversations("")
    [question] = page.items
    channel.connector.reply(question, "Да, колумбийский декаф.", "reply-decaf")
    api.add_comment(remote.remote_id, "Max", "Спасибо!", reply_to=int(first))
    [thanks] = channel.connector.conversations(page.cursor).items
    assert thanks.text == "Спасибо!" and thanks.parent_remote_id == first


def test_a_moderator_deletes_a_spam_comment_and_bans_its_author(api, channel):
    remote = channel.connector.publish(Publication(TEXT), "job-spam")
    api.add_comment(remote.remote_id, "Spammer", "Заработок без вложений")
    [spam] = channel.connector.conversations("").items
    channel.connector.moderate(spam, "delete")
    channel.connector.moderate(spam, "ban")
    assert api.comments == {} and int(spam.author_id) in api.banned


def test_a_ban_by_mistake_is_lifted_with_groups_unban_and_a_lost_admin_right_is_named(api, channel, owner):
    remote = channel.connector.publish(Publication(TEXT), "job-unban")
    api.add_comment(remote.remote_id, "Анна", "Где вы находитесь?")
    [item] = record_conversations(channel, channel.connector.conversations("").items)
    ban = inbox.moderate(actor=owner, item=item, action="ban")
    again = inbox.moderate(actor=owner, item=item, action="ban")
    api.is_admin = False
    with pytest.raises(ValidationError, match="VK error 15"):
        inbox.undo_moderation(actor=owner, action=ban)
    api.is_admin = True
    inbox.undo_moderation(actor=owner, action=ban)
    again.refresh_from_db()
    assert int(item.author.remote_id) not in api.banned and again.undone_at is not None
    assert VkConnector.capabilities.undo == ("ban",)  # VK has no hiding, and a delete is not taken back


def test_community_messages_arrive_once_and_are_answered_with_the_community_key(api, channel):
    api.add_message("Анна", "Можно заказать зёрна оптом?")
    page = channel.connector.conversations("")
    [message] = page.items
    assert message.kind == "message" and message.author_name == "Анна"
    answer = channel.connector.reply(message, "Да, напишите объём.", "reply-wholesale")
    assert channel.connector.reply(message, "Да, напишите объём.", "reply-wholesale") == answer
    assert channel.connector.conversations(page.cursor).items == []
    [sent] = [r for r in api.requests if r.path == "/method/messages.send"][:1]
    assert sent.headers["authorization"] == f"Bearer {COMMUNITY_TOKEN}"


def test_without_the_community_key_messages_are_not_read(api, owner, workspace):
    channel = connect(owner, workspace, user_token=USER_TOKEN)
    api.add_message("Анна", "Вы тут?")
    assert channel.connector.conversations("").items == []
    assert not [r for r in api.requests if r.path.startswith("/method/messages.")]


def test_a_competitor_page_is_read_by_its_screen_name(api, channel):
    page = channel.connector.public_page("https://vk.com/rival_tea")
    assert (page.name, page.followers, page.url) == ("Rival Tea", 8700, "https://vk.com/rival_tea")
    [post] = page.posts
    assert post.counters.views == 940 and post.counters.likes == 31 and post.counters.reach is None


# Reach: post statistics, for an admin's token with the stats right ----------------------------------------------
def test_reach_comes_from_the_post_statistics_beside_views_and_likes(api, channel):
    remote = channel.connector.publish(Publication(TEXT), "job-reach")
    post_id = int(remote.remote_id.rsplit("_", 1)[1])
    api.walls[-GROUP_ID][post_id].update(views=410, likes=12, reach_total=380, reach_subscribers=250)
    [counters] = channel.connector.fetch_counters([remote.remote_id])
    assert (counters.views, counters.likes, counters.reach) == (410, 12, 380)
    [asked] = [r for r in api.requests if r.path == "/method/stats.getPostReach"]
    assert asked.form["post_ids"] == str(post_id) and asked.form["owner_id"] == str(-GROUP_ID)


def test_a_token_without_the_stats_right_leaves_reach_missing_not_zero_and_the_counters_still_come(api, channel):
    remote = channel.connector.publish(Publication(TEXT), "job-no-stats")
    api.walls[-GROUP_ID][int(remote.remote_id.rsplit("_", 1)[1])].update(views=75, likes=4)
    api.app_rights &= ~STATS
    [counters] = channel.connector.fetch_counters([remote.remote_id])
    assert (counters.views, counters.likes, counters.reach) == (75, 4, None)


def test_reach_of_a_month_of_posts_is_asked_thirty_at_a_time(api, channel):
    posts = [api._post(-GROUP_ID, f"Пост {n}", views=100 + n) for n in range(31)]
    counters = channel.connector.fetch_counters([f"{-GROUP_ID}_{p['id']}" for p in posts])
    assert [c.reach for c in counters] == [100 + n for n in range(31)]
    assert len([r for r in api.requests if r.path == "/method/stats.getPostReach"]) == 2


# New and lost followers: the community's statistics for today --------------------------------------------------
def test_todays_joins_and_leaves_come_from_the_community_statistics(api, channel):
    api.activity_today.update(subscribed=14, unsubscribed=3)
    counters = channel.connector.account_counters()
    assert (counters.followers, counters.followers_gained, counters.followers_lost) == (1520, 14, 3)
    assert counters.followers_day == datetime.now(MOSCOW).date()
    [asked] = [r for r in api.requests if r.path == "/method/stats.get"]
    assert asked.form["group_id"] == str(GROUP_ID) and asked.form["interval"] == "day"


def test_a_quiet_day_is_zero_joins_but_a_token_without_the_stats_right_leaves_them_missing(api, channel):
    counters = channel.connector.account_counters()
    assert (counters.followers_gained, counters.followers_lost) == (0, 0)  # VK leaves zero counters out
    api.app_rights &= ~STATS
    counters = channel.connector.account_counters()
    assert (counters.followers, counters.followers_gained, counters.followers_lost) == (1520, None, None)


def test_the_composer_shows_the_show_more_cut():
    measure = VkConnector.measure("а" * 500)
    assert measure.preview_fold == VkConnector.capabilities.text.fold_at and not measure.problems


# First comment; edits keep what is attached --------------------------------------------------------------------
def test_a_first_comment_goes_under_the_post_from_the_community_with_its_own_guid(api, channel):
    remote = channel.connector.publish(Publication(TEXT, first_comment="Меню: https://example.com/menu"), "job-fc")
    [comment] = api.comments.values()
    assert (comment["from_id"], comment["text"]) == (-GROUP_ID, "Меню: https://example.com/menu")
    assert remote.parts == (remote.remote_id, str(comment["id"]))
    [sent] = [r for r in api.requests if r.path == "/method/wall.createComment"]
    assert sent.form["guid"] == "job-fc:1" and sent.form["from_group"] == str(GROUP_ID)
    again = channel.connector.publish(Publication(TEXT, first_comment="Меню: https://example.com/menu"), "job-fc")
    assert again.parts == remote.parts and len(api.comments) == 1  # both guids answer what VK already made


def test_editing_the_text_keeps_the_poll_with_its_votes_and_the_photo(api, channel, tmp_path):
    photo = tmp_path / "beans.jpg"
    photo.write_bytes(b"\xff\xd8 not really a jpeg")
    poll = Poll("Ваш выбор", ("Пуэр", "Улун"))
    remote = channel.connector.publish(Publication("Что заварить?", media_paths=[str(photo)], poll=poll), "job-e")
    [made] = api.polls.values()
    api.vote(made["id"], 37)
    attached = api.remote_posts()[0]["attachments"]
    channel.connector.edit(remote.remote_id, Publication("Что заварить в субботу?", media_paths=[str(photo)],
                                                         poll=poll))
    [post] = api.remote_posts()
    assert post["text"] == "Что заварить в субботу?" and post["attachments"] == attached
    assert list(api.polls) == [made["id"]] and api.polls[made["id"]]["votes"] == 37 and len(api.photos) == 1
    assert len([r for r in api.requests if r.path == "/method/polls.create"]) == 1


def test_deleting_the_post_takes_its_first_comment_with_it(api, channel):
    remote = channel.connector.publish(Publication(TEXT, first_comment="Меню"), "job-del")
    channel.connector.delete(remote.remote_id, parts=remote.parts)
    assert api.own_parts() == []
