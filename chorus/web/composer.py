"""The composer's form: read what the person wrote, check it live per channel, and do what they asked.

Whatever goes wrong, the form comes back with everything they typed: nothing written is ever lost.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.content.services import add_to_queue, check_text, create_and_schedule, write_post
from chorus.workspaces.timezones import local_to_utc, to_local

INTENTS = ("schedule", "queue", "draft", "now")


@dataclass
class Draft:
    text: str = ""
    channel_ids: list[int] = field(default_factory=list)
    variant_texts: dict[int, str] = field(default_factory=dict)
    media_ids: list[int] = field(default_factory=list)
    when: str = ""  # wall-clock time in the workspace's zone, as the datetime-local input sends it

    @classmethod
    def from_form(cls, form) -> "Draft":
        channel_ids = ids_of(form.getlist("channels"))
        return cls(text=form.get("text", ""), channel_ids=channel_ids,
                   variant_texts={pk: form.get(f"variant-{pk}", "") for pk in channel_ids
                                  if form.get(f"variant-{pk}", "").strip()},
                   media_ids=ids_of(form.getlist("media")), when=form.get("when", ""))

    @classmethod
    def from_post(cls, post) -> "Draft":
        variants = list(post.variants.select_related("channel").prefetch_related("media"))
        jobs = [v.job for v in variants if hasattr(v, "job")]
        first_due = min((j.due_at for j in jobs), default=None)
        return cls(text=post.text, channel_ids=[v.channel_id for v in variants],
                   variant_texts={v.channel_id: v.text for v in variants if v.text},
                   media_ids=[m.pk for m in variants[0].media.order_by("variantmedia__position")] if variants else [],
                   when=to_local(first_due, post.workspace.timezone).strftime("%Y-%m-%dT%H:%M") if first_due else "")

    def text_for(self, channel) -> str:
        return self.variant_texts.get(channel.pk) or self.text


def ids_of(values) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


@dataclass(frozen=True)
class ChannelPreview:
    """One chosen channel as the composer shows it: the check and the text cut where the feed cuts it."""

    check: object
    shown: str
    folded: str


def previews(draft: Draft, channels, media) -> list[ChannelPreview]:
    chosen_media = [m for m in media if m.pk in draft.media_ids]
    result = []
    for channel in channels:
        if channel.pk not in draft.channel_ids:
            continue
        text = draft.text_for(channel)
        check = check_text(channel, text, chosen_media)
        fold = check.measure.preview_fold
        result.append(ChannelPreview(check, text[:fold] if fold else text, text[fold:] if fold else ""))
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
              "variant_texts": draft.variant_texts, "media_ids": draft.media_ids, "post": post}
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
