"""NET-OK: Odnoklassniki (OK.ru) groups through the REST API at api.ok.ru/fb.do, every call signed.

OK has no idempotency key, so an interrupted publish is read back from the group's recent topics and matched by
text. The inbox reads the comments under the group's recent topics (discussions.getComments on each GROUP_TOPIC
discussion), answers them (discussions.comment) and deletes them (discussions.deleteComment). OK's public docs
describe the reading well and the writing thinly: see docs/decisions.md. OK has no hiding of a comment, the group
blacklist is not in the public API, and group messages go through OK's separate bot API, so none is declared.
"""

import hashlib
import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

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
    RemotePost,
    TextRule,
    VideoRule,
)
from chorus.networks.oauth import authorize_url, request_token, site_url

API_URL = "https://api.ok.ru"
# OAuth (apiok.ru/ext/oauth/server): the sign-in page on connect.ok.ru ("ok-connect" in CHORUS_NETWORK_BASE_URLS),
# the code exchanged at api.ok.ru with the application's secret key. OK documents no PKCE, so none is sent.
# LONG_ACCESS_TOKEN makes the token live 30 days from its last use instead of 30 minutes.
CONNECT_URL, AUTHORIZE_PATH, TOKEN_PATH = "https://connect.ok.ru", "/oauth/authorize", "/oauth/token.do"
OAUTH_SCOPES = "VALUABLE_ACCESS;GROUP_CONTENT;PHOTO_CONTENT;LONG_ACCESS_TOKEN"
SITE_URL = "https://ok.ru"
REQUIRED_RIGHTS, PHOTO_RIGHT = ("VALUABLE_ACCESS", "GROUP_CONTENT"), "PHOTO_CONTENT"  # users.hasAppPermission names
STATE_CHANGING = frozenset({"mediatopic.post", "mediatopic.edit", "mediatopic.deleteTopic", "discussions.comment",
                            "discussions.deleteComment"})
TOPIC_FIELDS = ("media_topic.ID,media_topic.CREATED_MS,media_topic.MEDIA,media_topic.LIKE_SUMMARY,"
                "media_topic.RESHARE_SUMMARY,media_topic.DISCUSSION_SUMMARY,media_topic.VIEWS_COUNT")
CLOCK_SKEW = timedelta(minutes=5)  # OK's clock against ours when matching a topic to a send
URL_PATTERN = re.compile(r"https?://\S+")
MOSCOW = timezone(timedelta(hours=3))  # discussions.getComments dates are Moscow time, "yyyy-MM-dd HH:mm:ss"
TOPIC = "GROUP_TOPIC"  # the discussion type of a group's mediatopic
RECENT_TOPICS = 20  # how many of the newest topics are scanned for comments
COMMENT_FIELDS = ("comment.ID,comment.AUTHOR_ID,comment.AUTHOR_NAME,comment.AUTHOR_REF,comment.DATE,comment.TEXT,"
                  "comment.REPLY_TO_COMMENT_ID")

# OK's error_code → the shared errors (apiok.ru/dev/errors; the list is mirrored by every OK client).
AUTH_CODES = {101, 102, 103, 104, 105}  # PARAM_API_KEY, SESSION_EXPIRED, SESSION_KEY, SIGNATURE, RESIGNATURE
SESSION_EXPIRED = 102  # the half-hour access token ran out: the 30-day refresh token renews it
PERMISSION_CODES = {10, 24, 50, 200, 210, 453, 456, 457, 458}  # PERMISSION_DENIED, NOT_OWNER, NOT_ADMIN, ...
VALIDATION_CODES = {3, 4, 100, 160, 600, 601, 602, 603, 604, 607, 704}  # PARAM, GROUP_ID, TEXT_LIMIT, ...
CONTENT_CODES = {454, 511}  # CENSOR_MATCH, IDS_BLOCKED (anti-spam)
# Blocked for a while: FLOOD_BLOCKED and ACTION_BLOCKED hit this account, IP_BLOCKED and LIMIT_REACHED the app.
RATE_LIMITS = {8: ("channel", 600), 7: ("channel", 3600), 9: ("app", 3600), 11: ("app", 3600)}
REFUSED_CODES = {2, 30}  # SERVICE (temporarily unavailable), NETWORK (body refused)
UNKNOWN_CODES = {1, 31, 9999}  # UNKNOWN, NETWORK_TIMEOUT, SYSTEM: a write may or may not have happened


class SessionExpired(errors.AuthExpired):
    """OK's 102: the access token ran out; where the channel holds a refresh token, it renews the session."""


def session_secret(access_token: str, application_secret_key: str) -> str:
    """The secret an OAuth token signs with: md5(access_token + application_secret_key), the value the
    application's settings page shows as session_secret_key."""
    return md5(access_token + application_secret_key)


def signature(params: dict[str, str], secret: str) -> str:
    """OK's request signature: md5 of the "key=value" pairs sorted by key, without access_token and sig,
    concatenated with nothing between them, then the session secret. Lowercase hex over UTF-8."""
    signed = "".join(f"{key}={params[key]}" for key in sorted(params) if key not in {"sig", "access_token"})
    return md5(signed + secret)


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def normalised(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def moment(milliseconds) -> datetime:
    return datetime.fromtimestamp(int(milliseconds) / 1000, UTC)


def topic_text(topic: dict) -> str:
    return "\n".join(block.get("text", "") for block in topic.get("media", []) if block.get("type") == "text")


def comment_moment(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=MOSCOW).astimezone(UTC)


def comment_cursor(cursor: str) -> tuple[str, set[str]]:
    """Our cursor: the newest comment date seen (OK's own text, which sorts as time) and the ids seen at that
    second, since OK dates have no finer grain: "2026-12-07 05:53:17|id1,id2"."""
    newest, _bar, ids = cursor.partition("|")
    return newest, set(filter(None, ids.split(",")))


def topic_counters(topic: dict) -> PostCounters:
    return PostCounters(str(topic["id"]),
                        views=topic.get("views_count"),
                        likes=(topic.get("like_summary") or {}).get("count"),
                        reposts=(topic.get("reshare_summary") or {}).get("count"),
                        comments=(topic.get("discussion_summary") or {}).get("comments_count"))


def attachment(publication: Publication, photo_tokens: list[str] = (), video_ids: list[str] = ()) -> str:
    """The mediatopic as OK takes it: a text block, the uploaded photos and videos (a "movie" block), a link card
    for the first URL, a poll."""
    media: list[dict] = [{"type": "text", "text": publication.text}]
    if photo_tokens:
        media.append({"type": "photo", "list": [{"id": token} for token in photo_tokens]})
    if video_ids:
        media.append({"type": "movie", "list": [{"id": video_id} for video_id in video_ids]})
    link = URL_PATTERN.search(publication.text)
    if link:
        media.append({"type": "link", "url": link.group().rstrip(".,;:!?)»\"'")})
    if publication.poll:
        poll = publication.poll
        block = {"type": "poll", "question": poll.question, "answers": [{"text": option} for option in poll.options]}
        if not poll.multiple:
            block["options"] = "SingleChoice"
        media.append(block)
    return json.dumps({"media": media}, ensure_ascii=False)


class OkConnector(Connector):
    network = "ok"
    label = "Odnoklassniki"
    # OK documents no text limit; it answers MEDIA_TOPIC_TEXT_LIMIT (601) past it. 16,000 characters is the
    # figure integrators use; a longer text is refused definitely, never half-posted.
    capabilities = Capabilities(
        text=TextRule(limit=16000, unit="codepoint"),
        # Not documented either; ten photos of 10 MB is what Chorus holds itself to.
        images=MediaRule(max_count=10, max_bytes=10 * 2**20),
        # Nor for video (video.getUploadUrl, which needs the VIDEO_CONTENT permission): one MP4 or MOV beside the
        # photos, of up to 2 GB, is what Chorus holds itself to.
        video=VideoRule(max_count=1, max_bytes=2 * 2**30, max_seconds=None, formats=("video/mp4", "video/quicktime"),
                        with_images=True),
        edit=True, delete=True, idempotency="none", find_published=True, polls=True,
        public_pages=True, comments=True, moderation=("delete",),
        metrics=("views", "likes", "reposts", "comments"),
        account_metrics=("followers",),
    )
    connect_fields = (
        ConnectField("group_id", gettext_lazy("Group ID"),
                     help=gettext_lazy("The number in the group's address: ok.ru/group/<ID>.")),
        ConnectField("application_id", gettext_lazy("Application ID"), required=False),
        ConnectField("application_key", gettext_lazy("Application public key"),
                     help=gettext_lazy("From the e-mail OK sent when the application was registered.")),
        ConnectField("application_secret_key", gettext_lazy("Application secret key"), secret=True),
        ConnectField("access_token", gettext_lazy("Access token"), secret=True,
                     help=gettext_lazy("A token with GROUP_CONTENT and VALUABLE_ACCESS rights (LONG_ACCESS_TOKEN "
                                       "keeps it alive for 30 days from its last use).")),
    )

    # OAuth with the server's application (CHORUS_OK_APPLICATION_*): the person names the group and signs in.
    oauth = True
    oauth_fields = (connect_fields[0],)

    @classmethod
    def oauth_client(cls, config, credentials, redirect_uri, registered):
        if not (settings.CHORUS_OK_APPLICATION_ID and settings.CHORUS_OK_APPLICATION_KEY
                and settings.CHORUS_OK_APPLICATION_SECRET_KEY):
            raise errors.ValidationRejected(_("Signing in with OK needs the server's OK application: its operator "
                                              "sets CHORUS_OK_APPLICATION_ID, CHORUS_OK_APPLICATION_KEY and "
                                              "CHORUS_OK_APPLICATION_SECRET_KEY."))
        return OAuthClient(settings.CHORUS_OK_APPLICATION_ID, settings.CHORUS_OK_APPLICATION_SECRET_KEY)

    @classmethod
    def oauth_authorize(cls, client, config, redirect_uri, state, code_challenge):
        url = authorize_url(site_url("ok-connect", CONNECT_URL), AUTHORIZE_PATH, client_id=client.client_id,
                            scope=OAUTH_SCOPES, response_type="code", redirect_uri=redirect_uri, layout="w",
                            state=state)
        return url, {}

    @classmethod
    def oauth_exchange(cls, client, config, stash, callback, redirect_uri, code_verifier):
        # OK takes the grant in the query string of the POST.
        answer = request_token(cls.network, API_URL, TOKEN_PATH, form={}, label=cls.label, params={
            "code": callback.get("code", ""), "client_id": client.client_id, "client_secret": client.client_secret,
            "redirect_uri": redirect_uri, "grant_type": "authorization_code"})
        credentials = {"access_token": answer["access_token"], "application_secret_key": client.client_secret}
        if answer.get("refresh_token"):
            credentials["refresh_token"] = answer["refresh_token"]
        return credentials, {"application_id": client.client_id,
                             "application_key": settings.CHORUS_OK_APPLICATION_KEY}

    def __init__(self, channel):
        super().__init__(channel)
        self.client = http.client_for(self.network, API_URL, base_url=channel.config.get("api_base_url", ""))

    @property
    def group_id(self) -> str:
        return str(self.channel.config.get("group_id", "")).strip()

    def topic_url(self, topic_id: str, group_id: str = "") -> str:
        return f"{SITE_URL}/group/{group_id or self.group_id}/topic/{topic_id}"

    # One signed call -------------------------------------------------------------------------------------------
    def call(self, method: str, **params):
        """One signed call; an expired session is renewed once with the refresh token and the call made again (OK
        refuses an expired session before doing anything, so a write is not made twice)."""
        try:
            return self._signed_call(method, **params)
        except SessionExpired:
            if not self.channel.credentials.get("refresh_token"):
                raise
        self._renew_session()
        return self._signed_call(method, **params)

    def _renew_session(self) -> None:
        from chorus.channels.services import rotate_credentials  # channels.services imports the registry

        # OK keeps the refresh token and issues a new access token: another worker's renewal shows as a new one.
        rotate_credentials(self.channel, "access_token", lambda _old: self._renewed())

    def _renewed(self) -> dict:
        credentials = self.channel.credentials
        try:
            answer = request_token(self.network, API_URL, TOKEN_PATH, form={}, label=self.label,
                                   base_url=self.channel.config.get("api_base_url", ""), params={
                                       "refresh_token": credentials["refresh_token"], "grant_type": "refresh_token",
                                       "client_id": self.channel.config.get("application_id", ""),
                                       "client_secret": credentials.get("application_secret_key", "")})
        except errors.AuthExpired as exc:
            raise errors.AuthExpired(_("OK did not renew the session (%(reason)s): connect the channel again.")
                                     % {"reason": exc.reason}) from exc
        return {"access_token": answer["access_token"]}

    def _signed_call(self, method: str, **params):
        credentials = self.channel.credentials
        token = credentials.get("access_token", "")
        params = {"application_key": self.channel.config.get("application_key", ""), "format": "json",
                  "method": method, **{k: str(v) for k, v in params.items()}}
        params["sig"] = signature(params, session_secret(token, credentials.get("application_secret_key", "")))
        params["access_token"] = token
        changes_state = method in STATE_CHANGING
        if changes_state:
            response = http.call(self.client, "POST", "/fb.do", changes_state=True, data=params)
        else:
            response = http.call(self.client, "GET", "/fb.do", changes_state=False, params=params)
        try:
            answer = http.json_of(response)
        except errors.Transient as exc:
            if changes_state:  # a proxy's error page after the request went in says nothing about the post
                raise errors.AmbiguousOutcome(exc.reason) from exc
            raise
        if isinstance(answer, dict) and "error_code" in answer:
            raise self.error(answer, response, changes_state)
        return answer

    @staticmethod
    def error(answer: dict, response, changes_state: bool) -> errors.NetworkError:
        code = int(answer.get("error_code") or 0)
        reason = f"OK error {code}: {answer.get('error_msg', '')}"[:300]
        if code in RATE_LIMITS:
            scope, seconds = RATE_LIMITS[code]
            return errors.RateLimited(reason, http.retry_at(response.headers, seconds), scope)
        if code == SESSION_EXPIRED:
            return SessionExpired(reason)
        if code in AUTH_CODES:
            return errors.AuthExpired(reason)
        if code in PERMISSION_CODES:
            return errors.PermissionMissing(reason)
        if code in VALIDATION_CODES:
            return errors.ValidationRejected(reason)
        if code in CONTENT_CODES:
            return errors.ContentRejected(reason)
        if code == 514:  # IDS_SESSION_VERIFICATION_REQUIRED: a person has to confirm the account on ok.ru
            return errors.CaptchaRequired(reason)
        if code == 300:
            return errors.RemoteNotFound(reason)
        if code in REFUSED_CODES or not changes_state:
            return errors.Transient(reason)
        return errors.AmbiguousOutcome(reason)  # UNKNOWN_CODES and anything new on a write

    # Account ---------------------------------------------------------------------------------------------------
    def group_info(self, group_id: str) -> dict:
        groups = self.call("group.getInfo", uids=group_id, fields="uid,name,shortname,members_count")
        if not groups:
            raise errors.RemoteNotFound(_("OK has no group %(id)s.") % {"id": group_id})
        return groups[0]

    def check_health(self) -> AccountHealth:
        """The token, the group, and the rights OK granted the application for this user (users.hasAppPermission):
        without VALUABLE_ACCESS or GROUP_CONTENT nothing can be posted; without PHOTO_CONTENT only photos stop.
        PUBLISH_TO_STREAM is not asked: it is for a person's own feed, and Chorus posts group topics."""
        try:
            self.call("users.getCurrentUser", fields="uid,name")
            group = self.group_info(self.group_id)
            granted = {right: self.call("users.hasAppPermission", ext_perm=right) is True
                       for right in (*REQUIRED_RIGHTS, PHOTO_RIGHT)}
        except errors.NetworkError as exc:
            return AccountHealth(ok=False, message=exc.reason)
        missing = [right for right in REQUIRED_RIGHTS if not granted[right]]
        if missing:
            return AccountHealth(ok=False, message=_("OK has not granted the application %(rights)s: nothing can be "
                                                     "posted. Ask OK for them (api-support@ok.ru), then sign in again.")
                                 % {"rights": ", ".join(missing)})
        warning = "" if granted[PHOTO_RIGHT] else _("Cannot publish photos: OK has not granted the application "
                                                    "PHOTO_CONTENT.")
        return AccountHealth(ok=True, message=warning, followers=group.get("members_count"))

    def account_counters(self) -> AccountCounters:
        return AccountCounters(followers=self.group_info(self.group_id).get("members_count"))

    # Posts -----------------------------------------------------------------------------------------------------
    def upload_photos(self, paths: list[str]) -> list[str]:
        """photosV2.getUploadUrl, then one multipart upload; OK answers a token per photo for the attachment.
        Nothing is visible in the group until the topic is posted, so a failure here is never ambiguous."""
        if not paths:
            return []
        slot = self.call("photosV2.getUploadUrl", gid=self.group_id, count=len(paths))
        files = {f"pic{n}": (Path(path).name, Path(path).read_bytes()) for n, path in enumerate(paths, 1)}
        response = http.call(self.client, "POST", slot["upload_url"], changes_state=False, files=files)
        photos = http.json_of(response).get("photos", {})
        try:
            return [photos[str(photo_id)]["token"] for photo_id in slot["photo_ids"]]
        except (KeyError, TypeError) as exc:
            raise errors.Transient(_("OK did not take every photo.")) from exc

    def upload_video(self, path: str, facts) -> str:
        """video.getUploadUrl names the file and its size and answers the video's id and where to send it; the
        topic then attaches the id as a movie. Nothing shows in the group before the topic is posted."""
        file = Path(path)
        slot = self.call("video.getUploadUrl", gid=self.group_id, file_name=facts.name or file.name,
                         file_size=file.stat().st_size)
        with file.open("rb") as content:
            response = http.call(self.client, "POST", slot["upload_url"], changes_state=False,
                                 files={"data": (file.name, content)})
        said = http.json_of(response) if response.content else {}
        if "error_code" in said:
            raise errors.ContentRejected(_("OK did not take the video %(name)s: %(said)s")
                                         % {"name": facts.name, "said": str(said.get("error_msg", ""))[:200]})
        return str(slot["video_id"])

    def publish(self, publication: Publication, idempotency_key: str) -> RemotePost:
        videos = [self.upload_video(path, facts) for path, facts in publication.files if facts.is_video]
        tokens = self.upload_photos([path for path, facts in publication.files if not facts.is_video])
        topic_id = str(self.call("mediatopic.post", gid=self.group_id, type="GROUP_THEME",
                                 attachment=attachment(publication, tokens, videos)))
        return RemotePost(topic_id, self.topic_url(topic_id), datetime.now(UTC))

    def recent_topics(self, group_id: str, count: int) -> list[dict]:
        answer = self.call("mediatopic.getTopics", gid=group_id, count=count, fields=TOPIC_FIELDS)
        return answer.get("media_topics", []) if isinstance(answer, dict) else []

    def find_published(self, idempotency_key: str, text: str, since: datetime) -> RemotePost | None:
        wanted = normalised(text)
        for topic in self.recent_topics(self.group_id, 50):
            created = moment(topic.get("created_ms", 0))
            if created >= since - CLOCK_SKEW and normalised(topic_text(topic)) == wanted:
                return RemotePost(str(topic["id"]), self.topic_url(topic["id"]), created)
        return None

    def edit(self, remote_id: str, publication: Publication) -> None:
        """Only the text. mediatopic.edit takes the whole attachment again, so the topic's photo and poll blocks
        are read and given back as OK has them (by their ids): a poll sent as new would start again from no
        votes, photos uploaded again would be new photos. The link card follows the new text. OK documents the
        edit thinly; this is our reading of its attachment format."""
        topics = self.call("mediatopic.getByIds", topic_ids=remote_id, fields=TOPIC_FIELDS).get("media_topics", [])
        if not topics:
            raise errors.RemoteNotFound(_("OK no longer has the topic %(id)s.") % {"id": remote_id})
        kept = [block for block in topics[0].get("media", []) if block.get("type") not in ("text", "link")]
        fresh = json.loads(attachment(Publication(publication.text)))["media"]  # the text and its link card
        self.call("mediatopic.edit", gid=self.group_id, topic_id=remote_id, type="GROUP_THEME",
                  attachment=json.dumps({"media": fresh[:1] + kept + fresh[1:]}, ensure_ascii=False))

    def delete(self, remote_id: str, parts: tuple[str, ...] = ()) -> None:
        self.call("mediatopic.deleteTopic", gid=self.group_id, topic_id=remote_id)

    def fetch_counters(self, remote_ids: list[str]) -> list[PostCounters]:
        if not remote_ids:
            return []
        answer = self.call("mediatopic.getByIds", topic_ids=",".join(remote_ids), fields=TOPIC_FIELDS)
        return [topic_counters(topic) for topic in answer.get("media_topics", [])]

    # Comments ---------------------------------------------------------------------------------------------------
    def conversations(self, cursor: str = "") -> ConversationPage:
        """Comments under the group's newest topics written after the cursor, oldest first."""
        newest, seen = comment_cursor(cursor)
        fresh = []
        for topic in self.recent_topics(self.group_id, RECENT_TOPICS):
            if (topic.get("discussion_summary") or {}).get("comments_count"):
                fresh += [(comment, str(topic["id"])) for comment in self.topic_comments(str(topic["id"]))
                          if comment["date"] >= newest and comment["id"] not in seen]
        fresh.sort(key=lambda found: found[0]["date"])
        if fresh:
            top = fresh[-1][0]["date"]
            at_top = {comment["id"] for comment, _topic in fresh if comment["date"] == top}
            cursor = f"{top}|{','.join(sorted(at_top | (seen if top == newest else set())))}"
        return ConversationPage([self.comment(comment, topic_id) for comment, topic_id in fresh], cursor)

    def topic_comments(self, topic_id: str) -> list[dict]:
        answer = self.call("discussions.getComments", discussionId=topic_id, discussionType=TOPIC, count=100,
                           fields=COMMENT_FIELDS)
        return answer.get("comments") or [] if isinstance(answer, dict) else []

    def comment(self, comment: dict, topic_id: str) -> Conversation:
        ours = comment.get("author_ref") == f"group:{self.group_id}" or str(comment.get("author_id")) == self.group_id
        return Conversation("comment", str(comment["id"]), str(comment.get("author_id", "")),
                            comment.get("author_name", ""), comment.get("text", ""), comment_moment(comment["date"]),
                            post_remote_id=topic_id, parent_remote_id=str(comment.get("reply_to_comment_id") or ""),
                            from_page=ours)

    def reply(self, conversation: Conversation, text: str, idempotency_key: str) -> str:
        """An answer from the group under the same topic, addressed to the comment. OK takes no key: a lost answer
        is not sent again (AmbiguousOutcome is never retried). The parameter names past discussionId and
        discussionType are our reading of thin docs (docs/decisions.md), pinned by the fake."""
        answer = self.call("discussions.comment", discussionId=conversation.post_remote_id, discussionType=TOPIC,
                           text=text, reply_to_comment_id=conversation.remote_id, as_admin="true")
        return str(answer.get("id", "")) if isinstance(answer, dict) else str(answer)

    def moderate(self, conversation: Conversation, action: str) -> None:
        if action != "delete":
            raise errors.ValidationRejected(_("OK cannot %(action)s a comment through its API.") % {"action": action})
        self.call("discussions.deleteComment", discussionId=conversation.post_remote_id, discussionType=TOPIC,
                  comment_id=conversation.remote_id)

    # Public pages ----------------------------------------------------------------------------------------------
    def resolve_group(self, handle: str) -> str:
        """A group id from what a person pastes: the id, ok.ru/group/<id>, or a short address like ok.ru/name."""
        handle = handle.strip()
        if handle.isdigit():
            return handle
        found = re.search(r"ok\.ru/group/(\d+)", handle)
        if found:
            return found.group(1)
        url = handle if handle.startswith("http") else f"{SITE_URL}/{handle.removeprefix('ok.ru/').lstrip('/')}"
        answer = self.call("url.getInfo", url=url)
        if not isinstance(answer, dict) or answer.get("type") != "GROUP":
            raise errors.RemoteNotFound(_("%(handle)s is not an OK group.") % {"handle": handle})
        return str(answer["objectId"])

    def public_page(self, handle: str, limit: int = 20) -> PublicPage:
        group_id = self.resolve_group(handle)
        group = self.group_info(group_id)
        posts = [PublicPost(str(t["id"]), self.topic_url(t["id"], group_id), topic_text(t),
                            moment(t.get("created_ms", 0)), topic_counters(t))
                 for t in self.recent_topics(group_id, limit)]
        return PublicPage(handle, group.get("name", ""), f"{SITE_URL}/group/{group_id}",
                          group.get("members_count"), posts)
