"""Sends one claimed job to its network (step 3 of the publishing guarantee).

The attempt is committed before the network call; only a definite failure goes back to the outbox;
anything that may have reached the network becomes `unknown` and is never retried blindly.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.content.services import publication_of
from chorus.networks import errors
from chorus.notifications.models import Notification
from chorus.notifications.services import notify
from chorus.publishing import ratelimits, states
from chorus.publishing.models import PublishAttempt, PublishJob, Status

log = logging.getLogger(__name__)
Outcome = PublishAttempt.Outcome


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 900))


def send(job_id: int, worker: str) -> str:
    """Publish a claimed job; returns the job's new status, or "skipped" if this delivery was a duplicate."""
    job = PublishJob.objects.select_related("channel__workspace", "variant__post").filter(pk=job_id).first()
    if job is None or job.status != Status.CLAIMED:
        return "skipped"
    now = timezone.now()
    blocked = ratelimits.blocked_until(job.channel, now)
    if blocked:
        states.move(job_id, Status.CLAIMED, Status.SCHEDULED, not_before=blocked, claimed_by="", lease_until=None)
        return Status.SCHEDULED
    lease = now + timedelta(seconds=settings.CHORUS_SEND_LEASE)
    if not states.move(job_id, Status.CLAIMED, Status.SENDING, claimed_by=worker, lease_until=lease):
        return "skipped"  # the broker delivered the message twice, or the claim expired and was re-queued
    job.refresh_from_db()
    attempt = PublishAttempt.objects.create(job=job, number=job.attempts, worker=worker, started_at=now)
    publication = publication_of(job.variant)
    try:
        remote = job.channel.connector.publish(publication, job.idempotency_key)
    except errors.AmbiguousOutcome as exc:
        return _unknown(job, attempt, exc.reason)
    except errors.RateLimited as exc:
        return _rate_limited(job, attempt, exc)
    except errors.NetworkError as exc:
        return _definite_failure(job, attempt, exc)
    except Exception as exc:  # a bug or a crash inside the call: we cannot know whether it was sent
        log.exception("publishing job %s raised", job_id)
        return _unknown(job, attempt, f"{type(exc).__name__}: {exc}")
    finish(attempt, Outcome.PUBLISHED, remote.url)
    # The reconciler may have marked a slow send `unknown` meanwhile; the network's answer settles it.
    states.move(job_id, {Status.SENDING, Status.UNKNOWN}, Status.PUBLISHED, remote_id=remote.remote_id,
                remote_url=remote.url, published_at=remote.published_at, sent_text=publication.text, lease_until=None,
                last_error="")
    return Status.PUBLISHED


def finish(attempt: PublishAttempt, outcome: str, reason: str = "") -> None:
    PublishAttempt.objects.filter(pk=attempt.pk).update(outcome=outcome, reason=reason[:2000],
                                                        finished_at=timezone.now())


def _unknown(job: PublishJob, attempt: PublishAttempt, reason: str) -> str:
    finish(attempt, Outcome.UNKNOWN, reason)
    states.move(job.pk, Status.SENDING, Status.UNKNOWN, last_error=reason, lease_until=None)
    return Status.UNKNOWN


def _rate_limited(job: PublishJob, attempt: PublishAttempt, exc: errors.RateLimited) -> str:
    key = ratelimits.app_key(job.channel.network) if exc.scope == "app" else ratelimits.channel_key(job.channel)
    ratelimits.block(key, exc.retry_at, exc.reason)
    finish(attempt, Outcome.RATE_LIMITED, _("%(reason)s; next try at %(at)s UTC")
           % {"reason": exc.reason, "at": exc.retry_at.strftime("%H:%M:%S")})
    states.move(job.pk, Status.SENDING, Status.SCHEDULED, not_before=exc.retry_at, last_error=exc.reason,
                claimed_by="", lease_until=None)
    return Status.SCHEDULED


def _definite_failure(job: PublishJob, attempt: PublishAttempt, exc: errors.NetworkError) -> str:
    if exc.retryable and job.attempts < settings.CHORUS_MAX_ATTEMPTS:
        retry_at = timezone.now() + backoff(job.attempts)
        finish(attempt, Outcome.RETRY, exc.reason)
        states.move(job.pk, Status.SENDING, Status.SCHEDULED, not_before=retry_at, last_error=exc.reason,
                    claimed_by="", lease_until=None)
        return Status.SCHEDULED
    if isinstance(exc, errors.AuthExpired):
        from chorus.channels.models import Channel

        Channel.objects.filter(pk=job.channel_id).update(health=Channel.Health.BROKEN, health_message=exc.reason)
    finish(attempt, Outcome.FAILED, exc.reason)
    if states.move(job.pk, Status.SENDING, Status.FAILED, last_error=exc.reason, lease_until=None):
        notify(job.workspace, Notification.Kind.PUBLICATION_FAILED,
               _("A post to %(channel)s failed: %(reason)s") % {"channel": job.channel.name, "reason": exc.reason},
               link=job_link(job))
    return Status.FAILED


def job_link(job: PublishJob) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("post-detail", args=[job.channel.workspace.slug, job.variant.post_id])
    except NoReverseMatch:
        return ""
