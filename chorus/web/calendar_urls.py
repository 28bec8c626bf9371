from django.urls import path

from chorus.web import calendar_views

urlpatterns = [
    path("w/<slug:slug>/calendar/", calendar_views.calendar, name="calendar"),
    path("w/<slug:slug>/calendar/events/", calendar_views.calendar_events, name="calendar-events"),
    path("w/<slug:slug>/calendar/move/", calendar_views.calendar_move, name="calendar-move"),
]
