"""Odnoklassniki: the shared contract against a fake api.ok.ru that checks every signature, plus OK's own stories."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from chorus.channels.services import connect_channel, split_connect_fields
from chorus.inbox import services as inbox
from chorus.inbox.ingestion import ingest_channel
from chorus.networks import errors
from chorus.networks.base import Poll, Publication
from chorus.networks.ok import OkConnector, SessionExpired, session_secret, signature
from chorus.networks.tests.contract import TEXT, ConnectorContract
from chorus.networks.tests.fakes import ok as fake
from chorus.networks.tests.fakes.ok import FakeOk, ok_error

# What Olga types into the connect form; the secrets land in the encrypted credentials, the rest in config.
CREDENTIALS, CONFIG = split_connect_fields("ok", {
    "group_id": fake.GROUP_ID, "application_id": "512000000001", "application_key": fake.APPLICATION_KEY,
    "application_secret_key": fake.APPLICATION_SECRET_KEY, "access_token": fake.ACCESS_TOKEN})


@pytest.fixture
def api(serve):
    return serve(FakeOk())


@pytest.fixture
def channel(api, owner, workspace):
    return connect_channel(actor=owner, workspace=workspace, network="ok", name="Demo Coffee в ОК",
                           external_id=fake.GROUP_ID, credentials=dict(CREDENTIALS), config=dict(CONFIG))


class TestOkContract(ConnectorContract):
    pass


def test_the_signature_matches_the_documented_example():
    # The worked example of OK's client-server scheme (as reproduced in aiookru's documentation).
    params = {"application_key": "ABCDEFGHIGKLMNOPK", "format": "json", "method": "events.get",
              "access_token": "never-signed"}
    assert signature(params, "ae5362b5b588cc7294c2414d71b74d5d") == "03a41413523ea8092507949d6e711963"
    assert session_secret("token", "SECRET") == "9ffbd0bcd77fdbfa7f6e911d4f9b7c5c"


def test_a_wrong_secret_key_is_refused_by_the_signature_check_when_olga_connects(api, owner, workspace):
    credentials = {**CREDENTIALS, "application_secret_key": "NOT-THE-SECRET"}
    with pytest.raises(ValidationError, match="104"):
        connect_channel(actor=owner, workspace=workspace, network="ok", name="ОК", credentials=credentials,
                        config=dict(CONFIG))
    assert len(api.requests) == 1


def test_olga_sees_the_group_members_on_connect_and_in_account_counters(channel):
    assert set(channel.credentials) == {"application_secret_key", "access_token"}
    assert channel.connector.check_health().followers == 1250
    assert channel.connector.account_counters().followers == 1250


def test_a_post_goes_out_as_a_group_theme_with_text_link_and_poll(api, channel):
    poll = Poll("Какой кофе попробовать?", ("Эфиопия", "Колумбия"))
    remote = channel.connector.publish(Publication(TEXT, poll=poll), "key-poll")
    [sent] = [r for r in api.requests if r.form.get("method") == "mediatopic.post"]
    assert sent.method == "POST" and sent.form["gid"] == fake.GROUP_ID and sent.form["type"] == "GROUP_THEME"
    assert json.loads(sent.form["attachment"])["media"] == [
        {"type": "text", "text": TEXT},
        {"type": "link", "url": "https://example.com/menu"},
        {"type": "poll", "question": "Какой кофе попробовать?", "answers": [{"text": "Эфиопия"}, {"text": "Колумбия"}],
         "options": "SingleChoice"},
    ]
    assert remote.url == f"https://ok.ru/group/{fake.GROUP_ID}/topic/{remote.remote_id}"


def test_two_photos_are_uploaded_and_posted_in_one_topic(api, channel, tmp_path):
    paths = []
    for name in ("latte.jpg", "beans.png"):
        (tmp_path / name).write_bytes(b"\x89PNG fake image " + name.encode())
        paths.append(str(tmp_path / name))
    remote = channel.connector.publish(Publication(TEXT, media_paths=paths), "key-photos")
    [photos] = [b for b in api.topics[remote.remote_id]["media"] if b["type"] == "photo"]
    assert len(photos["list"]) == 2 and all(p["id"].startswith("photo") for p in photos["list"])
    [sent] = [r for r in api.requests if r.form.get("method") == "mediatopic.post"]
    sent_photos = [block for block in json.loads(sent.form["attachment"])["media"] if block["type"] == "photo"]
    assert [item["id"][:4] for item in sent_photos[0]["list"]] == ["tok-", "tok-"]  # the upload's tokens


def test_editing_the_text_keeps_the_topics_poll_with_its_votes_and_its_photos(api, channel, tmp_path):
    (tmp_path / "latte.jpg").write_bytes(b"\x89PNG fake image")
    poll = Poll("Какой кофе попробовать?", ("Эфиопия", "Колумбия"))
    publication = Publication(TEXT, poll=poll, media_paths=[str(tmp_path / "latte.jpg")])
    remote = channel.connector.publish(publication, "key-edit-keeps")
    api.vote(remote.remote_id, 12)
    before = [b for b in api.topics[remote.remote_id]["media"] if b["type"] in ("photo", "poll")]
    channel.connector.edit(remote.remote_id, replace(publication, text="Новый текст без ссылки"))
    media = api.topics[remote.remote_id]["media"]
    assert media[0] == {"type": "text", "text": "Новый текст без ссылки"}
    assert [b for b in media if b["type"] in ("photo", "poll")] == before and before[1]["answers"][0]["votes"] == 12
    assert not [b for b in media if b["type"] == "link"]  # the card followed the text, which has no link now
    assert len([r for r in api.requests if "/upload/" in r.path]) == 1  # the photo was not uploaded again


def test_a_photo_host_that_is_down_posts_nothing(api, channel, tmp_path):
    (tmp_path / "latte.jpg").write_bytes(b"jpeg")
    api.upload_host_down = True
    with pytest.raises(errors.Transient):
        channel.connector.publish(Publication(TEXT, media_paths=[str(tmp_path / "latte.jpg")]), "key")
    assert api.remote_posts() == []


def test_find_published_ignores_an_older_topic_with_the_same_text(api, channel):
    old = api.add_topic(fake.GROUP_ID, TEXT)
    old["created_ms"] -= 3600 * 1000
    since = datetime.now(UTC) - timedelta(seconds=5)
    assert channel.connector.find_published("key", TEXT, since) is None
    new = channel.connector.publish(Publication(TEXT), "key")
    assert channel.connector.find_published("key", "  " + TEXT.replace(" ", "\n", 1), since).remote_id == new.remote_id


def test_counters_come_from_the_topic_summaries(api, channel):
    remote = channel.connector.publish(Publication(TEXT), "key")
    api.topics[remote.remote_id].update(likes=7, reshares=3, views=412)
    api.add_comment(remote.remote_id, "Max", "Круто!")
    [counters] = channel.connector.fetch_counters([remote.remote_id])
    assert (counters.views, counters.likes, counters.reposts, counters.comments) == (412, 7, 3, 1)


def test_a_competitor_page_by_short_address_or_group_link(api, channel):
    by_name = channel.connector.public_page("ok.ru/competitor.coffee")
    by_link = channel.connector.public_page(f"https://ok.ru/group/{fake.COMPETITOR_ID}")
    assert by_name.name == by_link.name == "Кофейня напротив" and by_name.followers == 980
    [post] = by_name.posts
    assert post.text == "Скидка 20% на капучино до пятницы" and post.counters.views == 830
    with pytest.raises(errors.RemoteNotFound):
        channel.connector.public_page("ok.ru/nobody-here")


def test_a_text_over_the_limit_is_refused_before_and_by_ok(api, channel):
    long_text = "к" * (OkConnector.capabilities.text.limit + 1)
    assert [p.code for p in OkConnector.measure(long_text).problems] == ["too_long"]
    with pytest.raises(errors.ValidationRejected, match="601"):
        channel.connector.publish(Publication(long_text), "key")
    assert api.remote_posts() == []


@pytest.mark.parametrize(("code", "error"), [
    (102, SessionExpired), (103, errors.AuthExpired), (104, errors.AuthExpired),
    (10, errors.PermissionMissing), (100, errors.ValidationRejected), (454, errors.ContentRejected),
    (514, errors.CaptchaRequired), (300, errors.RemoteNotFound), (2, errors.Transient),
    (1, errors.AmbiguousOutcome), (9999, errors.AmbiguousOutcome),
])
def test_each_ok_error_code_on_a_publish_means_what_the_scheduler_needs(api, channel, code, error):
    api.rejected = lambda request: ok_error(code, "from the fake")
    api.fail_next("reject")
    with pytest.raises(error) as raised:
        channel.connector.publish(Publication(TEXT), "key")
    assert type(raised.value) is error and fake.ACCESS_TOKEN not in raised.value.reason
    assert isinstance(raised.value, errors.AuthExpired) == (code in (102, 103, 104))  # an expired session is one


def test_an_unknown_error_while_reading_is_only_transient(api, channel):
    api.m_mediatopic_getByIds = lambda params: ok_error(1, "UNKNOWN")
    with pytest.raises(errors.Transient):
        channel.connector.fetch_counters(["1"])


@pytest.mark.parametrize(("code", "scope"), [(8, "channel"), (7, "channel"), (9, "app"), (11, "app")])
def test_blocks_and_limits_are_rate_limits_with_a_time_to_come_back(api, channel, code, scope):
    api.rate_limited = lambda request: ok_error(code, "blocked")
    api.fail_next("rate_limit")
    with pytest.raises(errors.RateLimited) as limited:
        channel.connector.publish(Publication(TEXT), "key")
    assert limited.value.scope == scope and limited.value.retry_at > datetime.now(UTC) + timedelta(minutes=5)


def test_deleting_a_topic_that_is_gone_is_not_found(channel):
    with pytest.raises(errors.RemoteNotFound):
        channel.connector.delete("404404")


def test_olga_sees_which_rights_ok_has_not_granted_and_what_they_stop(api, channel):
    api.granted_rights -= {"PHOTO_CONTENT"}
    health = channel.connector.check_health()
    assert health.ok and health.message == "Cannot publish photos: OK has not granted the application PHOTO_CONTENT."
    api.granted_rights -= {"GROUP_CONTENT"}
    health = channel.connector.check_health()
    assert not health.ok and health.message.startswith("OK has not granted the application GROUP_CONTENT: nothing")


# Comments in the inbox ---------------------------------------------------------------------------------------------
def test_olga_reads_ok_comments_in_the_inbox_once_answers_one_and_deletes_the_spam(api, channel, owner):
    first = channel.connector.publish(Publication(TEXT), "key-first")
    second = channel.connector.publish(Publication("Осенняя карта напитков"), "key-second")
    question = api.add_comment(first.remote_id, "Анна Петрова", "А до скольки вы работаете?", author_id="5001")
    api.add_comment(second.remote_id, "Заработок", "Заработок без вложений, пиши в личку", author_id="5002")
    arrived = ingest_channel(channel)
    assert sorted(item.text for item in arrived) == ["А до скольки вы работаете?",
                                                     "Заработок без вложений, пиши в личку"]
    assert ingest_channel(channel) == []  # read once
    [asked] = [item for item in arrived if item.remote_id == question]
    assert (asked.author.name, asked.post_remote_id, asked.job_id) == ("Анна Петрова", first.remote_id, None)

    reply = inbox.send_reply(inbox.reply_to(actor=owner, item=asked, text="До 22:00, ждём вас!").pk)
    [answer] = [c for c in api.topics[first.remote_id]["comments"] if c["author_ref"] == f"group:{fake.GROUP_ID}"]
    assert (reply.status, reply.remote_id) == ("sent", answer["id"]) and answer["reply_to_comment_id"] == question
    assert ingest_channel(channel) == []  # the group's own answer is not a new item
    asked.refresh_from_db()
    assert asked.status == "answered"

    [spam] = [item for item in arrived if item.remote_id != question]
    inbox.moderate(actor=owner, item=spam, action="delete")
    assert api.topics[second.remote_id]["comments"] == [] and spam.deleted_on_network
    with pytest.raises(ValidationError, match="cannot ban"):
        inbox.moderate(actor=owner, item=spam, action="ban")


def test_comments_written_in_the_same_second_are_neither_lost_nor_read_twice(api, channel):
    topic = channel.connector.publish(Publication(TEXT), "key-second")
    moment = datetime.now(UTC).replace(microsecond=0)
    api.add_comment(topic.remote_id, "Max", "Первый", at=moment)
    page = channel.connector.conversations("")
    assert [c.text for c in page.items] == ["Первый"]
    api.add_comment(topic.remote_id, "Ira", "Второй в ту же секунду", at=moment)
    again = channel.connector.conversations(page.cursor)
    assert [c.text for c in again.items] == ["Второй в ту же секунду"]
    assert again.items[0].created_at == moment and channel.connector.conversations(again.cursor).items == []


def test_an_answer_ok_refuses_fails_with_its_reason_and_is_not_sent_twice(api, channel, owner):
    topic = channel.connector.publish(Publication(TEXT), "key-refused")
    api.add_comment(topic.remote_id, "Max", "Есть декаф?")
    [item] = ingest_channel(channel)
    api.m_discussions_comment = lambda params: ok_error(10, "PERMISSION_DENIED : No GROUP_CONTENT right")
    reply = inbox.send_reply(inbox.reply_to(actor=owner, item=item, text="Да!").pk)
    assert reply.status == "failed" and "OK error 10" in reply.error
    assert OkConnector.capabilities.moderation == ("delete",) and not OkConnector.capabilities.messages


# Sessions ------------------------------------------------------------------------------------------------------
def signed_in_channel(owner, workspace):
    """A channel connected through OK's sign-in page: a half-hour access token and a 30-day refresh token."""
    return connect_channel(actor=owner, workspace=workspace, network="ok", name="Demo Coffee в ОК",
                           external_id=fake.GROUP_ID,
                           credentials={**CREDENTIALS, "refresh_token": fake.REFRESH_TOKEN},
                           config={**CONFIG, "application_id": fake.APPLICATION_ID})


def test_olga_posts_an_hour_after_signing_in_because_the_session_renews_itself(api, owner, workspace):
    channel = signed_in_channel(owner, workspace)
    api.expire_sessions()  # half an hour has passed

    posted = channel.connector.publish(Publication(TEXT), "key-after-an-hour")

    assert api.text_of(api.topics[posted.remote_id]) == TEXT and api.renewals == 1
    channel.refresh_from_db()
    assert channel.credentials["access_token"] in api.tokens  # kept for the next call, encrypted as ever
    assert channel.credentials["refresh_token"] == fake.REFRESH_TOKEN
    channel.connector.publish(Publication("Ещё один пост"), "key-next")
    assert api.renewals == 1  # the renewed session serves the next call


def test_a_pasted_token_that_expires_asks_for_reconnecting_instead_of_retrying(api, channel):
    topics = len(api.topics)
    api.expire_sessions()
    with pytest.raises(errors.AuthExpired, match="PARAM_SESSION_EXPIRED"):
        channel.connector.publish(Publication(TEXT), "key-expired")
    assert api.renewals == 0 and len(api.topics) == topics


def test_a_refresh_token_ok_no_longer_takes_says_to_connect_again(api, owner, workspace):
    channel = signed_in_channel(owner, workspace)
    api.expire_sessions()
    api.refresh_tokens.clear()  # thirty days have passed
    with pytest.raises(errors.AuthExpired, match="OK did not renew the session .*connect the channel again"):
        channel.connector.publish(Publication(TEXT), "key-late")
