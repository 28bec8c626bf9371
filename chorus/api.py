"""The REST API (/api/v1/): one NinjaAPI, with a router per domain, and our exceptions as HTTP answers.

403 and 422 carry the human message the service raised; 404 is the same for "not yours" and "not there".
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import ValidationError as RequestInvalid

from chorus.analytics.api import router as analytics
from chorus.channels.api import router as channels
from chorus.content.api import PostProblems
from chorus.content.api import router as posts
from chorus.content.services import PostInvalid
from chorus.inbox.api import router as inbox
from chorus.notifications.api import router as notifications
from chorus.publishing.api import router as publications
from chorus.reports.api import router as reports
from chorus.workspaces.api import AUTH
from chorus.workspaces.api import router as workspaces

api = NinjaAPI(title="Chorus API", version="1", urls_namespace="api", auth=AUTH,
               description="Token: `Authorization: Bearer <token>` (`chorus token create`), bound to one "
                           "workspace. In the browser, the session with its CSRF token.")

for router in (workspaces, channels, posts, publications, notifications, inbox, analytics, reports):
    api.add_router("/", router)


@api.exception_handler(PostInvalid)
def post_invalid(request, exc: PostInvalid):
    return api.create_response(request, PostProblems.of(exc).model_dump(), status=422)


@api.exception_handler(ValidationError)
def invalid(request, exc: ValidationError):
    return api.create_response(request, {"detail": exc.messages}, status=422)


@api.exception_handler(RequestInvalid)
def request_invalid(request, exc: RequestInvalid):
    # Same shape as our own 422s: "where: what" lines, e.g. "body.payload.text: Field required".
    lines = [f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg', '')}" for e in exc.errors]
    return api.create_response(request, {"detail": lines}, status=422)


@api.exception_handler(PermissionDenied)
def not_allowed(request, exc: PermissionDenied):
    return api.create_response(request, {"detail": str(exc) or "Forbidden"}, status=403)


@api.exception_handler(Http404)
def not_found(request, exc: Http404):
    return api.create_response(request, {"detail": str(exc) or "Not Found"}, status=404)
