"""The frame around every page: going home, the workspace switcher, language, the stopped-publishing banner."""

import pytest
from django.urls import reverse

from chorus.publishing.health import record_beat
from chorus.workspaces.services import choose_language


def test_owner_signing_in_lands_on_the_last_workspace(client, owner, workspace, other_workspace):
    client.force_login(owner)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("workspace-home", args=["coffee"])


def test_a_person_without_workspaces_is_told_so(client, db):
    from chorus.conftest import make_user

    client.force_login(make_user("newbie"))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"chorus workspace create" in response.content


def test_owner_sees_the_workspace_home_with_its_channel(client, owner, workspace, channel):
    choose_language(owner, "en")
    client.force_login(owner)
    response = client.get(reverse("workspace-home", args=["coffee"]))
    assert response.status_code == 200
    assert "Coffee VK (sandbox)" in response.content.decode()
    assert "SANDBOX" in response.content.decode()


def test_banner_warns_when_no_worker_is_running_and_goes_away_with_one(client, owner, workspace):
    choose_language(owner, "en")
    client.force_login(owner)
    assert "Publishing is stopped" in client.get(reverse("workspace-home", args=["coffee"])).content.decode()
    record_beat("worker-1")
    assert "Publishing is stopped" not in client.get(reverse("workspace-home", args=["coffee"])).content.decode()


def test_stranger_gets_404_for_another_workspace(client, workspace, other_workspace):
    stranger = other_workspace.memberships.get().user
    client.force_login(stranger)
    assert client.get(reverse("workspace-home", args=["coffee"])).status_code == 404


@pytest.mark.parametrize("language, word", [("ru", "Каналы"), ("en", "Channels")])
def test_language_switch_changes_the_page_language(client, owner, workspace, language, word):
    client.force_login(owner)
    response = client.post(reverse("language"), {"language": language, "next": "/w/coffee/"})
    assert response.status_code == 302 and response.url == "/w/coffee/"
    assert word in client.get("/w/coffee/").content.decode()
