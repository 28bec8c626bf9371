"""A Mastodon instance as its REST API documents it: statuses with Idempotency-Key, media (processed at once for
images, 202 then processed for video), polls, replies, mention notifications, accounts, the instance's own limits,
scopes, and the error shapes (`{"error": ...}`, 429 with X-RateLimit-Reset as an ISO time, 422 validation)."""

import html
import re
from datetime import UTC, datetime, timedelta
from itertools import count

import regex

from chorus.networks.tests.fakes.oauth import AuthorizationServer
from chorus.networks.tests.fakes.server import Answer, FakeApi, Request, route

LINK = re.compile(r"https?://\S+")
MENTION = re.compile(r"@(\w+)(?:@[\w.-]+\w)?")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def render(text: str) -> str:
    """Mastodon's HTML for plain text: paragraphs, line breaks, linked URLs with hidden scheme, h-card mentions."""
    def link(match):
        url = match.group(0)
        scheme, rest = url.split("://", 1)
        return (f'<a href="{url}" rel="nofollow noopener" target="_blank"><span class="invisible">{scheme}://'
                f'</span><span class="">{rest}</span></a>')

    def mention(match):
        return (f'<span class="h-card" translate="no"><a href="https://coffee.example/@{match.group(1)}" '
                f'class="u-url mention">@<span>{match.group(1)}</span></a></span>')

    paragraphs = []
    for paragraph in text.split("\n\n"):
        escaped = html.escape(paragraph, quote=False)
        escaped = MENTION.sub(mention, LINK.sub(link, escaped))
        paragraphs.append("<p>" + escaped.replace("\n", "<br />") + "</p>")
    return "".join(paragraphs)


class FakeMastodon(AuthorizationServer, FakeApi):
    network = "mastodon"
    processes_video = True
    token = "mastodon-token-coffee"
    read_only_token = "mastodon-token-read-only"
    public_handle = "rival_tea@tea.example"

    def __init__(self, max_characters: int = 500, url_length: int = 23):
        super().__init__()
        self.max_characters = max_characters
        self.url_length = url_length  # characters_reserved_per_url
        self.ids = count(110_000_000_000_000_000)
        self.accounts: dict[str, dict] = {}
        self.statuses: dict[str, dict] = {}
        self.media: dict[str, dict] = {}
        self.files: dict[str, bytes] = {}  # what each upload carried
        self.processing_fails = False
        self.notifications: list[dict] = []
        self.idempotency: dict[tuple[str, str], str] = {}
        self.blocked: set[str] = set()  # account ids our account blocks
        self.me = self._account("demo_coffee", "Demo Coffee")["id"]
        self.setup_oauth({})  # apps register themselves: POST /api/v1/apps
        rival = self._account("rival_tea", "Rival Tea", domain="tea.example", followers=1200)
        self._status(rival["id"], "Новый улун уже в продаже")

    @property
    def url(self) -> str:
        # FakeApi.__init__ reads every attribute looking for routes, before the server exists.
        return super().url if getattr(self, "server", None) else ""

    # State ----------------------------------------------------------------------------------------------------
    def _id(self) -> str:
        return str(next(self.ids))

    def _account(self, username: str, display_name: str, domain: str = "", followers: int = 42) -> dict:
        account = {"id": self._id(), "username": username, "acct": f"{username}@{domain}" if domain else username,
                   "display_name": display_name, "url": f"https://{domain or 'coffee.example'}/@{username}",
                   "followers_count": followers, "following_count": 7, "created_at": now_iso()}
        self.accounts[account["id"]] = account
        return account

    def _status(self, account_id: str, text: str, **fields) -> dict:
        status = {"id": self._id(), "account_id": account_id, "text": text, "created_at": now_iso(),
                  "in_reply_to_id": None, "in_reply_to_account_id": None, "visibility": "public", "media_ids": [],
                  "poll": None, "favourites_count": 0, "reblogs_count": 0, "edited_at": None, **fields}
        self.statuses[status["id"]] = status
        return status

    def serialize(self, status: dict) -> dict:
        account = self.accounts[status["account_id"]]
        replies = sum(1 for s in self.statuses.values() if s["in_reply_to_id"] == status["id"])
        return {"id": status["id"], "created_at": status["created_at"], "edited_at": status["edited_at"],
                "url": f"{account['url']}/{status['id']}", "uri": f"{account['url']}/statuses/{status['id']}",
                "account": account, "content": render(status["text"]), "visibility": status["visibility"],
                "in_reply_to_id": status["in_reply_to_id"], "in_reply_to_account_id": status["in_reply_to_account_id"],
                "favourites_count": status["favourites_count"], "reblogs_count": status["reblogs_count"],
                "replies_count": replies, "spoiler_text": "", "poll": status["poll"],
                "media_attachments": [self.media[m] for m in status["media_ids"]]}

    def length(self, text: str) -> int:
        """The instance's own count: graphemes, a link = url_length, a remote mention = its local part."""
        return len(regex.findall(r"\X", MENTION.sub(r"@\1", LINK.sub("x" * self.url_length, text))))

    # What the contract reads ----------------------------------------------------------------------------------
    def remote_posts(self) -> list[dict]:
        return [{"remote_id": s["id"], "text": s["text"]} for s in self.statuses.values()
                if s["account_id"] == self.me and not s["in_reply_to_id"]]

    def own_parts(self) -> list[dict]:
        return [{"remote_id": s["id"], "text": s["text"]} for s in self.statuses.values() if s["account_id"] == self.me]

    def replies_to(self, remote_id: str) -> list[dict]:
        return [s for s in self.statuses.values() if s["in_reply_to_id"] == remote_id]

    def add_comment(self, post_remote_id: str, author_name: str, text: str, author: dict | None = None,
                    visibility: str = "public") -> str:
        """Someone's status mentioning us: a reply to `post_remote_id`, or a direct message when it is ""."""
        author = author or self._account("max", author_name, domain="other.example")
        me = self.accounts[self.me]
        status = self._status(author["id"], f"@{me['acct']}@coffee.example {text}",
                              in_reply_to_id=post_remote_id or None, visibility=visibility,
                              in_reply_to_account_id=self.me if post_remote_id else None)
        if author["id"] not in self.blocked:  # a blocked account's mentions never notify
            self.notifications.append({"id": self._id(), "type": "mention", "status_id": status["id"],
                                       "account_id": author["id"], "created_at": now_iso()})
        return status["id"]

    def add_direct_message(self, author_name: str, text: str, author: dict | None = None) -> str:
        return self.add_comment("", author_name, text, author=author, visibility="direct")

    # Error shapes ---------------------------------------------------------------------------------------------
    def refused(self, request: Request) -> Answer:
        return Answer(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", {"Content-Type": "text/html"})

    def rate_limited(self, request: Request) -> Answer:
        reset = (datetime.now(UTC) + timedelta(minutes=5)).isoformat(timespec="microseconds").replace("+00:00", "Z")
        return Answer(429, {"error": "Too many requests"},
                      {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})

    def auth_expired(self, request: Request) -> Answer:
        return Answer(401, {"error": "The access token was revoked"})

    def rejected(self, request: Request) -> Answer:
        return Answer(422, {"error": f"Validation failed: Text character limit of {self.max_characters} exceeded"})

    def forbidden(self, request: Request) -> Answer:
        return Answer(403, {"error": "This action is not allowed"})

    def not_found(self, request: Request) -> Answer:
        return Answer(404, {"error": "Record not found"})

    def handle(self, request: Request) -> Answer:
        if request.path.startswith("/api/") and request.path not in ("/api/v2/instance", "/api/v1/apps"):
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            if token not in (self.token, self.read_only_token):
                return Answer(401, {"error": "The access token is invalid"})
            if token == self.read_only_token and self.changes_state(request):
                return Answer(403, {"error": "This action is outside the authorized scopes"})
        return super().handle(request)

    # OAuth: an app registers itself, the person approves on /oauth/authorize, the code becomes the token ------
    @route("POST", r"/api/v1/apps")
    def register_app(self, request: Request) -> Answer:
        if not request.arg("redirect_uris") or not request.arg("client_name"):
            return Answer(422, {"error": "Validation failed: Redirect URI can't be blank"})
        client_id, secret = f"client-{len(self.oauth_clients) + 1}", f"secret-{len(self.oauth_clients) + 1}"
        self.oauth_clients[client_id] = secret
        return Answer(200, {"id": str(len(self.oauth_clients)), "name": request.arg("client_name"),
                            "redirect_uri": request.arg("redirect_uris"), "client_id": client_id,
                            "client_secret": secret, "scopes": request.arg("scopes").split()})

    @route("GET", r"/oauth/authorize")
    def oauth_authorize(self, request: Request) -> Answer:
        return self.authorize(request)

    @route("POST", r"/oauth/token")
    def oauth_token(self, request: Request) -> Answer:
        issued = self.grant(request)
        if isinstance(issued, Answer):
            return issued
        return Answer(200, {"access_token": self.token, "token_type": "Bearer", "scope": issued["scope"],
                            "created_at": int(datetime.now(UTC).timestamp())})

    # Routes ---------------------------------------------------------------------------------------------------
    @route("GET", r"/api/v2/instance")
    def instance(self, request: Request) -> Answer:
        return Answer(200, {"domain": "coffee.example", "configuration": {
            "statuses": {"max_characters": self.max_characters, "max_media_attachments": 4,
                         "characters_reserved_per_url": self.url_length},
            "media_attachments": {"supported_mime_types": ["image/jpeg", "image/png", "video/mp4"],
                                  "image_size_limit": 16 * 2**20, "video_size_limit": 99 * 2**20},
            "polls": {"max_options": 4, "max_characters_per_option": 50, "min_expiration": 300,
                      "max_expiration": 2_629_746}}})

    @route("GET", r"/api/v1/accounts/verify_credentials")
    def verify_credentials(self, request: Request) -> Answer:
        me = self.accounts[self.me]
        statuses = sum(1 for s in self.statuses.values() if s["account_id"] == self.me)
        return Answer(200, {**me, "statuses_count": statuses})

    @route("GET", r"/api/v1/accounts/lookup")
    def lookup(self, request: Request) -> Answer:
        for account in self.accounts.values():
            if account["acct"] == request.arg("acct"):
                return Answer(200, account)
        return Answer(404, {"error": "Record not found"})

    @route("GET", r"/api/v1/accounts/(?P<account_id>\d+)/statuses")
    def account_statuses(self, request: Request) -> Answer:
        max_id = int(request.arg("max_id") or 10**30)
        found = [s for s in self.statuses.values()
                 if s["account_id"] == request.params["account_id"] and int(s["id"]) < max_id
                 and not (request.arg("exclude_replies") == "true" and s["in_reply_to_id"])]
        found.sort(key=lambda s: int(s["id"]), reverse=True)
        return Answer(200, [self.serialize(s) for s in found[:int(request.arg("limit") or 20)]])

    def posted_videos(self) -> list[bytes]:
        return [self.files[m] for s in sorted(self.statuses.values(), key=lambda s: int(s["id"]))
                if s["account_id"] == self.me for m in s["media_ids"] if self.media[m]["type"] == "video"]

    def fail_video_processing(self) -> None:
        self.processing_fails = True

    @route("POST", r"/api/v2/media")
    def upload(self, request: Request) -> Answer:
        if "file" not in request.uploads:
            return Answer(422, {"error": "Validation failed: File can't be blank"})
        _name, mime, content = request.uploads["file"]
        kind = mime.split("/")[0]
        media = {"id": self._id(), "type": kind, "url": None, "description": None}
        self.media[media["id"]] = media
        self.files[media["id"]] = content
        if kind == "video":  # processed in the background: 202 now, a url later
            return Answer(202, media)
        media["url"] = f"https://coffee.example/media/{media['id']}"
        return Answer(200, media)

    @route("GET", r"/api/v1/media/(?P<media_id>\d+)")
    def media_status(self, request: Request) -> Answer:
        media = self.media[request.params["media_id"]]
        if self.processing_fails and media["type"] == "video":
            return Answer(422, {"error": "Error processing thumbnail for uploaded media"})
        media["url"] = f"https://coffee.example/media/{media['id']}"  # processing finished meanwhile
        return Answer(200, media)

    @route("POST", r"/api/v1/statuses")
    def post_status(self, request: Request) -> Answer:
        key = request.headers.get("idempotency-key", "")
        if (self.me, key) in self.idempotency:
            return Answer(200, self.serialize(self.statuses[self.idempotency[(self.me, key)]]))
        body = request.json
        text, media_ids, poll = body.get("status", ""), body.get("media_ids") or [], body.get("poll")
        if not text.strip() and not media_ids and not poll:
            return Answer(422, {"error": "Validation failed: Text can't be blank"})
        if self.length(text) > self.max_characters:
            return Answer(422, self.rejected(request).body)
        if poll and media_ids:
            return Answer(422, {"error": "Validation failed: Poll cannot be attached with media"})
        if len(media_ids) > 1 and any(self.media.get(m, {}).get("type") == "video" for m in media_ids):
            return Answer(422, {"error": "Cannot attach a video to a post that already contains images"})
        if any(not self.media.get(m, {}).get("url") for m in media_ids):
            return Answer(422, {"error": "Validation failed: Media attachments are not processed yet"})
        parent = body.get("in_reply_to_id")
        if parent and parent not in self.statuses:
            return Answer(404, {"error": "The post you are trying to reply to does not appear to exist."})
        status = self._status(self.me, text, visibility=body.get("visibility", "public"), media_ids=media_ids,
                              poll={"options": [{"title": o} for o in poll["options"]], "multiple": poll["multiple"],
                                    "expires_in": poll["expires_in"]} if poll else None,
                              in_reply_to_id=parent,
                              in_reply_to_account_id=self.statuses[parent]["account_id"] if parent else None)
        if key:
            self.idempotency[(self.me, key)] = status["id"]
        return Answer(200, self.serialize(status))

    def _own_status(self, request: Request) -> dict | None:
        status = self.statuses.get(request.params["status_id"])
        return status if status and status["account_id"] == self.me else None

    @route("GET", r"/api/v1/statuses/(?P<status_id>\d+)")
    def get_status(self, request: Request) -> Answer:
        status = self.statuses.get(request.params["status_id"])
        return Answer(200, self.serialize(status)) if status else Answer(404, {"error": "Record not found"})

    @route("GET", r"/api/v1/statuses/(?P<status_id>\d+)/context")
    def context(self, request: Request) -> Answer:
        status = self.statuses.get(request.params["status_id"])
        if status is None:
            return Answer(404, {"error": "Record not found"})
        descendants, parents = [], {status["id"]}
        for candidate in sorted(self.statuses.values(), key=lambda s: int(s["id"])):
            if candidate["in_reply_to_id"] in parents:
                descendants.append(candidate)
                parents.add(candidate["id"])
        ancestors, current = [], status
        while current["in_reply_to_id"] in self.statuses:
            current = self.statuses[current["in_reply_to_id"]]
            ancestors.insert(0, current)
        return Answer(200, {"ancestors": [self.serialize(s) for s in ancestors],
                            "descendants": [self.serialize(s) for s in descendants]})

    @route("PUT", r"/api/v1/statuses/(?P<status_id>\d+)")
    def edit_status(self, request: Request) -> Answer:
        status = self._own_status(request)
        if status is None:
            return Answer(404, {"error": "Record not found"})
        text = request.json.get("status", status["text"])
        if self.length(text) > self.max_characters:
            return Answer(422, self.rejected(request).body)
        status.update(text=text, edited_at=now_iso())
        return Answer(200, self.serialize(status))

    @route("DELETE", r"/api/v1/statuses/(?P<status_id>\d+)")
    def delete_status(self, request: Request) -> Answer:
        status = self._own_status(request)
        if status is None:
            return Answer(404, {"error": "Record not found"})
        del self.statuses[status["id"]]
        return Answer(200, {**self.serialize(status), "text": status["text"]})

    @route("POST", r"/api/v1/accounts/(?P<account_id>\d+)/(?P<verb>block|unblock)")
    def block(self, request: Request) -> Answer:
        account_id = request.params["account_id"]
        if account_id not in self.accounts:
            return Answer(404, {"error": "Record not found"})
        if account_id == self.me:
            return Answer(422, {"error": "Validation failed: You cannot block yourself"})
        if request.params["verb"] == "block":
            self.blocked.add(account_id)
        else:
            self.blocked.discard(account_id)
        return Answer(200, {"id": account_id, "following": False, "followed_by": False,
                            "blocking": account_id in self.blocked, "muting": False, "requested": False})

    @route("GET", r"/api/v1/notifications")
    def list_notifications(self, request: Request) -> Answer:
        since = int(request.arg("since_id") or 0)
        types = request.arg("types[]")
        found = [n for n in self.notifications if int(n["id"]) > since and (not types or n["type"] == types)
                 and n["status_id"] in self.statuses]
        found.sort(key=lambda n: int(n["id"]), reverse=True)
        return Answer(200, [{"id": n["id"], "type": n["type"], "created_at": n["created_at"],
                             "account": self.accounts[n["account_id"]],
                             "status": self.serialize(self.statuses[n["status_id"]])}
                            for n in found[:int(request.arg("limit") or 15)]])
