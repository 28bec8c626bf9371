"""A Telegram Bot API fake: POST /bot<token>/<method>, answered as api.telegram.org answers ({"ok": true,
"result"} or {"ok": false, "error_code", "description", "parameters"}), with a channel, its linked discussion
group, the bot's admin rights, and an update queue that getUpdates confirms by offset.

As the real server does, it creates no update for the bot's own channel posts; the post's automatic forward into
the discussion group is a `message` update, and posts by people (`post_as_person`) are `channel_post` updates.
"""

import html
import itertools
import json
import re
import time
from email.parser import BytesParser
from email.policy import HTTP

from chorus.networks.tests.fakes.server import Answer, FakeApi, Request, route

TOKEN = "123456:AAE-test-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "Chorus", "username": "chorus_demo_bot"}
CHANNEL = {"id": -1001111111111, "type": "channel", "title": "Demo Coffee", "username": "demo_coffee"}
GROUP = {"id": -1002222222222, "type": "supergroup", "title": "Demo Coffee chat"}
ALERTS = {"id": -1003333333333, "type": "group", "title": "Coffee team alerts"}  # where a workspace's bot alerts
TELEGRAM = {"id": 777000, "is_bot": False, "first_name": "Telegram"}  # who auto-forwards posts into the group
STATE_CHANGING = {"sendMessage", "sendPhoto", "sendVideo", "sendMediaGroup", "sendPoll", "editMessageText",
                  "editMessageCaption", "deleteMessage", "banChatMember", "banChatSenderChat", "unbanChatMember",
                  "unbanChatSenderChat"}
STRUCTURED = {"media", "options", "reply_parameters", "allowed_updates"}  # JSON-encoded inside a form
TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
        "blockquote", "tg-emoji"}
TAG = re.compile(r"</?([a-zA-Z][\w-]*)[^<>]*>")
ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
UPLOAD_LIMIT = 50 * 2**20  # what a bot may upload through api.telegram.org
ADMIN = {"user": BOT, "status": "administrator", "can_post_messages": True, "can_edit_messages": True,
         "can_delete_messages": True}


class Refusal(Exception):
    def __init__(self, code: int, description: str, **parameters):
        super().__init__(description)
        self.answer = Answer(code, {"ok": False, "error_code": code, "description": description,
                                    **({"parameters": parameters} if parameters else {})})


def bad_request(description: str) -> Refusal:
    return Refusal(400, f"Bad Request: {description}")


def visible(text: str) -> str:
    """Telegram's HTML mode, strictly: unknown tags and bare <, > or & are refused, as the real parser does."""
    for match in TAG.finditer(text):
        if match.group(1).lower() not in TAGS:
            raise bad_request(f"can't parse entities: Unsupported start tag \"{match.group(1)}\" at byte offset "
                              f"{len(text[:match.start()].encode())}")
    plain = TAG.sub("", text)
    if re.search(r"[<>]", plain) or re.search(r"&", ENTITY.sub("", plain)):
        raise bad_request("can't parse entities: Can't find end of the entity")
    return html.unescape(plain)


class FakeTelegram(FakeApi):
    network = "telegram"
    public_handle = "rival_tea"  # the Bot API reads no public channels: served by the t.me preview fake (telegram_web)

    def __init__(self):
        super().__init__()
        self.token = TOKEN
        self.member = dict(ADMIN)  # the bot's standing in the channel
        self.linked = True  # the channel has a discussion group
        self.forwards_late = False  # Telegram has not yet copied new posts into the discussion group
        self.webhook = False
        self.followers = 1520
        self.ids = {CHANNEL["id"]: itertools.count(101), GROUP["id"]: itertools.count(5001),
                    ALERTS["id"]: itertools.count(1)}
        self.messages: dict[tuple[int, int], dict] = {}
        self.updates: list[dict] = []
        self.update_ids = itertools.count(700000001)
        self.people = itertools.count(9001)
        self.banned: set[int] = set()
        self.may_restrict = True  # the bot's "Ban users" right in the discussion group
        self.kicked: set[int] = set()  # members an unban without only_if_banned removed from the group
        self.files: dict[str, bytes] = {}  # file_id → what was uploaded

    @property
    def url(self) -> str:
        # FakeApi.__init__ reads every attribute (looking for routes) before the server exists.
        return super().url if getattr(self, "server", None) else ""

    # Faults in Telegram's shape ------------------------------------------------------------------------------
    def refused(self, request: Request) -> Answer:
        return Answer(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})

    def failed_after(self, request: Request) -> Answer:
        return Answer(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})

    def rate_limited(self, request: Request) -> Answer:
        return Answer(429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                            "parameters": {"retry_after": 7}})

    def auth_expired(self, request: Request) -> Answer:
        return Answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})

    def rejected(self, request: Request) -> Answer:
        return bad_request("message is too long").answer

    def forbidden(self, request: Request) -> Answer:
        return Refusal(403, "Forbidden: bot is not a member of the channel chat").answer

    def not_found(self, request: Request) -> Answer:
        return bad_request("chat not found").answer

    def changes_state(self, request: Request) -> bool:
        return request.path.rsplit("/", 1)[-1] in STATE_CHANGING

    # What tests read and do on Telegram's side -----------------------------------------------------------------
    def remote_posts(self) -> list[dict]:
        return [{"remote_id": str(m["message_id"]), "text": self._text_of(m)}
                for (chat, _id), m in sorted(self.messages.items()) if chat == CHANNEL["id"]]

    def own_parts(self) -> list[dict]:
        """The channel's posts and what the bot wrote in the discussion group (a first comment); Telegram's own
        copies of the posts there are not ours."""
        return self.remote_posts() + [{"remote_id": f"{GROUP['id']}:{m['message_id']}", "text": self._text_of(m)}
                                      for (chat, _id), m in sorted(self.messages.items())
                                      if chat == GROUP["id"] and m.get("from") == BOT]

    def posted_videos(self) -> list[bytes]:
        return [self.files[m["video"]["file_id"]] for (chat, _id), m in sorted(self.messages.items())
                if chat == CHANNEL["id"] and "video" in m]

    def comments_under(self, post_remote_id: str) -> list[dict]:
        """The messages of the discussion group that answer the post's automatic forward."""
        return [m for (chat, _id), m in sorted(self.messages.items()) if chat == GROUP["id"]
                and m.get("reply_to_message", {}).get("forward_origin", {}).get("message_id") == int(post_remote_id)]

    def add_comment(self, post_remote_id: str, author_name: str, text: str) -> str:
        forward = next(m for m in self.messages.values() if m.get("is_automatic_forward")
                       and m["forward_origin"]["message_id"] == int(post_remote_id))
        person = {"id": next(self.people), "is_bot": False, "first_name": author_name}
        with self.lock:
            comment = self._store(GROUP, {"from": person, "text": text, "reply_to_message": forward,
                                          "message_thread_id": forward["message_id"]})
            self._update("message", comment)
        return str(comment["message_id"])

    def post_as_person(self, text: str) -> dict:
        """An admin posts in the channel from a Telegram app: the bot gets a channel_post update."""
        with self.lock:
            post = self._store(CHANNEL, {"sender_chat": CHANNEL, "text": text})
            self._update("channel_post", post)
            self._forward(post)
        return post

    def said_in(self, chat: dict) -> list[str]:
        """What the bot wrote in a chat, oldest first."""
        return [m["text"] for (chat_id, _id), m in sorted(self.messages.items()) if chat_id == chat["id"]]

    def age(self, message_id: int, hours: int) -> None:
        self.messages[(CHANNEL["id"], message_id)]["date"] -= hours * 3600

    def _text_of(self, message: dict) -> str:
        return message.get("text") or message.get("caption") or message.get("poll", {}).get("question", "")

    # Serving ---------------------------------------------------------------------------------------------------
    @route("POST", r"/bot(?P<token>[^/]+)/(?P<method>\w+)")
    def bot_api(self, request: Request) -> Answer:
        handler = getattr(self, f"do_{request.params['method']}", None)
        if request.params["token"] != self.token:
            return Refusal(401, "Unauthorized").answer
        if handler is None:
            return Refusal(404, "Not Found").answer
        if len(request.body) > UPLOAD_LIMIT:
            return Refusal(413, "Request Entity Too Large").answer
        try:
            return Answer(200, {"ok": True, "result": handler(self._fields(request))})
        except Refusal as refusal:
            return refusal.answer

    @staticmethod
    def _fields(request: Request) -> dict:
        kind = request.headers.get("content-type", "")
        if kind.startswith("application/json"):
            return request.json
        if not kind.startswith("multipart/form-data"):
            return {**request.form, **request.query}
        fields = {}
        for part in BytesParser(policy=HTTP).parsebytes(f"Content-Type: {kind}\r\n\r\n".encode()
                                                        + request.body).iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if part.get_filename():
                fields.setdefault("files", {})[name] = payload
            else:
                value = payload.decode()
                fields[name] = json.loads(value) if name in STRUCTURED else value
        return fields

    def _chat(self, chat_id) -> dict:
        for chat in (CHANNEL, GROUP, ALERTS):
            if str(chat_id) == str(chat["id"]) or str(chat_id).lower() == f"@{chat.get('username', '')}":
                if chat is CHANNEL and self.member["status"] in {"left", "kicked"}:
                    raise Refusal(403, "Forbidden: bot is not a member of the channel chat")
                return chat
        raise bad_request("chat not found")

    def _message(self, fields: dict, action: str) -> dict:
        key = (self._chat(fields["chat_id"])["id"], int(fields["message_id"]))
        if key not in self.messages:
            raise bad_request(f"message to {action} not found")
        return self.messages[key]

    def _store(self, chat: dict, content: dict) -> dict:
        message = {"message_id": next(self.ids[chat["id"]]), "chat": chat, "date": int(time.time()), **content}
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def _update(self, kind: str, message: dict) -> None:
        self.updates.append({"update_id": next(self.update_ids), kind: message})

    def _forward(self, post: dict) -> None:
        """Telegram copies each channel post into the linked discussion group; comments answer that copy."""
        if not self.linked or self.forwards_late:
            return
        origin = {"type": "channel", "chat": CHANNEL, "message_id": post["message_id"], "date": post["date"]}
        copy = {key: post[key] for key in ("text", "caption", "media_group_id", "photo", "video", "poll")
                if key in post}
        forward = self._store(GROUP, {"from": TELEGRAM, "sender_chat": CHANNEL, "is_automatic_forward": True,
                                      "forward_origin": origin, **copy})
        self._update("message", forward)

    def _may_post(self, chat: dict) -> None:
        if chat is CHANNEL and not (self.member["status"] == "administrator" and self.member["can_post_messages"]):
            raise bad_request("need administrator rights in the channel chat")

    def _post(self, fields: dict, content: dict) -> dict:
        chat = self._chat(fields["chat_id"])
        self._may_post(chat)
        if chat is GROUP and "reply_parameters" in fields:
            replied = (GROUP["id"], int(fields["reply_parameters"]["message_id"]))
            if replied not in self.messages:
                raise bad_request("message to be replied not found")
            content["reply_to_message"] = self.messages[replied]
        message = self._store(chat, {"sender_chat": CHANNEL, **content} if chat is CHANNEL else
                              {"from": BOT, **content})
        if chat is CHANNEL:
            self._forward(message)
        return message

    @staticmethod
    def _caption(fields: dict) -> str:
        caption = visible(fields.get("caption", ""))
        if len(caption) > 1024:
            raise bad_request("message caption is too long")
        return caption

    # Bot API methods ---------------------------------------------------------------------------------------------
    def do_getMe(self, fields: dict) -> dict:
        return BOT

    def do_getChat(self, fields: dict) -> dict:
        chat = self._chat(fields["chat_id"])
        return {**chat, "linked_chat_id": GROUP["id"]} if chat is CHANNEL and self.linked else chat

    def do_getChatMember(self, fields: dict) -> dict:
        self._chat(fields["chat_id"])
        if int(fields["user_id"]) != BOT["id"]:
            raise bad_request("user not found")
        return self.member

    def do_getChatMemberCount(self, fields: dict) -> int:
        self._chat(fields["chat_id"])
        return self.followers

    def do_sendMessage(self, fields: dict) -> dict:
        # Without parse_mode Telegram takes the text as it is: no tag is read, none is refused.
        text = visible(fields.get("text", "")) if fields.get("parse_mode") == "HTML" else fields.get("text", "")
        if not text.strip():
            raise bad_request("message text is empty")
        if len(text) > 4096:
            raise bad_request("message is too long")
        return self._post(fields, {"text": text})

    def do_sendPhoto(self, fields: dict) -> dict:
        photo = fields.get("files", {}).get(fields["photo"].removeprefix("attach://"))
        if not photo:
            raise bad_request("there is no photo in the request")
        return self._post(fields, {"photo": [{"file_id": f"photo-{len(photo)}", "file_size": len(photo)}],
                                   "caption": self._caption(fields)})

    def do_sendVideo(self, fields: dict) -> dict:
        return self._post(fields, {"video": self._video(fields, fields), "caption": self._caption(fields)})

    def _video(self, item: dict, fields: dict) -> dict:
        """A Video object for an uploaded file; its sizes are what the sender said (Telegram reads them alike)."""
        content = fields.get("files", {}).get(str(item.get("media") or item.get("video", "")).removeprefix("attach://"))
        if not content:
            raise bad_request("there is no video in the request")
        file_id = f"video-{len(self.files) + 1}"
        self.files[file_id] = content
        return {"file_id": file_id, "file_size": len(content), "mime_type": "video/mp4",
                **{key: int(item[key]) for key in ("width", "height", "duration") if key in item}}

    def do_sendMediaGroup(self, fields: dict) -> list[dict]:
        media = fields["media"]
        if not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the album: 2–10 are allowed")
        group_id = str(next(self.update_ids))
        files = fields.get("files", {})
        if any(item["media"].removeprefix("attach://") not in files for item in media):
            raise bad_request("wrong file identifier/HTTP URL specified")
        return [self._post(fields, {"media_group_id": group_id, "caption": self._caption(item),
                                    **({"video": self._video(item, fields)} if item["type"] == "video"
                                       else {"photo": [{"file_id": item["media"]}]})}) for item in media]

    def do_sendPoll(self, fields: dict) -> dict:
        options = [o["text"] for o in fields["options"]]
        if not 2 <= len(options) <= 12:
            raise bad_request("poll must have at least 2 option")
        if not 1 <= len(fields["question"]) <= 300:
            raise bad_request("poll question length must not exceed 300")
        poll = {"id": str(next(self.update_ids)), "question": fields["question"],
                "options": [{"text": o, "voter_count": 0} for o in options],
                "allows_multiple_answers": bool(fields.get("allows_multiple_answers"))}
        return self._post(fields, {"poll": poll})

    def do_editMessageText(self, fields: dict) -> dict:
        message = self._message(fields, "edit")
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text = visible(fields["text"])
        if len(text) > 4096:
            raise bad_request("message is too long")
        return self._edit(message, "text", text)

    def do_editMessageCaption(self, fields: dict) -> dict:
        message = self._message(fields, "edit")
        return self._edit(message, "caption", self._caption(fields))

    def _edit(self, message: dict, field: str, value: str) -> dict:
        if message.get(field) == value:
            raise bad_request("message is not modified: specified new message content and reply markup of the "
                              "existing message are exactly the same")
        message[field] = value
        message["edit_date"] = int(time.time())
        return message

    def do_deleteMessage(self, fields: dict) -> bool:
        message = self._message(fields, "delete")
        too_old = time.time() - message["date"] > 48 * 3600
        if too_old and not self.member["can_delete_messages"]:
            raise bad_request("message can't be deleted")
        del self.messages[(message["chat"]["id"], message["message_id"])]
        return True

    def do_setWebhook(self, fields: dict) -> bool:
        if not str(fields.get("url", "")).startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = True
        self.webhook_url, self.webhook_secret = fields["url"], fields.get("secret_token", "")
        return True

    def pending_pushes(self) -> list[dict]:
        """The updates Telegram would now POST to the webhook, oldest first; each is delivered once."""
        delivered, self.updates = self.updates, []
        return delivered

    def do_getUpdates(self, fields: dict) -> list[dict]:
        if self.webhook:
            raise Refusal(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
                               "to delete the webhook first")
        offset = int(fields.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]  # an offset confirms what is below
        kinds = set(fields.get("allowed_updates") or ["message", "channel_post", "edited_message"])
        return [u for u in self.updates if kinds & set(u)][:int(fields.get("limit") or 100)]

    def _restricting(self, fields: dict) -> None:
        self._chat(fields["chat_id"])
        if not self.may_restrict:
            raise bad_request("not enough rights to restrict/unrestrict chat member")

    def do_banChatMember(self, fields: dict) -> bool:
        self._restricting(fields)
        self.banned.add(int(fields["user_id"]))
        return True

    def do_banChatSenderChat(self, fields: dict) -> bool:
        self._restricting(fields)
        self.banned.add(int(fields["sender_chat_id"]))
        return True

    def do_unbanChatMember(self, fields: dict) -> bool:
        """As Telegram: True whether or not the user was banned; without only_if_banned a member is kicked."""
        self._restricting(fields)
        user = int(fields["user_id"])
        if user not in self.banned and not fields.get("only_if_banned"):
            self.kicked.add(user)
        self.banned.discard(user)
        return True

    def do_unbanChatSenderChat(self, fields: dict) -> bool:
        self._restricting(fields)
        self.banned.discard(int(fields["sender_chat_id"]))
        return True
