"""What a person does with a sandbox channel from Chorus: inject faults, look at what exists on the network."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from chorus.sandbox import network
from chorus.sandbox.models import SandboxAccount, SandboxFaults, SandboxPost
from chorus.workspaces.services import ensure_can


def _account_of(channel) -> SandboxAccount:
    account = None
    if channel.connector_class.is_sandbox:
        account = SandboxAccount.objects.select_related("faults").filter(external_id=channel.external_id).first()
    if account is None:
        raise ValidationError(_("%(name)s is not a sandbox channel.") % {"name": channel.name})
    return account


def set_channel_faults(*, actor, channel, **faults) -> SandboxFaults:
    """Change the injected faults of the channel's sandbox page; probabilities are 0..1, unset ones stay."""
    ensure_can(actor, "sandbox.faults", channel.workspace)
    try:
        return network.set_faults(_account_of(channel), **faults)
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc


def posts_on_network(actor, channel) -> list[SandboxPost]:
    """The posts that exist on the sandbox's side for this channel, oldest first, deleted ones left out."""
    ensure_can(actor, "channel.view", channel.workspace)
    return list(_account_of(channel).posts.filter(deleted_at=None).order_by("created_at", "pk"))
