"""NET-BS: Bluesky over XRPC (JSON over /xrpc/<nsid>) with plain httpx.

A session comes from the handle and an app password once (createSession is limited to a few hundred a day) and is
reused; an expired access token is refreshed once, and the rotating refresh token is swapped under a row lock
(chorus.channels.services.rotate_credentials).
A post is a record whose key is derived from our idempotency key, so a retried send finds the first one.

The inbox reads replies and mentions (notifications) and direct messages (chat.bsky.convo through the PDS, which
passes them to Bluesky's chat service when asked with the atproto-proxy header; the app password must have been
made with access to direct messages). A ban is a block record, a hide is the reply's place in the threadgate's
hiddenReplies of the channel's own post; both are taken back by removing them.
"""

import hashlib
from datetime import UTC, datetime
from functools import cached_property

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
    PostCounters,
    Publication,
    PublicPage,
    PublicPost,
    RemotePost,
    TextMeasure,
    TextRule,
    VideoRule,
)
from chorus.networks.http import call, client_for, json_of, retry_at
from chorus.networks.text import bluesky_facets, measure_bluesky

DEFAULT_PDS = "https://bsky.social"
POST = "app.bsky.feed.post"
BLOCK = "app.bsky.graph.block"
THREADGATE = "app.bsky.feed.threadgate"
CHAT_PROXY = {"atproto-proxy": "did:web:api.bsky.chat#bsky_chat"}  # the PDS forwards chat.* calls there
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, as TIDs are written
EXPIRED = "ExpiredToken"
POSTS_PER_READ = 25  # app.bsky.feed.getPosts takes at most 25 uris
PAGES_PER_POLL = 5  # how far back one conversations() call reads when many notifications came at once
CONVOS_PER_READ = 50
NO_DM_ACCESS = gettext_lazy("This app password has no access to direct messages. In Bluesky, Settings → Privacy "
                            "and security → App passwords, make a new one with “Allow access to your direct "
                            "messages” and reconnect the channel with it.")

def record_key(idempotency_key: str) -> str:
    """Our idempotency key as a record key: the first 63 bits of its SHA-256 written as a TID (13 characters of
    base32-sortable, top bit zero), the key type app.bsky.feed.post declares. The same key always names the same
    record, so a retried createRecord collides with the first one instead of posting twice. The TID's time part is
    therefore not a clock reading; Bluesky orders posts by createdAt, not by record key."""
    number = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big") >> 1
    return "".join(TID_ALPHABET[(number >> (5 * place)) & 31] for place in reversed(range(13)))


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _rkey_of(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def _post_url(uri: str) -> str:
    repo, _collection, rkey = uri.removeprefix("at://").split("/")
    return f"https://bsky.app/profile/{repo}/post/{rkey}"


def _counters(view: dict) -> PostCounters:
    # Quotes are shares with a comment: counted with reposts. Bluesky gives no views or reach.
    return PostCounters(view["uri"], likes=view.get("likeCount", 0),
                        reposts=view.get("repostCount", 0) + view.get("quoteCount", 0),
                        comments=view.get("replyCount", 0))


class BlueskyConnector(Connector):
    network = "bluesky"
    label = "Bluesky"
    capabilities = Capabilities(
        text=TextRule(limit=300, unit="grapheme"),
        images=MediaRule(max_count=4, max_bytes=1_000_000),
        # app.bsky.embed.video: one MP4 of up to 100 MB and three minutes, never beside images.
        video=VideoRule(max_count=1, max_bytes=100_000_000, max_seconds=180),
        native_scheduling=False, edit=False, delete=True, idempotency="record-key", find_published=True,
        polls=False, threads=True, first_comment=True, resumable_parts=True, comments=True, messages=True,
        moderation=("hide", "ban"), undo=("hide", "ban"), public_pages=True, metrics=("likes", "reposts", "comments"),
        account_metrics=("followers",),
    )
    connect_fields = (
        ConnectField("handle", gettext_lazy("Handle"), help=gettext_lazy("For example coffee.bsky.social")),
        ConnectField("app_password", gettext_lazy("App password"), secret=True,
                     help=gettext_lazy("Settings → Privacy and security → App passwords; not your main password")),
        ConnectField("pds_url", gettext_lazy("Server (PDS) URL"), required=False,
                     help=gettext_lazy("Leave empty for bsky.social")),
    )

    @classmethod
    def measure(cls, text: str) -> TextMeasure:
        return measure_bluesky(text)

    # XRPC ----------------------------------------------------------------------------------------------------
    @cached_property
    def client(self):
        return client_for(self.network, DEFAULT_PDS, self.channel.config.get("pds_url", ""))

    def _send(self, method: str, nsid: str, *, changes_state: bool, token: str = "", **kwargs):
        headers = {**kwargs.pop("headers", {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        return call(self.client, method, f"/xrpc/{nsid}", changes_state=changes_state, headers=headers, **kwargs)

    def _xrpc(self, method: str, nsid: str, *, changes_state: bool = False, **kwargs) -> dict:
        """One authenticated call; an expired access token is refreshed once and the call sent again."""
        response = self._send(method, nsid, changes_state=changes_state, token=self._session()["access_jwt"],
                              **kwargs)
        if _error_name(response) == EXPIRED:
            from chorus.channels.services import rotate_credentials  # channels.services imports the registry

            rotate_credentials(self.channel, "refresh_jwt", self._refreshed)
            response = self._send(method, nsid, changes_state=changes_state,
                                  token=self.channel.credentials["access_jwt"], **kwargs)
        return _answer(response)

    def _session(self) -> dict:
        """The stored session, or a new one from the app password when there is none yet."""
        if not self.channel.credentials.get("access_jwt"):
            login = {"identifier": self.channel.config.get("handle", "").strip().lstrip("@"),
                     "password": self.channel.credentials.get("app_password", "")}
            response = self._send("POST", "com.atproto.server.createSession", changes_state=False, json=login)
            if response.status_code == 401:
                raise errors.AuthExpired(_("Bluesky did not accept this handle and app password."))
            self._store({**self.channel.credentials, **_session_of(_answer(response))})
        return self.channel.credentials

    def _refreshed(self, refresh_jwt: str) -> dict:
        response = self._send("POST", "com.atproto.server.refreshSession", changes_state=False, token=refresh_jwt)
        if response.status_code in (400, 401):
            raise errors.AuthExpired(_("Bluesky ended the session: reconnect the channel with an app password."))
        return _session_of(_answer(response))

    def _store(self, credentials: dict) -> None:
        from chorus.channels.models import Channel

        self.channel.credentials = credentials
        if self.channel.pk:
            Channel.objects.filter(pk=self.channel.pk).update(credentials=credentials)

    @property
    def did(self) -> str:
        return self._session()["did"]

    # Account ---------------------------------------------------------------------------------------------------
    def check_health(self) -> AccountHealth:
        try:
            profile = self._xrpc("GET", "app.bsky.actor.getProfile", params={"actor": self.did})
        except errors.NetworkError as exc:
            return AccountHealth(ok=False, message=exc.reason)
        self.channel.external_id = self.channel.external_id or profile["did"]
        return AccountHealth(ok=True, followers=profile.get("followersCount"))

    def account_counters(self) -> AccountCounters:
        profile = self._xrpc("GET", "app.bsky.actor.getProfile", params={"actor": self.did})
        return AccountCounters(followers=profile.get("followersCount"))

    # Publishing ------------------------------------------------------------------------------------------------
    def publish(self, publication: Publication, idempotency_key: str, already: tuple[str, ...] = ()) -> RemotePost:
        """The post, then each thread part and the first comment as a reply to the one before. Each part's
        record key comes from the job's key and the part's number, so a part sent again collides with the one
        already made instead of doubling; the parts in `already` are only read (for the references the next reply
        needs)."""
        texts = [publication.text, *publication.thread] + ([publication.first_comment] if publication.first_comment
                                                           else [])
        records: list[dict] = []
        try:
            for number, text in enumerate(texts):
                key = f"{idempotency_key}:{number}" if number else idempotency_key
                if number < len(already):
                    record = self._record(record_key(key))
                    if record is None:
                        raise errors.RemoteNotFound(_("Part %(n)d is no longer on Bluesky.") % {"n": number + 1})
                elif records:
                    record = self._post(text, key, reply={"root": _ref(records[0]), "parent": _ref(records[-1])})
                else:
                    record = self._post(text, key, embed=self._media(publication))
                records.append(record)
        except errors.NetworkError as exc:
            made = [*already, *(r["uri"] for r in records[len(already):])]
            if not made:
                raise
            raise errors.PartialPublication(self._remote(made, records, idempotency_key), made, len(texts),
                                            exc) from exc
        return self._remote([r["uri"] for r in records], records, idempotency_key)

    @staticmethod
    def _remote(made: list[str], records: list[dict], idempotency_key: str) -> RemotePost:
        created = _moment(records[0]["value"]["createdAt"]) if records else datetime.now(UTC)
        return RemotePost(made[0], _post_url(made[0]), created, idempotency_key, tuple(made))

    def _post(self, text: str, key: str, embed: dict | None = None, reply: dict | None = None) -> dict:
        """Create the record under the key's record key, or return the one a previous try already made."""
        rkey = record_key(key)
        record = {"$type": POST, "text": text, "createdAt": _now()}
        record |= {name: value for name, value in (("facets", bluesky_facets(text, self._resolve_handle)),
                                                   ("embed", embed), ("reply", reply)) if value}
        try:
            made = self._xrpc("POST", "com.atproto.repo.createRecord", changes_state=True,
                              json={"repo": self.did, "collection": POST, "rkey": rkey, "record": record})
        except (errors.Transient, errors.ValidationRejected):
            # A record under this key exists already (this is a retry): deployed PDSes answer 500, newer ones a
            # named 400 error. Either way the record itself settles it.
            existing = self._record(rkey)
            if existing is None:
                raise
            return existing
        return {"uri": made["uri"], "cid": made["cid"], "value": record}

    def _record(self, rkey: str, collection: str = POST) -> dict | None:
        try:
            return self._xrpc("GET", "com.atproto.repo.getRecord",
                              params={"repo": self.did, "collection": collection, "rkey": rkey})
        except errors.RemoteNotFound:
            return None

    def _media(self, publication: Publication) -> dict | None:
        """The embed of the post's images, or of its one video. Each file goes up as a blob to the account's own
        server (uploadBlob): a blob alone is not a post and uploading it twice is harmless, so it is not a state
        change for retries."""
        embeds = []
        for path, facts in publication.files:
            with open(path, "rb") as file:
                blob = self._xrpc("POST", "com.atproto.repo.uploadBlob", content=file.read(),
                                  headers={"Content-Type": facts.mime})["blob"]
            shape = ({"aspectRatio": {"width": facts.width, "height": facts.height}}
                     if facts.width and facts.height else {})
            if facts.is_video:
                return {"$type": "app.bsky.embed.video", "video": blob, **shape}
            embeds.append({"alt": "", "image": blob, **shape})
        return {"$type": "app.bsky.embed.images", "images": embeds} if embeds else None

    def _resolve_handle(self, handle: str) -> str:
        try:
            return self._xrpc("GET", "com.atproto.identity.resolveHandle", params={"handle": handle})["did"]
        except (errors.RemoteNotFound, errors.ValidationRejected):
            return ""

    def find_published(self, idempotency_key: str, text: str, since: datetime) -> RemotePost | None:
        record = self._record(record_key(idempotency_key))
        if record is None:
            return None
        return RemotePost(record["uri"], _post_url(record["uri"]), _moment(record["value"]["createdAt"]),
                          idempotency_key)

    def delete(self, remote_id: str, parts: tuple[str, ...] = ()) -> None:
        """The post and each reply Chorus made for it (thread parts, the first comment), the last one first.
        deleteRecord of a record that is gone succeeds, so a repeat is harmless."""
        for uri in [*(part for part in reversed(parts) if part != remote_id), remote_id]:
            self._xrpc("POST", "com.atproto.repo.deleteRecord", changes_state=True,
                       json={"repo": self.did, "collection": POST, "rkey": _rkey_of(uri)})

    def fetch_counters(self, remote_ids: list[str]) -> list[PostCounters]:
        return [_counters(view) for view in self._post_views(remote_ids)]

    def _post_views(self, uris: list[str]) -> list[dict]:
        views = []
        for start in range(0, len(uris), POSTS_PER_READ):
            chunk = uris[start:start + POSTS_PER_READ]
            views += self._xrpc("GET", "app.bsky.feed.getPosts", params={"uris": chunk})["posts"]
        return views

    # Conversations ---------------------------------------------------------------------------------------------
    def conversations(self, cursor: str = "") -> ConversationPage:
        """Replies, mentions and direct messages after `cursor`: "<newest indexedAt>|<newest message rev>". Without
        access to direct messages the replies still arrive, the refusal is said once, then messages are skipped."""
        seen, _bar, seen_rev = cursor.partition("|")
        notifications = self._notifications(seen)
        if self.channel.config.get("direct_messages") is False:
            return ConversationPage(notifications.items, f"{notifications.cursor}|{seen_rev}")
        try:
            messages = self._messages(seen_rev)
        except errors.PermissionMissing:
            self._remember_dm_access(False)
            raise
        return ConversationPage(notifications.items + messages.items, f"{notifications.cursor}|{messages.cursor}")

    def _remember_dm_access(self, allowed: bool) -> None:
        from chorus.channels.models import Channel

        self.channel.config["direct_messages"] = allowed
        if self.channel.pk:
            Channel.objects.filter(pk=self.channel.pk).update(config=self.channel.config)

    def _notifications(self, cursor: str) -> ConversationPage:
        """Replies and mentions indexed after `cursor` (the newest indexedAt seen; the API's own cursor pages
        backwards in time, so it is only used to read further back within one call)."""
        items, newest, page_cursor = [], cursor, ""
        for _page in range(PAGES_PER_POLL):
            params = {"limit": 50, "reasons": ["reply", "mention"]} | ({"cursor": page_cursor} if page_cursor else {})
            page = self._xrpc("GET", "app.bsky.notification.listNotifications", params=params)
            fresh = [n for n in page["notifications"] if not cursor or n["indexedAt"] > cursor]
            items += [_conversation(n) for n in fresh if n["reason"] in ("reply", "mention")]
            newest = max([newest] + [n["indexedAt"] for n in fresh])
            page_cursor = page.get("cursor", "")
            if not cursor or len(fresh) < len(page["notifications"]) or not page_cursor:
                break
        return ConversationPage(items, newest)

    def _chat(self, method: str, nsid: str, **kwargs) -> dict:
        try:
            return self._xrpc(method, nsid, headers=CHAT_PROXY, **kwargs)
        except errors.PermissionMissing as exc:  # 400 InvalidToken "Bad token scope|method"
            raise errors.PermissionMissing(str(NO_DM_ACCESS)) from exc

    def _messages(self, since_rev: str) -> ConversationPage:
        """Messages of the conversations that changed after the message rev `since_rev` (revs sort as time)."""
        convos = self._chat("GET", "chat.bsky.convo.listConvos", params={"limit": CONVOS_PER_READ})["convos"]
        items, newest = [], since_rev
        for convo in convos:
            if (convo.get("lastMessage") or {}).get("rev", "") <= since_rev:
                continue
            people = {m["did"]: m.get("displayName") or m.get("handle", "") for m in convo.get("members", [])}
            person = next((did for did in people if did != self.did), "")
            history = self._chat("GET", "chat.bsky.convo.getMessages", params={"convoId": convo["id"], "limit": 50})
            for message in history["messages"]:
                if message.get("rev", "") <= since_rev or "text" not in message:  # older, or a deleted one
                    continue
                ours = message["sender"]["did"] == self.did
                items.append(Conversation("message", f"{convo['id']}/{message['id']}", person, people.get(person, ""),
                                          message["text"], _moment(message["sentAt"]), from_page=ours))
                newest = max(newest, message["rev"])
        items.sort(key=lambda item: item.created_at)
        return ConversationPage(items, newest)

    def reply(self, conversation: Conversation, text: str, idempotency_key: str) -> str:
        if conversation.kind == "message":  # chat has no idempotency key: a lost answer is never sent again
            convo_id = conversation.remote_id.split("/")[0]
            sent = self._chat("POST", "chat.bsky.convo.sendMessage", changes_state=True,
                              json={"convoId": convo_id, "message": {"text": text}})
            return f"{convo_id}/{sent['id']}"
        [view] = self._post_views([conversation.remote_id])
        parent = {"uri": view["uri"], "cid": view["cid"]}
        root = view.get("record", {}).get("reply", {}).get("root", parent)
        return self._post(text, idempotency_key, reply={"root": root, "parent": parent})["uri"]

    # Moderation ------------------------------------------------------------------------------------------------
    def moderate(self, conversation: Conversation, action: str) -> None:
        if action == "ban":
            self._block(conversation.author_id)
        elif action == "hide":
            self._hide_reply(conversation, hidden=True)
        else:
            raise errors.ValidationRejected(_("Bluesky lets nobody delete someone else's post; hide it or block "
                                              "its author."))

    def undo(self, conversation: Conversation, action: str) -> None:
        if action == "ban":
            rkey = record_key(f"block:{conversation.author_id}")
            self._xrpc("POST", "com.atproto.repo.deleteRecord", changes_state=True,
                       json={"repo": self.did, "collection": BLOCK, "rkey": rkey})
        elif action == "hide":
            self._hide_reply(conversation, hidden=False)
        else:
            raise errors.ValidationRejected(_("Bluesky cannot take back a %(action)s.") % {"action": action})

    def _block(self, did: str) -> None:
        """A block record under a key derived from the person, so blocking twice is one record and the unblock
        knows which record to delete."""
        rkey = record_key(f"block:{did}")
        record = {"$type": BLOCK, "subject": did, "createdAt": _now()}
        try:
            self._xrpc("POST", "com.atproto.repo.createRecord", changes_state=True,
                       json={"repo": self.did, "collection": BLOCK, "rkey": rkey, "record": record})
        except (errors.Transient, errors.ValidationRejected):
            if self._record(rkey, BLOCK) is None:  # not a block made before: a real refusal
                raise

    def _hide_reply(self, conversation: Conversation, hidden: bool) -> None:
        """The reply goes into (or out of) hiddenReplies of the threadgate of the thread's root, which must be the
        channel's own post; the threadgate's other rules (who may reply) are kept as they are."""
        root = conversation.post_remote_id
        if not root.startswith(f"at://{self.did}/{POST}/"):
            raise errors.ValidationRejected(_("Bluesky hides only replies in threads of the channel's own posts."))
        rkey = _rkey_of(root)
        current = self._record(rkey, THREADGATE)
        gate = dict(current["value"]) if current else {"$type": THREADGATE, "post": root, "createdAt": _now()}
        others = [uri for uri in gate.get("hiddenReplies", []) if uri != conversation.remote_id]
        gate["hiddenReplies"] = [*others, conversation.remote_id] if hidden else others
        # swapRecord: a threadgate changed meanwhile (in the app) makes this fail instead of being overwritten.
        self._xrpc("POST", "com.atproto.repo.putRecord", changes_state=True, json={
            "repo": self.did, "collection": THREADGATE, "rkey": rkey, "record": gate,
            **({"swapRecord": current["cid"]} if current else {})})

    # Public pages ----------------------------------------------------------------------------------------------
    def public_page(self, handle: str, limit: int = 20) -> PublicPage:
        handle = handle.strip().lstrip("@")
        profile = self._xrpc("GET", "app.bsky.actor.getProfile", params={"actor": handle})
        feed = self._xrpc("GET", "app.bsky.feed.getAuthorFeed",
                          params={"actor": handle, "limit": limit, "filter": "posts_no_replies"})["feed"]
        posts = [PublicPost(item["post"]["uri"], _post_url(item["post"]["uri"]), item["post"]["record"]["text"],
                            _moment(item["post"]["record"]["createdAt"]), _counters(item["post"]))
                 for item in feed if "reason" not in item]  # a reason marks a repost of someone else's post
        return PublicPage(profile["handle"], profile.get("displayName") or profile["handle"],
                          f"https://bsky.app/profile/{profile['handle']}", profile.get("followersCount"), posts)


def _ref(post: dict) -> dict:
    return {"uri": post["uri"], "cid": post["cid"]}


def _session_of(answer: dict) -> dict:
    return {"access_jwt": answer["accessJwt"], "refresh_jwt": answer["refreshJwt"], "did": answer["did"],
            "handle": answer.get("handle", "")}


def _conversation(notification: dict) -> Conversation:
    record, author = notification["record"], notification["author"]
    thread = record.get("reply", {})
    return Conversation(
        kind=notification["reason"], remote_id=notification["uri"], author_id=author["did"],
        author_name=author.get("displayName") or author["handle"], text=record.get("text", ""),
        created_at=_moment(record.get("createdAt") or notification["indexedAt"]),
        post_remote_id=thread.get("root", {}).get("uri", ""), parent_remote_id=thread.get("parent", {}).get("uri", ""))


def _error_name(response) -> str:
    if response.is_success or not response.headers.get("content-type", "").startswith("application/json"):
        return ""
    try:
        return response.json().get("error", "")
    except ValueError:
        return ""


def _answer(response) -> dict:
    """The body of a successful answer, or the XRPC error as one of the shared errors."""
    if response.is_success:
        return json_of(response)
    name, status = _error_name(response), response.status_code
    reason = f"Bluesky: {name or 'HTTP'} ({status})"
    if status == 429:
        raise errors.RateLimited(reason, retry_at(response.headers))
    if status >= 500:
        raise errors.Transient(reason)
    if status == 400 and name == "InvalidToken":  # "Bad token scope": this app password may not do it
        raise errors.PermissionMissing(reason)
    if status == 401 or name in (EXPIRED, "InvalidToken", "AuthenticationRequired"):
        raise errors.AuthExpired(reason)
    if status == 403 or name in ("AccountTakedown", "AccountDeactivated", "BlockedActor"):
        raise errors.PermissionMissing(reason)
    if status == 404 or name in ("RecordNotFound", "NotFound"):
        raise errors.RemoteNotFound(reason)
    raise errors.ValidationRejected(reason)  # InvalidRequest, a blob too large (413), an invalid record
