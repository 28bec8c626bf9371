"""RSS, Atom and JSON Feed bytes → the feed's title and its entries as plain text.

feedparser only ever gets bytes we fetched ourselves: given a string it would open URLs and local files.
"""

import hashlib
import html
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import feedparser
from django.utils.dateparse import parse_datetime
from django.utils.html import strip_tags
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


def plain_text(markup: str) -> str:
    """Posts are plain text: tags dropped, entities decoded, runs of spaces collapsed (line breaks kept)."""
    text = html.unescape(strip_tags(markup))
    text = "\n".join(re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()


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
