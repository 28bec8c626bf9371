"""Posts over the API: write, check, schedule, queue, unschedule, delete.

A post over a channel's limit is refused with 422 and each channel's problems. When `at` comes with the
new post, post and jobs are one transaction: nothing is stored and the caller still holds the text. Create
without `at` to keep a draft, then schedule it.
"""

from datetime import datetime

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from chorus.content.models import Post
from chorus.content.services import (
    PostInvalid,
    VariantCheck,
    add_to_queue,
    check_draft,
    create_and_schedule,
    delete_post,
    post_for,
    posts_of,
    schedule_post,
    unschedule_post,
    write_post,
)
from chorus.publishing.api import JobOut
from chorus.workspaces.api import answers, caller, workspace_of
from chorus.workspaces.timezones import parse_when

WHEN = ("ISO-8601 with an offset (taken as is), a wall-clock time like 2026-12-01T10:00 in the workspace's "
        "zone, or \"now\". A time the clocks skip is refused.")


class PollSchema(Schema):
    """A poll under the post, where the channel's network has polls."""

    question: str
    options: list[str] = Field(description="2 to 10 by default; a network may allow fewer")
    multiple: bool = False
    closes_in_seconds: int | None = Field(None, description="None = the network's default duration")


class VariantOut(Schema):
    channel: int
    text: str
    poll: PollSchema | None
    thread: list[str] = Field(description="Follow-up parts, posted as replies in order")
    first_comment: str

    @staticmethod
    def resolve_channel(variant) -> int:
        return variant.channel_id


class PostOut(Schema):
    """A post, its variant per channel (blank text = the post's text) and its publication per channel."""

    id: int
    text: str
    created_at: datetime
    variants: list[VariantOut]
    jobs: list[JobOut]

    @staticmethod
    def resolve_variants(post: Post):
        return post.variants.all()

    @staticmethod
    def resolve_jobs(post: Post):
        return [job for job in (getattr(v, "job", None) for v in post.variants.all()) if job is not None]


class PostSaved(PostOut):
    warnings: list[str] = []


class VariantIn(Schema):
    """One channel's own text (blank = the post's) and the extras its network declares; any other is refused."""

    channel: int
    text: str = ""
    poll: PollSchema | None = None
    thread: list[str] = Field([], description="Follow-up parts, posted as replies in order (where threads exist)")
    first_comment: str = Field("", description="Posted as the first reply (where the network has first comments)")


class PostIn(Schema):
    text: str
    channels: list[int]
    variants: list[VariantIn] = []
    media: list[int] = []
    at: str | None = None


class PostChange(Schema):
    """Only the fields given change."""

    text: str | None = None
    channels: list[int] | None = None
    variants: list[VariantIn] | None = None
    media: list[int] | None = None


class WhenIn(Schema):
    at: str


class DraftIn(Schema):
    text: str
    channels: list[int]
    variants: list[VariantIn] = []
    media: list[int] = []


class ProblemOut(Schema):
    code: str
    message: str
    start: int | None
    end: int | None


class ChannelProblem(ProblemOut):
    channel: int


class PostProblems(Schema):
    """422 answer: the messages, and for a post that breaks a network's rules, each channel's problems."""

    detail: list[str]
    problems: list[ChannelProblem] = []

    @classmethod
    def of(cls, exc: PostInvalid) -> "PostProblems":
        return cls(detail=exc.messages, problems=[
            ChannelProblem(channel=c.channel.pk, code=p.code, message=p.message, start=p.start, end=p.end)
            for c in exc.checks for p in c.problems])


class ChannelCheck(Schema):
    channel: int
    length: int
    limit: int
    unit: str
    problems: list[ProblemOut]
    preview_fold: int | None

    @classmethod
    def of(cls, check: VariantCheck) -> "ChannelCheck":
        m = check.measure
        return cls(channel=check.channel.pk, length=m.length, limit=m.limit, unit=m.unit,
                   problems=[ProblemOut(**vars(p)) for p in check.problems], preview_fold=m.preview_fold)


def _texts(variants: list[VariantIn]) -> dict[int, str]:
    return {v.channel: v.text for v in variants}


def _extras(variants: list[VariantIn]) -> dict[int, dict]:
    return {v.channel: {"poll": v.poll.model_dump() if v.poll else None, "thread": v.thread,
                        "first_comment": v.first_comment} for v in variants}


def _when(value: str, workspace) -> tuple[datetime, list[str]]:
    return parse_when(value, workspace.timezone, timezone.now())


router = Router(tags=["posts"])


@router.get("/workspaces/{slug}/posts", response=answers(200, list[PostOut]),
            summary="Posts, newest first, with their jobs")
def list_posts(request, slug: str):
    return posts_of(caller(request), workspace_of(request, slug))


@router.get("/workspaces/{slug}/posts/{post_id}", response=answers(200, PostOut), summary="One post")
def get_post(request, slug: str, post_id: int):
    return post_for(caller(request), workspace_of(request, slug), post_id)


@router.post("/workspaces/{slug}/posts", response=answers(201, PostSaved, invalid=PostProblems),
             summary="Write a post",
             description=f"With `at` the post is also scheduled in the same call. `at`: {WHEN}")
def create_post(request, slug: str, payload: PostIn):
    workspace, actor = workspace_of(request, slug), caller(request)
    fields = {"actor": actor, "workspace": workspace, "text": payload.text, "channel_ids": payload.channels,
              "variant_texts": _texts(payload.variants), "variant_extras": _extras(payload.variants),
              "media_ids": payload.media}
    if payload.at is None:
        return Status(201, PostSaved.from_orm(write_post(**fields)))
    due_at, warnings = _when(payload.at, workspace)
    post, _jobs = create_and_schedule(due_at=due_at, **fields)
    return Status(201, PostSaved.from_orm(post).model_copy(update={"warnings": warnings}))


@router.patch("/workspaces/{slug}/posts/{post_id}", response=answers(200, PostOut),
              summary="Rewrite a post not yet going out")
def update_post(request, slug: str, post_id: int, payload: PostChange):
    workspace, actor = workspace_of(request, slug), caller(request)
    post = post_for(actor, workspace, post_id, "post.create")
    current = list(post.variants.order_by("pk"))
    media = payload.media
    if media is None and current:
        media = list(current[0].media.order_by("variantmedia__position").values_list("pk", flat=True))
    return write_post(
        actor=actor, workspace=workspace, post=post,
        text=post.text if payload.text is None else payload.text,
        channel_ids=[v.channel_id for v in current] if payload.channels is None else payload.channels,
        variant_texts={v.channel_id: v.text for v in current} if payload.variants is None
        else _texts(payload.variants),
        variant_extras={v.channel_id: {"poll": v.poll, "thread": v.thread, "first_comment": v.first_comment}
                        for v in current} if payload.variants is None else _extras(payload.variants),
        media_ids=media or [],
    )


@router.post("/workspaces/{slug}/posts/{post_id}/schedule", response=answers(200, PostSaved, invalid=PostProblems),
             summary="Schedule (or move) a post", description=f"`at`: {WHEN}")
def schedule(request, slug: str, post_id: int, payload: WhenIn):
    workspace, actor = workspace_of(request, slug), caller(request)
    post = post_for(actor, workspace, post_id, "post.schedule")
    due_at, warnings = _when(payload.at, workspace)
    schedule_post(actor=actor, post=post, due_at=due_at)
    return PostSaved.from_orm(post).model_copy(update={"warnings": warnings})


@router.post("/workspaces/{slug}/posts/{post_id}/queue", response=answers(200, PostOut, invalid=PostProblems),
             summary="Put each variant in its channel's next free queue slot")
def queue(request, slug: str, post_id: int):
    workspace, actor = workspace_of(request, slug), caller(request)
    post = post_for(actor, workspace, post_id, "post.schedule")
    add_to_queue(actor=actor, post=post)
    return post


@router.post("/workspaces/{slug}/posts/{post_id}/unschedule", response=answers(200, PostOut),
             summary="Take the waiting publications off the outbox; ones going out are left alone")
def unschedule(request, slug: str, post_id: int):
    workspace, actor = workspace_of(request, slug), caller(request)
    post = post_for(actor, workspace, post_id, "post.schedule")
    unschedule_post(actor=actor, post=post)
    return post


@router.delete("/workspaces/{slug}/posts/{post_id}", response=answers(204, None),
               summary="Delete a post not yet going out")
def delete(request, slug: str, post_id: int):
    workspace, actor = workspace_of(request, slug), caller(request)
    delete_post(actor=actor, post=post_for(actor, workspace, post_id, "post.delete"))
    return Status(204, None)


@router.post("/workspaces/{slug}/check", response=answers(200, list[ChannelCheck]),
             summary="Validate a text for channels, as the composer does")
def check(request, slug: str, payload: DraftIn):
    checks = check_draft(actor=caller(request), workspace=workspace_of(request, slug), text=payload.text,
                         channel_ids=payload.channels, variant_texts=_texts(payload.variants),
                         variant_extras=_extras(payload.variants), media_ids=payload.media)
    return [ChannelCheck.of(c) for c in checks]
