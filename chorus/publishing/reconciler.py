"""Step 4 of the guarantee: return lost claims, expose crashed sends, and settle `unknown` by asking the network."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.content.services import publication_of
from chorus.networks import errors
from chorus.notifications.models import Notification
from chorus.notifications.services import notify
from chorus.publishing import changes, states
from chorus.publishing.models import PublishAttempt, PublishJob, Status
from chorus.publishing.sender import finish, job_link

log = logging.getLogger(__name__)
Outcome = PublishAttempt.Outcome


def reconcile(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    return {
        "returned": return_lost_claims(now),
        "crashed": expose_crashed_sends(now),
        "changes_returned": changes.return_stale(now),
        **settle_unknown(now),
    }


def return_lost_claims(now: datetime) -> int:
    """A claim whose message never ran (lost by the broker, worker killed before sending): nothing was sent."""
    ids = PublishJob.objects.filter(status=Status.CLAIMED, lease_until__lt=now).values_list("pk", flat=True)
    return sum(states.move(i, Status.CLAIMED, Status.SCHEDULED, claimed_by="", lease_until=None) for i in list(ids))


def expose_crashed_sends(now: datetime) -> int:
    """A send whose worker vanished mid-call may or may not have reached the network."""
    moved = 0
    stale = PublishJob.objects.filter(status=Status.SENDING, lease_until__lt=now).values_list("pk", flat=True)
    for job_id in list(stale):
        reason = _("The worker stopped while sending; the network may or may not have the post.")
        if states.move(job_id, Status.SENDING, Status.UNKNOWN, last_error=reason, lease_until=None):
            PublishAttempt.objects.filter(job_id=job_id, outcome=Outcome.IN_FLIGHT).update(
                outcome=Outcome.UNKNOWN, reason=reason, finished_at=now)
            moved += 1
    return moved


def settle_unknown(now: datetime) -> dict[str, int]:
    counts = {"found": 0, "needs_review": 0, "going_on": 0}
    for job in PublishJob.objects.filter(status=Status.UNKNOWN).select_related("channel__workspace", "variant__post"):
        outcome = settle_one(job, now)
        if outcome:
            counts[outcome] += 1
    return counts


def settle_one(job: PublishJob, now: datetime) -> str | None:
    if job.parts_out:
        return _settle_going_on(job, now)
    last = job.attempts_log.order_by("-started_at").first()
    since = last.started_at if last else job.due_at
    connector = job.channel.connector
    grace_over = now - since > timedelta(seconds=settings.CHORUS_UNKNOWN_GRACE)
    found = None
    publication = publication_of(job.variant)
    text = publication.text
    if connector.capabilities.find_published:
        try:
            found = connector.find_published(job.idempotency_key, text, since)
        except errors.NetworkError as exc:
            log.info("could not read back job %s yet: %s", job.pk, exc.reason)
            if not grace_over:
                return None
    if found is not None and connector.part_count(publication) > 1:
        return _first_part_found(job, now, found, connector.part_count(publication))
    if found is not None:
        if states.move(job.pk, Status.UNKNOWN, Status.PUBLISHED, remote_id=found.remote_id, remote_url=found.url,
                       published_at=found.published_at, sent_text=text, last_error=""):
            _log(job, now, Outcome.FOUND, _("Found on the network: %(url)s") % {"url": found.url})
            return "found"
        return None
    if not grace_over and connector.capabilities.find_published:
        return None  # the network may not show it yet; look again next round
    reason = _("Not found on the network after the send was interrupted. Retry it, or mark it as posted "
               "if you see it there.")
    if states.move(job.pk, Status.UNKNOWN, Status.NEEDS_REVIEW, last_error=reason):
        _log(job, now, Outcome.NOT_FOUND, reason)
        notify(job.workspace, Notification.Kind.PUBLICATION_UNKNOWN,
               _("A post to %(channel)s needs your decision: %(reason)s") % {"channel": job.channel.name,
                                                                             "reason": reason},
               link=job_link(job))
        return "needs_review"
    return None


def _first_part_found(job: PublishJob, now: datetime, found, total: int) -> str | None:
    """The first part of a post of several is on the network; what came after it is not known to be. Found is not
    whole: the rest goes on under its parts' keys where the network has them, else a person decides."""
    live = {"remote_id": found.remote_id, "remote_url": found.url, "published_at": found.published_at,
            "parts_out": [found.remote_id], "sent_text": publication_of(job.variant).text}
    reason = _("Part 1 of %(total)d was found on the network after the send was interrupted; the parts after it "
               "may not have gone out.") % {"total": total}
    _log(job, now, Outcome.FOUND, _("Found on the network: %(url)s") % {"url": found.url})
    return _go_on_or_ask(job, now, reason, next_part=2, **live)


def _settle_going_on(job: PublishJob, now: datetime) -> str | None:
    """A send that went on from parts already out was cut off (the worker stopped, or the call raised): the parts
    recorded are out, the ones after them may or may not be."""
    total = job.channel.connector_class.part_count(publication_of(job.variant))
    reason = _("Parts on the network: %(out)d of %(total)d; the send of the rest was interrupted.") % {
        "out": len(job.parts_out), "total": total}
    return _go_on_or_ask(job, now, reason, next_part=len(job.parts_out) + 1)


def _go_on_or_ask(job: PublishJob, now: datetime, reason: str, next_part: int, **live) -> str | None:
    connector = job.channel.connector_class
    if connector.capabilities.resumable_parts and job.attempts < settings.CHORUS_MAX_ATTEMPTS:
        # Every part has its own key (and Mastodon's connector looks for a part before sending it again).
        reason += " " + _("The rest goes out by itself now; each part has its own key, so none can go out twice.")
        if states.move(job.pk, Status.UNKNOWN, Status.SCHEDULED, not_before=now, claimed_by="", lease_until=None,
                       last_error=reason, **live):
            from chorus.publishing.tasks import nudge_dispatcher

            nudge_dispatcher()
            return "going_on"
        return None
    reason += " " + _("Look at the post on %(network)s: Retry sends what is missing, from part %(n)d on; Mark as "
                      "posted keeps the post as it is.") % {"network": connector.label, "n": next_part}
    if states.move(job.pk, Status.UNKNOWN, Status.NEEDS_REVIEW, last_error=reason, **live):
        _log(job, now, Outcome.PARTIAL, reason)
        notify(job.workspace, Notification.Kind.PUBLICATION_UNKNOWN,
               _("A post to %(channel)s needs your decision: %(reason)s") % {"channel": job.channel.name,
                                                                             "reason": reason},
               link=job_link(job))
        return "needs_review"
    return None


def _log(job: PublishJob, now: datetime, outcome: str, reason: str) -> None:
    attempt = PublishAttempt.objects.create(job=job, number=job.attempts, worker="reconciler", started_at=now)
    finish(attempt, outcome, reason)
