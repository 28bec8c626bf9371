"""A public Telegram channel as its web preview (t.me/s/<channel>) shows it: the Bot API reads no channel it is not
in, so competitor pages are read from the page Telegram serves to browsers.

The page is untrusted HTML: it is parsed with the standard library's HTMLParser into text only (nothing of its
markup is kept), fetched through the outbound guard with a size cap and a timeout. Telegram shows counts as a
person reads them ("1.2K", "3.4M"); they are taken as the number shown (1,200) and the page says it is rounded.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser

from django.utils.translation import gettext as _

from chorus import outbound
from chorus.networks import errors
from chorus.networks.base import PostCounters, PublicPage, PublicPost
from chorus.networks.http import retry_at
from chorus.networks.oauth import site_url

SITE = "https://t.me"  # "telegram-web" in CHORUS_NETWORK_BASE_URLS
PAGE_BYTES = 2 * 2**20  # a preview page of 20 posts is about 100-300 KB
PAGE_TIMEOUT = 15.0
PER_PAGE = 20  # what one preview page shows; older posts are asked with ?before=<id>
USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
LINK = re.compile(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/(?:s/)?(?P<rest>[^?#]*)", re.IGNORECASE)
COUNT = re.compile(r"(?P<number>\d+(?:[.,]\d+)?)\s*(?P<unit>[KMB]?)", re.IGNORECASE)
UNITS = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def shown_count(text: str) -> int | None:
    """A count as Telegram displays it ("812", "1.2K", "3.4M", "12 345") as the number it stands for; the
    display rounds, so 1.2K is 1,200 whatever the exact count. None when it is not a count."""
    match = COUNT.fullmatch(text.strip().replace("\u00a0", "").replace(" ", ""))
    if not match:
        return None
    try:
        return int(Decimal(match["number"].replace(",", ".")) * UNITS[match["unit"].upper()])
    except InvalidOperation:
        return None


def channel_name(handle: str) -> str:
    """The channel's public username from what a person pastes: @name, name, t.me/name, t.me/s/name/123."""
    handle = handle.strip()
    link = LINK.match(handle)
    name = (link["rest"].split("/")[0] if link else handle).lstrip("@")
    if name.startswith("+") or name.lower() == "joinchat":
        raise errors.RemoteNotFound(_("%(handle)s is a private channel's invite link: Telegram shows no public "
                                      "posts of private channels.") % {"handle": handle})
    if not USERNAME.fullmatch(name):
        raise errors.ValidationRejected(_("%(handle)s is not a public Telegram channel: give its @username or its "
                                          "t.me link.") % {"handle": handle})
    return name


@dataclass
class _Post:
    remote_id: str
    text: list[str] = field(default_factory=list)
    views: list[str] = field(default_factory=list)
    published_at: str = ""


class _PreviewParser(HTMLParser):
    """Collects the channel's title, its counters and each message's text, views and time; everything else on the
    page (scripts, styles, media, link previews, quoted replies) is passed over."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.counters: list[list[str]] = []
        self.posts: list[_Post] = []
        self.capturing: list[str] | None = None  # where text goes now
        self.open: list[tuple[str, list[str] | None]] = []  # each open element, and where text went before it

    @property
    def is_channel(self) -> bool:
        return bool(self.title)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        target = self.capturing
        if "tgme_channel_info_header_title" in classes:
            target = self.title
        elif "tgme_channel_info_counter" in classes:
            self.counters.append([])
            target = self.counters[-1]
        elif "tgme_widget_message" in classes and attributes.get("data-post", "").rpartition("/")[2].isdigit():
            self.posts.append(_Post(attributes["data-post"].rpartition("/")[2]))
        elif self.posts and "tgme_widget_message_text" in classes and "js-message_reply_text" not in classes:
            target = self.posts[-1].text
        elif self.posts and "tgme_widget_message_views" in classes:
            target = self.posts[-1].views
        elif self.posts and tag == "time" and attributes.get("datetime") and not self.posts[-1].published_at:
            self.posts[-1].published_at = attributes["datetime"]
        elif "tgme_widget_message_reply" in classes or tag in ("script", "style"):
            target = None  # a quoted message's text is not the post's
        if tag == "br" and self.capturing is not None:
            self.capturing.append("\n")
        if tag not in VOID:
            self.open.append((tag, self.capturing))
            self.capturing = target

    def handle_endtag(self, tag):
        # Close up to the matching element; a stray end tag closes nothing.
        for depth in range(len(self.open) - 1, -1, -1):
            if self.open[depth][0] == tag:
                self.capturing = self.open[depth][1]
                del self.open[depth:]
                return

    def handle_data(self, data):
        if self.capturing is not None:
            self.capturing.append(data)


def _text(pieces: list[str]) -> str:
    return "\n".join(" ".join(line.split()) for line in "".join(pieces).split("\n")).strip()


def _followers(counters: list[list[str]]) -> int | None:
    for counter in counters:
        shown = _text(counter).split()
        if len(shown) >= 2 and shown[-1].lower().startswith("subscriber"):
            return shown_count("".join(shown[:-1]))
    return None


def _fetch(name: str, before: str = "") -> _PreviewParser:
    url = f"{site_url('telegram-web', SITE)}/s/{name}" + (f"?before={before}" if before else "")
    try:
        page = outbound.fetch(url, max_bytes=PAGE_BYTES, timeout=PAGE_TIMEOUT, headers={"Accept-Language": "en"})
    except outbound.OutboundRefused as exc:
        raise errors.ValidationRejected(exc.reason) from exc
    except outbound.OutboundFailed as exc:
        raise errors.Transient(exc.reason) from exc
    if page.status == 429:
        raise errors.RateLimited(_("Telegram asks to slow down reading public pages."),
                                 retry_at(page.headers, default_seconds=300), scope="app")
    if page.status >= 500:
        raise errors.Transient(_("Telegram's public pages answered HTTP %(status)d.") % {"status": page.status})
    parser = _PreviewParser()
    # A channel without a public preview (private, a group, a name nobody has) is sent on to t.me/<name>.
    if page.status == 200 and "/s/" in page.final_url:
        parser.feed(page.body.decode("utf-8", errors="replace"))
        parser.close()
    if not parser.is_channel:
        raise errors.RemoteNotFound(_("Telegram shows no public posts of @%(name)s: it is private, a group, or no "
                                      "channel has this name.") % {"name": name})
    return parser


def public_page(handle: str, limit: int = 20) -> PublicPage:
    """The channel's title, subscribers and its `limit` newest posts, newest first, with the views Telegram shows.
    Followers and views are Telegram's rounded display (`PublicPage.rounded`)."""
    name = channel_name(handle)
    first = _fetch(name)
    found = {post.remote_id: post for post in first.posts}
    parsed = first
    while len(found) < limit and len(parsed.posts) >= PER_PAGE:
        parsed = _fetch(name, before=min(parsed.posts, key=lambda p: int(p.remote_id)).remote_id)
        fresh = {post.remote_id: post for post in parsed.posts if post.remote_id not in found}
        if not fresh:
            break
        found |= fresh
    newest = sorted(found.values(), key=lambda p: int(p.remote_id), reverse=True)[:limit]
    posts = [PublicPost(post.remote_id, f"{SITE}/{name}/{post.remote_id}", _text(post.text),
                        datetime.fromisoformat(post.published_at),
                        PostCounters(post.remote_id, views=shown_count(_text(post.views))))
             for post in newest if post.published_at]
    return PublicPage(name, _text(first.title), f"{SITE}/{name}", _followers(first.counters), posts, rounded=True)
