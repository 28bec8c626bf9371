"""The verbs of client reports (ANLT-7): build one for a period, keep it, send it; schedules that do it weekly or
monthly. The web pages, the API and `chorus report` all call these."""

import logging
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from chorus.reports import figures, rendering
from chorus.reports.models import Cadence, Report, ReportDelivery, ReportSchedule
from chorus.reports.periods import Period, last_finished, local_midnight
from chorus.workspaces.services import ensure_can, workspace_object
from chorus.workspaces.timezones import to_local

log = logging.getLogger(__name__)
SENT_AT_HOUR = 9  # a scheduled report goes out at nine in the morning, the workspace's time


def reports_of(actor, workspace):
    ensure_can(actor, "report.view", workspace)
    return Report.objects.filter(workspace=workspace).defer("page")


def report_for(actor, workspace, report_id) -> Report:
    return workspace_object(actor, workspace, Report.objects.all(), report_id, "report.view", _("No such report."))


def build_report(*, actor, workspace, period: Period) -> Report:
    ensure_can(actor, "report.build", workspace)
    return _build(workspace, period, built_by=actor)


def _build(workspace, period: Period, *, built_by=None, schedule=None) -> Report:
    """Render the page in the workspace's language, make its PDF, keep both."""
    with translation.override(workspace.language):
        title = _("%(workspace)s report: %(period)s") % {"workspace": workspace.name, "period": period.label()}
        page = render_to_string("reports/document.html", {
            "title": title, "workspace": workspace, "period": period, "logo": rendering.logo_uri(workspace),
            "fonts": {name: path.as_uri() for name, path in rendering.font_files().items()},
            **figures.report_figures(workspace, period)})
    pdf = rendering.pdf_of(page)
    report = Report(workspace=workspace, cadence=period.cadence, period_start=period.start, period_end=period.end,
                    title=title, language=workspace.language, page=page, built_by=built_by, schedule=schedule)
    with transaction.atomic():
        report.pdf.save(f"{slugify(workspace.slug)}-{period.code().replace('..', '_')}.pdf", ContentFile(pdf),
                        save=False)
        report.save()
    return report


# Schedules ---------------------------------------------------------------------------------------------------

def _sent_at(day, zone_name: str) -> datetime:
    return local_midnight(day, zone_name) + timedelta(hours=SENT_AT_HOUR)


def next_run(cadence: str, zone_name: str, after: datetime) -> datetime:
    """The first nine o'clock, local time, on a Monday (weekly) or a 1st (monthly) strictly after `after`."""
    local = to_local(after, zone_name)
    day = local.date()
    while True:
        if (day.weekday() == 0) if cadence == Cadence.WEEK else (day.day == 1):
            at = _sent_at(day, zone_name)
            if at > after:
                return at
        day += timedelta(days=1)


def follow_zone(workspace, old_zone: str) -> None:
    """After the workspace moved from `old_zone`: each coming run at nine o'clock of the same day in the new zone.
    When that nine o'clock has already passed there, the run is due now rather than skipped; a run already due
    keeps its time, and claiming it places the next one in the new zone."""
    for schedule in ReportSchedule.objects.filter(workspace=workspace, next_run_at__gt=timezone.now()):
        day = to_local(schedule.next_run_at, old_zone).date()
        # Compared and swapped, as claiming does: a worker that took this run meanwhile keeps what it set.
        ReportSchedule.objects.filter(pk=schedule.pk, next_run_at=schedule.next_run_at).update(
            next_run_at=_sent_at(day, workspace.timezone))


def clean_recipients(raw) -> list[str]:
    addresses = raw.replace(";", ",").replace("\n", ",").split(",") if isinstance(raw, str) else list(raw)
    cleaned = sorted({address.strip().lower() for address in addresses if address.strip()})
    for address in cleaned:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError(_("%(address)s is not an e-mail address.") % {"address": address}) from exc
    if not cleaned:
        raise ValidationError(_("Give at least one e-mail address to send the report to."))
    return cleaned


def schedules_of(actor, workspace):
    ensure_can(actor, "report.view", workspace)
    return ReportSchedule.objects.filter(workspace=workspace)


def save_schedule(*, actor, workspace, cadence: str, recipients, active: bool = True) -> ReportSchedule:
    """One weekly and one monthly schedule per workspace; saving again changes who gets it or pauses it."""
    ensure_can(actor, "report.schedule", workspace)
    if cadence not in (Cadence.WEEK, Cadence.MONTH):
        raise ValidationError(_("A report is scheduled weekly or monthly."))
    addresses = clean_recipients(recipients)
    schedule, _created = ReportSchedule.objects.update_or_create(
        workspace=workspace, cadence=cadence,
        defaults={"recipients": addresses, "active": active, "last_error": "",
                  "next_run_at": next_run(cadence, workspace.timezone, timezone.now())},
        create_defaults={"recipients": addresses, "active": active, "created_by": actor,
                         "next_run_at": next_run(cadence, workspace.timezone, timezone.now())})
    return schedule


def claim_due_schedules(now: datetime) -> list[ReportSchedule]:
    claimed = []
    for schedule in ReportSchedule.objects.filter(active=True, next_run_at__lte=now).select_related("workspace"):
        following = next_run(schedule.cadence, schedule.workspace.timezone, now)
        # Another worker may take the same run between our read and this write: only one UPDATE matches.
        if ReportSchedule.objects.filter(pk=schedule.pk, next_run_at=schedule.next_run_at).update(
                next_run_at=following):
            claimed.append(schedule)
    return claimed


def run_due_schedules(now: datetime | None = None) -> int:
    """Build and queue each due schedule's report; a failure is kept on the schedule and tried at the next run."""
    now = now or timezone.now()
    built = 0
    for schedule in claim_due_schedules(now):
        workspace = schedule.workspace
        period = last_finished(schedule.cadence, to_local(now, workspace.timezone).date())
        try:
            report = _build(workspace, period, schedule=schedule)
        except ValidationError as exc:
            ReportSchedule.objects.filter(pk=schedule.pk).update(last_error=" ".join(exc.messages)[:300])
            continue
        ReportSchedule.objects.filter(pk=schedule.pk).update(last_error="")
        send_report(report, schedule.recipients)
        built += 1
    return built


# E-mail ------------------------------------------------------------------------------------------------------

def email_report(*, actor, report: Report, recipients) -> list[ReportDelivery]:
    ensure_can(actor, "report.schedule", report.workspace)
    return send_report(report, clean_recipients(recipients))


def send_report(report: Report, addresses: list[str]) -> list[ReportDelivery]:
    """One e-mail per address (recipients do not see each other), sent by a worker once this commits."""
    from chorus.reports.tasks import deliver_report_task

    deliveries = [ReportDelivery.objects.create(report=report, recipient=address, subject=report.title[:200])
                  for address in addresses]
    for delivery in deliveries:
        transaction.on_commit(lambda pk=delivery.pk: deliver_report_task.delay(pk))
    return deliveries


def deliveries_of(actor, workspace):
    """The workspace's outbox of report e-mails, newest first, with their state."""
    ensure_can(actor, "report.view", workspace)
    return ReportDelivery.objects.filter(report__workspace=workspace).select_related("report")


def _letter(delivery: ReportDelivery) -> EmailMessage:
    report = delivery.report
    with translation.override(report.language):
        body = "\n\n".join([report.title, _("The report is attached as a PDF file.")])
    letter = EmailMessage(delivery.subject, body, to=[delivery.recipient])
    with report.pdf.open("rb") as pdf:
        letter.attach(report.pdf.name.rsplit("/", 1)[-1], pdf.read(), "application/pdf")
    return letter


def deliver_report(delivery_id: int, *, last_try: bool = True) -> ReportDelivery:
    """Send one queued e-mail, once (claimed by compare-and-swap); a failure is kept with its reason."""
    if not ReportDelivery.objects.filter(pk=delivery_id, status=ReportDelivery.Status.QUEUED).update(
            status=ReportDelivery.Status.SENDING):
        return ReportDelivery.objects.get(pk=delivery_id)
    delivery = ReportDelivery.objects.select_related("report").get(pk=delivery_id)
    try:
        _letter(delivery).send()
    except OSError as exc:
        status = ReportDelivery.Status.FAILED if last_try else ReportDelivery.Status.QUEUED
        ReportDelivery.objects.filter(pk=delivery.pk).update(status=status, error=f"{type(exc).__name__}: {exc}"[:300],
                                                             attempts=delivery.attempts + 1)
        log.warning("report e-mail %s failed: %s", delivery.pk, exc)
        if not last_try:
            raise
        return ReportDelivery.objects.get(pk=delivery.pk)
    ReportDelivery.objects.filter(pk=delivery.pk).update(status=ReportDelivery.Status.SENT, sent_at=timezone.now(),
                                                         error="", attempts=delivery.attempts + 1)
    delivery.refresh_from_db()
    return delivery
