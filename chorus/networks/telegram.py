"""NET-TG: a Telegram channel through the Bot API, over plain httpx (a dozen JSON methods, no SDK needed).

What the Bot API cannot do shapes this connector: there is no idempotency key and no way to list a channel's
history. A bot does not receive updates for its own channel posts either, but Telegram forwards every post into
the channel's linked discussion group, and the bot sees that forward there; that is how an interrupted send is read
back. The same group carries the comments. Views and other post counters are not in the Bot API at all.
"""

import hmac
import html
import json
import re
import time
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chorus.networks import errors, telegram_preview
from chorus.networks.base import (
    AccountCounters,
    AccountHealth,
    Capabilities,
    ConnectField,
    Connector,
    Conversation,
    ConversationPage,
    MediaFacts,
    MediaRule,
    PostCounters,
    Problem,
    Publication,
    PublicPage,
    PushAnswer,
    RemotePost,
    TextMeasure,
    TextRule,
    VideoRule,
    media_problems,
)
from chorus.networks.http import call, client_for, json_of
from chorus.networks.text import measure_telegram, measure_telegram_caption, telegram_visible_text

API_URL = "https://api.telegram.org"
# The same list on every getUpdates call: Telegram remembers the last one given and stops producing the rest.
UPDATE_KINDS = ["message", "edited_message", "channel_post", "edited_channel_post"]
# Formatting Telegram's HTML mode understands; any other <, > or & in a post is meant literally and is escaped.
MARKUP = re.compile(r"</?(?:b|strong|i|em|u|ins|s|strike|del|span|tg-spoiler|a|code|pre|blockquote|tg-emoji)"
                    r"(?=[\s>])[^<>]*>|&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
POLL_QUESTION, POLL_OPTION, POLL_OPTIONS = 300, 100, (2, 12)
FORWARD_LOOKS = 5  # looks for a post's automatic forward into the discussion group, a second apart


def telegram_html(text: str) -> str:
    """The post as Telegram HTML: its formatting tags and entities pass, everything else goes out as written."""
    pieces, start = [], 0
    for match in MARKUP.finditer(text):
        pieces += [html.escape(text[start:match.start()], quote=False), match.group()]
        start = match.end()
    return "".join(pieces) + html.escape(text[start:], quote=False)


def normalised(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _media_item(facts: MediaFacts, media: str) -> dict:
    """An InputMedia of an album (or the fields of a lone sendPhoto/sendVideo): a video says its size and length,
    so apps show the right frame before Telegram has looked at the file."""
    if not facts.is_video:
        return {"type": "photo", "media": media}
    return {"type": "video", "media": media, "width": facts.width, "height": facts.height,
            "duration": round(facts.seconds or 0), "supports_streaming": True}


LOCAL_SERVER_UPLOAD = 2000 * 2**20  # what a bot uploads through a Bot API server of its own


class TelegramConnector(Connector):
    network = "telegram"
    label = "Telegram"
    capabilities = Capabilities(
        # Code points of the visible text (tdlib's utf8_length); entity offsets would be UTF-16, but we send HTML.
        text=TextRule(limit=4096, unit="codepoint"),
        caption=TextRule(limit=1024, unit="codepoint"),
        images=MediaRule(max_count=10, max_bytes=10 * 2**20, formats=("image/jpeg", "image/png", "image/webp"),
                         min_aspect=1 / 20, max_aspect=20),
        # sendVideo takes MPEG4 (other formats would go as documents); a bot uploads up to 50 MB. Videos and photos
        # share an album of up to ten.
        video=VideoRule(max_count=10, max_bytes=50 * 2**20, max_seconds=None, with_images=True),
        edit=True, delete=True, idempotency="none", find_published=True, polls=True, first_comment=True,
        # Hiding does not exist in a Telegram group; a ban is lifted with unbanChatMember (delete is final).
        comments=True, moderation=("delete", "ban"), undo=("ban",), push=True,
        public_pages=True,  # from the web preview, t.me/s/<channel> (telegram_preview)
        account_metrics=("followers",),
    )
    connect_fields = (
        ConnectField("token", gettext_lazy("Bot token"), secret=True,
                     help=gettext_lazy("From @BotFather, like 123456:ABC-DEF…")),
        ConnectField("chat", gettext_lazy("Channel"),
                     help=gettext_lazy("@username of a public channel, or the numeric id (-100…) of a private one. "
                                       "Add the bot to it as an administrator allowed to post messages.")),
        ConnectField("api_url", gettext_lazy("Own Bot API server"), required=False,
                     help=gettext_lazy("Only if you run a local Bot API server (for uploads over 50 MB); "
                                       "leave empty for api.telegram.org. On this machine or inside your network "
                                       "it works once the operator lists its network in "
                                       "CHORUS_OUTBOUND_ALLOWED_NETWORKS.")),
    )

    # Text -----------------------------------------------------------------------------------------------------
    @classmethod
    def measure(cls, text: str) -> TextMeasure:
        return measure_telegram(telegram_html(text), cls.capabilities.text.limit)

    @classmethod
    def validate(cls, publication: Publication, video: VideoRule | None = None) -> list[Problem]:
        """The text, or the caption's shorter limit under media; media or a poll may go out without text."""
        if publication.media:
            found = measure_telegram_caption(telegram_html(publication.text), cls.capabilities.caption.limit)
        else:
            found = cls.measure(publication.text)
        problems = [p for p in found.problems if p.code != "empty" or not (publication.media or publication.poll)]
        media = media_problems(cls.label, publication.media, cls.capabilities.images, video or cls.capabilities.video)
        return problems + media + cls._poll_problems(publication)

    def validate_publication(self, publication: Publication) -> list[Problem]:
        """Through its own Bot API server a bot uploads videos of up to 2000 MB."""
        if not self.channel.config.get("api_url"):
            return self.validate(publication)
        return self.validate(publication, replace(self.capabilities.video, max_bytes=LOCAL_SERVER_UPLOAD))

    @staticmethod
    def _poll_problems(publication: Publication) -> list[Problem]:
        poll = publication.poll
        if poll is None:
            return []
        low, high = POLL_OPTIONS
        fits = (0 < len(poll.question) <= POLL_QUESTION and low <= len(poll.options) <= high
                and all(0 < len(option) <= POLL_OPTION for option in poll.options))
        message = _("A Telegram poll has a question of up to %(q)d characters and %(low)d–%(high)d options of up "
                    "to %(o)d characters each.")
        return [] if fits else [Problem("poll", message % {"q": POLL_QUESTION, "low": low, "high": high,
                                                           "o": POLL_OPTION})]

    # Calls ----------------------------------------------------------------------------------------------------
    @property
    def chat(self) -> str:
        return str(self.channel.config.get("chat", "")).strip()

    def _call(self, method: str, *, changes_state: bool = False, files: dict | None = None, **fields):
        """One Bot API method. The token travels in the URL path: nothing raised here quotes the URL."""
        token = self.channel.credentials.get("token", "")
        with client_for(self.network, API_URL, base_url=self.channel.config.get("api_url", "")) as client:
            if files:  # an upload: the other fields ride along as form fields, JSON-encoded where structured
                form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
                response = call(client, "POST", f"/bot{token}/{method}", changes_state=changes_state,
                                data=form, files=files)
            else:
                response = call(client, "POST", f"/bot{token}/{method}", changes_state=changes_state, json=fields)
            try:
                body = json_of(response)
            except errors.Transient as exc:
                # A proxy's error page or a cut body after a send says nothing about the message: the Bot API has
                # no idempotency key, so it is read back, never sent again.
                if changes_state:
                    raise errors.AmbiguousOutcome(exc.reason) from exc
                raise
        if body.get("ok"):
            return body["result"]
        raise self._error(body, response.status_code, changes_state)

    @staticmethod
    def _error(body: dict, status: int, changes_state: bool = False) -> errors.NetworkError:
        code = body.get("error_code", status)
        said = str(body.get("description", ""))[:300]
        low = said.lower()
        parameters = body.get("parameters") or {}
        if code == 429:
            wait = int(parameters.get("retry_after") or 30)
            return errors.RateLimited(_("Telegram asks to wait %(s)d s: %(said)s") % {"s": wait, "said": said},
                                      datetime.now(UTC) + timedelta(seconds=wait))
        if code in (401, 404):  # Telegram answers 404 to a token it does not know at all
            return errors.AuthExpired(_("Telegram does not accept the bot token (revoked or mistyped): reconnect "
                                        "the channel with a token from @BotFather."))
        if code == 403:
            return errors.PermissionMissing(_("The bot was removed from the chat or may not write there "
                                              "(%(said)s): add it back as an administrator.") % {"said": said})
        if code == 409:
            return errors.PermissionMissing(_("Another program reads this bot's updates (a webhook is set): "
                                              "comments and read-back need the bot to itself."))
        if code >= 500:  # on a send, the message may exist all the same
            return (errors.AmbiguousOutcome if changes_state else errors.Transient)(
                _("Telegram is unavailable: %(said)s") % {"said": said})
        if "migrate_to_chat_id" in parameters:
            return errors.RemoteNotFound(_("The group became a supergroup with id %(id)s: put that id in the "
                                           "channel's settings.") % {"id": parameters["migrate_to_chat_id"]})
        if "not enough rights" in low or "admin_required" in low or "administrator" in low:
            return errors.PermissionMissing(_("The bot lacks a right in the chat: %(said)s") % {"said": said})
        if "message can't be deleted" in low:
            return errors.ValidationRejected(_("Telegram no longer lets the bot delete this message: a bot may "
                                               "delete messages only within 48 hours of posting, unless it has "
                                               "the right to delete messages. Delete it in Telegram."))
        if "not found" in low or "message_id_invalid" in low:
            return errors.RemoteNotFound(_("Telegram does not find it: %(said)s") % {"said": said})
        return errors.ValidationRejected(_("Telegram refused the message: %(said)s") % {"said": said})

    # Health and counters --------------------------------------------------------------------------------------
    def check_health(self) -> AccountHealth:
        try:
            bot = self._call("getMe")
            chat = self._call("getChat", chat_id=self.chat)
            member = self._call("getChatMember", chat_id=self.chat, user_id=bot["id"])
            followers = self._call("getChatMemberCount", chat_id=self.chat)
        except errors.RemoteNotFound:
            return AccountHealth(False, _("Telegram does not know the chat %(chat)s, or the bot is not in it. "
                                          "Check the name and add the bot as an administrator.")
                                 % {"chat": self.chat})
        except errors.NetworkError as exc:
            return AccountHealth(False, exc.reason)
        missing = self._missing_rights(chat, member)
        if missing is None:
            return AccountHealth(False, _("The bot @%(bot)s is not an administrator allowed to post in %(chat)s: "
                                          "add it under Administrators with “Post messages”.")
                                 % {"bot": bot.get("username", ""), "chat": self.chat})
        if missing:
            return AccountHealth(True, _("Posting works, but the bot may not %(what)s posts: give it those rights "
                                         "to edit or delete from Chorus.") % {"what": missing}, followers)
        return AccountHealth(True, followers=followers)

    @staticmethod
    def _missing_rights(chat: dict, member: dict) -> str | None:
        """None when the bot cannot post at all; else the rights it lacks for editing and deleting ("" = none)."""
        status = member.get("status")
        if status == "creator":
            return ""
        if chat.get("type") != "channel":  # a group: any member who may send can post
            return "" if status in {"administrator", "member"} and member.get("can_send_messages", True) else None
        if status != "administrator" or not member.get("can_post_messages"):
            return None
        lacking = [_("edit") if not member.get("can_edit_messages") else "",
                   _("delete") if not member.get("can_delete_messages") else ""]
        return _(" or ").join(filter(None, lacking))

    def account_counters(self) -> AccountCounters:
        return AccountCounters(followers=self._call("getChatMemberCount", chat_id=self.chat))

    def public_page(self, handle: str, limit: int = 20) -> PublicPage:
        """Any public channel, read from its web preview: the Bot API reads only chats the bot is in."""
        return telegram_preview.public_page(handle, limit)

    def fetch_counters(self, remote_ids: list[str]) -> list[PostCounters]:
        """The Bot API gives no views, forwards or comment counts for channel posts: every metric is absent."""
        return [PostCounters(remote_id) for remote_id in remote_ids]

    # Publishing -----------------------------------------------------------------------------------------------
    @classmethod
    def part_count(cls, publication: Publication) -> int:
        return len(cls._steps(publication))

    @staticmethod
    def _steps(publication: Publication) -> list[str]:
        """The messages a post becomes: its text, photo or album, then its poll, then its first comment (in the
        discussion group)."""
        return ((["_send_body"] if publication.text.strip() or publication.media_paths else [])
                + (["_send_poll"] if publication.poll else [])
                + (["_send_first_comment"] if publication.first_comment.strip() else []))

    def publish(self, publication: Publication, idempotency_key: str, already: tuple[str, ...] = ()) -> RemotePost:
        """Text, a photo or an album, then a poll if there is one. One post may be several messages; its remote
        id lists them all ("12,13,14"). A poll that fails after the text went out is reported with what was made
        (errors.PartialPublication): the Bot API has no idempotency key, so it is never sent again here."""
        steps = self._steps(publication)
        made = list(already)  # per part: its message ids ("12,13" for an album)
        first = None  # the post's first message, when this call sent it
        try:
            if "_send_first_comment" in steps[len(made):]:
                self._comments_possible()
            for step in steps[len(made):]:
                messages = getattr(self, step)(publication, made)
                first = first or (messages[0] if not made else None)
                made.append(_comment_part(messages[0]) if step == "_send_first_comment"
                            else ",".join(str(m["message_id"]) for m in messages))
        except errors.NetworkError as exc:
            if not made:
                raise
            raise errors.PartialPublication(self._post_of(made, first, idempotency_key), made, len(steps),
                                            exc) from exc
        return self._post_of(made, first, idempotency_key)

    def _post_of(self, made: list[str], first: dict | None, idempotency_key: str) -> RemotePost:
        if first is None:  # going on from parts an earlier try sent: its link is rebuilt from the channel
            chat = {"username": self.chat[1:]} if self.chat.startswith("@") else {"id": self.chat}
            first = {"message_id": made[0].split(",")[0], "chat": chat, "date": int(datetime.now(UTC).timestamp())}
        # The remote id lists the channel's messages; a first comment lives in the group and is only among the parts.
        channel_messages = ",".join(part for part in made if not _is_comment_part(part))
        return RemotePost(channel_messages, self._url(first), datetime.fromtimestamp(first["date"], UTC),
                          idempotency_key, tuple(made))

    def _send_body(self, publication: Publication, made: list[str] = ()) -> list[dict]:
        text = telegram_html(publication.text)
        if not publication.media_paths:
            return [self._call("sendMessage", changes_state=True, chat_id=self.chat, text=text, parse_mode="HTML")]
        files, items = {}, []
        for n, (path, facts) in enumerate(publication.files):
            files[f"media{n}"] = (Path(path).name, Path(path).read_bytes())
            items.append(_media_item(facts, f"attach://media{n}"))
        if len(items) == 1:  # sendPhoto or sendVideo, the item's own fields beside the caption
            [item] = items
            kind = item.pop("type")
            method = "sendVideo" if kind == "video" else "sendPhoto"
            return [self._call(method, changes_state=True, files=files, chat_id=self.chat, **{kind: item.pop("media")},
                               **item, caption=text, parse_mode="HTML")]
        items[0] |= {"caption": text, "parse_mode": "HTML"}
        return self._call("sendMediaGroup", changes_state=True, files=files, chat_id=self.chat, media=items)

    def _send_poll(self, publication: Publication, made: list[str] = ()) -> list[dict]:
        poll = publication.poll
        fields = {"chat_id": self.chat, "question": poll.question, "options": [{"text": o} for o in poll.options],
                  "allows_multiple_answers": poll.multiple}
        if poll.closes_in_seconds:
            fields["open_period"] = poll.closes_in_seconds
        return [self._call("sendPoll", changes_state=True, **fields)]

    def _comments_possible(self) -> None:
        """A first comment answers the post's copy in the linked discussion group, found among the bot's updates;
        refused before anything goes out where there is no group, or a webhook takes the updates."""
        if self.discussion_group is None:
            raise errors.ValidationRejected(_("This channel has no discussion group, so a post cannot have a first "
                                              "comment: link a group to the channel in Telegram."))
        if self.channel.config.get("push"):
            raise errors.ValidationRejected(_("With comments arriving by webhook, Chorus cannot find the post in "
                                              "the discussion group to add a first comment."))

    def _send_first_comment(self, publication: Publication, made: list[str]) -> list[dict]:
        """A reply to the post's automatic forward in the discussion group: the first comment under the post."""
        forward = self._forward_of(int(made[0].split(",")[0]))
        return [self._call("sendMessage", changes_state=True, chat_id=self.discussion_group,
                           text=telegram_html(publication.first_comment), parse_mode="HTML",
                           reply_parameters={"message_id": forward})]

    def _forward_of(self, post_id: int) -> int:
        """The id, in the discussion group, of the channel post's automatic forward, as read-back finds it.
        Telegram makes the copy a moment after the post; reading updates without an offset confirms none."""
        for look in range(FORWARD_LOOKS):
            if look:
                time.sleep(1)
            for update in self._call("getUpdates", allowed_updates=UPDATE_KINDS, timeout=0, limit=100):
                message = update.get("message") or {}
                origin = message.get("forward_origin") or {}
                if (message.get("is_automatic_forward") and origin.get("message_id") == post_id
                        and self._is_our_channel(origin.get("chat") or {})):
                    return message["message_id"]
        raise errors.Transient(_("Telegram has not shown the post in its discussion group yet, so the first "
                                 "comment had nowhere to go."))

    def _remote_post(self, messages: list[dict], idempotency_key: str = "") -> RemotePost:
        first = messages[0]
        return RemotePost(",".join(str(m["message_id"]) for m in messages), self._url(first),
                          datetime.fromtimestamp(first["date"], UTC), idempotency_key)

    @staticmethod
    def _url(message: dict) -> str:
        chat = message["chat"]
        if chat.get("username"):
            return f"https://t.me/{chat['username']}/{message['message_id']}"
        return f"https://t.me/c/{str(chat['id']).removeprefix('-100')}/{message['message_id']}"

    def edit(self, remote_id: str, publication: Publication) -> None:
        first = int(remote_id.split(",")[0])
        text = telegram_html(publication.text)
        try:
            if publication.media or publication.media_paths:
                self._call("editMessageCaption", changes_state=True, chat_id=self.chat, message_id=first,
                           caption=text, parse_mode="HTML")
            else:
                self._call("editMessageText", changes_state=True, chat_id=self.chat, message_id=first, text=text,
                           parse_mode="HTML")
        except errors.ValidationRejected as exc:
            if "message is not modified" not in exc.reason:  # the same text again is already the wanted state
                raise

    def delete(self, remote_id: str, parts: tuple[str, ...] = ()) -> None:
        """Every message of the post, and its first comment in the discussion group; one already gone is fine,
        all of the channel's gone is RemoteNotFound."""
        for part in filter(_is_comment_part, parts):
            group, _sep, message_id = part.rpartition(":")
            try:
                self._call("deleteMessage", changes_state=True, chat_id=int(group), message_id=int(message_id))
            except errors.RemoteNotFound:
                pass
        gone = []
        for message_id in remote_id.split(","):
            try:
                self._call("deleteMessage", changes_state=True, chat_id=self.chat, message_id=int(message_id))
            except errors.RemoteNotFound as exc:
                gone.append(exc)
        if len(gone) == len(remote_id.split(",")):
            raise gone[0]

    def find_published(self, idempotency_key: str, text: str, since: datetime) -> RemotePost | None:
        """The post among the updates the bot has not yet confirmed: its forward into the discussion group (what a
        bot sees of its own posts) or a channel_post update, matched by visible text and time. None when not seen
        (no discussion group, or the inbox already consumed those updates): the reconciler then asks a person."""
        wanted = normalised(telegram_visible_text(telegram_html(text)))
        if not wanted:
            return None
        earliest = int(since.timestamp())
        posts = [self._post_in(update) for update in self._call("getUpdates", allowed_updates=UPDATE_KINDS,
                                                                    timeout=0, limit=100)]
        for post in filter(None, posts):
            if post["date"] >= earliest and normalised(post.get("text") or post.get("caption") or "") == wanted:
                album = [p for p in filter(None, posts)
                         if post.get("media_group_id") and p.get("media_group_id") == post["media_group_id"]]
                return self._remote_post(album or [post], idempotency_key)
        return None

    def _post_in(self, update: dict) -> dict | None:
        """The channel post an update shows, as the channel has it (its own id and chat), else None."""
        message = update.get("channel_post") or update.get("message") or {}
        if update.get("channel_post") and self._is_our_channel(message["chat"]):
            return message
        origin = message.get("forward_origin") or {}
        if message.get("is_automatic_forward") and self._is_our_channel(origin.get("chat") or {}):
            return message | {"message_id": origin["message_id"], "chat": origin["chat"]}
        return None

    def _is_our_channel(self, chat: dict) -> bool:
        return str(chat.get("id")) == self.chat or f"@{chat.get('username', '')}".lower() == self.chat.lower()

    # Comments: the channel's linked discussion group ------------------------------------------------------------
    @cached_property
    def discussion_group(self) -> int | None:
        return self._call("getChat", chat_id=self.chat).get("linked_chat_id")

    def conversations(self, cursor: str = "") -> ConversationPage:
        """Comments from the discussion group since `cursor`, an update_id. Passing it on confirms the earlier
        updates to Telegram, which then forgets them, so each comment arrives once."""
        group = self.discussion_group
        if group is None or self.channel.config.get("push"):  # with a webhook set, Telegram refuses getUpdates
            return ConversationPage([], cursor)
        fields = {"allowed_updates": UPDATE_KINDS, "timeout": 0}
        if cursor:
            fields["offset"] = int(cursor) + 1
        updates = self._call("getUpdates", **fields)
        items = [self._comment(u.get("message") or u.get("edited_message"), group) for u in updates]
        last = max((u["update_id"] for u in updates), default=None)
        return ConversationPage([c for c in items if c], str(last) if last is not None else cursor)

    @staticmethod
    def _comment(message: dict | None, group: int) -> Conversation | None:
        if not message or message["chat"]["id"] != group or message.get("is_automatic_forward"):
            return None
        parent = message.get("reply_to_message")
        if not parent:  # talk in the group itself, not under a post
            return None
        on_post = bool(parent.get("is_automatic_forward"))
        origin = parent.get("forward_origin") or {}
        author = message.get("sender_chat") or message.get("from") or {}
        name = author.get("title") or " ".join(filter(None, [author.get("first_name"), author.get("last_name")]))
        edited = message.get("edit_date")
        return Conversation(
            kind="comment" if on_post else "reply", remote_id=str(message["message_id"]),
            author_id=str(author.get("id", "")), author_name=name or author.get("username", ""),
            text=message.get("text") or message.get("caption") or "",
            created_at=datetime.fromtimestamp(message["date"], UTC),
            post_remote_id=str(origin.get("message_id", "")) if on_post else "",
            parent_remote_id="" if on_post else str(parent["message_id"]),
            edited_at=datetime.fromtimestamp(edited, UTC) if edited else None)

    def start_push(self, url: str, secret: str) -> dict:
        self._call("setWebhook", changes_state=True, url=url, secret_token=secret, allowed_updates=UPDATE_KINDS)
        return {}

    def receive_push(self, body: dict, headers) -> PushAnswer:
        expected = self.channel.credentials.get("push_secret", "")
        given = headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not expected or not hmac.compare_digest(expected, given):
            raise errors.PushRefused("the secret token does not match")
        group = self.discussion_group
        comment = self._comment(body.get("message") or body.get("edited_message"), group) if group else None
        return PushAnswer([comment] if comment else [])

    def reply(self, conversation: Conversation, text: str, idempotency_key: str) -> str:
        answer = self._call("sendMessage", changes_state=True, chat_id=self.discussion_group,
                            text=telegram_html(text), parse_mode="HTML",
                            reply_parameters={"message_id": int(conversation.remote_id)})
        return str(answer["message_id"])

    def moderate(self, conversation: Conversation, action: str) -> None:
        group = self.discussion_group
        if action == "delete":
            self._call("deleteMessage", changes_state=True, chat_id=group, message_id=int(conversation.remote_id))
        elif action == "ban" and conversation.author_id.startswith("-"):  # someone writing as a channel
            self._call("banChatSenderChat", changes_state=True, chat_id=group,
                       sender_chat_id=int(conversation.author_id))
        elif action == "ban":
            self._call("banChatMember", changes_state=True, chat_id=group, user_id=int(conversation.author_id))
        else:
            raise errors.ValidationRejected(_("Telegram cannot %(action)s a comment.") % {"action": action})

    def undo(self, conversation: Conversation, action: str) -> None:
        if action != "ban":
            raise errors.ValidationRejected(_("Telegram cannot take back a %(action)s.") % {"action": action})
        group = self.discussion_group
        if conversation.author_id.startswith("-"):
            self._call("unbanChatSenderChat", changes_state=True, chat_id=group,
                       sender_chat_id=int(conversation.author_id))
        else:
            # only_if_banned: without it Telegram also removes a member who was not banned from the group.
            self._call("unbanChatMember", changes_state=True, chat_id=group, user_id=int(conversation.author_id),
                       only_if_banned=True)


def _comment_part(message: dict) -> str:
    """A first comment's part: "<group id>:<message id>", apart from the channel's plain message ids."""
    return f"{message['chat']['id']}:{message['message_id']}"


def _is_comment_part(part: str) -> bool:
    return ":" in part


@dataclass(frozen=True)
class _AlertBot:
    """What the connector's Bot API helper reads from a channel, for a workspace's alert bot (not a channel)."""

    token: str

    @property
    def credentials(self) -> dict:
        return {"token": self.token}

    @property
    def config(self) -> dict:
        return {}


def send_alert(token: str, chat: str, text: str) -> None:
    """A plain-text alert to `chat` from a workspace's bot; errors are the connector's, the token stays out of them."""
    TelegramConnector(_AlertBot(token))._call("sendMessage", changes_state=True, chat_id=chat, text=text,
                                              link_preview_options={"is_disabled": True})
