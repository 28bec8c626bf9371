"""NET-VK: a VKontakte community wall, comments and community messages over the VK API (form POST, JSON).

Two keys: the user token of a community admin (wall.post/edit/delete and photo uploads accept only a user token)
and, optionally, the community key (community messages). VK answers errors with HTTP 200 and {"error": {...}}.
"""

import hmac
import json
import unicodedata
import zlib
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.networks import errors, http
from chorus.networks.base import (
    AccountCounters,
    AccountHealth,
    Capabilities,
    ConnectField,
    Connector,
    Conversation,
    ConversationPage,
    MediaRule,
    PostCounters,
    Publication,
    PublicPage,
    PublicPost,
    PushAnswer,
    RemotePost,
    TextRule,
)

API_URL = "https://api.vk.ru"
VERSION = "5.199"
SITE = "https://vk.com"
MOSCOW = ZoneInfo("Europe/Moscow")

# account.getAppPermissions bits a user token needs here: the wall, photo uploads, community methods.
USER_RIGHTS = {8192: "wall", 4: "photos", 262144: "groups"}

# Methods that create or change something: a transport failure after sending them is an ambiguous outcome.
STATE_CHANGING = {"wall.post", "wall.edit", "wall.delete", "wall.createComment", "wall.deleteComment",
                  "groups.ban", "messages.send", "polls.create", "photos.saveWallPhoto", "groups.addCallbackServer"}

PUSHED_EVENTS = ("wall_reply_new", "wall_reply_edit", "wall_reply_delete", "wall_reply_restore", "message_new")
RECENT_POSTS = 10  # how many of the newest wall posts are scanned for comments and for a lost publish


def next_moscow_midnight(now: datetime) -> datetime:
    # VK's daily method limits (error 29) lift the next day; VK lives on Moscow time.
    tomorrow = now.astimezone(MOSCOW).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(), MOSCOW).astimezone(UTC)


def vk_error(error: dict, changes_state: bool) -> errors.NetworkError:
    """VK's error codes (VKCOM/vk-api-schema errors.json) in the shared set the scheduler understands."""
    code, message = error.get("error_code"), str(error.get("error_msg", ""))
    reason = f"VK error {code}: {message}"
    now = datetime.now(UTC)
    if code == 6:  # too many requests per second
        return errors.RateLimited(reason, now + timedelta(seconds=1), "channel")
    if code == 9:  # flood control: the same action repeated too often
        return errors.RateLimited(reason, now + timedelta(hours=1), "channel")
    if code == 29:  # the method's daily limit for the application
        return errors.RateLimited(reason, next_moscow_midnight(now), "app")
    if code == 14:
        return errors.CaptchaRequired(reason)
    if code in (5, 17, 28):  # auth failed, validation required, application auth failed: reconnect
        return errors.AuthExpired(reason)
    if code in (7, 15, 27, 203, 210):  # no permission, access denied, community key where a user key is needed
        return errors.PermissionMissing(reason)
    if code == 214:
        return errors.ContentRejected(reason)
    if code == 104:
        return errors.RemoteNotFound(reason)
    if code == 10:
        return errors.Transient(reason)
    if code == 1 and changes_state:  # "unknown error": VK may or may not have done it
        return errors.AmbiguousOutcome(reason)
    if code == 1:
        return errors.Transient(reason)
    return errors.ValidationRejected(reason)  # 100 and the other parameter errors


def normalised(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def utc(timestamp: int) -> datetime:
    return datetime.fromtimestamp(int(timestamp), UTC)


def items_of(response) -> list:
    """Newer API versions wrap lists ({"items": [...]}, {"groups": [...]}); older ones answer the list itself."""
    if isinstance(response, dict):
        return response.get("items", response.get("groups", []))
    return response


def counters_of(remote_id: str, post: dict) -> PostCounters:
    def count(name):
        value = post.get(name)
        return value.get("count") if isinstance(value, dict) else None

    return PostCounters(remote_id, views=count("views"), likes=count("likes"), reposts=count("reposts"),
                        comments=count("comments"))


class VkConnector(Connector):
    network = "vk"
    label = "VKontakte"
    capabilities = Capabilities(
        # VK publishes no limit; ~16k is commonly cited (networks.md §2.2). The "Show more" cut is not documented
        # either: 280 characters matches what the feed shows of plain text.
        text=TextRule(limit=16384, unit="codepoint", fold_at=280),
        images=MediaRule(max_count=10, max_bytes=50 * 2**20, formats=("image/jpeg", "image/png", "image/gif"),
                         min_aspect=1 / 20, max_aspect=20),
        edit=True, delete=True, idempotency="key", find_published=True, polls=True,
        comments=True, messages=True, moderation=("delete", "ban"), public_pages=True, push=True,
        metrics=("views", "likes", "reposts", "comments"), account_metrics=("followers",),
    )
    connect_fields = (
        ConnectField("group_id", gettext_lazy("Community ID"),
                     help=gettext_lazy("The number from the community's address or settings, without the minus.")),
        ConnectField("user_token", gettext_lazy("User access token"), secret=True,
                     help=gettext_lazy("A token of a community admin with the wall, photos and groups rights. "
                                       "Posting, editing and deleting posts, images, comments, replies, bans, "
                                       "statistics and competitor pages use it: VK accepts only a user token "
                                       "for wall posts.")),
        ConnectField("community_token", gettext_lazy("Community access key (optional)"), secret=True, required=False,
                     help=gettext_lazy("From the community's settings → API usage, with the messages right. "
                                       "Needed only for community messages (and the Callback API); "
                                       "without it, messages are not read or answered.")),
    )

    # Plumbing ---------------------------------------------------------------------------------------------
    @property
    def group_id(self) -> int:
        return int(str(self.channel.config.get("group_id", "")).strip().lstrip("-"))

    @property
    def owner_id(self) -> int:
        return -self.group_id

    def _token(self, community: bool = False) -> str:
        return self.channel.credentials.get("community_token" if community else "user_token", "")

    def _client(self):
        return http.client_for(self.network, API_URL, base_url=self.channel.config.get("api_base_url", ""))

    def _call(self, method: str, community: bool = False, **params):
        changes_state = method in STATE_CHANGING
        form = {k: v for k, v in params.items() if v is not None} | {"v": VERSION}
        with self._client() as client:
            response = http.call(client, "POST", f"/method/{method}", changes_state=changes_state, data=form,
                                 headers={"Authorization": f"Bearer {self._token(community)}"})
        if response.status_code >= 500:
            raise errors.Transient(f"VK answered HTTP {response.status_code}")
        body = http.json_of(response)
        if "error" in body:
            raise vk_error(body["error"], changes_state)
        return body["response"]

    def _post_url(self, owner_id: int, post_id: int) -> str:
        return f"{SITE}/wall{owner_id}_{post_id}"

    def _post_id(self, remote_id: str) -> int:
        return int(remote_id.rsplit("_", 1)[-1])

    # Connecting ---------------------------------------------------------------------------------------------
    def _community(self, handle: str | int, community: bool = False) -> dict:
        [group] = items_of(self._call("groups.getById", community, group_id=handle,
                                      fields="members_count,screen_name"))
        return group

    def check_health(self) -> AccountHealth:
        try:
            group = self._community(self.group_id)
            if not group.get("is_admin"):
                return AccountHealth(False, _("The token's user is not an admin of this community."))
            mask = self._call("account.getAppPermissions")
            missing = [name for bit, name in USER_RIGHTS.items() if not mask & bit]
            if missing:
                return AccountHealth(False, _("The user token lacks these rights: %(rights)s.")
                                     % {"rights": ", ".join(missing)})
            if self._token(community=True):
                rights = self._call("groups.getTokenPermissions", community=True)
                if "messages" not in {p.get("name") for p in rights.get("permissions", [])}:
                    return AccountHealth(False, _("The community key lacks the messages right."))
        except errors.NetworkError as exc:
            return AccountHealth(False, exc.reason)
        return AccountHealth(True, followers=group.get("members_count"))

    def account_counters(self) -> AccountCounters:
        return AccountCounters(followers=self._community(self.group_id).get("members_count"))

    # Publishing ---------------------------------------------------------------------------------------------
    def _attachments(self, publication: Publication) -> str | None:
        attached = [self._upload_photo(Path(path)) for path in publication.media_paths]
        if publication.poll:
            poll = publication.poll
            end = int((datetime.now(UTC) + timedelta(seconds=poll.closes_in_seconds)).timestamp()) \
                if poll.closes_in_seconds else None
            created = self._call("polls.create", question=poll.question, add_answers=json.dumps(poll.options),
                                 is_multiple=int(poll.multiple), end_date=end, owner_id=self.owner_id)
            attached.append(f"poll{created['owner_id']}_{created['id']}")
        return ",".join(attached) or None

    def _upload_photo(self, path: Path) -> str:
        server = self._call("photos.getWallUploadServer", group_id=self.group_id)
        with self._client() as client, path.open("rb") as image:
            # The upload URL is absolute (another VK host); a failure here created nothing on the wall.
            response = http.call(client, "POST", server["upload_url"], changes_state=False,
                                 files={"photo": (path.name, image)})
        uploaded = http.json_of(response)
        if not uploaded.get("photo") or uploaded["photo"] == "[]":
            raise errors.ValidationRejected(_("VK did not accept the image %(name)s.") % {"name": path.name})
        [photo] = self._call("photos.saveWallPhoto", group_id=self.group_id, server=uploaded["server"],
                             photo=uploaded["photo"], hash=uploaded["hash"])
        return f"photo{photo['owner_id']}_{photo['id']}"

    def publish(self, publication: Publication, idempotency_key: str) -> RemotePost:
        # `guid` makes VK answer a repeated wall.post with the post it already made.
        posted = self._call("wall.post", owner_id=self.owner_id, from_group=1, message=publication.text,
                            attachments=self._attachments(publication), guid=idempotency_key)
        post_id = posted["post_id"]
        return RemotePost(f"{self.owner_id}_{post_id}", self._post_url(self.owner_id, post_id),
                          datetime.now(UTC), idempotency_key)

    def find_published(self, idempotency_key: str, text: str, since: datetime) -> RemotePost | None:
        # wall.get does not return the guid, so the lost post is found by its text among the newest ones.
        wanted = normalised(text)
        for post in items_of(self._call("wall.get", owner_id=self.owner_id, count=RECENT_POSTS * 2)):
            if utc(post["date"]) >= since - timedelta(minutes=1) and normalised(post.get("text", "")) == wanted:
                return RemotePost(f"{self.owner_id}_{post['id']}", self._post_url(self.owner_id, post["id"]),
                                  utc(post["date"]), idempotency_key)
        return None

    def edit(self, remote_id: str, publication: Publication) -> None:
        # wall.edit replaces the attachments, so the post's images are sent again with the new text.
        self._call("wall.edit", owner_id=self.owner_id, post_id=self._post_id(remote_id),
                   message=publication.text, attachments=self._attachments(publication))

    def delete(self, remote_id: str) -> None:
        self._call("wall.delete", owner_id=self.owner_id, post_id=self._post_id(remote_id))

    def fetch_counters(self, remote_ids: list[str]) -> list[PostCounters]:
        if not remote_ids:
            return []
        posts = items_of(self._call("wall.getById", posts=",".join(remote_ids)))
        found = {f"{p['owner_id']}_{p['id']}": p for p in posts}
        return [counters_of(remote_id, found[remote_id]) for remote_id in remote_ids if remote_id in found]

    # Comments and messages ----------------------------------------------------------------------------------
    def conversations(self, cursor: str = "") -> ConversationPage:
        """Cursor: the newest wall comment id and community message id seen ("comment_id:message_id")."""
        last_comment, _sep, last_message = (cursor or "0:0").partition(":")
        comments = self._new_comments(int(last_comment or 0))
        messages = self._new_messages(int(last_message or 0)) if self._token(community=True) else []
        newest_comment = max([int(last_comment or 0), *(int(c.remote_id) for c in comments)])
        newest_message = max([int(last_message or 0), *(int(m.remote_id) for m in messages)])
        items = sorted(comments + messages, key=lambda item: item.created_at)
        return ConversationPage(items, f"{newest_comment}:{newest_message}")

    def _new_comments(self, after_id: int) -> list[Conversation]:
        found = []
        for post in items_of(self._call("wall.get", owner_id=self.owner_id, count=RECENT_POSTS)):
            if not post.get("comments", {}).get("count"):
                continue
            page = self._call("wall.getComments", owner_id=self.owner_id, post_id=post["id"], count=100,
                              sort="desc", extended=1, thread_items_count=10)
            names = self._names(page)
            post_remote_id = f"{self.owner_id}_{post['id']}"
            for comment in page.get("items", []):
                for item in [comment, *comment.get("thread", {}).get("items", [])]:
                    if item["id"] > after_id and item.get("from_id") != self.owner_id and not item.get("deleted"):
                        found.append(self._comment(item, names, post_remote_id))
        return found

    @staticmethod
    def _names(page: dict) -> dict[int, str]:
        people = {p["id"]: f"{p.get('first_name', '')} {p.get('last_name', '')}".strip()
                  for p in page.get("profiles", [])}
        return people | {-g["id"]: g.get("name", "") for g in page.get("groups", [])}

    @staticmethod
    def _comment(item: dict, names: dict[int, str], post_remote_id: str) -> Conversation:
        parent = item.get("reply_to_comment") or (item.get("parents_stack") or [""])[-1]
        return Conversation("comment", str(item["id"]), str(item["from_id"]), names.get(item["from_id"], ""),
                            item.get("text", ""), utc(item["date"]), post_remote_id, str(parent or ""))

    def _new_messages(self, after_id: int) -> list[Conversation]:
        found = []
        listing = self._call("messages.getConversations", community=True, group_id=self.group_id, count=50,
                             extended=1)
        names = self._names(listing)
        for entry in listing.get("items", []):
            if entry.get("last_message", {}).get("id", 0) <= after_id:
                continue  # nothing new in this conversation
            peer_id = entry["conversation"]["peer"]["id"]
            history = self._call("messages.getHistory", community=True, group_id=self.group_id, peer_id=peer_id,
                                 count=50)
            for message in history.get("items", []):
                if message["id"] > after_id and message.get("from_id") != self.owner_id:
                    found.append(Conversation("message", str(message["id"]), str(message["from_id"]),
                                              names.get(message["from_id"], ""), message.get("text", ""),
                                              utc(message["date"])))
        return found

    # Callback API: VK calls Chorus with each new comment and message ----------------------------------------
    def start_push(self, url: str, secret: str) -> dict:
        code = self._call("groups.getCallbackConfirmationCode", community=True, group_id=self.group_id)["code"]
        server = self._call("groups.addCallbackServer", community=True, group_id=self.group_id, url=url,
                            title="Chorus", secret_key=secret)["server_id"]
        self._call("groups.setCallbackSettings", community=True, group_id=self.group_id, server_id=server,
                   api_version=VERSION, **dict.fromkeys(PUSHED_EVENTS, 1))
        return {"push_confirmation": code, "push_server_id": server}

    def receive_push(self, body: dict, headers) -> PushAnswer:
        expected = self.channel.credentials.get("push_secret", "")
        if not expected or not hmac.compare_digest(expected, str(body.get("secret", ""))) or \
                str(body.get("group_id", "")) != str(self.group_id):
            raise errors.PushRefused("the secret key or the community does not match")
        event, item = body.get("type", ""), body.get("object") or {}
        if event == "confirmation":
            return PushAnswer([], body=self.channel.config.get("push_confirmation", ""))
        if event in ("wall_reply_new", "wall_reply_edit", "wall_reply_restore"):
            comment = self._comment(item, {}, f"{item.get('owner_id', self.owner_id)}_{item.get('post_id', '')}")
            edited = datetime.now(UTC) if event == "wall_reply_edit" else None
            return PushAnswer([replace(comment, edited_at=edited)])
        if event == "wall_reply_delete":
            gone = Conversation("comment", str(item["id"]), "", "", "", datetime.now(UTC),
                                f"{item.get('owner_id', self.owner_id)}_{item.get('post_id', '')}", deleted=True)
            return PushAnswer([gone])
        if event == "message_new":
            message = item.get("message") or item
            return PushAnswer([Conversation("message", str(message["id"]), str(message["from_id"]), "",
                                            message.get("text", ""), utc(message["date"]))])
        return PushAnswer([])

    def reply(self, conversation: Conversation, text: str, idempotency_key: str) -> str:
        if conversation.kind == "message":
            # random_id is VK's dedupe key for messages: a 31-bit number, so derived from our key.
            sent = self._call("messages.send", community=True, peer_id=conversation.author_id, message=text,
                              random_id=zlib.crc32(idempotency_key.encode()) & 0x7FFFFFFF)
            return str(sent)
        answer = self._call("wall.createComment", owner_id=self.owner_id,
                            post_id=self._post_id(conversation.post_remote_id), from_group=self.group_id,
                            message=text, reply_to_comment=conversation.remote_id, guid=idempotency_key)
        return str(answer["comment_id"])

    def moderate(self, conversation: Conversation, action: str) -> None:
        if action == "ban":
            self._call("groups.ban", group_id=self.group_id, owner_id=conversation.author_id,
                       comment_visible=1, reason=0)
        elif action == "delete" and conversation.kind == "comment":
            self._call("wall.deleteComment", owner_id=self.owner_id, comment_id=conversation.remote_id)
        else:
            raise errors.ValidationRejected(_("VK cannot %(action)s a %(kind)s.")
                                            % {"action": action, "kind": conversation.kind})

    # Competitors --------------------------------------------------------------------------------------------
    def public_page(self, handle: str, limit: int = 20) -> PublicPage:
        group = self._community(handle.strip().removeprefix(f"{SITE}/").lstrip("@"))
        owner_id = -group["id"]
        posts = [PublicPost(f"{owner_id}_{p['id']}", self._post_url(owner_id, p["id"]), p.get("text", ""),
                            utc(p["date"]), counters_of(f"{owner_id}_{p['id']}", p))
                 for p in items_of(self._call("wall.get", owner_id=owner_id, count=limit))]
        screen_name = group.get("screen_name") or f"club{group['id']}"
        return PublicPage(screen_name, group.get("name", ""), f"{SITE}/{screen_name}", group.get("members_count"),
                          posts)
