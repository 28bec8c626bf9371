"""A fake X API v2: the calls the connector makes, answered in X's shapes (JSON problem bodies, rate-limit headers).

As X does: refresh tokens rotate (each is good once), access tokens can be expired on demand, identical text is
refused as duplicate content (403), text comes back HTML-escaped with URLs rewritten to t.co, and a reply's text
starts with the @names it answers.
"""

import html
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP

from chorus.networks.tests.fakes.oauth import AuthorizationServer
from chorus.networks.tests.fakes.server import Answer, FakeApi, Request, route
from chorus.networks.text import x_urls, x_weighted_length

TOKEN_PATH = "/2/oauth2/token"
ID = r"(?P<id>[0-9]+)"
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
IMAGE_BYTES, SEGMENT_BYTES = 5 * 2**20, 5 * 2**20
VIDEO_TYPES, VIDEO_BYTES = {"video/mp4", "video/quicktime"}, 512 * 2**20


def problem(status: int, title: str, detail: str, kind: str = "about:blank", headers: dict | None = None) -> Answer:
    return Answer(status, {"title": title, "detail": detail, "type": kind, "status": status}, headers or {})


def invalid(message: str) -> Answer:
    return Answer(400, {"errors": [{"parameters": {}, "message": message}], "title": "Invalid Request",
                        "detail": "One or more parameters to your request was invalid.",
                        "type": "https://api.twitter.com/2/problems/invalid-request"})


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeX(AuthorizationServer, FakeApi):
    network = "x"
    client_id = "Y2hvcnVzLWNsaWVudA"
    user_id = "1500000000000000001"
    username = "democoffee"
    public_handle = "rivaltea"
    processes_video = True

    def __init__(self):
        super().__init__()
        self.users = {self.user_id: {"id": self.user_id, "name": "Demo Coffee", "username": self.username,
                                     "followers_count": 120}}
        self.tweets: dict[str, dict] = {}  # id → {"id", "author_id", "text", "created_at", counters, reply_to}
        self.access: dict[str, str] = {}  # access token → user id
        self.expired: set[str] = set()
        self.refresh: dict[str, str] = {}  # refresh token → user id; each is good for one refresh
        self.next_id = 1800000000000000000
        self.media: dict[str, dict] = {}  # media id → {"type", "total", "segments": {index: bytes}, "done"}
        self.processing_fails = False
        self.daily_limit_over = ""  # "app" or "user": the next POST /2/tweets hits that 24-hour posting limit
        self.unauthorised_posts = 0
        self.refresh_waits_for: int = 0  # hold a refresh until this many posts were refused with a 401
        self.enough_refused = threading.Event()
        self.access_token, self.refresh_token = self.issue(self.user_id)
        self.setup_oauth({self.client_id: ""})  # a public client: PKCE, no secret
        rival = "1500000000000000002"
        self.users[rival] = {"id": rival, "name": "Rival Tea", "username": self.public_handle,
                             "followers_count": 3400}
        self.store(rival, "Улун недели 🍵 & пирог", likes=12, retweets=3, impressions=900)

    # Harness hooks --------------------------------------------------------------------------------------------
    def changes_state(self, request: Request) -> bool:
        # An upload is not a post: the contract's faults strike the writes that make posts.
        return (request.path != TOKEN_PATH and not request.path.startswith("/2/media/")
                and super().changes_state(request))

    def refused(self, request: Request) -> Answer:
        return problem(503, "Service Unavailable", "Service Unavailable")

    def rate_limited(self, request: Request) -> Answer:
        reset = str(int(time.time()) + 900)
        return problem(429, "Too Many Requests", "Too Many Requests",
                       headers={"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
                                "x-rate-limit-reset": reset})

    def auth_expired(self, request: Request) -> Answer:
        """The person revoked the app's access: every token of the account ends, refresh tokens included."""
        self.expired |= set(self.access)
        self.refresh.clear()
        return problem(401, "Unauthorized", "Unauthorized")

    def rejected(self, request: Request) -> Answer:
        return invalid("Your Tweet text is too long.")

    def forbidden(self, request: Request) -> Answer:
        return problem(403, "Forbidden", "You are not permitted to perform this action.")

    def not_found(self, request: Request) -> Answer:
        return problem(404, "Not Found Error", "Could not find the resource.",
                       "https://api.twitter.com/2/problems/resource-not-found")

    def content_refused(self, request: Request) -> Answer:
        return problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")

    def posted_videos(self) -> list[bytes]:
        return [b"".join(segment for _index, segment in sorted(self.media[m]["segments"].items()))
                for tweet in self.tweets.values() if tweet["author_id"] == self.user_id
                for m in tweet.get("media_ids", []) if self.media[m]["type"] in VIDEO_TYPES]

    def fail_video_processing(self) -> None:
        self.processing_fails = True

    def remote_posts(self) -> list[dict]:
        return [{"remote_id": t["id"], "text": t["text"]} for t in self.tweets.values()
                if t["author_id"] == self.user_id]

    def add_comment(self, post_remote_id: str, author_name: str, text: str) -> str:
        fan = str(1600000000000000000 + len(self.users))
        self.users[fan] = {"id": fan, "name": author_name, "username": f"fan{len(self.users)}", "followers_count": 1}
        if not post_remote_id:
            return self.store(fan, text)["id"]
        return self.store(fan, f"@{self.username} {text}", reply_to=post_remote_id)["id"]

    def handle(self, request: Request) -> Answer:
        # Outside the harness lock, so other requests go on while a refresh waits (the two-workers story).
        if request.path == TOKEN_PATH and self.refresh_waits_for:
            self.enough_refused.wait(timeout=10)
        answer = super().handle(request)
        if request.path == "/2/tweets" and answer.status == 401:
            with self.lock:
                self.unauthorised_posts += 1
                if self.unauthorised_posts >= self.refresh_waits_for:
                    self.enough_refused.set()
        return answer

    # Test helpers ---------------------------------------------------------------------------------------------
    def expire_access_tokens(self) -> None:
        """Two hours pass: every access token issued so far has expired (refresh tokens still work)."""
        self.expired |= set(self.access)

    def refreshes(self) -> int:
        return sum(1 for r in self.requests if r.path == TOKEN_PATH)

    def issue(self, user_id: str) -> tuple[str, str]:
        access, refresh = f"access-{secrets.token_hex(8)}", f"refresh-{secrets.token_hex(8)}"
        self.access[access], self.refresh[refresh] = user_id, user_id
        return access, refresh

    def store(self, author_id: str, text: str, reply_to: str = "", likes: int = 0, retweets: int = 0,
              impressions: int = 0, poll: dict | None = None) -> dict:
        self.next_id += 1
        tweet_id = str(self.next_id)
        root = self.tweets[reply_to]["conversation_id"] if reply_to else tweet_id
        self.tweets[tweet_id] = {"id": tweet_id, "author_id": author_id, "text": text, "reply_to": reply_to,
                                 "conversation_id": root, "created_at": datetime.now(UTC), "likes": likes,
                                 "retweets": retweets, "quotes": 0, "impressions": impressions, "poll": poll}
        return self.tweets[tweet_id]

    def viewer(self, request: Request) -> str | Answer:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token in self.expired or token not in self.access:
            return problem(401, "Unauthorized", "Unauthorized")
        return self.access[token]

    def rendered(self, tweet: dict) -> dict:
        """A tweet as v2 returns it: &, < and > escaped, URLs replaced by t.co links described in entities."""
        text, out, urls = tweet["text"], "", []
        position = 0
        for start, end in x_urls(text):
            out += html.escape(text[position:start], quote=False)
            link = f"https://t.co/{secrets.token_hex(5)}"
            expanded = text[start:end] if "://" in text[start:end] else f"http://{text[start:end]}"
            urls.append({"start": len(out), "end": len(out) + len(link), "url": link, "expanded_url": expanded,
                         "display_url": text[start:end].split("://")[-1]})
            out += link
            position = end
        out += html.escape(text[position:], quote=False)
        replies = sum(1 for t in self.tweets.values() if t["reply_to"] == tweet["id"])
        view = {"id": tweet["id"], "text": out, "author_id": tweet["author_id"],
                "created_at": stamp(tweet["created_at"]),
                "conversation_id": tweet["conversation_id"], "edit_history_tweet_ids": [tweet["id"]],
                "public_metrics": {"retweet_count": tweet["retweets"], "reply_count": replies,
                                   "like_count": tweet["likes"], "quote_count": tweet["quotes"],
                                   "bookmark_count": 0, "impression_count": tweet["impressions"]}}
        if urls:
            view["entities"] = {"urls": urls}
        if tweet["reply_to"]:
            view["referenced_tweets"] = [{"type": "replied_to", "id": tweet["reply_to"]}]
        return view

    def user_view(self, user: dict) -> dict:
        tweets = sum(1 for t in self.tweets.values() if t["author_id"] == user["id"])
        return {"id": user["id"], "name": user["name"], "username": user["username"],
                "public_metrics": {"followers_count": user["followers_count"], "following_count": 8,
                                   "tweet_count": tweets, "listed_count": 0}}

    # OAuth 2 ----------------------------------------------------------------------------------------------------
    granted_scope = "tweet.read tweet.write users.read offline.access media.write tweet.moderate.write"
    withheld_scopes: tuple[str, ...] = ()  # scopes the person unticked on X's consent page
    refresh_days: int | None = None  # a refresh token's announced lifetime (refresh_token_expires_in), if any

    def refresh_lifetime(self) -> dict:
        return {"refresh_token_expires_in": self.refresh_days * 86400} if self.refresh_days else {}

    @route("POST", TOKEN_PATH)
    def token(self, request: Request) -> Answer:
        if request.form.get("grant_type") == "authorization_code":
            issued = self.grant(request)
            if isinstance(issued, Answer):
                return issued
            access, refresh = self.issue(self.user_id)
            self.granted_scope = " ".join(s for s in issued["scope"].split() if s not in self.withheld_scopes)
            return Answer(200, {"token_type": "bearer", "expires_in": 7200, "access_token": access,
                                "scope": self.granted_scope, "refresh_token": refresh, **self.refresh_lifetime()})
        if request.form.get("grant_type") != "refresh_token" or request.form.get("client_id") != self.client_id:
            return Answer(400, {"error": "invalid_request", "error_description": "Missing required parameter."})
        user_id = self.refresh.pop(request.form.get("refresh_token", ""), None)  # rotation: good once
        if user_id is None:
            return Answer(400, {"error": "invalid_request", "error_description": "Value passed for the token was "
                                                                                  "invalid."})
        access, refresh = self.issue(user_id)
        return Answer(200, {"token_type": "bearer", "expires_in": 7200, "access_token": access,
                            "scope": self.granted_scope, "refresh_token": refresh, **self.refresh_lifetime()})

    @route("GET", "/i/oauth2/authorize")  # on x.com; tests point "x-authorize" at this fake too
    def oauth_authorize(self, request: Request) -> Answer:
        return self.authorize(request)

    # Users ------------------------------------------------------------------------------------------------------
    @route("GET", "/2/users/me")
    def me(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        return Answer(200, {"data": self.user_view(self.users[viewer])})

    @route("GET", r"/2/users/by/username/(?P<username>\w{1,15})")
    def user_by_username(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        user = next((u for u in self.users.values() if u["username"].lower() == request.params["username"].lower()),
                    None)
        if user is None:
            return Answer(200, {"errors": [{"value": request.params["username"], "title": "Not Found Error",
                                            "detail": "Could not find user.",
                                            "type": "https://api.twitter.com/2/problems/resource-not-found"}]})
        return Answer(200, {"data": self.user_view(user)})

    def page(self, request: Request, tweets: list[dict]) -> Answer:
        count = int(request.arg("max_results", "10"))
        if not 5 <= count <= 100:
            return invalid("The `max_results` query parameter value is not between 5 and 100")
        start = request.arg("start_time")
        if start:
            tweets = [t for t in tweets if t["created_at"] >= datetime.fromisoformat(start.replace("Z", "+00:00"))]
        newest = sorted(tweets, key=lambda t: int(t["id"]), reverse=True)[:count]
        meta = {"result_count": len(newest)}
        if newest:
            meta |= {"newest_id": newest[0]["id"], "oldest_id": newest[-1]["id"]}
        body = {"meta": meta} | ({"data": [self.rendered(t) for t in newest]} if newest else {})
        if newest and request.arg("expansions") == "author_id":
            authors = {t["author_id"] for t in newest}
            body["includes"] = {"users": [{k: self.users[a][k] for k in ("id", "name", "username")} for a in authors]}
        return Answer(200, body)

    @route("GET", rf"/2/users/{ID}/tweets")
    def user_tweets(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        return self.page(request, [t for t in self.tweets.values() if t["author_id"] == request.params["id"]])

    @route("GET", rf"/2/users/{ID}/mentions")
    def mentions(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        handle = f"@{self.users[request.params['id']]['username']}".lower()
        since = int(request.arg("since_id") or 0)
        return self.page(request, [t for t in self.tweets.values() if handle in t["text"].lower()
                                   and t["author_id"] != request.params["id"] and int(t["id"]) > since])

    # Tweets -----------------------------------------------------------------------------------------------------
    @route("POST", "/2/tweets")
    def create_tweet(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        if self.daily_limit_over:
            return self.over_daily_limit()
        body = request.json
        text, reply_to = body.get("text", ""), body.get("reply", {}).get("in_reply_to_tweet_id", "")
        if not text:
            return invalid("Post text is required.")
        if x_weighted_length(text).weighted_length > 280:
            return invalid("Your Tweet text is too long.")
        if reply_to and reply_to not in self.tweets:
            return invalid("The post you are replying to has been deleted or is not visible to you.")
        media_ids = body.get("media", {}).get("media_ids", [])
        if len(media_ids) > 4:
            return invalid("A post has at most 4 images.")
        if len(media_ids) > 1 and any(self.media.get(m, {}).get("type") in VIDEO_TYPES for m in media_ids):
            return invalid("A post may have one video, alone, or up to 4 images.")
        if any(not self.media.get(m, {}).get("done") or self.media[m]["owner"] != viewer for m in media_ids):
            return invalid("Your media IDs are invalid.")
        poll = body.get("poll")
        if poll and media_ids:
            return invalid("A post with a poll cannot have media.")
        if poll and (not 2 <= len(poll.get("options", [])) <= 4 or not 5 <= poll.get("duration_minutes", 0) <= 10080
                     or any(len(o) > 25 for o in poll["options"])):
            return invalid("The poll is invalid.")
        if any(t["author_id"] == viewer and t["text"] == text for t in self.tweets.values()):
            return problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
        made = self.store(viewer, text, reply_to=reply_to, poll=poll)
        made["media_ids"] = list(media_ids)
        return Answer(201, {"data": {"id": made["id"], "text": self.rendered(made)["text"],
                                     "edit_history_tweet_ids": [made["id"]]}})

    def over_daily_limit(self) -> Answer:
        reset, scope = str(int((datetime.now(UTC) + timedelta(hours=5)).timestamp())), self.daily_limit_over
        headers = {"x-rate-limit-limit": "100", "x-rate-limit-remaining": "99",
                   "x-rate-limit-reset": str(int(time.time()) + 900),
                   "x-app-limit-24hour-limit": "1667", "x-app-limit-24hour-reset": reset,
                   "x-app-limit-24hour-remaining": "0" if scope == "app" else "1500",
                   "x-user-limit-24hour-limit": "100", "x-user-limit-24hour-reset": reset,
                   "x-user-limit-24hour-remaining": "0" if scope == "user" else "40"}
        return problem(429, "Too Many Requests", "Too Many Requests", headers=headers)

    # Media upload v2: initialize, append segments, finalize (images need no processing) -------------------------
    @route("POST", "/2/media/upload/initialize")
    def media_initialize(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        body = request.json
        kind, total = body.get("media_type", ""), int(body.get("total_bytes") or 0)
        if body.get("media_category", "tweet_image") == "tweet_image" and kind not in IMAGE_TYPES:
            return invalid(f"media type unrecognized: {kind}")
        if body.get("media_category", "tweet_image") == "tweet_image" and total > IMAGE_BYTES:
            return invalid(f"File size exceeds {IMAGE_BYTES} bytes.")
        if body.get("media_category") == "tweet_video" and (kind not in VIDEO_TYPES or total > VIDEO_BYTES):
            return invalid(f"media type unrecognized or file size exceeds {VIDEO_BYTES} bytes: {kind}")
        self.next_id += 1
        media_id = str(self.next_id)
        self.media[media_id] = {"type": kind, "total": total, "segments": {}, "done": False, "owner": viewer}
        return Answer(200, {"data": {"id": media_id, "media_key": f"3_{media_id}", "expires_after_secs": 86400}})

    @route("POST", rf"/2/media/upload/{ID}/append")
    def media_append(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        media = self.media.get(request.params["id"])
        if media is None or media["done"]:
            return invalid("The media_id is not valid for this upload.")
        parts = {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
                 for part in BytesParser(policy=HTTP).parsebytes(
                     f"Content-Type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
                     + request.body).iter_parts()}
        if "media" not in parts or "segment_index" not in parts:
            return invalid("media and segment_index are required.")
        if len(parts["media"]) > SEGMENT_BYTES:
            return invalid(f"A segment exceeds {SEGMENT_BYTES} bytes.")
        media["segments"][int(parts["segment_index"])] = parts["media"]
        return Answer(200, {"data": {"expires_at": int(time.time()) + 86400}})

    @route("POST", rf"/2/media/upload/{ID}/finalize")
    def media_finalize(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        media = self.media.get(request.params["id"])
        if media is None:
            return invalid("The media_id is not valid for this upload.")
        size = sum(len(segment) for segment in media["segments"].values())
        if size != media["total"] or sorted(media["segments"]) != list(range(len(media["segments"]))):
            return invalid("File size does not match the total_bytes given at initialize.")
        data = {"id": request.params["id"], "media_key": f"3_{request.params['id']}", "size": size,
                "expires_after_secs": 86400}
        if media["type"] in VIDEO_TYPES:  # transcoded in the background: usable once STATUS says succeeded
            media["state"] = "failed" if self.processing_fails else "succeeded"
            return Answer(200, {"data": data | {"processing_info": {"state": "pending", "check_after_secs": 1}}})
        media["done"] = True
        return Answer(200, {"data": data})

    @route("GET", "/2/media/upload")
    def media_status(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        media = self.media.get(request.arg("media_id"))
        if request.arg("command") != "STATUS" or media is None:
            return invalid("The media_id is not valid for this upload.")
        info = {"state": media.get("state", "succeeded"), "progress_percent": 100}
        if info["state"] == "failed":
            info |= {"error": {"code": 1, "name": "InvalidMedia", "message": "Unsupported video format"}}
        media["done"] = info["state"] == "succeeded"
        return Answer(200, {"data": {"id": request.arg("media_id"), "processing_info": info}})

    @route("DELETE", rf"/2/tweets/{ID}")
    def delete_tweet(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        tweet = self.tweets.get(request.params["id"])
        if tweet and tweet["author_id"] != viewer:
            return problem(403, "Forbidden", "You are not authorized to delete this Tweet.")
        self.tweets.pop(request.params["id"], None)
        return Answer(200, {"data": {"deleted": tweet is not None}})

    @route("PUT", rf"/2/tweets/{ID}/hidden")
    def hide_reply(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        tweet = self.tweets.get(request.params["id"])
        if tweet is None:
            return problem(404, "Not Found Error", f"Could not find tweet with id: [{request.params['id']}].",
                           "https://api.twitter.com/2/problems/resource-not-found")
        root = self.tweets.get(tweet["conversation_id"])
        if not tweet["reply_to"] or root is None or root["author_id"] != viewer:
            return problem(403, "Forbidden", "You cannot hide or unhide replies to a conversation that is not "
                                             "authored by you.")
        hidden = request.json.get("hidden")
        if not isinstance(hidden, bool):
            return invalid("`hidden` must be true or false.")
        tweet["hidden"] = hidden
        return Answer(200, {"data": {"hidden": hidden}})

    @route("GET", "/2/tweets")
    def lookup(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        ids = [i for i in request.arg("ids").split(",") if i]
        if not 1 <= len(ids) <= 100:
            return invalid("The `ids` query parameter value must have between 1 and 100 ids.")
        body = {"data": [self.rendered(self.tweets[i]) for i in ids if i in self.tweets]}
        missing = [{"value": i, "detail": f"Could not find tweet with ids: [{i}].", "title": "Not Found Error",
                    "resource_type": "tweet", "parameter": "ids", "resource_id": i,
                    "type": "https://api.twitter.com/2/problems/resource-not-found"}
                   for i in ids if i not in self.tweets]
        return Answer(200, {k: v for k, v in (body | {"errors": missing}).items() if v})
