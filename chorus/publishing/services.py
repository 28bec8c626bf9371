"""What a person does with a publication: see the log, retry, mark as posted, edit or delete it on the network,
list what needs attention."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.content.models import Variant
from chorus.content.services import Extras, PostInvalid, check_text, plain_lines
from chorus.publishing import changes, health, ratelimits, states
from chorus.publishing.models import PublishAttempt, PublishJob, Status
from chorus.workspaces.services import ensure_can, workspace_object

Action = PublishAttempt.Action


def job_for(actor, workspace, job_id, action: str = "post.view") -> PublishJob:
    return workspace_object(actor, workspace, PublishJob.objects.select_related("channel", "variant__post"), job_id,
                            action, _("No such publication in this workspace."))


def needing_attention(actor, workspace):
    """Failed, ambiguous, late and half-sent publications: what a person must look at."""
    ensure_can(actor, "post.view", workspace)
    late = health.late_jobs().filter(workspace=workspace).values_list("pk", flat=True)
    # Live on the network but missing parts, with the rest on its way: shown until it is whole.
    incomplete = Q(status__in=[Status.SCHEDULED, Status.CLAIMED, Status.SENDING]) & ~Q(remote_id="")
    return (PublishJob.objects.filter(workspace=workspace)
            .filter(Q(status__in=[Status.FAILED, Status.NEEDS_REVIEW, Status.UNKNOWN]) | Q(pk__in=list(late))
                    | incomplete)
            .select_related("channel", "variant__post").order_by("due_at"))


def retry(*, actor, job: PublishJob) -> PublishJob:
    """Send again now. The same idempotency key goes with it, so a network that has it will not post twice; a post
    partly out sends only what is missing."""
    ensure_can(actor, "publication.resolve", job.workspace)
    now = timezone.now()
    if not states.move(job.pk, {Status.FAILED, Status.NEEDS_REVIEW}, Status.SCHEDULED, not_before=now,
                       last_error="", late_alerted_at=None):
        raise ValidationError(_("Only a failed publication or one waiting for your decision can be retried."))
    _log_decision(job, actor, _("Retry requested by %(user)s") % {"user": actor.get_username()})
    from chorus.publishing.tasks import nudge_dispatcher

    nudge_dispatcher()
    job.refresh_from_db()
    return job


def mark_as_posted(*, actor, job: PublishJob, remote_url: str = "") -> PublishJob:
    ensure_can(actor, "publication.resolve", job.workspace)
    # A post partly out keeps the link and time of its first part unless the person gives another link.
    if not states.move(job.pk, {Status.FAILED, Status.NEEDS_REVIEW, Status.UNKNOWN}, Status.PUBLISHED,
                       remote_url=remote_url[:500] or job.remote_url, published_at=job.published_at or timezone.now(),
                       last_error="", sent_text=job.variant.effective_text):
        raise ValidationError(_("Only a failed or undecided publication can be marked as posted."))
    _log_decision(job, actor, _("Marked as posted by %(user)s") % {"user": actor.get_username()})
    job.refresh_from_db()
    return job


def _log_decision(job: PublishJob, actor, reason: str) -> None:
    now = timezone.now()
    PublishAttempt.objects.create(job=job, number=job.attempts, worker=actor.get_username(), started_at=now,
                                  finished_at=now, outcome=PublishAttempt.Outcome.MANUAL, reason=reason)


def cannot_edit_reason(job: PublishJob) -> str:
    """Why this publication cannot be edited on its network, or "" when it can."""
    connector = job.channel.connector_class
    if connector.capabilities.edit:
        return ""
    return _("%(network)s does not let a published post be changed. Delete it there and publish the new text "
             "as a new post.") % {"network": connector.label}


def edit_published(*, actor, job: PublishJob, text: str, on_network: bool = True,
                   background: bool = True) -> PublishJob:
    """Change a published variant's text, and with `on_network` send the edit to the network (PUB-5).

    Checked as the composer checks it. The job's `sent_text` keeps what the network shows until the edit lands,
    so Chorus never claims a text the network does not have.
    """
    ensure_can(actor, "publication.edit", job.workspace)
    text = plain_lines(text)
    variant = job.variant
    check = check_text(job.channel, text, list(variant.media.all()), Extras.of_variant(variant))
    if not check.ok:
        raise PostInvalid([check])
    if on_network and cannot_edit_reason(job):
        raise ValidationError(cannot_edit_reason(job))
    with transaction.atomic():
        if on_network:
            _start_change(job, actor, Status.EDITING, Action.EDIT)
        elif not PublishJob.objects.select_for_update().filter(pk=job.pk, status=Status.PUBLISHED).exists():
            raise ValidationError(_("Only a published post that is not being changed can be edited."))
        Variant.objects.filter(pk=variant.pk).update(text=text)
    return _carry(job, on_network, background)


def delete_published(*, actor, job: PublishJob, background: bool = True) -> PublishJob:
    """Delete the post from its network; one the network no longer has counts as deleted."""
    ensure_can(actor, "publication.delete", job.workspace)
    connector = job.channel.connector_class
    if not connector.capabilities.delete:
        raise ValidationError(_("%(network)s does not let Chorus delete posts; delete it on the network.")
                              % {"network": connector.label})
    with transaction.atomic():
        _start_change(job, actor, Status.DELETING, Action.DELETE)
    return _carry(job, True, background)


def _start_change(job: PublishJob, actor, target: str, action: str) -> None:
    now = timezone.now()
    blocked = ratelimits.blocked_until(job.channel, now)
    if blocked:
        raise ValidationError(_("%(channel)s is rate-limited until %(at)s UTC; try again then.")
                              % {"channel": job.channel.name, "at": blocked.strftime("%H:%M:%S")})
    # Not picked up by a worker within the lease, the change is handed back (changes.return_stale).
    lease = now + timedelta(seconds=settings.CHORUS_CLAIM_LEASE)
    if not states.move(job.pk, Status.PUBLISHED, target, claimed_by="", lease_until=lease, last_error=""):
        raise ValidationError(_("Only a published post can be changed on the network, one change at a time."))
    PublishAttempt.objects.create(job=job, number=job.attempts, action=action, requested_by=actor,
                                  started_at=now)


def _carry(job: PublishJob, requested: bool, background: bool) -> PublishJob:
    """Hand the change to a worker (web and API: the answer does not wait for the network), or make it now."""
    if requested and background:
        from chorus.publishing.tasks import queue_change

        transaction.on_commit(lambda: queue_change(job.pk))
    elif requested:
        from chorus.publishing.tasks import worker_name

        changes.apply(job.pk, worker_name())
    job.refresh_from_db()
    job.variant.refresh_from_db()
    return job
