from functools import wraps

from django.contrib.auth.decorators import login_required

from chorus.workspaces.services import remember_workspace, role_of, workspace_for


def workspace_view(action: str = "workspace.view"):
    """A page inside /w/<slug>/: signed in, a member (else 404), allowed `action` (else 403).

    Sets request.workspace and request.role for the view and the templates.
    """

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(request, slug, *args, **kwargs):
            request.workspace = workspace_for(request.user, slug, action)
            request.role = role_of(request.user, request.workspace)
            remember_workspace(request.user, request.workspace)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
