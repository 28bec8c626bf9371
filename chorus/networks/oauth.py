"""What every OAuth 2 connect shares: the sign-in page's address, PKCE, and the token request with its errors
(RFC 6749 §5.2) told in words a person can act on. The flow itself lives in chorus.channels.oauth."""

import base64
import hashlib
import time
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.networks import errors
from chorus.networks.http import call, client_for, json_of

# What the token endpoint's "error" means for the person (RFC 6749 §5.2); other codes are shown as they come.
TOKEN_ERRORS = {
    "invalid_grant": gettext_lazy("the sign-in code was refused (already used, expired, or issued for "
                                  "another address)"),
    "invalid_client": gettext_lazy("the application's client id or secret is wrong"),
    "unauthorized_client": gettext_lazy("the application may not sign in this way"),
    "invalid_request": gettext_lazy("the request was incomplete"),
    "invalid_scope": gettext_lazy("the application asked for rights it does not have"),
}


def code_challenge(verifier: str) -> str:
    """PKCE S256 (RFC 7636 §4.2): base64url of the verifier's SHA-256, without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def site_url(key: str, default: str) -> str:
    """A network's sign-in host (x.com, id.vk.com, connect.ok.ru): overridable in CHORUS_NETWORK_BASE_URLS
    under its own key, so tests point it at a fake."""
    return settings.CHORUS_NETWORK_BASE_URLS.get(key, default).rstrip("/")


def authorize_url(base: str, path: str, **params: str) -> str:
    return f"{base}{path}?{urlencode({k: v for k, v in params.items() if v})}"


def request_token(network: str, default_base_url: str, path: str, form: dict, *, label: str,
                  base_url: str = "", auth: tuple[str, str] | None = None, params: dict | None = None) -> dict:
    """POST a grant to the network's token endpoint; its refusal as errors.AuthExpired with a readable reason
    and the network's own error code. Nothing of the request (code, verifier, secrets) goes into the reason."""
    with client_for(network, default_base_url, base_url=base_url) as client:
        response = call(client, "POST", path, changes_state=False, data=form, auth=auth, params=params)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict) and answer.get("error") and not answer.get("access_token"):
        code = str(answer["error"])[:60]
        meaning = TOKEN_ERRORS.get(code, str(answer.get("error_description", ""))[:200])
        raise errors.AuthExpired(f"{meaning} ({code})")
    if response.status_code >= 400:
        raise errors.AuthExpired(_("refused with HTTP %(status)d") % {"status": response.status_code})
    answer = json_of(response)
    if not answer.get("access_token"):
        raise errors.Transient(_("%(network)s answered without a token") % {"network": label})
    return answer


def access_end(answer: dict) -> dict:
    """When a token answer says the access ends unless a person signs in again, as {"access_ends_at": epoch}:
    the refresh token's lifetime where the network announces it (refresh_token_expires_in), or the token's own
    lifetime when no refresh token comes with it. {} when it renews itself without end or the network does not say
    (the health check warns before the date: chorus.channels.health)."""
    if answer.get("refresh_token"):
        seconds = answer.get("refresh_token_expires_in")
    else:
        seconds = answer.get("expires_in")
    if not str(seconds or "").isdigit() or not int(seconds):
        return {}
    return {"access_ends_at": int(time.time()) + int(seconds)}
