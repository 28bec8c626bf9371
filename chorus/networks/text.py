"""How each network counts a post's length, exactly as it does, and where the text goes over.

Connectors call these from their own `measure`; `chorus measure` reaches the same rules by network name.
The rules and their sources are in ../shared/research/networks.md §1.1; X follows twitter-text v3.
"""

import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from html.parser import HTMLParser

import regex
from django.utils.translation import gettext as _

from chorus.networks import tlds
from chorus.networks.base import Problem, TextMeasure, TextRule


def graphemes(text: str) -> int:
    """Characters as a person sees them: a ZWJ family emoji or a letter with its accents is one."""
    return len(regex.findall(r"\X", text))


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


UNIT_COUNTERS: dict[str, Callable[[str], int]] = {
    "codepoint": len, "grapheme": graphemes, "utf16": utf16_units, "byte": utf8_bytes,
}


def too_long(length: int, limit: int) -> Problem:
    """The part past the limit, from the limit to the end, in the unit the length is counted in."""
    return Problem("too_long", _("%(over)d over the limit of %(limit)d.") % {"over": length - limit, "limit": limit},
                   limit, length)


def text_measure(text: str, length: int, rule: TextRule, problems: Sequence[Problem] = ()) -> TextMeasure:
    """The verdict for a length already counted: over the limit, empty, the other problems, the fold."""
    problems = list(problems)
    if length > rule.limit:
        problems.insert(0, too_long(length, rule.limit))
    if not text.strip():
        problems.append(Problem("empty", _("The text is empty.")))
    fold = rule.fold_at if rule.fold_at is not None and length > rule.fold_at else None
    return TextMeasure(length, rule.limit, rule.unit, problems, fold)


def measure_by_rule(text: str, rule: TextRule) -> TextMeasure:
    """A network that counts plainly (code points, graphemes, UTF-16 units or bytes) of the NFC text."""
    text = unicodedata.normalize("NFC", text)
    return text_measure(text, UNIT_COUNTERS[rule.unit](text), rule)


# X: twitter-text v3. The regular expressions follow twitter-text's JavaScript (Apache-2.0), whose results the
# conformance suite records; indices below are code points unless a name says UTF-16.

@dataclass(frozen=True)
class TwitterTextConfig:
    max_weighted_length: int = 280
    scale: int = 100
    default_weight: int = 200
    transformed_url_length: int = 23
    emoji_parsing: bool = True
    ranges: tuple[tuple[int, int, int], ...] = ((0, 4351, 100), (8192, 8205, 100), (8208, 8223, 100),
                                               (8242, 8247, 100))

    @classmethod
    def from_json(cls, config: dict) -> "TwitterTextConfig":
        """twitter-text's own config file (config/v2.json, v3.json)."""
        return cls(config["maxWeightedTweetLength"], config["scale"], config["defaultWeight"],
                   config["transformedURLLength"], config.get("emojiParsingEnabled", False),
                   tuple((r["start"], r["end"], r["weight"]) for r in config["ranges"]))

    def weight(self, char: str) -> int:
        code = ord(char)
        return next((w for start, end, w in self.ranges if start <= code <= end), self.default_weight)


V2 = TwitterTextConfig(emoji_parsing=False)
V3 = TwitterTextConfig()

_SPACES = r"\x09-\x0D\x20\x85\xA0\u1680\u180E\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
_INVALID_CHARS = "\ufffe\ufeff\uffff"
_DIRECTIONAL = r"\u202A-\u202E\u061C\u200E\u200F\u2066\u2067\u2068\u2069"
_PUNCTUATION = r"\!'#%&'\(\)*\+,\\\-\.\/:;<=>\?@\[\]\^_{|}~\$"
_LATIN_ACCENTS = (r"\xC0-\xD6\xD8-\xF6\xF8-\xFF\u0100-\u024F\u0253\u0254\u0256\u0257\u0259\u025B\u0263\u0268"
                  r"\u026F\u0272\u0289\u028B\u02BB\u0300-\u036F\u1E00-\u1EFF")
_CYRILLIC = r"\u0400-\u04FF"

_DOMAIN_CHAR = f"[^{_PUNCTUATION}{_SPACES}{_INVALID_CHARS}{_DIRECTIONAL}]"
_SUBDOMAIN = rf"(?:(?:{_DOMAIN_CHAR}(?:[_-]|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\.)"
_DOMAIN_NAME = rf"(?:(?:{_DOMAIN_CHAR}(?:-|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\.)"
# Longest first, so "com" is tried before "co".
_TLD = "|".join(regex.escape(name) for name in sorted(tlds.GENERIC | tlds.COUNTRY, key=len, reverse=True))
_TOP_LEVEL = rf"(?:(?:{_TLD})(?=[^0-9a-z@+-]|$)|xn--[\-0-9a-z]+)"
_DOMAIN = f"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}{_TOP_LEVEL})"
_ASCII_DOMAIN = regex.compile(rf"(?:[\-a-z0-9{_LATIN_ACCENTS}]+\.)+{_TOP_LEVEL}", regex.I)

_PATH_CHAR = rf"[a-z{_CYRILLIC}0-9!\*';:=\+,\.\$\/%#\[\]\-\u2013_~@\|&{_LATIN_ACCENTS}]"
_PARENS = rf"\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*))\)"
_PATH_END = rf"(?:[\+\-a-z{_CYRILLIC}0-9=_#\/{_LATIN_ACCENTS}]|{_PARENS})"
_PATH = rf"(?:(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END})|(?:@{_PATH_CHAR}+/))"
_QUERY = r"\?[a-z0-9!?\*'@\(\);:&=\+\$\/%#\[\]\-_\.,~|]*[a-z0-9\-_&=#\/]"
_URL_PRECEDING = f"(?:[^A-Za-z0-9@＠$#＃{_INVALID_CHARS}]|[{_DIRECTIONAL}]|^)"
# Groups: preceding character, URL, scheme, domain, port, path, query.
_URL = regex.compile(rf"({_URL_PRECEDING})((https?://)?({_DOMAIN})(?::([0-9]+))?(/{_PATH}*)?({_QUERY})?)", regex.I)
_TCO_URL = regex.compile(r"^https?://t\.co/([a-z0-9]+)(?:" + _QUERY + ")?", regex.I)
_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG_LENGTH = 40

_EMOJI_ELEMENT = r"(?:[\u00A9\u00AE]\uFE0F|(?![\u00A9\u00AE])\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?)"
# One emoji as X counts it: keycap, flag, or a pictograph with its modifier, tags and ZWJ partners.
# © and ® count as emoji only in emoji presentation (with U+FE0F); alone they are text.
_EMOJI = regex.compile(rf"""[\#*0-9]\uFE0F?\u20E3
    | \p{{Regional_Indicator}}{{2}}
    | {_EMOJI_ELEMENT}(?:[\U000E0020-\U000E007E]+\U000E007F)?(?:\u200D{_EMOJI_ELEMENT})*""", regex.X)


def _domain_labels_fit(domain: str) -> bool:
    """twitter-text's IDNA check: each label, punycoded, is 1 to 63 characters."""
    if domain[:4].lower() == "xn--" and not _ASCII_DOMAIN.search(domain):
        return False
    return all(1 <= (len(label) if label.isascii() else 4 + len(label.encode("punycode"))) <= 63
               for label in domain.split("."))


def x_urls(text: str, without_protocol: bool = True) -> list[tuple[int, int]]:
    """Where X sees URLs: (start, end) code point spans, following twitter-text's extractUrlsWithIndices."""
    if not text or ("." not in text if without_protocol else ":" not in text):
        return []
    spans = []
    for match in _URL.finditer(text):
        before, url, protocol, domain, path = match.group(1, 2, 3, 4, 6)
        start, end = match.span(2)
        if not _domain_labels_fit(domain) or len(protocol or "https://") + len(url) > _MAX_URL_LENGTH:
            continue
        if protocol:
            tco = _TCO_URL.match(url)
            if tco and len(tco.group(1)) > _MAX_TCO_SLUG_LENGTH:
                continue
            spans.append((start, start + tco.end() if tco else end))
            continue
        if not without_protocol or regex.search(r"[-_./]$", before):
            continue
        # Without a scheme only ASCII domains count; a path belongs to the last of them.
        found = [(start + d.start(), start + d.end()) for d in _ASCII_DOMAIN.finditer(domain)]
        if found and path:
            found[-1] = (found[-1][0], end)
        spans.extend(found)
    return spans


@dataclass(frozen=True)
class WeightedResult:
    """twitter-text's parseTweet result. Ranges are inclusive UTF-16 indices into the text as given."""

    weighted_length: int
    valid: bool
    permillage: int
    valid_range_start: int
    valid_range_end: int
    display_range_start: int
    display_range_end: int


def x_weighted_length(text: str, config: TwitterTextConfig = V3) -> WeightedResult:
    normalized = unicodedata.normalize("NFC", text)
    urls = dict(x_urls(normalized))
    emoji = {m.start(): m.end() for m in _EMOJI.finditer(normalized)} if config.emoji_parsing else {}
    weight, last_fitting, valid, index = 0, 0, True, 0
    while index < len(normalized):
        if index in urls:
            weight += config.transformed_url_length * config.scale
            end = urls[index]
        elif index in emoji:
            weight += config.default_weight
            end = emoji[index]
        else:
            weight += config.weight(normalized[index])
            end = index + 1
        valid = valid and normalized[end - 1] not in _INVALID_CHARS
        if valid and weight <= config.max_weighted_length * config.scale:
            last_fitting = end - 1
        index = end
    length = weight // config.scale
    # Ranges are in UTF-16 units of the text as typed, like the JavaScript original, whose strings are UTF-16.
    normalization_offset = utf16_units(text) - utf16_units(normalized)
    return WeightedResult(
        weighted_length=length,
        valid=valid and 0 < length <= config.max_weighted_length,
        permillage=math.floor(length / config.max_weighted_length * 1000),  # float, as JavaScript computes it
        valid_range_start=0,
        valid_range_end=utf16_units(normalized[:last_fitting + 1]) - 1 + normalization_offset,
        display_range_start=0,
        display_range_end=max(utf16_units(text) - 1, 0),
    )


def measure_x(text: str, limit: int | None = None, config: TwitterTextConfig = V3) -> TextMeasure:
    config = replace(config, max_weighted_length=limit or config.max_weighted_length)
    result = x_weighted_length(text, config)
    problems = []
    if any(char in _INVALID_CHARS for char in text):
        problems.append(Problem("invalid_character", _("The text has a character X refuses (U+FFFE, U+FEFF "
                                                       "or U+FFFF).")))
    return text_measure(text, result.weighted_length, TextRule(config.max_weighted_length, "weighted"), problems)


# twitter-text's validators for mentions, lists, hashtags and URLs (validate.yml checks them too).

_AT_SIGNS = "[@＠]"
_MENTION_OR_LIST = regex.compile(
    r"(^|[^a-zA-Z0-9_!#$%&*@＠]|(?:^|[^a-zA-Z0-9_+~.-])(?:rt|RT|rT|Rt):?)"
    rf"({_AT_SIGNS})([a-zA-Z0-9_]{{1,20}})(/[a-zA-Z][a-zA-Z0-9_\-]{{0,24}})?")
_AFTER_MENTION = regex.compile(rf"^(?:{_AT_SIGNS}|[{_LATIN_ACCENTS}]|://)")
_HASHTAG_LETTERS = r"\p{L}\p{M}"
_HASHTAG_CHARS = _HASHTAG_LETTERS + r"\p{Nd}_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb" \
                                   r"\u3003\u0f0b\u0f0c\u00b7"
_HASHTAG = regex.compile(rf"(^|\ufe0e|\ufe0f|[^&{_HASHTAG_CHARS}])([#＃])(?!\ufe0f|\u20e3)"
                         rf"([{_HASHTAG_CHARS}]*[{_HASHTAG_LETTERS}][{_HASHTAG_CHARS}]*)")
_AFTER_HASHTAG = regex.compile(r"^(?:[#＃]|://)")


def x_mentions(text: str) -> list[str]:
    """Screen names X links in the text (lists excluded)."""
    return [m.group(3) for m in _MENTION_OR_LIST.finditer(text)
            if not m.group(4) and not _AFTER_MENTION.match(text[m.end():])]


def x_hashtags(text: str) -> list[str]:
    urls = x_urls(text)
    return [m.group(3) for m in _HASHTAG.finditer(text)
            if not _AFTER_HASHTAG.match(text[m.end():])
            and not any(start < m.end() and m.start(2) < end for start, end in urls)]


def x_is_valid_username(text: str) -> bool:
    return x_mentions(text) == [text[1:]]


def x_is_valid_list(text: str) -> bool:
    match = _MENTION_OR_LIST.fullmatch(text)
    return bool(match and match.group(1) == "" and match.group(4))


def x_is_valid_hashtag(text: str) -> bool:
    return x_hashtags(text) == [text[1:]]


# RFC 3986 as twitter-text's isValidUrl reads it (unicode domains allowed).
_PCT = "%[0-9a-f]{2}"
_UNRESERVED = r"[a-z\p{Cyrillic}0-9\p{Pd}._~]"
_PCHAR = rf"(?:{_UNRESERVED}|{_PCT}|[!$&'()*+,;=]|[:\|@])"
_USERINFO = rf"(?:{_UNRESERVED}|{_PCT}|[!$&'()*+,;=]|:)*"
_OCTET = r"(?:[0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])"
_IP = rf"(?:{_OCTET}(?:\.{_OCTET}){{3}}|\[[a-f0-9:\.]+\])"
_U = r"[^\x00-\x7f]"
_UNICODE_DOMAIN = (rf"(?:(?:(?:[a-z0-9]|{_U})(?:(?:[a-z0-9_\-]|{_U})*(?:[a-z0-9]|{_U}))?\.)*"
                   rf"(?:(?:[a-z0-9]|{_U})(?:(?:[a-z0-9\-]|{_U})*(?:[a-z0-9]|{_U}))?\.)"
                   rf"(?:(?:[a-z]|{_U})(?:(?:[a-z0-9\-]|{_U})*(?:[a-z0-9]|{_U}))?))")
_AUTHORITY = regex.compile(rf"(?:{_USERINFO}@)?(?:{_IP}|{_UNICODE_DOMAIN})(?::[0-9]{{1,5}})?", regex.I)
_URL_PARTS = regex.compile(r"(?:([^:/?#]+)://)?([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?", regex.S)
_URL_PATH = regex.compile(rf"(?:/{_PCHAR}*)*", regex.I)
_URL_QUERY = regex.compile(rf"(?:{_PCHAR}|/|\?)*", regex.I)


def x_is_valid_url(url: str, require_protocol: bool = True) -> bool:
    parts = _URL_PARTS.fullmatch(url)
    if not url or not parts:
        return False
    scheme, authority, path, query, fragment = parts.groups()
    if require_protocol and not (scheme and regex.fullmatch("https?", scheme, regex.I)):
        return False
    return bool(_URL_PATH.fullmatch(path) and _URL_QUERY.fullmatch(query or "")
                and _URL_QUERY.fullmatch(fragment or "") and _AUTHORITY.fullmatch(authority))


# Bluesky: app.bsky.feed.post text is at most 300 graphemes and 3,000 UTF-8 bytes.

BLUESKY_GRAPHEMES = 300
BLUESKY_BYTES = 3000


def measure_bluesky(text: str, limit: int | None = None) -> TextMeasure:
    rule = TextRule(limit or BLUESKY_GRAPHEMES, "grapheme")
    clusters = regex.findall(r"\X", text)
    problems = []
    if utf8_bytes(text) > BLUESKY_BYTES:
        # Reported in graphemes like the rest: from the first one that no longer fits in the bytes.
        used, first_over = 0, len(clusters)
        for position, cluster in enumerate(clusters):
            used += utf8_bytes(cluster)
            if used > BLUESKY_BYTES:
                first_over = position
                break
        problems.append(Problem("too_many_bytes", _("%(bytes)d bytes; Bluesky takes at most %(limit)d.")
                                % {"bytes": utf8_bytes(text), "limit": BLUESKY_BYTES}, first_over, len(clusters)))
    return text_measure(text, len(clusters), rule, problems)


def bluesky_facets(text: str, did_for: Callable[[str], str | None] = lambda handle: None) -> list[dict]:
    """Link, tag and mention facets as app.bsky.richtext.facet records, with UTF-8 byte offsets.

    A mention needs the account's DID: `did_for(handle)` resolves it, and a handle it cannot resolve stays text.
    """
    # atproto's models take most of a second to import; only facets need them.
    from atproto_client.utils.facet_detection import detect_facets, detect_mentions

    facets = [facet.model_dump(by_alias=True, exclude_none=True) for facet in detect_facets(text)]
    for mention in detect_mentions(text):
        did = did_for(mention.handle)
        if did:
            facets.append({"$type": "app.bsky.richtext.facet",
                           "index": {"$type": "app.bsky.richtext.facet#byteSlice",
                                     "byteStart": mention.byte_start, "byteEnd": mention.byte_end},
                           "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}]})
    return sorted(facets, key=lambda facet: facet["index"]["byteStart"])


# Mastodon: graphemes of the content warning plus the text, where every URL counts as the instance's
# characters_reserved_per_url and a remote mention @user@domain as @user (StatusLengthValidator).

MASTODON_LIMIT = 500
MASTODON_URL_LENGTH = 23
_REMOTE_MENTION = regex.compile(r"(^|[^/\w])@(([a-z0-9_]+)@[a-z0-9\.\-]+[a-z0-9]+)", regex.I)


def mastodon_countable_text(text: str, url_length: int = MASTODON_URL_LENGTH) -> str:
    countable, position = [], 0
    for start, end in x_urls(text, without_protocol=False):  # Mastodon links only URLs with a scheme
        countable += [text[position:start], "x" * url_length]
        position = end
    countable.append(text[position:])
    return _REMOTE_MENTION.sub(r"\1@\3", "".join(countable))


def measure_mastodon(text: str, limit: int | None = None, content_warning: str = "",
                     url_length: int = MASTODON_URL_LENGTH) -> TextMeasure:
    length = graphemes(content_warning + mastodon_countable_text(text, url_length))
    return text_measure(text, length, TextRule(limit or MASTODON_LIMIT, "grapheme"))


# Telegram: the limit applies to the text people see once formatting is parsed; tdlib counts it in code
# points (networks.md §1.1), while message entity offsets and lengths are in UTF-16 units.

TELEGRAM_TEXT_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024
_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "code": "code", "pre": "pre",
    "a": "text_link", "tg-spoiler": "spoiler", "blockquote": "blockquote",
}


class _TelegramHTML(HTMLParser):
    """Reads Telegram's HTML parse mode into the visible text and its entities."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.units = 0  # UTF-16 units of visible text so far (HTMLParser owns `offset`)
        self.open: list[tuple[str, dict, int]] = []
        self.entities: list[dict] = []

    def handle_starttag(self, tag, attrs):
        self.open.append((tag, dict(attrs), self.units))

    def handle_endtag(self, tag):
        while self.open:
            name, attrs, start = self.open.pop()
            if name == tag:
                break
        else:
            return
        kind = _ENTITY_TYPES.get(tag)
        if tag == "span" and attrs.get("class") == "tg-spoiler":
            kind = "spoiler"
        if kind is None or self.units == start:
            return
        entity = {"type": kind, "offset": start, "length": self.units - start}
        if kind == "text_link":
            entity["url"] = attrs.get("href", "")
        if kind == "blockquote" and "expandable" in attrs:
            entity["type"] = "expandable_blockquote"
        self.entities.append(entity)

    def handle_data(self, data):
        self.parts.append(data)
        self.units += utf16_units(data)


def telegram_entities(html: str) -> tuple[str, list[dict]]:
    """The visible text of an HTML-formatted message and its MessageEntity list (offsets in UTF-16 units)."""
    reader = _TelegramHTML()
    reader.feed(html)
    reader.close()
    return "".join(reader.parts), sorted(reader.entities, key=lambda e: (e["offset"], -e["length"]))


def telegram_visible_text(html: str) -> str:
    return telegram_entities(html)[0]


def measure_telegram(text: str, limit: int | None = None, html: bool = True) -> TextMeasure:
    visible = telegram_visible_text(text) if html else text
    return text_measure(visible, len(visible), TextRule(limit or TELEGRAM_TEXT_LIMIT, "codepoint"))


def measure_telegram_caption(text: str, limit: int | None = None, html: bool = True) -> TextMeasure:
    return measure_telegram(text, limit or TELEGRAM_CAPTION_LIMIT, html)


MEASURES: dict[str, Callable[..., TextMeasure]] = {
    "x": measure_x,
    "bluesky": measure_bluesky,
    "mastodon": measure_mastodon,
    "telegram": measure_telegram,
    "telegram-caption": measure_telegram_caption,
}


def measure_for(network: str, text: str, limit: int | None = None) -> TextMeasure:
    """The length of `text` as `network` counts it; `limit` replaces the network's (a Mastodon instance's own)."""
    if network in MEASURES:
        return MEASURES[network](text, limit)
    # Networks that count plainly (VK, OK, the sandbox) count by the rule their connector declares.
    # Imported here because connectors import this module.
    from chorus.networks.registry import connector_class

    rule = connector_class(network).capabilities.text
    return measure_by_rule(text, replace(rule, limit=limit or rule.limit))


def measurable_networks() -> list[str]:
    from chorus.networks.registry import CONNECTORS

    return sorted(set(MEASURES) | set(CONNECTORS))
