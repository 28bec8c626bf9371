from django.urls import path

from chorus.reports import views

urlpatterns = [
    path("", views.reports, name="reports"),
    path("build/", views.report_build, name="report-build"),
    path("schedules/", views.report_schedule, name="report-schedule"),
    path("branding/", views.report_branding, name="report-branding"),
    path("<int:report_id>/", views.report_page, name="report-page"),
    path("<int:report_id>/pdf/", views.report_pdf, name="report-pdf"),
    path("<int:report_id>/email/", views.report_email, name="report-email"),
]
