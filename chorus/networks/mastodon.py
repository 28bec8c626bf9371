"""NET-MA: Mastodon (and compatible servers) over its REST API with plain httpx.

Every instance has its own limits; they are read from /api/v2/instance when the channel is checked and kept in
`channel.config["limits"]`. The composer and the scheduler check a channel's text against them (`measure_text`,
`validate_publication`) and so does `publish`; the class-level `measure` knows no instance and counts with
Mastodon's defaults (500 characters, a link = 23).
"""

import html
import ipaddress
import re
import time
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
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
    media_problems,
)
from chorus.networks.http import call, client_for, json_of, retry_at
from chorus.networks.oauth import authorize_url, request_token
from chorus.networks.text import MASTODON_LIMIT, MASTODON_URL_LENGTH, measure_mastodon

DEFAULT_LIMITS = {"max_characters": MASTODON_LIMIT, "characters_reserved_per_url": MASTODON_URL_LENGTH,
                  "max_media_attachments": 4,
                  "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4",
                                           "video/quicktime", "video/webm"],
                  "image_size_limit": 16 * 2**20, "video_size_limit": 99 * 2**20,
                  "poll_max_options": 4, "poll_max_characters_per_option": 50,
                  "poll_min_expiration": 300, "poll_max_expiration": 2_629_746}

TAG = re.compile(r"<[^>]+>")
PARAGRAPH_BREAK = re.compile(r"</p>\s*<p[^>]*>|<br\s*/?>", re.IGNORECASE)
MEDIA_POLLS = 30  # an uploaded video may take a while to process before a status can use it
READ_BACK_SLACK = timedelta(minutes=2)  # the instance's clock may run behind ours
OAUTH_SCOPES = "read write"


def plain_text(content: str) -> str:
    """A status's HTML as the text a person typed (links and mentions unwrapped, entities decoded)."""
    return html.unescape(TAG.sub("", PARAGRAPH_BREAK.sub("\n", content)))


def same_text(a: str, b: str) -> bool:
    def normal(text):
        return " ".join(unicodedata.normalize("NFC", text).split())

    return normal(a) == normal(b)


def instance_url_problem(url: str) -> str:
    """Why an instance URL is not acceptable, or "" — https, or plain http only to this machine."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return ""
    if parts.scheme == "http" and host:
        try:
            local = ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = host == "localhost" or host.endswith(".localhost")
        if local:
            return ""
    return _("The instance address must start with https:// (plain http only for this machine).")


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _follow_ups(publication: Publication) -> list[str]:
    """The statuses after the first: the thread's parts, then the first comment."""
    return [*publication.thread] + ([publication.first_comment] if publication.first_comment else [])


class MastodonConnector(Connector):
    network = "mastodon"
    label = "Mastodon"
    capabilities = Capabilities(
        text=TextRule(limit=DEFAULT_LIMITS["max_characters"], unit="grapheme"),
        images=MediaRule(max_count=4, max_bytes=16 * 2**20),
        # One video, alone: a status with a video takes no other media. No length limit; the size is the
        # instance's own (its video_size_limit), as are the formats.
        video=VideoRule(max_count=1, max_bytes=99 * 2**20, max_seconds=None,
                        formats=("video/mp4", "video/quicktime", "video/webm")),
        native_scheduling=True, edit=True, delete=True, idempotency="key", find_published=True,
        polls=True, threads=True, first_comment=True, resumable_parts=True, comments=True, messages=True,
        # A block of the author is the inbox's ban: their posts and mentions stop reaching the account. Mastodon
        # lets an account neither delete nor hide someone else's reply.
        moderation=("ban",), undo=("ban",),
        public_pages=True, metrics=("likes", "reposts", "comments"), account_metrics=("followers",),
    )
    connect_fields = (
        ConnectField("instance_url", gettext_lazy("Instance address"),
                     help=gettext_lazy("For example https://mastodon.social")),
        ConnectField("access_token", gettext_lazy("Access token"), secret=True,
                     help=gettext_lazy("Preferences → Development → New application, scopes read and write.")),
    )
    # OAuth: Chorus registers itself on the instance (once per instance and callback address), then the person
    # signs in there. PKCE is sent always: 4.3 and later check it, older instances ignore it.
    oauth = True
    oauth_fields = (connect_fields[0],)

    @classmethod
    def oauth_client(cls, config, credentials, redirect_uri, registered):
        url = config.get("instance_url", "").strip().rstrip("/")
        if url and "://" not in url:
            url = f"https://{url}"
        problem = instance_url_problem(url)
        if problem:
            raise errors.ValidationRejected(problem)
        config["instance_url"] = url

        def register():
            with client_for(cls.network, url, base_url=url) as client:
                response = call(client, "POST", "/api/v1/apps", changes_state=False, data={
                    "client_name": "Chorus", "redirect_uris": redirect_uri, "scopes": OAUTH_SCOPES})
            if response.status_code >= 400:
                raise cls._error(response)
            app = json_of(response)
            return OAuthClient(str(app["client_id"]), str(app.get("client_secret", "")))

        return registered(url, register)

    @classmethod
    def oauth_authorize(cls, client, config, redirect_uri, state, code_challenge):
        url = authorize_url(config["instance_url"], "/oauth/authorize", response_type="code",
                            client_id=client.client_id, redirect_uri=redirect_uri, scope=OAUTH_SCOPES, state=state,
                            code_challenge=code_challenge, code_challenge_method="S256")
        return url, {}

    @classmethod
    def oauth_exchange(cls, client, config, stash, callback, redirect_uri, code_verifier):
        url = config["instance_url"]
        answer = request_token(cls.network, url, "/oauth/token", base_url=url, label=cls.label, form={
            "grant_type": "authorization_code", "code": callback.get("code", ""), "client_id": client.client_id,
            "client_secret": client.client_secret, "redirect_uri": redirect_uri, "code_verifier": code_verifier,
            "scope": OAUTH_SCOPES})
        return {"access_token": answer["access_token"]}, {"instance_url": url}

    # Length ---------------------------------------------------------------------------------------------------
    @classmethod
    def measure(cls, text: str) -> TextMeasure:
        return cls.measure_against(text, DEFAULT_LIMITS)

    @staticmethod
    def measure_against(text: str, limits: dict) -> TextMeasure:
        """Graphemes, a link = the instance's characters_reserved_per_url, `@user@domain` = `@user`."""
        return measure_mastodon(text, limits["max_characters"], url_length=limits["characters_reserved_per_url"])

    @property
    def limits(self) -> dict:
        return {**DEFAULT_LIMITS, **self.channel.config.get("limits", {})}

    def measure_text(self, text: str) -> TextMeasure:
        """As this instance counts: its own max_characters and characters_reserved_per_url."""
        return self.measure_against(text, self.limits)

    def validate_publication(self, publication: Publication) -> list[Problem]:
        """The first status against this instance's limits: its text, media and poll. Thread parts and the first
        comment are statuses of their own, each measured with `measure_text`."""
        limits = self.limits
        # The first status may be only media or a poll; then its text may be empty.
        problems = [p for p in self.measure_text(publication.text).problems
                    if p.code != "empty" or not (publication.media or publication.poll)]
        accepted = tuple(limits["supported_mime_types"])
        images = MediaRule(max_count=limits["max_media_attachments"], max_bytes=limits["image_size_limit"],
                           formats=tuple(m for m in accepted if m.startswith("image/")))
        video = replace(self.capabilities.video, max_bytes=limits["video_size_limit"],
                        formats=tuple(m for m in accepted if m.startswith("video/")))
        problems += media_problems(self.label, publication.media, images, video)
        poll = publication.poll
        if poll:
            if publication.media:
                problems.append(Problem("poll", _("A Mastodon post cannot have both a poll and media.")))
            if len(poll.options) > limits["poll_max_options"] or any(
                    len(o) > limits["poll_max_characters_per_option"] for o in poll.options):
                problems.append(Problem("poll", _("At most %(n)d poll options of %(c)d characters.")
                                        % {"n": limits["poll_max_options"],
                                           "c": limits["poll_max_characters_per_option"]}))
        return problems

    # HTTP -----------------------------------------------------------------------------------------------------
    def _client(self) -> httpx.Client:
        url = self.channel.config.get("instance_url", "")
        problem = instance_url_problem(url)
        if problem:
            raise errors.ValidationRejected(problem)
        client = client_for(self.network, url, base_url=url)
        client.headers["Authorization"] = f"Bearer {self.channel.credentials.get('access_token', '')}"
        return client

    def _request(self, method: str, url: str, *, changes_state: bool = False, **kwargs):
        with self._client() as client:
            response = call(client, method, url, changes_state=changes_state, **kwargs)
        if response.status_code >= 400:
            raise self._error(response)
        return json_of(response)

    @staticmethod
    def _error(response: httpx.Response) -> errors.NetworkError:
        status = response.status_code
        try:
            reason = str(response.json().get("error", ""))
        except ValueError:
            reason = ""
        reason = f"Mastodon: HTTP {status}" + (f": {reason}" if reason else "")
        if status == 429:
            return errors.RateLimited(reason, retry_at(response.headers), scope="channel")
        if status == 401:
            return errors.AuthExpired(reason)
        if status == 403:
            return errors.PermissionMissing(reason)
        if status in (404, 410):
            return errors.RemoteNotFound(reason)
        if status in (400, 413, 422):
            return errors.ValidationRejected(reason)
        # 5xx: nothing to read back. A status POST carries our Idempotency-Key, so a retry cannot duplicate it.
        return errors.Transient(reason)

    # Account --------------------------------------------------------------------------------------------------
    def check_health(self) -> AccountHealth:
        """Checks the token and reads the instance's limits into channel.config (saved by whoever saves the
        channel: connect_channel does)."""
        try:
            account = self._request("GET", "/api/v1/accounts/verify_credentials")
            self.channel.config["limits"] = self._instance_limits()
        except errors.NetworkError as exc:
            return AccountHealth(ok=False, message=exc.reason)
        self.channel.external_id = str(account["id"])
        self.channel.config["acct"] = account.get("acct", "")
        return AccountHealth(ok=True, followers=account.get("followers_count"))

    def _instance_limits(self) -> dict:
        try:
            configuration = self._request("GET", "/api/v2/instance").get("configuration", {})
        except errors.RemoteNotFound:  # before Mastodon 4.0 the same block is in v1
            configuration = self._request("GET", "/api/v1/instance").get("configuration", {})
        statuses, media = configuration.get("statuses", {}), configuration.get("media_attachments", {})
        polls = configuration.get("polls", {})
        found = {**statuses, **{k: media[k] for k in ("supported_mime_types", "image_size_limit",
                                                       "video_size_limit") if k in media},
                 **{f"poll_{k}": v for k, v in polls.items()}}
        return {k: found[k] for k in DEFAULT_LIMITS if k in found}

    def _account_id(self) -> str:
        if not self.channel.external_id:
            self.channel.external_id = str(self._request("GET", "/api/v1/accounts/verify_credentials")["id"])
        return self.channel.external_id

    def account_counters(self) -> AccountCounters:
        account = self._request("GET", "/api/v1/accounts/verify_credentials")
        return AccountCounters(account.get("followers_count"), account.get("following_count"),
                               account.get("statuses_count"))

    # Publishing -----------------------------------------------------------------------------------------------
    def _problems(self, publication: Publication) -> list[str]:
        problems = [p.message for text in _follow_ups(publication) for p in self.measure_text(text).problems]
        return problems + [p.message for p in self.validate_publication(publication)]

    def publish(self, publication: Publication, idempotency_key: str, already: tuple[str, ...] = ()) -> RemotePost:
        """The status, then each thread part and the first comment as a reply to the one before, each under its
        own Idempotency-Key (the job's key, then "<key>:<n>"). A part that fails after the first went out is
        reported with what was made (errors.PartialPublication); a later try goes on from there."""
        problems = self._problems(publication)
        if problems:
            raise errors.ValidationRejected(" ".join(problems))
        follow_ups = _follow_ups(publication)
        made = list(already)
        root = None
        try:
            if made:
                root = self._request("GET", f"/api/v1/statuses/{made[0]}")
            else:
                root = self._post_status(self._first_status(publication), idempotency_key)
                made.append(str(root["id"]))
            for number in range(len(made), len(follow_ups) + 1):
                text = follow_ups[number - 1]
                # Going on after a cut-off try, the part may be out already: look before sending. The key alone
                # would not do, as the instance forgets it after an hour.
                found = self._reply_of_ours(made[-1], text) if already else None
                made.append(found or str(self._post_status(
                    {"status": text, "visibility": "public", "in_reply_to_id": made[-1]},
                    f"{idempotency_key}:{number}")["id"]))
        except errors.NetworkError as exc:
            if not made:
                raise
            raise errors.PartialPublication(self._thread_post(root, made, idempotency_key), made,
                                            len(follow_ups) + 1, exc) from exc
        return self._thread_post(root, made, idempotency_key)

    def _first_status(self, publication: Publication) -> dict:
        # The outbox sends at the due time, so `publication.publish_at` is not passed on as `scheduled_at`: a
        # native scheduled status has no status id to read back, edit or count until it fires, and Chorus could
        # not cancel or reschedule it from its own queue. Immediate posting keeps the outbox the one truth.
        body = {"status": publication.text or (publication.poll.question if publication.poll else ""),
                "visibility": "public", "media_ids": [self._upload(path, facts)
                                                      for path, facts in zip(publication.media_paths,
                                                                             publication.media, strict=False)]}
        if publication.poll:
            poll = publication.poll
            lasts = min(max(poll.closes_in_seconds or 86400, self.limits["poll_min_expiration"]),
                        self.limits["poll_max_expiration"])
            body["poll"] = {"options": list(poll.options), "expires_in": lasts, "multiple": poll.multiple}
        return body

    def _thread_post(self, root: dict | None, made: list[str], idempotency_key: str) -> RemotePost:
        if root is None:  # an earlier try sent it and it could not be read now: the caller keeps its link
            return RemotePost(made[0], "", datetime.now(UTC), idempotency_key, tuple(made))
        return replace(self._remote_post(root, idempotency_key), parts=tuple(made))

    def _reply_of_ours(self, parent_id: str, text: str) -> str:
        """Our reply to `parent_id` with this text, if the instance has it ("" if not)."""
        context = self._request("GET", f"/api/v1/statuses/{parent_id}/context")
        for status in context.get("descendants", []):
            if (str(status.get("in_reply_to_id")) == parent_id and str(status["account"]["id"]) == self._account_id()
                    and same_text(plain_text(status.get("content", "")), text)):
                return str(status["id"])
        return ""

    def _post_status(self, body: dict, idempotency_key: str) -> dict:
        # The instance keeps the key for an hour and answers a repeat with the status it already made.
        return self._request("POST", "/api/v1/statuses", changes_state=True, json=body,
                             headers={"Idempotency-Key": idempotency_key})

    def _upload(self, path: str, facts) -> str:
        # An upload that may or may not have arrived leaves at most an unattached file the instance deletes
        # itself, never a post: a failure here is safe to retry (changes_state=False).
        with open(path, "rb") as file:
            media = self._request("POST", "/api/v2/media", files={"file": (facts.name or "media", file, facts.mime)})
        for _attempt in range(MEDIA_POLLS):
            if media.get("url"):
                return str(media["id"])
            time.sleep(1)  # 202 Accepted (206 on a look): the instance is still processing the file
            try:
                media = self._request("GET", f"/api/v1/media/{media['id']}")
            except errors.ValidationRejected as exc:  # 422: the instance could not process it
                raise errors.ContentRejected(_("The instance could not process %(name)s: %(said)s")
                                             % {"name": facts.name, "said": exc.reason}) from exc
        raise errors.Transient(_("The instance is still processing the media; trying again later."))

    @staticmethod
    def _remote_post(status: dict, idempotency_key: str = "") -> RemotePost:
        return RemotePost(str(status["id"]), status.get("url") or status.get("uri", ""),
                          parse_time(status["created_at"]), idempotency_key)

    def find_published(self, idempotency_key: str, text: str, since: datetime) -> RemotePost | None:
        """Reads the account's recent statuses and matches the text. The Idempotency-Key is not replayed here:
        a replay creates the post when it does not exist (and keys expire after an hour), so it is a send,
        not a look."""
        since = since - READ_BACK_SLACK
        params = {"limit": 40, "exclude_reblogs": "true"}
        for _page in range(5):
            statuses = self._request("GET", f"/api/v1/accounts/{self._account_id()}/statuses", params=params)
            for status in reversed(statuses):  # oldest first: the first send is the one to keep
                if (not status.get("in_reply_to_id") and parse_time(status["created_at"]) >= since
                        and same_text(plain_text(status.get("content", "")), text)):
                    return self._remote_post(status, idempotency_key)
            if not statuses or parse_time(statuses[-1]["created_at"]) < since:
                return None
            params["max_id"] = statuses[-1]["id"]
        return None

    def edit(self, remote_id: str, publication: Publication) -> None:
        problems = [p.message for p in self.measure_against(publication.text, self.limits).problems]
        if problems:
            raise errors.ValidationRejected(" ".join(problems))
        # Only the text: media_ids and poll left out of the request keep what the status has.
        self._request("PUT", f"/api/v1/statuses/{remote_id}", changes_state=True, json={"status": publication.text})

    def delete(self, remote_id: str, parts: tuple[str, ...] = ()) -> None:
        """The status and each reply Chorus made for it, the last one first (a reply left behind would stand
        alone); a reply already gone is fine."""
        for status_id in [part for part in reversed(parts) if part != remote_id]:
            try:
                self._request("DELETE", f"/api/v1/statuses/{status_id}", changes_state=True)
            except errors.RemoteNotFound:
                pass
        self._request("DELETE", f"/api/v1/statuses/{remote_id}", changes_state=True)

    def fetch_counters(self, remote_ids: list[str]) -> list[PostCounters]:
        counters = []
        for remote_id in remote_ids:
            try:
                status = self._request("GET", f"/api/v1/statuses/{remote_id}")
            except errors.RemoteNotFound:
                continue  # deleted on the network: no counters rather than zeros
            counters.append(self._counters(status))
        return counters

    @staticmethod
    def _counters(status: dict) -> PostCounters:
        # Mastodon has no views or reach.
        return PostCounters(str(status["id"]), likes=status.get("favourites_count"),
                            reposts=status.get("reblogs_count"), comments=status.get("replies_count"))

    # Conversations --------------------------------------------------------------------------------------------
    def conversations(self, cursor: str = "") -> ConversationPage:
        params = {"types[]": "mention", "limit": 40}
        if cursor:
            params["since_id"] = cursor
        notifications = self._request("GET", "/api/v1/notifications", params=params)
        items = [self._conversation(n["status"]) for n in reversed(notifications) if n.get("status")]
        newest = max((n["id"] for n in notifications), key=lambda i: (len(i), i), default=cursor)
        return ConversationPage(items, newest)

    def _conversation(self, status: dict) -> Conversation:
        account = status.get("account", {})
        ours = status.get("in_reply_to_account_id") == self.channel.external_id and status.get("in_reply_to_id")
        kind = "message" if status.get("visibility") == "direct" else ("reply" if ours else "mention")
        own = re.escape(self.channel.config.get("acct", "").split("@")[0])
        text = plain_text(status.get("content", ""))
        if own:  # a reply opens with our own @name; the inbox shows what the person wrote
            text = re.sub(rf"^(?:\s*@{own}(?:@[\w.-]+)?)+\s*", "", text)
        edited = status.get("edited_at")
        return Conversation(kind, str(status["id"]), str(account.get("id", "")),
                            account.get("display_name") or account.get("username", ""), text.strip(),
                            parse_time(status["created_at"]), post_remote_id=str(status["in_reply_to_id"]) if ours
                            else "", edited_at=parse_time(edited) if edited else None)

    def reply(self, conversation: Conversation, text: str, idempotency_key: str) -> str:
        # A reply reaches the person only if it mentions them, as Mastodon's own apps do.
        asked = self._request("GET", f"/api/v1/statuses/{conversation.remote_id}")
        acct = asked.get("account", {}).get("acct", "")
        mention = f"@{acct} " if acct and f"@{acct}" not in text else ""
        body = {"status": mention + text, "in_reply_to_id": conversation.remote_id,
                "visibility": "direct" if conversation.kind == "message" else "public"}
        return str(self._post_status(body, idempotency_key)["id"])

    def moderate(self, conversation: Conversation, action: str) -> None:
        self._block(conversation, action, "block")

    def undo(self, conversation: Conversation, action: str) -> None:
        self._block(conversation, action, "unblock")

    def _block(self, conversation: Conversation, action: str, verb: str) -> None:
        if action != "ban":
            raise errors.ValidationRejected(_("Mastodon cannot %(action)s someone else's post; block its author "
                                              "instead.") % {"action": action})
        # Blocking twice, or unblocking someone not blocked, answers the same relationship: safe to repeat.
        self._request("POST", f"/api/v1/accounts/{conversation.author_id}/{verb}", changes_state=True)

    # Public pages ---------------------------------------------------------------------------------------------
    def public_page(self, handle: str, limit: int = 20) -> PublicPage:
        account = self._request("GET", "/api/v1/accounts/lookup", params={"acct": handle.lstrip("@")})
        statuses = self._request("GET", f"/api/v1/accounts/{account['id']}/statuses",
                                 params={"limit": min(limit, 40), "exclude_reblogs": "true"})
        posts = [PublicPost(str(s["id"]), s.get("url") or s.get("uri", ""), plain_text(s.get("content", "")),
                            parse_time(s["created_at"]), self._counters(s)) for s in statuses]
        return PublicPage(handle, account.get("display_name") or account.get("username", ""),
                          account.get("url", ""), account.get("followers_count"), posts)
