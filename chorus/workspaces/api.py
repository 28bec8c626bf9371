"""What every API router shares: who is calling, which workspace they reach, the documented error answers.

A caller is a browser session (CSRF enforced) or a bearer token. A token belongs to one workspace: on another
workspace's URLs it gets the same 404 as a stranger, so a leaked token never reveals what else exists.
"""

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.security import HttpBearer, SessionAuth

from chorus.workspaces.models import ApiToken, Workspace
from chorus.workspaces.services import role_of, token_owner, workspace_for, workspaces_of


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
    return [WorkspaceOut(slug=w.slug, name=w.name, timezone=w.timezone, language=w.language,
                         role=role_of(person, w)) for w in found]
