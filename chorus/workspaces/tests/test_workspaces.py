"""An owner sets up a client workspace and a team; roles decide who may do what."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404

from chorus.conftest import make_user
from chorus.workspaces.models import ApiToken
from chorus.workspaces.roles import MATRIX, Role, can
from chorus.workspaces.services import (
    NotAllowed,
    add_member,
    create_api_token,
    create_workspace,
    ensure_can,
    token_owner,
    workspaces_of,
)


def test_owner_creates_a_workspace_and_is_its_owner(owner):
    workspace = create_workspace(owner=owner, name="Кофейня", slug="kofe", timezone_name="Europe/Moscow",
                                 language="ru")
    assert ensure_can(owner, "workspace.settings", workspace) == Role.OWNER
    assert workspaces_of(owner) == [workspace]


def test_unknown_time_zone_or_taken_slug_is_refused_with_what_to_fix(owner, workspace):
    with pytest.raises(ValidationError, match="Europe/Moscow"):
        create_workspace(owner=owner, name="X", slug="x", timezone_name="Moscow", language="ru")
    with pytest.raises(ValidationError, match="already exists"):
        create_workspace(owner=owner, name="X", slug=workspace.slug, timezone_name="UTC", language="en")


def test_a_stranger_gets_not_found_and_a_client_gets_forbidden(workspace, team, other_workspace):
    stranger = other_workspace.memberships.get().user
    with pytest.raises(Http404):
        ensure_can(stranger, "post.view", workspace)
    with pytest.raises(NotAllowed):
        ensure_can(team[Role.CLIENT], "post.schedule", workspace)
    ensure_can(team[Role.CLIENT], "post.view", workspace)


def test_contractor_sees_the_workspace_but_none_of_its_content():
    assert can(Role.CONTRACTOR, "workspace.view")
    assert not [a for a, roles in MATRIX.items()
                if Role.CONTRACTOR in roles and a.startswith(("post.", "channel.", "analytics."))]


def test_everyone_who_reads_content_reads_analytics_and_analysts_may_import_history():
    readers = {role for role in Role.values if can(role, "analytics.view")}
    assert readers == {role for role in Role.values if can(role, "post.view")}
    assert {role for role in Role.values if can(role, "analytics.import")} == {
        Role.OWNER, Role.MANAGER, Role.EDITOR, Role.ANALYST}


def test_a_manager_cannot_make_an_owner_but_an_owner_can(workspace, team):
    newcomer = make_user("nina")
    with pytest.raises(NotAllowed):
        add_member(actor=team[Role.MANAGER], workspace=workspace, user=newcomer, role=Role.OWNER)
    add_member(actor=team[Role.OWNER], workspace=workspace, user=newcomer, role=Role.OWNER)
    assert ensure_can(newcomer, "members.manage", workspace) == Role.OWNER


def test_an_editor_cannot_manage_members(workspace, team):
    with pytest.raises(NotAllowed):
        add_member(actor=team[Role.EDITOR], workspace=workspace, user=make_user("x"), role=Role.CLIENT)


def test_api_token_is_shown_once_and_stored_only_as_a_hash(workspace, editor):
    token, raw = create_api_token(actor=editor, workspace=workspace, name="zapier")
    assert raw.startswith("chorus_") and raw not in token.key_hash
    with connection.cursor() as cursor:
        cursor.execute("SELECT key_hash, hint FROM workspaces_apitoken")
        stored = cursor.fetchall()
    assert all(raw not in "".join(row) for row in stored)
    assert token_owner(raw).user == editor
    assert token_owner(raw + "x") is None
    editor.is_active = False
    editor.save()
    assert token_owner(raw) is None
    assert ApiToken.objects.get().last_used_at is not None
