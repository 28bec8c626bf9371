"""The Workspace settings page: the owner renames and moves the workspace; others neither see nor open it."""

from django.urls import reverse

from chorus.workspaces.models import Workspace
from chorus.workspaces.roles import Role

SETTINGS = reverse("workspace-settings", args=["coffee"])
HOME = reverse("workspace-home", args=["coffee"])


def test_owner_moves_the_workspace_and_is_told_the_analytics_follow(signed_in, owner, workspace,
                                                                     django_capture_on_commit_callbacks):
    page = signed_in(owner)
    assert f'href="{SETTINGS}"' in page.get(HOME).content.decode()
    form = page.get(SETTINGS).content.decode()
    assert '<option value="Asia/Novosibirsk">' in form
    assert "Changing the zone recomputes the analytics" in form and "Scheduled posts keep their exact moment" in form
    with django_capture_on_commit_callbacks() as after_commit:
        response = page.post(SETTINGS, {"name": "Demo Coffee", "timezone": "Asia/Novosibirsk", "language": "en"},
                             follow=True)
    shown = response.content.decode()
    assert "Workspace settings saved." in shown
    assert "The analytics are being recomputed in Asia/Novosibirsk" in shown
    assert len(after_commit) == 1
    assert Workspace.objects.values_list("timezone", "language").get() == ("Asia/Novosibirsk", "en")


def test_an_unknown_zone_is_shown_with_what_to_write_and_the_form_keeps_what_was_typed(signed_in, owner, workspace):
    response = signed_in(owner).post(SETTINGS, {"name": "Coffee 2", "timezone": "Mars/Olympus", "language": "ru"})
    assert response.status_code == 422
    shown = response.content.decode()
    assert "Unknown time zone Mars/Olympus: use an IANA name such as Europe/Moscow." in shown
    assert 'value="Mars/Olympus"' in shown and 'value="Coffee 2"' in shown
    assert Workspace.objects.values_list("name", "timezone").get() == ("Demo Coffee", "Europe/Moscow")


def test_an_editor_and_a_client_neither_see_the_link_nor_change_anything(signed_in, team, workspace):
    for role in (Role.EDITOR, Role.CLIENT):
        page = signed_in(team[role])
        assert f'href="{SETTINGS}"' not in page.get(HOME).content.decode()
        assert page.get(SETTINGS).status_code == 403
        assert page.post(SETTINGS, {"name": "Mine", "timezone": "UTC", "language": "en"}).status_code == 403
    assert Workspace.objects.values_list("name", "timezone").get() == ("Demo Coffee", "Europe/Moscow")


def test_a_name_with_markup_is_shown_as_text(signed_in, owner, workspace):
    page = signed_in(owner)
    page.post(SETTINGS, {"name": "<script>alert(1)</script>", "timezone": "Europe/Moscow", "language": "ru"})
    assert Workspace.objects.get().name == "<script>alert(1)</script>"
    shown = page.get(SETTINGS).content.decode()
    assert "<script>alert(1)</script>" not in shown
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in shown
