"""PUB-4: late posts and silent workers."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.notifications.models import Notification
from chorus.notifications.services import notify
from chorus.publishing.models import PublishJob, Status, WorkerBeat
from chorus.publishing.sender import job_link

SILENCE = timedelta(seconds=90)


def record_beat(worker: str, now: datetime | None = None) -> None:
    WorkerBeat.objects.update_or_create(worker=worker, defaults={"seen_at": now or timezone.now()})


def last_beat() -> datetime | None:
    return WorkerBeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()


def workers_silent(now: datetime | None = None) -> bool:
    """True when no worker has dispatched lately: scheduled posts will not go out until one is back."""
    seen = last_beat()
    return seen is None or (now or timezone.now()) - seen > SILENCE


def late_jobs(now: datetime | None = None):
    now = now or timezone.now()
    return PublishJob.objects.filter(status__in=[Status.SCHEDULED, Status.CLAIMED],
                                     due_at__lt=now - timedelta(seconds=settings.CHORUS_LATE_AFTER))


def alert_late_posts(now: datetime | None = None) -> int:
    now = now or timezone.now()
    alerted = 0
    for job in late_jobs(now).filter(late_alerted_at=None).select_related("channel__workspace", "variant"):
        # Only the first checker to stamp the job sends the alert.
        if PublishJob.objects.filter(pk=job.pk, late_alerted_at=None).update(late_alerted_at=now):
            minutes = int((now - job.due_at).total_seconds() // 60)
            notify(job.workspace, Notification.Kind.POST_LATE,
                   _("A post to %(channel)s is %(minutes)d min late: %(reason)s")
                   % {"channel": job.channel.name, "minutes": minutes,
                      "reason": job.last_error or _("waiting for a worker")}, link=job_link(job))
            alerted += 1
    return alerted
