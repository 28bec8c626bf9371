"""What a person does with a publication: see the log, retry, mark as posted, list what needs attention."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.publishing import health, states
from chorus.publishing.models import PublishAttempt, PublishJob, Status
from chorus.workspaces.services import ensure_can, workspace_object


def job_for(actor, workspace, job_id, action: str = "post.view") -> PublishJob:
    return workspace_object(actor, workspace, PublishJob.objects.select_related("channel", "variant__post"), job_id,
                            action, _("No such publication in this workspace."))


def needing_attention(actor, workspace):
    """Failed, ambiguous and late publications: what a person must look at."""
    ensure_can(actor, "post.view", workspace)
    late = health.late_jobs().filter(workspace=workspace).values_list("pk", flat=True)
    return (PublishJob.objects.filter(workspace=workspace)
            .filter(Q(status__in=[Status.FAILED, Status.NEEDS_REVIEW, Status.UNKNOWN]) | Q(pk__in=list(late)))
            .select_related("channel", "variant__post").order_by("due_at"))


def retry(*, actor, job: PublishJob) -> PublishJob:
    """Send again now. The same idempotency key goes with it, so a network that has it will not post twice."""
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
    if not states.move(job.pk, {Status.FAILED, Status.NEEDS_REVIEW, Status.UNKNOWN}, Status.PUBLISHED,
                       remote_url=remote_url[:500], published_at=timezone.now(), last_error=""):
        raise ValidationError(_("Only a failed or undecided publication can be marked as posted."))
    _log_decision(job, actor, _("Marked as posted by %(user)s") % {"user": actor.get_username()})
    job.refresh_from_db()
    return job


def _log_decision(job: PublishJob, actor, reason: str) -> None:
    now = timezone.now()
    PublishAttempt.objects.create(job=job, number=job.attempts, worker=actor.get_username(), started_at=now,
                                  finished_at=now, outcome=PublishAttempt.Outcome.MANUAL, reason=reason)
