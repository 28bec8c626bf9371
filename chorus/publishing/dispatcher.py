"""Claims due publish jobs by compare-and-swap (step 2 of the publishing guarantee)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from chorus.publishing import ratelimits, states
from chorus.publishing.models import PublishJob, Status


def claim_due(worker: str, *, limit: int = 200, now: datetime | None = None) -> list[int]:
    """Claim up to `limit` due jobs for `worker`; a job another dispatcher claimed first is skipped."""
    now = now or timezone.now()
    lease = {"claimed_by": worker, "lease_until": now + timedelta(seconds=settings.CHORUS_CLAIM_LEASE)}
    due = (PublishJob.objects.filter(status=Status.SCHEDULED, not_before__lte=now)
           .exclude(ratelimits.blocked_filter(now)).order_by("not_before", "pk"))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Locked rows are being claimed by a peer right now: skip them instead of queueing behind it.
            ids = list(due.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[:limit])
        else:
            ids = list(due.values_list("pk", flat=True)[:limit])
        return [job_id for job_id in ids if states.move(job_id, Status.SCHEDULED, Status.CLAIMED, **lease)]
