"""The agency owner schedules the coffee shop's monthly report: it goes out once, on the 1st at nine, Moscow time,
for the month before; the periods follow the workspace's calendar."""

import json
import socket
from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command

from chorus.reports import services
from chorus.reports.models import Report, ReportDelivery
from chorus.reports.periods import last_finished, parse_period


def test_periods_read_as_a_month_a_week_or_days_and_know_the_one_before():
    october = parse_period("2026-10")
    assert (october.start, october.end, october.previous().start) == (date(2026, 10, 1), date(2026, 11, 1),
                                                                      date(2026, 9, 1))
    march = parse_period("2026-03")
    assert march.previous().days == 28  # February 2026, not "31 days before"
    week = parse_period("2026-W01")
    assert (week.start, week.end) == (date(2025, 12, 29), date(2026, 1, 5))
    days = parse_period("2026-10-01..2026-10-15")
    assert days.days == 15 and days.previous().start == date(2026, 9, 16)
    assert last_finished("month", date(2026, 1, 1)).code() == "2025-12"
    assert last_finished("week", date(2026, 10, 28)).code() == "2026-W43"


@pytest.mark.parametrize("text, reason", [("2026-13", "not a date that exists"), ("last month", "ISO week"),
                                          ("2026-10-15..2026-10-01", "ends before it starts"),
                                          ("2024-01-01..2026-01-01", "at most a year")])
def test_a_period_that_cannot_be_read_says_why(text, reason):
    with pytest.raises(ValidationError, match=reason):
        parse_period(text)


def test_a_period_starts_at_local_midnight_across_a_dst_change():
    start, end = parse_period("2026-10").bounds("Europe/Berlin")
    assert start == datetime(2026, 9, 30, 22, tzinfo=UTC)  # CEST, UTC+2
    assert end == datetime(2026, 10, 31, 23, tzinfo=UTC)  # CET after the clocks went back


def test_a_monthly_schedule_runs_on_the_first_at_nine_moscow_time(owner, workspace):
    schedule = services.save_schedule(actor=owner, workspace=workspace, cadence="month",
                                      recipients="client@example.com")
    after = datetime(2026, 10, 14, 12, tzinfo=UTC)
    assert services.next_run("month", workspace.timezone, after) == datetime(2026, 11, 1, 6, tzinfo=UTC)
    assert services.next_run("week", workspace.timezone, after) == datetime(2026, 10, 19, 6, tzinfo=UTC)
    assert schedule.recipients == ["client@example.com"]


def test_a_due_schedule_sends_last_months_report_once_even_when_two_workers_ask(
        owner, workspace, coffee_history, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    schedule = services.save_schedule(actor=owner, workspace=workspace, cadence="month",
                                      recipients="client@example.com, boss@example.com")
    first_of_november = datetime(2026, 11, 1, 6, 0, 30, tzinfo=UTC)
    schedule.next_run_at = datetime(2026, 11, 1, 6, tzinfo=UTC)
    schedule.save()

    with django_capture_on_commit_callbacks(execute=True):
        assert services.run_due_schedules(first_of_november) == 1
        assert services.run_due_schedules(first_of_november) == 0  # the second worker finds nothing due

    report = Report.objects.get()
    assert report.schedule == schedule and report.built_by is None
    assert (report.period_start, report.period_end) == (date(2026, 10, 1), date(2026, 11, 1))
    assert sorted(m.to[0] for m in mail.outbox) == ["boss@example.com", "client@example.com"]
    schedule.refresh_from_db()
    assert schedule.next_run_at == datetime(2026, 12, 1, 6, tzinfo=UTC)


def test_a_paused_schedule_sends_nothing(owner, workspace, coffee_history):
    schedule = services.save_schedule(actor=owner, workspace=workspace, cadence="week",
                                      recipients="client@example.com", active=False)
    assert services.run_due_schedules(schedule.next_run_at) == 0
    assert not Report.objects.exists()


def test_a_client_cannot_schedule_reports(team, workspace):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.save_schedule(actor=team["client"], workspace=workspace, cadence="week",
                               recipients="me@example.com")


def test_a_mail_server_that_refuses_keeps_the_reason_on_the_delivery(owner, workspace, coffee_history, settings):
    report = services.build_report(actor=owner, workspace=workspace, period=parse_period("2026-10"))
    delivery, = services.send_report(report, ["client@example.com"])
    with socket.socket() as probe:  # a port nobody listens on: the SMTP connection is refused for real
        probe.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = probe.getsockname()[1]
    settings.EMAIL_BACKEND, settings.EMAIL_HOST = "django.core.mail.backends.smtp.EmailBackend", "127.0.0.1"

    delivery = services.deliver_report(delivery.pk, last_try=True)

    assert delivery.status == ReportDelivery.Status.FAILED and "ConnectionRefusedError" in delivery.error
    assert services.deliver_report(delivery.pk).status == ReportDelivery.Status.FAILED  # not sent again


def test_the_command_line_writes_the_pdf_and_says_where(owner, workspace, coffee_history, tmp_path, capsys):
    output = tmp_path / "october.pdf"
    call_command("report", "build", "--workspace", workspace.slug, "--period", "2026-10", "--format", "pdf",
                 "--output", str(output), "--json")
    answer = json.loads(capsys.readouterr().out)
    assert answer["output"] == str(output) and answer["bytes"] == output.stat().st_size
    assert output.read_bytes().startswith(b"%PDF")
    assert answer["period_start"] == "2026-10-01" and answer["period_end"] == "2026-11-01"
