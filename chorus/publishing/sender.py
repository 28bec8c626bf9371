"""Sends one claimed job to its network (step 3 of the publishing guarantee).

The attempt is committed before the network call; only a definite failure goes back to the outbox;
anything that may have reached the network becomes `unknown` and is never retried blindly.
A post of several parts whose first part is out but a later one is not is recorded as live and kept incomplete:
the rest goes on by itself where every part has its own key, otherwise a person decides (`_partial`).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.content.services import publication_of
from chorus.networks import errors
from chorus.networks.base import RemotePost
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
    connector = job.channel.connector
    already = tuple(job.parts_out)  # a post partly out goes on after its parts on the network, never from the start
    try:
        if already:
            remote = connector.publish(publication, job.idempotency_key, already=already)
        else:
            remote = connector.publish(publication, job.idempotency_key)
    except errors.PartialPublication as exc:
        return _partial(job, attempt, publication, exc)
    except errors.NetworkError as exc:
        if already:  # nothing more went out: the post stays as it was, still missing the same parts
            return _partial(job, attempt, publication, errors.PartialPublication(
                RemotePost(job.remote_id, job.remote_url, job.published_at or now), already,
                connector.part_count(publication), exc))
        if isinstance(exc, errors.AmbiguousOutcome):
            return _unknown(job, attempt, exc.reason)
        if isinstance(exc, errors.RateLimited):
            return _rate_limited(job, attempt, exc)
        return _definite_failure(job, attempt, exc)
    except Exception as exc:  # a bug or a crash inside the call: we cannot know whether it was sent
        log.exception("publishing job %s raised", job_id)
        return _unknown(job, attempt, f"{type(exc).__name__}: {exc}")
    finish(attempt, Outcome.PUBLISHED, remote.url)
    # The reconciler may have marked a slow send `unknown` meanwhile; the network's answer settles it. A post that
    # went on from parts sent earlier keeps the link and time of its first part.
    states.move(job_id, {Status.SENDING, Status.UNKNOWN}, Status.PUBLISHED, remote_id=remote.remote_id,
                remote_url=job.remote_url or remote.url, published_at=job.published_at or remote.published_at,
                parts_out=list(remote.parts), sent_text=publication.text, lease_until=None, last_error="")
    return Status.PUBLISHED


def finish(attempt: PublishAttempt, outcome: str, reason: str = "") -> None:
    PublishAttempt.objects.filter(pk=attempt.pk).update(outcome=outcome, reason=reason[:2000],
                                                        finished_at=timezone.now())


def _unknown(job: PublishJob, attempt: PublishAttempt, reason: str) -> str:
    finish(attempt, Outcome.UNKNOWN, reason)
    states.move(job.pk, Status.SENDING, Status.UNKNOWN, last_error=reason, lease_until=None)
    return Status.UNKNOWN


def block_for(job: PublishJob, exc: errors.RateLimited) -> None:
    """Hold the channel, or every channel of the network when the limit is the app's."""
    key = ratelimits.app_key(job.channel.network) if exc.scope == "app" else ratelimits.channel_key(job.channel)
    ratelimits.block(key, exc.retry_at, exc.reason)


def _rate_limited(job: PublishJob, attempt: PublishAttempt, exc: errors.RateLimited) -> str:
    block_for(job, exc)
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
        _channel_broken(job, exc)
    finish(attempt, Outcome.FAILED, exc.reason)
    if states.move(job.pk, Status.SENDING, Status.FAILED, last_error=exc.reason, lease_until=None):
        notify(job.workspace, Notification.Kind.PUBLICATION_FAILED,
               _("A post to %(channel)s failed: %(reason)s") % {"channel": job.channel.name, "reason": exc.reason},
               link=job_link(job))
    return Status.FAILED


def _channel_broken(job: PublishJob, exc: errors.AuthExpired) -> None:
    from chorus.channels.models import Channel

    Channel.objects.filter(pk=job.channel_id).update(health=Channel.Health.BROKEN, health_message=exc.reason)


def _partial(job: PublishJob, attempt: PublishAttempt, publication, exc: errors.PartialPublication) -> str:
    """The post is live but not whole. Its first part is recorded as published (it is on the network), the parts
    out are kept, and the job stays visibly incomplete: back on the outbox to send the rest when every part has
    its own key and the failure may pass, otherwise waiting for a person, because a part whose outcome is unknown
    must not be sent again without a key."""
    cause = exc.cause
    live = {"remote_id": exc.post.remote_id, "remote_url": job.remote_url or exc.post.url,
            "published_at": job.published_at or exc.post.published_at, "parts_out": list(exc.made),
            "sent_text": publication.text, "claimed_by": "", "lease_until": None}
    if isinstance(cause, errors.RateLimited):
        block_for(job, cause)
    if isinstance(cause, errors.AuthExpired):
        _channel_broken(job, cause)
    limited = isinstance(cause, errors.RateLimited)
    passing = limited or ((cause.retryable or not cause.definite) and job.attempts < settings.CHORUS_MAX_ATTEMPTS)
    if job.channel.connector_class.capabilities.resumable_parts and passing:
        at = cause.retry_at if limited else timezone.now() + backoff(job.attempts)
        reason = _("%(reason)s The rest goes out by itself at %(at)s UTC; each part has its own key, so none can "
                   "go out twice.") % {"reason": sentence(exc.reason), "at": at.strftime("%H:%M:%S")}
        finish(attempt, Outcome.PARTIAL, reason)
        states.move(job.pk, {Status.SENDING, Status.UNKNOWN}, Status.SCHEDULED, not_before=at,
                    last_error=reason[:2000], **live)
        return Status.SCHEDULED
    reason = partial_reason(exc, job.channel.connector_class.label)
    finish(attempt, Outcome.PARTIAL, reason)
    if states.move(job.pk, {Status.SENDING, Status.UNKNOWN}, Status.NEEDS_REVIEW, last_error=reason[:2000], **live):
        notify(job.workspace, Notification.Kind.PUBLICATION_UNKNOWN,
               _("A post to %(channel)s needs your decision: %(reason)s") % {"channel": job.channel.name,
                                                                             "reason": reason},
               link=job_link(job))
    return Status.NEEDS_REVIEW


def partial_reason(exc: errors.PartialPublication, network: str) -> str:
    """What a person reads about a post that is out but not whole, and what each of their two choices does."""
    reason = sentence(exc.reason)
    if not exc.cause.definite:
        reason += " " + _("It may be on %(network)s all the same: look at the post there first.") % {
            "network": network}
    return reason + " " + _("Retry sends what is missing, from part %(n)d on; Mark as posted keeps the post as it "
                            "is.") % {"n": exc.next_part}


def sentence(reason: str) -> str:
    """A network's reason as a sentence, so what Chorus adds after it reads as the next one."""
    reason = reason.rstrip()
    return reason if reason.endswith((".", "!", "?")) else reason + "."


def job_link(job: PublishJob) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("post-detail", args=[job.channel.workspace.slug, job.variant.post_id])
    except NoReverseMatch:
        return ""
