"""Client reports over the API: list, build for a period, fetch the PDF, e-mail one."""

from datetime import date, datetime

from django.http import FileResponse
from ninja import Router, Schema

from chorus.reports import services
from chorus.reports.periods import parse_period
from chorus.workspaces.api import answers, caller, workspace_of


class ReportOut(Schema):
    id: int
    title: str
    cadence: str
    period_start: date
    period_end: date
    built_at: datetime


class BuildIn(Schema):
    period: str  # 2026-10, 2026-W44 or 2026-10-01..2026-10-15


class EmailIn(Schema):
    to: list[str]


class EmailOut(Schema):
    queued: int


router = Router(tags=["reports"])


@router.get("/workspaces/{slug}/reports", response=answers(200, list[ReportOut]), summary="Reports built so far")
def list_reports(request, slug: str):
    return services.reports_of(caller(request), workspace_of(request, slug))


@router.post("/workspaces/{slug}/reports", response=answers(201, ReportOut),
             summary="Build the report of a period (page and PDF)")
def build(request, slug: str, payload: BuildIn):
    report = services.build_report(actor=caller(request), workspace=workspace_of(request, slug),
                                   period=parse_period(payload.period))
    return 201, report


@router.get("/workspaces/{slug}/reports/{report_id}/pdf", response=answers(200, None),
            summary="The report as a PDF file (application/pdf)",
            openapi_extra={"responses": {200: {"description": "The PDF", "content": {"application/pdf": {}}}}})
def pdf(request, slug: str, report_id: int):
    report = services.report_for(caller(request), workspace_of(request, slug), report_id)
    return FileResponse(report.pdf.open("rb"), content_type="application/pdf",
                        filename=report.pdf.name.rsplit("/", 1)[-1])


@router.post("/workspaces/{slug}/reports/{report_id}/email", response=answers(202, EmailOut),
             summary="E-mail the report, one letter per address")
def email(request, slug: str, report_id: int, payload: EmailIn):
    actor = caller(request)
    report = services.report_for(actor, workspace_of(request, slug), report_id)
    return 202, EmailOut(queued=len(services.email_report(actor=actor, report=report, recipients=payload.to)))
