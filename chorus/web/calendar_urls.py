from django.urls import path

from chorus.web import calendar_views

urlpatterns = [
    path("calendar/", calendar_views.calendar, name="calendar"),
    path("calendar/events/", calendar_views.calendar_events, name="calendar-events"),
    path("calendar/move/", calendar_views.calendar_move, name="calendar-move"),
]
