"""Publications over the API: one job with its attempt log, retry, mark as posted, edit or delete a published
post on its network, what needs attention."""

from datetime import datetime

from ninja import Router, Schema, Status

from chorus.publishing.models import PublishAttempt, PublishJob
from chorus.publishing.services import (
    delete_published,
    edit_published,
    job_for,
    mark_as_posted,
    needing_attention,
    retry,
)
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
    action: str
    requested_by: str | None  # who asked for an edit or a deletion
    worker: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    reason: str

    @staticmethod
    def resolve_requested_by(attempt: PublishAttempt) -> str | None:
        return attempt.requested_by.get_username() if attempt.requested_by else None


class PublicationDetail(PublicationOut):
    text: str  # the variant's text in Chorus; differs from sent_text while an edit has not landed
    sent_text: str  # what the network shows: the text that went out, or the last edit that landed
    deleted_at: datetime | None
    log: list[AttemptOut]

    @staticmethod
    def resolve_text(job: PublishJob) -> str:
        return job.variant.effective_text

    @staticmethod
    def resolve_log(job: PublishJob):
        return job.attempts_log.all()


class MarkPostedIn(Schema):
    remote_url: str = ""


class EditIn(Schema):
    text: str
    on_network: bool = True  # False: change the text in Chorus only, the network keeps what it has


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


@router.post("/workspaces/{slug}/publications/{job_id}/edit",
             response=answers(202, PublicationDetail),
             summary="Change a published post's text, and send the edit to its network",
             description="Checked as the composer checks: a text breaking the network's rules answers 422 with "
                         "`detail` and `problems`, as a post does. A worker makes the network call: the answer "
                         "shows `editing` until it lands, then `published` with the new `sent_text`, or the "
                         "reason in `last_error`. A network without edits answers 422.")
def edit_publication(request, slug: str, job_id: int, payload: EditIn):
    job = job_for(caller(request), workspace_of(request, slug), job_id, "publication.edit")
    return Status(202, edit_published(actor=caller(request), job=job, text=payload.text, on_network=payload.on_network))


@router.delete("/workspaces/{slug}/publications/{job_id}", response=answers(202, PublicationDetail),
               summary="Delete a published post from its network",
               description="A worker makes the network call: the answer shows `deleting` until it lands, then "
                           "`deleted`; a post the network no longer has counts as deleted.")
def delete_publication(request, slug: str, job_id: int):
    job = job_for(caller(request), workspace_of(request, slug), job_id, "publication.delete")
    return Status(202, delete_published(actor=caller(request), job=job))


@router.get("/workspaces/{slug}/needs-attention", response=answers(200, list[PublicationOut]),
            summary="Failed, undecided and late publications")
def needs_attention(request, slug: str):
    return needing_attention(caller(request), workspace_of(request, slug))
