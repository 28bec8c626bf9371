"""Pages of client reports. Each view reads the request, calls a service verb and renders."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from chorus.reports import services
from chorus.reports.models import Cadence
from chorus.reports.periods import last_finished, parse_period
from chorus.web.decorators import workspace_view
from chorus.workspaces.roles import can
from chorus.workspaces.services import update_branding
from chorus.workspaces.timezones import to_local

# The stored page is our own rendering, escaped when built; this keeps it inert even so: no scripts, no fetches.
REPORT_PAGE_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src 'none'"


@workspace_view("report.view")
def reports(request):
    workspace = request.workspace
    today = to_local(timezone.now(), workspace.timezone).date()
    schedules = {s.cadence: s for s in services.schedules_of(request.user, workspace)}
    return render(request, "reports/reports.html", {
        "reports": services.reports_of(request.user, workspace)[:50],
        "deliveries": services.deliveries_of(request.user, workspace)[:50],
        "schedules": [(cadence, label, schedules.get(cadence)) for cadence, label in Cadence.choices[:2]],
        "suggested": {"month": last_finished(Cadence.MONTH, today).code(),
                      "week": last_finished(Cadence.WEEK, today).code()},
        "may_build": can(request.role, "report.build", request.grants),
        "may_schedule": can(request.role, "report.schedule", request.grants),
        "may_brand": can(request.role, "workspace.settings", request.grants)})


@workspace_view("report.build")
@require_POST
def report_build(request):
    try:
        report = services.build_report(actor=request.user, workspace=request.workspace,
                                       period=parse_period(request.POST.get("period", "")))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("reports", request.workspace.slug)
    return redirect("report-page", request.workspace.slug, report.pk)


@workspace_view("report.view")
def report_page(request, report_id):
    report = services.report_for(request.user, request.workspace, report_id)
    response = HttpResponse(report.page)
    response["Content-Security-Policy"] = REPORT_PAGE_POLICY
    return response


@workspace_view("report.view")
def report_pdf(request, report_id):
    report = services.report_for(request.user, request.workspace, report_id)
    return FileResponse(report.pdf.open("rb"), content_type="application/pdf",
                        filename=report.pdf.name.rsplit("/", 1)[-1])


@workspace_view("report.schedule")
@require_POST
def report_email(request, report_id):
    report = services.report_for(request.user, request.workspace, report_id)
    try:
        sent = services.email_report(actor=request.user, report=report, recipients=request.POST.get("to", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, ngettext("The report is on its way to %(count)d address.",
                                           "The report is on its way to %(count)d addresses.", len(sent))
                         % {"count": len(sent)})
    return redirect("reports", request.workspace.slug)


@workspace_view("report.schedule")
@require_POST
def report_schedule(request):
    try:
        schedule = services.save_schedule(actor=request.user, workspace=request.workspace,
                                          cadence=request.POST.get("cadence", ""),
                                          recipients=request.POST.get("to", ""),
                                          active=bool(request.POST.get("active")))
    except ValidationError as exc:
        messages.error(request, _("Schedule not saved: %(reason)s") % {"reason": " ".join(exc.messages)})
    else:
        messages.success(request, _("Schedule saved.") if schedule.active else _("Schedule paused."))
    return redirect("reports", request.workspace.slug)


@workspace_view("workspace.settings")
@require_POST
def report_branding(request):
    try:
        update_branding(actor=request.user, workspace=request.workspace,
                        brand_color=request.POST.get("brand_color", ""), logo=request.FILES.get("logo"),
                        remove_logo=bool(request.POST.get("remove_logo")))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Branding saved: the next reports wear it."))
    return redirect("reports", request.workspace.slug)
