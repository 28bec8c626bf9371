from django.urls import path

from chorus.web import bulk_views

urlpatterns = [
    path("w/<slug:slug>/posts/import/", bulk_views.bulk_import, name="bulk-import"),
    path("w/<slug:slug>/posts/export.<slug:file_format>", bulk_views.bulk_export, name="bulk-export"),
]
