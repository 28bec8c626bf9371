"""What every API router shares: who is calling, which workspace they reach, the documented error answers;
and the workspaces' own endpoints: the caller's workspaces, each one's members.

A caller is a browser session (CSRF enforced) or a bearer token. A token belongs to one workspace: on another
workspace's URLs it gets the same 404 as a stranger, so a leaked token never reveals what else exists.
"""

from datetime import datetime

from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.security import HttpBearer, SessionAuth

from chorus.workspaces.models import ApiToken, Membership, Workspace
from chorus.workspaces.roles import Role
from chorus.workspaces.services import (
    add_member_named,
    change_role,
    create_member,
    grant,
    member_for,
    members_of,
    remove_member,
    role_of,
    token_owner,
    update_workspace,
    workspace_for,
    workspaces_of,
)


class BearerToken(HttpBearer):
    """`Authorization: Bearer chorus_…`, a token made in the UI or with `chorus token create`."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return token_owner(token)


class BrowserSession(SessionAuth):
    """The signed-in browser, CSRF checked. Without a session the request is anonymous: 401, not a CSRF 403."""

    def __call__(self, request: HttpRequest):
        return super().__call__(request) if request.user.is_authenticated else None


AUTH = [BearerToken(), BrowserSession()]


class Error(Schema):
    detail: str


class Invalid(Schema):
    detail: list[str]


def answers(status: int, schema, *, invalid=Invalid) -> dict:
    """The response map of one endpoint: its success plus the errors every workspace endpoint can give."""
    return {status: schema, 401: Error, 403: Error, 404: Error, 422: invalid}


def caller(request: HttpRequest):
    """The person behind the request, whichever way they signed in."""
    return request.auth.user if isinstance(request.auth, ApiToken) else request.auth


def workspace_of(request: HttpRequest, slug: str) -> Workspace:
    token = request.auth if isinstance(request.auth, ApiToken) else None
    if token is not None and token.workspace.slug != slug:
        raise Http404(_("No such workspace."))
    return workspace_for(caller(request), slug)


class WorkspaceOut(Schema):
    slug: str
    name: str
    timezone: str
    language: str
    role: str


router = Router(tags=["workspaces"])


@router.get("/workspaces", response={200: list[WorkspaceOut], 401: Error}, summary="My workspaces")
def list_workspaces(request):
    """The workspaces the caller is a member of; with a token, only the token's workspace."""
    person = caller(request)
    token = request.auth if isinstance(request.auth, ApiToken) else None
    found = [w for w in workspaces_of(person) if token is None or w.pk == token.workspace_id]
    return [workspace_out(person, w) for w in found]


class WorkspaceChange(Schema):
    name: str | None = None
    timezone: str | None = Field(None, description="an IANA zone such as Europe/Moscow")
    language: str | None = None


def workspace_out(person, workspace: Workspace) -> WorkspaceOut:
    return WorkspaceOut(slug=workspace.slug, name=workspace.name, timezone=workspace.timezone,
                        language=workspace.language, role=role_of(person, workspace))


@router.patch("/workspaces/{slug}", response=answers(200, WorkspaceOut),
              summary="Rename the workspace, move its time zone or change its language",
              description="What is left out stays. A new zone recomputes each post's local hour and day in the "
                          "analytics (in the background) and moves the report schedules to nine o'clock in it; "
                          "scheduled posts keep their exact time.")
def change_workspace(request, slug: str, payload: WorkspaceChange):
    workspace, actor = workspace_of(request, slug), caller(request)
    update_workspace(actor=actor, workspace=workspace, name=payload.name, timezone_name=payload.timezone,
                     language=payload.language)
    return workspace_out(actor, workspace)


# Members: the same verbs and rules as the Members page and `chorus member` (members.manage). -----------------

class MemberOut(Schema):
    user_id: int
    username: str
    email: str
    role: str
    grants: list[str] = Field(description="actions granted beyond the role (only those the role may be granted)")
    joined_at: datetime

    @staticmethod
    def resolve_username(membership: Membership) -> str:
        return membership.user.get_username()

    @staticmethod
    def resolve_email(membership: Membership) -> str:
        return membership.user.email

    @staticmethod
    def resolve_joined_at(membership: Membership) -> datetime:
        return membership.created_at


class MemberAdded(MemberOut):
    password: str | None = Field(None, description="with `create`: the new account's one-time password, shown "
                                                   "only in this answer")


class MemberIn(Schema):
    username: str
    role: str = Field(description=f"one of {', '.join(Role.values)}; only an owner makes an owner")
    grants: list[str] = []
    create: bool = Field(False, description="make a new account with this username instead of adding an "
                                            "existing one; the answer carries its one-time password")
    email: str = ""


class MemberChange(Schema):
    role: str | None = None
    grants: list[str] | None = Field(None, description="replaces what was granted; [] takes everything back")


@router.get("/workspaces/{slug}/members", response=answers(200, list[MemberOut]), summary="The workspace's members")
def list_members(request, slug: str):
    return members_of(caller(request), workspace_of(request, slug))


@router.post("/workspaces/{slug}/members", response=answers(201, MemberAdded),
             summary="Add a person, or make an account for a new one",
             description="Someone already in the workspace is refused with 422, and so is `create` with a "
                         "username that exists.")
def add_to_workspace(request, slug: str, payload: MemberIn):
    workspace, actor = workspace_of(request, slug), caller(request)
    if payload.create:
        membership, password = create_member(actor=actor, workspace=workspace, username=payload.username,
                                             role=payload.role, email=payload.email, grants=payload.grants)
    else:
        membership, password = add_member_named(actor=actor, workspace=workspace, username=payload.username,
                                                role=payload.role, grants=payload.grants), None
    return Status(201, MemberAdded.from_orm(membership).model_copy(update={"password": password}))


@router.patch("/workspaces/{slug}/members/{user_id}", response=answers(200, MemberOut),
              summary="Change a member's role or grants",
              description="The last owner cannot be demoted; only an owner changes an owner.")
def change_member(request, slug: str, user_id: int, payload: MemberChange):
    workspace, actor = workspace_of(request, slug), caller(request)
    membership = member_for(actor, workspace, user_id)
    # Both or neither: a refused grant must not leave the new role behind.
    with transaction.atomic():
        if payload.role is not None:
            membership = change_role(actor=actor, workspace=workspace, user=membership.user, role=payload.role)
        if payload.grants is not None:
            membership = grant(actor=actor, workspace=workspace, user=membership.user, actions=payload.grants)
    return membership


@router.delete("/workspaces/{slug}/members/{user_id}", response=answers(204, None),
               summary="Remove a member", description="The last owner cannot be removed. The member's API "
                                                      "tokens for this workspace stop working.")
def remove_from_workspace(request, slug: str, user_id: int):
    workspace, actor = workspace_of(request, slug), caller(request)
    remove_member(actor=actor, workspace=workspace, user=member_for(actor, workspace, user_id).user)
    return Status(204, None)
