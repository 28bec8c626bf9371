"""Posts and their variants: write, validate, schedule, move. The UI, API, CLI and import all call these."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.channels.models import Channel
from chorus.channels.services import next_free_slot
from chorus.content.models import MediaAsset, Post, Variant, VariantMedia
from chorus.networks.base import MediaFacts, Poll, Problem, Publication, TextMeasure
from chorus.publishing.models import PublishJob, Status
from chorus.workspaces.services import ensure_can, workspace_object


@dataclass(frozen=True)
class VariantCheck:
    channel: Channel
    measure: TextMeasure
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


class PostInvalid(ValidationError):
    """Some variants break their network's rules; the post is kept as written, nothing is scheduled."""

    def __init__(self, checks: list[VariantCheck]):
        self.checks = [c for c in checks if not c.ok]
        super().__init__([f"{c.channel.name}: {p.message}" for c in self.checks for p in c.problems])


POLL_OPTIONS = (2, 10)  # what most networks take; a network's own validate may be stricter


@dataclass(frozen=True)
class Extras:
    """What a variant may carry beyond text and media, each only where its network declares it."""

    poll: dict | None = None  # {"question", "options": [...], "multiple": bool, "closes_in_seconds": int | None}
    thread: tuple[str, ...] = ()
    first_comment: str = ""
    # the capability each extra needs
    NEEDS = (("poll", "polls"), ("thread", "threads"), ("first_comment", "first_comment"))

    @classmethod
    def of(cls, given: dict | None) -> "Extras":
        """From a form or an API call: line breaks made plain, an empty poll taken as none."""
        given = given or {}
        poll = given.get("poll") or None
        if poll and (str(poll.get("question") or "").strip() or poll.get("options")):
            closes = poll.get("closes_in_seconds")
            poll = {"question": plain_lines(str(poll.get("question") or "")).strip(),
                    "options": [plain_lines(str(o)).strip() for o in poll.get("options") or []],
                    "multiple": bool(poll.get("multiple")), "closes_in_seconds": int(closes) if closes else None}
        else:
            poll = None
        return cls(poll=poll, thread=tuple(plain_lines(str(part)) for part in given.get("thread") or ()),
                   first_comment=plain_lines(str(given.get("first_comment") or "")).strip())

    @classmethod
    def of_variant(cls, variant: Variant) -> "Extras":
        return cls.of({"poll": variant.poll, "thread": variant.thread, "first_comment": variant.first_comment})

    @property
    def as_poll(self) -> Poll | None:
        if self.poll is None:
            return None
        return Poll(self.poll["question"], tuple(self.poll["options"]), self.poll["multiple"],
                    self.poll["closes_in_seconds"])

    def as_fields(self) -> dict:
        return {"poll": self.poll, "thread": list(self.thread), "first_comment": self.first_comment}

    def unsupported(self, channel: Channel) -> list[str]:
        """Each extra the channel's network does not declare: refused by name, never silently dropped."""
        connector = channel.connector_class
        names = {"poll": _("a poll"), "thread": _("a thread"), "first_comment": _("a first comment")}
        return [_("%(channel)s: %(network)s does not take %(extra)s.")
                % {"channel": channel.name, "network": connector.label, "extra": names[extra]}
                for extra, capability in self.NEEDS
                if getattr(self, extra) and not getattr(connector.capabilities, capability)]


NO_EXTRAS = Extras()


def poll_problems(poll: Poll) -> list[Problem]:
    low, high = POLL_OPTIONS
    problems = []
    if not poll.question:
        problems.append(Problem("poll", _("The poll needs a question.")))
    if not low <= len(poll.options) <= high:
        problems.append(Problem("poll", _("A poll has %(low)d to %(high)d options.") % {"low": low, "high": high}))
    if any(not option for option in poll.options):
        problems.append(Problem("poll", _("A poll option is empty.")))
    return problems


def extras_problems(channel: Channel, extras: Extras) -> list[Problem]:
    """Extras the network lacks, then each thread part and the first comment measured as the channel counts."""
    connector = channel.connector
    problems = [Problem("unsupported", message) for message in extras.unsupported(channel)]
    for number, part in enumerate(extras.thread, start=2):  # the post itself is part 1
        problems += [Problem(p.code, _("part %(n)d: %(problem)s") % {"n": number, "problem": p.message})
                     for p in connector.measure_text(part).problems]
    if extras.first_comment:
        problems += [Problem(p.code, _("first comment: %(problem)s") % {"problem": p.message})
                     for p in connector.measure_text(extras.first_comment).problems]
    return problems


def media_facts(assets) -> list[MediaFacts]:
    return [MediaFacts(a.mime, a.size, a.width, a.height, a.original_name, a.seconds) for a in assets]


def publication_of(variant: Variant) -> Publication:
    assets = list(variant.media.order_by("variantmedia__position"))
    extras = Extras.of_variant(variant)
    return Publication(text=variant.effective_text, media=media_facts(assets),
                       media_paths=[a.file.path for a in assets], poll=extras.as_poll, thread=extras.thread,
                       first_comment=extras.first_comment)


def plain_lines(text: str) -> str:
    """Browsers send a textarea's line breaks as CRLF; every network counts a break as one character."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_text(channel: Channel, text: str, media: list[MediaAsset] = (), extras: Extras = NO_EXTRAS) -> VariantCheck:
    """Live validation for the composer and the scheduler: the length as the channel counts it (its network's rule,
    and its server's own limits where it has them, as a Mastodon instance does), and every problem."""
    connector = channel.connector
    text = plain_lines(text)
    # validate, not measure + media checks: a network may add its own rules (a caption limit under photos, a
    # Telegram poll's sizes); ours for a poll only speak when the network's own said nothing about it.
    problems = connector.validate_publication(Publication(text=text, media=media_facts(media), poll=extras.as_poll,
                                                          thread=extras.thread, first_comment=extras.first_comment))
    if extras.poll is not None and not any(p.code == "poll" for p in problems):
        problems += poll_problems(extras.as_poll)
    return VariantCheck(channel, connector.measure_text(text), problems + extras_problems(channel, extras))


def check_variant(variant: Variant) -> VariantCheck:
    return check_text(variant.channel, variant.effective_text, list(variant.media.all()), Extras.of_variant(variant))


def check_post(post: Post) -> list[VariantCheck]:
    return [check_variant(v) for v in post.variants.select_related("channel", "post")]


def _extras_by_channel(variant_extras: dict | None) -> dict[int, Extras]:
    return {int(k): Extras.of(v) for k, v in (variant_extras or {}).items()}


def check_draft(*, actor, workspace, text: str, channel_ids, variant_texts: dict | None = None,
                media_ids=(), variant_extras: dict | None = None) -> list[VariantCheck]:
    """The composer's validation for a text not saved yet: each channel's own text, measured by its network."""
    ensure_can(actor, "post.create", workspace)
    text = plain_lines(text)
    variant_texts = {int(k): plain_lines(v) for k, v in (variant_texts or {}).items()}
    extras = _extras_by_channel(variant_extras)
    assets = _workspace_media(workspace, media_ids)
    return [check_text(channel, variant_texts.get(channel.pk) or text, assets, extras.get(channel.pk, NO_EXTRAS))
            for channel in _workspace_channels(workspace, channel_ids)]


def _workspace_channels(workspace, channel_ids) -> list[Channel]:
    ids = {int(c) for c in channel_ids}
    channels = list(Channel.objects.filter(workspace=workspace, pk__in=ids))
    if len(channels) != len(ids):
        raise ValidationError(_("Unknown channel(s) for this workspace: %(ids)s")
                              % {"ids": ", ".join(str(i) for i in sorted(ids - {c.pk for c in channels}))})
    if not channels:
        raise ValidationError(_("Choose at least one channel."))
    return channels


def _workspace_media(workspace, media_ids) -> list[MediaAsset]:
    ids = [int(m) for m in media_ids]
    found = {m.pk: m for m in MediaAsset.objects.filter(workspace=workspace, pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError(_("Unknown media: %(ids)s") % {"ids": ", ".join(map(str, missing))})
    return [found[i] for i in ids]


def _set_variant_media(variant: Variant, assets: list[MediaAsset]) -> None:
    VariantMedia.objects.filter(variant=variant).delete()
    VariantMedia.objects.bulk_create(VariantMedia(variant=variant, asset=a, position=i) for i, a in enumerate(assets))


def write_post(*, actor, workspace, text: str, channel_ids, variant_texts: dict | None = None,
               media_ids=(), post: Post | None = None, variant_extras: dict | None = None) -> Post:
    """Create or rewrite a post and its variants. A post already on its way out cannot be rewritten.

    `variant_extras`: {channel id: {"poll", "thread", "first_comment"}}; an extra the channel's network does not
    have is refused, so nothing the person wrote disappears on the way out.
    """
    ensure_can(actor, "post.create", workspace)
    channels = _workspace_channels(workspace, channel_ids)
    assets = _workspace_media(workspace, media_ids)
    text = plain_lines(text)
    variant_texts = {int(k): plain_lines(v) for k, v in (variant_texts or {}).items()}
    extras = _extras_by_channel(variant_extras)
    if not text.strip() and not any(variant_texts.values()):
        raise ValidationError(_("Write some text first."))
    refused = [message for c in channels for message in extras.get(c.pk, NO_EXTRAS).unsupported(c)]
    if refused:
        raise ValidationError(refused)
    with transaction.atomic():
        if post is None:
            post = Post.objects.create(workspace=workspace, author=actor, text=text)
        else:
            _ensure_editable(post)
            post.text = text
            post.save()
        post.variants.exclude(channel__in=channels).delete()
        for channel in channels:
            variant, _created = Variant.objects.update_or_create(
                post=post, channel=channel,
                defaults={"text": variant_texts.get(channel.pk, ""), **extras.get(channel.pk, NO_EXTRAS).as_fields()})
            _set_variant_media(variant, assets)
    return post


def _ensure_editable(post: Post) -> None:
    # A job with a remote id is partly out (a thread missing parts): its first part is live, its text is fixed.
    busy = PublishJob.objects.filter(variant__post=post).filter(
        ~Q(status__in=[Status.SCHEDULED, Status.FAILED, Status.NEEDS_REVIEW]) | ~Q(remote_id=""))
    if busy.exists():
        raise ValidationError(_("This post is already going out or published; edit it on the network instead."))


def schedule_post(*, actor, post: Post, due_at: datetime) -> list[PublishJob]:
    """Put every variant on the outbox at `due_at` (UTC), in the same transaction as the post's state.

    Idempotent for the same (variant, channel): scheduling again moves a still-waiting job instead of adding one.
    """
    ensure_can(actor, "post.schedule", post.workspace)
    checks = check_post(post)
    if not checks:
        raise ValidationError(_("The post has no channels."))
    if any(not c.ok for c in checks):
        raise PostInvalid(checks)
    with transaction.atomic():
        jobs = [_put_on_outbox(variant, due_at) for variant in post.variants.select_related("channel")]
    _nudge_dispatcher_if_due(due_at)
    return jobs


def _put_on_outbox(variant: Variant, due_at: datetime) -> PublishJob:
    from chorus.publishing import states

    job, created = PublishJob.objects.get_or_create(
        variant=variant, defaults={"workspace_id": variant.post.workspace_id, "channel": variant.channel,
                                   "due_at": due_at, "not_before": due_at})
    if not created and job.remote_id and job.status in {Status.SCHEDULED, Status.FAILED, Status.NEEDS_REVIEW}:
        raise ValidationError(_("Part of the post on %(channel)s is already on the network; retry it or mark it as "
                                "posted instead.") % {"channel": variant.channel.name})
    if not created and not states.move(job.pk, {Status.SCHEDULED, Status.FAILED, Status.NEEDS_REVIEW},
                                       Status.SCHEDULED, due_at=due_at, not_before=due_at, last_error="",
                                       late_alerted_at=None):
        raise ValidationError(_("The post on %(channel)s is already going out and cannot be moved.")
                              % {"channel": variant.channel.name})
    job.refresh_from_db()
    return job


def create_and_schedule(*, actor, workspace, text: str, channel_ids, due_at: datetime, **extra) -> tuple[Post, list]:
    """One transaction: either the post and its jobs exist, or neither (the scheduling guarantee, step 1)."""
    with transaction.atomic():
        post = write_post(actor=actor, workspace=workspace, text=text, channel_ids=channel_ids, **extra)
        jobs = schedule_post(actor=actor, post=post, due_at=due_at)
    return post, jobs


def add_to_queue(*, actor, post: Post) -> list[PublishJob]:
    """Each variant takes its channel's next free queue slot."""
    ensure_can(actor, "post.schedule", post.workspace)
    jobs = []
    with transaction.atomic():
        for variant in post.variants.select_related("channel__workspace"):
            taken = set(PublishJob.objects.filter(channel=variant.channel).exclude(variant=variant)
                        .values_list("due_at", flat=True))
            jobs += schedule_variant(actor=actor, variant=variant, due_at=next_free_slot(variant.channel, taken))
    return jobs


def schedule_variant(*, actor, variant: Variant, due_at: datetime) -> list[PublishJob]:
    ensure_can(actor, "post.schedule", variant.post.workspace)
    check = check_variant(variant)
    if not check.ok:
        raise PostInvalid([check])
    with transaction.atomic():
        job = _put_on_outbox(variant, due_at)
    _nudge_dispatcher_if_due(due_at)
    return [job]


def unschedule_post(*, actor, post: Post) -> int:
    """Take waiting jobs off the outbox; ones already going out are left alone. Returns how many were removed."""
    ensure_can(actor, "post.schedule", post.workspace)
    # A waiting job with a remote id is partly out already: it stays, so its live part is not forgotten.
    deleted, _by_model = PublishJob.objects.filter(variant__post=post, status=Status.SCHEDULED, remote_id="").delete()
    return deleted


def unschedule_variant(*, actor, variant: Variant) -> int:
    """Take one channel's waiting job off the outbox; one already going out is left alone. Returns 1 or 0."""
    ensure_can(actor, "post.schedule", variant.post.workspace)
    deleted, _by_model = PublishJob.objects.filter(variant=variant, status=Status.SCHEDULED, remote_id="").delete()
    return deleted


def delete_post(*, actor, post: Post) -> None:
    ensure_can(actor, "post.delete", post.workspace)
    with transaction.atomic():
        _ensure_editable(post)
        post.delete()


def posts_of(actor, workspace):
    ensure_can(actor, "post.view", workspace)
    return (Post.objects.filter(workspace=workspace)
            .prefetch_related("variants__channel", "variants__job").order_by("-created_at"))


def post_for(actor, workspace, post_id, action: str = "post.view") -> Post:
    return workspace_object(actor, workspace, Post.objects, post_id, action, _("No such post in this workspace."))


def _nudge_dispatcher_if_due(due_at: datetime) -> None:
    if due_at <= timezone.now():
        from chorus.publishing.tasks import nudge_dispatcher

        transaction.on_commit(nudge_dispatcher)
