"""NET-BS against the fake PDS: the shared contract, then Bluesky's own stories (sessions, record keys, facets)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from chorus.channels.models import Channel
from chorus.channels.services import connect_channel
from chorus.inbox import services as inbox
from chorus.inbox.ingestion import record_conversations
from chorus.networks import errors
from chorus.networks.base import MediaFacts, Publication
from chorus.networks.bluesky import BlueskyConnector, record_key
from chorus.networks.tests.contract import ConnectorContract
from chorus.networks.tests.fakes.bluesky import TID, FakeBluesky

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 2000


@pytest.fixture
def api(serve):
    return serve(FakeBluesky())


@pytest.fixture
def channel(api, owner, workspace):
    return connect_channel(actor=owner, workspace=workspace, network="bluesky", name="Demo Coffee on Bluesky",
                           credentials={"app_password": api.app_password}, config={"handle": api.account_handle})


def posted(api) -> list[dict]:
    return [r for uri, r in api.records.items() if uri.startswith(f"at://{api.did}/")]


def calls(api, nsid: str) -> int:
    return sum(1 for r in api.requests if r.path == f"/xrpc/{nsid}")


class TestBlueskyContract(ConnectorContract):
    pass


# Connecting and sessions ------------------------------------------------------------------------------------


def test_olga_connects_with_her_handle_and_app_password_and_the_session_is_kept(api, channel):
    stored = Channel.objects.get(pk=channel.pk)
    assert stored.external_id == api.did
    assert stored.credentials["access_jwt"] and stored.credentials["refresh_jwt"]
    assert stored.connector.check_health().followers == 120


def test_a_wrong_app_password_is_said_at_once_and_nothing_is_saved(api, owner, workspace):
    with pytest.raises(ValidationError, match="did not accept"):
        connect_channel(actor=owner, workspace=workspace, network="bluesky", name="Typo",
                        credentials={"app_password": "wrong-pass-word"}, config={"handle": api.account_handle})
    assert not Channel.objects.filter(network="bluesky").exists()


def test_posting_reuses_the_session_instead_of_logging_in_each_time(api, channel):
    for key in ("one", "two", "three"):
        Channel.objects.get(pk=channel.pk).connector.publish(Publication(f"Пост {key}"), key)
    assert api.logins == 1  # the one at connect time: createSession is limited to a few hundred a day


def test_an_expired_access_token_is_refreshed_once_and_the_new_pair_is_stored(api, channel):
    before = Channel.objects.get(pk=channel.pk).credentials
    api.expire_access_tokens()
    remote = channel.connector.publish(Publication("После обновления сессии"), "after-refresh")
    after = Channel.objects.get(pk=channel.pk).credentials
    assert remote.remote_id in [p["remote_id"] for p in api.remote_posts()]
    assert after["refresh_jwt"] != before["refresh_jwt"] and after["access_jwt"] != before["access_jwt"]
    assert calls(api, "com.atproto.server.refreshSession") == 1 and api.logins == 1


def test_two_workers_with_the_same_stale_session_do_not_lose_the_rotating_refresh_token(api, channel):
    first_worker, second_worker = Channel.objects.get(pk=channel.pk), Channel.objects.get(pk=channel.pk)
    api.expire_access_tokens()
    first_worker.connector.publish(Publication("Первый воркер"), "worker-one")
    # The second worker still holds the refresh token the first one used up; it takes the stored one instead.
    second_worker.connector.publish(Publication("Второй воркер"), "worker-two")
    assert calls(api, "com.atproto.server.refreshSession") == 1
    assert second_worker.credentials["refresh_jwt"] == Channel.objects.get(pk=channel.pk).credentials["refresh_jwt"]
    assert len(api.remote_posts()) == 2


def test_a_session_that_cannot_be_refreshed_is_auth_expired_without_tokens_in_the_message(api, channel):
    tokens = dict(channel.credentials)
    api.expire_access_tokens()
    api.refresh.clear()  # the refresh token ran out too
    with pytest.raises(errors.AuthExpired) as expired:
        channel.connector.publish(Publication("Не уйдёт"), "dead-session")
    assert not any(token in expired.value.reason for token in (tokens["access_jwt"], tokens["refresh_jwt"],
                                                                api.app_password))
    assert api.remote_posts() == []


# Record keys and idempotency --------------------------------------------------------------------------------


def test_the_record_key_is_a_tid_derived_from_the_idempotency_key():
    assert record_key("job-42") == record_key("job-42") != record_key("job-43")
    assert all(TID.fullmatch(record_key(f"job-{n}")) for n in range(200))


def test_a_retry_after_a_hang_up_returns_the_first_post_although_the_pds_answers_500(api, channel):
    api.fail_next("hang_up")
    with pytest.raises(errors.AmbiguousOutcome):
        channel.connector.publish(Publication("Акция дня"), "hang-then-retry")
    again = channel.connector.publish(Publication("Акция дня"), "hang-then-retry")
    [post] = posted(api)
    assert again.remote_id == post["uri"] and post["uri"].endswith(record_key("hang-then-retry"))
    assert again.url == f"https://bsky.app/profile/{api.did}/post/{record_key('hang-then-retry')}"


def test_find_published_knows_a_post_that_never_went_out(api, channel):
    assert channel.connector.find_published("never-sent", "Акция", datetime.now(UTC) - timedelta(hours=1)) is None


# Text, facets, media, threads -------------------------------------------------------------------------------


def test_links_and_mentions_become_facets_with_utf8_byte_offsets(api, channel):
    text = "Кофе ☕ с @rival-tea.bsky.social: меню https://example.com/menu"
    channel.connector.publish(Publication(text), "facets")
    [post] = posted(api)
    body = text.encode()
    spans = {f["features"][0]["$type"].rsplit("#", 1)[1]: body[f["index"]["byteStart"]:f["index"]["byteEnd"]]
             for f in post["value"]["facets"]}
    assert spans == {"mention": b"@rival-tea.bsky.social", "link": b"https://example.com/menu"}
    [mention] = [f for f in post["value"]["facets"] if f["features"][0]["$type"].endswith("#mention")]
    assert mention["features"][0]["did"] == "did:plc:rivaltea"


def test_a_mention_of_an_unknown_handle_stays_plain_text(api, channel):
    channel.connector.publish(Publication("Привет, @nobody.example.org!"), "unknown-mention")
    assert "facets" not in posted(api)[0]["value"]


def test_the_composer_counts_graphemes_and_bytes():
    family = "👨‍👩‍👧‍👦"  # one grapheme, 25 bytes
    assert BlueskyConnector.measure(family * 300).length == 300
    assert [p.code for p in BlueskyConnector.measure("ж" * 300).problems] == []
    assert [p.code for p in BlueskyConnector.measure("ж" * 301).problems] == ["too_long"]
    assert [p.code for p in BlueskyConnector.measure(family * 150).problems] == ["too_many_bytes"]


def test_a_text_over_the_limit_is_rejected_by_the_pds_as_validation(api, channel):
    with pytest.raises(errors.ValidationRejected):
        channel.connector.publish(Publication("ж" * 301), "too-long")
    assert api.remote_posts() == []


def test_a_thread_goes_out_as_replies_and_a_retry_does_not_repeat_its_parts(api, channel):
    publication = Publication("1/3 Как мы обжариваем", thread=("2/3 Температура", "3/3 Время"))
    first = channel.connector.publish(publication, "thread")
    again = channel.connector.publish(publication, "thread")
    assert again.remote_id == first.remote_id and len(posted(api)) == 3
    by_text = {p["value"]["text"]: p for p in posted(api)}
    second, third = by_text["2/3 Температура"]["value"]["reply"], by_text["3/3 Время"]["value"]["reply"]
    assert second["root"]["uri"] == second["parent"]["uri"] == first.remote_id
    assert third["root"]["uri"] == first.remote_id and third["parent"]["uri"] == by_text["2/3 Температура"]["uri"]


def test_images_are_uploaded_as_blobs_and_embedded(api, channel, tmp_path):
    paths = []
    for name in ("beans.png", "cup.png"):
        (tmp_path / name).write_bytes(PNG)
        paths.append(str(tmp_path / name))
    media = [MediaFacts("image/png", len(PNG), 1200, 800, "beans.png"), MediaFacts("image/png", len(PNG))]
    channel.connector.publish(Publication("Новые зёрна", media=media, media_paths=paths), "images")
    embed = posted(api)[0]["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images" and len(embed["images"]) == 2
    assert embed["images"][0]["image"]["size"] == len(PNG)
    assert embed["images"][0]["aspectRatio"] == {"width": 1200, "height": 800}


def test_the_composer_refuses_a_fifth_image_and_one_over_a_megabyte():
    codes = [p.code for p in BlueskyConnector.check_media([MediaFacts("image/jpeg", 2_000_000, name="big.jpg")] * 5)]
    assert "too_many_media" in codes and "media_size" in codes


# Reading ----------------------------------------------------------------------------------------------------


def test_counters_add_quotes_to_reposts_and_give_no_views(api, channel):
    remote = channel.connector.publish(Publication("Считаем"), "counting")
    api.records[remote.remote_id].update(likes=7, reposts=2, quotes=1)
    api.add_comment(remote.remote_id, "Max", "Отлично")
    [counters] = channel.connector.fetch_counters([remote.remote_id])
    assert (counters.likes, counters.reposts, counters.comments, counters.views) == (7, 3, 1, None)
    assert channel.connector.account_counters().followers == 120


def test_a_rate_limit_comes_back_at_the_reset_the_pds_named(api, channel):
    api.fail_next("rate_limit")
    with pytest.raises(errors.RateLimited) as limited:
        channel.connector.publish(Publication("Слишком часто"), "limited")
    assert limited.value.retry_at > datetime.now(UTC) + timedelta(seconds=30)
    assert limited.value.scope == "channel"


def test_mentions_arrive_with_replies_and_only_once(api, channel):
    api.add_comment("", "Ira", "@coffee.bsky.social а овсяное молоко есть?", reason="mention")
    page = channel.connector.conversations("")
    [mention] = page.items
    assert mention.kind == "mention" and mention.post_remote_id == "" and mention.created_at.tzinfo
    api.add_comment("", "Ira", "И ещё вопрос", reason="mention")
    assert [c.text for c in channel.connector.conversations(page.cursor).items] == ["И ещё вопрос"]


def test_a_reply_to_a_reply_keeps_the_thread_root(api, channel):
    remote = channel.connector.publish(Publication("Вопросы?"), "root-post")
    api.add_comment(remote.remote_id, "Max", "Есть декаф?")
    [question] = channel.connector.conversations("").items
    answer = channel.connector.reply(question, "Да, колумбийский.", "answer-1")
    assert channel.connector.reply(question, "Да, колумбийский.", "answer-1") == answer
    thread = api.records[answer]["value"]["reply"]
    assert thread["root"]["uri"] == remote.remote_id and thread["parent"]["uri"] == question.remote_id


def test_a_competitors_public_page_has_its_posts_and_counters(api, channel):
    page = channel.connector.public_page("@rival-tea.bsky.social")
    assert (page.name, page.followers, page.url) == ("Rival Tea", 3400, "https://bsky.app/profile/rival-tea.bsky.social")
    [post] = page.posts
    assert post.text == "Улун недели 🍵" and post.counters.likes == 12 and post.counters.views is None


# Direct messages, blocks and hidden replies -----------------------------------------------------------------


def test_a_direct_message_arrives_once_and_is_answered_in_its_conversation(api, channel, owner):
    api.add_direct_message("Анна", "Можно заказать зёрна оптом?")
    page = channel.connector.conversations("")
    [item] = record_conversations(channel, page.items)
    assert (item.kind, item.text, item.author.name) == ("message", "Можно заказать зёрна оптом?", "Анна")
    assert channel.connector.conversations(page.cursor).items == []
    reply = inbox.send_reply(inbox.reply_to(actor=owner, item=item, text="Да, напишите объём.").pk)
    [convo] = api.convos.values()
    assert reply.status == "sent" and [m["text"] for m in convo["messages"]] == ["Можно заказать зёрна оптом?",
                                                                                 "Да, напишите объём."]
    assert record_conversations(channel, channel.connector.conversations(page.cursor).items) == []  # our own
    item.refresh_from_db()
    assert item.status == "answered"
    chat_calls = [r for r in api.requests if r.path.startswith("/xrpc/chat.bsky.convo.")]
    assert chat_calls and {r.headers["atproto-proxy"] for r in chat_calls} == {"did:web:api.bsky.chat#bsky_chat"}


def test_without_access_to_direct_messages_olga_is_told_how_to_fix_it_and_replies_still_arrive(api, channel):
    api.dm_access = False
    remote = channel.connector.publish(Publication("Вопросы?"), "dm-less")
    api.add_comment(remote.remote_id, "Max", "Есть декаф?")
    with pytest.raises(errors.PermissionMissing, match="Allow access to your direct messages"):
        channel.connector.conversations("")
    assert Channel.objects.get(pk=channel.pk).config["direct_messages"] is False
    [reply] = Channel.objects.get(pk=channel.pk).connector.conversations("").items
    assert reply.text == "Есть декаф?"


def test_a_spammer_is_blocked_and_unblocked_with_one_block_record(api, channel, owner):
    remote = channel.connector.publish(Publication("Вопросы?"), "block-root")
    spammer = api.fan("Spam Bot")
    api.add_comment(remote.remote_id, "Spam Bot", "Заработок без вложений", fan=spammer)
    page = channel.connector.conversations("")
    [item] = record_conversations(channel, page.items)
    ban = inbox.moderate(actor=owner, item=item, action="ban")
    inbox.moderate(actor=owner, item=item, action="ban")  # pressed twice: still one record
    assert api.blocks() == {spammer} and len([u for u in api.records if "/app.bsky.graph.block/" in u]) == 1
    api.add_comment(remote.remote_id, "Spam Bot", "Ещё раз", fan=spammer)
    assert channel.connector.conversations(page.cursor).items == []
    inbox.undo_moderation(actor=owner, action=ban)
    assert api.blocks() == set()


def test_a_rude_reply_is_hidden_in_the_threadgate_and_shown_again_keeping_who_may_reply(api, channel, owner):
    remote = channel.connector.publish(Publication("Как вам раф?"), "gate-root")
    rkey = remote.remote_id.rsplit("/", 1)[1]
    gate_uri = f"at://{api.did}/app.bsky.feed.threadgate/{rkey}"
    rude = api.add_comment(remote.remote_id, "Troll", "Гадость")
    kind = api.add_comment(remote.remote_id, "Max", "Вкусно!")
    items = {i.remote_id: i for i in record_conversations(channel, channel.connector.conversations("").items)}
    hide = inbox.moderate(actor=owner, item=items[rude], action="hide")
    inbox.moderate(actor=owner, item=items[kind], action="hide")
    api.records[gate_uri]["value"]["allow"] = [{"$type": "app.bsky.feed.threadgate#followingRule"}]  # set in the app
    assert api.records[gate_uri]["value"]["hiddenReplies"] == [rude, kind]
    inbox.undo_moderation(actor=owner, action=hide)
    gate = api.records[gate_uri]["value"]
    assert gate["hiddenReplies"] == [kind] and gate["allow"] == [{"$type": "app.bsky.feed.threadgate#followingRule"}]
    with pytest.raises(ValidationError, match="cannot delete"):
        inbox.moderate(actor=owner, item=items[rude], action="delete")


def test_a_reply_in_someone_elses_thread_cannot_be_hidden(api, channel, owner):
    rival_post = next(uri for uri in api.records if uri.startswith("at://did:plc:rivaltea/"))
    elsewhere = api.add_comment(rival_post, "Max", "@coffee.bsky.social у вас вкуснее", reason="mention")
    [item] = record_conversations(channel, channel.connector.conversations("").items)
    assert item.remote_id == elsewhere
    with pytest.raises(ValidationError, match="only replies in threads of the channel's own posts"):
        inbox.moderate(actor=owner, item=item, action="hide")
