"""Labels on every inbox item (COMM-2): the offline classifier's confidences, and a person's corrections on top.

`item.labels` holds every confidence (what rules test); an `ItemLabel` row exists for each label that is likely
(what the list shows and filters). A correction pins a label to yes or no: relabelling keeps it, and
`chorus classify retrain` teaches the workspace's own model from the corrections.
"""

import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.classify.corpus import BINARY_TASKS as LABELS
from chorus.classify.corpus import SENTIMENTS, Example
from chorus.inbox.models import LABEL_TITLES, InboxItem, ItemLabel, LabelCorrection
from chorus.workspaces.services import ensure_can

SHOWN = ("negative", "positive", *LABELS)  # neutral is the absence of a mood, not a label worth a badge
LIKELY = 0.5
BATCH = 200


def unknown_label(name: str) -> ValidationError:
    return ValidationError(_("There is no label “%(name)s”. The labels are: %(labels)s.")
                           % {"name": name, "labels": ", ".join(str(title) for title in LABEL_TITLES.values())})


def label_code(name: str) -> str:
    """A label as a person typed it (its code, or its title in the reader's language) as the code rules keep."""
    wanted = name.strip().lower()
    for code, title in LABEL_TITLES.items():
        if wanted in (code, str(title).lower()):
            return code
    raise unknown_label(name.strip())


def label_items(items: list[InboxItem], rescoring: bool = False) -> None:
    """Label the items (new, or edited since they were labelled) with their workspace's model, or with the
    slower re-scorer."""
    for workspace_id in {item.workspace_id for item in items}:
        theirs = [item for item in items if item.workspace_id == workspace_id]
        for start in range(0, len(theirs), BATCH):
            _label_batch(theirs[start:start + BATCH], rescoring)


def label_pending(channel, limit: int = 2000) -> int:
    """Label what arrived or changed on the channel since it was last labelled, newest first, at most `limit`
    in one turn (after a retrain the rest follow in the next turns); returns how many."""
    pending = list(InboxItem.objects.filter(channel=channel, labelled_at=None, from_page=False)
                   .select_related("workspace").order_by("-written_at")[:limit])
    label_items(pending)
    return len(pending)


def _label_batch(items: list[InboxItem], rescoring: bool = False) -> None:
    # scikit-learn (and the re-scorer's encoder) load with the first item, not with the pages.
    from chorus.classify.labeller import is_uncertain, label_texts, rescore

    workspace = items[0].workspace
    verdicts = (rescore if rescoring else label_texts)(
        [item.text for item in items], [workspace.language] * len(items), workspace_slug=workspace.slug)
    corrections = _corrections_of(items)
    now = timezone.now()
    # An edit that arrived while the re-scorer worked sent the item back to the fast path: its labels would be
    # stale, so the re-scorer writes only over what it read.
    still_as_read = {"rescore_pending": True, "labelled_at__isnull": False} if rescoring else {}
    written = []
    with transaction.atomic():
        for item, verdict in zip(items, verdicts, strict=True):
            found = verdict.as_dict()
            confidences = {**found["sentiment"], **{name: found[name] for name in LABELS}}
            sentiment = max(SENTIMENTS, key=found["sentiment"].get)
            item.language, item.sentiment, item.labels, item.labelled_at = found["lang"], sentiment, confidences, now
            item.rescore_pending = not rescoring and is_uncertain(verdict)
            _apply_corrections(item, corrections.get(item.pk, {}))
            if InboxItem.objects.filter(pk=item.pk, text=item.text, **still_as_read).update(
                    language=item.language, sentiment=item.sentiment, labels=item.labels, labelled_at=now,
                    rescore_pending=item.rescore_pending):
                written.append(item)
        _replace_label_rows({item: corrections.get(item.pk, {}) for item in written})


def rescore_uncertain(limit: int = 100, budget_seconds: float = 20.0) -> int:
    """The background pass, every minute: items whose fast labels were unsure get the re-scorer's (about 30 ms
    each), newest first, `limit` at a time until none is left or the pass has used its budget: about six
    hundred items a minute on one of the worker's threads, and a third of a core at most, so publishing and the
    web pages keep theirs. Rules have already run on the fast labels when the item arrived; a person's
    corrections still win."""
    started, seen, slowest = time.monotonic(), set(), 0.0
    while not seen or time.monotonic() - started + slowest <= budget_seconds:  # the next batch fits, or none ran
        batch_started = time.monotonic()
        pending = list(InboxItem.objects.filter(rescore_pending=True, labelled_at__isnull=False)
                       .exclude(pk__in=seen).select_related("workspace").order_by("-written_at")[:limit])
        label_items(pending, rescoring=True)
        seen.update(item.pk for item in pending)  # an item edited meanwhile is not taken twice in one pass
        slowest = max(slowest, time.monotonic() - batch_started)
        if len(pending) < limit:
            break
    return len(seen)


def _corrections_of(items: list[InboxItem]) -> dict[int, dict[str, LabelCorrection]]:
    found: dict[int, dict[str, LabelCorrection]] = {}
    for correction in LabelCorrection.objects.filter(item__in=items):
        found.setdefault(correction.item_id, {})[correction.name] = correction
    return found


def _apply_corrections(item: InboxItem, corrections: dict[str, LabelCorrection]) -> None:
    """A person's verdict is certain: confidence 1 or 0, so rules and filters follow the person."""
    for name, correction in corrections.items():
        if name == "sentiment":
            item.sentiment = correction.value
            item.labels.update({mood: float(mood == correction.value) for mood in SENTIMENTS})
        else:
            item.labels[name] = 1.0 if correction.value == "yes" else 0.0


def _replace_label_rows(corrections_by_item: dict[InboxItem, dict[str, LabelCorrection]]) -> None:
    """The rows follow `item.labels`: two queries for a whole batch, not one per label."""
    rows = []
    for item, corrections in corrections_by_item.items():
        for name in SHOWN:
            if item.labels.get(name, 0.0) >= LIKELY:
                person = corrections.get(name) or corrections.get("sentiment" if name in SENTIMENTS else "")
                rows.append(ItemLabel(item=item, name=name, confidence=round(item.labels[name], 3),
                                      corrected_by=person.corrected_by if person else None))
    ItemLabel.objects.filter(item__in=list(corrections_by_item)).delete()
    ItemLabel.objects.bulk_create(rows)


def correct_label(*, actor, item: InboxItem, name: str, value: str) -> LabelCorrection:
    """One click of a moderator: "this is spam" / "this is not a question" / "this reads positive"."""
    ensure_can(actor, "inbox.moderate", item.workspace)
    if name == "sentiment":
        if value not in SENTIMENTS:
            raise ValidationError(_("Sentiment is one of: %(values)s.") % {"values": ", ".join(SENTIMENTS)})
    elif name in LABELS:
        if value not in ("yes", "no"):
            raise ValidationError(_("A label is corrected with yes or no."))
    else:
        raise ValidationError(_("Labels are: %(names)s, and sentiment.") % {"names": ", ".join(LABELS)})
    with transaction.atomic():
        correction, _created = LabelCorrection.objects.update_or_create(
            item=item, name=name, defaults={"value": value, "corrected_by": actor})
        corrections = {c.name: c for c in item.corrections.select_related("corrected_by")}
        _apply_corrections(item, corrections)
        InboxItem.objects.filter(pk=item.pk).update(sentiment=item.sentiment, labels=item.labels)
        _replace_label_rows({item: corrections})
    return correction


def corrected_examples(workspace) -> list[Example]:
    """The workspace's corrections as training examples, one per item with every verdict a person gave it."""
    by_item: dict[int, Example] = {}
    for correction in (LabelCorrection.objects.filter(item__workspace=workspace).select_related("item")
                       .order_by("item_id", "name")):
        item = correction.item
        value = correction.value if correction.name == "sentiment" else float(correction.value == "yes")
        known = by_item.get(item.pk)
        labels = {**(known.labels if known else {}), correction.name: value}
        by_item[item.pk] = Example(text=item.text, lang=item.language or workspace.language, labels=labels)
    return list(by_item.values())


def retrain_workspace(*, actor, workspace, extra: list[Example] = ()) -> dict:
    """Teach the workspace's own model its people's corrections (and `extra` ones from a file); its items are
    then labelled again, a channel's worth per ingestion turn. Corrections stay pinned whatever the model says."""
    from chorus.classify.labeller import retrain

    ensure_can(actor, "inbox.moderate", workspace)
    examples = [*corrected_examples(workspace), *extra]
    if not examples:
        raise ValidationError(_("There are no corrections to learn from yet: correct a few labels in the inbox."))
    path = retrain(workspace.slug, examples)
    relabelled = InboxItem.objects.filter(workspace=workspace, from_page=False).update(labelled_at=None)
    return {"workspace": workspace.slug, "corrections": len(examples), "relabelled": relabelled, "path": str(path)}


def label_board(item: InboxItem) -> list[dict]:
    """Each label as the item page shows it: confidence, whether it is likely, and a person's verdict if any."""
    verdicts = {c.name: c.value for c in item.corrections.all()}
    return [{"name": name, "title": LABEL_TITLES[name], "confidence": item.labels.get(name),
             "likely": item.labels.get(name, 0) >= LIKELY, "corrected": name in verdicts} for name in LABELS]


def sentiment_choices() -> list[tuple[str, str]]:
    return [(mood, LABEL_TITLES[mood]) for mood in SENTIMENTS]
