"""The Members page (TEAM-1, TEAM-2): who is in the workspace, with which role and grants; add, change, remove.

Every form calls a verb in chorus/workspaces/services.py; the rules (members.manage, the last owner, only an
owner touches an owner) live there, so the page, the API and `chorus member` refuse the same things.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chorus.web.decorators import workspace_view
from chorus.workspaces.roles import GRANTABLE, Role
from chorus.workspaces.services import (
    NotAllowed,
    add_member_named,
    change_role,
    create_member,
    grant,
    member_for,
    members_of,
    remove_member,
)

# What a grant lets the member do, in the manager's words; an action not named here shows as its key.
GRANT_LABELS = {
    "inbox.view": gettext_lazy("Read the inbox"),
    "inbox.reply": gettext_lazy("Answer in the inbox"),
    "inbox.assign": gettext_lazy("Assign inbox items"),
    "inbox.moderate": gettext_lazy("Moderate comments"),
}


def _rows(request) -> list[dict]:
    found = list(members_of(request.user, request.workspace))
    owners = sum(1 for m in found if m.role == Role.OWNER)
    rows = []
    for membership in found:
        is_owner = membership.role == Role.OWNER
        rows.append({
            "membership": membership, "is_me": membership.user_id == request.user.pk,
            # The service refuses these too; the page just does not offer them.
            "may_change": not is_owner or request.role == Role.OWNER,
            "last_owner": is_owner and owners == 1,
            "grants": [(action, GRANT_LABELS.get(action, action), action in membership.grants)
                       for action in sorted(GRANTABLE.get(membership.role, ()))],
        })
    return rows


def _page(request, *, new_account=None, form=None, status=200):
    # Only an owner may make an owner: the others are not offered the choice they would be refused.
    roles = [(value, label) for value, label in Role.choices if value != Role.OWNER or request.role == Role.OWNER]
    return render(request, "web/members.html", {
        "rows": _rows(request), "roles": roles, "new_account": new_account, "form": form or {},
    }, status=status)


@workspace_view("members.manage")
def members(request):
    return _page(request)


@workspace_view("members.manage")
@require_POST
def member_add(request):
    """Add someone who has an account, or make one; a new account's password is on this answer only."""
    form = {"username": request.POST.get("username", "").strip(), "role": request.POST.get("role", ""),
            "email": request.POST.get("email", "").strip(), "new_account": request.POST.get("new_account") == "1"}
    try:
        if form["new_account"]:
            membership, password = create_member(actor=request.user, workspace=request.workspace,
                                                 username=form["username"], role=form["role"], email=form["email"])
        else:
            membership = add_member_named(actor=request.user, workspace=request.workspace,
                                          username=form["username"], role=form["role"])
    except (ValidationError, NotAllowed) as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
        return _page(request, form=form, status=422)
    if form["new_account"]:
        # Rendered, not redirected: the password must not travel through the session's message store.
        return _page(request, new_account={"username": membership.user.get_username(), "password": password})
    messages.success(request, _("%(user)s added as %(role)s.")
                     % {"user": membership.user.get_username(), "role": membership.get_role_display()})
    return redirect("members", request.workspace.slug)


def _change(request, user_id, change, done: str):
    membership = member_for(request.user, request.workspace, user_id)
    try:
        membership = change(membership)
    except (ValidationError, NotAllowed) as exc:
        messages.error(request, " ".join(_messages_of(exc)))
    else:
        messages.success(request, done % {"user": membership.user.get_username(),
                                          "role": membership.get_role_display()})
    return redirect("members", request.workspace.slug)


@workspace_view("members.manage")
@require_POST
def member_role(request, user_id):
    return _change(request, user_id, lambda m: change_role(actor=request.user, workspace=request.workspace,
                                                           user=m.user, role=request.POST.get("role", "")),
                   _("%(user)s is now %(role)s."))


@workspace_view("members.manage")
@require_POST
def member_grants(request, user_id):
    return _change(request, user_id, lambda m: grant(actor=request.user, workspace=request.workspace, user=m.user,
                                                     actions=request.POST.getlist("grants")),
                   _("What %(user)s may do beyond the role is saved."))


@workspace_view("members.manage")
@require_POST
def member_remove(request, user_id):
    membership = member_for(request.user, request.workspace, user_id)
    try:
        remove_member(actor=request.user, workspace=request.workspace, user=membership.user)
    except (ValidationError, NotAllowed) as exc:
        messages.error(request, " ".join(_messages_of(exc)))
        return redirect("members", request.workspace.slug)
    if membership.user_id == request.user.pk:
        # They left: this workspace is no longer theirs to see.
        messages.success(request, _("You left %(workspace)s.") % {"workspace": request.workspace.name})
        return redirect("home")
    messages.success(request, _("%(user)s no longer works in this workspace.")
                     % {"user": membership.user.get_username()})
    return redirect("members", request.workspace.slug)


def _messages_of(exc) -> list[str]:
    return getattr(exc, "messages", None) or [str(exc)]
