"""Workspaces, memberships, permissions and API tokens: the verbs every edge (UI, API, CLI) calls."""

import secrets
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.pictures import UnreadablePicture, read_picture
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


def validate_language(code: str) -> str:
    if code not in dict(settings.LANGUAGES):
        raise ValidationError(_("Language must be one of: %(codes)s.") % {"codes": ", ".join(dict(settings.LANGUAGES))})
    return code


def create_workspace(*, owner, name: str, slug: str, timezone_name: str, language: str,
                     brand_color: str = "#6f42c1") -> Workspace:
    validate_timezone(timezone_name)
    validate_language(language)
    if Workspace.objects.filter(slug=slug).exists():
        raise ValidationError(_("A workspace with the slug %(slug)s already exists.") % {"slug": slug})
    workspace = Workspace(name=name, slug=slug, timezone=timezone_name, language=language, brand_color=brand_color)
    workspace.full_clean()
    with transaction.atomic():
        workspace.save()
        Membership.objects.create(user=owner, workspace=workspace, role=Role.OWNER)
    return workspace


def update_workspace(*, actor, workspace: Workspace, name: str | None = None, timezone_name: str | None = None,
                     language: str | None = None) -> Workspace:
    """Rename the workspace, move it to another zone or change its language; what is not given (None) stays.
    A new zone moves what is kept in local time: the report schedules' next nine o'clock at once, and every
    channel's analytics hours and days in the background once this commits. Scheduled posts keep their exact
    instant (decisions.md, 2026-12-07)."""
    # Imported here: both apps import this module for ensure_can.
    from chorus.analytics.tasks import follow_zone_task
    from chorus.reports.services import follow_zone as reports_follow_zone

    ensure_can(actor, "workspace.settings", workspace)
    name = workspace.name if name is None else name.strip()
    if not name:
        raise ValidationError(_("Give the workspace a name."))
    name = Workspace._meta.get_field("name").clean(name, workspace)
    timezone_name = validate_timezone(workspace.timezone if timezone_name is None else timezone_name.strip())
    language = validate_language(workspace.language if language is None else language)
    with transaction.atomic():
        # The zone as saved, read under a lock: two owners moving it at once each move the schedules from the
        # zone the other left, not from the one their pages showed.
        old_zone = Workspace.objects.select_for_update().values_list("timezone", flat=True).get(pk=workspace.pk)
        workspace.name, workspace.timezone, workspace.language = name, timezone_name, language
        workspace.save(update_fields=["name", "timezone", "language"])
        if timezone_name != old_zone:
            reports_follow_zone(workspace, old_zone)
            transaction.on_commit(lambda pk=workspace.pk: follow_zone_task.delay(pk))
    return workspace


LOGO_BYTES = 1_000_000


def update_branding(*, actor, workspace: Workspace, brand_color: str, logo=None, remove_logo=False) -> Workspace:
    """The colour and logo that reports (and the navbar) wear; the logo must be a PNG or JPEG of at most 1 MB."""
    ensure_can(actor, "workspace.settings", workspace)
    workspace.brand_color = brand_color.strip()
    workspace.full_clean(exclude=["logo"])
    if logo is not None:
        extension = _logo_extension(logo)
        workspace.logo.save(f"{secrets.token_hex(8)}.{extension}", logo, save=False)
    elif remove_logo:
        workspace.logo = ""
    workspace.save(update_fields=["brand_color", "logo"])
    return workspace


def _logo_extension(logo) -> str:
    if logo.size > LOGO_BYTES:
        raise ValidationError(_("The logo is %(kb)d KB; a logo of up to 1,000 KB is accepted.")
                              % {"kb": logo.size // 1000})
    try:
        kind, _width, _height = read_picture(logo)
    except UnreadablePicture as exc:
        raise ValidationError(_("The logo is not a picture that can be read; use a PNG or JPEG file.")) from exc
    if kind not in ("PNG", "JPEG"):
        raise ValidationError(_("The logo is a %(kind)s; use a PNG or JPEG file.") % {"kind": kind})
    return kind.lower().replace("jpeg", "jpg")


# Members (TEAM-1, TEAM-2) -------------------------------------------------------------------------------------
# Every change is guarded by members.manage. Two rules on top: only an owner touches an owner (a manager cannot
# demote or remove the person above them), and a workspace always keeps at least one owner.

def members_of(actor, workspace: Workspace):
    ensure_can(actor, "members.manage", workspace)
    return Membership.objects.filter(workspace=workspace).select_related("user").order_by("user__username")


def member_for(actor, workspace: Workspace, user_id) -> Membership:
    """One member of `workspace`; someone else's member and nobody at all get the same 404."""
    ensure_can(actor, "members.manage", workspace)
    found = Membership.objects.select_related("user").filter(workspace=workspace, user_id=user_id).first()
    if found is None:
        raise Http404(_("No such member in this workspace."))
    return found


def _check_role(actor, workspace: Workspace, role: str) -> None:
    if role not in Role.values:
        raise ValidationError(_("Unknown role %(role)s: use one of %(roles)s.")
                              % {"role": role, "roles": ", ".join(Role.values)})
    if role == Role.OWNER and role_of(actor, workspace) != Role.OWNER:
        raise NotAllowed(_("Only an owner can make another owner."))


def _check_grants(role: str, actions) -> list[str]:
    allowed = GRANTABLE.get(role, frozenset())
    refused = sorted(set(actions) - allowed)
    if refused:
        raise ValidationError(_("A %(role)s cannot be granted: %(actions)s.")
                              % {"role": Role(role).label, "actions": ", ".join(refused)})
    return sorted(set(actions))


def _forget_access(user, workspace: Workspace) -> None:
    getattr(user, "_chorus_roles", {}).pop(workspace.pk, None)


def _lock_owners(workspace: Workspace) -> list[int]:
    """The owners' user ids, locked until the transaction ends: two owners demoting each other at once
    cannot both see "there is another owner" (PostgreSQL re-reads the locked rows; SQLite writes one at a time)."""
    return list(Membership.objects.select_for_update().filter(workspace=workspace, role=Role.OWNER)
                .values_list("user_id", flat=True))


def _ensure_may_change(actor, membership: Membership) -> None:
    """Only an owner touches an owner's membership; the last owner stays an owner."""
    if membership.role != Role.OWNER:
        return
    if role_of(actor, membership.workspace) != Role.OWNER:
        raise NotAllowed(_("Only an owner can change or remove an owner."))
    if _lock_owners(membership.workspace) == [membership.user_id]:
        raise ValidationError(_("%(user)s is the last owner of this workspace: make someone else an owner first.")
                              % {"user": membership.user.get_username()})


def add_member(*, actor, workspace: Workspace, user, role: str, grants=()) -> Membership:
    """Give an existing person a role in the workspace; someone already in it is refused, not silently changed."""
    ensure_can(actor, "members.manage", workspace)
    _check_role(actor, workspace, role)
    grants = _check_grants(role, grants)
    current = Membership.objects.filter(workspace=workspace, user=user).first()
    if current is None:
        try:
            with transaction.atomic():
                membership = Membership.objects.create(user=user, workspace=workspace, role=role, grants=grants)
        except IntegrityError:  # someone added them a moment ago (one_role_per_workspace)
            current = Membership.objects.get(workspace=workspace, user=user)
    if current is not None:
        raise ValidationError(_("%(user)s is already a member of this workspace (%(role)s).")
                              % {"user": user.get_username(), "role": Role(current.role).label})
    _forget_access(user, workspace)
    return membership


def add_member_named(*, actor, workspace: Workspace, username: str, role: str, grants=()) -> Membership:
    """`add_member` for a person named by their exact username, as the Members page, the API and the CLI do."""
    ensure_can(actor, "members.manage", workspace)
    person = User.objects.filter(username=username.strip()).first()
    if person is None:
        raise ValidationError(_("No user named %(name)s: make a new account for them instead.") % {"name": username})
    return add_member(actor=actor, workspace=workspace, user=person, role=role, grants=grants)


def new_password() -> str:
    return secrets.token_urlsafe(12)


def create_member(*, actor, workspace: Workspace, username: str, role: str, email: str = "",
                  grants=()) -> tuple[Membership, str]:
    """Make an account for someone new and add them; returns the membership and a one-time password, shown
    once (only its hash is stored) for the person to sign in with."""
    ensure_can(actor, "members.manage", workspace)
    _check_role(actor, workspace, role)
    grants = _check_grants(role, grants)
    username, email = username.strip(), email.strip()
    if not username:
        raise ValidationError(_("Write the new person's username."))
    User.username_validator(username)
    if len(username) > User._meta.get_field("username").max_length:
        raise ValidationError(_("A username has at most %(n)d characters.")
                              % {"n": User._meta.get_field("username").max_length})
    if email:
        validate_email(email)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("A user named %(name)s already exists: add them by their username instead.")
                              % {"name": username})
    password = new_password()
    person = User(username=username, email=email)
    person.set_password(password)
    with transaction.atomic():
        person.save()
        membership = Membership.objects.create(user=person, workspace=workspace, role=role, grants=grants)
    return membership, password


def change_role(*, actor, workspace: Workspace, user, role: str) -> Membership:
    """A member's new role; what was granted beyond the old role stays only where the new role allows it."""
    ensure_can(actor, "members.manage", workspace)
    _check_role(actor, workspace, role)
    with transaction.atomic():
        membership = member_for(actor, workspace, user.pk)
        if role != membership.role:
            _ensure_may_change(actor, membership)
        membership.role = role
        membership.grants = sorted(set(membership.grants) & GRANTABLE.get(role, frozenset()))
        membership.save(update_fields=["role", "grants"])
    _forget_access(user, workspace)
    return membership


def grant(*, actor, workspace: Workspace, user, actions: list[str]) -> Membership:
    """Give a member these actions beyond their role (e.g. an editor who moderates); [] takes them back."""
    ensure_can(actor, "members.manage", workspace)
    membership = Membership.objects.filter(workspace=workspace, user=user).first()
    if membership is None:
        raise ValidationError(_("%(user)s is not a member of this workspace.") % {"user": user})
    membership.grants = _check_grants(membership.role, actions)
    membership.save(update_fields=["grants"])
    _forget_access(user, workspace)
    return membership


def remove_member(*, actor, workspace: Workspace, user) -> None:
    """Take a person out of the workspace; their API tokens for it stop working with it."""
    ensure_can(actor, "members.manage", workspace)
    with transaction.atomic():
        membership = member_for(actor, workspace, user.pk)
        _ensure_may_change(actor, membership)
        membership.delete()
        ApiToken.objects.filter(user=user, workspace=workspace).delete()
    _forget_access(user, workspace)


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
