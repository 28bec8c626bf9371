"""A fake api.ok.ru: one endpoint, /fb.do, dispatching on `method`, checking the signature the way OK does.

Errors come as OK sends them: HTTP 200 with {"error_code", "error_msg", "error_data"}. A wrong application key
is 101, an unknown or expired token 102, a wrong signature 104, so a connector that signs wrongly cannot pass.
"""

import hashlib
import itertools
import json
import time
from datetime import UTC, datetime, timedelta, timezone

from chorus.networks.tests.fakes.oauth import AuthorizationServer, oauth_error
from chorus.networks.tests.fakes.server import Answer, FakeApi, Request, route

APPLICATION_ID = "512000111222"
APPLICATION_KEY = "CBAFAKEKEY"
APPLICATION_SECRET_KEY = "0123456789ABCDEF0123456789ABCDEF"
ACCESS_TOKEN = "tkn1-fake-long-access-token"
REFRESH_TOKEN = "ok-refresh-1"
GROUP_ID = "53038939046008"
COMPETITOR_ID = "54116239147097"
TEXT_LIMIT = 16000
MOSCOW = timezone(timedelta(hours=3))


def moscow_date(moment: datetime | None = None) -> str:
    """A comment's date as discussions.getComments gives it: Moscow time to the second."""
    return (moment or datetime.now(UTC)).astimezone(MOSCOW).strftime("%Y-%m-%d %H:%M:%S")


def ok_error(code: int, message: str) -> Answer:
    return Answer(200, {"error_code": code, "error_msg": message, "error_data": None})


class FakeOk(AuthorizationServer, FakeApi):
    network = "ok"
    public_handle = "ok.ru/competitor.coffee"
    writes = {"mediatopic.post", "mediatopic.edit", "mediatopic.deleteTopic", "discussions.comment",
              "discussions.deleteComment"}
    upload_host_down = False
    pkce_required = False  # OK's OAuth documents none; the secret key authenticates the exchange

    def __init__(self):
        super().__init__()
        self.tokens = {ACCESS_TOKEN}
        self.refresh_tokens = {REFRESH_TOKEN}
        self.renewals = 0
        self.granted_rights = {"VALUABLE_ACCESS", "GROUP_CONTENT", "PHOTO_CONTENT", "LONG_ACCESS_TOKEN"}
        self.setup_oauth({APPLICATION_ID: APPLICATION_SECRET_KEY})
        self.ids = itertools.count(67761823446361)
        self.groups = {GROUP_ID: {"uid": GROUP_ID, "name": "Demo Coffee", "members_count": 1250},
                       COMPETITOR_ID: {"uid": COMPETITOR_ID, "name": "Кофейня напротив", "members_count": 980,
                                       "shortname": "competitor.coffee"}}
        self.topics: dict[str, dict] = {}
        self.pending_photos: set[str] = set()
        self.photo_tokens: set[str] = set()
        self.videos: dict[str, dict] = {}  # video id → {"name", "size", "content" once uploaded}
        self.add_topic(COMPETITOR_ID, "Скидка 20% на капучино до пятницы", likes=14, reshares=2, views=830)

    # State ------------------------------------------------------------------------------------------------------
    def add_topic(self, group_id: str, text: str, media: list | None = None, **counters) -> dict:
        topic_id = str(next(self.ids))
        self.topics[topic_id] = {"id": topic_id, "gid": group_id, "created_ms": int(time.time() * 1000),
                                 "media": media or [{"type": "text", "text": text}],
                                 "likes": counters.get("likes", 0), "reshares": counters.get("reshares", 0),
                                 "views": counters.get("views", 0), "comments": []}
        return self.topics[topic_id]

    def remote_posts(self) -> list[dict]:
        return [{"remote_id": t["id"], "text": self.text_of(t)} for t in self.topics.values()
                if t["gid"] == GROUP_ID]

    def posted_videos(self) -> list[bytes]:
        return [self.videos[item["id"]]["content"] for topic in self.topics.values() if topic["gid"] == GROUP_ID
                for block in topic["media"] if block["type"] == "movie" for item in block["list"]]

    def add_comment(self, post_remote_id: str, author_name: str, text: str, author_id: str = "",
                    reply_to: str = "", at: datetime | None = None) -> str:
        """A member's comment under a topic; ids are opaque strings, as OK's are."""
        comment_id = f"MTc{next(self.ids)}"
        self.topics[post_remote_id]["comments"].append({
            "id": comment_id, "author_id": author_id or str(next(self.ids)), "author_name": author_name,
            "author_ref": f"user:{author_id}", "text": text, "date": moscow_date(at),
            "reply_to_comment_id": reply_to})
        return comment_id

    def comment_of(self, comment_id: str) -> dict | None:
        return next((c for t in self.topics.values() for c in t["comments"] if c["id"] == comment_id), None)

    @staticmethod
    def text_of(topic: dict) -> str:
        return "\n".join(block["text"] for block in topic["media"] if block["type"] == "text")

    def as_media_topic(self, topic: dict) -> dict:
        return {"id": topic["id"], "created_ms": topic["created_ms"], "media": topic["media"],
                "owner_ref": f"group:{topic['gid']}", "author_ref": f"group:{topic['gid']}",
                "like_summary": {"count": topic["likes"]}, "reshare_summary": {"count": topic["reshares"]},
                "discussion_summary": {"comments_count": len(topic["comments"])},
                "views_count": topic["views"]}

    # Faults in OK's own shape ---------------------------------------------------------------------------------
    @staticmethod
    def params(request: Request) -> dict[str, str]:
        return {**request.query, **request.form}

    def changes_state(self, request: Request) -> bool:
        return self.params(request).get("method") in self.writes

    def refused(self, request):
        return ok_error(2, "SERVICE : Service temporary unavailable")

    def rate_limited(self, request):
        return ok_error(8, "FLOOD_BLOCKED : Flood blocked")

    def auth_expired(self, request):
        return ok_error(102, "PARAM_SESSION_EXPIRED : Session expired")

    def rejected(self, request):
        return ok_error(601, "MEDIA_TOPIC_TEXT_LIMIT : Text limit reached")

    def forbidden(self, request):
        return ok_error(10, "PERMISSION_DENIED : No GROUP_CONTENT right in this group")

    def not_found(self, request):
        return ok_error(300, "NOT_FOUND : Group not found")

    def captcha(self, request):
        return ok_error(514, "IDS_SESSION_VERIFICATION_REQUIRED : Session verification required")

    def content_refused(self, request):
        return ok_error(454, "CENSOR_MATCH : Text is censored")

    # OAuth: connect.ok.ru's sign-in page (tests point "ok-connect" here) and api.ok.ru's token.do ------------------
    @route("GET", r"/oauth/authorize")
    def oauth_authorize(self, request: Request) -> Answer:
        return self.authorize(request)

    @route("POST", r"/oauth/token\.do")
    def oauth_token(self, request: Request) -> Answer:
        if request.arg("grant_type") == "refresh_token":
            return self.renew_session(request)
        issued = self.grant(request)
        if isinstance(issued, Answer):
            return issued
        return Answer(200, {"access_token": ACCESS_TOKEN, "token_type": "session", "refresh_token": REFRESH_TOKEN,
                            "expires_in": 1800})

    def renew_session(self, request: Request) -> Answer:
        """OK's refresh: a new half-hour access token for the 30-day refresh token, which itself stays the same."""
        if self.oauth_clients.get(request.arg("client_id")) != request.arg("client_secret"):
            return oauth_error("invalid_client", "Client authentication failed", 401)
        if request.arg("refresh_token") not in self.refresh_tokens:
            return oauth_error("invalid_grant", "Refresh token is invalid or expired")
        token = f"tkn1-renewed-{next(self.ids)}"
        self.tokens.add(token)
        self.renewals += 1
        return Answer(200, {"access_token": token, "token_type": "session", "expires_in": 1800})

    def expire_sessions(self) -> None:
        """Half an hour has passed: every access token is refused with 102."""
        self.tokens.clear()

    # The endpoint -----------------------------------------------------------------------------------------------
    @route("GET", r"/fb\.do")
    def fb_do_get(self, request):
        return self.fb_do(request)

    @route("POST", r"/fb\.do")
    def fb_do_post(self, request):
        return self.fb_do(request)

    def fb_do(self, request: Request) -> Answer:
        params = self.params(request)
        if params.get("application_key") != APPLICATION_KEY:
            return ok_error(101, "PARAM_API_KEY : Application key is invalid")
        if params.get("access_token") not in self.tokens:
            return ok_error(102, "PARAM_SESSION_EXPIRED : Session expired")
        if params.get("sig") != self.expected_signature(params):
            return ok_error(104, "PARAM_SIGNATURE : Invalid signature")
        handler = getattr(self, "m_" + params.get("method", "").replace(".", "_"), None)
        if handler is None:
            return ok_error(3, f"METHOD : Method {params.get('method')!r} does not exist")
        return handler(params)

    @staticmethod
    def expected_signature(params: dict[str, str]) -> str:
        """Written out again here, apart from the connector's, so a signing mistake cannot agree with itself."""
        secret = hashlib.md5((params["access_token"] + APPLICATION_SECRET_KEY).encode()).hexdigest()
        pairs = sorted((k, v) for k, v in params.items() if k not in ("sig", "access_token"))
        return hashlib.md5(("".join(f"{k}={v}" for k, v in pairs) + secret).encode()).hexdigest()

    def m_users_getCurrentUser(self, params):
        return Answer(200, {"uid": "574829301", "name": "Ольга Смирнова"})

    def m_users_hasAppPermission(self, params):
        """true or false: whether the user gave the application this right (OK grants some only on request)."""
        return Answer(200, params.get("ext_perm") in self.granted_rights)

    def m_group_getInfo(self, params):
        return Answer(200, [self.groups[uid] for uid in params["uids"].split(",") if uid in self.groups])

    def m_url_getInfo(self, params):
        for group in self.groups.values():
            if params["url"].rstrip("/").endswith("/" + group.get("shortname", "-")):
                return Answer(200, {"type": "GROUP", "objectId": int(group["uid"])})
        return Answer(200, {"type": "UNKNOWN"})

    def kept(self, media: list[dict], topic: dict | None = None) -> list[dict]:
        """Media as the topic keeps it: photo tokens become photos (a token is good once), a poll sent without its
        id is a new poll with no votes, one sent with the id of the topic's poll is that poll, votes and all."""
        polls = {block["poll_id"]: block for block in (topic or {}).get("media", []) if block["type"] == "poll"}
        stored = []
        for block in media:
            if block.get("type") == "photo":
                items = []
                for item in block["list"]:
                    if item["id"] in self.photo_tokens:
                        self.photo_tokens.discard(item["id"])
                        item = {"id": f"photo{next(self.ids)}"}
                    items.append({"id": item["id"]})
                block = {"type": "photo", "list": items}
            elif block.get("type") == "poll":
                block = polls.get(block.get("poll_id")) or {
                    "type": "poll", "poll_id": str(next(self.ids)), "question": block.get("question", ""),
                    "answers": [{"id": str(next(self.ids)), "text": a["text"], "votes": 0} for a in block["answers"]]}
            stored.append(block)
        return stored

    def vote(self, topic_id: str, votes: int) -> None:
        [poll] = [block for block in self.topics[topic_id]["media"] if block["type"] == "poll"]
        poll["answers"][0]["votes"] += votes

    def attachment_of(self, params, topic: dict | None = None) -> list[dict] | Answer:
        try:
            media = json.loads(params.get("attachment", ""))["media"]
        except (ValueError, KeyError, TypeError):
            return ok_error(100, "PARAM : attachment is not valid JSON")
        if sum(len(block.get("text", "")) for block in media if block.get("type") == "text") > TEXT_LIMIT:
            return ok_error(601, "MEDIA_TOPIC_TEXT_LIMIT : Text limit reached")
        photos = [item["id"] for block in media if block.get("type") == "photo" for item in block["list"]]
        own = {item["id"] for block in (topic or {}).get("media", []) if block["type"] == "photo"
               for item in block["list"]}
        if not (self.photo_tokens | own).issuperset(photos):
            return ok_error(121, "PARAM_PHOTO_ID : Unknown photo token")
        movies = [item["id"] for block in media if block.get("type") == "movie" for item in block["list"]]
        if any("content" not in self.videos.get(movie, {}) for movie in movies):
            return ok_error(100, "PARAM : Unknown or not uploaded video")
        return media

    def m_video_getUploadUrl(self, params):
        if params.get("gid") != GROUP_ID:
            return ok_error(10, "PERMISSION_DENIED : No VIDEO_CONTENT right in this group")
        if not params.get("file_name") or not str(params.get("file_size", "")).isdigit():
            return ok_error(100, "PARAM : file_name and file_size are required")
        video_id = str(next(self.ids))
        self.videos[video_id] = {"name": params["file_name"], "size": int(params["file_size"])}
        return Answer(200, {"upload_url": f"{self.url}/upload/video/{video_id}", "video_id": int(video_id)})

    @route("POST", r"/upload/video/(?P<video_id>[0-9]+)")
    def upload_video(self, request):
        video = self.videos.get(request.params["video_id"])
        content = next(iter(request.uploads.values()), ("", "", b""))[2]
        if video is None or len(content) != video["size"]:
            return Answer(200, {"error_code": 100, "error_msg": "PARAM : the file is not the size announced"})
        video["content"] = content
        return Answer(200, {})

    def m_photosV2_getUploadUrl(self, params):
        if params.get("gid") != GROUP_ID:
            return ok_error(10, "PERMISSION_DENIED : No PHOTO_CONTENT right in this group")
        photo_ids = [str(next(self.ids)) for _ in range(int(params.get("count", 1)))]
        self.pending_photos.update(photo_ids)
        return Answer(200, {"upload_url": f"{self.url}/upload/{','.join(photo_ids)}", "photo_ids": photo_ids})

    @route("POST", r"/upload/(?P<ids>[0-9,]+)")
    def upload(self, request):
        """The upload host answers a token per photo id; each file arrives as its own multipart part."""
        if self.upload_host_down:
            return Answer(502, "<html>Bad Gateway</html>", {"Content-Type": "text/html"})
        photo_ids = request.params["ids"].split(",")
        if request.body.count(b"filename=") != len(photo_ids) or not self.pending_photos.issuperset(photo_ids):
            return Answer(200, {"error_code": 100, "error_msg": "PARAM : wrong number of files"})
        self.pending_photos.difference_update(photo_ids)
        self.photo_tokens.update(f"tok-{photo_id}" for photo_id in photo_ids)
        return Answer(200, {"photos": {photo_id: {"token": f"tok-{photo_id}"} for photo_id in photo_ids}})

    def m_mediatopic_post(self, params):
        if params.get("type") != "GROUP_THEME" or params.get("gid") not in self.groups:
            return ok_error(160, "PARAM_GROUP_ID : Invalid group id")
        if params["gid"] != GROUP_ID:
            return ok_error(10, "PERMISSION_DENIED : No GROUP_CONTENT right in this group")
        media = self.attachment_of(params)
        if isinstance(media, Answer):
            return media
        # OK answers the id as a JSON string.
        return Answer(200, self.add_topic(params["gid"], "", self.kept(media))["id"])

    def own_topic(self, params) -> dict | Answer:
        topic = self.topics.get(params.get("topic_id", ""))
        if topic is None or topic["gid"] != params.get("gid"):
            return ok_error(300, "NOT_FOUND : Topic not found")
        return topic

    def m_mediatopic_edit(self, params):
        topic = self.own_topic(params)
        media = topic if isinstance(topic, Answer) else self.attachment_of(params, topic)
        if isinstance(media, Answer):
            return media
        topic["media"] = self.kept(media, topic)
        return Answer(200, True)

    def m_mediatopic_deleteTopic(self, params):
        topic = self.own_topic(params)
        if isinstance(topic, Answer):
            return topic
        del self.topics[topic["id"]]
        return Answer(200, {"success": True})

    def m_mediatopic_getByIds(self, params):
        wanted = params["topic_ids"].split(",")
        return Answer(200, {"media_topics": [self.as_media_topic(self.topics[i]) for i in wanted if i in self.topics]})

    def discussion(self, params) -> dict | Answer:
        if params.get("discussionType") != "GROUP_TOPIC":
            return ok_error(100, "PARAM : discussionType")
        topic = self.topics.get(params.get("discussionId", ""))
        return topic if topic is not None else ok_error(300, "NOT_FOUND : Discussion not found")

    def m_discussions_getComments(self, params):
        topic = self.discussion(params)
        if isinstance(topic, Answer):
            return topic
        newest = topic["comments"][-int(params.get("count", 20)):]
        return Answer(200, {"discussionId": topic["id"], "discussionType": "GROUP_TOPIC", "has_more": False,
                            "anchor": "", "comments": newest})

    def administered(self, params) -> dict | Answer:
        """The discussion, when it is under a topic of the group our token administers."""
        topic = self.discussion(params)
        if not isinstance(topic, Answer) and topic["gid"] != GROUP_ID:
            return ok_error(10, "PERMISSION_DENIED : Not an administrator of this group")
        return topic

    def m_discussions_comment(self, params):
        topic = self.administered(params)
        if isinstance(topic, Answer):
            return topic
        if not params.get("text", "").strip():
            return ok_error(100, "PARAM : text")
        comment = {"id": f"MTc{next(self.ids)}", "author_id": GROUP_ID, "author_name": self.groups[GROUP_ID]["name"],
                   "author_ref": f"group:{GROUP_ID}", "text": params["text"], "date": moscow_date(),
                   "reply_to_comment_id": params.get("reply_to_comment_id", "")}
        topic["comments"].append(comment)
        return Answer(200, {"id": comment["id"]})

    def m_discussions_deleteComment(self, params):
        topic = self.administered(params)
        if isinstance(topic, Answer):
            return topic
        kept = [c for c in topic["comments"] if c["id"] != params.get("comment_id")]
        if len(kept) == len(topic["comments"]):
            return ok_error(300, "NOT_FOUND : Comment not found")
        topic["comments"] = kept
        return Answer(200, {"success": True})

    def m_mediatopic_getTopics(self, params):
        if params.get("gid") not in self.groups:
            return ok_error(160, "PARAM_GROUP_ID : Invalid group id")
        newest = sorted((t for t in self.topics.values() if t["gid"] == params["gid"]),
                        key=lambda t: t["created_ms"], reverse=True)[:int(params.get("count", 20))]
        return Answer(200, {"media_topics": [self.as_media_topic(t) for t in newest], "has_more": False})
