"""Connecting through the network's sign-in page: an owner presses "Connect with …", the browser goes to the
network (a fake that approves at once, or refuses), comes back to the callback, and the channel works."""

import logging
import socket
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.messages import get_messages
from django.db import connection

from chorus.channels.models import Channel, NetworkApp
from chorus.channels.oauth import SESSION_KEY
from chorus.conftest import make_user
from chorus.networks import errors
from chorus.networks.base import Publication
from chorus.networks.tests.fakes import ok as ok_fake
from chorus.networks.tests.fakes.mastodon import FakeMastodon
from chorus.networks.tests.fakes.ok import FakeOk
from chorus.networks.tests.fakes.vk import COMMUNITY_TOKEN as VK_COMMUNITY_TOKEN
from chorus.networks.tests.fakes.vk import GROUP_ID as VK_GROUP
from chorus.networks.tests.fakes.vk import USER_TOKEN as VK_USER_TOKEN
from chorus.networks.tests.fakes.vk import FakeVk
from chorus.networks.tests.fakes.vk_id import CLIENT_ID as VK_ID_CLIENT
from chorus.networks.tests.fakes.vk_id import FakeVkId
from chorus.networks.tests.fakes.x import FakeX
from chorus.workspaces.services import choose_language


def start(client, workspace, network: str, name: str, **fields):
    return client.post(f"/w/{workspace.slug}/channels/oauth/start/",
                       {"network": network, "name": name, **{f"oauth-{network}-{k}": v for k, v in fields.items()}})


def go_to_network(response) -> str:
    """Follow the browser to the network's sign-in page; it answers with a redirect back to Chorus."""
    assert response.status_code == 302, response
    page = httpx.get(response.url, follow_redirects=False)
    assert page.status_code == 302, page.text
    return page.headers["location"]


def come_back(client, location: str):
    back = urlsplit(location)
    assert back.netloc == "testserver", location
    return client.get(f"{back.path}?{back.query}")


def said(client, response) -> str:
    assert response.status_code == 302
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def stored_credentials(channel) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM channels_channel WHERE id = %s", [channel.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def owner_client(client, owner, workspace):
    choose_language(owner, "en")
    client.force_login(owner)
    return client


@pytest.fixture
def quiet_logs(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


# Mastodon -------------------------------------------------------------------------------------------------------
@pytest.fixture
def instance(serve):
    return serve(FakeMastodon(max_characters=1000))


def test_owner_connects_a_mastodon_account_by_typing_only_the_instance_address(owner_client, workspace, instance,
                                                                               quiet_logs):
    location = go_to_network(start(owner_client, workspace, "mastodon", "Кофейня", instance_url=instance.url))
    asked = instance.authorizations[-1]
    assert asked["scope"] == "read write" and asked["code_challenge_method"] == "S256"
    assert asked["redirect_uri"] == "http://testserver/channels/oauth/callback/"

    response = come_back(owner_client, location)

    assert "Кофейня connected" in said(owner_client, response)
    channel = Channel.objects.get(workspace=workspace, network="mastodon")
    assert channel.credentials == {"access_token": instance.token}
    assert channel.config["instance_url"] == instance.url
    assert channel.config["limits"]["max_characters"] == 1000  # read from the instance
    assert instance.token not in stored_credentials(channel)
    app = NetworkApp.objects.get(network="mastodon", server=instance.url)
    assert app.credentials["client_secret"].startswith("secret-")
    remote = channel.connector.publish(Publication("Открылись в семь утра"), "oauth-story-1")
    assert [p["remote_id"] for p in instance.remote_posts()][-1] == remote.remote_id
    assert instance.token not in quiet_logs.text and app.credentials["client_secret"] not in quiet_logs.text


def test_a_second_account_on_the_same_instance_reuses_the_registered_app(owner_client, workspace, instance):
    for name in ("Первый", "Второй"):
        come_back(owner_client, go_to_network(start(owner_client, workspace, "mastodon", name,
                                                    instance_url=instance.url)))
    assert NetworkApp.objects.filter(server=instance.url).count() == 1
    assert sum(1 for r in instance.requests if r.path == "/api/v1/apps") == 1


def test_a_person_who_denies_access_on_the_instance_is_told_and_nothing_is_connected(owner_client, workspace,
                                                                                   instance):
    instance.deny_next = True
    response = come_back(owner_client, go_to_network(start(owner_client, workspace, "mastodon", "Кофейня",
                                                           instance_url=instance.url)))
    assert "Access was not granted on Mastodon" in said(owner_client, response)
    assert not Channel.objects.filter(network="mastodon").exists()


def test_the_instance_refusing_the_code_is_told_without_the_code_or_any_secret(owner_client, workspace, instance,
                                                                             quiet_logs):
    location = go_to_network(start(owner_client, workspace, "mastodon", "Кофейня", instance_url=instance.url))
    instance.refuse_codes = True
    response = come_back(owner_client, location)
    message = said(owner_client, response)
    assert "Mastodon did not accept the sign-in" in message and "invalid_grant" in message
    code = parse_qs(urlsplit(location).query)["code"][0]
    assert code not in message and code not in quiet_logs.text
    assert not Channel.objects.filter(network="mastodon").exists()


def test_a_forged_a_reused_and_an_expired_state_are_refused(owner_client, workspace, instance, time_machine):
    location = go_to_network(start(owner_client, workspace, "mastodon", "Кофейня", instance_url=instance.url))
    query = parse_qs(urlsplit(location).query)
    forged = owner_client.get(f"/channels/oauth/callback/?code={query['code'][0]}&state=forged")
    assert "cannot be finished" in said(owner_client, forged)

    assert "connected" in said(owner_client, come_back(owner_client, location))
    assert "cannot be finished" in said(owner_client, come_back(owner_client, location))  # used once already

    time_machine.move_to(datetime.now(UTC), tick=False)
    later = go_to_network(start(owner_client, workspace, "mastodon", "Позже", instance_url=instance.url))
    time_machine.shift(11 * 60)
    assert "cannot be finished" in said(owner_client, come_back(owner_client, later))
    assert Channel.objects.filter(network="mastodon").count() == 1


def test_a_sign_in_connects_the_channel_to_the_workspace_it_was_begun_in(owner_client, owner, workspace,
                                                                         other_workspace, instance):
    from chorus.workspaces.models import Membership
    from chorus.workspaces.roles import Role

    Membership.objects.create(workspace=other_workspace, user=owner, role=Role.OWNER)
    location = go_to_network(start(owner_client, workspace, "mastodon", "Кофейня", instance_url=instance.url))
    owner_client.get(f"/w/{other_workspace.slug}/")  # the owner looks at another client while the network asks

    response = come_back(owner_client, location)

    assert response.url == f"/w/{workspace.slug}/channels/"
    assert Channel.objects.get(network="mastodon").workspace == workspace


def test_a_manager_made_editor_during_the_sign_in_connects_nothing(client, workspace, instance):
    from chorus.workspaces.models import Membership
    from chorus.workspaces.roles import Role

    manager = make_user("nadia")
    membership = Membership.objects.create(workspace=workspace, user=manager, role=Role.MANAGER)
    client.force_login(manager)
    location = go_to_network(start(client, workspace, "mastodon", "Кофейня", instance_url=instance.url))
    membership.role = Role.EDITOR
    membership.save()

    assert come_back(client, location).status_code == 403
    assert not Channel.objects.exists()


def test_coming_back_with_an_unknown_state_goes_home_and_says_why(owner_client):
    response = owner_client.get("/channels/oauth/callback/?code=abc&state=never-issued")
    assert response.url == "/"
    assert "cannot be finished" in said(owner_client, response)


def test_a_plain_http_instance_is_refused_before_leaving_chorus(owner_client, workspace):
    response = start(owner_client, workspace, "mastodon", "Кофейня", instance_url="http://mastodon.example")
    assert "must start with https://" in said(owner_client, response)


def test_an_instance_whose_name_resolves_inside_the_network_is_refused_before_anything_is_sent(
        owner_client, workspace, monkeypatch):
    resolve = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: (
        [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.1", port))] if host == "mastodon.office.example"
        else resolve(host, port, *a, **k)))
    response = start(owner_client, workspace, "mastodon", "Кофейня", instance_url="mastodon.office.example")
    assert ("mastodon.office.example points to an internal address (10.0.0.1)"
            in said(owner_client, response))
    assert not NetworkApp.objects.exists()


def test_the_oauth_callback_does_not_reach_an_instance_that_became_internal(owner_client, workspace, instance,
                                                                            settings):
    location = go_to_network(start(owner_client, workspace, "mastodon", "Кофейня", instance_url=instance.url))
    settings.CHORUS_OUTBOUND_ALLOWED_NETWORKS = []
    asked = len(instance.requests)
    assert "internal address" in said(owner_client, come_back(owner_client, location))
    assert len(instance.requests) == asked and not Channel.objects.exists()


# X ----------------------------------------------------------------------------------------------------------------
@pytest.fixture
def x_api(serve, settings):
    api = serve(FakeX())
    settings.CHORUS_NETWORK_BASE_URLS = {**settings.CHORUS_NETWORK_BASE_URLS, "x-authorize": api.url}
    settings.CHORUS_X_CLIENT_ID, settings.CHORUS_X_CLIENT_SECRET = FakeX.client_id, ""
    return api


def test_owner_connects_x_with_pkce_and_the_rotating_refresh_token_keeps_it_working(owner_client, workspace, x_api,
                                                                                   quiet_logs):
    location = go_to_network(start(owner_client, workspace, "x", "Кофейня в X"))
    asked = x_api.authorizations[-1]
    assert "offline.access" in asked["scope"].split() and asked["code_challenge_method"] == "S256"
    assert asked["client_id"] == FakeX.client_id

    assert "connected" in said(owner_client, come_back(owner_client, location))

    channel = Channel.objects.get(workspace=workspace, network="x")
    first = dict(channel.credentials)
    assert first["access_token"] in x_api.access and first["refresh_token"] in x_api.refresh
    assert channel.config["client_id"] == FakeX.client_id and channel.external_id == FakeX.user_id
    assert first["access_token"] not in stored_credentials(channel)
    x_api.expire_access_tokens()  # two hours later: the post goes out on a refreshed token
    remote = channel.connector.publish(Publication("Открылись в семь утра"), "oauth-story-x")
    assert remote.remote_id in x_api.tweets
    channel.refresh_from_db()
    assert channel.credentials["refresh_token"] != first["refresh_token"]  # rotated, and the new one kept
    for secret in (first["access_token"], first["refresh_token"], channel.credentials["refresh_token"]):
        assert secret not in quiet_logs.text


def test_x_without_a_client_id_anywhere_asks_for_one_before_leaving(owner_client, workspace, x_api, settings):
    settings.CHORUS_X_CLIENT_ID = ""
    response = start(owner_client, workspace, "x", "Кофейня в X")
    assert "CHORUS_X_CLIENT_ID" in said(owner_client, response)


def test_an_operator_types_their_own_x_client_id(owner_client, workspace, x_api, settings):
    settings.CHORUS_X_CLIENT_ID = "someone-elses-app"
    location = go_to_network(start(owner_client, workspace, "x", "Кофейня в X", client_id=FakeX.client_id))
    assert "connected" in said(owner_client, come_back(owner_client, location))


def test_x_refusing_the_code_says_so_and_connects_nothing(owner_client, workspace, x_api):
    location = go_to_network(start(owner_client, workspace, "x", "Кофейня в X"))
    x_api.refuse_codes = True
    assert "X (Twitter) did not accept the sign-in" in said(owner_client, come_back(owner_client, location))
    assert not Channel.objects.filter(network="x").exists()


# VK ID --------------------------------------------------------------------------------------------------------
@pytest.fixture
def vk_id(serve, settings):
    serve(FakeVk())
    settings.CHORUS_VK_CLIENT_ID = VK_ID_CLIENT
    return serve(FakeVkId())


def test_owner_connects_a_vk_community_through_vk_id_and_the_hour_long_token_is_renewed(
        owner_client, workspace, vk_id, quiet_logs, time_machine):
    time_machine.move_to(datetime.now(UTC), tick=False)
    location = go_to_network(start(owner_client, workspace, "vk", "Кофейня ВК", group_id=str(VK_GROUP),
                                   community_token=VK_COMMUNITY_TOKEN))  # pasted: only community messages need it
    waiting = str(owner_client.session[SESSION_KEY])  # the pasted key waits in the session, sealed
    assert VK_COMMUNITY_TOKEN not in waiting
    asked = vk_id.authorizations[-1]
    assert asked["code_challenge_method"] == "S256" and set(asked["scope"].split()) >= {"wall", "photos", "groups"}

    assert "connected" in said(owner_client, come_back(owner_client, location))

    channel = Channel.objects.get(workspace=workspace, network="vk")
    first = dict(channel.credentials)
    assert first["user_token"] == VK_USER_TOKEN and first["device_id"] == vk_id.device_id
    assert first["community_token"] == VK_COMMUNITY_TOKEN
    assert first["refresh_token"] in vk_id.refresh_tokens and first["expires_at"] > datetime.now(UTC).timestamp()
    assert channel.config == {**channel.config, "group_id": str(VK_GROUP), "vk_id_client_id": VK_ID_CLIENT}
    assert first["refresh_token"] not in stored_credentials(channel)

    time_machine.shift(61 * 60)  # the user token's hour is over
    remote = channel.connector.publish(Publication("Открылись в семь утра"), "oauth-story-vk")
    assert remote.remote_id and vk_id.refreshes() == 1
    channel.refresh_from_db()
    assert channel.credentials["refresh_token"] != first["refresh_token"]
    assert channel.credentials["expires_at"] > datetime.now(UTC).timestamp()
    for secret in (first["refresh_token"], channel.credentials["refresh_token"], VK_USER_TOKEN, VK_COMMUNITY_TOKEN):
        assert secret not in quiet_logs.text


def test_a_vk_id_refresh_token_that_was_revoked_flags_the_channel_to_reconnect(owner_client, workspace, vk_id,
                                                                            time_machine):
    time_machine.move_to(datetime.now(UTC), tick=False)
    come_back(owner_client, go_to_network(start(owner_client, workspace, "vk", "Кофейня ВК",
                                                group_id=str(VK_GROUP))))
    channel = Channel.objects.get(network="vk")
    vk_id.refresh_tokens.clear()
    time_machine.shift(61 * 60)
    with pytest.raises(errors.AuthExpired, match="connect the channel again") as refused:
        channel.connector.publish(Publication("Открылись"), "oauth-story-vk-2")
    assert channel.credentials["refresh_token"] not in str(refused.value)


def test_vk_id_refusing_the_code_says_so(owner_client, workspace, vk_id):
    location = go_to_network(start(owner_client, workspace, "vk", "Кофейня ВК", group_id=str(VK_GROUP)))
    vk_id.refuse_codes = True
    message = said(owner_client, come_back(owner_client, location))
    assert "VKontakte did not accept the sign-in" in message and "invalid_grant" in message


# OK -----------------------------------------------------------------------------------------------------------
@pytest.fixture
def ok_api(serve, settings):
    api = serve(FakeOk())
    settings.CHORUS_NETWORK_BASE_URLS = {**settings.CHORUS_NETWORK_BASE_URLS, "ok-connect": api.url}
    settings.CHORUS_OK_APPLICATION_ID = ok_fake.APPLICATION_ID
    settings.CHORUS_OK_APPLICATION_KEY = ok_fake.APPLICATION_KEY
    settings.CHORUS_OK_APPLICATION_SECRET_KEY = ok_fake.APPLICATION_SECRET_KEY
    return api


def test_owner_connects_an_ok_group_with_the_servers_application_and_its_posts_are_signed(
        owner_client, workspace, ok_api, quiet_logs):
    location = go_to_network(start(owner_client, workspace, "ok", "Кофейня в ОК", group_id=ok_fake.GROUP_ID))
    asked = ok_api.authorizations[-1]
    assert "GROUP_CONTENT" in asked["scope"].split(";") and asked["client_id"] == ok_fake.APPLICATION_ID

    assert "connected" in said(owner_client, come_back(owner_client, location))

    channel = Channel.objects.get(workspace=workspace, network="ok")
    assert channel.credentials["access_token"] == ok_fake.ACCESS_TOKEN
    assert channel.config["application_key"] == ok_fake.APPLICATION_KEY
    assert ok_fake.ACCESS_TOKEN not in stored_credentials(channel)
    remote = channel.connector.publish(Publication("Открылись в семь утра"), "oauth-story-ok")
    assert remote.remote_id in ok_api.topics  # the fake checks the signature: a wrong one is error 104
    assert ok_fake.ACCESS_TOKEN not in quiet_logs.text and ok_fake.APPLICATION_SECRET_KEY not in quiet_logs.text


def test_ok_without_the_servers_application_says_what_to_set(owner_client, workspace, ok_api, settings):
    settings.CHORUS_OK_APPLICATION_SECRET_KEY = ""
    assert "CHORUS_OK_APPLICATION_SECRET_KEY" in said(owner_client, start(owner_client, workspace, "ok", "ОК",
                                                                          group_id=ok_fake.GROUP_ID))


def test_ok_refusing_the_code_says_so(owner_client, workspace, ok_api):
    location = go_to_network(start(owner_client, workspace, "ok", "Кофейня в ОК", group_id=ok_fake.GROUP_ID))
    ok_api.refuse_codes = True
    assert "Odnoklassniki did not accept the sign-in" in said(owner_client, come_back(owner_client, location))
    assert not Channel.objects.filter(network="ok").exists()


def test_the_channels_page_offers_a_sign_in_button_for_each_network_that_has_one(owner_client, workspace):
    page = owner_client.get(f"/w/{workspace.slug}/channels/").content.decode()
    for label in ("Mastodon", "X (Twitter)", "VKontakte", "Odnoklassniki"):
        assert f"Connect with {label}" in page
    assert "Connect with Telegram" not in page
    assert "http://testserver/channels/oauth/callback/" in page
