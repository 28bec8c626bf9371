"""An owner connects sandbox channels; tokens are encrypted at rest; queue slots fill "add to queue"."""

from datetime import UTC, datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from chorus.channels.services import channel_for, connect_channel, next_free_slot, set_queue_slots
from chorus.networks.base import AccountHealth, ConnectField
from chorus.networks.registry import CONNECTORS
from chorus.networks.sandbox import SandboxConnector
from chorus.workspaces.services import NotAllowed


def test_the_channel_token_never_reaches_the_database_in_clear(channel):
    token = channel.credentials["token"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM channels_channel WHERE id = %s", [channel.pk])
        (stored,) = cursor.fetchone()
    assert token not in stored
    channel.refresh_from_db()
    assert channel.credentials["token"] == token


def test_an_editor_cannot_connect_a_channel(workspace, editor):
    with pytest.raises(NotAllowed):
        connect_channel(actor=editor, workspace=workspace, network="sandbox", name="Mine")


def test_unknown_network_and_bad_token_are_refused_clearly(workspace, owner, channel):
    with pytest.raises(ValidationError, match="unknown network 'myspace'"):
        connect_channel(actor=owner, workspace=workspace, network="myspace", name="Old")
    with pytest.raises(ValidationError, match="Could not connect"):
        connect_channel(actor=owner, workspace=workspace, network="sandbox", name="Stolen",
                        external_id=channel.external_id, credentials={"token": "guess"})


def test_another_workspaces_channel_id_is_not_found(channel, other_workspace):
    from django.http import Http404

    stranger = other_workspace.memberships.get().user
    with pytest.raises(Http404):
        channel_for(stranger, other_workspace, channel.pk)


def test_queue_takes_the_next_free_moscow_slot(channel, owner):
    set_queue_slots(actor=owner, channel=channel, slots=[(0, time(10, 0)), (2, time(18, 30))])
    monday_9_utc = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 09:00 in Moscow
    first = next_free_slot(channel, set(), after=monday_9_utc)
    assert first == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday 10:00 Moscow
    second = next_free_slot(channel, {first}, after=monday_9_utc)
    assert second == datetime(2026, 11, 25, 15, 30, tzinfo=UTC)  # Wednesday 18:30 Moscow


def test_a_channel_without_slots_says_what_to_do(channel):
    with pytest.raises(ValidationError, match="no queue slots"):
        next_free_slot(channel, set())


class Pigeon(SandboxConnector):
    """A network that wants a token and a loft number to connect; only the token "good" works."""

    network, label = "pigeon", "Pigeon post"
    is_sandbox = False
    connect_fields = (ConnectField("token", "Token", secret=True), ConnectField("loft", "Loft number"))

    def check_health(self):
        ok = self.channel.credentials.get("token") == "good"
        return AccountHealth(ok=ok, message="" if ok else "the token was refused")


def test_an_owner_connects_with_the_networks_own_fields_and_the_secret_stays_encrypted(
        client, monkeypatch, workspace, owner):
    monkeypatch.setitem(CONNECTORS, "pigeon", Pigeon)
    client.force_login(owner)
    url = f"/w/{workspace.slug}/channels/connect/"
    page = client.get(f"/w/{workspace.slug}/channels/").content.decode()
    assert 'name="pigeon-token"' in page and 'type="password"' in page
    client.post(url, {"network": "pigeon", "name": "Голубятня", "pigeon-token": "good"})
    assert not workspace.channels.exists()  # the loft number was missing
    client.post(url, {"network": "pigeon", "name": "Голубятня", "pigeon-token": "bad", "pigeon-loft": "7"})
    assert not workspace.channels.exists()  # the network refused the token
    client.post(url, {"network": "pigeon", "name": "Голубятня", "pigeon-token": "good", "pigeon-loft": "7"})
    channel = workspace.channels.get()
    assert (channel.credentials, channel.config) == ({"token": "good"}, {"loft": "7"})
    listed = client.get(f"/w/{workspace.slug}/channels/").content.decode()
    assert f'<span class="text-muted small">{Pigeon.label}</span>' in listed  # the network's name beside it


def test_missing_connect_fields_are_named(monkeypatch, workspace, owner):
    monkeypatch.setitem(CONNECTORS, "pigeon", Pigeon)
    with pytest.raises(ValidationError, match="Fill in: Token, Loft number"):
        connect_channel(actor=owner, workspace=workspace, network="pigeon", name="Голубятня")


def test_the_operator_connects_from_the_command_line_with_the_token_on_stdin(monkeypatch, workspace):
    import io
    import json

    from django.core.management import call_command

    monkeypatch.setitem(CONNECTORS, "pigeon", Pigeon)
    monkeypatch.setattr("sys.stdin", io.StringIO("good\n"))
    out = io.StringIO()
    call_command("channel", "add", "--workspace", workspace.slug, "--network", "pigeon", "--name", "Голубятня",
                 "--field", "token=-", "--field", "loft=7", "--json", stdout=out)
    channel = workspace.channels.get(pk=json.loads(out.getvalue())["id"])
    assert (channel.credentials, channel.config) == ({"token": "good"}, {"loft": "7"})
