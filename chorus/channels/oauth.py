"""Connecting a channel through the network's own sign-in page (OAuth 2 authorization code with PKCE).

`start_oauth` asks the connector for the sign-in address and keeps what the callback needs in the person's
session, under a random state: bound to that session, good once, for ten minutes. The state also names the
workspace the sign-in was begun in, so one callback address serves every workspace. Everything kept
there is sealed with the field keys (chorus.secrets), as it holds the PKCE verifier and whatever secret the
person typed. `finish_oauth` takes the state back, has the connector exchange the code, and connects the channel
through `connect_channel`, so the account is checked exactly as a pasted token is.
"""

import secrets
import time
from dataclasses import asdict

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _

from chorus.channels.models import Channel, NetworkApp
from chorus.channels.services import connect_channel
from chorus.networks import errors
from chorus.networks.base import OAuthClient
from chorus.networks.oauth import code_challenge
from chorus.networks.registry import CONNECTORS
from chorus.secrets import seal, unseal
from chorus.workspaces.models import Workspace
from chorus.workspaces.services import ensure_can

SESSION_KEY = "chorus_oauth"
LIFETIME = 600  # seconds a sign-in may take before its state is refused
AT_MOST_PENDING = 10  # sign-ins begun and not finished that one session keeps


class OAuthRefused(ValidationError):
    """The callback cannot be trusted or the network said no; the message says which, without any token."""

    def __init__(self, message, workspace=None):
        super().__init__(message)
        self.workspace = workspace  # where the sign-in was begun, when the state was good enough to say


def oauth_networks() -> list[tuple[str, str, tuple]]:
    """(network, label, fields asked before the sign-in) for every connector that connects through OAuth."""
    return [(key, c.label, c.oauth_fields) for key, c in CONNECTORS.items() if c.oauth]


def _registered(network: str, redirect_uri: str):
    def registered(server: str, register) -> OAuthClient:
        app = NetworkApp.objects.filter(network=network, server=server, redirect_uri=redirect_uri).first()
        if app is None:
            client = register()
            try:
                app = NetworkApp.objects.create(network=network, server=server, redirect_uri=redirect_uri,
                                                client_id=client.client_id,
                                                credentials={"client_secret": client.client_secret})
            except IntegrityError:  # two people started at once: keep the app the other one stored
                app = NetworkApp.objects.get(network=network, server=server, redirect_uri=redirect_uri)
        return OAuthClient(app.client_id, app.credentials.get("client_secret", ""))

    return registered


def start_oauth(*, actor, workspace, network: str, name: str, given: dict[str, str], redirect_uri: str,
                session) -> str:
    """The address of the network's sign-in page; the person's browser goes there next."""
    ensure_can(actor, "channel.connect", workspace)
    connector = CONNECTORS.get(network)
    if connector is None or not connector.oauth:
        raise ValidationError(_("This network does not connect through its sign-in page."))
    if not name.strip():
        raise ValidationError(_("Give the channel a name."))
    credentials, config = {}, {}
    for field in connector.oauth_fields:
        value = str(given.get(field.name, "")).strip()
        if value:
            (credentials if field.secret else config)[field.name] = value
        elif field.required:
            raise ValidationError(_("Fill in: %(fields)s.") % {"fields": field.label})
    try:
        client = connector.oauth_client(config, credentials, redirect_uri, _registered(network, redirect_uri))
        state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)
        url, stash = connector.oauth_authorize(client, config, redirect_uri, state, code_challenge(verifier))
    except errors.NetworkError as exc:
        raise ValidationError(_("Could not start signing in to %(network)s: %(reason)s")
                              % {"network": connector.label, "reason": exc.reason}) from exc
    sealed = {"client": asdict(client), "credentials": credentials, "config": config, "stash": stash,
              "verifier": verifier, "redirect_uri": redirect_uri}
    now = time.time()
    pending = {s: p for s, p in session.get(SESSION_KEY, {}).items() if p["expires"] > now}
    pending = dict(sorted(pending.items(), key=lambda item: item[1]["expires"])[-(AT_MOST_PENDING - 1):])
    pending[state] = {"workspace": workspace.pk, "network": network, "name": name.strip(), "expires": now + LIFETIME,
                      "sealed": seal(sealed)}
    session[SESSION_KEY] = pending
    return url


def _take(session, state: str) -> tuple[dict, Workspace]:
    """The pending sign-in of this state and its workspace, removed from the session whatever happens next."""
    pending = dict(session.get(SESSION_KEY, {}))
    record = pending.pop(state, None) if state else None
    session[SESSION_KEY] = pending
    workspace = Workspace.objects.filter(pk=record["workspace"]).first() if record else None
    if workspace is None or record["expires"] <= time.time():
        raise OAuthRefused(_("This sign-in cannot be finished: it was already used, took longer than ten minutes, "
                             "or was started in another browser. Start connecting again."), workspace)
    return record, workspace


# What the network's "error" on the callback means (RFC 6749 §4.1.2.1); others are shown as the network says.
def _callback_error(label: str, error: str, description: str) -> str:
    if error == "access_denied":
        return _("Access was not granted on %(network)s, so nothing was connected.") % {"network": label}
    return _("%(network)s did not sign you in: %(reason)s") % {
        "network": label, "reason": (description or error)[:200]}


def finish_oauth(*, actor, session, callback: dict[str, str]) -> Channel:
    """The network sent the person back with `callback` (its query: code and state, or error).

    The channel joins the workspace the sign-in was begun in, if the person may still connect channels there.
    """
    record, workspace = _take(session, callback.get("state", ""))
    ensure_can(actor, "channel.connect", workspace)
    connector = CONNECTORS[record["network"]]
    if callback.get("error"):
        raise OAuthRefused(_callback_error(connector.label, callback["error"], callback.get("error_description", "")),
                           workspace)
    if not callback.get("code"):
        raise OAuthRefused(_("%(network)s sent no sign-in code back.") % {"network": connector.label}, workspace)
    sealed = unseal(record["sealed"])
    try:
        credentials, config = connector.oauth_exchange(
            OAuthClient(**sealed["client"]), sealed["config"], sealed["stash"], callback, sealed["redirect_uri"],
            sealed["verifier"])
    except errors.NetworkError as exc:
        raise OAuthRefused(_("%(network)s did not accept the sign-in: %(reason)s")
                           % {"network": connector.label, "reason": exc.reason}, workspace) from exc
    return connect_channel(actor=actor, workspace=workspace, network=record["network"], name=record["name"],
                           credentials={**sealed["credentials"], **credentials},
                           config={**sealed["config"], **config})
