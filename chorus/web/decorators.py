from functools import wraps

from django.contrib.auth.decorators import login_required

from chorus.workspaces.services import access_of, remember_workspace, workspace_for


def workspace_view(action: str = "workspace.view"):
    """A page inside /w/<slug>/: signed in, a member (else 404), allowed `action` (else 403).

    Sets request.workspace, request.role and request.grants for the view and the templates.
    """

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, slug, *args, **kwargs):
            request.workspace = workspace_for(request.user, slug, action)
            request.role, request.grants = access_of(request.user, request.workspace)
            remember_workspace(request.user, request.workspace)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
