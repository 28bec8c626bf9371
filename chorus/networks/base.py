"""The connector interface: what every network declares and does. Callers never branch on a network's name."""

import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# What a person reads for each way of counting; the composer shows it beside the number.
UNIT_LABELS = {
    "codepoint": gettext_lazy("characters"),
    "grapheme": gettext_lazy("characters as displayed"),
    "utf16": gettext_lazy("UTF-16 units"),
    "weighted": gettext_lazy("weighted characters"),
    "byte": gettext_lazy("bytes"),
}


@dataclass(frozen=True)
class TextRule:
    limit: int
    unit: str = "codepoint"  # how the network counts: codepoint, grapheme, utf16, weighted, byte
    fold_at: int | None = None  # the feed shows this many characters before "Show more"


@dataclass(frozen=True)
class MediaRule:
    max_count: int
    max_bytes: int
    formats: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif", "image/webp")
    min_aspect: float | None = None
    max_aspect: float | None = None


@dataclass(frozen=True)
class Capabilities:
    text: TextRule
    images: MediaRule | None
    native_scheduling: bool = False
    edit: bool = False
    delete: bool = False
    idempotency: str = "none"  # how a duplicate send is prevented: key, record-key, none
    find_published: bool = False  # can the outcome of an ambiguous send be read back?
    metrics: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    start: int | None = None  # offending range in the text, in the network's unit
    end: int | None = None


@dataclass(frozen=True)
class TextMeasure:
    length: int
    limit: int
    unit: str
    problems: list[Problem] = field(default_factory=list)
    preview_fold: int | None = None  # character index where "Show more" cuts the preview

    @property
    def unit_label(self) -> str:
        return str(UNIT_LABELS[self.unit])

    @property
    def remaining(self) -> int:
        return self.limit - self.length


@dataclass(frozen=True)
class MediaFacts:
    mime: str
    size: int
    width: int | None = None
    height: int | None = None
    name: str = ""


@dataclass(frozen=True)
class Publication:
    """What goes out: the variant's text and media, as the network will receive them."""

    text: str
    media: list[MediaFacts] = field(default_factory=list)
    media_paths: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RemotePost:
    remote_id: str
    url: str
    published_at: datetime
    idempotency_key: str = ""


@dataclass(frozen=True)
class PostCounters:
    remote_id: str
    views: int | None = None
    likes: int | None = None
    reposts: int | None = None
    comments: int | None = None


@dataclass(frozen=True)
class AccountHealth:
    ok: bool
    message: str = ""
    followers: int | None = None


class Connector:
    """One network. Subclasses declare `capabilities` and implement the calls they support."""

    network: ClassVar[str]
    label: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    is_sandbox: ClassVar[bool] = False

    def __init__(self, channel):
        self.channel = channel

    # Text and media: pure, used live by the composer.
    @classmethod
    def measure(cls, text: str) -> TextMeasure:
        rule = cls.capabilities.text
        text = unicodedata.normalize("NFC", text)
        length = len(text) if rule.unit == "codepoint" else len(text.encode("utf-16-le")) // 2
        problems = []
        if length > rule.limit:
            problems.append(Problem("too_long", _("%(over)d over the limit of %(limit)d.")
                                    % {"over": length - rule.limit, "limit": rule.limit}, rule.limit, length))
        if not text.strip():
            problems.append(Problem("empty", _("The text is empty.")))
        fold = rule.fold_at if rule.fold_at is not None and length > rule.fold_at else None
        return TextMeasure(length, rule.limit, rule.unit, problems, fold)

    @classmethod
    def check_media(cls, media: list[MediaFacts]) -> list[Problem]:
        rule = cls.capabilities.images
        if not media:
            return []
        if rule is None:
            return [Problem("no_media", _("This network does not take images here."))]
        problems = []
        if len(media) > rule.max_count:
            problems.append(Problem("too_many_media", _("At most %(n)d images.") % {"n": rule.max_count}))
        for item in media:
            if item.mime not in rule.formats:
                problems.append(Problem("media_format", _("%(name)s: format %(mime)s is not accepted.")
                                        % {"name": item.name, "mime": item.mime}))
            if item.size > rule.max_bytes:
                sizes = {"name": item.name, "mb": item.size / 2**20, "limit": rule.max_bytes / 2**20}
                message = _("%(name)s is %(mb).1f MB; the limit is %(limit).1f MB.")
                problems.append(Problem("media_size", message % sizes))
            if item.width and item.height:
                aspect = item.width / item.height
                if (rule.min_aspect and aspect < rule.min_aspect) or (rule.max_aspect and aspect > rule.max_aspect):
                    message = _("%(name)s: aspect ratio %(a).2f is outside what the network accepts.")
                    problems.append(Problem("media_aspect", message % {"name": item.name, "a": aspect}))
        return problems

    @classmethod
    def validate(cls, publication: Publication) -> list[Problem]:
        return cls.measure(publication.text).problems + cls.check_media(publication.media)

    # Calls to the network.
    def check_health(self) -> AccountHealth:
        raise NotImplementedError

    def publish(self, publication: Publication, idempotency_key: str) -> RemotePost:
        raise NotImplementedError

    def find_published(self, idempotency_key: str, text: str, since: datetime) -> RemotePost | None:
        """After an ambiguous outcome: the post if it exists on the network, else None."""
        raise NotImplementedError

    def edit(self, remote_id: str, publication: Publication) -> None:
        raise NotImplementedError

    def delete(self, remote_id: str) -> None:
        raise NotImplementedError

    def fetch_counters(self, remote_ids: list[str]) -> list[PostCounters]:
        raise NotImplementedError
