"""RSS, Atom and JSON Feed bytes → the feed's title and its entries as plain text.

feedparser only ever gets bytes we fetched ourselves: given a string it would open URLs and local files.
"""

import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser

import feedparser
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

MAX_ENTRIES = 200
JSON_FEED_VERSION = "https://jsonfeed.org/version/"
GUID_LENGTH = 500
SUMMARY_LENGTH = 5000


class FeedUnreadable(ValueError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Entry:
    guid: str
    link: str
    title: str
    summary: str
    published_at: datetime | None


@dataclass(frozen=True)
class FeedDocument:
    title: str
    entries: list[Entry]


def read_feed(body: bytes, *, content_type: str = "", url: str = "") -> FeedDocument:
    """The first MAX_ENTRIES entries, in the feed's own order (newest first, by convention)."""
    if "json" in content_type or body.lstrip()[:1] == b"{":
        return _read_json_feed(body)
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-type": content_type or "application/xml",
                                                                  "content-location": url})
    if not parsed.version and not parsed.entries:
        raise FeedUnreadable(_("This is not an RSS, Atom or JSON feed (%(reason)s).")
                             % {"reason": parsed.get("bozo_exception") or _("no entries found")})
    entries = [_entry(e.get("id"), e.get("link"), e.get("title"), e.get("summary"),
                      _from_struct(e.get("published_parsed") or e.get("updated_parsed")))
               for e in parsed.entries[:MAX_ENTRIES]]
    return FeedDocument(plain_text(parsed.feed.get("title", "")), entries)


def _read_json_feed(body: bytes) -> FeedDocument:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedUnreadable(_("The JSON feed is not valid JSON: %(reason)s.") % {"reason": exc}) from exc
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(JSON_FEED_VERSION):
        raise FeedUnreadable(_("This JSON is not a JSON Feed (no jsonfeed.org version)."))
    items = [i for i in document.get("items") or [] if isinstance(i, dict)][:MAX_ENTRIES]
    entries = [_entry(i.get("id"), i.get("url"), i.get("title"),
                      i.get("summary") or i.get("content_text") or i.get("content_html"),
                      _from_iso(i.get("date_published") or i.get("date_modified")))
               for i in items]
    return FeedDocument(plain_text(str(document.get("title") or "")), entries)


def _entry(guid, link, title, summary, published_at) -> Entry:
    link, title = str(link or "").strip(), plain_text(str(title or ""))
    key = str(guid or "").strip() or link or "sha256:" + hashlib.sha256(f"{title}\n{link}".encode()).hexdigest()
    if len(key) > GUID_LENGTH:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return Entry(key, link if link.startswith(("http://", "https://")) else "", title,
                 plain_text(str(summary or ""))[:SUMMARY_LENGTH], published_at)


class _TextOf(HTMLParser):
    """Collects what a reader of the markup would see: no scripts or styles, a line break per block."""

    HIDDEN = {"script", "style", "template"}
    BLOCKS = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in self.HIDDEN
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        self.hidden -= tag in self.HIDDEN and self.hidden > 0
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def plain_text(markup: str) -> str:
    """Posts are plain text: tags and scripts dropped, entities decoded, runs of spaces and blank lines collapsed."""
    reader = _TextOf()
    reader.feed(markup)
    reader.close()
    lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in "".join(reader.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _from_struct(moment) -> datetime | None:
    return datetime(*moment[:6], tzinfo=UTC) if moment else None


def _from_iso(value) -> datetime | None:
    try:
        moment = parse_datetime(str(value)) if value else None
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
