"""Edits and deletions of published posts, carried to the network by a worker (PUB-5).

The person's request moves the job to `editing` or `deleting` (one change at a time, by compare-and-swap) and
logs the attempt; a worker then claims the row and makes the one call. Neither call can duplicate a post:
an edit sent twice sets the same text, and a post already gone counts as deleted. So a change whose outcome
is unknown is handed back to the person to repeat, never retried behind their back.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.content.services import publication_of
from chorus.networks import errors
from chorus.publishing import ratelimits, states
from chorus.publishing.models import PublishAttempt, PublishJob, Status
from chorus.publishing.sender import block_for, finish

log = logging.getLogger(__name__)
Outcome = PublishAttempt.Outcome


def apply(job_id: int, worker: str) -> str:
    """Send a requested edit or deletion; returns the job's new status, or "skipped" if another took it."""
    job = PublishJob.objects.select_related("channel__workspace", "variant__post").filter(pk=job_id).first()
    if job is None or job.status not in states.CHANGING:
        return "skipped"
    lease = timezone.now() + timedelta(seconds=settings.CHORUS_SEND_LEASE)
    # A redelivered message or a second worker finds the row already claimed: only one call reaches the network.
    if not PublishJob.objects.filter(pk=job_id, status=job.status, claimed_by="").update(
            claimed_by=worker, lease_until=lease):
        return "skipped"
    attempt = job.attempts_log.filter(outcome=Outcome.IN_FLIGHT).exclude(
        action=PublishAttempt.Action.PUBLISH).last()
    PublishAttempt.objects.filter(pk=attempt.pk).update(worker=worker)
    deleting = job.status == Status.DELETING
    publication = None if deleting else publication_of(job.variant)
    try:
        blocked = ratelimits.blocked_until(job.channel, timezone.now())
        if blocked:
            raise errors.RateLimited(_("The channel is rate-limited."), blocked)
        if deleting:
            # Every part Chorus made goes with the post: a thread's replies, the first comment.
            job.channel.connector.delete(job.remote_id, parts=tuple(job.parts_out))
        else:
            job.channel.connector.edit(job.remote_id, publication)
    except errors.RemoteNotFound as exc:
        if deleting:
            return _deleted(job, attempt, _("The post was already gone from the network."))
        return _unchanged(job, attempt, Outcome.FAILED,
                          _("The post is no longer on the network: %(reason)s") % {"reason": exc.reason})
    except errors.RateLimited as exc:
        block_for(job, exc)
        # Not RATE_LIMITED ("will retry"): a change is repeated by the person, never behind their back.
        return _unchanged(job, attempt, Outcome.FAILED, _("%(reason)s Try again after %(at)s UTC.")
                          % {"reason": exc.reason, "at": exc.retry_at.strftime("%H:%M:%S")})
    except errors.AmbiguousOutcome as exc:
        return _unchanged(job, attempt, Outcome.UNKNOWN, _maybe_reached(exc.reason))
    except errors.NetworkError as exc:
        return _unchanged(job, attempt, Outcome.FAILED, exc.reason)
    except Exception as exc:  # a bug or a crash inside the call: the network may have the change or not
        log.exception("changing published job %s raised", job_id)
        return _unchanged(job, attempt, Outcome.UNKNOWN, _maybe_reached(f"{type(exc).__name__}: {exc}"))
    if deleting:
        return _deleted(job, attempt, "")
    finish(attempt, Outcome.EDITED)
    states.move(job_id, Status.EDITING, Status.PUBLISHED, sent_text=publication.text, claimed_by="",
                lease_until=None, last_error="")
    return Status.PUBLISHED


def _maybe_reached(reason: str) -> str:
    return _("%(reason)s The network may or may not have the change; doing it again is safe.") % {"reason": reason}


def _deleted(job: PublishJob, attempt: PublishAttempt, reason: str) -> str:
    finish(attempt, Outcome.DELETED, reason)
    # The reconciler may have handed a slow deletion back meanwhile; the network's answer settles it.
    states.move(job.pk, {Status.DELETING, Status.PUBLISHED}, Status.DELETED, deleted_at=timezone.now(),
                deleted_by_id=attempt.requested_by_id, claimed_by="", lease_until=None, last_error="")
    return Status.DELETED


def _unchanged(job: PublishJob, attempt: PublishAttempt, outcome: str, reason: str) -> str:
    """The post stays as the network had it; the reason is shown on the post's page."""
    finish(attempt, outcome, reason)
    states.move(job.pk, job.status, Status.PUBLISHED, claimed_by="", lease_until=None, last_error=reason[:2000])
    return Status.PUBLISHED


def return_stale(now: datetime) -> int:
    """A change no worker picked up, or whose worker vanished mid-call, goes back to the person to repeat."""
    returned = 0
    for job in PublishJob.objects.filter(status__in=states.CHANGING, lease_until__lt=now):
        if job.claimed_by:
            outcome, reason = Outcome.UNKNOWN, _maybe_reached(_("The worker stopped during the change."))
        else:
            outcome, reason = Outcome.FAILED, _("No worker picked the change up in time; nothing was sent. "
                                                "Try again.")
        if states.move(job.pk, job.status, Status.PUBLISHED, claimed_by="", lease_until=None, last_error=reason):
            job.attempts_log.filter(outcome=Outcome.IN_FLIGHT).exclude(action=PublishAttempt.Action.PUBLISH).update(
                outcome=outcome, reason=reason, finished_at=now)
            returned += 1
    return returned
