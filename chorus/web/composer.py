"""The composer's form: read what the person wrote, check it live per channel, and do what they asked.

Whatever goes wrong, the form comes back with everything they typed: nothing written is ever lost.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.content.services import Extras, add_to_queue, check_text, create_and_schedule, write_post
from chorus.workspaces.timezones import local_to_utc, to_local

INTENTS = ("schedule", "queue", "draft", "now")


@dataclass
class Draft:
    text: str = ""
    channel_ids: list[int] = field(default_factory=list)
    variant_texts: dict[int, str] = field(default_factory=dict)
    media_ids: list[int] = field(default_factory=list)
    when: str = ""  # wall-clock time in the workspace's zone, as the datetime-local input sends it
    variant_extras: dict[int, dict] = field(default_factory=dict)  # {"poll", "thread", "first_comment"} per channel

    @classmethod
    def from_form(cls, form) -> "Draft":
        channel_ids = ids_of(form.getlist("channels"))
        return cls(text=form.get("text", ""), channel_ids=channel_ids,
                   variant_texts={pk: form.get(f"variant-{pk}", "") for pk in channel_ids
                                  if form.get(f"variant-{pk}", "").strip()},
                   media_ids=ids_of(form.getlist("media")), when=form.get("when", ""),
                   variant_extras={pk: extras_from_form(form, pk) for pk in channel_ids})

    @classmethod
    def from_post(cls, post) -> "Draft":
        variants = list(post.variants.select_related("channel").prefetch_related("media"))
        jobs = [v.job for v in variants if hasattr(v, "job")]
        first_due = min((j.due_at for j in jobs), default=None)
        return cls(text=post.text, channel_ids=[v.channel_id for v in variants],
                   variant_texts={v.channel_id: v.text for v in variants if v.text},
                   variant_extras={v.channel_id: Extras.of_variant(v).as_fields() for v in variants},
                   media_ids=[m.pk for m in variants[0].media.order_by("variantmedia__position")] if variants else [],
                   when=to_local(first_due, post.workspace.timezone).strftime("%Y-%m-%dT%H:%M") if first_due else "")

    @classmethod
    def from_variant(cls, variant) -> "Draft":
        """One channel's text, media and extras as a new post: publishing again what was deleted from a network
        that cannot edit."""
        return cls(text=variant.effective_text, channel_ids=[variant.channel_id],
                   variant_extras={variant.channel_id: Extras.of_variant(variant).as_fields()},
                   media_ids=[m.pk for m in variant.media.order_by("variantmedia__position")])

    def text_for(self, channel) -> str:
        return self.variant_texts.get(channel.pk) or self.text

    def extras_for(self, channel) -> Extras:
        return Extras.of(self.variant_extras.get(channel.pk))


def extras_from_form(form, pk: int) -> dict:
    """A channel's optional sections; the ones its network lacks are not on the page, so they come back empty."""
    closes = form.get(f"poll-closes-{pk}", "")
    return {"poll": {"question": form.get(f"poll-question-{pk}", ""),
                     "options": [line for line in form.get(f"poll-options-{pk}", "").splitlines() if line.strip()],
                     "multiple": bool(form.get(f"poll-multiple-{pk}")),
                     "closes_in_seconds": int(closes) if closes.isdigit() else None},
            "thread": [part for part in form.getlist(f"thread-{pk}") if part.strip()],
            "first_comment": form.get(f"first-comment-{pk}", "")}


def ids_of(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


@dataclass(frozen=True)
class ChannelRow:
    """One channel in the composer's list: chosen or not, its own text, and the sections its network has."""

    channel: object
    chosen: bool
    variant: str
    errors: list[str]
    extras: Extras

    @property
    def capabilities(self):
        return self.channel.connector_class.capabilities

    @property
    def poll_options(self) -> str:
        return "\n".join(self.extras.poll["options"]) if self.extras.poll else ""


def channel_rows(draft: Draft, channels, channel_errors: dict | None = None) -> list[ChannelRow]:
    return [ChannelRow(c, c.pk in draft.channel_ids, draft.variant_texts.get(c.pk, ""),
                       (channel_errors or {}).get(c.pk, []), draft.extras_for(c)) for c in channels]


@dataclass(frozen=True)
class ChannelPreview:
    """One chosen channel as the composer shows it: the check and the text cut where the feed cuts it."""

    check: object
    shown: str
    folded: str
    extras: Extras


def previews(draft: Draft, channels, media) -> list[ChannelPreview]:
    chosen_media = [m for m in media if m.pk in draft.media_ids]
    result = []
    for channel in channels:
        if channel.pk not in draft.channel_ids:
            continue
        text, extras = draft.text_for(channel), draft.extras_for(channel)
        check = check_text(channel, text, chosen_media, extras)
        fold = check.measure.preview_fold
        result.append(ChannelPreview(check, text[:fold] if fold else text, text[fold:] if fold else "", extras))
    return result


def due_at_from(when: str, workspace) -> tuple[datetime, list[str]]:
    if not when:
        raise ValidationError(_("Choose the date and time to publish."))
    try:
        naive = datetime.fromisoformat(when)
    except ValueError as exc:
        raise ValidationError(_("Cannot read the time %(value)s.") % {"value": when}) from exc
    return local_to_utc(naive.replace(tzinfo=None), workspace.timezone)


def submit(*, actor, workspace, draft: Draft, intent: str, post=None):
    """Do what the pressed button asks; returns the post and any warnings. All or nothing."""
    if intent not in INTENTS:
        raise ValidationError(_("Unknown action."))
    fields = {"actor": actor, "workspace": workspace, "text": draft.text, "channel_ids": draft.channel_ids,
              "variant_texts": draft.variant_texts, "variant_extras": draft.variant_extras,
              "media_ids": draft.media_ids, "post": post}
    warnings = []
    with transaction.atomic():
        if intent in ("schedule", "now"):
            due_at, warnings = (timezone.now(), []) if intent == "now" else due_at_from(draft.when, workspace)
            post, _jobs = create_and_schedule(**fields, due_at=due_at)
        else:
            post = write_post(**fields)
            if intent == "queue":
                add_to_queue(actor=actor, post=post)
    return post, warnings
