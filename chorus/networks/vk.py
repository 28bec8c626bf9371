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

from django.conf import settings
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
    OAuthClient,
    PostCounters,
    Publication,
    PublicPage,
    PublicPost,
    PushAnswer,
    RemotePost,
    TextRule,
    VideoRule,
)
from chorus.networks.oauth import authorize_url, request_token, site_url

API_URL = "https://api.vk.ru"
# VK ID (OAuth 2.1, PKCE mandatory): the user token lives an hour and comes with a refresh token bound to the
# device_id VK ID gives on the callback. Its host is "vk-id" in CHORUS_NETWORK_BASE_URLS.
VK_ID_URL, VK_ID_AUTHORIZE, VK_ID_TOKEN = "https://id.vk.com", "/authorize", "/oauth2/auth"
VK_ID_SCOPES = "wall photos video groups stats"
REFRESH_AHEAD = 60  # seconds before its expiry a user token is renewed
VERSION = "5.199"
SITE = "https://vk.com"
MOSCOW = ZoneInfo("Europe/Moscow")

# account.getAppPermissions bits a user token cannot do without here: the wall and the community methods.
USER_RIGHTS = {8192: "wall", 262144: "groups"}
PHOTOS_RIGHT = 4  # photo uploads for wall posts
VIDEO_RIGHT = 16  # video uploads (video.save)
STATS_RIGHT = 1048576  # the "stats" bit: post reach (stats.getPostReach); without it reach is simply not known
REACH_BATCH = 30  # stats.getPostReach takes at most 30 post ids

# Methods that create or change something: a transport failure after sending them is an ambiguous outcome.
STATE_CHANGING = {"wall.post", "wall.edit", "wall.delete", "wall.createComment", "wall.deleteComment",
                  "groups.ban", "groups.unban", "messages.send", "polls.create", "photos.saveWallPhoto",
                  "groups.addCallbackServer"}

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


def _attachment_string(post: dict) -> str:
    """A post's attachments as wall.edit takes them back: "<type><owner_id>_<id>[_<access_key>]", a link by URL."""
    names = []
    for attached in post.get("attachments", []):
        kind = attached.get("type", "")
        item = attached.get(kind) or {}
        if kind == "link" and item.get("url"):
            names.append(item["url"])
        elif "id" in item and "owner_id" in item:
            key = f"_{item['access_key']}" if item.get("access_key") else ""
            names.append(f"{kind}{item['owner_id']}_{item['id']}{key}")
    return ",".join(names)


def utc(timestamp: int) -> datetime:
    return datetime.fromtimestamp(int(timestamp), UTC)


def items_of(response) -> list:
    """Newer API versions wrap lists ({"items": [...]}, {"groups": [...]}); older ones answer the list itself."""
    if isinstance(response, dict):
        return response.get("items", response.get("groups", []))
    return response


def _vk_id_tokens(answer: dict, device_id: str) -> dict:
    """VK ID's token answer as the channel keeps it: the user token, its rotating refresh token, the device the
    refresh is bound to, and when the user token ends (epoch seconds)."""
    expires_at = datetime.now(UTC).timestamp() + int(answer.get("expires_in") or 3600)
    return {"user_token": answer["access_token"], "refresh_token": answer.get("refresh_token", ""),
            "device_id": device_id, "expires_at": int(expires_at)}


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
        # wall.post takes publish_date (a postponed post); declared truthfully, never used: the outbox sends at the
        # minute (docs/decisions.md, "Native deferred posting is declared but not used").
        native_scheduling=True,
        # video.save takes MP4, MOV, WebM and more, of sizes far beyond the library's; no length limit. Videos
        # and photos share the post's ten media.
        video=VideoRule(max_count=10, max_bytes=2 * 2**30, max_seconds=None,
                        formats=("video/mp4", "video/quicktime", "video/webm"), with_images=True),
        edit=True, delete=True, idempotency="key", find_published=True, polls=True, first_comment=True,
        resumable_parts=True,  # the first comment carries its own guid, and is looked for before a resend
        # wall.restoreComment brings back a deleted comment only for a while after the deletion (VK does not say
        # how long) and VK has no hiding, so only a ban is taken back (groups.unban); see docs/decisions.md.
        comments=True, messages=True, moderation=("delete", "ban"), undo=("ban",), public_pages=True, push=True,
        metrics=("views", "likes", "reposts", "comments", "reach"),
        # stats.get's demographics are of visitors and reach, not of members: no follower audience is declared.
        account_metrics=("followers", "followers_gained", "followers_lost"),
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

    # VK ID connect: the community is named first; the community key stays a pasted field (messages only).
    oauth = True
    oauth_fields = (
        connect_fields[0],
        connect_fields[2],
        ConnectField("vk_id_client_id", gettext_lazy("VK ID app ID"), required=False,
                     help=gettext_lazy("Leave empty to use the app set up for this server (CHORUS_VK_CLIENT_ID)")),
    )

    @classmethod
    def oauth_client(cls, config, credentials, redirect_uri, registered):
        client_id = config.get("vk_id_client_id") or settings.CHORUS_VK_CLIENT_ID
        if not client_id:
            raise errors.ValidationRejected(_("Type the ID of your VK ID app, or have the server's operator set "
                                              "CHORUS_VK_CLIENT_ID."))
        return OAuthClient(client_id)

    @classmethod
    def oauth_authorize(cls, client, config, redirect_uri, state, code_challenge):
        url = authorize_url(site_url("vk-id", VK_ID_URL), VK_ID_AUTHORIZE, response_type="code",
                            client_id=client.client_id, redirect_uri=redirect_uri, scope=VK_ID_SCOPES, state=state,
                            code_challenge=code_challenge, code_challenge_method="S256")
        return url, {}

    @classmethod
    def oauth_exchange(cls, client, config, stash, callback, redirect_uri, code_verifier):
        device_id = callback.get("device_id", "")
        answer = request_token("vk-id", VK_ID_URL, VK_ID_TOKEN, label="VK ID", form={
            "grant_type": "authorization_code", "code": callback.get("code", ""), "code_verifier": code_verifier,
            "client_id": client.client_id, "device_id": device_id, "redirect_uri": redirect_uri,
            "state": callback.get("state", "")})
        return _vk_id_tokens(answer, device_id), {"vk_id_client_id": client.client_id}

    def _refreshed(self, refresh_token: str) -> dict:
        device_id = self.channel.credentials.get("device_id", "")
        try:
            answer = request_token("vk-id", VK_ID_URL, VK_ID_TOKEN, label="VK ID", form={
                "grant_type": "refresh_token", "refresh_token": refresh_token, "device_id": device_id,
                "client_id": self.channel.config.get("vk_id_client_id") or settings.CHORUS_VK_CLIENT_ID})
        except errors.AuthExpired as exc:
            raise errors.AuthExpired(_("VK ID did not renew the access (%(reason)s): connect the channel again.")
                                     % {"reason": exc.reason}) from exc
        return _vk_id_tokens(answer, device_id)

    def _renew_user_token(self) -> None:
        from chorus.channels.services import rotate_credentials  # channels.services imports the registry

        rotate_credentials(self.channel, "refresh_token", self._refreshed)

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
        """A method with the user token (or the community key). A VK ID user token is renewed shortly before
        its hour is up, and once more after VK error 5 (auth failed: VK did nothing, so a resend cannot double)."""
        renewable = not community and bool(self.channel.credentials.get("refresh_token"))
        expires_at = float(self.channel.credentials.get("expires_at") or 0)
        if renewable and expires_at and expires_at < datetime.now(UTC).timestamp() + REFRESH_AHEAD:
            self._renew_user_token()
        try:
            return self._method(method, community, **params)
        except errors.AuthExpired:
            if not renewable:
                raise
            self._renew_user_token()
            return self._method(method, community, **params)

    def _method(self, method: str, community: bool = False, **params):
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
        """The user token must be a community admin's with the wall and groups rights; a missing photos, video or
        stats right, or a community key without manage, is named with the feature it stops, and posting goes on."""
        try:
            group = self._community(self.group_id)
            if not group.get("is_admin"):
                return AccountHealth(False, _("The token's user is not an admin of this community."))
            mask = self._call("account.getAppPermissions")
            missing = [name for bit, name in USER_RIGHTS.items() if not mask & bit]
            if missing:
                return AccountHealth(False, _("The user token lacks these rights: %(rights)s.")
                                     % {"rights": ", ".join(missing)})
            lacking = [feature for bit, feature in self._user_features() if not mask & bit]
            if self._token(community=True):
                rights = self._call("groups.getTokenPermissions", community=True)
                names = {p.get("name") for p in rights.get("permissions", [])}
                if "messages" not in names:
                    return AccountHealth(False, _("The community key lacks the messages right."))
                if "manage" not in names:
                    lacking.append(_("Cannot have comments and messages pushed the moment they come (Callback "
                                     "API): the community key lacks the manage right."))
        except errors.NetworkError as exc:
            return AccountHealth(False, exc.reason)
        return AccountHealth(True, " ".join(lacking), followers=group.get("members_count"))

    @staticmethod
    def _user_features() -> list[tuple[int, str]]:
        """User token rights Chorus can do without, each with what it stops."""
        return [(PHOTOS_RIGHT, _("Cannot publish photos: the user token lacks the photos right.")),
                (VIDEO_RIGHT, _("Cannot publish videos: the user token lacks the video right.")),
                (STATS_RIGHT, _("Cannot count post reach: the user token lacks the stats right."))]

    def account_counters(self) -> AccountCounters:
        """Members, and who joined and left today so far (VK's day runs on Moscow time) from the community's
        statistics, which VK gives only to an admin's user token with the stats right: refused, they stay
        missing, never zero."""
        followers = self._community(self.group_id).get("members_count")
        try:
            [today] = self._call("stats.get", group_id=self.group_id, interval="day", intervals_count=1,
                                 stats_groups="activity") or [None]
        except errors.PermissionMissing:
            today = None
        if not today:
            return AccountCounters(followers=followers)
        # VK leaves out an activity counter that is zero for the period.
        activity = today.get("activity") or {}
        day = datetime.fromtimestamp(int(today["period_from"]), MOSCOW).date()
        return AccountCounters(followers=followers, followers_gained=int(activity.get("subscribed", 0)),
                               followers_lost=int(activity.get("unsubscribed", 0)), followers_day=day)

    # Publishing ---------------------------------------------------------------------------------------------
    def _attachments(self, publication: Publication) -> str | None:
        attached = [(self._upload_video if facts.is_video else self._upload_photo)(Path(path))
                    for path, facts in publication.files]
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

    def _upload_video(self, path: Path) -> str:
        """video.save makes the community's video entry and names an upload URL; the file goes there, and the
        post attaches it as video<owner>_<id> (VK processes it meanwhile, the post shows it when ready)."""
        entry = self._call("video.save", group_id=self.group_id, name=path.name, wallpost=0)
        with self._client() as client, path.open("rb") as video:
            response = http.call(client, "POST", entry["upload_url"], changes_state=False,
                                 files={"video_file": (path.name, video)})
        uploaded = http.json_of(response)
        if "error" in uploaded or not uploaded.get("video_id"):
            raise errors.ContentRejected(_("VK did not accept the video %(name)s: %(said)s")
                                         % {"name": path.name, "said": str(uploaded.get("error", ""))[:200]})
        return f"video{entry['owner_id']}_{entry['video_id']}"

    def publish(self, publication: Publication, idempotency_key: str, already: tuple[str, ...] = ()) -> RemotePost:
        """The post, then its first comment from the community. `guid` makes VK answer a repeated wall.post or
        wall.createComment with what it already made: the post under the job's key, the comment under "<key>:1".
        A comment that fails after the post went out is reported (errors.PartialPublication); a later try sends
        only the comment, after looking for it under the post."""
        made = list(already)
        total = 1 + bool(publication.first_comment)
        try:
            if not made:
                posted = self._call("wall.post", owner_id=self.owner_id, from_group=1, message=publication.text,
                                    attachments=self._attachments(publication), guid=idempotency_key)
                made.append(f"{self.owner_id}_{posted['post_id']}")
            if len(made) < total:
                # VK does not say how long it keeps a guid: going on after a cut-off try, look before sending.
                found = self._comment_of_ours(made[0], publication.first_comment) if already else ""
                made.append(found or str(self._call(
                    "wall.createComment", owner_id=self.owner_id, post_id=self._post_id(made[0]),
                    from_group=self.group_id, message=publication.first_comment,
                    guid=f"{idempotency_key}:1")["comment_id"]))
        except errors.NetworkError as exc:
            if not made:
                raise
            raise errors.PartialPublication(self._remote(made, idempotency_key), made, total, exc) from exc
        return self._remote(made, idempotency_key)

    def _remote(self, made: list[str], idempotency_key: str) -> RemotePost:
        return RemotePost(made[0], self._post_url(self.owner_id, self._post_id(made[0])), datetime.now(UTC),
                          idempotency_key, tuple(made))

    def _comment_of_ours(self, remote_id: str, text: str) -> str:
        """The community's comment with this text under the post, if VK has it ("" if not)."""
        page = self._call("wall.getComments", owner_id=self.owner_id, post_id=self._post_id(remote_id), count=100,
                          sort="asc")
        for comment in page.get("items", []):
            if comment.get("from_id") == self.owner_id and normalised(comment.get("text", "")) == normalised(text):
                return str(comment["id"])
        return ""

    def find_published(self, idempotency_key: str, text: str, since: datetime) -> RemotePost | None:
        # wall.get does not return the guid, so the lost post is found by its text among the newest ones.
        wanted = normalised(text)
        for post in items_of(self._call("wall.get", owner_id=self.owner_id, count=RECENT_POSTS * 2)):
            if utc(post["date"]) >= since - timedelta(minutes=1) and normalised(post.get("text", "")) == wanted:
                return RemotePost(f"{self.owner_id}_{post['id']}", self._post_url(self.owner_id, post["id"]),
                                  utc(post["date"]), idempotency_key)
        return None

    def edit(self, remote_id: str, publication: Publication) -> None:
        """Only the text. wall.edit replaces the attachments with what it is given, so the post's own ones are read
        and given back as they are: a poll created again would lose its votes, a photo uploaded again its likes."""
        found = items_of(self._call("wall.getById", posts=remote_id))
        if not found:
            raise errors.RemoteNotFound(_("VK no longer has the post %(id)s.") % {"id": remote_id})
        self._call("wall.edit", owner_id=self.owner_id, post_id=self._post_id(remote_id),
                   message=publication.text, attachments=_attachment_string(found[0]) or None)

    def delete(self, remote_id: str, parts: tuple[str, ...] = ()) -> None:
        # The post's comments, the first comment among them, go with it on VK.
        self._call("wall.delete", owner_id=self.owner_id, post_id=self._post_id(remote_id))

    def fetch_counters(self, remote_ids: list[str]) -> list[PostCounters]:
        if not remote_ids:
            return []
        posts = items_of(self._call("wall.getById", posts=",".join(remote_ids)))
        found = {f"{p['owner_id']}_{p['id']}": p for p in posts}
        reach = self._reach([r for r in remote_ids if r in found and found[r]["owner_id"] == self.owner_id])
        return [replace(counters_of(remote_id, found[remote_id]), reach=reach.get(remote_id))
                for remote_id in remote_ids if remote_id in found]

    def _reach(self, remote_ids: list[str]) -> dict[str, int]:
        """Each post's total reach (reach_total of stats.getPostReach), which VK gives only to a community admin's
        user token with the stats right. Refused (errors 7, 15), reach stays unknown and the other counters
        are kept: a missing number, never a zero."""
        reach = {}
        for start in range(0, len(remote_ids), REACH_BATCH):
            batch = [self._post_id(remote_id) for remote_id in remote_ids[start:start + REACH_BATCH]]
            try:
                stats = self._call("stats.getPostReach", owner_id=self.owner_id, post_ids=",".join(map(str, batch)))
            except errors.PermissionMissing:
                return reach
            for post_id, stat in zip(batch, stats, strict=False):
                if stat.get("reach_total") is not None:
                    reach[f"{self.owner_id}_{stat.get('post_id', post_id)}"] = int(stat["reach_total"])
        return reach

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

    def undo(self, conversation: Conversation, action: str) -> None:
        if action != "ban":
            raise errors.ValidationRejected(_("VK cannot take back a %(action)s.") % {"action": action})
        self._call("groups.unban", group_id=self.group_id, owner_id=conversation.author_id)

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
