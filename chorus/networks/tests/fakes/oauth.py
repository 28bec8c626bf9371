"""The authorization-code half of OAuth 2 as a network serves it, for the fakes to mix in.

`authorize` is the sign-in page after the person said yes (or no, when `deny_next` is set): it redirects to the
redirect_uri with a code and the state. `grant` is the token endpoint's check of that code: good once, for the
client and redirect_uri it was issued to, and with the PKCE verifier that hashes to the challenge (RFC 7636);
a refusal comes as RFC 6749 §5.2 says, `{"error": "invalid_grant", ...}` with HTTP 400.
"""

import base64
import hashlib
import secrets
from urllib.parse import urlencode

from chorus.networks.tests.fakes.server import Answer, Request


def oauth_error(code: str, description: str, status: int = 400) -> Answer:
    return Answer(status, {"error": code, "error_description": description})


class AuthorizationServer:
    """Mix into a FakeApi. `oauth_clients` maps client id → secret ("" for a public client)."""

    pkce_required = True

    def setup_oauth(self, clients: dict[str, str]) -> None:
        self.oauth_clients = dict(clients)
        self.codes: dict[str, dict] = {}  # code → what it was issued for
        self.deny_next = False  # the person presses "Cancel" on the next sign-in page
        self.refuse_codes = False  # the token endpoint refuses every code (it expired on the network's side)
        self.authorizations: list[dict] = []

    def authorize(self, request: Request) -> Answer:
        query = request.query
        self.authorizations.append(dict(query))
        redirect_uri, state = query.get("redirect_uri", ""), query.get("state", "")
        if query.get("client_id") not in self.oauth_clients or not redirect_uri:
            return Answer(400, "<html><body>Unknown application</body></html>", {"Content-Type": "text/html"})
        if self.deny_next:
            self.deny_next = False
            return self.back(redirect_uri, error="access_denied", error_description="The user denied access",
                             state=state)
        if self.pkce_required and query.get("code_challenge_method") != "S256":
            return self.back(redirect_uri, error="invalid_request", error_description="PKCE S256 required",
                             state=state)
        code = secrets.token_urlsafe(12)
        self.codes[code] = {"client_id": query["client_id"], "redirect_uri": redirect_uri,
                            "challenge": query.get("code_challenge", ""), "scope": query.get("scope", "")}
        return self.back(redirect_uri, code=code, state=state, **self.callback_extras(query))

    def callback_extras(self, query: dict) -> dict:
        return {}

    @staticmethod
    def back(redirect_uri: str, **params) -> Answer:
        separator = "&" if "?" in redirect_uri else "?"
        return Answer(302, b"", {"Location": redirect_uri + separator + urlencode(params)})

    def grant(self, request: Request, client_id: str = "", client_secret: str | None = None) -> dict | Answer:
        """The issued code's record, or the documented refusal. Credentials come from the form or Basic auth."""
        client_id = client_id or request.arg("client_id")
        if client_secret is None:
            client_secret = request.arg("client_secret")
            basic = request.headers.get("authorization", "")
            if basic.startswith("Basic "):
                client_id, _colon, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id not in self.oauth_clients or self.oauth_clients[client_id] not in ("", client_secret):
            return oauth_error("invalid_client", "Client authentication failed", 401)
        if request.arg("grant_type") != "authorization_code":
            return oauth_error("unsupported_grant_type", "The grant type is not supported")
        issued = self.codes.pop(request.arg("code"), None)
        if issued is None or self.refuse_codes:
            return oauth_error("invalid_grant", "The provided authorization grant is invalid, expired or revoked")
        if issued["client_id"] != client_id or issued["redirect_uri"] != request.arg("redirect_uri"):
            return oauth_error("invalid_grant", "The redirect_uri or client does not match the authorization")
        if issued["challenge"] or self.pkce_required:
            verifier = request.arg("code_verifier")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if digest != issued["challenge"]:
                return oauth_error("invalid_grant", "The code_verifier does not match the code_challenge")
        return issued
