"""The owner switches a channel to instant comments: the network then calls Chorus, and only the network can."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from chorus.channels.services import connect_channel, enable_push
from chorus.inbox.models import InboxItem
from chorus.networks.base import Publication
from chorus.networks.tests.contract import TEXT
from chorus.networks.tests.fakes.telegram import TOKEN, FakeTelegram
from chorus.networks.tests.fakes.vk import COMMUNITY_TOKEN, GROUP_ID, USER_TOKEN, FakeVk

PUBLIC = "https://chorus.coffee.example"


@pytest.fixture
def telegram(serve, owner, workspace):
    api = serve(FakeTelegram())
    channel = connect_channel(actor=owner, workspace=workspace, network="telegram", name="Demo Coffee",
                              credentials={"token": TOKEN}, config={"chat": "@demo_coffee"})
    return api, channel


@pytest.fixture
def vk(serve, owner, workspace):
    api = serve(FakeVk())
    channel = connect_channel(actor=owner, workspace=workspace, network="vk", name="Demo Coffee VK",
                              credentials={"user_token": USER_TOKEN, "community_token": COMMUNITY_TOKEN},
                              config={"group_id": str(GROUP_ID)})
    return api, channel


def deliver(channel, body: dict, **headers):
    return Client().post(f"/hooks/{channel.pk}/", body, content_type="application/json", headers=headers)


def test_a_telegram_comment_arrives_the_moment_telegram_calls(telegram, owner):
    api, channel = telegram
    enable_push(actor=owner, channel=channel, base_url=PUBLIC)
    assert api.webhook_url == f"{PUBLIC}/hooks/{channel.pk}/"
    remote = channel.connector.publish(Publication(TEXT), "key")
    api.add_comment(remote.remote_id, "Max", "Есть без кофеина?")
    for update in api.pending_pushes():
        assert deliver(channel, update, **{"X-Telegram-Bot-Api-Secret-Token": api.webhook_secret}).status_code == 200
    item = InboxItem.objects.get()
    assert (item.text, item.author.name, item.post_remote_id) == ("Есть без кофеина?", "Max", remote.remote_id)
    assert channel.connector.conversations("").items == []  # no polling while Telegram pushes (it would 409)


def test_a_call_without_telegrams_secret_is_refused(telegram, owner):
    api, channel = telegram
    enable_push(actor=owner, channel=channel, base_url=PUBLIC)
    remote = channel.connector.publish(Publication(TEXT), "key")
    api.add_comment(remote.remote_id, "Mallory", "Фальшивый комментарий")
    [*_forwards, update] = api.pending_pushes()
    assert deliver(channel, update, **{"X-Telegram-Bot-Api-Secret-Token": "guess"}).status_code == 403
    assert deliver(channel, update).status_code == 403
    assert not InboxItem.objects.exists()


def test_telegram_wants_https_and_the_owner_is_told(telegram, owner):
    _api, channel = telegram
    with pytest.raises(ValidationError, match="HTTPS"):
        enable_push(actor=owner, channel=channel, base_url="http://127.0.0.1:8000")
    channel.refresh_from_db()
    assert not channel.config.get("push")


def test_vk_confirms_the_server_then_sends_comments_edits_deletions_and_messages(vk, owner):
    api, channel = vk
    enable_push(actor=owner, channel=channel, base_url=PUBLIC)
    assert api.callback["url"] == f"{PUBLIC}/hooks/{channel.pk}/" and "message_new" in api.callback["events"]
    confirmation = deliver(channel, {"type": "confirmation", "group_id": GROUP_ID,
                                     "secret": api.callback["secret"]})
    assert confirmation.content.decode() == "a1b2c3d4"
    remote = channel.connector.publish(Publication(TEXT), "key")
    post_id = int(remote.remote_id.rsplit("_", 1)[1])
    comment = {"id": 91, "from_id": 700001, "date": 1_790_000_000, "text": "А доставка есть?", "post_id": post_id,
               "owner_id": -GROUP_ID}
    assert deliver(channel, api.callback_event("wall_reply_new", comment)).content == b"ok"
    assert deliver(channel, api.callback_event("wall_reply_new", comment)).content == b"ok"  # VK retries
    deliver(channel, api.callback_event("wall_reply_edit", {**comment, "text": "А доставка в выходные есть?"}))
    message = {"message": {"id": 501, "from_id": 800001, "peer_id": 800001, "date": 1_790_000_100,
                           "text": "Хочу заказать торт"}, "client_info": {}}
    deliver(channel, api.callback_event("message_new", message))
    item = InboxItem.objects.get(remote_id="91")
    assert (item.text, item.edited_at is not None, item.post_remote_id) == ("А доставка в выходные есть?", True,
                                                                             remote.remote_id)
    deliver(channel, api.callback_event("wall_reply_delete", {"id": 91, "owner_id": -GROUP_ID, "post_id": post_id,
                                                              "deleter_id": 700001}))
    item.refresh_from_db()
    assert item.deleted_on_network and item.text == "А доставка в выходные есть?"
    assert InboxItem.objects.get(remote_id="501").kind == "message"
    assert deliver(channel, api.callback_event("wall_reply_new", {**comment, "id": 92}, secret="forged")
                   ).status_code == 403


def test_a_channel_that_did_not_ask_for_pushes_has_no_door(vk):
    _api, channel = vk
    assert deliver(channel, {"type": "confirmation", "group_id": GROUP_ID}).status_code == 404
    assert Client().post("/hooks/99999/", {}, content_type="application/json").status_code == 404
