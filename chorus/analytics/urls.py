from django.urls import path

from chorus.analytics import views

urlpatterns = [
    path("", views.dashboard, name="analytics"),
    path("channels/<int:channel_id>/", views.channel_dashboard, name="analytics-channel"),
    path("channels/<int:channel_id>/what-works/", views.what_works, name="analytics-what-works"),
    path("channels/<int:channel_id>/what-works/queue/", views.queue_best_times, name="analytics-queue-best-times"),
    path("how-computed/", views.how_computed, name="analytics-formulas"),
    path("import/", views.history, name="analytics-import"),
    path("import/mappings/", views.mapping_save, name="analytics-mapping-save"),
    path("import/mappings/delete/", views.mapping_delete, name="analytics-mapping-delete"),
]
