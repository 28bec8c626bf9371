from django.urls import path

from chorus.sources import views

urlpatterns = [
    path("", views.sources, name="sources"),
    path("add/", views.source_add, name="source-add"),
    path("<int:feed_id>/", views.source_detail, name="source-detail"),
    path("<int:feed_id>/rules/", views.source_rules, name="source-rules"),
    path("<int:feed_id>/check/", views.source_check, name="source-check"),
]
