import hashlib
import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.workspaces.roles import Role


def logo_path(workspace: "Workspace", filename: str) -> str:
    return f"workspaces/{workspace.pk}/logo/{filename}"


class Workspace(models.Model):
    """One client or brand: its own time zone, language and branding (TEAM-1)."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    brand_color = models.CharField(
        _("brand colour"), max_length=7, default="#6f42c1",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #6f42c1."))],
    )
    logo = models.FileField(_("logo"), upload_to=logo_path, blank=True, help_text=_("PNG or JPEG, for reports"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    grants = models.JSONField(default=list, blank=True, help_text="actions granted beyond the role (GRANTABLE)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "workspace"], name="one_role_per_workspace")]


class Profile(models.Model):
    """What a person chose for themselves: UI language (overrides the workspace's) and last workspace."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True)
    last_workspace = models.ForeignKey(Workspace, null=True, blank=True, on_delete=models.SET_NULL)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal token for the API and scripts, limited to one workspace; only its hash is stored."""

    PREFIX = "chorus_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=16, help_text="first characters, to recognise the token")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    @classmethod
    def new_raw_key(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)
