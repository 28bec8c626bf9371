"""A VK API fake: the methods the connector calls, answered as api.vk.ru answers them (HTTP 200, {"response"} or
{"error": {"error_code", "error_msg"}}), with a community wall that keeps posts, guids, comments and messages."""

import itertools
import json
import time

from chorus.networks.tests.fakes.server import Answer, FakeApi, Request, route

USER_TOKEN = "vk-user-token"
COMMUNITY_TOKEN = "vk-community-token"
GROUP_ID = 218000111
RIVAL_ID = 218000222

USER_ONLY = {"wall.post", "wall.edit", "wall.delete", "photos.getWallUploadServer", "photos.saveWallPhoto",
             "video.save", "account.getAppPermissions", "stats.getPostReach", "stats.get"}
STATS = 1048576  # account.getAppPermissions' bit for the stats right
COMMUNITY_ONLY = {"messages.getConversations", "messages.getHistory", "messages.send",
                  "groups.getTokenPermissions"}
STATE_CHANGING = {"wall.post", "wall.edit", "wall.delete", "wall.createComment", "wall.deleteComment",
                  "groups.ban", "groups.unban", "messages.send", "polls.create", "photos.saveWallPhoto"}
ERROR_TEXT = {5: "User authorization failed: access_token has expired.", 6: "Too many requests per second",
              9: "Flood control", 10: "Internal server error", 14: "Captcha needed",
              15: "Access denied", 27: "Group authorization failed: method is unavailable with group auth.",
              29: "Rate limit reached", 100: "One of the parameters specified was missing or invalid",
              104: "Not found", 214: "Access to adding post denied"}


def error(code: int, **extra) -> Answer:
    return Answer(200, {"error": {"error_code": code, "error_msg": ERROR_TEXT.get(code, "Error"),
                                  "request_params": [], **extra}})


def ok(response) -> Answer:
    return Answer(200, {"response": response})


class FakeVk(FakeApi):
    network = "vk"
    public_handle = "rival_tea"

    def __init__(self):
        super().__init__()
        self.ids = itertools.count(1)  # one counter: post, comment and message ids only ever grow
        self.communities = {
            GROUP_ID: {"id": GROUP_ID, "name": "Demo Coffee", "screen_name": "demo_coffee", "members_count": 1520},
            RIVAL_ID: {"id": RIVAL_ID, "name": "Rival Tea", "screen_name": "rival_tea", "members_count": 8700},
        }
        self.walls: dict[int, dict[int, dict]] = {-GROUP_ID: {}, -RIVAL_ID: {}}
        self.guids: dict[str, int] = {}
        self.comment_guids: dict[str, int] = {}
        self.comments: dict[int, dict] = {}
        self.messages: list[dict] = []
        self.people: dict[int, str] = {}
        self.banned: set[int] = set()
        self.photos: dict[int, str] = {}
        self.videos: dict[int, bytes | None] = {}  # video.save made the entry; the upload fills it
        self.polls: dict[int, dict] = {}
        self.app_rights = 8192 | 4 | 16 | 262144 | STATS
        self.community_rights = ["messages", "manage"]
        self.is_admin = True
        self.activity_today = {"subscribed": 0, "unsubscribed": 0}  # the community's joins and leaves today
        self.error_codes: list[int] = []  # VK errors the next state-changing calls answer with
        self.rate_limit_code = 6
        self.reject_code = 100  # a parameter VK refuses; its content rules are `content_refused`
        self._post(-RIVAL_ID, "Улун недели: Те Гуань Инь", views=940, likes=31)

    @property
    def url(self) -> str:
        # FakeApi.__init__ reads every attribute (looking for routes) before the server exists.
        return super().url if getattr(self, "server", None) else ""

    # Faults in VK's own shapes --------------------------------------------------------------------------
    def changes_state(self, request: Request) -> bool:
        return request.path.removeprefix("/method/") in STATE_CHANGING

    def refused(self, request):
        return error(10)

    def rate_limited(self, request):
        return error(self.rate_limit_code)

    def auth_expired(self, request):
        return error(5)

    def rejected(self, request):
        return error(self.reject_code)

    def forbidden(self, request):
        return error(15)  # access denied: the user is no longer an editor of the community

    def not_found(self, request):
        return error(104)

    def captcha(self, request):
        return error(14, captcha_sid="239633676097", captcha_img="https://api.vk.com/captcha.php?sid=239633676097")

    def content_refused(self, request):
        return error(214)  # adding the post is denied (VK's anti-spam, or the community's rules)

    # What the contract reads --------------------------------------------------------------------------
    def posted_videos(self) -> list[bytes]:
        return [self.videos[int(name.split("_")[1])] for post in self.walls.get(-GROUP_ID, {}).values()
                for name in post["attachments"].split(",") if name.startswith("video")]

    def remote_posts(self) -> list[dict]:
        return [{"remote_id": f"{-GROUP_ID}_{p['id']}", "text": p["text"], "attachments": p["attachments"]}
                for p in self.walls[-GROUP_ID].values()]

    def own_parts(self) -> list[dict]:
        """The community's posts and its own comments (a first comment)."""
        return self.remote_posts() + [{"remote_id": str(c["id"]), "text": c["text"]} for c in self.comments.values()
                                      if c["from_id"] == -GROUP_ID]

    def vote(self, poll_id: int, votes: int) -> None:
        self.polls[poll_id]["votes"] += votes

    def add_comment(self, post_remote_id: str, author_name: str, text: str, reply_to: int = 0) -> str:
        with self.lock:
            author = 700000 + len(self.people) + 1
            self.people[author] = author_name
            return str(self._comment(int(post_remote_id.rsplit("_", 1)[1]), author, text, reply_to))

    def add_message(self, author_name: str, text: str) -> int:
        with self.lock:
            author = 800000 + len(self.people) + 1
            self.people[author] = author_name
            message = {"id": next(self.ids), "date": int(time.time()), "from_id": author, "peer_id": author,
                       "text": text, "out": 0}
            self.messages.append(message)
            return message["id"]

    add_direct_message = add_message

    # State --------------------------------------------------------------------------------------------
    def _post(self, owner_id: int, text: str, attachments: str = "", views: int = 1, likes: int = 0) -> dict:
        post = {"id": next(self.ids), "owner_id": owner_id, "from_id": owner_id, "date": int(time.time()),
                "text": text, "attachments": attachments, "views": views, "likes": likes, "reposts": 0,
                "reach_total": views, "reach_subscribers": views}
        self.walls[owner_id][post["id"]] = post
        return post

    def _comment(self, post_id: int, author: int, text: str, reply_to: int = 0) -> int:
        comment = {"id": next(self.ids), "from_id": author, "date": int(time.time()), "text": text,
                   "post_id": post_id, "owner_id": -GROUP_ID, "reply_to_comment": reply_to}
        self.comments[comment["id"]] = comment
        return comment["id"]

    def _attached(self, name: str) -> dict:
        """One attachment as VK shows it on a post, from its "<type><owner>_<id>" name."""
        if name.startswith("http"):
            return {"type": "link", "link": {"url": name, "title": ""}}
        kind = name.rstrip("-0123456789_")
        owner_id, item_id = map(int, name[len(kind):].split("_")[:2])
        item = {"id": item_id, "owner_id": owner_id}
        if kind == "poll" and item_id in self.polls:
            poll = self.polls[item_id]
            item |= {"question": poll["question"], "votes": poll["votes"]}
        return {"type": kind, kind: item}

    def _shown(self, post: dict) -> dict:
        comments = sum(1 for c in self.comments.values() if c["post_id"] == post["id"])
        attachments = [self._attached(name) for name in post["attachments"].split(",") if name]
        return {"attachments": attachments, "id": post["id"], "owner_id": post["owner_id"],
                "from_id": post["from_id"], "date": post["date"], "text": post["text"],
                "views": {"count": post["views"]},
                "likes": {"count": post["likes"], "can_like": 1}, "reposts": {"count": post["reposts"]},
                "comments": {"count": comments, "can_post": 1}}

    def _names(self, ids) -> dict:
        ids = set(ids)
        profiles = [{"id": i, "first_name": self.people[i], "last_name": ""} for i in ids if i in self.people]
        groups = [self.communities[-i] for i in ids if -i in self.communities]
        return {"profiles": profiles, "groups": groups}

    # The API --------------------------------------------------------------------------------------------
    @route("POST", r"/method/(?P<name>[\w.]+)")
    def method(self, request: Request) -> Answer:
        name = request.params["name"]
        token = request.headers.get("authorization", "").removeprefix("Bearer ") or request.arg("access_token")
        if token not in (USER_TOKEN, COMMUNITY_TOKEN):
            return error(5)
        if request.arg("v") != "5.199":
            return error(8)
        if name in USER_ONLY and token != USER_TOKEN:
            return error(27)
        if name in COMMUNITY_ONLY and token != COMMUNITY_TOKEN:
            return error(15)
        if name in STATE_CHANGING and self.error_codes:
            return error(self.error_codes.pop(0))
        handler = getattr(self, name.replace(".", "_"), None)
        return handler(request) if handler else error(3)

    def groups_getById(self, request):
        handle = request.arg("group_id")
        found = [c for c in self.communities.values() if handle in (str(c["id"]), c["screen_name"])]
        if not found:
            return error(100)
        shown = {**found[0], "is_admin": int(self.is_admin and found[0]["id"] == GROUP_ID), "is_closed": 0}
        return ok({"groups": [shown], "profiles": []})

    def account_getAppPermissions(self, request):
        return ok(self.app_rights)

    def stats_getPostReach(self, request):
        """Reach of up to 30 of the community's posts, for an admin's token with the stats right; else error 15
        (VK's "Access denied: no access to call this method")."""
        if not self.app_rights & STATS or not self.is_admin:
            return error(15)
        post_ids = [int(i) for i in request.arg("post_ids").split(",") if i]
        if not post_ids or len(post_ids) > 30:
            return error(100)
        wall = self.walls.get(int(request.arg("owner_id") or 0), {})
        return ok([{"post_id": i, "reach_total": wall[i]["reach_total"],
                    "reach_subscribers": wall[i]["reach_subscribers"], "reach_viral": 0, "reach_ads": 0, "links": 0,
                    "to_group": 0, "join_group": 0, "hide": 0, "report": 0, "unsubscribe": 0}
                   for i in post_ids if i in wall])

    def stats_get(self, request):
        """The community's statistics for today (Moscow time) with interval=day&intervals_count=1, for an admin's
        token with the stats right, else error 15. As VK does, a counter that is zero is left out."""
        if not self.app_rights & STATS or not self.is_admin:
            return error(15)
        if request.arg("interval") != "day" or request.arg("intervals_count") != "1":
            return error(100)
        moscow = time.gmtime(time.time() + 3 * 3600)
        start = int(time.time()) - (moscow.tm_hour * 3600 + moscow.tm_min * 60 + moscow.tm_sec)
        activity = {name: count for name, count in self.activity_today.items() if count}
        return ok([{"period_from": start, "period_to": start + 86400, **({"activity": activity} if activity else {})}])

    def groups_getTokenPermissions(self, request):
        return ok({"mask": 4096, "permissions": [{"name": n, "setting": 1} for n in self.community_rights]})

    # Callback API: what Chorus asks for, and the events VK then POSTs to the server it registered.
    def groups_getCallbackConfirmationCode(self, request):
        if "manage" not in self.community_rights:
            return error(15)
        return ok({"code": "a1b2c3d4"})

    def groups_addCallbackServer(self, request):
        self.callback = {"url": request.arg("url"), "secret": request.arg("secret_key"), "events": set()}
        return ok({"server_id": 3})

    def groups_setCallbackSettings(self, request):
        self.callback["events"] = {name for name in ("wall_reply_new", "wall_reply_edit", "wall_reply_delete",
                                                     "wall_reply_restore", "message_new") if request.arg(name) == "1"}
        return ok(1)

    def callback_event(self, kind: str, item: dict, secret: str = "") -> dict:
        """The body VK sends to the callback server for one event (secret: as registered, unless a test lies)."""
        return {"type": kind, "object": item, "group_id": GROUP_ID, "event_id": f"ev{next(self.ids)}",
                "v": "5.199", "secret": secret or self.callback["secret"]}

    def groups_getMembers(self, request):
        return ok({"count": self.communities[int(request.arg("group_id"))]["members_count"], "items": []})

    def wall_post(self, request):
        owner_id, guid = int(request.arg("owner_id")), request.arg("guid")
        if owner_id != -GROUP_ID or request.arg("from_group") != "1":
            return error(214)
        if guid in self.guids:  # VK answers a repeated guid with the post it already made
            return ok({"post_id": self.guids[guid]})
        text, attachments = request.arg("message"), request.arg("attachments")
        if not text and not attachments:
            return error(100)
        if len(text) > 16384:
            return error(100)
        media = [name for name in attachments.split(",") if name.startswith(("photo", "video"))]
        if len(media) > 10 or any(self.videos.get(int(name.split("_")[1])) is None
                                  for name in media if name.startswith("video")):
            return error(100)  # over ten media, or a video whose file never arrived
        post = self._post(owner_id, text, attachments)
        if guid:
            self.guids[guid] = post["id"]
        return ok({"post_id": post["id"]})

    def _wall_post(self, request) -> dict | None:
        return self.walls.get(int(request.arg("owner_id")), {}).get(int(request.arg("post_id") or 0))

    def wall_edit(self, request):
        post = self._wall_post(request)
        if post is None:
            return error(104)
        post["text"], post["attachments"] = request.arg("message"), request.arg("attachments")
        return ok({"post_id": post["id"]})

    def wall_delete(self, request):
        post = self._wall_post(request)
        if post is None:
            return error(104)
        del self.walls[post["owner_id"]][post["id"]]
        for comment_id in [c["id"] for c in self.comments.values() if c["post_id"] == post["id"]]:
            del self.comments[comment_id]  # a post's comments go with it
        return ok(1)

    def wall_get(self, request):
        wall = self.walls.get(int(request.arg("owner_id") or 0))
        if wall is None:
            return error(100)
        posts = sorted(wall.values(), key=lambda p: p["id"], reverse=True)[:int(request.arg("count", "20"))]
        return ok({"count": len(wall), "items": [self._shown(p) for p in posts]})

    def wall_getById(self, request):
        found = []
        for name in request.arg("posts").split(","):
            owner_id, post_id = map(int, name.rsplit("_", 1))
            post = self.walls.get(owner_id, {}).get(post_id)
            found += [self._shown(post)] if post else []
        return ok({"items": found, "profiles": [], "groups": []})

    def wall_getComments(self, request):
        post_id = int(request.arg("post_id"))
        mine = [c for c in self.comments.values() if c["post_id"] == post_id]
        top = sorted((c for c in mine if not c["reply_to_comment"]), key=lambda c: c["id"], reverse=True)
        items = []
        for comment in top[:int(request.arg("count", "10"))]:
            thread = [{**c, "parents_stack": [comment["id"]]} for c in mine if c["reply_to_comment"] == comment["id"]]
            items.append({**comment, "parents_stack": [],
                          "thread": {"count": len(thread), "items": thread[:int(request.arg("thread_items_count",
                                                                                              "0"))]}})
        answer = {"count": len(mine), "current_level_count": len(top), "items": items}
        if request.arg("extended") == "1":
            answer |= self._names(c["from_id"] for c in mine)
        return ok(answer)

    def wall_createComment(self, request):
        post_id = int(request.arg("post_id"))
        if post_id not in self.walls[-GROUP_ID]:
            return error(100)
        guid = request.arg("guid")
        if guid in self.comment_guids:  # as wall.post: a repeated guid answers the comment already made
            return ok({"comment_id": self.comment_guids[guid], "parents_stack": []})
        author = -int(request.arg("from_group")) if request.arg("from_group") else 100
        comment_id = self._comment(post_id, author, request.arg("message"), int(request.arg("reply_to_comment") or 0))
        if guid:
            self.comment_guids[guid] = comment_id
        return ok({"comment_id": comment_id, "parents_stack": []})

    def wall_deleteComment(self, request):
        if self.comments.pop(int(request.arg("comment_id")), None) is None:
            return error(100)
        return ok(1)

    def groups_ban(self, request):
        if not self.is_admin:
            return error(15)
        self.banned.add(int(request.arg("owner_id")))
        return ok(1)

    def groups_unban(self, request):
        """Lifts a ban from the community's blacklist; VK answers 1 whether or not the person was on it."""
        if not self.is_admin:
            return error(15)
        if not request.arg("owner_id"):
            return error(100)
        self.banned.discard(int(request.arg("owner_id")))
        return ok(1)

    def polls_create(self, request):
        poll = {"id": next(self.ids), "owner_id": int(request.arg("owner_id")), "question": request.arg("question"),
                "answers": json.loads(request.arg("add_answers")), "votes": 0}
        self.polls[poll["id"]] = poll
        return ok(poll)

    def photos_getWallUploadServer(self, request):
        return ok({"upload_url": f"{self.url}/upload/wall", "album_id": -14, "user_id": 1})

    @route("POST", r"/upload/wall")
    def upload(self, request: Request) -> Answer:
        if b'name="photo"' not in request.body:
            return Answer(200, {"server": 1, "photo": "[]", "hash": ""})
        photo_id = next(self.ids)
        self.photos[photo_id] = "uploaded"
        return Answer(200, {"server": 1, "photo": json.dumps([{"photo": str(photo_id)}]), "hash": "h"})

    def video_save(self, request):
        if int(request.arg("group_id") or 0) != GROUP_ID:
            return error(15)
        video_id = next(self.ids)
        self.videos[video_id] = None
        return ok({"upload_url": f"{self.url}/upload/video?vid={video_id}", "video_id": video_id,
                   "owner_id": -GROUP_ID, "title": request.arg("name"), "access_key": "k"})

    @route("POST", r"/upload/video")
    def upload_video(self, request: Request) -> Answer:
        video_id = int(request.arg("vid") or 0)
        if video_id not in self.videos or "video_file" not in request.uploads:
            return Answer(200, {"error": "invalid video file"})
        self.videos[video_id] = request.uploads["video_file"][2]
        return Answer(200, {"size": len(self.videos[video_id]), "video_id": video_id, "owner_id": -GROUP_ID})

    def photos_saveWallPhoto(self, request):
        [uploaded] = json.loads(request.arg("photo"))
        return ok([{"id": int(uploaded["photo"]), "owner_id": -GROUP_ID, "album_id": -14}])

    def messages_getConversations(self, request):
        peers = {}
        for message in self.messages:
            peers[message["peer_id"]] = message
        items = [{"conversation": {"peer": {"id": peer, "type": "user"}}, "last_message": last}
                 for peer, last in peers.items()]
        answer = {"count": len(items), "items": items}
        if request.arg("extended") == "1":
            answer |= self._names(peers)
        return ok(answer)

    def messages_getHistory(self, request):
        peer = int(request.arg("peer_id"))
        items = [m for m in reversed(self.messages) if m["peer_id"] == peer]
        return ok({"count": len(items), "items": items[:int(request.arg("count", "20"))]})

    def messages_send(self, request):
        peer, random_id = int(request.arg("peer_id")), int(request.arg("random_id"))
        for message in self.messages:  # random_id dedupes a repeated send
            if message.get("random_id") == random_id and message["peer_id"] == peer:
                return ok(message["id"])
        message = {"id": next(self.ids), "date": int(time.time()), "from_id": -GROUP_ID, "peer_id": peer,
                   "text": request.arg("message"), "out": 1, "random_id": random_id}
        self.messages.append(message)
        return ok(message["id"])
