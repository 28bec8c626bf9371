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
BLOCK = "app.bsky.graph.block"
THREADGATE = "app.bsky.feed.threadgate"
CHAT_SERVICE = "did:web:api.bsky.chat#bsky_chat"
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
        self.dm_access = True  # the app password was made with "Allow access to your direct messages"
        self.convos: dict[str, dict] = {}  # id → {"id", "members": [did], "messages": [newest last]}
        self.revs = 0
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

    def forbidden(self, request: Request) -> Answer:
        return error(400, "InvalidToken", "Bad token scope")  # the app password may not do this

    def not_found(self, request: Request) -> Answer:
        return error(400, "RecordNotFound", "Could not locate record")

    def posted_videos(self) -> list[bytes]:
        return [self.blobs[r["value"]["embed"]["video"]["ref"]["$link"]] for uri, r in self.records.items()
                if uri.startswith(f"at://{self.did}/{POST}/")
                and r["value"].get("embed", {}).get("$type") == "app.bsky.embed.video"]

    def remote_posts(self) -> list[dict]:
        return [{"remote_id": uri, "text": r["value"]["text"]} for uri, r in self.records.items()
                if uri.startswith(f"at://{self.did}/{POST}/")]

    def fan(self, name: str) -> str:
        did = f"did:plc:fan{len(self.actors)}"
        self.actors[did] = {"did": did, "handle": f"fan{len(self.actors)}.bsky.social", "displayName": name,
                            "followersCount": 1, "followsCount": 1}
        return did

    def blocks(self) -> set[str]:
        """The DIDs our account blocks: the subjects of its block records."""
        return {r["value"]["subject"] for uri, r in self.records.items() if uri.startswith(f"at://{self.did}/{BLOCK}/")}

    def add_comment(self, post_remote_id: str, author_name: str, text: str, reason: str = "reply",
                    fan: str = "") -> str:
        fan = fan or self.fan(author_name)
        record = {"$type": POST, "text": text, "createdAt": self.moment()}
        if post_remote_id:
            post = self.records[post_remote_id]
            root = post["value"].get("reply", {}).get("root") or {"uri": post["uri"], "cid": post["cid"]}
            record["reply"] = {"root": root, "parent": {"uri": post["uri"], "cid": post["cid"]}}
        made = self.store(fan, f"fan{len(self.records)}", record)
        if fan not in self.blocks():  # the AppView leaves out what blocked accounts do
            self.notifications.append({"uri": made["uri"], "cid": made["cid"], "author": self.actors[fan],
                                       "reason": reason, "record": record, "isRead": False,
                                       "indexedAt": made["indexedAt"]})
        return made["uri"]

    def add_direct_message(self, author_name: str, text: str, fan: str = "") -> str:
        """A message to our account in its conversation with the person (made on first contact)."""
        fan = fan or self.fan(author_name)
        convo = next((c for c in self.convos.values() if c["members"] == [self.did, fan]), None)
        if convo is None:
            convo = {"id": f"convo{len(self.convos) + 1}", "members": [self.did, fan], "messages": []}
            self.convos[convo["id"]] = convo
        return self.message(convo, fan, text)["id"]

    def message(self, convo: dict, sender: str, text: str) -> dict:
        self.revs += 1
        message = {"$type": "chat.bsky.convo.defs#messageView", "id": f"msg{self.revs}",
                   "rev": f"22222{self.revs:08d}", "text": text, "sender": {"did": sender}, "sentAt": self.moment()}
        convo["messages"].append(message)
        return message

    # Test helpers ---------------------------------------------------------------------------------------------
    def expire_access_tokens(self) -> None:
        """Time passes: every access token issued so far has expired (refresh tokens still work)."""
        self.expired |= set(self.access)

    def moment(self) -> str:
        """Now, strictly after the previous moment, so indexedAt orders notifications."""
        now = max(datetime.now(UTC), self.last_moment + timedelta(microseconds=1))
        self.last_moment = now
        return now.isoformat(timespec="microseconds").replace("+00:00", "Z")

    def store(self, did: str, rkey: str, record: dict, likes: int = 0, reposts: int = 0,
              collection: str = POST) -> dict:
        uri = f"at://{did}/{collection}/{rkey}"
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
        collection = body.get("collection")
        if body.get("repo") != did or collection not in (POST, BLOCK):
            return error(400, "InvalidRequest", "Invalid repo or collection")
        if not TID.fullmatch(rkey):
            return error(400, "InvalidRequest", "Invalid record key: must be a TID")
        problem = self.invalid(record) if collection == POST else self.invalid_block(record)
        if problem:
            return error(400, "InvalidRequest", f"Invalid {collection} record: {problem}")
        if f"at://{did}/{collection}/{rkey}" in self.records:
            return error(500, "InternalServerError", "Internal Server Error")
        made = self.store(did, rkey, record, collection=collection)
        return Answer(200, {"uri": made["uri"], "cid": made["cid"],
                            "commit": {"cid": cid_of(made["uri"]), "rev": rkey}, "validationStatus": "valid"})

    def invalid_block(self, record: dict) -> str:
        if record.get("$type") != BLOCK or not record.get("createdAt"):
            return "Record/$type and createdAt are required"
        return "" if str(record.get("subject", "")).startswith("did:") else "Record/subject must be a did"

    @route("POST", xrpc("com.atproto.repo.putRecord"))
    def put_record(self, request: Request) -> Answer:
        did = self.viewer(request)
        if isinstance(did, Answer):
            return did
        body = request.json
        if body.get("repo") != did or body.get("collection") != THREADGATE:
            return error(400, "InvalidRequest", "Invalid repo or collection")
        uri, record = f"at://{did}/{THREADGATE}/{body.get('rkey')}", body.get("record", {})
        if record.get("post") != f"at://{did}/{POST}/{body.get('rkey')}" or record.get("post") not in self.records:
            return error(400, "InvalidRequest", "Invalid app.bsky.feed.threadgate record: Record/post must be the "
                                                "thread's root with the same record key")
        if len(record.get("hiddenReplies", [])) > 300:
            return error(400, "InvalidRequest", "Record/hiddenReplies must not have more than 300 elements")
        if "swapRecord" in body and self.records.get(uri, {}).get("cid") != body["swapRecord"]:
            return error(400, "InvalidSwap", "Record was at a different cid")
        made = self.store(did, body["rkey"], record, collection=THREADGATE)
        return Answer(200, {"uri": made["uri"], "cid": made["cid"]})

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

    # Chat: chat.bsky.convo.*, which the PDS forwards to the chat service named in the atproto-proxy header -----
    def chat_viewer(self, request: Request) -> str | Answer:
        did = self.viewer(request)
        if isinstance(did, Answer):
            return did
        if request.headers.get("atproto-proxy") != CHAT_SERVICE:
            return error(501, "MethodNotImplemented", "Method Not Implemented")
        if not self.dm_access:
            return error(400, "InvalidToken", "Bad token method")
        return did

    def convo_view(self, convo: dict) -> dict:
        return {"id": convo["id"], "rev": convo["messages"][-1]["rev"] if convo["messages"] else "",
                "members": [self.actors[m] for m in convo["members"]],
                "lastMessage": convo["messages"][-1] if convo["messages"] else None, "muted": False,
                "unreadCount": 0}

    @route("GET", xrpc("chat.bsky.convo.listConvos"))
    def list_convos(self, request: Request) -> Answer:
        did = self.chat_viewer(request)
        if isinstance(did, Answer):
            return did
        mine = [c for c in self.convos.values() if did in c["members"]]
        mine.sort(key=lambda c: c["messages"][-1]["rev"] if c["messages"] else "", reverse=True)
        return Answer(200, {"convos": [self.convo_view(c) for c in mine[:int(request.arg("limit", "50"))]]})

    @route("GET", xrpc("chat.bsky.convo.getMessages"))
    def get_messages(self, request: Request) -> Answer:
        did = self.chat_viewer(request)
        if isinstance(did, Answer):
            return did
        convo = self.convos.get(request.arg("convoId"))
        if convo is None or did not in convo["members"]:
            return error(400, "InvalidRequest", "Convo not found")
        return Answer(200, {"messages": convo["messages"][::-1][:int(request.arg("limit", "50"))]})

    @route("POST", xrpc("chat.bsky.convo.sendMessage"))
    def send_message(self, request: Request) -> Answer:
        did = self.chat_viewer(request)
        if isinstance(did, Answer):
            return did
        body = request.json
        convo = self.convos.get(body.get("convoId", ""))
        if convo is None or did not in convo["members"]:
            return error(400, "InvalidRequest", "Convo not found")
        text = (body.get("message") or {}).get("text", "")
        if not text or len(regex.findall(r"\X", text)) > 1000:
            return error(400, "InvalidRequest", "Message text must be 1 to 1000 graphemes")
        return Answer(200, self.message(convo, did, text))
