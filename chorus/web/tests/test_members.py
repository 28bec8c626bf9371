"""The Members page: an owner brings people in, changes what they may do, and the workspace never loses its owner."""

from django.test import Client
from django.urls import reverse

from chorus.conftest import make_user
from chorus.workspaces.models import Membership
from chorus.workspaces.roles import Role

MEMBERS = reverse("members", args=["coffee"])
ADD = reverse("member-add", args=["coffee"])


def test_owner_adds_an_editor_who_then_sees_the_workspace_and_writes_posts(signed_in, owner, workspace, channel):
    nina = make_user("nina")
    page = signed_in(owner)
    assert 'href="/w/coffee/members/"' in page.get(reverse("workspace-home", args=["coffee"])).content.decode()
    response = page.post(ADD, {"username": "nina", "role": "editor"}, follow=True)
    assert "nina added as Editor" in response.content.decode()
    assert Membership.objects.get(user=nina, workspace=workspace).role == Role.EDITOR

    editor_browser = Client()
    editor_browser.force_login(nina)
    home = editor_browser.get(reverse("workspace-home", args=["coffee"]))
    assert home.status_code == 200 and "Coffee VK (sandbox)" in home.content.decode()
    assert editor_browser.get(reverse("composer", args=["coffee"])).status_code == 200
    assert 'href="/w/coffee/members/"' not in home.content.decode()  # only who may manage members sees the link
    assert editor_browser.get(MEMBERS).status_code == 403


def test_owner_makes_an_account_and_its_password_is_shown_once(signed_in, owner, workspace):
    page = signed_in(owner)
    response = page.post(ADD, {"username": "pavel", "role": "moderator", "new_account": "1",
                               "email": "pavel@example.com"})
    assert response.status_code == 200
    shown = response.context["new_account"]["password"]
    assert shown in response.content.decode()
    assert Client().login(username="pavel", password=shown)
    assert shown not in page.get(MEMBERS).content.decode()
    again = page.post(ADD, {"username": "Pavel", "role": "client", "new_account": "1"})
    assert again.status_code == 422 and "already exists" in again.content.decode()


def test_a_person_already_in_the_workspace_is_not_added_twice(signed_in, owner, team):
    response = signed_in(owner).post(ADD, {"username": team[Role.EDITOR].username, "role": "client"})
    assert response.status_code == 422
    assert "already a member of this workspace (Editor)" in response.content.decode()
    assert Membership.objects.get(user=team[Role.EDITOR]).role == Role.EDITOR


def test_owner_lets_an_editor_moderate_then_makes_her_an_analyst_and_the_grant_goes(signed_in, owner, team):
    editor = team[Role.EDITOR]
    page = signed_in(owner)
    page.post(reverse("member-grants", args=["coffee", editor.pk]), {"grants": ["inbox.moderate"]})
    assert Membership.objects.get(user=editor).grants == ["inbox.moderate"]
    assert "Moderate comments" in page.get(MEMBERS).content.decode()
    page.post(reverse("member-role", args=["coffee", editor.pk]), {"role": "analyst"})
    membership = Membership.objects.get(user=editor)
    assert (membership.role, membership.grants) == (Role.ANALYST, [])


def test_the_last_owner_can_neither_leave_nor_step_down(signed_in, owner, workspace, team):
    page = signed_in(owner)
    left = page.post(reverse("member-remove", args=["coffee", owner.pk]), follow=True)
    assert "the last owner of this workspace" in left.content.decode()
    demoted = page.post(reverse("member-role", args=["coffee", owner.pk]), {"role": "manager"}, follow=True)
    assert "the last owner of this workspace" in demoted.content.decode()
    assert Membership.objects.get(user=owner, workspace=workspace).role == Role.OWNER

    # With a second owner she may leave, and lands outside the workspace.
    page.post(reverse("member-role", args=["coffee", team[Role.MANAGER].pk]), {"role": "owner"})
    response = page.post(reverse("member-remove", args=["coffee", owner.pk]))
    assert response.status_code == 302 and response.url == reverse("home")
    assert not Membership.objects.filter(user=owner, workspace=workspace).exists()
    assert page.get(reverse("workspace-home", args=["coffee"])).status_code == 404


def test_a_manager_cannot_make_remove_or_demote_an_owner(signed_in, owner, team):
    manager = team[Role.MANAGER]
    page = signed_in(manager)
    assert 'value="owner"' not in page.get(MEMBERS).content.decode()
    page.post(reverse("member-role", args=["coffee", team[Role.EDITOR].pk]), {"role": "owner"})
    page.post(reverse("member-remove", args=["coffee", owner.pk]))
    refused = page.post(reverse("member-role", args=["coffee", owner.pk]), {"role": "client"}, follow=True)
    assert "Only an owner can change or remove an owner" in refused.content.decode()
    assert Membership.objects.get(user=owner).role == Role.OWNER
    assert Membership.objects.get(user=team[Role.EDITOR]).role == Role.EDITOR


def test_a_manager_guessing_another_workspace_member_id_gets_404_and_changes_nothing(signed_in, team,
                                                                                     other_workspace):
    sam = other_workspace.memberships.get().user
    page = signed_in(team[Role.MANAGER])
    assert page.get(reverse("members", args=["tea"])).status_code == 404
    for name, data in [("member-role", {"role": "client"}), ("member-grants", {"grants": []}),
                       ("member-remove", {})]:
        assert page.post(reverse(name, args=["coffee", sam.pk]), data).status_code == 404, name
        assert page.post(reverse(name, args=["tea", sam.pk]), data).status_code == 404, name
    assert "sam" not in page.get(MEMBERS).content.decode()
    assert other_workspace.memberships.get().role == Role.OWNER
