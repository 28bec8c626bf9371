"""PUB-4: late posts and silent workers."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chorus.notifications.models import Notification
from chorus.notifications.services import notify
from chorus.publishing.models import PublishJob, Status, WorkerBeat
from chorus.publishing.sender import job_link

SILENCE = timedelta(seconds=90)
# Silence is counted from this process's start too: after a restart the web may answer before the worker beats.
WATCHING_SINCE = timezone.now()


def record_beat(worker: str, now: datetime | None = None) -> None:
    WorkerBeat.objects.update_or_create(worker=worker, defaults={"seen_at": now or timezone.now(),
                                                                 "silence_alerted_at": None})


def last_beat() -> datetime | None:
    return WorkerBeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()


def workers_silent(now: datetime | None = None) -> bool:
    """True when no worker has dispatched lately: scheduled posts will not go out until one is back."""
    seen = last_beat()
    return seen is None or (now or timezone.now()) - seen > SILENCE


def alert_workers_silent(now: datetime | None = None) -> int:
    """Tell each workspace's people who can act that publishing has stopped, once per silence.

    Called from the web process (the page frame), the one part still running when every worker is gone. Only a
    silence after a beat counts: a fresh install whose worker is still starting has the banner, not an alarm.
    """
    now = now or timezone.now()
    newest = WorkerBeat.objects.order_by("-seen_at").first()
    if newest is None or newest.silence_alerted_at is not None or now - max(newest.seen_at, WATCHING_SINCE) <= SILENCE:
        return 0
    # Several pages may notice at the same moment: only the request that stamps the beat sends the alarm.
    if not WorkerBeat.objects.filter(pk=newest.pk, seen_at=newest.seen_at, silence_alerted_at=None).update(
            silence_alerted_at=now):
        return 0
    from chorus.workspaces.models import Workspace

    told = 0
    for workspace in Workspace.objects.all():
        # In the workspace's language, not that of whoever happened to open the page.
        with translation.override(workspace.language):
            message = _("Publishing has stopped: no worker has run since %(at)s UTC. Scheduled posts wait until "
                        "one is running again (chorus worker, or chorus up).") % {
                "at": newest.seen_at.strftime("%Y-%m-%d %H:%M")}
        told += notify(workspace, Notification.Kind.WORKERS_SILENT, message)
    return told


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
