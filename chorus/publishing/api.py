"""Publications over the API: one job with its attempt log, retry, mark as posted, what needs attention."""

from datetime import datetime

from ninja import Router, Schema

from chorus.publishing.models import PublishJob
from chorus.publishing.services import job_for, mark_as_posted, needing_attention, retry
from chorus.workspaces.api import answers, caller, workspace_of


class JobOut(Schema):
    """One post on one channel, as the outbox sees it. Times are UTC."""

    id: int
    channel: int
    status: str
    due_at: datetime
    published_at: datetime | None
    remote_id: str
    remote_url: str
    attempts: int
    last_error: str

    @staticmethod
    def resolve_channel(job: PublishJob) -> int:
        return job.channel_id


class PublicationOut(JobOut):
    post: int

    @staticmethod
    def resolve_post(job: PublishJob) -> int:
        return job.variant.post_id


class AttemptOut(Schema):
    number: int
    worker: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    reason: str


class PublicationDetail(PublicationOut):
    log: list[AttemptOut]

    @staticmethod
    def resolve_log(job: PublishJob):
        return job.attempts_log.all()


class MarkPostedIn(Schema):
    remote_url: str = ""


router = Router(tags=["publications"])


@router.get("/workspaces/{slug}/publications/{job_id}", response=answers(200, PublicationDetail),
            summary="A publication with its attempt log")
def get_publication(request, slug: str, job_id: int):
    return job_for(caller(request), workspace_of(request, slug), job_id)


@router.post("/workspaces/{slug}/publications/{job_id}/retry", response=answers(200, PublicationDetail),
             summary="Send a failed or undecided publication again")
def retry_publication(request, slug: str, job_id: int):
    job = job_for(caller(request), workspace_of(request, slug), job_id, "publication.resolve")
    return retry(actor=caller(request), job=job)


@router.post("/workspaces/{slug}/publications/{job_id}/mark-posted", response=answers(200, PublicationDetail),
             summary="Record that a failed or undecided publication is on the network after all")
def mark_posted(request, slug: str, job_id: int, payload: MarkPostedIn):
    job = job_for(caller(request), workspace_of(request, slug), job_id, "publication.resolve")
    return mark_as_posted(actor=caller(request), job=job, remote_url=payload.remote_url)


@router.get("/workspaces/{slug}/needs-attention", response=answers(200, list[PublicationOut]),
            summary="Failed, undecided and late publications")
def needs_attention(request, slug: str):
    return needing_attention(caller(request), workspace_of(request, slug))
