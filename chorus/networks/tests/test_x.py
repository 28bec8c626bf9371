"""NET-X against the fake X API v2: the shared contract, then X's own stories (rotating refresh tokens, duplicate
content, t.co links, daily posting limits, polls, threads, mentions)."""

import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone

from chorus.channels.models import Channel
from chorus.channels.services import connect_channel
from chorus.content.services import create_and_schedule
from chorus.inbox import services as inbox
from chorus.inbox.ingestion import record_conversations
from chorus.networks import errors
from chorus.networks.base import MediaFacts, Poll, Publication
from chorus.networks.registry import connector_class
from chorus.networks.tests.contract import ConnectorContract
from chorus.networks.tests.fakes.x import FakeX
from chorus.networks.x import POST_PRICE_USD, XConnector
from chorus.networks.x import _answer as x_answer
from chorus.publishing import dispatcher, reconciler, sender, services
from chorus.publishing.models import Status


@pytest.fixture
def api(serve):
    return serve(FakeX())


@pytest.fixture
def channel(api, owner, workspace):
    return connect_channel(actor=owner, workspace=workspace, network="x", name="Demo Coffee on X",
                           credentials={"access_token": api.access_token, "refresh_token": api.refresh_token},
                           config={"client_id": api.client_id})


def since() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=5)


class TestXContract(ConnectorContract):
    pass


# Connecting and tokens --------------------------------------------------------------------------------------


def test_olga_connects_with_her_tokens_and_the_account_is_known(api, channel):
    stored = Channel.objects.get(pk=channel.pk)
    assert stored.external_id == api.user_id and stored.config == {"client_id": api.client_id}
    assert set(stored.credentials) == {"access_token", "refresh_token"}
    assert stored.connector.check_health().followers == 120
    assert stored.connector.account_counters().followers == 120


def test_the_scopes_x_granted_are_kept_from_its_token_answer_and_checked(api, channel):
    api.granted_scope = "tweet.read tweet.write users.read offline.access"  # media.write and moderation unticked
    api.expire_access_tokens()
    health = channel.connector.check_health()  # renews the token first
    assert health.ok and health.message == ("Cannot publish images: X did not grant media.write. "
                                            "Cannot hide replies: X did not grant tweet.moderate.write.")
    api.granted_scope = "tweet.read users.read offline.access"
    api.expire_access_tokens()
    health = channel.connector.check_health()
    assert not health.ok and health.message.startswith("X did not grant tweet.write: Chorus cannot post.")


def test_the_connect_form_says_the_pkce_flow_is_done_elsewhere():
    fields = {field.name: field for field in connector_class("x").connect_fields}
    assert [name for name, field in fields.items() if field.secret] == ["client_secret", "access_token",
                                                                         "refresh_token"]
    assert not fields["client_secret"].required
    assert "PKCE" in str(fields["access_token"].help) and "offline.access" in str(fields["access_token"].help)


def test_an_expired_access_token_is_refreshed_once_and_the_rotated_pair_is_stored(api, channel):
    before = Channel.objects.get(pk=channel.pk).credentials
    api.expire_access_tokens()
    remote = channel.connector.publish(Publication("После обновления токена"), "after-refresh")
    after = Channel.objects.get(pk=channel.pk).credentials
    assert [p["remote_id"] for p in api.remote_posts()] == [remote.remote_id]
    assert after["refresh_token"] != before["refresh_token"] and after["access_token"] != before["access_token"]
    assert api.refreshes() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_use_one_refresh_and_both_posts_go_out(api, channel):
    """X kills a refresh token when it is used: the second worker must adopt the token the first one stored."""
    workers = [Channel.objects.get(pk=channel.pk) for _ in range(2)]
    api.expire_access_tokens()
    api.refresh_waits_for = 2  # the refresh starts only once both workers were turned away with a 401
    start, failures = threading.Barrier(2), []

    def worker(number: int) -> None:
        try:
            start.wait()
            workers[number].connector.publish(Publication(f"Воркер {number}"), f"worker-{number}")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)
        finally:
            connections.close_all()  # each thread opened its own connection

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert api.refreshes() == 1 and api.unauthorised_posts == 2
    assert sorted(p["text"] for p in api.remote_posts()) == ["Воркер 0", "Воркер 1"]
    stored = Channel.objects.get(pk=channel.pk).credentials["refresh_token"]
    assert all(w.credentials["refresh_token"] == stored for w in workers) and stored in api.refresh


def test_a_token_that_cannot_be_refreshed_is_auth_expired_without_tokens_in_the_message(api, channel):
    tokens = dict(channel.credentials)
    api.expire_access_tokens()
    api.refresh.clear()  # the refresh token was used elsewhere or revoked
    with pytest.raises(errors.AuthExpired) as expired:
        channel.connector.publish(Publication("Не уйдёт"), "dead-token")
    assert not any(token in expired.value.reason for token in tokens.values())
    assert api.remote_posts() == []
    assert not channel.connector.check_health().ok


def test_a_confidential_client_sends_its_secret_with_basic_auth(api, owner, workspace):
    channel = connect_channel(actor=owner, workspace=workspace, network="x", name="Confidential",
                              credentials={"access_token": api.access_token, "refresh_token": api.refresh_token,
                                           "client_secret": "s3cret"}, config={"client_id": api.client_id})
    api.expire_access_tokens()
    channel.connector.publish(Publication("С секретом"), "secret")
    [refresh] = [r for r in api.requests if r.path == "/2/oauth2/token"]
    assert refresh.headers["authorization"].startswith("Basic ")


# Publishing ------------------------------------------------------------------------------------------------


def test_the_same_text_twice_is_refused_as_duplicate_content(api, channel):
    channel.connector.publish(Publication("Доброе утро!"), "first")
    with pytest.raises(errors.ContentRejected):
        channel.connector.publish(Publication("Доброе утро!"), "second")
    assert len(api.remote_posts()) == 1


def test_a_post_with_a_link_is_found_again_although_x_rewrote_the_link_and_the_ampersand(api, channel):
    text = "Кофе & круассан: https://example.com/menu?day=1 и coffee.example.org"
    remote = channel.connector.publish(Publication(text), "link")
    assert "t.co" in api.rendered(api.tweets[remote.remote_id])["text"]
    assert channel.connector.find_published("link", text, since()).remote_id == remote.remote_id
    assert channel.connector.find_published("other", "Кофе & круассан: совсем другой текст", since()) is None


def test_find_published_knows_a_post_that_never_went_out(api, channel):
    assert channel.connector.find_published("never", "Акция", datetime.now(UTC) - timedelta(hours=1)) is None


def test_a_thread_goes_out_as_a_chain_of_replies(api, channel):
    first = channel.connector.publish(Publication("1/3 Как мы обжариваем", thread=("2/3 Температура", "3/3 Время")),
                                      "thread")
    by_text = {t["text"]: t for t in api.tweets.values()}
    second, third = by_text["2/3 Температура"], by_text["3/3 Время"]
    assert second["reply_to"] == first.remote_id and third["reply_to"] == second["id"]
    assert first.url == f"https://x.com/i/status/{first.remote_id}"


def schedule(owner, workspace, channel, text: str, thread: list[str] = ()):
    _post, [job] = create_and_schedule(actor=owner, workspace=workspace, text=text, channel_ids=[channel.pk],
                                       variant_extras={channel.pk: {"thread": list(thread)}}, due_at=timezone.now())
    return job


def send_due():
    for job_id in dispatcher.claim_due("x-worker"):
        sender.send(job_id, "x-worker")


def test_a_refused_second_part_asks_olga_and_her_retry_sends_only_the_missing_parts(api, channel, owner,
                                                                                     workspace):
    """The auditor's story: before, the refusal sent the job back to the outbox, the retry met X's duplicate check
    on the first part and the job ended failed, with the first part live and the rest never sent."""
    job = schedule(owner, workspace, channel, "Часть 1 про обжарку", ["Часть 2 про помол", "Часть 3 про воду"])
    api.fail_next("pass", "refuse")
    send_due()
    job.refresh_from_db()
    [root] = api.remote_posts()
    assert job.status == Status.NEEDS_REVIEW
    assert (job.remote_id, job.remote_url) == (root["remote_id"], f"https://x.com/i/status/{root['remote_id']}")
    assert job.last_error.startswith("part 2 of 3 did not go out: X: Service Unavailable (503)")
    assert "It may be on X (Twitter) all the same" in job.last_error
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):
        reconciler.reconcile()
        send_due()
    job.refresh_from_db()
    assert job.status == Status.NEEDS_REVIEW  # nothing is sent again behind Olga's back

    services.retry(actor=owner, job=job)  # she looked at X: only the first part is there
    send_due()
    job.refresh_from_db()
    assert job.status == Status.PUBLISHED and job.remote_id == root["remote_id"] and len(job.parts_out) == 3
    texts = [t["text"] for t in api.tweets.values() if t["author_id"] == api.user_id]
    assert texts == ["Часть 1 про обжарку", "Часть 2 про помол", "Часть 3 про воду"]
    assert [api.tweets[i]["reply_to"] for i in job.parts_out] == ["", *job.parts_out[:2]]


def test_a_bad_gateway_after_x_made_the_post_is_read_back_and_published_once(api, channel, owner, workspace):
    """Before, the 502 was transient: the retry met X's duplicate-content 403 and the job ended failed although the
    post was live."""
    job = schedule(owner, workspace, channel, "Завтра открываемся в 8:00")
    api.fail_next("error_after")
    send_due()
    job.refresh_from_db()
    assert job.status == Status.UNKNOWN
    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=True):  # past every backoff
        reconciler.reconcile()
        send_due()
    job.refresh_from_db()
    [post] = api.remote_posts()
    assert (job.status, job.remote_id, job.last_error) == (Status.PUBLISHED, post["remote_id"], "")


@pytest.mark.parametrize("answer", [httpx.Response(502, text="<html>Bad Gateway</html>"),
                                    httpx.Response(201, content=b'{"data": {"id": "18')])
def test_a_server_error_or_an_unreadable_answer_is_ambiguous_on_a_write_and_transient_on_a_read(answer):
    with pytest.raises(errors.AmbiguousOutcome):
        x_answer(answer, changes_state=True)
    with pytest.raises(errors.Transient):
        x_answer(answer)


def test_a_poll_goes_out_with_its_options_and_duration(api, channel):
    poll = Poll("Какой помол?", ("Эспрессо", "Фильтр", "Френч-пресс"), closes_in_seconds=2 * 24 * 3600)
    remote = channel.connector.publish(Publication("Какой помол вы берёте?", poll=poll), "poll")
    assert api.tweets[remote.remote_id]["poll"] == {"options": ["Эспрессо", "Фильтр", "Френч-пресс"],
                                                     "duration_minutes": 2880}


def test_the_composer_explains_what_an_x_poll_cannot_be():
    poll = Poll("?", ("один",), multiple=True)
    image = MediaFacts("image/png", 1000, name="cup.png")
    codes = [p.code for p in XConnector.validate(Publication("Опрос", poll=poll, media=[image]))]
    assert {"poll_options", "poll_multiple", "poll_media"} <= set(codes)
    long_option = Poll("?", ("да", "очень длинный вариант ответа на вопрос"))
    assert [p.code for p in XConnector.validate(Publication("Опрос", poll=long_option))] == ["poll_option_length"]


def test_the_composer_counts_weighted_characters_as_x_does():
    assert XConnector.measure("ж" * 280).problems == []
    assert XConnector.measure("https://example.com/menu " + "a" * 200).length == 224  # a URL counts as 23
    assert XConnector.measure("日本" * 70).length == 280  # CJK weighs 2
    assert [p.code for p in XConnector.measure("日本" * 71).problems] == ["too_long"]


def test_a_text_over_the_limit_is_rejected_by_x_as_validation(api, channel):
    with pytest.raises(errors.ValidationRejected):
        channel.connector.publish(Publication("日本" * 141), "too-long")
    assert api.remote_posts() == []


def test_the_price_of_a_post_with_a_link_is_shown_not_billed():
    assert POST_PRICE_USD["with_url"] > POST_PRICE_USD["text"] > 0


def test_a_post_is_deleted_and_edit_is_declared_absent(api, channel):
    remote = channel.connector.publish(Publication("Удалим"), "delete-me")
    channel.connector.delete(remote.remote_id)
    assert api.remote_posts() == [] and XConnector.capabilities.edit is False


def test_deleting_a_thread_with_its_first_comment_removes_every_reply_chorus_made(api, channel):
    remote = channel.connector.publish(Publication("1/2 Обжарка", thread=("2/2 Помол",), first_comment="Меню"),
                                       "delete-thread")
    api.add_comment(remote.remote_id, "Max", "Класс!")  # someone else's reply stays: it is not ours to delete
    channel.connector.delete(remote.remote_id, parts=remote.parts)
    assert [t["text"] for t in api.tweets.values() if t["author_id"] == api.user_id] == []
    assert [t["text"] for t in api.tweets.values() if t["author_id"] != api.user_id and "Класс" in t["text"]]


# First comment and images -----------------------------------------------------------------------------------


def test_a_first_comment_goes_out_as_a_reply_to_the_post(api, channel):
    remote = channel.connector.publish(Publication("Новый сорт", first_comment="Меню: https://example.com/menu"),
                                       "first-comment")
    [comment] = [t for t in api.tweets.values() if t["reply_to"] == remote.remote_id]
    assert comment["text"] == "Меню: https://example.com/menu" and comment["author_id"] == api.user_id
    assert remote.parts == (remote.remote_id, comment["id"]) and XConnector.capabilities.first_comment


def image(tmp_path, name: str, size: int, mime: str = "image/jpeg") -> tuple[MediaFacts, str]:
    path = tmp_path / name
    path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    return MediaFacts(mime, size, name=name), str(path)


def test_images_go_up_in_chunks_and_are_attached_to_the_post(api, channel, tmp_path):
    big, small = image(tmp_path, "roastery.jpg", 2_500_000), image(tmp_path, "cup.png", 40_000, "image/png")
    publication = Publication("Обжарочная", media=[big[0], small[0]], media_paths=[big[1], small[1]])
    assert channel.connector.validate_publication(publication) == []
    remote = channel.connector.publish(publication, "images")
    media_ids = api.tweets[remote.remote_id]["media_ids"]
    assert len(media_ids) == 2 and all(api.media[m]["done"] for m in media_ids)
    assert len(api.media[media_ids[0]]["segments"]) == 3  # 2.5 MB in 1 MB appends
    assert b"".join(api.media[media_ids[0]]["segments"][n] for n in range(3)) == open(big[1], "rb").read()
    appends = [r for r in api.requests if r.path.endswith("/append")]
    assert len(appends) == 4 and all(r.headers["content-type"].startswith("multipart/form-data") for r in appends)


def test_the_composer_holds_x_to_four_images_of_five_megabytes_in_its_formats():
    jpeg = MediaFacts("image/jpeg", 100_000, name="a.jpg")
    codes = [p.code for p in XConnector.validate(Publication("Фото", media=[jpeg] * 5))]
    assert codes == ["too_many_media"]
    huge, bmp = MediaFacts("image/jpeg", 6 * 2**20, name="huge.jpg"), MediaFacts("image/bmp", 1000, name="a.bmp")
    assert [p.code for p in XConnector.validate(Publication("Фото", media=[huge, bmp]))] == ["media_size",
                                                                                          "media_format"]


@pytest.mark.parametrize("size, mime, said", [(6 * 2**20, "image/jpeg", "File size exceeds"),
                                              (1000, "image/bmp", "media type unrecognized")])
def test_x_refuses_an_image_too_large_or_of_a_wrong_format_and_no_post_is_made(api, channel, tmp_path, size, mime,
                                                                               said):
    facts, path = image(tmp_path, "photo", size, mime)
    with pytest.raises(errors.ValidationRejected) as refused:
        channel.connector.publish(Publication("Фото", media=[facts], media_paths=[path]), "bad-image")
    assert said in refused.value.reason and api.remote_posts() == []


# Limits -----------------------------------------------------------------------------------------------------


def test_the_apps_daily_posting_limit_stops_every_channel_until_its_reset(api, channel):
    api.daily_limit_over = "app"
    with pytest.raises(errors.RateLimited) as limited:
        channel.connector.publish(Publication("Слишком много за день"), "app-limit")
    assert limited.value.scope == "app" and limited.value.retry_at > datetime.now(UTC) + timedelta(hours=4)


def test_the_accounts_daily_posting_limit_stops_only_this_channel(api, channel):
    api.daily_limit_over = "user"
    with pytest.raises(errors.RateLimited) as limited:
        channel.connector.publish(Publication("Этот аккаунт устал"), "user-limit")
    assert limited.value.scope == "channel" and limited.value.retry_at > datetime.now(UTC) + timedelta(hours=4)


def test_the_fifteen_minute_window_comes_back_at_the_reset_x_named(api, channel):
    api.fail_next("rate_limit")
    with pytest.raises(errors.RateLimited) as limited:
        channel.connector.publish(Publication("Слишком часто"), "window")
    assert limited.value.scope == "channel" and limited.value.retry_at > datetime.now(UTC) + timedelta(minutes=10)


# Reading ----------------------------------------------------------------------------------------------------


def test_counters_add_quotes_to_reposts_and_give_impressions_as_views(api, channel):
    remote = channel.connector.publish(Publication("Считаем"), "counting")
    api.tweets[remote.remote_id].update(likes=7, retweets=2, quotes=1, impressions=340)
    api.add_comment(remote.remote_id, "Max", "Отлично")
    [counters] = channel.connector.fetch_counters([remote.remote_id, "1999999999999999999"])
    assert (counters.likes, counters.reposts, counters.comments, counters.views) == (7, 3, 1, 340)
    assert counters.reach is None


def test_replies_lose_the_leading_names_and_mentions_arrive_once(api, channel):
    remote = channel.connector.publish(Publication("Вопросы?"), "root-post")
    api.add_comment(remote.remote_id, "Max", "Есть декаф?")
    api.add_comment("", "Ira", "@democoffee а овсяное молоко есть?")
    page = channel.connector.conversations("")
    by_kind = {c.kind: c for c in page.items}
    assert by_kind["reply"].text == "Есть декаф?" and by_kind["reply"].parent_remote_id == remote.remote_id
    assert by_kind["mention"].post_remote_id == "" and by_kind["mention"].created_at.tzinfo
    api.add_comment("", "Ira", "@democoffee и ещё вопрос")
    assert [c.text for c in channel.connector.conversations(page.cursor).items] == ["@democoffee и ещё вопрос"]
    answer = channel.connector.reply(by_kind["reply"], "Да, колумбийский.", "answer-1")
    assert api.tweets[answer]["reply_to"] == by_kind["reply"].remote_id


def test_a_competitors_public_page_has_its_posts_and_counters(api, channel):
    page = channel.connector.public_page("@rivaltea")
    assert (page.name, page.followers, page.url) == ("Rival Tea", 3400, "https://x.com/rivaltea")
    [post] = page.posts
    assert post.text == "Улун недели 🍵 & пирог" and post.counters.likes == 12 and post.counters.views == 900


def test_a_rude_reply_under_our_post_is_hidden_and_shown_again_but_not_one_in_another_conversation(api, channel,
                                                                                                     owner):
    remote = channel.connector.publish(Publication("Как вам новый раф?"), "root-hide")
    rude = api.add_comment(remote.remote_id, "Troll", "Гадость, а не кофе, идиоты")
    rival_post = next(t["id"] for t in api.tweets.values() if t["author_id"] != api.user_id)
    elsewhere = api.store(api.users[api.tweets[rude]["author_id"]]["id"], "@democoffee у вас лучше",
                          reply_to=rival_post)["id"]
    items = {item.remote_id: item for item in record_conversations(channel, channel.connector.conversations("").items)}
    hide = inbox.moderate(actor=owner, item=items[rude], action="hide")
    assert api.tweets[rude]["hidden"] is True and items[rude].hidden
    inbox.undo_moderation(actor=owner, action=hide)
    assert api.tweets[rude]["hidden"] is False
    with pytest.raises(ValidationError, match="not authored by you"):
        inbox.moderate(actor=owner, item=items[elsewhere], action="hide")
    assert "hidden" not in api.tweets[elsewhere]
    [sent] = [r for r in api.requests if r.method == "PUT"][:1]
    assert sent.path == f"/2/tweets/{rude}/hidden" and sent.json == {"hidden": True}
    with pytest.raises(ValidationError, match="cannot delete"):
        inbox.moderate(actor=owner, item=items[rude], action="delete")
