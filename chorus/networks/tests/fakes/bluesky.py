"""A fake Bluesky PDS + AppView: the XRPC calls the connector makes, answered as the lexicons and a deployed PDS do.

Sessions rotate their refresh token on every refresh; access tokens can be expired on demand. A second
createRecord under an existing record key gets a 500, as deployed PDSes answer it (bluesky-social/indigo#873).
"""

import hashlib
import json
import re
import secrets
import time
from datetime import UTC, datetime, timedelta

import regex

from chorus.networks.tests.fakes.server import Answer, FakeApi, Request, route

POST = "app.bsky.feed.post"
TID = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")
MAX_VIDEO_BLOB = 100_000_000  # app.bsky.embed.video's blob
MAX_BLOB = 1_000_000


def xrpc(nsid: str) -> str:
    return "/xrpc/" + re.escape(nsid)


def error(status: int, name: str, message: str, headers: dict | None = None) -> Answer:
    return Answer(status, {"error": name, "message": message}, headers or {})


def cid_of(value) -> str:
    return "bafyrei" + hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:46]


class FakeBluesky(FakeApi):
    network = "bluesky"
    account_handle = "coffee.bsky.social"
    did = "did:plc:democoffee"
    app_password = "abcd-efgh-ijkl-mnop"
    public_handle = "rival-tea.bsky.social"

    def __init__(self):
        super().__init__()
        self.blobs: dict[str, bytes] = {}  # cid → what was uploaded
        self.actors = {self.did: {"did": self.did, "handle": self.account_handle, "displayName": "Demo Coffee",
                                  "followersCount": 120, "followsCount": 8}}
        self.records: dict[str, dict] = {}  # at-uri → {"uri", "cid", "value", "indexedAt", counters}
        self.notifications: list[dict] = []  # oldest first
        self.access: dict[str, str] = {}  # access token → did
        self.expired: set[str] = set()
        self.refresh: dict[str, str] = {}  # refresh token → did; each is good for one refresh
        self.logins = 0
        self.last_moment = datetime.now(UTC)
        rival = "did:plc:rivaltea"
        self.actors[rival] = {"did": rival, "handle": self.public_handle, "displayName": "Rival Tea",
                              "followersCount": 3400, "followsCount": 40}
        self.store(rival, "3kzzzzzzzzzz2", {"$type": POST, "text": "Улун недели 🍵", "createdAt": self.moment()},
                   likes=12, reposts=3)

    # Harness hooks --------------------------------------------------------------------------------------------
    def refused(self, request: Request) -> Answer:
        return error(503, "UpstreamFailure", "Upstream service unreachable")

    def rate_limited(self, request: Request) -> Answer:
        reset = int(time.time()) + 60
        return error(429, "RateLimitExceeded", "Rate Limit Exceeded",
                     {"ratelimit-limit": "5000", "ratelimit-remaining": "0", "ratelimit-reset": str(reset),
                      "ratelimit-policy": "5000;w=3600"})

    def auth_expired(self, request: Request) -> Answer:
        """The app password was revoked: every session of the account ends, refresh tokens included."""
        self.expired |= set(self.access)
        self.refresh.clear()
        return error(401, "ExpiredToken", "Token has expired")

    def rejected(self, request: Request) -> Answer:
        return error(400, "InvalidRequest", "Invalid app.bsky.feed.post record: Record/text is invalid")

    def posted_videos(self) -> list[bytes]:
        return [self.blobs[r["value"]["embed"]["video"]["ref"]["$link"]] for uri, r in self.records.items()
                if uri.startswith(f"at://{self.did}/{POST}/")
                and r["value"].get("embed", {}).get("$type") == "app.bsky.embed.video"]

    def remote_posts(self) -> list[dict]:
        return [{"remote_id": uri, "text": r["value"]["text"]} for uri, r in self.records.items()
                if uri.startswith(f"at://{self.did}/{POST}/")]

    def add_comment(self, post_remote_id: str, author_name: str, text: str, reason: str = "reply") -> str:
        fan = f"did:plc:fan{len(self.actors)}"
        self.actors[fan] = {"did": fan, "handle": f"fan{len(self.actors)}.bsky.social", "displayName": author_name,
                            "followersCount": 1, "followsCount": 1}
        record = {"$type": POST, "text": text, "createdAt": self.moment()}
        if post_remote_id:
            post = self.records[post_remote_id]
            root = post["value"].get("reply", {}).get("root") or {"uri": post["uri"], "cid": post["cid"]}
            record["reply"] = {"root": root, "parent": {"uri": post["uri"], "cid": post["cid"]}}
        made = self.store(fan, f"fan{len(self.records)}", record)
        self.notifications.append({"uri": made["uri"], "cid": made["cid"], "author": self.actors[fan],
                                   "reason": reason, "record": record, "isRead": False,
                                   "indexedAt": made["indexedAt"]})
        return made["uri"]

    # Test helpers ---------------------------------------------------------------------------------------------
    def expire_access_tokens(self) -> None:
        """Time passes: every access token issued so far has expired (refresh tokens still work)."""
        self.expired |= set(self.access)

    def moment(self) -> str:
        """Now, strictly after the previous moment, so indexedAt orders notifications."""
        now = max(datetime.now(UTC), self.last_moment + timedelta(microseconds=1))
        self.last_moment = now
        return now.isoformat(timespec="microseconds").replace("+00:00", "Z")

    def store(self, did: str, rkey: str, record: dict, likes: int = 0, reposts: int = 0) -> dict:
        uri = f"at://{did}/{POST}/{rkey}"
        self.records[uri] = {"uri": uri, "cid": cid_of(record), "value": record, "indexedAt": self.moment(),
                             "likes": likes, "reposts": reposts, "quotes": 0}
        return self.records[uri]

    def issue_session(self, did: str) -> dict:
        access, refresh = f"access-{secrets.token_hex(8)}", f"refresh-{secrets.token_hex(8)}"
        self.access[access], self.refresh[refresh] = did, did
        return {"did": did, "handle": self.actors[did]["handle"], "accessJwt": access, "refreshJwt": refresh,
                "active": True}

    def viewer(self, request: Request) -> str | Answer:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not token:
            return error(401, "AuthenticationRequired", "Authentication Required")
        if token in self.expired:
            return error(401, "ExpiredToken", "Token has expired")
        return self.access.get(token) or error(401, "InvalidToken", "Token could not be verified")

    def actor(self, name: str) -> dict | None:
        return next((a for a in self.actors.values() if name in (a["did"], a["handle"])), None)

    def post_view(self, stored: dict) -> dict:
        did = stored["uri"].removeprefix("at://").split("/")[0]
        replies = sum(1 for r in self.records.values() if r["value"].get("reply", {}).get("parent", {}).get("uri")
                      == stored["uri"])
        return {"uri": stored["uri"], "cid": stored["cid"], "author": self.actors[did], "record": stored["value"],
                "indexedAt": stored["indexedAt"], "likeCount": stored["likes"], "repostCount": stored["reposts"],
                "quoteCount": stored["quotes"], "replyCount": replies}

    # Sessions ---------------------------------------------------------------------------------------------------
    @route("POST", xrpc("com.atproto.server.createSession"))
    def create_session(self, request: Request) -> Answer:
        body = request.json
        account = self.actor(body.get("identifier", ""))
        if account is None or account["did"] != self.did or body.get("password") != self.app_password:
            return error(401, "AuthenticationRequired", "Invalid identifier or password")
        self.logins += 1
        return Answer(200, self.issue_session(self.did))

    @route("POST", xrpc("com.atproto.server.refreshSession"))
    def refresh_session(self, request: Request) -> Answer:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        did = self.refresh.pop(token, None)  # rotation: a refresh token is good once
        if did is None:
            return error(400, "ExpiredToken", "Token has been revoked")
        return Answer(200, self.issue_session(did))

    # Repository -------------------------------------------------------------------------------------------------
    @route("POST", xrpc("com.atproto.repo.createRecord"))
    def create_record(self, request: Request) -> Answer:
        did = self.viewer(request)
        if isinstance(did, Answer):
            return did
        body = request.json
        rkey, record = body.get("rkey", ""), body.get("record", {})
        if body.get("repo") != did or body.get("collection") != POST:
            return error(400, "InvalidRequest", "Invalid repo or collection")
        if not TID.fullmatch(rkey):
            return error(400, "InvalidRequest", "Invalid record key: must be a TID")
        problem = self.invalid(record)
        if problem:
            return error(400, "InvalidRequest", f"Invalid app.bsky.feed.post record: {problem}")
        if f"at://{did}/{POST}/{rkey}" in self.records:
            return error(500, "InternalServerError", "Internal Server Error")
        made = self.store(did, rkey, record)
        return Answer(200, {"uri": made["uri"], "cid": made["cid"],
                            "commit": {"cid": cid_of(made["uri"]), "rev": rkey}, "validationStatus": "valid"})

    def invalid(self, record: dict) -> str:
        text = record.get("text", "")
        if len(regex.findall(r"\X", text)) > 300 or len(text.encode()) > 3000:
            return "Record/text must not be longer than 300 graphemes"
        size = len(text.encode())
        for facet in record.get("facets", []):
            index = facet["index"]
            if not 0 <= index["byteStart"] < index["byteEnd"] <= size:
                return "Record/facets has an index outside the text"
        for ref in record.get("reply", {}).values():
            if self.records.get(ref["uri"], {}).get("cid") != ref["cid"]:
                return "Record/reply must refer to an existing post"
        embed = record.get("embed", {})
        if len(embed.get("images", [])) > 4:
            return "Record/embed/images must not have more than 4 elements"
        if embed.get("$type") == "app.bsky.embed.video":
            video = embed.get("video", {})
            if video.get("mimeType") != "video/mp4" or video.get("ref", {}).get("$link") not in self.blobs:
                return "Record/embed/video/video must be an uploaded blob of type video/mp4"
        return ""

    @route("GET", xrpc("com.atproto.repo.getRecord"))
    def get_record(self, request: Request) -> Answer:
        uri = f"at://{request.arg('repo')}/{request.arg('collection')}/{request.arg('rkey')}"
        stored = self.records.get(uri)
        if stored is None:
            return error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return Answer(200, {"uri": uri, "cid": stored["cid"], "value": stored["value"]})

    @route("POST", xrpc("com.atproto.repo.deleteRecord"))
    def delete_record(self, request: Request) -> Answer:
        did = self.viewer(request)
        if isinstance(did, Answer):
            return did
        body = request.json
        if body.get("repo") != did:
            return error(400, "InvalidRequest", "Invalid repo")
        self.records.pop(f"at://{did}/{body.get('collection')}/{body.get('rkey')}", None)
        return Answer(200, {"commit": {"cid": cid_of(body), "rev": "3l"}})

    @route("POST", xrpc("com.atproto.repo.uploadBlob"))
    def upload_blob(self, request: Request) -> Answer:
        did = self.viewer(request)
        if isinstance(did, Answer):
            return did
        kind = request.headers.get("content-type", "")
        if len(request.body) > (MAX_VIDEO_BLOB if kind == "video/mp4" else MAX_BLOB):
            return error(400, "BlobTooLarge", "This file is too large. It is 1.2MB but the maximum size is 976.56KB.")
        cid = cid_of(request.body.hex())
        self.blobs[cid] = request.body
        return Answer(200, {"blob": {"$type": "blob", "ref": {"$link": cid},
                                     "mimeType": request.headers.get("content-type", ""),
                                     "size": len(request.body)}})

    @route("GET", xrpc("com.atproto.identity.resolveHandle"))
    def resolve_handle(self, request: Request) -> Answer:
        account = self.actor(request.arg("handle"))
        if account is None:
            return error(400, "InvalidRequest", "Unable to resolve handle")
        return Answer(200, {"did": account["did"]})

    # AppView (proxied by the PDS) -------------------------------------------------------------------------------
    @route("GET", xrpc("app.bsky.actor.getProfile"))
    def get_profile(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        account = self.actor(request.arg("actor"))
        if account is None:
            return error(400, "InvalidRequest", "Profile not found")
        posts = sum(1 for uri in self.records if uri.startswith(f"at://{account['did']}/"))
        return Answer(200, {**account, "postsCount": posts})

    @route("GET", xrpc("app.bsky.feed.getPosts"))
    def get_posts(self, request: Request) -> Answer:
        # The harness keeps the last value of a repeated query parameter, so this answers one uri at a time.
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        wanted = [request.arg("uris")]
        return Answer(200, {"posts": [self.post_view(self.records[u]) for u in wanted if u in self.records]})

    @route("GET", xrpc("app.bsky.feed.getAuthorFeed"))
    def get_author_feed(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        account = self.actor(request.arg("actor"))
        if account is None:
            return error(400, "InvalidRequest", "Profile not found")
        own = [r for uri, r in self.records.items() if uri.startswith(f"at://{account['did']}/")]
        newest = sorted(own, key=lambda r: r["indexedAt"], reverse=True)[:int(request.arg("limit", "50"))]
        return Answer(200, {"feed": [{"post": self.post_view(r)} for r in newest]})

    @route("GET", xrpc("app.bsky.notification.listNotifications"))
    def list_notifications(self, request: Request) -> Answer:
        viewer = self.viewer(request)
        if isinstance(viewer, Answer):
            return viewer
        start, limit = int(request.arg("cursor") or 0), int(request.arg("limit", "50"))
        newest_first = self.notifications[::-1]
        page = newest_first[start:start + limit]
        more = start + limit < len(newest_first)
        return Answer(200, {"notifications": page, **({"cursor": str(start + limit)} if more else {})})
