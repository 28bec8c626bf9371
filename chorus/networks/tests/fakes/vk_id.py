"""A fake id.vk.com: VK ID's OAuth 2.1 as its docs describe it. /authorize approves at once and comes back with
code, state, device_id and type=code_v2; /oauth2/auth exchanges the code (PKCE verifier, client id, redirect_uri
and device_id checked) and renews a user token with a refresh token that is good once. The user token it issues
is the one the VK API fake (fakes/vk.py) accepts, so a channel connected here publishes there."""

import secrets

from chorus.networks.tests.fakes.oauth import AuthorizationServer, oauth_error
from chorus.networks.tests.fakes.server import Answer, FakeApi, Request, route
from chorus.networks.tests.fakes.vk import USER_TOKEN

CLIENT_ID = "51800000"
USER_ID = 700100


class FakeVkId(AuthorizationServer, FakeApi):
    network = "vk-id"

    def __init__(self):
        super().__init__()
        self.setup_oauth({CLIENT_ID: ""})
        self.device_id = f"device-{secrets.token_hex(6)}"
        self.refresh_tokens: dict[str, str] = {}  # refresh token → device id; each is good once

    def callback_extras(self, query: dict) -> dict:
        return {"device_id": self.device_id, "type": "code_v2", "expires_in": "600"}

    def tokens(self, scope: str, state: str) -> Answer:
        refresh = f"vk2.a.refresh-{secrets.token_hex(8)}"
        self.refresh_tokens[refresh] = self.device_id
        return Answer(200, {"access_token": USER_TOKEN, "refresh_token": refresh, "id_token": "eyJ.fake.jwt",
                            "token_type": "Bearer", "expires_in": 3600, "user_id": USER_ID, "state": state,
                            "scope": scope})

    def refreshes(self) -> int:
        return sum(1 for r in self.requests if r.path == "/oauth2/auth" and r.form.get("grant_type") ==
                   "refresh_token")

    @route("GET", "/authorize")
    def vk_id_authorize(self, request: Request) -> Answer:
        return self.authorize(request)

    @route("POST", "/oauth2/auth")
    def vk_id_token(self, request: Request) -> Answer:
        if request.arg("grant_type") == "refresh_token":
            if request.arg("client_id") != CLIENT_ID:
                return oauth_error("invalid_client", "client_id is invalid", 401)
            device = self.refresh_tokens.pop(request.arg("refresh_token"), None)
            if device is None or device != request.arg("device_id"):
                return oauth_error("invalid_grant", "refresh token is invalid or expired")
            return self.tokens("wall photos groups", request.arg("state"))
        if request.arg("device_id") != self.device_id:
            return oauth_error("invalid_request", "device_id is invalid")
        issued = self.grant(request, client_secret="")
        if isinstance(issued, Answer):
            return issued
        return self.tokens(issued["scope"], request.arg("state"))
