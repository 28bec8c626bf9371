"""Client reports (ANLT-7): each one built once for a period and kept as it was sent, with its PDF; schedules that
build them every week or month; and the e-mails that carried them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.notifications.models import Delivery
from chorus.workspaces.models import Workspace


class Cadence(models.TextChoices):
    WEEK = "week", _("Weekly")
    MONTH = "month", _("Monthly")
    CUSTOM = "custom", _("Custom period")


class Report(models.Model):
    """A report as built: the page (a whole HTML document, also the source of the PDF) is kept, so what a client
    was sent reads the same later, even after the numbers behind it were collected again."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="reports")
    cadence = models.CharField(max_length=8, choices=Cadence.choices)
    period_start = models.DateField(help_text="first day, in the workspace's zone")
    period_end = models.DateField(help_text="the day after the last one")
    title = models.CharField(max_length=200)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    page = models.TextField()
    pdf = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    built_at = models.DateTimeField(auto_now_add=True)
    built_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", help_text="empty when a schedule built it")
    schedule = models.ForeignKey("ReportSchedule", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="reports")

    class Meta:
        ordering = ["-built_at", "-pk"]


class ReportSchedule(models.Model):
    """Build the last week's or month's report on the first morning after it and e-mail it; claimed by
    compare-and-swap on `next_run_at`, so two workers never send one twice."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="report_schedules")
    cadence = models.CharField(max_length=8, choices=Cadence.choices[:2])
    recipients = models.JSONField(default=list, help_text="e-mail addresses")
    next_run_at = models.DateTimeField()
    active = models.BooleanField(default=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cadence", "pk"]
        indexes = [models.Index(fields=["active", "next_run_at"])]


class ReportDelivery(Delivery):
    """One e-mail carrying one report to one address; a failure stays here with its reason."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.EmailField()
    subject = models.CharField(max_length=200)
