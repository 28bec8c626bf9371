"""The connector interface: what every network declares and does. Callers never branch on a network's name."""

import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

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
class VideoRule:
    """Videos in one post. `with_images`: a video may share the post with images (an album, a carousel), up to the
    image rule's max_count items in all; otherwise a video goes alone."""

    max_count: int
    max_bytes: int
    max_seconds: float | None  # None: the network sets no length
    formats: tuple[str, ...] = ("video/mp4",)
    with_images: bool = False


@dataclass(frozen=True)
class Capabilities:
    """What a network has. Callers read these; a missing feature is declared here, never special-cased."""

    text: TextRule
    images: MediaRule | None
    caption: TextRule | None = None  # a different limit for the text under media (Telegram: 1,024)
    video: VideoRule | None = None
    native_scheduling: bool = False
    edit: bool = False
    delete: bool = False
    idempotency: str = "none"  # how a duplicate send is prevented: key, record-key, none
    find_published: bool = False  # can the outcome of an ambiguous send be read back?
    polls: bool = False
    threads: bool = False
    first_comment: bool = False
    # A post going out as several network posts (a thread, a first comment, Telegram's poll after its text) has
    # a key per part, derived from the job's key and the part's number, so a part whose send was cut off is sent
    # again without doubling. Without it, the missing parts of a half-sent post wait for a person.
    resumable_parts: bool = False
    comments: bool = False  # list comments/replies/mentions since a cursor, and reply to them
    messages: bool = False  # direct/community messages
    moderation: tuple[str, ...] = ()  # of "hide", "delete", "ban"
    undo: tuple[str, ...] = ()  # moderation the network takes back: "hide" (unhide), "ban" (unban); never delete
    public_pages: bool = False  # read any public page and its recent posts with counters
    push: bool = False  # the network can call Chorus with new comments and messages (webhook, Callback API)
    metrics: tuple[str, ...] = ()  # post metrics it gives: views, likes, reposts, comments, reach, saves, clicks
    # Account metrics it gives (AccountCounters): "followers", "following", "posts", "followers_gained",
    # "followers_lost", and "audience:<dimension>" for each breakdown of its followers (AUDIENCE_DIMENSIONS).
    account_metrics: tuple[str, ...] = ()

    @property
    def audience(self) -> tuple[str, ...]:
        """The dimensions of its followers' demographics it gives, in AUDIENCE_DIMENSIONS' order."""
        return tuple(d for d in AUDIENCE_DIMENSIONS if f"audience:{d}" in self.account_metrics)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ConnectField:
    """One thing a person types to connect a channel; `secret` ones go to the encrypted credentials."""

    name: str
    label: str
    secret: bool = False
    help: str = ""
    required: bool = True


@dataclass(frozen=True)
class OAuthClient:
    """The application Chorus signs in as: fixed in settings, typed by the operator, or registered on a server."""

    client_id: str
    client_secret: str = field(default="", repr=False)


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
    seconds: float | None = None  # a video's length

    @property
    def is_video(self) -> bool:
        return self.mime.startswith("video/")


@dataclass(frozen=True)
class Poll:
    question: str
    options: tuple[str, ...]
    multiple: bool = False
    closes_in_seconds: int | None = None


@dataclass(frozen=True)
class Publication:
    """What goes out: the variant's text and media, as the network will receive them."""

    text: str
    media: list[MediaFacts] = field(default_factory=list)
    media_paths: list[str] = field(default_factory=list)
    poll: Poll | None = None
    thread: tuple[str, ...] = ()  # follow-up parts, posted as replies to the first (X, Bluesky, Mastodon)
    first_comment: str = ""
    publish_at: datetime | None = None  # for networks with native deferred posting; the outbox still decides

    @property
    def files(self) -> list[tuple[str, MediaFacts]]:
        """Each file to upload with its facts; a file given without facts (by a caller that has only paths) is
        taken for an image, as every file was before videos."""
        bare = [MediaFacts("image/jpeg", 0, name=Path(path).name) for path in self.media_paths[len(self.media):]]
        return list(zip(self.media_paths, [*self.media, *bare], strict=False))


@dataclass(frozen=True)
class RemotePost:
    remote_id: str
    url: str
    published_at: datetime
    idempotency_key: str = ""
    parts: tuple[str, ...] = ()  # the remote id of each part of a post of several parts, in order


@dataclass(frozen=True)
class PostCounters:
    """A post's counters as the network reports them; None means the network does not give it (never 0)."""

    remote_id: str
    views: int | None = None
    likes: int | None = None
    reposts: int | None = None
    comments: int | None = None
    reach: int | None = None
    saves: int | None = None
    clicks: int | None = None


# The breakdowns of an account's followers a network may give, and the buckets of "age" (as VK's stats.get,
# YouTube and Instagram cut it).
AUDIENCE_DIMENSIONS = ("gender", "age", "country", "city")
AGE_BRACKETS = ("13-17", "18-24", "25-34", "35-44", "45-54", "55+")


@dataclass(frozen=True)
class AccountCounters:
    """An account's counters as the network reports them; None: not given (never 0).

    `followers_gained` / `followers_lost`: people who followed / unfollowed on `followers_day`, the network's own
    day (VK stats.get's subscribed/unsubscribed, YouTube's subscribersGained): the day so far when it is today.
    `audience`: dimension (AUDIENCE_DIMENSIONS) → bucket as the network names it (untrusted text) → followers.
    """

    followers: int | None = None
    following: int | None = None
    posts: int | None = None
    followers_gained: int | None = None
    followers_lost: int | None = None
    followers_day: date | None = None
    audience: dict[str, dict[str, int]] | None = None


@dataclass(frozen=True)
class Conversation:
    """One comment, reply, mention or direct message from the network: untrusted text, stored as text."""

    kind: str  # comment, reply, mention, message
    remote_id: str
    author_id: str
    author_name: str
    text: str
    created_at: datetime
    post_remote_id: str = ""  # the channel's post it belongs to, when any
    parent_remote_id: str = ""  # the comment it answers, when any
    deleted: bool = False
    edited_at: datetime | None = None
    hidden: bool = False  # hidden from the public by the page's moderators
    from_page: bool = False  # the page's own answer, written here or elsewhere


@dataclass(frozen=True)
class PushAnswer:
    """What a network's call to Chorus carried, and what the network expects as the answer's body."""

    conversations: list[Conversation]
    body: str = "ok"


@dataclass(frozen=True)
class ConversationPage:
    items: list[Conversation]
    cursor: str  # pass back to get what came after; opaque to callers


@dataclass(frozen=True)
class PublicPost:
    remote_id: str
    url: str
    text: str
    published_at: datetime
    counters: PostCounters


@dataclass(frozen=True)
class PublicPage:
    handle: str
    name: str
    url: str
    followers: int | None
    posts: list[PublicPost]
    rounded: bool = False  # followers and views as the network displays them ("1.2K" = 1,200), not exact counts


@dataclass(frozen=True)
class AccountHealth:
    ok: bool
    message: str = ""
    followers: int | None = None


class Connector:
    """One network. Subclasses declare `capabilities` and implement the calls they support."""

    # Templates read `channel.connector_class.label`: Django must not try to instantiate the class to get there.
    do_not_call_in_templates: ClassVar[bool] = True
    network: ClassVar[str]
    label: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    connect_fields: ClassVar[tuple[ConnectField, ...]] = ()
    is_sandbox: ClassVar[bool] = False
    # Connecting through the network's own sign-in page (OAuth 2 authorization code, with PKCE where the network
    # has it). A connector with `oauth = True` implements the three `oauth_*` class methods; the channels page
    # then offers "Connect with <label>", asking first for `oauth_fields` (an instance address, a community id).
    oauth: ClassVar[bool] = False
    oauth_fields: ClassVar[tuple[ConnectField, ...]] = ()

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
        return media_problems(cls.label, media, cls.capabilities.images, cls.capabilities.video)

    @classmethod
    def validate(cls, publication: Publication) -> list[Problem]:
        return cls.measure(publication.text).problems + cls.check_media(publication.media)

    @classmethod
    def part_count(cls, publication: Publication) -> int:
        """How many network posts the publication becomes: the post, then each thread part and the first comment
        as replies to it. A network that sends something else on its own (Telegram's poll) says so here."""
        return 1 + len(publication.thread) + bool(publication.first_comment)

    # The same checks for this connector's channel: the network's rules above, and the limits its server sets for
    # this account where it has its own (a Mastodon instance). The composer and the scheduler use these.
    def measure_text(self, text: str) -> TextMeasure:
        return self.measure(text)

    def validate_publication(self, publication: Publication) -> list[Problem]:
        return self.validate(publication)

    # OAuth connect. `config`/`credentials` are what the person typed for `oauth_fields`; `stash` is what
    # `oauth_authorize` asked to be kept until the callback (never a secret: it waits in the session).
    @classmethod
    def oauth_client(cls, config: dict, credentials: dict, redirect_uri: str, registered) -> OAuthClient:
        """The application to sign in as. `registered(server, register)` returns the app Chorus registered on
        `server` for this callback before, or calls `register()` (returning an OAuthClient) once and keeps it."""
        raise NotImplementedError

    @classmethod
    def oauth_authorize(cls, client: OAuthClient, config: dict, redirect_uri: str, state: str,
                        code_challenge: str) -> tuple[str, dict]:
        """The network's sign-in page to send the person to, and the stash for the callback."""
        raise NotImplementedError

    @classmethod
    def oauth_exchange(cls, client: OAuthClient, config: dict, stash: dict, callback: dict, redirect_uri: str,
                       code_verifier: str) -> tuple[dict, dict]:
        """The callback's code (and whatever else the network put in `callback`, the query it came back with)
        exchanged for tokens: (credentials, config) for `connect_channel`. Raises a NetworkError the person
        can read when the network refuses; its reason never carries a token."""
        raise NotImplementedError

    # Calls to the network. A connector implements what its capabilities declare; the rest stays unsupported.
    def check_health(self) -> AccountHealth:
        raise NotImplementedError

    def account_counters(self) -> AccountCounters:
        raise NotImplementedError

    def conversations(self, cursor: str = "") -> ConversationPage:
        """Comments, replies, mentions and messages that arrived after `cursor` ("" = recent ones)."""
        raise NotImplementedError

    def reply(self, conversation: Conversation, text: str, idempotency_key: str) -> str:
        """Answer a comment or message; returns the answer's remote id."""
        raise NotImplementedError

    def moderate(self, conversation: Conversation, action: str) -> None:
        """One of capabilities.moderation: hide, delete, ban (the author)."""
        raise NotImplementedError

    def undo(self, conversation: Conversation, action: str) -> None:
        """Take back one of capabilities.undo: show a hidden comment again, or unban its author."""
        raise NotImplementedError

    def start_push(self, url: str, secret: str) -> dict:
        """Ask the network to call `url` with new comments and messages; returns what to add to the config."""
        raise NotImplementedError

    def receive_push(self, body: dict, headers) -> PushAnswer:
        """A call the network made to Chorus; raises errors.PushRefused unless it carries the channel's secret."""
        raise NotImplementedError

    def public_page(self, handle: str, limit: int = 20) -> PublicPage:
        raise NotImplementedError

    def access_ends_at(self) -> datetime | None:
        """When this channel stops working unless a person connects it again (the network announced it when it gave
        the tokens: `oauth.access_end`); None when its access renews itself or never ends."""
        ends = self.channel.credentials.get("access_ends_at")
        return datetime.fromtimestamp(int(ends), UTC) if ends else None

    def refresh_credentials(self, credentials: dict) -> dict | None:
        """New credentials from a refresh token, or None when the network needs no refresh."""
        return None

    def publish(self, publication: Publication, idempotency_key: str, already: tuple[str, ...] = ()) -> RemotePost:
        """Send the post. A post of several parts (see `part_count`) raises errors.PartialPublication when a part
        after the first fails; `already` then carries the parts that went out, and only the rest is sent, each
        replying to the one before. Single-part networks are never given `already`."""
        raise NotImplementedError

    def find_published(self, idempotency_key: str, text: str, since: datetime) -> RemotePost | None:
        """After an ambiguous outcome: the post if it exists on the network, else None."""
        raise NotImplementedError

    def edit(self, remote_id: str, publication: Publication) -> None:
        raise NotImplementedError

    def delete(self, remote_id: str, parts: tuple[str, ...] = ()) -> None:
        """Remove the post. `parts` is what went out of a post of several parts (`RemotePost.parts`,
        `PublishJob.parts_out`): every part Chorus made goes, the replies first. A part already gone is fine; the
        first part gone raises errors.RemoteNotFound."""
        raise NotImplementedError

    def fetch_counters(self, remote_ids: list[str]) -> list[PostCounters]:
        raise NotImplementedError


def media_problems(network: str, media: list[MediaFacts], images: MediaRule | None,
                   video: VideoRule | None) -> list[Problem]:
    """The media of one post against a network's image and video rules, each problem saying what to change."""
    pictures = [item for item in media if not item.is_video]
    clips = [item for item in media if item.is_video]
    return (_image_problems(pictures, images) + _video_problems(network, clips, video)
            + _mixing_problems(network, pictures, clips, images, video))


def _file_problems(item: MediaFacts, formats: tuple[str, ...], max_bytes: int) -> list[Problem]:
    problems = []
    if item.mime not in formats:
        problems.append(Problem("media_format", _("%(name)s: format %(mime)s is not accepted.")
                                % {"name": item.name, "mime": item.mime}))
    if item.size > max_bytes:
        sizes = {"name": item.name, "mb": item.size / 2**20, "limit": max_bytes / 2**20}
        problems.append(Problem("media_size", _("%(name)s is %(mb).1f MB; the limit is %(limit).1f MB.") % sizes))
    return problems


def _image_problems(media: list[MediaFacts], rule: MediaRule | None) -> list[Problem]:
    if not media:
        return []
    if rule is None:
        return [Problem("no_media", _("This network does not take images here."))]
    problems = []
    if len(media) > rule.max_count:
        problems.append(Problem("too_many_media", _("At most %(n)d images.") % {"n": rule.max_count}))
    for item in media:
        problems += _file_problems(item, rule.formats, rule.max_bytes)
        if item.width and item.height:
            aspect = item.width / item.height
            if (rule.min_aspect and aspect < rule.min_aspect) or (rule.max_aspect and aspect > rule.max_aspect):
                message = _("%(name)s: aspect ratio %(a).2f is outside what the network accepts.")
                problems.append(Problem("media_aspect", message % {"name": item.name, "a": aspect}))
    return problems


def _video_problems(network: str, media: list[MediaFacts], rule: VideoRule | None) -> list[Problem]:
    if not media:
        return []
    if rule is None:
        return [Problem("no_video", _("%(network)s does not take videos from Chorus.") % {"network": network})]
    problems = []
    if len(media) > rule.max_count:
        problems.append(Problem("too_many_videos", ngettext("%(network)s takes at most %(n)d video in a post.",
                                                            "%(network)s takes at most %(n)d videos in a post.",
                                                            rule.max_count)
                                % {"network": network, "n": rule.max_count}))
    for item in media:
        problems += _file_problems(item, rule.formats, rule.max_bytes)
        if rule.max_seconds and item.seconds and item.seconds > rule.max_seconds:
            problems.append(Problem("video_length", _("%(network)s takes videos up to %(limit)d s; %(name)s is "
                                                      "%(seconds)d s.")
                                    % {"network": network, "limit": rule.max_seconds, "name": item.name,
                                       "seconds": round(item.seconds)}))
    return problems


def _mixing_problems(network: str, pictures: list[MediaFacts], clips: list[MediaFacts], images: MediaRule | None,
                     video: VideoRule | None) -> list[Problem]:
    if not (pictures and clips and images and video):
        return []
    if not video.with_images:
        return [Problem("video_alone", _("%(network)s takes a video alone: remove the images or the video.")
                        % {"network": network})]
    if len(pictures) + len(clips) > images.max_count:
        return [Problem("too_many_media", _("At most %(n)d images and videos together.") % {"n": images.max_count})]
    return []
