import json
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.commandline import Answer, ChorusCommand
from chorus.content import bulk
from chorus.content.api import PostOut
from chorus.content.services import create_and_schedule, posts_of, unschedule_variant
from chorus.publishing.api import PublicationDetail, PublicationOut
from chorus.publishing.models import PublishJob, Status
from chorus.publishing.services import (
    delete_published,
    edit_published,
    job_for,
    mark_as_posted,
    needing_attention,
    retry,
)
from chorus.workspaces.timezones import parse_when, to_local


class Command(ChorusCommand):
    help = "Write, schedule, list, import and export posts."
    subcommands = {
        "schedule": "Write a post and schedule it on one or more channels.",
        "list": "List the workspace's posts, newest first, with their publications.",
        "import": "Import posts from a CSV or JSON file; bad rows are reported with their line.",
        "export": "Export every post of the workspace as CSV or JSON.",
        "edit": "Change a published post's text on one channel and on its network (waits for the network).",
        "delete": "Delete a published post from one channel's network (waits for the network).",
        "retry": "Send a failed publication, or one waiting for your decision, again now (same idempotency key).",
        "mark-posted": "Record that a failed or undecided publication is on the network after all.",
        "unschedule": "Take one waiting publication off the schedule; the post stays as a draft for that channel.",
        "attention": "List the failed, undecided and late publications: what a person must look at.",
    }

    def add_schedule_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("--channel", required=True, type=int, action="append", metavar="ID",
                            help="a channel id; repeat for several channels")
        parser.add_argument("--at", required=True, metavar="WHEN",
                            help="ISO-8601 with an offset, a wall-clock time in the workspace's zone, or 'now'")
        parser.add_argument("--text", required=True)

    def do_schedule(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        due_at, warnings = parse_when(options["at"], workspace.timezone, timezone.now())
        for warning in warnings:
            self.stderr.write(warning)
        post, jobs = create_and_schedule(actor=actor, workspace=workspace, text=options["text"],
                                         channel_ids=options["channel"], due_at=due_at)
        local = to_local(due_at, workspace.timezone).strftime("%Y-%m-%d %H:%M %Z")
        return Answer({"post_id": post.pk, "jobs": [{"id": j.pk, "channel": j.channel_id, "due_at": j.due_at}
                                                    for j in jobs]},
                      f"Scheduled post {post.pk} for {local} on {len(jobs)} channel(s).")

    def add_list_arguments(self, parser):
        self.add_workspace_arguments(parser)

    def do_list(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        posts = [PostOut.from_orm(post) for post in posts_of(actor, workspace)]
        lines = []
        for post in posts:
            lines.append(f"#{post.id}  {post.text[:70]!r}")
            lines += [f"    channel {job.channel}: {job.status}, due "
                      f"{to_local(job.due_at, workspace.timezone):%Y-%m-%d %H:%M}" for job in post.jobs]
        return Answer([post.model_dump() for post in posts], "\n".join(lines))

    def add_import_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--format", default="auto", choices=bulk.FORMATS)
        choice = parser.add_mutually_exclusive_group()
        choice.add_argument("--keep-valid", dest="keep_valid", action="store_true",
                            help="import the good rows and report the bad ones")
        choice.add_argument("--all-or-nothing", dest="keep_valid", action="store_false",
                            help="refuse the whole file if any row is bad (the default)")

    def do_import(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        source = self.file_bytes(options["file"])
        self.progress(f"Checking and importing {options['file']}…")
        report = bulk.import_posts(
            actor=actor, workspace=workspace, source=source, file_format=options["format"],
            keep_valid=options["keep_valid"],
            progress=lambda done, total: self.progress(_("%(done)d of %(total)d posts written") % {
                "done": done, "total": total}))
        errors = [f"line {e.line}: {e.message}" for e in report.errors]
        summary = f"Imported {report.imported} post(s), skipped {report.skipped}."
        return Answer({"imported": report.imported, "skipped": report.skipped, "post_ids": report.post_ids,
                       "refused": report.refused,
                       "errors": [{"line": e.line, "message": e.message} for e in report.errors]},
                      "\n".join([summary, *errors]),
                      failure="\n".join(["Nothing was imported.", *errors]) if report.refused else "")

    def add_export_arguments(self, parser):
        self.add_workspace_arguments(parser)
        parser.add_argument("--format", default="csv", choices=("csv", "json"))
        parser.add_argument("--output", metavar="FILE", help="default: print to stdout")

    def do_export(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        content = bulk.export_posts(actor=actor, workspace=workspace, file_format=options["format"])
        if options["output"] is None:
            return Answer(json.loads(content) if options["format"] == "json" else content, content.rstrip("\n"))
        Path(options["output"]).write_text(content, encoding="utf-8")
        return Answer({"output": options["output"], "format": options["format"]}, f"Wrote {options['output']}.")

    def add_job_arguments(self, parser):
        parser.add_argument("--job", required=True, type=int, metavar="ID",
                            help="the publication: one post on one channel (see `post list`)")
        self.add_acting_argument(parser)

    def job_and_actor(self, options, action: str):
        found = PublishJob.objects.select_related("workspace").filter(pk=options["job"]).first()
        if found is None:
            raise CommandError("No such publication.")
        actor = self.actor(options, found.workspace)
        return job_for(actor, found.workspace, found.pk, action), actor

    @staticmethod
    def outcome(job: PublishJob, done: str) -> Answer:
        """The network's answer: a change it refused leaves the post as it was, and the command fails."""
        document = PublicationDetail.from_orm(job).model_dump()
        return Answer(document, done, failure="" if not job.last_error else job.last_error)

    def add_edit_arguments(self, parser):
        self.add_job_arguments(parser)
        parser.add_argument("--text", required=True)

    def do_edit(self, options) -> Answer:
        job, actor = self.job_and_actor(options, "publication.edit")
        # The command line waits for the network: a script wants the outcome, not a pending state.
        job = edit_published(actor=actor, job=job, text=options["text"], background=False)
        return self.outcome(job, f"Updated publication {job.pk} on channel {job.channel_id}.")

    def add_delete_arguments(self, parser):
        self.add_job_arguments(parser)

    def do_delete(self, options) -> Answer:
        job, actor = self.job_and_actor(options, "publication.delete")
        job = delete_published(actor=actor, job=job, background=False)
        done = f"Deleted publication {job.pk} from channel {job.channel_id}." if job.status == Status.DELETED else ""
        return self.outcome(job, done)

    # What a person does about a publication that failed or whose outcome is unknown (the "Needs attention" page).

    def add_retry_arguments(self, parser):
        self.add_job_arguments(parser)

    def do_retry(self, options) -> Answer:
        job, actor = self.job_and_actor(options, "publication.resolve")
        job = retry(actor=actor, job=job)
        return Answer(PublicationDetail.from_orm(job).model_dump(),
                      _("Publication %(job)s on channel %(channel)s goes out again at the next dispatch.")
                      % {"job": job.pk, "channel": job.channel_id})

    def add_mark_posted_arguments(self, parser):
        self.add_job_arguments(parser)
        parser.add_argument("--url", default="", metavar="URL", help=_("the post's address on the network"))

    def do_mark_posted(self, options) -> Answer:
        job, actor = self.job_and_actor(options, "publication.resolve")
        job = mark_as_posted(actor=actor, job=job, remote_url=options["url"].strip())
        return Answer(PublicationDetail.from_orm(job).model_dump(),
                      _("Publication %(job)s on channel %(channel)s is marked as posted.")
                      % {"job": job.pk, "channel": job.channel_id})

    def add_unschedule_arguments(self, parser):
        self.add_job_arguments(parser)

    def do_unschedule(self, options) -> Answer:
        job, actor = self.job_and_actor(options, "post.schedule")
        if not unschedule_variant(actor=actor, variant=job.variant):
            raise CommandError(_("Publication %(job)s is %(status)s, not waiting: only a scheduled publication can "
                                 "be taken off the schedule.") % {"job": job.pk, "status": job.get_status_display()})
        return Answer({"job": job.pk, "post": job.variant.post_id, "channel": job.channel_id, "unscheduled": True},
                      _("Publication %(job)s is off the schedule; post %(post)s keeps its text for channel "
                        "%(channel)s.") % {"job": job.pk, "post": job.variant.post_id, "channel": job.channel_id})

    def add_attention_arguments(self, parser):
        self.add_workspace_arguments(parser)

    def do_attention(self, options) -> Answer:
        workspace, actor = self.workspace_and_actor(options)
        jobs = [PublicationOut.from_orm(job) for job in needing_attention(actor, workspace)]
        return Answer([job.model_dump() for job in jobs],
                      "\n".join(f"#{job.id}  post {job.post}, channel {job.channel}: {job.status}, due "
                                f"{to_local(job.due_at, workspace.timezone):%Y-%m-%d %H:%M}"
                                + (f" - {job.last_error}" if job.last_error else "") for job in jobs))
