"""Workspaces, memberships, permissions and API tokens: the verbs every edge (UI, API, CLI) calls."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.workspaces.models import ApiToken, Membership, Profile, Workspace, hash_token
from chorus.workspaces.roles import GRANTABLE, Role, can

User = get_user_model()


class NotAllowed(PermissionDenied):
    """The actor is a member but their role does not permit the action."""


def access_of(user, workspace: Workspace) -> tuple[str | None, frozenset[str]]:
    """The member's role and what the owner granted beyond it; (None, ∅) for anyone else."""
    if user is None or not user.is_authenticated:
        return None, frozenset()
    cache = getattr(user, "_chorus_roles", None)
    if cache is None:
        cache = user._chorus_roles = {}
    if workspace.pk not in cache:
        found = Membership.objects.filter(user=user, workspace=workspace).values_list("role", "grants").first()
        cache[workspace.pk] = (found[0], frozenset(found[1])) if found else (None, frozenset())
    return cache[workspace.pk]


def role_of(user, workspace: Workspace) -> str | None:
    return access_of(user, workspace)[0]


def ensure_can(user, action: str, workspace: Workspace) -> str:
    """Raise unless `user` may do `action` in `workspace`; non-members get 404 so existence never leaks."""
    role, grants = access_of(user, workspace)
    if role is None:
        raise Http404(_("No such workspace."))
    if not can(role, action, grants):
        raise NotAllowed(_("Your role (%(role)s) does not allow this.") % {"role": Role(role).label})
    return role


def workspace_object(actor, workspace: Workspace, queryset, pk, action: str, missing: str):
    """One object of `workspace` that `actor` may `action`: the same 404 for "not yours" and "not there"."""
    ensure_can(actor, action, workspace)
    found = queryset.filter(workspace=workspace, pk=pk).first()
    if found is None:
        raise Http404(missing)
    return found


def grant(*, actor, workspace: Workspace, user, actions: list[str]) -> Membership:
    """Give a member these actions beyond their role (e.g. an editor who moderates); [] takes them back."""
    ensure_can(actor, "members.manage", workspace)
    membership = Membership.objects.filter(workspace=workspace, user=user).first()
    if membership is None:
        raise ValidationError(_("%(user)s is not a member of this workspace.") % {"user": user})
    allowed = GRANTABLE.get(membership.role, frozenset())
    refused = sorted(set(actions) - allowed)
    if refused:
        raise ValidationError(_("A %(role)s cannot be granted: %(actions)s.")
                              % {"role": Role(membership.role).label, "actions": ", ".join(refused)})
    membership.grants = sorted(set(actions))
    membership.save(update_fields=["grants"])
    getattr(user, "_chorus_roles", {}).pop(workspace.pk, None)
    return membership


def workspaces_of(user) -> list[Workspace]:
    return list(Workspace.objects.filter(memberships__user=user).order_by("name"))


def workspace_for(user, slug: str, action: str = "workspace.view") -> Workspace:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise Http404(_("No such workspace."))
    ensure_can(user, action, workspace)
    return workspace


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("Unknown time zone %(tz)s: use an IANA name such as Europe/Moscow.") % {"tz": name}
        ) from exc
    return name


def create_workspace(*, owner, name: str, slug: str, timezone_name: str, language: str,
                     brand_color: str = "#6f42c1") -> Workspace:
    validate_timezone(timezone_name)
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Language must be one of: %(codes)s.") % {"codes": ", ".join(dict(settings.LANGUAGES))})
    if Workspace.objects.filter(slug=slug).exists():
        raise ValidationError(_("A workspace with the slug %(slug)s already exists.") % {"slug": slug})
    workspace = Workspace(name=name, slug=slug, timezone=timezone_name, language=language, brand_color=brand_color)
    workspace.full_clean()
    with transaction.atomic():
        workspace.save()
        Membership.objects.create(user=owner, workspace=workspace, role=Role.OWNER)
    return workspace


def add_member(*, actor, workspace: Workspace, user, role: str) -> Membership:
    ensure_can(actor, "members.manage", workspace)
    if role not in Role.values:
        raise ValidationError(_("Unknown role %(role)s.") % {"role": role})
    if role == Role.OWNER and role_of(actor, workspace) != Role.OWNER:
        raise NotAllowed(_("Only an owner can make another owner."))
    membership, _created = Membership.objects.update_or_create(
        user=user, workspace=workspace, defaults={"role": role}
    )
    return membership


def profile_of(user) -> Profile:
    return Profile.objects.get_or_create(user=user)[0]


def remember_workspace(user, workspace: Workspace) -> None:
    Profile.objects.update_or_create(user=user, defaults={"last_workspace": workspace})


def choose_language(user, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("Unsupported language."))
    Profile.objects.update_or_create(user=user, defaults={"language": language})


def local_operator():
    """The server's operator as a person: owns what the command line creates when nobody else is named."""
    user, created = User.objects.get_or_create(username="operator")
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def create_api_token(*, actor, workspace: Workspace, name: str) -> tuple[ApiToken, str]:
    """Return the token and its raw key; the raw key is shown once and never stored."""
    ensure_can(actor, "token.create", workspace)
    raw = ApiToken.new_raw_key()
    token = ApiToken.objects.create(
        user=actor, workspace=workspace, name=name, key_hash=hash_token(raw), hint=raw[: len(ApiToken.PREFIX) + 4]
    )
    return token, raw


def token_owner(raw: str) -> ApiToken | None:
    token = ApiToken.objects.select_related("user", "workspace").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token
