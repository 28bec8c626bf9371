"""NET-X: X (Twitter) API v2 with plain httpx and an OAuth 2.0 user token.

The person connects through X's OAuth 2.0 Authorization Code flow with PKCE ("Connect with X" on the channels
page, chorus.channels.oauth; scopes OAUTH_SCOPES), or pastes tokens obtained elsewhere. The access
token lives about two hours; on a 401 it is refreshed once. X rotates refresh tokens (the old one dies when used),
so the refresh runs under a row lock (chorus.channels.services.rotate_credentials) and a second worker adopts the
token the first one stored.

X has no idempotency key: an ambiguous send is read back from the account's timeline by its text, with URLs left
out of the comparison because X rewrites them to t.co. Identical text is refused by X as a duplicate (403).

Cost: X bills pay-per-use per request, and a post with a URL costs about 13 times one without (POST_PRICE_USD,
from the pricing page in the research). Chorus only shows this; it bills nothing.
"""

import html
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cached_property

import regex
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.networks import errors
from chorus.networks.base import (
    AccountCounters,
    AccountHealth,
    Capabilities,
    ConnectField,
    Connector,
    Conversation,
    ConversationPage,
    MediaRule,
    OAuthClient,
    PostCounters,
    Problem,
    Publication,
    PublicPage,
    PublicPost,
    RemotePost,
    TextMeasure,
    TextRule,
    VideoRule,
)
from chorus.networks.http import call, client_for, json_of, retry_at
from chorus.networks.oauth import access_end, authorize_url, request_token, site_url
from chorus.networks.text import measure_x, x_urls

DEFAULT_API = "https://api.x.com"
TOKEN_PATH = "/2/oauth2/token"
AUTHORIZE_SITE, AUTHORIZE_PATH = "https://x.com", "/i/oauth2/authorize"  # "x-authorize" in CHORUS_NETWORK_BASE_URLS
# offline.access brings the refresh token; media.write is for images; tweet.moderate.write hides replies.
OAUTH_SCOPES = "tweet.read tweet.write users.read offline.access media.write tweet.moderate.write"
REQUIRED_SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access")  # the others stop one feature
# What one post costs on X's pay-per-use plan (docs.x.com/x-api/getting-started/pricing, per the research).
POST_PRICE_USD = {"text": Decimal("0.015"), "with_url": Decimal("0.200")}
IDS_PER_READ = 100  # GET /2/tweets takes at most 100 ids
TIMELINE_PAGE = 100  # max_results of the timelines: between 5 and 100
CLOCK_SKEW = timedelta(minutes=1)
POLL_MINUTES = (5, 7 * 24 * 60)
POLL_DEFAULT_MINUTES = 24 * 60
POLL_OPTIONS, POLL_OPTION_LENGTH = (2, 4), 25
DUPLICATE = "duplicate content"
USAGE_CAPPED = "usage-capped"  # the problem type of the app's monthly cap
LEADING_MENTIONS = regex.compile(r"^(?:@\w{1,15}\s+)+")  # the @names X puts in front of a reply's text
TWEET_FIELDS = "created_at,author_id,conversation_id,referenced_tweets,public_metrics"
# Images per post, and X's image upload limits (up to 4 images, 5 MB each; JPEG, PNG, GIF, WEBP).
IMAGES = MediaRule(max_count=4, max_bytes=5 * 2**20, formats=("image/jpeg", "image/png", "image/gif", "image/webp"))
# One video (MP4 or MOV) of up to 512 MB and 140 s, alone in its post (media_category tweet_video).
VIDEO = VideoRule(max_count=1, max_bytes=512 * 2**20, max_seconds=140, formats=("video/mp4", "video/quicktime"))
UPLOAD_CHUNK = 2**20  # bytes per append; X takes segments of up to 5 MB
MEDIA_POLLS = 10  # status checks of an upload X is still processing


def granted(answer: dict) -> dict:
    """What a token answer says of the grant, kept with the tokens: the scopes X granted and when the access ends
    without a person (oauth.access_end)."""
    return {**({"scope": answer["scope"]} if "scope" in answer else {}), **access_end(answer)}


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _post_url(tweet_id: str) -> str:
    return f"https://x.com/i/status/{tweet_id}"


def comparable(text: str) -> str:
    """Text as X keeps it, for matching a post by content: entities unescaped, URLs (t.co on X's side) left out,
    Unicode and whitespace normalised."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    for start, end in reversed(x_urls(text)):
        text = text[:start] + text[end:]
    return " ".join(text.split())


def _counters(tweet: dict) -> PostCounters:
    # Quotes are reposts with a comment: counted with reposts, as for Bluesky. impression_count is absent on
    # tiers and posts that do not give it, and then views stay None.
    metrics = tweet.get("public_metrics", {})
    return PostCounters(tweet["id"], views=metrics.get("impression_count"), likes=metrics.get("like_count"),
                        reposts=metrics.get("retweet_count", 0) + metrics.get("quote_count", 0),
                        comments=metrics.get("reply_count"))


class XConnector(Connector):
    network = "x"
    label = "X (Twitter)"
    capabilities = Capabilities(
        text=TextRule(limit=280, unit="weighted"),
        images=IMAGES,
        video=VIDEO,
        native_scheduling=False, edit=False, delete=True, idempotency="none", find_published=True,
        # A reply to one of the channel's own posts can be hidden and shown again (PUT /2/tweets/:id/hidden); X
        # lets nobody else delete a reply or block through this token's scopes.
        polls=True, threads=True, first_comment=True, comments=True, messages=False, moderation=("hide",),
        undo=("hide",),
        public_pages=True, metrics=("views", "likes", "reposts", "comments"), account_metrics=("followers",),
    )
    connect_fields = (
        ConnectField("client_id", gettext_lazy("OAuth 2.0 Client ID"),
                     help=gettext_lazy("From your app in the X developer portal (Keys and tokens)")),
        ConnectField("client_secret", gettext_lazy("OAuth 2.0 Client Secret"), secret=True, required=False,
                     help=gettext_lazy("Only for a confidential client; leave empty for a public (PKCE) client")),
        ConnectField("access_token", gettext_lazy("Access token"), secret=True,
                     help=gettext_lazy("From X's OAuth 2.0 Authorization Code flow with PKCE, scopes tweet.read "
                                       "tweet.write users.read offline.access (and tweet.moderate.write to hide "
                                       "replies). \"Connect with X\" above runs that flow; paste here only tokens "
                                       "obtained with your own tool")),
        ConnectField("refresh_token", gettext_lazy("Refresh token"), secret=True,
                     help=gettext_lazy("Given with the access token when the offline.access scope is granted; "
                                       "X replaces it at every refresh and Chorus keeps the new one")),
    )

    # OAuth 2.0 Authorization Code with PKCE: the app's client id from settings (CHORUS_X_CLIENT_ID) or typed.
    oauth = True
    oauth_fields = (
        ConnectField("client_id", gettext_lazy("OAuth 2.0 Client ID"), required=False,
                     help=gettext_lazy("Leave empty to use the app set up for this server (CHORUS_X_CLIENT_ID)")),
        ConnectField("client_secret", gettext_lazy("OAuth 2.0 Client Secret"), secret=True, required=False,
                     help=gettext_lazy("Only for a confidential client; leave empty for a public (PKCE) client")),
    )

    @classmethod
    def oauth_client(cls, config, credentials, redirect_uri, registered):
        if config.get("client_id"):
            return OAuthClient(config["client_id"], credentials.get("client_secret", ""))
        if not settings.CHORUS_X_CLIENT_ID:
            raise errors.ValidationRejected(_("Type the OAuth 2.0 Client ID of your X app, or have the server's "
                                              "operator set CHORUS_X_CLIENT_ID."))
        return OAuthClient(settings.CHORUS_X_CLIENT_ID, settings.CHORUS_X_CLIENT_SECRET)

    @classmethod
    def oauth_authorize(cls, client, config, redirect_uri, state, code_challenge):
        url = authorize_url(site_url("x-authorize", AUTHORIZE_SITE), AUTHORIZE_PATH, response_type="code",
                            client_id=client.client_id, redirect_uri=redirect_uri, scope=OAUTH_SCOPES, state=state,
                            code_challenge=code_challenge, code_challenge_method="S256")
        return url, {}

    @classmethod
    def oauth_exchange(cls, client, config, stash, callback, redirect_uri, code_verifier):
        secret = client.client_secret
        answer = request_token(cls.network, DEFAULT_API, TOKEN_PATH, label="X", form={
            "grant_type": "authorization_code", "code": callback.get("code", ""), "redirect_uri": redirect_uri,
            "code_verifier": code_verifier, "client_id": client.client_id},
            auth=(client.client_id, secret) if secret else None)
        if not answer.get("refresh_token"):
            raise errors.AuthExpired(_("X gave no refresh token: the app must have the offline.access scope."))
        # The refresh reads the client from the channel, as a pasted connection keeps it.
        credentials = {"access_token": answer["access_token"], "refresh_token": answer["refresh_token"],
                       **granted(answer)}
        return {**credentials, **({"client_secret": secret} if secret else {})}, {"client_id": client.client_id}

    @classmethod
    def measure(cls, text: str) -> TextMeasure:
        return measure_x(text)

    @classmethod
    def validate(cls, publication: Publication) -> list[Problem]:
        return super().validate(publication) + _poll_problems(publication)

    # HTTP ------------------------------------------------------------------------------------------------------
    @cached_property
    def client(self):
        return client_for(self.network, DEFAULT_API)

    def _send(self, method: str, path: str, *, changes_state: bool, **kwargs):
        headers = {"Authorization": f"Bearer {self.channel.credentials.get('access_token', '')}"}
        return call(self.client, method, path, changes_state=changes_state, headers=headers, **kwargs)

    def _api(self, method: str, path: str, *, changes_state: bool = False, **kwargs) -> dict:
        """One call with the user's token; on a 401 the token is refreshed once and the call sent again (a 401
        means X did nothing, so a post cannot double)."""
        response = self._send(method, path, changes_state=changes_state, **kwargs)
        if response.status_code == 401 and self.channel.credentials.get("refresh_token"):
            from chorus.channels.services import rotate_credentials  # channels.services imports the registry

            rotate_credentials(self.channel, "refresh_token", self._refreshed)
            response = self._send(method, path, changes_state=changes_state, **kwargs)
        return _answer(response, changes_state)

    def _refreshed(self, refresh_token: str) -> dict:
        client_id = self.channel.config.get("client_id", "")
        secret = self.channel.credentials.get("client_secret", "")
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client_id}
        response = call(self.client, "POST", TOKEN_PATH, changes_state=False, data=form,
                        auth=(client_id, secret) if secret else None)
        if response.status_code in (400, 401):
            raise errors.AuthExpired(_("X did not renew the access: reconnect the channel with new tokens."))
        answer = _answer(response)
        return {"access_token": answer["access_token"],
                "refresh_token": answer.get("refresh_token") or refresh_token, **granted(answer)}

    @property
    def user_id(self) -> str:
        if not self.channel.external_id:
            self.channel.external_id = self._me()["id"]
        return self.channel.external_id

    def _me(self) -> dict:
        return self._api("GET", "/2/users/me", params={"user.fields": "public_metrics"})["data"]

    # Account ---------------------------------------------------------------------------------------------------
    def check_health(self) -> AccountHealth:
        """The token works, and the scopes X granted (kept from its token answers; unknown for pasted tokens) let
        Chorus post: without tweet.write nothing goes out, without media.write only images stop, without
        tweet.moderate.write only hiding replies."""
        try:
            me = self._me()
        except errors.NetworkError as exc:
            return AccountHealth(ok=False, message=exc.reason)
        self.channel.external_id = self.channel.external_id or me["id"]
        followers = me.get("public_metrics", {}).get("followers_count")
        scopes = self.channel.credentials.get("scope")
        if scopes is None:
            return AccountHealth(ok=True, followers=followers)
        missing = [scope for scope in REQUIRED_SCOPES if scope not in scopes.split()]
        if missing:
            return AccountHealth(ok=False, message=_("X did not grant %(scopes)s: Chorus cannot post. Connect the "
                                                     "channel again and allow them.") % {"scopes": ", ".join(missing)})
        optional = {"media.write": _("Cannot publish images: X did not grant media.write."),
                    "tweet.moderate.write": _("Cannot hide replies: X did not grant tweet.moderate.write.")}
        warnings = [warning for scope, warning in optional.items() if scope not in scopes.split()]
        return AccountHealth(ok=True, message=" ".join(warnings), followers=followers)

    def account_counters(self) -> AccountCounters:
        metrics = self._me().get("public_metrics", {})
        return AccountCounters(followers=metrics.get("followers_count"), following=metrics.get("following_count"),
                               posts=metrics.get("tweet_count"))

    # Publishing ------------------------------------------------------------------------------------------------
    def publish(self, publication: Publication, idempotency_key: str, already: tuple[str, ...] = ()) -> RemotePost:
        """The post with its images, then each thread part and the first comment as a reply to the one before. X
        has no idempotency key: a part that failed after the first went out is reported
        (errors.PartialPublication), never sent again here."""
        texts = [*publication.thread] + ([publication.first_comment] if publication.first_comment else [])
        made = list(already)
        try:
            if not made:
                made.append(self._tweet(self._first_body(publication)))
            for text in texts[len(made) - 1:]:
                made.append(self._tweet({"text": text, "reply": {"in_reply_to_tweet_id": made[-1]}}))
        except errors.NetworkError as exc:
            if not made:
                raise
            raise errors.PartialPublication(self._remote(made, idempotency_key), made, len(texts) + 1, exc) from exc
        return self._remote(made, idempotency_key)

    def _first_body(self, publication: Publication) -> dict:
        body = {"text": publication.text or (publication.poll.question if publication.poll else "")}
        if publication.poll:
            body["poll"] = _poll(publication)
        media_ids = [self._upload(path, facts) for path, facts in publication.files]
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        return body

    def _upload(self, path: str, facts) -> str:
        """One image or video through the v2 chunked upload: initialize, append each segment, finalize, then ask
        for its STATUS while X processes it (a video always, an image sometimes). An upload is not a post (X drops
        unused media itself), so a failure here is safe to retry; media X could not process is rejected content."""
        with open(path, "rb") as file:
            content = file.read()
        media_id = self._api("POST", "/2/media/upload/initialize", json={
            "media_type": facts.mime, "total_bytes": len(content),
            "media_category": "tweet_video" if facts.is_video else "tweet_image"})["data"]["id"]
        for segment, start in enumerate(range(0, len(content), UPLOAD_CHUNK)):
            self._api("POST", f"/2/media/upload/{media_id}/append", data={"segment_index": str(segment)},
                      files={"media": (facts.name or "media", content[start:start + UPLOAD_CHUNK],
                                       "application/octet-stream")})
        processing = self._api("POST", f"/2/media/upload/{media_id}/finalize")["data"].get("processing_info")
        for _attempt in range(MEDIA_POLLS):
            if not processing or processing.get("state") == "succeeded":
                return media_id
            if processing.get("state") == "failed":
                raise errors.ContentRejected(_("X could not process %(name)s: %(why)s") % {
                    "name": facts.name, "why": processing.get("error", {}).get("message", "")})
            time.sleep(processing.get("check_after_secs", 1))
            processing = self._api("GET", "/2/media/upload", params={"command": "STATUS", "media_id": media_id})[
                "data"].get("processing_info")
        raise errors.Transient(_("X is still processing %(name)s; trying again later.") % {"name": facts.name})

    @staticmethod
    def _remote(made: list[str], idempotency_key: str) -> RemotePost:
        return RemotePost(made[0], _post_url(made[0]), datetime.now(UTC), idempotency_key, tuple(made))

    def _tweet(self, body: dict) -> str:
        return self._api("POST", "/2/tweets", changes_state=True, json=body)["data"]["id"]

    def find_published(self, idempotency_key: str, text: str, since: datetime) -> RemotePost | None:
        wanted = comparable(text)
        for tweet in self._timeline(self.user_id, since=since - CLOCK_SKEW):
            if comparable(tweet["text"]) == wanted:
                return RemotePost(tweet["id"], _post_url(tweet["id"]), _moment(tweet["created_at"]), idempotency_key)
        return None

    def _timeline(self, user_id: str, since: datetime | None = None, limit: int = TIMELINE_PAGE) -> list[dict]:
        params = {"max_results": min(max(limit, 5), TIMELINE_PAGE), "tweet.fields": TWEET_FIELDS,
                  "exclude": "retweets"}
        if since:
            params["start_time"] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self._api("GET", f"/2/users/{user_id}/tweets", params=params).get("data", [])

    def delete(self, remote_id: str, parts: tuple[str, ...] = ()) -> None:
        """The post and every reply Chorus made for it (thread parts, the first comment), the last one first: a
        reply left behind would stand alone on the profile. X answers a post already gone with deleted=false."""
        for tweet_id in [part for part in reversed(parts) if part != remote_id]:
            self._api("DELETE", f"/2/tweets/{tweet_id}", changes_state=True)
        self._api("DELETE", f"/2/tweets/{remote_id}", changes_state=True)

    def fetch_counters(self, remote_ids: list[str]) -> list[PostCounters]:
        counters = []
        for start in range(0, len(remote_ids), IDS_PER_READ):
            ids = ",".join(remote_ids[start:start + IDS_PER_READ])
            # Deleted or hidden posts come back under "errors" and are left out.
            answer = self._api("GET", "/2/tweets", params={"ids": ids, "tweet.fields": "public_metrics"})
            counters += [_counters(tweet) for tweet in answer.get("data", [])]
        return counters

    # Conversations ---------------------------------------------------------------------------------------------
    def conversations(self, cursor: str = "") -> ConversationPage:
        """Mentions of the account (replies to its posts are mentions too) after the tweet id `cursor`.
        The mentions timeline needs an access tier that includes it (Basic or pay-per-use reads, not Free)."""
        params = {"max_results": TIMELINE_PAGE, "tweet.fields": TWEET_FIELDS, "expansions": "author_id",
                  "user.fields": "name,username"} | ({"since_id": cursor} if cursor else {})
        answer = self._api("GET", f"/2/users/{self.user_id}/mentions", params=params)
        people = {user["id"]: user for user in answer.get("includes", {}).get("users", [])}
        items = [_conversation(tweet, people) for tweet in answer.get("data", [])]
        return ConversationPage(items, answer.get("meta", {}).get("newest_id") or cursor)

    def reply(self, conversation: Conversation, text: str, idempotency_key: str) -> str:
        return self._tweet({"text": text, "reply": {"in_reply_to_tweet_id": conversation.remote_id}})

    def moderate(self, conversation: Conversation, action: str) -> None:
        self._hide(conversation, action, hidden=True)

    def undo(self, conversation: Conversation, action: str) -> None:
        self._hide(conversation, action, hidden=False)

    def _hide(self, conversation: Conversation, action: str, hidden: bool) -> None:
        """X hides replies only in a conversation the account started; hiding twice is harmless."""
        if action != "hide" or conversation.kind != "reply" or not conversation.post_remote_id:
            raise errors.ValidationRejected(_("X hides only replies to the channel's own posts; it cannot "
                                              "%(action)s this.") % {"action": action})
        self._api("PUT", f"/2/tweets/{conversation.remote_id}/hidden", changes_state=True, json={"hidden": hidden})

    # Public pages ----------------------------------------------------------------------------------------------
    def public_page(self, handle: str, limit: int = 20) -> PublicPage:
        username = handle.strip().removeprefix("https://x.com/").lstrip("@").strip("/")
        user = self._api("GET", f"/2/users/by/username/{username}", params={"user.fields": "public_metrics"})["data"]
        posts = [PublicPost(t["id"], _post_url(t["id"]), html.unescape(t["text"]), _moment(t["created_at"]),
                            _counters(t)) for t in self._timeline(user["id"], limit=limit)[:limit]]
        return PublicPage(user["username"], user["name"], f"https://x.com/{user['username']}",
                          user.get("public_metrics", {}).get("followers_count"), posts)


def _poll(publication: Publication) -> dict:
    seconds = publication.poll.closes_in_seconds
    minutes = seconds // 60 if seconds else POLL_DEFAULT_MINUTES
    return {"options": list(publication.poll.options), "duration_minutes": min(max(minutes, POLL_MINUTES[0]),
                                                                                POLL_MINUTES[1])}


def _poll_problems(publication: Publication) -> list[Problem]:
    poll = publication.poll
    if poll is None:
        return []
    problems = []
    if not POLL_OPTIONS[0] <= len(poll.options) <= POLL_OPTIONS[1]:
        problems.append(Problem("poll_options", _("An X poll has 2 to 4 options.")))
    if any(len(option) > POLL_OPTION_LENGTH for option in poll.options):
        problems.append(Problem("poll_option_length", _("An X poll option has at most 25 characters.")))
    if poll.multiple:
        problems.append(Problem("poll_multiple", _("X polls take one answer per person.")))
    if publication.media:
        problems.append(Problem("poll_media", _("An X post with a poll cannot have images.")))
    return problems


def _conversation(tweet: dict, people: dict) -> Conversation:
    replied_to = next((ref["id"] for ref in tweet.get("referenced_tweets", []) if ref["type"] == "replied_to"), "")
    author = people.get(tweet["author_id"], {})
    text = html.unescape(tweet["text"])
    root = tweet.get("conversation_id", tweet["id"])
    return Conversation(
        kind="reply" if replied_to else "mention", remote_id=tweet["id"], author_id=tweet["author_id"],
        author_name=author.get("name") or author.get("username", ""),
        text=LEADING_MENTIONS.sub("", text) if replied_to else text, created_at=_moment(tweet["created_at"]),
        post_remote_id=root if root != tweet["id"] else "", parent_remote_id=replied_to)


def _problem(response) -> dict:
    if not response.headers.get("content-type", "").startswith(("application/json", "application/problem+json")):
        return {}
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _rate_limited(response, problem: dict) -> errors.RateLimited:
    """The posting limits per app and per user over 24 h have their own headers; the 15-minute endpoint window
    (x-rate-limit-reset) is per user. The app's daily or monthly cap stops every channel of this X app."""
    headers = response.headers
    if headers.get("x-app-limit-24hour-remaining") == "0" or problem.get("type", "").endswith(USAGE_CAPPED):
        scope, reset = "app", headers.get("x-app-limit-24hour-reset", "")
    elif headers.get("x-user-limit-24hour-remaining") == "0":
        scope, reset = "channel", headers.get("x-user-limit-24hour-reset", "")
    else:
        scope, reset = "channel", ""
    when = datetime.fromtimestamp(int(reset), UTC) if reset.isdigit() else retry_at(headers)
    return errors.RateLimited(f"X: too many requests ({scope} limit)", when, scope)


def _answer(response, changes_state: bool = False) -> dict:
    """The body of a successful answer, or X's problem as one of the shared errors.

    A server error or an unreadable body on a write says nothing about whether X made the post, and X has no
    idempotency key: it is ambiguous, read back by the reconciler, never sent again. On a read it is transient."""
    if response.is_success:
        try:
            return json_of(response)
        except errors.Transient as exc:
            if changes_state:
                raise errors.AmbiguousOutcome(exc.reason) from exc
            raise
    problem, status = _problem(response), response.status_code
    detail = str(problem.get("detail") or problem.get("error_description") or "")[:200]
    # An invalid request names what was wrong in `errors` (a too large image, a bad media type): that is the reason.
    said = "; ".join(str(e.get("message", "")) for e in problem.get("errors", []) if isinstance(e, dict))[:200]
    reason = f"X: {problem.get('title') or 'HTTP'} ({status}) {said or detail}".strip()
    if status == 429:
        raise _rate_limited(response, problem)
    if status >= 500:
        raise (errors.AmbiguousOutcome if changes_state else errors.Transient)(reason)
    if status == 401:
        raise errors.AuthExpired(reason)
    if status == 403:
        raise (errors.ContentRejected if DUPLICATE in detail.lower() else errors.PermissionMissing)(reason)
    if status == 404:
        raise errors.RemoteNotFound(reason)
    raise errors.ValidationRejected(reason)  # 400 invalid request: too long, a bad poll, a missing reply target
